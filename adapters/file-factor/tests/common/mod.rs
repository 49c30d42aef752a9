//! Shared setup: the shipped profiles, temp folders, a sample assignment.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use factorgate_adapter::{
    Amount, AssignedDocument, AssignmentSubmission, BuyerIdentity, DocumentKind, LegalId,
    SellerIdentity,
};
use factorgate_file_factor::FileFactor;
use tempfile::TempDir;

pub fn repo_file(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(relative)
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub struct Folders {
    pub root: TempDir,
    pub outbox: PathBuf,
    pub inbox: PathBuf,
}

pub fn folders() -> Folders {
    let root = tempfile::tempdir().unwrap();
    let outbox = root.path().join("outbox");
    let inbox = root.path().join("inbox");
    std::fs::create_dir(&outbox).unwrap();
    std::fs::create_dir(&inbox).unwrap();
    Folders {
        root,
        outbox,
        inbox,
    }
}

pub fn factor(profile: &str, f: &Folders) -> FileFactor {
    let path = repo_file(&format!("schemas/{profile}/1/profile.toml"));
    FileFactor::new(&path, &f.outbox, &f.inbox).unwrap()
}

/// Visible files of a folder, sorted.
pub fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    names
}

pub fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

pub fn eur(minor: i64) -> Amount {
    Amount {
        minor,
        exponent: 2,
        currency: *b"EUR",
    }
}

fn buyer(name: &str, scheme: &str, id: &str) -> BuyerIdentity {
    BuyerIdentity {
        name: name.into(),
        country: "FR".into(),
        legal_ids: vec![LegalId {
            scheme: scheme.into(),
            value: id.into(),
        }],
        insurer_buyer_id: None,
    }
}

fn document(
    kind: DocumentKind,
    number: &str,
    b: BuyerIdentity,
    gross: i64,
    approved: i64,
) -> AssignedDocument {
    AssignedDocument {
        kind,
        number: number.into(),
        buyer: b,
        issue_date: day("2026-03-01"),
        due_date: day("2026-04-30"),
        gross: eur(gross),
        approved: eur(approved),
    }
}

/// F-1 6000.00 and F-2 10000.00, less credit note AV-1 1000.00: 15000.00.
pub fn assignment(key: &str, contract: &str, number: &str) -> AssignmentSubmission {
    let one = buyer("Acheteur Un SA", "0009", "55210055400013");
    let two = buyer("Acheteur Deux SARL", "0002", "732829320");
    AssignmentSubmission {
        idempotency_key: key.into(),
        contract_number: contract.into(),
        assignment_number: number.into(),
        seller: SellerIdentity {
            name: "Société Exemple SA".into(),
            siren: Some("443061841".into()),
            vat: None,
            iban: None,
        },
        assigned_on: day("2026-03-02"),
        documents: vec![
            document(DocumentKind::Invoice, "F-1", one, 600_000, 600_000),
            document(
                DocumentKind::Invoice,
                "F-2",
                two.clone(),
                1_000_000,
                750_000,
            ),
            document(DocumentKind::CreditNote, "AV-1", two, 100_000, 0),
        ],
        total: eur(1_500_000),
    }
}
