//! Dunning messages from the templates under `templates/dunning/<lang>/`,
//! embedded in the binary (Tera). A message template's first line is the
//! subject, the rest the body; letters wrap the body in `letter.html`
//! (escaped: buyer names are data, not markup).

use std::sync::OnceLock;

use serde::Serialize;
use tera::{Context as TeraContext, Tera};

use super::ServiceError;
use crate::domain::dunning::Template;

const TEMPLATES: &[(&str, &str)] = &[
    (
        "fr/courtesy.txt",
        include_str!("../../../templates/dunning/fr/courtesy.txt"),
    ),
    (
        "fr/reminder.txt",
        include_str!("../../../templates/dunning/fr/reminder.txt"),
    ),
    (
        "fr/formal_notice.txt",
        include_str!("../../../templates/dunning/fr/formal_notice.txt"),
    ),
    (
        "fr/letter.html",
        include_str!("../../../templates/dunning/fr/letter.html"),
    ),
    (
        "en/courtesy.txt",
        include_str!("../../../templates/dunning/en/courtesy.txt"),
    ),
    (
        "en/reminder.txt",
        include_str!("../../../templates/dunning/en/reminder.txt"),
    ),
    (
        "en/formal_notice.txt",
        include_str!("../../../templates/dunning/en/formal_notice.txt"),
    ),
    (
        "en/letter.html",
        include_str!("../../../templates/dunning/en/letter.html"),
    ),
];

fn engine() -> Result<&'static Tera, ServiceError> {
    static ENGINE: OnceLock<Result<Tera, String>> = OnceLock::new();
    ENGINE
        .get_or_init(|| {
            let mut t = Tera::default();
            t.add_raw_templates(TEMPLATES.iter().copied())
                .map_err(|e| format!("{e:?}"))?;
            Ok(t)
        })
        .as_ref()
        .map_err(|e| ServiceError::invalid("dunning_template_invalid", "template", e.clone()))
}

/// Everything a message may say, already formatted for its language.
#[derive(Debug, Clone, Serialize)]
pub struct MessageFacts {
    pub language: String,
    pub seller_name: String,
    pub buyer_name: String,
    pub invoice_number: String,
    pub issue_date: String,
    pub due_date: String,
    pub as_of: String,
    pub open_amount: String,
    pub days_late: i64,
    /// Formal notice only.
    pub interest: String,
    pub indemnity: String,
    pub total_due: String,
    pub rate_text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub body: String,
}

/// Renders the subject and text of a message template.
pub fn render_message(template: Template, facts: &MessageFacts) -> Result<Rendered, ServiceError> {
    let lang = if facts.language == "fr" { "fr" } else { "en" };
    let name = format!("{lang}/{}.txt", template.as_str());
    let ctx = TeraContext::from_serialize(facts).map_err(|e| {
        ServiceError::invalid("dunning_template_invalid", "template", e.to_string())
    })?;
    let text = engine()?.render(&name, &ctx).map_err(|e| {
        ServiceError::invalid(
            "dunning_template_invalid",
            "template",
            format!("{name}: {e:?}"),
        )
    })?;
    let (subject, body) = text.split_once('\n').unwrap_or((text.as_str(), ""));
    Ok(Rendered {
        subject: subject.trim().to_string(),
        body: body.trim_start_matches('\n').to_string(),
    })
}

/// The letter (HTML) of a rendered message.
pub fn render_letter(facts: &MessageFacts, message: &Rendered) -> Result<String, ServiceError> {
    let lang = if facts.language == "fr" { "fr" } else { "en" };
    let mut ctx = TeraContext::from_serialize(facts).map_err(|e| {
        ServiceError::invalid("dunning_template_invalid", "template", e.to_string())
    })?;
    ctx.insert("subject", &message.subject);
    let paragraphs: Vec<&str> = message
        .body
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    ctx.insert("paragraphs", &paragraphs);
    engine()?
        .render(&format!("{lang}/letter.html"), &ctx)
        .map_err(|e| {
            ServiceError::invalid("dunning_template_invalid", "template", format!("{e:?}"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(language: &str) -> MessageFacts {
        MessageFacts {
            language: language.into(),
            seller_name: "Peugeot SA".into(),
            buyer_name: "Dupont & Fils <SARL>".into(),
            invoice_number: "F-1".into(),
            issue_date: "2026-01-01".into(),
            due_date: "2026-01-31".into(),
            as_of: "2026-03-02".into(),
            open_amount: "10000.00 EUR".into(),
            days_late: 30,
            interest: "99.86 EUR".into(),
            indemnity: "40.00 EUR".into(),
            total_due: "139.86 EUR".into(),
            rate_text: "12.15 %".into(),
        }
    }

    #[test]
    fn every_template_renders_in_both_languages() {
        for lang in ["fr", "en"] {
            for t in [
                Template::Courtesy,
                Template::Reminder,
                Template::FormalNotice,
            ] {
                let r = render_message(t, &facts(lang)).unwrap();
                assert!(r.subject.contains("F-1"), "{lang} {t:?}: {}", r.subject);
                assert!(r.body.contains("Peugeot SA"), "{lang} {t:?}");
            }
        }
    }

    #[test]
    fn the_formal_notice_states_the_penalties() {
        let fr = render_message(Template::FormalNotice, &facts("fr")).unwrap();
        assert_eq!(fr.subject, "Mise en demeure : facture F-1");
        assert!(fr
            .body
            .contains("pénalités de retard (12.15 %, 30 jours) : 99.86 EUR"));
        assert!(fr.body.contains("frais de recouvrement : 40.00 EUR"));
        assert!(fr.body.contains("soit au total 139.86 EUR"));
        let en = render_message(Template::FormalNotice, &facts("en")).unwrap();
        assert!(en
            .body
            .contains("late-payment interest (12.15 %, 30 days): 99.86 EUR"));
    }

    #[test]
    fn letters_escape_the_buyer_name() {
        let f = facts("fr");
        let m = render_message(Template::Reminder, &f).unwrap();
        let html = render_letter(&f, &m).unwrap();
        assert!(html.contains("Dupont &amp; Fils &lt;SARL&gt;"), "{html}");
        assert!(html.contains("<h1>Relance : facture F-1 en retard de paiement</h1>"));
    }
}
