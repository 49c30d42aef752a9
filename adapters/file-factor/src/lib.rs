//! Factors that exchange files: a profile (TOML, under
//! `schemas/<factor>/<version>/profile.toml`) says how our assignment is
//! written as the factor's schedule, and how its statement files read
//! back. Adding such a factor takes a profile, not code.
//!
//! Schedules go to an outbox folder, whole (temporary name, then rename);
//! acknowledgements and statements are read from an inbox folder. Moving
//! the files to and from the factor (SFTP, portal) is outside: the
//! adapter holds no state but what it writes there.

mod funding;
mod outbox;
pub mod profile;
mod schedule;
mod statement;
mod statement_profile;
pub mod text;

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use chrono::NaiveDate;
use factorgate_adapter::{
    AdapterError, AssignmentAnswer, AssignmentStatus, AssignmentSubmission, DebtorApprovalRequest,
    FactorAdapter, FactorStatement, FundingAnswer, FundingRequest, FundingStatus, LimitAnswer,
    RejectedDocument,
};
use tracing::Instrument;

pub use outbox::Written;
pub use profile::{Profile, ProfileError};
pub use statement::{read_statement, StatementError};

/// A factor reached through folders, as its profile describes.
pub struct FileFactor {
    profile: Profile,
    outbox: PathBuf,
    inbox: PathBuf,
}

/// Folders that must exist before the first call.
fn check_folder(kind: &'static str, path: &Path) -> Result<(), ProfileError> {
    if path.is_dir() {
        Ok(())
    } else {
        Err(ProfileError::FolderMissing {
            kind,
            path: path.to_path_buf(),
        })
    }
}

impl FileFactor {
    /// Loads and checks the profile; the folders must exist.
    pub fn new(
        profile_path: &Path,
        outbox: &Path,
        inbox: &Path,
    ) -> Result<FileFactor, ProfileError> {
        let profile = Profile::from_file(profile_path)?;
        FileFactor::with_profile(profile, outbox, inbox)
    }

    pub fn with_profile(
        profile: Profile,
        outbox: &Path,
        inbox: &Path,
    ) -> Result<FileFactor, ProfileError> {
        check_folder("outbox", outbox)?;
        check_folder("inbox", inbox)?;
        Ok(FileFactor {
            profile,
            outbox: outbox.to_path_buf(),
            inbox: inbox.to_path_buf(),
        })
    }

    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The schedule's bytes for an assignment, as they would be written.
    pub fn render_schedule(
        &self,
        a: &AssignmentSubmission,
    ) -> Result<(String, Vec<u8>), AdapterError> {
        let bytes =
            schedule::render(&self.profile.schedule, a).map_err(|e| AdapterError::Rejected {
                code: e.code.into(),
                message: e.message,
            })?;
        Ok((schedule::file_name(&self.profile.schedule, a), bytes))
    }

    fn not_supported(&self, what: &str) -> AdapterError {
        AdapterError::Rejected {
            code: "not_supported_by_profile".into(),
            message: format!(
                "profile {}/{} exchanges no {what} files: ask the factor through its portal",
                self.profile.factor, self.profile.version
            ),
        }
    }

    fn pending(reference: &str, raw: &str) -> AssignmentAnswer {
        AssignmentAnswer {
            reference: reference.to_string(),
            status: AssignmentStatus::Pending,
            raw_status: raw.to_string(),
            rejected: Vec::new(),
            advance: None,
            value_date: None,
        }
    }

    /// The acknowledgement of the schedule `reference`, if one is in.
    fn read_acknowledgement(&self, reference: &str) -> Result<AssignmentAnswer, AdapterError> {
        let Some(ack) = &self.profile.acknowledgement else {
            return Ok(Self::pending(reference, "NOT_ACKNOWLEDGED_BY_FILE"));
        };
        let stem = Path::new(reference)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| reference.to_string());
        let path = self.inbox.join(ack.file_name.replace("{stem}", &stem));
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Self::pending(reference, "NO_ACKNOWLEDGEMENT_YET"))
            }
            Err(e) => {
                return Err(AdapterError::Transport(format!(
                    "cannot read {}: {e}",
                    path.display()
                )))
            }
        };
        let text = text::decode(&bytes);
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        let raw = lines.next().unwrap_or_default().trim().to_string();
        let status = ack
            .statuses
            .get(&raw)
            .copied()
            .unwrap_or(AssignmentStatus::Pending);
        let mut rejected = Vec::new();
        for (i, line) in lines.enumerate() {
            let Some((number, reason)) = line.split_once(ack.delimiter) else {
                return Err(AdapterError::Protocol(format!(
                    "acknowledgement {}, line {}: expected number{}reason",
                    path.display(),
                    i + 2,
                    ack.delimiter
                )));
            };
            rejected.push(RejectedDocument {
                number: number.trim().to_string(),
                reason: reason.trim().to_string(),
            });
        }
        Ok(AssignmentAnswer {
            reference: reference.to_string(),
            status,
            raw_status: raw,
            rejected,
            advance: None,
            value_date: None,
        })
    }

    /// Statement files in the inbox, by name (their names sort by date
    /// for every factor we know; the answer is sorted by issue date anyway).
    fn statement_files(&self) -> Result<Vec<PathBuf>, AdapterError> {
        let s = &self.profile.statement;
        let entries = std::fs::read_dir(&self.inbox).map_err(|e| {
            AdapterError::Transport(format!("cannot list {}: {e}", self.inbox.display()))
        })?;
        let mut files = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| AdapterError::Transport(e.to_string()))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let wanted = !name.starts_with('.')
                && name.starts_with(&s.file_prefix)
                && name.ends_with(&s.file_suffix);
            if wanted && entry.path().is_file() {
                files.push(entry.path());
            }
        }
        files.sort();
        Ok(files)
    }
}

#[async_trait]
impl FactorAdapter for FileFactor {
    fn name(&self) -> &str {
        "file"
    }

    async fn submit_assignment(
        &self,
        a: &AssignmentSubmission,
    ) -> Result<AssignmentAnswer, AdapterError> {
        let span = tracing::info_span!(
            "factor_call",
            adapter = "file",
            profile = %self.profile.factor,
            operation = "submit_assignment",
            idempotency_key = %a.idempotency_key,
        );
        async {
            let (name, bytes) = self.render_schedule(a)?;
            let written = outbox::write_once(&self.outbox, &name, &a.idempotency_key, &bytes)?;
            tracing::info!(file = %name, ?written, documents = a.documents.len(), "schedule in the outbox");
            Ok(Self::pending(&name, "WRITTEN_TO_OUTBOX"))
        }
        .instrument(span)
        .await
    }

    async fn assignment_status(&self, reference: &str) -> Result<AssignmentAnswer, AdapterError> {
        let span = tracing::info_span!(
            "factor_call",
            adapter = "file",
            operation = "assignment_status",
            reference
        );
        async { self.read_acknowledgement(reference) }
            .instrument(span)
            .await
    }

    async fn request_funding(
        &self,
        request: &FundingRequest,
    ) -> Result<FundingAnswer, AdapterError> {
        let Some(funding) = &self.profile.funding_request else {
            return Err(self.not_supported("funding request"));
        };
        let span = tracing::info_span!(
            "factor_call",
            adapter = "file",
            profile = %self.profile.factor,
            operation = "request_funding",
            idempotency_key = %request.idempotency_key,
        );
        async {
            let name = funding.file_name(request);
            let bytes = funding
                .render(request)
                .map_err(|message| AdapterError::Rejected {
                    code: "funding_file_unwritable".into(),
                    message,
                })?;
            let written =
                outbox::write_once(&self.outbox, &name, &request.idempotency_key, &bytes)?;
            tracing::info!(file = %name, ?written, "funding request in the outbox");
            Ok(FundingAnswer {
                reference: name,
                status: FundingStatus::Pending,
                raw_status: "WRITTEN_TO_OUTBOX".into(),
                amount: None,
                value_date: None,
                note: None,
            })
        }
        .instrument(span)
        .await
    }

    async fn request_approval(
        &self,
        _request: &DebtorApprovalRequest,
    ) -> Result<LimitAnswer, AdapterError> {
        Err(self.not_supported("debtor approval"))
    }

    async fn poll_approval(&self, _reference: &str) -> Result<LimitAnswer, AdapterError> {
        Err(self.not_supported("debtor approval"))
    }

    async fn fetch_statements(
        &self,
        contract_number: &str,
        since: NaiveDate,
    ) -> Result<Vec<FactorStatement>, AdapterError> {
        let span = tracing::info_span!(
            "factor_call",
            adapter = "file",
            profile = %self.profile.factor,
            operation = "fetch_statements",
            contract_number,
            %since,
        );
        async {
            let mut out = Vec::new();
            for path in self.statement_files()? {
                let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let bytes = std::fs::read(&path)
                    .map_err(|e| AdapterError::Transport(format!("cannot read {}: {e}", path.display())))?;
                let statement = read_statement(&self.profile.statement, &name, &bytes).map_err(|e| {
                    tracing::warn!(file = %name, line = e.line, field = %e.field, "statement file refused");
                    AdapterError::Protocol(e.to_string())
                })?;
                let ours = statement.contract_number.is_empty() || statement.contract_number == contract_number;
                if ours && statement.issued_on >= since {
                    out.push(statement);
                }
            }
            out.sort_by(|a, b| (a.issued_on, &a.statement_id).cmp(&(b.issued_on, &b.statement_id)));
            Ok(out)
        }
        .instrument(span)
        .await
    }
}
