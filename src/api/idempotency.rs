//! `Idempotency-Key` on POST: the first answer is kept per (API key,
//! idempotency key) and replayed to a retry that sends the same request; the
//! same key with another method, path or body is a 409.
//!
//! The key is claimed before the handler runs (a row with status 0), so two
//! concurrent requests with one key never both act: the second gets 409
//! `idempotency_key_in_progress`. The answer is written when the handler
//! returns; an answer of status 500 or more is not kept (the claim is
//! dropped, so the client may retry). A claim left by a crashed process is
//! taken over after [`STALE_AFTER`].

use actix_web::http::header::HeaderValue;
use actix_web::http::StatusCode;
use chrono::Duration;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use sha2::{Digest, Sha256};

use super::call::Reply;
use super::problem::Problem;
use crate::service::{now, ServiceError};
use crate::store::rows::IdempotencyRow;
use crate::store::schema::idempotency_keys as ik;
use crate::store::{DbConnection, Store};

pub const HEADER: &str = "idempotency-key";
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
/// Status of a claimed key whose request has not answered yet.
const IN_FLIGHT: i32 = 0;

/// After this long, an unanswered claim is presumed dead and may be retaken.
pub fn stale_after() -> Duration {
    Duration::minutes(5)
}

/// One idempotent request.
#[derive(Debug, Clone)]
pub struct IdemRequest {
    pub api_key_id: String,
    pub key: String,
    pub method: String,
    pub path: String,
    pub request_hash: String,
}

pub enum Claim {
    /// The key is ours: run the handler, then [`finish`].
    Fresh,
    /// The request was answered before: send this again.
    Replay(Reply),
}

/// 1 to 255 printable ASCII characters.
pub fn parse_key(value: &HeaderValue) -> Result<String, Problem> {
    let bytes = value.as_bytes();
    if bytes.is_empty() || bytes.len() > 255 || !bytes.iter().all(|b| (0x20..=0x7e).contains(b)) {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "idempotency_key_invalid",
            "Idempotency-Key must be 1 to 255 printable ASCII characters",
        )
        .with_field("Idempotency-Key"));
    }
    Ok(String::from_utf8_lossy(bytes).into_owned())
}

pub fn body_hash(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

pub async fn claim(store: &Store, req: IdemRequest) -> Result<Claim, Problem> {
    store
        .run(move |conn| claim_in(conn, &req))
        .await
        .map_err(Problem::from)?
}

fn claim_in(
    conn: &mut DbConnection,
    req: &IdemRequest,
) -> Result<Result<Claim, Problem>, ServiceError> {
    let row = IdempotencyRow {
        api_key_id: req.api_key_id.clone(),
        idem_key: req.key.clone(),
        method: req.method.clone(),
        path: req.path.clone(),
        request_hash: req.request_hash.clone(),
        status: IN_FLIGHT,
        response_body: String::new(),
        created_at: now(),
    };
    match diesel::insert_into(ik::table).values(&row).execute(conn) {
        Ok(_) => return Ok(Ok(Claim::Fresh)),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {}
        Err(e) => return Err(e.into()),
    }
    let prior: Option<IdempotencyRow> = ik::table
        .find((&req.api_key_id, &req.key))
        .select(IdempotencyRow::as_select())
        .first(conn)
        .optional()?;
    let Some(prior) = prior else {
        // The claim was dropped (a 5xx) between our insert and our read.
        return Ok(Err(in_progress()));
    };
    if prior.method != req.method
        || prior.path != req.path
        || prior.request_hash != req.request_hash
    {
        return Ok(Err(Problem::new(
            StatusCode::CONFLICT,
            "idempotency_key_reused",
            format!(
                "Idempotency-Key '{}' was used for another request ({} {} with a different body or path)",
                req.key, prior.method, prior.path
            ),
        )
        .with_field("Idempotency-Key")));
    }
    if prior.status != IN_FLIGHT {
        return Ok(Ok(Claim::Replay(Reply::stored(
            u16::try_from(prior.status).unwrap_or(200),
            prior.response_body,
        ))));
    }
    if prior.created_at + stale_after() > now() {
        return Ok(Err(in_progress()));
    }
    // A dead claim: take it over, unless another retry just did.
    let taken = diesel::update(
        ik::table.find((&req.api_key_id, &req.key)).filter(
            ik::status
                .eq(IN_FLIGHT)
                .and(ik::created_at.eq(prior.created_at)),
        ),
    )
    .set(ik::created_at.eq(now()))
    .execute(conn)?;
    Ok(if taken == 1 {
        Ok(Claim::Fresh)
    } else {
        Err(in_progress())
    })
}

fn in_progress() -> Problem {
    Problem::new(
        StatusCode::CONFLICT,
        "idempotency_key_in_progress",
        "a request with this Idempotency-Key is still being processed; retry later",
    )
    .with_field("Idempotency-Key")
}

/// Records the answer (status < 500) or releases the claim (5xx).
pub async fn finish(store: &Store, req: IdemRequest, reply: &Reply) {
    let status = i32::from(reply.status.as_u16());
    let body = String::from_utf8_lossy(&reply.body).into_owned();
    let result = store
        .run(move |conn| -> Result<usize, ServiceError> {
            let target = ik::table
                .find((&req.api_key_id, &req.key))
                .filter(ik::status.eq(IN_FLIGHT));
            if status < 500 {
                Ok(diesel::update(target)
                    .set((ik::status.eq(status), ik::response_body.eq(body)))
                    .execute(conn)?)
            } else {
                Ok(diesel::delete(target).execute(conn)?)
            }
        })
        .await;
    if let Err(e) = result {
        tracing::error!(error = %e, "could not record the idempotent response");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_printable_ascii_up_to_255() {
        assert_eq!(
            parse_key(&HeaderValue::from_static("abc-123 x")).unwrap(),
            "abc-123 x"
        );
        assert!(parse_key(&HeaderValue::from_static("")).is_err());
        let long = "k".repeat(256);
        assert!(parse_key(&HeaderValue::from_str(&long).unwrap()).is_err());
        assert!(parse_key(&HeaderValue::from_str(&"k".repeat(255)).unwrap()).is_ok());
        let tab = HeaderValue::from_bytes(b"a\tb").unwrap();
        assert_eq!(parse_key(&tab).unwrap_err().code, "idempotency_key_invalid");
        let latin = HeaderValue::from_bytes(b"caf\xe9").unwrap();
        assert!(parse_key(&latin).is_err());
    }

    #[test]
    fn hash_is_sha256_hex() {
        assert_eq!(
            body_hash(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
