//! `POST /v1/blobs/status`, `PUT /v1/blobs/{hash}` (one chunk) and
//! `GET /v1/blobs/{hash}` (a range): attachments beside the sync session
//! (see [`brug_shared::protocol::blobs`]). A hash no case of the user
//! references gets the same 404 whether it exists or not.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use brug_shared::model::BlobHash;
use brug_shared::protocol::blobs::{
    BlobStatus, BlobStatusRequest, CHUNK_HASH_HEADER, ChunkAck, MAX_CHUNK_BYTES, MAX_STATUS_HASHES,
    TOTAL_HEADER,
};
use serde::Deserialize;

use super::AppState;
use super::auth::{DeviceAuth, bad_request, error_response};
use crate::db::{self, ChunkOutcome};

/// Midnight UTC of today, in ms: the day the per-device limit counts.
fn start_of_day_ms() -> i64 {
    let now = db::now_ms();
    now - now.rem_euclid(86_400_000)
}

fn not_found(state: &AppState) -> Response {
    state.metrics.error("no-such-attachment");
    error_response(
        StatusCode::NOT_FOUND,
        "no-such-attachment",
        "Geen bijlage met deze hash in de dossiers die je kan zien.",
    )
}

fn internal(state: &AppState, e: &db::DbError) -> Response {
    tracing::error!(error = %e, "attachment request failed");
    state.metrics.error("internal");
    error_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "De server kon de bijlage niet verwerken; probeer later opnieuw.",
    )
}

pub(super) async fn status(
    State(state): State<AppState>,
    auth: DeviceAuth,
    body: Result<Json<BlobStatusRequest>, JsonRejection>,
) -> Response {
    let Ok(Json(request)) = body else {
        return bad_request(&state);
    };
    if request.hashes.len() > MAX_STATUS_HASHES {
        return error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-many",
            &format!("Vraag naar hoogstens {MAX_STATUS_HASHES} bijlagen tegelijk."),
        );
    }
    let outcome = sqlite!(state)
        .read(move |conn| {
            let mut status = BlobStatus::default();
            for hash in request.hashes {
                if !db::may_see_blob(conn, &auth.user, &hash)? {
                    status.unknown.push(hash);
                } else if db::has_blob(conn, &hash)? {
                    status.have.push(hash);
                } else {
                    match db::part_received(conn, &hash)? {
                        0 => status.missing.push(hash),
                        n => {
                            status.partial.insert(hash, n);
                        }
                    }
                }
            }
            Ok(status)
        })
        .await;
    match outcome {
        Ok(status) => Json(status).into_response(),
        Err(e) => internal(&state, &e),
    }
}

/// Where a chunk goes.
#[derive(Debug, Deserialize)]
pub(super) struct ChunkAt {
    offset: u64,
    total: u64,
}

pub(super) async fn put_chunk(
    State(state): State<AppState>,
    auth: DeviceAuth,
    Path(hash): Path<String>,
    at: Result<Query<ChunkAt>, QueryRejection>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (Some(hash), Ok(Query(at))) = (BlobHash::parse(&hash), at) else {
        return bad_request(&state);
    };
    let limits = std::sync::Arc::clone(&state.attachments);
    if at.total == 0 || at.total > limits.max_file_bytes {
        state.metrics.error("too-large");
        return error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            &format!("Een bijlage is hoogstens {} bytes.", limits.max_file_bytes),
        );
    }
    let claimed = headers
        .get(CHUNK_HASH_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(BlobHash::parse);
    if body.is_empty()
        || body.len() > MAX_CHUNK_BYTES
        || at.offset.saturating_add(body.len() as u64) > at.total
        || claimed.as_ref() != Some(&BlobHash::of(&body))
    {
        state.metrics.error("bad-chunk");
        return error_response(
            StatusCode::BAD_REQUEST,
            "bad-chunk",
            "Dit deel van de bijlage kwam beschadigd of op de verkeerde plaats aan; er is niets van bewaard.",
        );
    }
    let quota = std::sync::Arc::clone(&limits);
    let outcome = sqlite!(state)
        .run(move |conn| {
            if !db::may_see_blob(conn, &auth.user, &hash)? {
                return Ok(None);
            }
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            // A new upload must fit the case's and the device's day's limits
            // (what the device checks before it stores, held here too).
            if at.offset == 0
                && !db::has_blob(&tx, &hash)?
                && let Some(which) = db::over_quota(
                    &tx,
                    &hash,
                    at.total,
                    &auth.device.id,
                    start_of_day_ms(),
                    &quota,
                )?
            {
                return Ok(Some(Err(which)));
            }
            let outcome = db::put_chunk(
                &tx,
                &hash,
                at.offset,
                at.total,
                &body,
                &auth.device.id,
                db::now_ms(),
            )?;
            if let ChunkOutcome::Complete { size } = outcome {
                db::audit(
                    &tx,
                    Some(&auth.user.id),
                    Some(&auth.device.id),
                    "attachment-stored",
                    &[],
                    &format!("{hash} {size}"),
                )?;
            }
            tx.commit()?;
            Ok(Some(Ok(outcome)))
        })
        .await;
    let ack = |received, complete| Json(ChunkAck { received, complete }).into_response();
    let outcome = match outcome {
        Ok(Some(Err(which))) => {
            state.metrics.error("over-quota");
            let message = match which {
                "case" => format!(
                    "De bijlagen van dit dossier zouden samen meer dan {} bytes zijn.",
                    limits.max_case_bytes
                ),
                _ => format!(
                    "Dit toestel stuurde vandaag al het maximum van {} bytes aan bijlagen; de rest gaat morgen mee.",
                    limits.max_device_day_bytes
                ),
            };
            return error_response(StatusCode::PAYLOAD_TOO_LARGE, "over-quota", &message);
        }
        Ok(Some(Ok(o))) => Ok(Some(o)),
        Ok(None) => Ok(None),
        Err(e) => Err(e),
    };
    match outcome {
        Ok(None) => not_found(&state),
        Ok(Some(ChunkOutcome::Kept { received })) => ack(received, false),
        Ok(Some(ChunkOutcome::Complete { size } | ChunkOutcome::Had { size })) => ack(size, true),
        Ok(Some(ChunkOutcome::WrongOffset { received })) => (
            StatusCode::CONFLICT,
            Json(ChunkAck {
                received,
                complete: false,
            }),
        )
            .into_response(),
        Ok(Some(ChunkOutcome::HashMismatch)) => {
            state.metrics.error("hash-mismatch");
            error_response(
                StatusCode::UNPROCESSABLE_ENTITY,
                "hash-mismatch",
                "De bijlage komt niet overeen met haar hash; ze is niet bewaard. Ze wordt opnieuw verstuurd.",
            )
        }
        Err(e) => internal(&state, &e),
    }
}

/// Which part of an attachment to send.
#[derive(Debug, Deserialize)]
pub(super) struct Range {
    #[serde(default)]
    offset: u64,
    #[serde(default)]
    len: Option<u64>,
}

pub(super) async fn get_range(
    State(state): State<AppState>,
    auth: DeviceAuth,
    Path(hash): Path<String>,
    range: Result<Query<Range>, QueryRejection>,
) -> Response {
    let (Some(hash), Ok(Query(range))) = (BlobHash::parse(&hash), range) else {
        return bad_request(&state);
    };
    let len = range
        .len
        .unwrap_or(MAX_CHUNK_BYTES as u64)
        .min(MAX_CHUNK_BYTES as u64);
    let outcome = sqlite!(state)
        .read(move |conn| {
            if !db::may_see_blob(conn, &auth.user, &hash)? {
                return Ok(None);
            }
            let Some(total) = db::blob_size(conn, &hash)? else {
                return Ok(None);
            };
            let bytes = db::blob_range(conn, &hash, range.offset.min(total), len)?;
            Ok(bytes.map(|b| (total, b)))
        })
        .await;
    match outcome {
        Ok(Some((total, bytes))) => (
            [
                (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
                (
                    header::HeaderName::from_static(TOTAL_HEADER),
                    total.to_string(),
                ),
            ],
            bytes,
        )
            .into_response(),
        Ok(None) => not_found(&state),
        Err(e) => internal(&state, &e),
    }
}
