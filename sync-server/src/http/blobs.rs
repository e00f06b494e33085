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
    BlobStatusRequest, CHUNK_HASH_HEADER, ChunkAck, MAX_CHUNK_BYTES, MAX_STATUS_HASHES,
    TOTAL_HEADER,
};
use serde::Deserialize;

use super::AppState;
use super::auth::{DeviceAuth, bad_request, error_response};
use crate::db::{self, ChunkOutcome};
use crate::storage::{BlobChunk, ChunkStored};

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
    let outcome = state
        .backend
        .with(move |store| store.blob_status(&auth.user, request.hashes))
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
    let outcome = state
        .backend
        .with(move |store| {
            let chunk = BlobChunk {
                user: &auth.user,
                device: &auth.device.id,
                hash: &hash,
                offset: at.offset,
                total: at.total,
                bytes: &body,
                day_start: start_of_day_ms(),
                limits: &quota,
            };
            Ok(match store.put_blob_chunk(&chunk)? {
                ChunkStored::NotVisible => None,
                ChunkStored::OverQuota(which) => Some(Err(which)),
                ChunkStored::Stored(outcome) => Some(Ok(outcome)),
            })
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
    let outcome = state
        .backend
        .with(move |store| store.read_blob(&auth.user, &hash, range.offset, len))
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
