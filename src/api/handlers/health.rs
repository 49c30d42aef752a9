//! `GET /healthz`: the process answers and the database runs a query.

use actix_web::http::StatusCode;
use diesel::connection::SimpleConnection;

use crate::api::call::{Call, Reply};
use crate::api::problem::Problem;
use crate::service::ServiceError;
use crate::store::StoreError;

pub async fn healthz(call: Call) -> Result<Reply, Problem> {
    let checked = call
        .state
        .store
        .run(|conn| -> Result<(), ServiceError> {
            conn.batch_execute("SELECT 1")
                .map_err(|e| ServiceError::Store(StoreError::Query(e)))
        })
        .await;
    match checked {
        Ok(()) => Reply::ok(&serde_json::json!({"status": "ok"})),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            Err(Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "database_unavailable",
                "the database does not answer",
            ))
        }
    }
}
