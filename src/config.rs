//! Settings: a `factorgate.toml`, overridden by the environment, overridden
//! by command-line flags.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::domain::aging::AgingBuckets;
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
