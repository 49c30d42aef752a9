//! Payments received and their allocation to invoices.

use actix_web::http::StatusCode;

use crate::api::call::{check_limit, Call, Items, Reply};
use crate::api::problem::Problem;
use crate::domain::payment::PaymentInput;
use crate::service::payments::{self, PaymentFilter};

/// 201 for a new payment; 200 when its `external_id` was recorded before
/// (the first record is returned and nothing changes).
pub async fn create_payment(call: Call) -> Result<Reply, Problem> {
    let input: PaymentInput = call.json()?;
    let (payment, started) = call
        .db(move |conn, ctx| {
            // The service does not say whether it replayed; a payment it
            // recorded now was created after this instant.
            let started = crate::service::now();
            Ok((payments::record_payment(conn, ctx, &input)?, started))
        })
        .await?;
    let status = if payment.created_at >= started {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Reply::json(status, &payment)
}

pub async fn list_payments(call: Call) -> Result<Reply, Problem> {
    let filter: PaymentFilter = call.query()?;
    check_limit(filter.limit)?;
    let page = call
        .db(move |conn, _| payments::list_payments(conn, &filter))
        .await?;
    Reply::ok(&Items::from(page))
}

pub async fn get_payment(call: Call) -> Result<Reply, Problem> {
    let id = call.param("id").to_string();
    let payment = call
        .db(move |conn, _| payments::get_payment(conn, &id))
        .await?;
    Reply::ok(&payment)
}
