//! `POST /v1/imports`: invoice files as the raw body (any content type; the
//! format is read from the content) or as multipart/form-data parts, each
//! file imported whole or not at all.

use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use serde::{Deserialize, Serialize};

use crate::api::call::{Call, Reply};
use crate::api::problem::Problem;
use crate::formats::einvoice::read::{read_documents, ReadOptions};
use crate::service::imports::{import_documents, FileReport, FileStatus, DEFAULT_BATCH};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportQuery {
    /// The file's name in the report, for a raw body.
    name: Option<String>,
}

#[derive(Debug, Serialize)]
struct ImportReply {
    files: Vec<FileReport>,
}

/// The files of a multipart body: every part that has a file name (or, if
/// none has, every part), in order.
async fn multipart_files(body: Bytes, boundary: String) -> Result<Vec<(String, Bytes)>, Problem> {
    let stream = futures_util::stream::once(async move { Ok::<Bytes, std::io::Error>(body) });
    let mut parts = multer::Multipart::new(stream, boundary);
    let mut files = Vec::new();
    let mut index = 0;
    loop {
        let field = parts.next_field().await.map_err(|e| {
            Problem::new(StatusCode::BAD_REQUEST, "multipart_invalid", e.to_string())
        })?;
        let Some(field) = field else { break };
        index += 1;
        let name = field
            .file_name()
            .or(field.name())
            .map(str::to_string)
            .unwrap_or_else(|| format!("part-{index}"));
        let bytes = field.bytes().await.map_err(|e| {
            Problem::new(StatusCode::BAD_REQUEST, "multipart_invalid", e.to_string())
        })?;
        files.push((name, bytes));
    }
    Ok(files)
}

pub async fn create_import(call: Call) -> Result<Reply, Problem> {
    let q: ImportQuery = call.query()?;
    let boundary = call
        .content_type
        .as_deref()
        .and_then(|ct| multer::parse_boundary(ct).ok());
    let files = match boundary {
        Some(b) => multipart_files(call.body.clone(), b).await?,
        None => vec![(q.name.unwrap_or_else(|| "body".into()), call.body.clone())],
    };
    if files.iter().all(|(_, b)| b.is_empty()) {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "file_missing",
            "send an invoice file as the body, or as parts of a multipart/form-data body",
        ));
    }
    let reports = call
        .db(move |conn, ctx| {
            let options = ReadOptions::default();
            let mut out = Vec::with_capacity(files.len());
            for (name, bytes) in files {
                let report = match read_documents(&bytes[..], &options) {
                    Err(e) => FileReport::refused(&name, None, &e),
                    Ok((format, docs)) => import_documents(
                        conn,
                        ctx,
                        &name,
                        format.as_str(),
                        docs,
                        DEFAULT_BATCH,
                        &mut |_| {},
                    ),
                };
                out.push(report);
            }
            Ok(out)
        })
        .await?;
    let failed = reports
        .iter()
        .any(|r| matches!(r.status, FileStatus::Refused | FileStatus::Conflict));
    let created = reports.iter().any(|r| r.status == FileStatus::Imported);
    let status = if failed {
        StatusCode::UNPROCESSABLE_ENTITY
    } else if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Reply::json(status, &ImportReply { files: reports })
}
