//! The insurer connections of the configuration, each behind its adapter.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use factorgate_adapter::InsurerAdapter;

use factorgate_rest_insurer::{RestInsurer, RestInsurerConfig};

use crate::config::{ConfigError, InsurerConfig};

/// Adapters by connection name (`[insurers.<name>]`). Cheap to clone.
#[derive(Clone, Default)]
pub struct Connections {
    insurers: BTreeMap<String, Arc<dyn InsurerAdapter>>,
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
        Ok(Connections { insurers })
    }

    /// A connection under a name of the caller's choosing (tests, embedding).
    pub fn with(mut self, name: &str, adapter: Arc<dyn InsurerAdapter>) -> Connections {
        self.insurers.insert(name.to_string(), adapter);
        self
    }

    pub fn insurer(&self, name: &str) -> Option<&Arc<dyn InsurerAdapter>> {
        self.insurers.get(name)
    }

    pub fn names(&self) -> Vec<String> {
        self.insurers.keys().cloned().collect()
    }
}
