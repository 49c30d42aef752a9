//! What factorgate asks of a counterparty, in its own words.
//!
//! Adapters are typed glue: they hold no state beyond a cached access
//! token, touch no database and never retry on their own. The gateway's
//! outbox owns retries, timeouts and the record of every attempt, and
//! gives each request an idempotency key derived from the stored message,
//! so a retry is recognised by the counterparty as the same request.

mod error;
mod factor;
mod insurer;
mod secret;

pub use error::AdapterError;
pub use factor::*;
pub use insurer::*;
pub use secret::Secret;
