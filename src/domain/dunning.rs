//! Dunning [relances]: plans of steps at offsets from the due date, and
//! which step an invoice has reached. Pure.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::ErrorCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Letter,
    /// A call for a person to make.
    Phone,
    /// [mise en demeure]: a letter stating the penalties due.
    FormalNotice,
    /// Hand-over to litigation [contentieux], for a person.
    Litigation,
    /// Hand-over to the credit insurer, for a person.
    Insurer,
}

impl Channel {
    pub const ALL: [Channel; 6] = [
        Channel::Email,
        Channel::Letter,
        Channel::Phone,
        Channel::FormalNotice,
        Channel::Litigation,
        Channel::Insurer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Letter => "letter",
            Channel::Phone => "phone",
            Channel::FormalNotice => "formal_notice",
            Channel::Litigation => "litigation",
            Channel::Insurer => "insurer",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// A task for a person rather than a message we deliver.
    pub fn is_task(self) -> bool {
        matches!(
            self,
            Channel::Phone | Channel::Litigation | Channel::Insurer
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Template {
    /// Before the due date [relance préventive].
    Courtesy,
    Reminder,
    FormalNotice,
    /// No message: a task.
    Task,
}

impl Template {
    pub fn as_str(self) -> &'static str {
        match self {
            Template::Courtesy => "courtesy",
            Template::Reminder => "reminder",
            Template::FormalNotice => "formal_notice",
            Template::Task => "task",
        }
    }

    pub fn parse(s: &str) -> Option<Template> {
        [
            Template::Courtesy,
            Template::Reminder,
            Template::FormalNotice,
            Template::Task,
        ]
        .into_iter()
        .find(|t| t.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub step_no: i32,
    /// Days from the due date; negative before it.
    pub offset_days: i32,
    pub channel: Channel,
    pub template: Template,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("a plan needs at least one step")]
    Empty,
    #[error("step {0}: two steps share the offset {1}")]
    DuplicateOffset(usize, i32),
    #[error("step {0}: offset {1} is outside -365..=3650 days")]
    OffsetOutOfRange(usize, i32),
    #[error("step {0}: channel {1} takes {2}")]
    TemplateMismatch(usize, &'static str, &'static str),
}

impl ErrorCode for PlanError {
    fn code(&self) -> &'static str {
        match self {
            PlanError::Empty => "dunning_plan_empty",
            PlanError::DuplicateOffset(..) => "dunning_step_offset_duplicate",
            PlanError::OffsetOutOfRange(..) => "dunning_step_offset_invalid",
            PlanError::TemplateMismatch(..) => "dunning_step_template_invalid",
        }
    }
}

/// Orders steps by offset, numbers them 1.., and checks each channel has a
/// template it can use: tasks take `task`, a formal notice `formal_notice`,
/// e-mails and letters a message (courtesy only before the due date).
pub fn checked_plan(mut steps: Vec<(i32, Channel, Template)>) -> Result<Vec<Step>, PlanError> {
    if steps.is_empty() {
        return Err(PlanError::Empty);
    }
    steps.sort_by_key(|s| s.0);
    let mut out = Vec::with_capacity(steps.len());
    for (i, (offset, channel, template)) in steps.into_iter().enumerate() {
        if !(-365..=3650).contains(&offset) {
            return Err(PlanError::OffsetOutOfRange(i, offset));
        }
        if out.last().is_some_and(|s: &Step| s.offset_days == offset) {
            return Err(PlanError::DuplicateOffset(i, offset));
        }
        let ok = match channel {
            Channel::Phone | Channel::Litigation | Channel::Insurer => template == Template::Task,
            Channel::FormalNotice => template == Template::FormalNotice,
            Channel::Email | Channel::Letter => template != Template::Task,
        };
        if !ok {
            let wants = match channel {
                c if c.is_task() => "task",
                Channel::FormalNotice => "formal_notice",
                _ => "courtesy, reminder or formal_notice",
            };
            return Err(PlanError::TemplateMismatch(i, channel.as_str(), wants));
        }
        out.push(Step {
            step_no: i as i32 + 1,
            offset_days: offset,
            channel,
            template,
        });
    }
    Ok(out)
}

/// The step an invoice due on `due_date` has reached on `as_of`: the last
/// one whose date (due date + offset) has come. Earlier steps a run did not
/// catch are not sent late: a courtesy notice after the due date would be
/// nonsense, so only the latest reached step is acted on.
pub fn reached_step(steps: &[Step], due_date: NaiveDate, as_of: NaiveDate) -> Option<&Step> {
    let days = (as_of - due_date).num_days();
    steps
        .iter()
        .filter(|s| i64::from(s.offset_days) <= days)
        .max_by_key(|s| s.offset_days)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn standard() -> Vec<Step> {
        checked_plan(vec![
            (1, Channel::Email, Template::Reminder),
            (-5, Channel::Email, Template::Courtesy),
            (20, Channel::FormalNotice, Template::FormalNotice),
            (7, Channel::Phone, Template::Task),
        ])
        .unwrap()
    }

    #[test]
    fn steps_are_ordered_and_numbered() {
        let s = standard();
        let offsets: Vec<(i32, i32)> = s.iter().map(|s| (s.step_no, s.offset_days)).collect();
        assert_eq!(offsets, vec![(1, -5), (2, 1), (3, 7), (4, 20)]);
    }

    #[test]
    fn the_latest_reached_step_is_chosen() {
        let s = standard();
        let due = d(2026, 3, 31);
        // 6 days before: nothing; 5 before: courtesy; due day: still courtesy.
        assert!(reached_step(&s, due, d(2026, 3, 25)).is_none());
        assert_eq!(reached_step(&s, due, d(2026, 3, 26)).unwrap().step_no, 1);
        assert_eq!(reached_step(&s, due, d(2026, 3, 31)).unwrap().step_no, 1);
        // D+1 reminder, D+7 phone, D+19 still phone, D+20 formal notice.
        assert_eq!(reached_step(&s, due, d(2026, 4, 1)).unwrap().step_no, 2);
        assert_eq!(reached_step(&s, due, d(2026, 4, 7)).unwrap().step_no, 3);
        assert_eq!(reached_step(&s, due, d(2026, 4, 19)).unwrap().step_no, 3);
        assert_eq!(reached_step(&s, due, d(2026, 4, 20)).unwrap().step_no, 4);
        assert_eq!(reached_step(&s, due, d(2027, 4, 20)).unwrap().step_no, 4);
    }

    #[test]
    fn bad_plans_are_refused_with_the_step_named() {
        assert_eq!(checked_plan(vec![]), Err(PlanError::Empty));
        assert_eq!(
            checked_plan(vec![
                (1, Channel::Email, Template::Reminder),
                (1, Channel::Phone, Template::Task)
            ]),
            Err(PlanError::DuplicateOffset(1, 1))
        );
        let e = checked_plan(vec![(7, Channel::Phone, Template::Reminder)]).unwrap_err();
        assert_eq!(e.code(), "dunning_step_template_invalid");
        assert_eq!(e.to_string(), "step 0: channel phone takes task");
    }
}
