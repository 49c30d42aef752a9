//! Settings: a `factorgate.toml`, overridden by the environment, overridden
//! by command-line flags.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use factorgate_adapter::Secret;
use serde::Deserialize;

use crate::domain::aging::AgingBuckets;
use crate::domain::outbox::RetryPolicy;
use crate::error::ErrorCode;
use crate::ledger::Chart;

pub const DEFAULT_DATABASE: &str = "sqlite://factorgate.db";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{0}")]
    Invalid(String),
}

impl ErrorCode for ConfigError {
    fn code(&self) -> &'static str {
        match self {
            ConfigError::Read { .. } => "config_unreadable",
            ConfigError::Parse { .. } => "config_invalid",
            ConfigError::Invalid(_) => "config_invalid",
        }
    }
}

/// The file's shape. Every key is optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub database: Option<String>,
    pub bind: Option<String>,
    pub log_format: Option<String>,
    /// A chart-of-accounts file replacing the default French PCG.
    pub chart: Option<PathBuf>,
    pub aging_buckets: Option<Vec<u32>>,
    #[serde(default)]
    pub tls: Option<TlsConfig>,
    #[serde(default)]
    pub worker: WorkerConfig,
    /// Insurer connections by name (`[insurers.<name>]`).
    #[serde(default)]
    pub insurers: BTreeMap<String, InsurerConfig>,
    /// Factor connections by name (`[factors.<name>]`).
    #[serde(default)]
    pub factors: BTreeMap<String, FactorConfig>,
    /// The SMTP server dunning e-mails go through.
    pub smtp: Option<crate::service::dunning::SmtpConfig>,
    #[serde(default)]
    pub dunning: crate::service::dunning::DunningFileConfig,
}

/// `[worker]`: the outbox worker. Every key is optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerConfig {
    /// Run the worker inside `serve` (default true).
    pub enabled: Option<bool>,
    /// Wait between looks for due messages when there was nothing to do.
    pub poll_ms: Option<u64>,
    /// Messages taken at once.
    pub batch: Option<u32>,
    /// Time allowed for one call to the counterparty.
    pub timeout_ms: Option<u64>,
    /// How long a taken message stays reserved to its worker; longer than
    /// the timeout, so only a dead worker's message is taken over.
    pub lease_secs: Option<u64>,
    pub max_attempts: Option<u32>,
    pub backoff_base_ms: Option<u64>,
    pub backoff_max_secs: Option<u64>,
    /// Up to this fraction of each wait is added at random (0 to 1).
    pub jitter: Option<f64>,
    /// Wait before polling an insurer for a pending limit decision again.
    pub decision_poll_secs: Option<u64>,
}

/// `[insurers.<name>]`: how to reach one insurer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InsurerConfig {
    /// The adapter: `rest` (REST/JSON with OAuth2 client credentials).
    pub adapter: String,
    pub base_url: String,
    pub client_id: String,
    /// The secret itself, or `client_secret_env`: the variable holding it.
    pub client_secret: Option<Secret>,
    pub client_secret_env: Option<String>,
    /// Per HTTP exchange; the worker's `timeout_ms` when absent.
    pub timeout_ms: Option<u64>,
}

impl InsurerConfig {
    /// The client secret, from the file or the environment.
    pub fn secret(&self, name: &str) -> Result<Secret, ConfigError> {
        match (&self.client_secret, &self.client_secret_env) {
            (Some(s), None) => Ok(s.clone()),
            (None, Some(var)) => std::env::var(var).map(Secret::new).map_err(|_| {
                ConfigError::Invalid(format!(
                    "insurers.{name}.client_secret_env: environment variable {var} is not set"
                ))
            }),
            _ => Err(ConfigError::Invalid(format!(
                "insurers.{name}: give client_secret or client_secret_env (one of them)"
            ))),
        }
    }
}

/// `[factors.<name>]`: how to reach one factor. `adapter = "rest"` takes
/// `base_url`, `client_id`, `client_secret` (or `client_secret_env`) and
/// `timeout_ms`; `adapter = "file"` takes `profile` (a profile.toml under
/// `schemas/<factor>/<version>/`), `outbox` and `inbox` folders.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactorConfig {
    pub adapter: String,
    pub base_url: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
    pub client_secret_env: Option<String>,
    pub timeout_ms: Option<u64>,
    pub profile: Option<PathBuf>,
    pub outbox: Option<PathBuf>,
    pub inbox: Option<PathBuf>,
}

/// A factor connection once its keys are checked.
#[derive(Debug, Clone)]
pub enum FactorConnection {
    Rest {
        base_url: String,
        client_id: String,
        client_secret: Secret,
        timeout_ms: Option<u64>,
    },
    File {
        profile: PathBuf,
        outbox: PathBuf,
        inbox: PathBuf,
    },
}

impl FactorConfig {
    /// The connection's settings for its adapter: every key it needs,
    /// none of the other adapter's. The secret is read here, from the file
    /// or the environment.
    pub fn connection(&self, name: &str) -> Result<FactorConnection, ConfigError> {
        let invalid = |m: String| ConfigError::Invalid(format!("factors.{name}{m}"));
        let rest_keys = [
            ("base_url", self.base_url.is_some()),
            ("client_id", self.client_id.is_some()),
            ("client_secret", self.client_secret.is_some()),
            ("client_secret_env", self.client_secret_env.is_some()),
            ("timeout_ms", self.timeout_ms.is_some()),
        ];
        let file_keys = [
            ("profile", self.profile.is_some()),
            ("outbox", self.outbox.is_some()),
            ("inbox", self.inbox.is_some()),
        ];
        let stray = |keys: &[(&str, bool)], adapter: &str| match keys.iter().find(|(_, set)| *set) {
            Some((key, _)) => Err(invalid(format!(
                ".{key}: not a setting of the {adapter} adapter"
            ))),
            None => Ok(()),
        };
        match self.adapter.as_str() {
            "rest" => {
                stray(&file_keys, "rest")?;
                let (Some(base_url), Some(client_id)) = (&self.base_url, &self.client_id) else {
                    return Err(invalid(
                        ": the rest adapter needs base_url and client_id".into(),
                    ));
                };
                let client_secret = match (&self.client_secret, &self.client_secret_env) {
                    (Some(s), None) => s.clone(),
                    (None, Some(var)) => std::env::var(var).map(Secret::new).map_err(|_| {
                        invalid(format!(
                            ".client_secret_env: environment variable {var} is not set"
                        ))
                    })?,
                    _ => {
                        return Err(invalid(
                            ": give client_secret or client_secret_env (one of them)".into(),
                        ))
                    }
                };
                Ok(FactorConnection::Rest {
                    base_url: base_url.clone(),
                    client_id: client_id.clone(),
                    client_secret,
                    timeout_ms: self.timeout_ms,
                })
            }
            "file" => {
                stray(&rest_keys, "file")?;
                let (Some(profile), Some(outbox), Some(inbox)) =
                    (&self.profile, &self.outbox, &self.inbox)
                else {
                    return Err(invalid(
                        ": the file adapter needs profile, outbox and inbox".into(),
                    ));
                };
                if outbox == inbox {
                    return Err(invalid(
                        ": outbox and inbox must be different folders".into(),
                    ));
                }
                Ok(FactorConnection::File {
                    profile: profile.clone(),
                    outbox: outbox.clone(),
                    inbox: inbox.clone(),
                })
            }
            other => Err(invalid(format!(
                ".adapter: unknown adapter '{other}' (known: rest, file)"
            ))),
        }
    }
}

/// The worker's effective settings.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    pub enabled: bool,
    pub poll: Duration,
    pub batch: i64,
    pub timeout: Duration,
    pub lease: Duration,
    pub retry: RetryPolicy,
    pub decision_poll: Duration,
}

impl WorkerConfig {
    fn resolve(
        &self,
        enabled: Option<bool>,
        poll_ms: Option<u64>,
    ) -> Result<WorkerSettings, ConfigError> {
        let default = RetryPolicy::default();
        let timeout = Duration::from_millis(self.timeout_ms.unwrap_or(30_000));
        let lease = Duration::from_secs(self.lease_secs.unwrap_or(120));
        if lease <= timeout {
            return Err(ConfigError::Invalid(format!(
                "worker.lease_secs ({}) must be longer than worker.timeout_ms ({} ms): a live worker's message would be taken over",
                lease.as_secs(),
                timeout.as_millis()
            )));
        }
        let jitter = self.jitter.unwrap_or(default.jitter);
        if !(0.0..=1.0).contains(&jitter) {
            return Err(ConfigError::Invalid(format!(
                "worker.jitter {jitter} is not between 0 and 1"
            )));
        }
        let max_attempts = self.max_attempts.unwrap_or(default.max_attempts);
        if max_attempts == 0 {
            return Err(ConfigError::Invalid(
                "worker.max_attempts must be at least 1".into(),
            ));
        }
        Ok(WorkerSettings {
            enabled: enabled.or(self.enabled).unwrap_or(true),
            poll: Duration::from_millis(poll_ms.or(self.poll_ms).unwrap_or(1000).max(10)),
            batch: i64::from(self.batch.unwrap_or(8).clamp(1, 1000)),
            timeout,
            lease,
            retry: RetryPolicy {
                max_attempts,
                base: self
                    .backoff_base_ms
                    .map_or(default.base, Duration::from_millis),
                max_delay: self
                    .backoff_max_secs
                    .map_or(default.max_delay, Duration::from_secs),
                jitter,
            },
            decision_poll: Duration::from_secs(self.decision_poll_secs.unwrap_or(3600)),
        })
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM certificate chain.
    pub cert: PathBuf,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// Effective settings after file, environment and flags.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database: String,
    pub bind: String,
    pub tls: Option<TlsConfig>,
    pub chart_path: Option<PathBuf>,
    pub aging_buckets: Vec<u32>,
    pub worker: WorkerSettings,
    pub insurers: BTreeMap<String, InsurerConfig>,
    pub factors: BTreeMap<String, FactorConfig>,
    pub dunning: crate::service::dunning::DunningSettings,
}

impl FileConfig {
    /// Reads `path`; a missing default file is not an error, a missing file
    /// the user named is.
    pub fn load(path: &Path, required: bool) -> Result<FileConfig, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => toml::from_str(&text).map_err(|e| ConfigError::Parse {
                path: path.to_path_buf(),
                message: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
                Ok(FileConfig::default())
            }
            Err(source) => Err(ConfigError::Read {
                path: path.to_path_buf(),
                source,
            }),
        }
    }
}

/// Values given on the command line or in the environment (clap reads both).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub database: Option<String>,
    pub bind: Option<String>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// `serve --no-worker`.
    pub worker_enabled: Option<bool>,
    /// `worker --poll-ms`.
    pub poll_ms: Option<u64>,
}

impl Settings {
    pub fn resolve(file: FileConfig, over: Overrides) -> Result<Settings, ConfigError> {
        let tls = match (over.tls_cert, over.tls_key) {
            (Some(cert), Some(key)) => Some(TlsConfig { cert, key }),
            (None, None) => file.tls,
            _ => {
                return Err(ConfigError::Invalid(
                    "TLS needs both --tls-cert and --tls-key".into(),
                ))
            }
        };
        Ok(Settings {
            database: over
                .database
                .or(file.database)
                .unwrap_or_else(|| DEFAULT_DATABASE.to_string()),
            bind: over
                .bind
                .or(file.bind)
                .unwrap_or_else(|| DEFAULT_BIND.to_string()),
            tls,
            chart_path: file.chart,
            aging_buckets: file.aging_buckets.unwrap_or_else(|| vec![30, 60, 90]),
            worker: file.worker.resolve(over.worker_enabled, over.poll_ms)?,
            dunning: crate::service::dunning::DunningSettings::resolve(file.smtp, &file.dunning),
            insurers: file.insurers,
            factors: file.factors,
        })
    }

    pub fn chart(&self) -> Result<Chart, ConfigError> {
        match &self.chart_path {
            None => Ok(Chart::pcg_default()),
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.clone(),
                    source,
                })?;
                Chart::from_toml_str(&text).map_err(|e| ConfigError::Parse {
                    path: path.clone(),
                    message: e.to_string(),
                })
            }
        }
    }

    pub fn aging(&self) -> Result<AgingBuckets, ConfigError> {
        AgingBuckets::new(self.aging_buckets.clone())
            .map_err(|e| ConfigError::Invalid(format!("aging_buckets: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_file_and_defaults_fill_the_rest() {
        let file: FileConfig =
            toml::from_str("database = \"sqlite://a.db\"\nbind = \"0.0.0.0:9000\"").unwrap();
        let s = Settings::resolve(
            file,
            Overrides {
                database: Some("postgres://x@h/db".into()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(s.database, "postgres://x@h/db");
        assert_eq!(s.bind, "0.0.0.0:9000");
        assert_eq!(s.aging_buckets, vec![30, 60, 90]);
        let s = Settings::resolve(FileConfig::default(), Overrides::default()).unwrap();
        assert_eq!(s.database, DEFAULT_DATABASE);
    }

    #[test]
    fn worker_and_insurer_connections_are_read_with_defaults() {
        let file: FileConfig = toml::from_str(
            "[worker]\ntimeout_ms = 5000\nlease_secs = 10\nmax_attempts = 3\n\
             [insurers.acme]\nadapter = \"rest\"\nbase_url = \"http://127.0.0.1:1\"\n\
             client_id = \"fg\"\nclient_secret = \"hunter2\"\n",
        )
        .unwrap();
        let s = Settings::resolve(file, Overrides::default()).unwrap();
        assert!(s.worker.enabled);
        assert_eq!(s.worker.timeout, Duration::from_secs(5));
        assert_eq!(s.worker.retry.max_attempts, 3);
        assert_eq!(s.worker.retry.base, RetryPolicy::default().base);
        let acme = &s.insurers["acme"];
        assert_eq!(acme.secret("acme").unwrap().expose(), "hunter2");
        // The secret never reaches a log line.
        assert!(!format!("{acme:?}").contains("hunter2"));
        // A lease no longer than the timeout would steal live calls.
        let file: FileConfig =
            toml::from_str("[worker]\ntimeout_ms = 5000\nlease_secs = 5\n").unwrap();
        let err = Settings::resolve(file, Overrides::default()).unwrap_err();
        assert!(err.to_string().contains("lease_secs"), "{err}");
        let off = Settings::resolve(
            FileConfig::default(),
            Overrides {
                worker_enabled: Some(false),
                ..Default::default()
            },
        )
        .unwrap();
        assert!(!off.worker.enabled);
    }

    #[test]
    fn factor_connections_are_checked_per_adapter() {
        let file: FileConfig = toml::from_str(
            "[factors.sandbox]\nadapter = \"rest\"\nbase_url = \"http://127.0.0.1:8090\"\n\
             client_id = \"factorgate\"\nclient_secret = \"sandbox-secret\"\n\
             [factors.ff]\nadapter = \"file\"\nprofile = \"schemas/factofrance/1/profile.toml\"\n\
             outbox = \"out\"\ninbox = \"in\"\n",
        )
        .unwrap();
        let s = Settings::resolve(file, Overrides::default()).unwrap();
        match s.factors["sandbox"].connection("sandbox").unwrap() {
            FactorConnection::Rest {
                base_url,
                client_secret,
                ..
            } => {
                assert_eq!(base_url, "http://127.0.0.1:8090");
                assert_eq!(client_secret.expose(), "sandbox-secret");
            }
            other => panic!("{other:?}"),
        }
        match s.factors["ff"].connection("ff").unwrap() {
            FactorConnection::File { outbox, inbox, .. } => {
                assert_eq!((outbox, inbox), (PathBuf::from("out"), PathBuf::from("in")));
            }
            other => panic!("{other:?}"),
        }
        let refused = |text: &str| {
            let file: FileConfig = toml::from_str(text).unwrap();
            let (name, c) = file.factors.iter().next().unwrap();
            c.connection(name).unwrap_err().to_string()
        };
        let e = refused("[factors.x]\nadapter = \"file\"\nprofile = \"p\"\noutbox = \"o\"\n");
        assert!(
            e.contains("factors.x") && e.contains("profile, outbox and inbox"),
            "{e}"
        );
        let e = refused("[factors.x]\nadapter = \"file\"\nprofile = \"p\"\noutbox = \"o\"\ninbox = \"i\"\nbase_url = \"http://h\"\n");
        assert!(
            e.contains("factors.x.base_url: not a setting of the file adapter"),
            "{e}"
        );
        let e = refused(
            "[factors.x]\nadapter = \"rest\"\nbase_url = \"http://h\"\nclient_id = \"c\"\n",
        );
        assert!(e.contains("client_secret or client_secret_env"), "{e}");
        let e = refused("[factors.x]\nadapter = \"sftp\"\n");
        assert!(e.contains("unknown adapter 'sftp'"), "{e}");
        assert!(
            toml::from_str::<FileConfig>("[factors.x]\nadapter = \"file\"\nprofil = \"p\"\n")
                .is_err()
        );
    }

    #[test]
    fn unknown_keys_and_half_tls_are_refused() {
        assert!(toml::from_str::<FileConfig>("databse = \"x\"").is_err());
        let err = Settings::resolve(
            FileConfig::default(),
            Overrides {
                tls_cert: Some("c.pem".into()),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(err.to_string().contains("--tls-key"));
    }
}
