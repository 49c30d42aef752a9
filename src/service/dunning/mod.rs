//! Dunning [relances]: plans (steps at offsets from the due date) chosen per
//! buyer by its risk class, the run that creates the actions due (once per
//! invoice and step, ever), and their delivery: e-mails over SMTP, letters
//! and formal notices as HTML files, phone calls and hand-overs as tasks
//! listed for a person.
//!
//! Delivery never holds the database transaction: the run records the
//! actions with their rendered message first (state `to_send`), commits,
//! then sends or writes each one and marks it `sent`/`written` or `failed`
//! (retried by the next run, up to `max_attempts`).

mod deliver;
mod render;
mod run;

pub use deliver::{deliver_pending, DeliveryReport};
pub use render::{render_message, MessageFacts, Rendered};
pub use run::{run_dunning, RunReport};

use std::path::PathBuf;

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::{new_id, now, ServiceError};
use crate::domain::dunning::{checked_plan, Channel, Step, Template};
use crate::domain::risk::RiskClass;
use crate::error::ErrorCode;
use crate::store::schema::{dunning_actions, dunning_class_plans, dunning_plans, dunning_steps};
use crate::store::{write_tx, DbConnection};

/// `[smtp]`: the server dunning e-mails go through.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    /// Default: 25 without TLS, 587 with STARTTLS, 465 with TLS.
    pub port: Option<u16>,
    /// `none`, `starttls` (default) or `tls`.
    pub tls: Option<String>,
    pub username: Option<String>,
    /// The environment variable holding the password (never the file).
    pub password_env: Option<String>,
    /// The sender, e.g. `Recouvrement <recouvrement@example.fr>`.
    pub from: String,
    pub timeout_ms: Option<u64>,
}

/// `[dunning]`: where letters go and how often a failed e-mail is retried.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DunningFileConfig {
    pub letters_dir: Option<PathBuf>,
    pub max_attempts: Option<i32>,
}

/// Effective dunning settings.
#[derive(Debug, Clone)]
pub struct DunningSettings {
    pub smtp: Option<SmtpConfig>,
    pub letters_dir: PathBuf,
    pub max_attempts: i32,
}

impl DunningSettings {
    pub fn resolve(smtp: Option<SmtpConfig>, file: &DunningFileConfig) -> DunningSettings {
        DunningSettings {
            smtp,
            letters_dir: file
                .letters_dir
                .clone()
                .unwrap_or_else(|| PathBuf::from("dunning-letters")),
            max_attempts: file.max_attempts.unwrap_or(5).max(1),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub id: String,
    pub name: String,
    pub steps: Vec<Step>,
    /// The risk classes that follow it.
    pub classes: Vec<String>,
}

/// Every plan with its steps and classes, by name.
pub fn list_plans(conn: &mut DbConnection) -> Result<Vec<Plan>, ServiceError> {
    let plans: Vec<(String, String)> = dunning_plans::table
        .select((dunning_plans::id, dunning_plans::name))
        .order(dunning_plans::name)
        .load(conn)?;
    let steps: Vec<(String, i32, i32, String, String)> = dunning_steps::table
        .select((
            dunning_steps::plan_id,
            dunning_steps::step_no,
            dunning_steps::offset_days,
            dunning_steps::channel,
            dunning_steps::template,
        ))
        .order((dunning_steps::plan_id, dunning_steps::step_no))
        .load(conn)?;
    let classes: Vec<(String, String)> = dunning_class_plans::table
        .select((
            dunning_class_plans::risk_class,
            dunning_class_plans::plan_id,
        ))
        .order(dunning_class_plans::risk_class)
        .load(conn)?;
    let mut out = Vec::new();
    for (id, name) in plans {
        let mut plan_steps = Vec::new();
        for (_, no, offset, channel, template) in steps.iter().filter(|s| s.0 == id) {
            plan_steps.push(Step {
                step_no: *no,
                offset_days: *offset,
                channel: Channel::parse(channel).ok_or_else(|| {
                    ServiceError::invalid("dunning_channel_unknown", "channel", channel.clone())
                })?,
                template: Template::parse(template).ok_or_else(|| {
                    ServiceError::invalid("dunning_template_unknown", "template", template.clone())
                })?,
            });
        }
        out.push(Plan {
            classes: classes
                .iter()
                .filter(|c| c.1 == id)
                .map(|c| c.0.clone())
                .collect(),
            id,
            name,
            steps: plan_steps,
        });
    }
    Ok(out)
}

/// Reads `OFFSET:CHANNEL:TEMPLATE`, e.g. `-5:email:courtesy`, `7:phone:task`.
pub fn parse_step(text: &str) -> Result<(i32, Channel, Template), ServiceError> {
    let bad = |m: String| ServiceError::invalid("dunning_step_invalid", "step", m);
    let parts: Vec<&str> = text.split(':').collect();
    let [offset, channel, template] = parts.as_slice() else {
        return Err(bad(format!(
            "'{text}': expected OFFSET:CHANNEL:TEMPLATE, e.g. 7:phone:task"
        )));
    };
    let offset: i32 = offset.trim().parse().map_err(|_| {
        bad(format!(
            "'{text}': offset '{offset}' is not a whole number of days"
        ))
    })?;
    let channel = Channel::parse(channel.trim()).ok_or_else(|| {
        bad(format!(
            "'{text}': channel '{channel}' is not email, letter, phone, formal_notice, litigation or insurer"
        ))
    })?;
    let template = Template::parse(template.trim()).ok_or_else(|| {
        bad(format!(
            "'{text}': template '{template}' is not courtesy, reminder, formal_notice or task"
        ))
    })?;
    Ok((offset, channel, template))
}

/// Creates a plan, or replaces the steps of one no action used yet (a plan
/// in use is kept as it is, so past actions keep their meaning: make a new
/// plan and assign it instead).
pub fn set_plan(
    conn: &mut DbConnection,
    name: &str,
    steps: Vec<(i32, Channel, Template)>,
) -> Result<Plan, ServiceError> {
    let name = name.trim();
    if name.is_empty() || name.len() > 40 {
        return Err(ServiceError::invalid(
            "dunning_plan_name_invalid",
            "name",
            "1 to 40 characters",
        ));
    }
    let steps =
        checked_plan(steps).map_err(|e| ServiceError::invalid(e.code(), "steps", e.to_string()))?;
    write_tx(conn, |conn| {
        let existing: Option<String> = dunning_plans::table
            .filter(dunning_plans::name.eq(name))
            .select(dunning_plans::id)
            .first(conn)
            .optional()?;
        let id = match existing {
            Some(id) => {
                let used: i64 = dunning_actions::table
                    .filter(dunning_actions::plan_id.eq(&id))
                    .count()
                    .get_result(conn)?;
                if used > 0 {
                    return Err(ServiceError::conflict(
                        "dunning_plan_in_use",
                        format!(
                            "plan {name} has {used} action(s): create a new plan and assign it"
                        ),
                    ));
                }
                diesel::delete(dunning_steps::table.filter(dunning_steps::plan_id.eq(&id)))
                    .execute(conn)?;
                id
            }
            None => {
                let id = new_id();
                diesel::insert_into(dunning_plans::table)
                    .values((
                        dunning_plans::id.eq(&id),
                        dunning_plans::name.eq(name),
                        dunning_plans::created_at.eq(now()),
                    ))
                    .execute(conn)?;
                id
            }
        };
        for s in &steps {
            diesel::insert_into(dunning_steps::table)
                .values((
                    dunning_steps::plan_id.eq(&id),
                    dunning_steps::step_no.eq(s.step_no),
                    dunning_steps::offset_days.eq(s.offset_days),
                    dunning_steps::channel.eq(s.channel.as_str()),
                    dunning_steps::template.eq(s.template.as_str()),
                ))
                .execute(conn)?;
        }
        Ok(())
    })?;
    list_plans(conn)?
        .into_iter()
        .find(|p| p.name == name)
        .ok_or_else(|| ServiceError::not_found("dunning_plan_not_found", "plan", name))
}

/// Makes a risk class follow a plan.
pub fn assign_plan(
    conn: &mut DbConnection,
    class: &str,
    plan_name: &str,
) -> Result<(), ServiceError> {
    let class = RiskClass::parse(class.trim()).ok_or_else(|| {
        ServiceError::invalid(
            "risk_class_unknown",
            "class",
            format!("'{class}' is not A to E"),
        )
    })?;
    write_tx(conn, |conn| {
        let id: String = dunning_plans::table
            .filter(dunning_plans::name.eq(plan_name))
            .select(dunning_plans::id)
            .first(conn)
            .optional()?
            .ok_or_else(|| ServiceError::not_found("dunning_plan_not_found", "plan", plan_name))?;
        diesel::update(dunning_class_plans::table.find(class.as_str()))
            .set(dunning_class_plans::plan_id.eq(&id))
            .execute(conn)?;
        Ok(())
    })
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable)]
#[diesel(table_name = dunning_actions)]
pub struct Action {
    pub id: String,
    pub invoice_id: String,
    pub buyer_id: String,
    pub plan_id: String,
    pub step_no: i32,
    pub channel: String,
    pub due_on: NaiveDate,
    pub run_on: NaiveDate,
    pub state: String,
    pub language: String,
    pub recipient: Option<String>,
    pub subject: Option<String>,
    pub body: Option<String>,
    pub file_path: Option<String>,
    pub attempts: i32,
    pub last_error: Option<String>,
}

pub const ACTION_STATES: [&str; 7] = [
    "to_send",
    "sent",
    "failed",
    "no_recipient",
    "written",
    "open",
    "done",
];

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionFilter {
    pub state: Option<String>,
    pub channel: Option<String>,
    pub invoice_id: Option<String>,
    pub buyer_id: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// Actions, oldest first; the tasks for a person are `state=open`.
pub fn list_actions(
    conn: &mut DbConnection,
    f: &ActionFilter,
) -> Result<super::Page<Action>, ServiceError> {
    let limit = super::page_size(f.limit)?;
    let mut q = dunning_actions::table
        .select(Action::as_select())
        .order(dunning_actions::id)
        .into_boxed();
    if let Some(s) = &f.state {
        if !ACTION_STATES.contains(&s.as_str()) {
            return Err(ServiceError::invalid(
                "dunning_action_state_unknown",
                "state",
                format!("'{s}' is not one of {}", ACTION_STATES.join(", ")),
            ));
        }
        q = q.filter(dunning_actions::state.eq(s.clone()));
    }
    if let Some(c) = &f.channel {
        q = q.filter(dunning_actions::channel.eq(c.clone()));
    }
    if let Some(v) = &f.invoice_id {
        q = q.filter(dunning_actions::invoice_id.eq(v.clone()));
    }
    if let Some(v) = &f.buyer_id {
        q = q.filter(dunning_actions::buyer_id.eq(v.clone()));
    }
    if let Some(v) = &f.cursor {
        q = q.filter(dunning_actions::id.gt(v.clone()));
    }
    let mut items: Vec<Action> = q.limit(limit + 1).load(conn)?;
    let next_cursor = if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(|a| a.id.clone())
    } else {
        None
    };
    Ok(super::Page { items, next_cursor })
}

/// A person marks a task (phone call, hand-over) done.
pub fn complete_action(conn: &mut DbConnection, id: &str) -> Result<Action, ServiceError> {
    write_tx(conn, |conn| {
        let a: Action = dunning_actions::table
            .find(id)
            .select(Action::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(|| ServiceError::not_found("dunning_action_not_found", "action", id))?;
        if a.state != "open" && a.state != "no_recipient" {
            return Err(ServiceError::conflict(
                "dunning_action_not_open",
                format!(
                    "action {id} is {}, not a task waiting for a person",
                    a.state
                ),
            ));
        }
        diesel::update(dunning_actions::table.find(id))
            .set((
                dunning_actions::state.eq("done"),
                dunning_actions::updated_at.eq(now()),
            ))
            .execute(conn)?;
        Ok(dunning_actions::table
            .find(id)
            .select(Action::as_select())
            .first(conn)?)
    })
}
