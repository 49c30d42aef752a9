//! The insurer and factor connections of the configuration, each behind
//! its adapter.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use factorgate_adapter::{FactorAdapter, InsurerAdapter};

use factorgate_file_factor::FileFactor;
use factorgate_rest_factor::{RestFactor, RestFactorConfig};
use factorgate_rest_insurer::{RestInsurer, RestInsurerConfig};

use crate::config::{ConfigError, FactorConfig, FactorConnection, InsurerConfig, Settings};

/// Adapters by connection name (`[insurers.<name>]`, `[factors.<name>]`).
/// Cheap to clone.
#[derive(Clone, Default)]
pub struct Connections {
    insurers: BTreeMap<String, Arc<dyn InsurerAdapter>>,
    factors: BTreeMap<String, Arc<dyn FactorAdapter>>,
}

impl Connections {
    /// Builds one adapter per configured connection; a connection that
    /// names an unknown adapter or lacks its secret is refused here, at
    /// start-up, not at its first call. `default_timeout` applies to a
    /// connection without its own `timeout_ms`.
    pub fn from_config(
        config: &BTreeMap<String, InsurerConfig>,
        default_timeout: Duration,
    ) -> Result<Connections, ConfigError> {
        let mut insurers: BTreeMap<String, Arc<dyn InsurerAdapter>> = BTreeMap::new();
        for (name, c) in config {
            let adapter: Arc<dyn InsurerAdapter> = match c.adapter.as_str() {
                "rest" => Arc::new(
                    RestInsurer::new(RestInsurerConfig {
                        base_url: c.base_url.clone(),
                        client_id: c.client_id.clone(),
                        client_secret: c.secret(name)?,
                        timeout: c.timeout_ms.map_or(default_timeout, Duration::from_millis),
                    })
                    .map_err(|e| ConfigError::Invalid(format!("insurers.{name}: {e}")))?,
                ),
                other => {
                    return Err(ConfigError::Invalid(format!(
                        "insurers.{name}.adapter: unknown adapter '{other}' (known: rest)"
                    )))
                }
            };
            insurers.insert(name.clone(), adapter);
        }
        Ok(Connections {
            insurers,
            factors: BTreeMap::new(),
        })
    }

    /// Every insurer and factor connection of the settings, each checked
    /// at start-up.
    pub fn from_settings(settings: &Settings) -> Result<Connections, ConfigError> {
        Connections::from_config(&settings.insurers, settings.worker.timeout)?
            .with_factors_from_config(&settings.factors, settings.worker.timeout)
    }

    /// Adds one factor adapter per `[factors.<name>]`: a `rest` one, or a
    /// `file` one whose profile is loaded and checked now (a profile with
    /// a missing column fails start-up, naming it).
    pub fn with_factors_from_config(
        mut self,
        config: &BTreeMap<String, FactorConfig>,
        default_timeout: Duration,
    ) -> Result<Connections, ConfigError> {
        for (name, c) in config {
            let adapter: Arc<dyn FactorAdapter> = match c.connection(name)? {
                FactorConnection::Rest {
                    base_url,
                    client_id,
                    client_secret,
                    timeout_ms,
                } => Arc::new(
                    RestFactor::new(RestFactorConfig {
                        base_url,
                        client_id,
                        client_secret,
                        timeout: timeout_ms.map_or(default_timeout, Duration::from_millis),
                    })
                    .map_err(|e| ConfigError::Invalid(format!("factors.{name}: {e}")))?,
                ),
                FactorConnection::File {
                    profile,
                    outbox,
                    inbox,
                } => Arc::new(FileFactor::new(&profile, &outbox, &inbox).map_err(|e| {
                    ConfigError::Invalid(format!("factors.{name}: [{}] {e}", e.code()))
                })?),
            };
            self.factors.insert(name.clone(), adapter);
        }
        Ok(self)
    }

    /// A factor connection under a name of the caller's choosing.
    pub fn with_factor(mut self, name: &str, adapter: Arc<dyn FactorAdapter>) -> Connections {
        self.factors.insert(name.to_string(), adapter);
        self
    }

    pub fn factor(&self, name: &str) -> Option<&Arc<dyn FactorAdapter>> {
        self.factors.get(name)
    }

    pub fn factor_names(&self) -> Vec<String> {
        self.factors.keys().cloned().collect()
    }

    /// A connection under a name of the caller's choosing (tests, embedding).
    pub fn with(mut self, name: &str, adapter: Arc<dyn InsurerAdapter>) -> Connections {
        self.insurers.insert(name.to_string(), adapter);
        self
    }

    pub fn insurer(&self, name: &str) -> Option<&Arc<dyn InsurerAdapter>> {
        self.insurers.get(name)
    }

    /// Every connection name, insurers' and factors': the worker takes the
    /// messages of these.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .insurers
            .keys()
            .chain(self.factors.keys())
            .cloned()
            .collect();
        names.sort();
        names.dedup();
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn factors(text: &str) -> BTreeMap<String, FactorConfig> {
        #[derive(serde::Deserialize)]
        struct File {
            factors: BTreeMap<String, FactorConfig>,
        }
        toml::from_str::<File>(text).unwrap().factors
    }

    #[test]
    fn factor_adapters_are_built_from_config_and_a_bad_profile_fails_start_up() {
        let root = env!("CARGO_MANIFEST_DIR");
        let dir = tempfile::tempdir().unwrap();
        let (outbox, inbox) = (dir.path().join("out"), dir.path().join("in"));
        std::fs::create_dir(&outbox).unwrap();
        std::fs::create_dir(&inbox).unwrap();
        let text = format!(
            "[factors.ff]\nadapter = \"file\"\nprofile = \"{root}/schemas/factofrance/1/profile.toml\"\n\
             outbox = \"{}\"\ninbox = \"{}\"\n\
             [factors.sandbox]\nadapter = \"rest\"\nbase_url = \"http://127.0.0.1:8090\"\n\
             client_id = \"factorgate\"\nclient_secret = \"sandbox-secret\"\n",
            outbox.display(),
            inbox.display()
        );
        let c = Connections::default()
            .with_factors_from_config(&factors(&text), Duration::from_secs(5))
            .unwrap();
        assert_eq!(c.factor_names(), ["ff", "sandbox"]);
        assert_eq!(c.factor("ff").map(|f| f.name()), Some("file"));
        assert_eq!(c.factor("sandbox").map(|f| f.name()), Some("rest"));
        assert!(c.factor("other").is_none());

        // A profile without its statement amount is refused, named.
        let broken = dir.path().join("broken.toml");
        let profile =
            std::fs::read_to_string(format!("{root}/schemas/csv-factor/1/profile.toml")).unwrap();
        std::fs::write(
            &broken,
            profile.replace("amount = { value = \"amount\" }\n", ""),
        )
        .unwrap();
        let text = format!(
            "[factors.csv]\nadapter = \"file\"\nprofile = \"{}\"\noutbox = \"{}\"\ninbox = \"{}\"\n",
            broken.display(),
            outbox.display(),
            inbox.display()
        );
        let e = Connections::default()
            .with_factors_from_config(&factors(&text), Duration::from_secs(5))
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.contains("factors.csv: [profile_invalid]") && e.contains("missing field `amount`"),
            "{e}"
        );
    }
}
