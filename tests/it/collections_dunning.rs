//! Dunning on both backends, with e-mails really sent over SMTP to a sink
//! on 127.0.0.1 and letters really written to files.

use std::time::Duration;

use factorgate::error::ErrorCode;
use factorgate::service::collection_terms::{set_terms, TermsInput};
use factorgate::service::disputes::{open_dispute, DisputeInput};
use factorgate::service::dunning::{
    assign_plan, deliver_pending, list_actions, parse_step, run_dunning, set_plan, ActionFilter,
    DunningSettings, SmtpConfig,
};
use factorgate::service::promises::{record_promise, PromiseInput};
use factorgate::store::DbConnection;
use factorgate_sandbox::smtp::SmtpSink;

use crate::collections::{d, ecb_rates, invoice, seller_and_buyer};
use crate::common::backends;

fn smtp_at(port: u16) -> SmtpConfig {
    SmtpConfig {
        host: "127.0.0.1".into(),
        port: Some(port),
        tls: Some("none".into()),
        username: None,
        password_env: None,
        from: "Recouvrement Peugeot <recouvrement@peugeot.example>".into(),
        timeout_ms: Some(5_000),
    }
}

fn settings(sink: Option<&SmtpSink>, letters: &std::path::Path) -> DunningSettings {
    DunningSettings {
        smtp: sink.map(|s| smtp_at(s.addr().port())),
        letters_dir: letters.to_path_buf(),
        max_attempts: 5,
    }
}

fn email(conn: &mut DbConnection, buyer: &str, address: &str) {
    set_terms(
        conn,
        buyer,
        &TermsInput {
            email: Some(address.into()),
            ..Default::default()
        },
    )
    .unwrap();
}

fn actions(
    conn: &mut DbConnection,
    state: Option<&str>,
) -> Vec<factorgate::service::dunning::Action> {
    list_actions(
        conn,
        &ActionFilter {
            state: state.map(str::to_string),
            limit: Some(1000),
            ..Default::default()
        },
    )
    .unwrap()
    .items
}

#[test]
fn a_run_sends_each_step_once_and_suspends_disputes_and_promises() {
    for db in backends() {
        let mut c = db.store.conn().unwrap();
        let conn = &mut *c;
        let letters = tempfile::tempdir().unwrap();
        let sink = SmtpSink::start().unwrap();
        ecb_rates(conn);
        let (s, fr) = seller_and_buyer(conn, "Dupont SARL", "FR");
        let (_, de) = seller_and_buyer(conn, "Muller GmbH", "DE");
        let (_, nomail) = seller_and_buyer(conn, "Sans Adresse SA", "FR");
        email(conn, &fr, "compta@dupont.example");
        email(conn, &de, "ap@muller.example");
        // One plan for every class, with a formal notice by e-mail at D+20
        // and by letter at D+25.
        let steps = [
            "-5:email:courtesy",
            "1:email:reminder",
            "7:phone:task",
            "20:email:formal_notice",
            "25:formal_notice:formal_notice",
            "45:litigation:task",
        ]
        .iter()
        .map(|t| parse_step(t).unwrap())
        .collect();
        set_plan(conn, "test", steps).unwrap();
        for class in ["A", "B", "C", "D", "E"] {
            assign_plan(conn, class, "test").unwrap();
        }
        let e = parse_step("7:phone").unwrap_err();
        assert_eq!(e.code(), "dunning_step_invalid");

        // Run on 21 March 2026:
        invoice(
            &db,
            conn,
            (&s, &fr),
            "F-1",
            "2026-02-01",
            "2026-03-01",
            "1000.00",
        ); // D+20: formal notice e-mail
        invoice(
            &db,
            conn,
            (&s, &de),
            "F-2",
            "2026-02-18",
            "2026-03-20",
            "500.00",
        ); // D+1: reminder e-mail (English)
        invoice(
            &db,
            conn,
            (&s, &nomail),
            "F-3",
            "2026-02-19",
            "2026-03-21",
            "300.00",
        ); // D+0: courtesy, no address
        invoice(
            &db,
            conn,
            (&s, &fr),
            "F-4",
            "2026-02-01",
            "2026-03-01",
            "800.00",
        ); // disputed
        invoice(
            &db,
            conn,
            (&s, &fr),
            "F-5",
            "2026-02-08",
            "2026-03-10",
            "700.00",
        ); // promised
        invoice(
            &db,
            conn,
            (&s, &fr),
            "F-6",
            "2026-01-21",
            "2026-02-20",
            "1000.00",
        ); // D+29: letter
        invoice(
            &db,
            conn,
            (&s, &fr),
            "F-7",
            "2026-02-10",
            "2026-03-12",
            "200.00",
        ); // D+9: phone task
        invoice(
            &db,
            conn,
            (&s, &fr),
            "F-8",
            "2026-03-01",
            "2026-04-30",
            "900.00",
        ); // not yet in reach
        open_dispute(
            conn,
            &DisputeInput {
                invoice: "F-4".into(),
                reason: "price".into(),
                amount: "800.00".into(),
                owner: "alice".into(),
                notes: None,
                opened_on: d(2026, 3, 2),
            },
        )
        .unwrap();
        record_promise(
            conn,
            &PromiseInput {
                invoice: "F-5".into(),
                amount: "700.00".into(),
                promised_on: d(2026, 3, 25),
                recorded_on: d(2026, 3, 15),
                notes: None,
            },
        )
        .unwrap();

        let cfg = settings(Some(&sink), letters.path());
        let r = run_dunning(conn, &cfg, d(2026, 3, 21)).unwrap();
        assert_eq!(r.created, 5, "{}: {r:?}", db.name);
        assert_eq!(r.suspended_disputed, 1);
        assert_eq!(r.suspended_promised, 1);
        assert_eq!(
            (r.delivery.sent, r.delivery.written, r.delivery.failed),
            (2, 1, 0)
        );

        let mails = sink.wait_for(2, Duration::from_secs(5));
        assert_eq!(mails.len(), 2);
        let notice = mails
            .iter()
            .find(|m| m.to == ["compta@dupont.example"])
            .unwrap();
        assert_eq!(
            notice.header("Subject").as_deref(),
            Some("Mise en demeure : facture F-1")
        );
        // F-1: 1,000 due 1 March, 20 days late on 21 March at 2.15 + 10 =
        // 12.15 %: 1,000 x 12.15 % x 20 / 365 = 6.658 -> 6.66; EUR 40;
        // total 46.66 (French amounts with a decimal comma).
        let body = &notice.body();
        assert!(
            body.contains(
                "pénalités de retard (taux BCE + 10 points, soit 12,15 %, 20 jours) : 6,66 EUR"
            ),
            "{body}"
        );
        assert!(body.contains("frais de recouvrement : 40,00 EUR"), "{body}");
        assert!(body.contains("soit au total 46,66 EUR"), "{body}");
        let reminder = mails
            .iter()
            .find(|m| m.to == ["ap@muller.example"])
            .unwrap();
        assert_eq!(
            reminder.header("Subject").as_deref(),
            Some("Overdue: invoice F-2")
        );
        assert!(reminder
            .body()
            .contains("500.00 EUR is open (1 day(s) late)"));
        assert_eq!(reminder.from, "recouvrement@peugeot.example");

        // F-6: letter at D+25 (29 days late): 1,000 x 12.15 % x 29 / 365 =
        // 9.653 -> 9,65; total 49,65.
        let written = actions(conn, Some("written"));
        assert_eq!(written.len(), 1);
        let html = std::fs::read_to_string(written[0].file_path.as_ref().unwrap()).unwrap();
        assert!(
            html.contains("<h1>Mise en demeure : facture F-6</h1>"),
            "{html}"
        );
        assert!(
            html.contains("9,65 EUR") && html.contains("49,65 EUR"),
            "{html}"
        );
        // F-7: a phone call for a person; F-3: a message nobody can receive.
        let tasks = actions(conn, Some("open"));
        assert_eq!(tasks.len(), 1);
        assert_eq!(tasks[0].channel, "phone");
        assert_eq!(actions(conn, Some("no_recipient")).len(), 1);

        // The same day again: nothing new, nothing sent twice.
        let again = run_dunning(conn, &cfg, d(2026, 3, 21)).unwrap();
        assert_eq!(again.created, 0);
        assert_eq!(again.delivery.sent, 0);
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(sink.messages().len(), 2);

        // 26 March: F-5's promise (25 March) was not kept: broken, and
        // dunning resumes at its step (D+16: phone). F-1 reaches D+25
        // (letter), F-3 D+5 (reminder, still no address).
        let later = run_dunning(conn, &cfg, d(2026, 3, 26)).unwrap();
        assert_eq!(later.promises.broken, 1);
        assert_eq!(later.suspended_promised, 0);
        assert_eq!(later.created, 3);
        let f5_tasks: Vec<_> = actions(conn, Some("open"))
            .into_iter()
            .filter(|a| a.subject.as_deref().unwrap_or("").contains("F-5"))
            .collect();
        assert_eq!(f5_tasks.len(), 1);
    }
}

#[test]
fn e_mails_are_recorded_first_and_sent_when_a_server_is_there() {
    for db in backends() {
        let mut c = db.store.conn().unwrap();
        let conn = &mut *c;
        let letters = tempfile::tempdir().unwrap();
        let (s, fr) = seller_and_buyer(conn, "Dupont SARL", "FR");
        email(conn, &fr, "compta@dupont.example");
        invoice(
            &db,
            conn,
            (&s, &fr),
            "F-1",
            "2026-02-01",
            "2026-03-01",
            "1000.00",
        );
        // On 4 March the buyer's one invoice is overdue: overdue rate 100 %
        // = 25 points, class B, plan "standard": D+1 reminder by e-mail.
        // No SMTP server configured: the action waits, recorded.
        let r = run_dunning(conn, &settings(None, letters.path()), d(2026, 3, 4)).unwrap();
        assert_eq!(r.created, 1);
        assert_eq!(r.delivery.waiting_for_smtp, 1);
        assert_eq!(actions(conn, Some("to_send")).len(), 1);
        // A server that refuses connections: failed, kept for a retry.
        let dead = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let mut cfg = settings(None, letters.path());
        cfg.smtp = Some(smtp_at(dead));
        let rep = deliver_pending(conn, &cfg).unwrap();
        assert_eq!(rep.failed, 1);
        let failed = actions(conn, Some("failed"));
        assert_eq!(failed[0].attempts, 1);
        assert!(failed[0].last_error.is_some());
        // The next delivery with a live server sends it.
        let sink = SmtpSink::start().unwrap();
        let rep = deliver_pending(conn, &settings(Some(&sink), letters.path())).unwrap();
        assert_eq!(rep.sent, 1);
        let mails = sink.wait_for(1, Duration::from_secs(5));
        assert_eq!(mails[0].to, ["compta@dupont.example"]);
        assert_eq!(
            mails[0].header("Subject").as_deref(),
            Some("Relance : facture F-1 en retard de paiement")
        );
        assert_eq!(actions(conn, Some("sent"))[0].attempts, 2);
    }
}

#[test]
fn letters_that_cannot_be_written_wait_failed_and_are_written_by_the_next_delivery() {
    for db in backends() {
        let mut c = db.store.conn().unwrap();
        let conn = &mut *c;
        ecb_rates(conn);
        let scratch = tempfile::tempdir().unwrap();
        // A file where the letters folder should be: no letter can be written.
        let blocked = scratch.path().join("not-a-folder");
        std::fs::write(&blocked, "x").unwrap();
        let (s, b) = seller_and_buyer(conn, "Martin SAS", "FR");
        let numbers = ["L-1", "L-2", "L-3"];
        for n in numbers {
            invoice(
                &db,
                conn,
                (&s, &b),
                n,
                "2026-01-05",
                "2026-02-03",
                "1000.00",
            );
        }
        // On 4 March the three are 29 days late: overdue rate 100 % = class
        // B, plan "standard", whose step reached at D+20 is the formal
        // notice, a letter.
        let r = run_dunning(conn, &settings(None, &blocked), d(2026, 3, 4)).unwrap();
        assert_eq!(r.created, 3);
        assert_eq!((r.delivery.written, r.delivery.failed), (0, 3));
        let failed = actions(conn, Some("failed"));
        assert_eq!(failed.len(), 3);
        for a in &failed {
            assert_eq!(a.channel, "formal_notice");
            assert_eq!(a.attempts, 1);
            assert!(
                a.last_error
                    .as_deref()
                    .unwrap_or("")
                    .contains("not-a-folder"),
                "{:?}",
                a.last_error
            );
            assert_eq!(a.file_path, None);
        }
        // With a folder that can be written, the next delivery writes each
        // letter once, into the run day's folder, naming its invoice.
        let letters = scratch.path().join("letters");
        let rep = deliver_pending(conn, &settings(None, &letters)).unwrap();
        assert_eq!((rep.written, rep.failed), (3, 0));
        let written = actions(conn, Some("written"));
        assert_eq!(written.len(), 3);
        let mut seen: Vec<String> = Vec::new();
        for a in &written {
            assert_eq!(a.attempts, 2);
            assert_eq!(a.last_error, None);
            let path = std::path::PathBuf::from(a.file_path.as_deref().unwrap());
            assert_eq!(path.parent(), Some(letters.join("2026-03-04").as_path()));
            let html = std::fs::read_to_string(&path).unwrap();
            let named: Vec<&str> = numbers.into_iter().filter(|n| html.contains(n)).collect();
            assert_eq!(named.len(), 1, "{}", path.display());
            seen.push(named[0].to_string());
        }
        seen.sort();
        assert_eq!(seen, numbers);
        assert_eq!(
            std::fs::read_dir(letters.join("2026-03-04"))
                .unwrap()
                .count(),
            3
        );
        // Nothing waits any more.
        let again = deliver_pending(conn, &settings(None, &letters)).unwrap();
        assert_eq!((again.written, again.failed), (0, 0));
    }
}
