//! The HTTP API (actix-web): thin handlers over `service`.

use crate::config::Settings;
use crate::service::Context;
use crate::store::Store;

pub async fn serve(_store: Store, _ctx: Context, _settings: Settings) -> std::io::Result<()> {
    Err(std::io::Error::other("not yet"))
}
