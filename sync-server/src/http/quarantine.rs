//! The quarantine routes: a device hands over unsynced work on a case it
//! lost (`/v1/quarantine`, revoked devices too); the team's supervisor
//! lists it and merges or discards it (`/v1/team/quarantine`,
//! `/v1/team/quarantine/decide`). The work itself is in
//! [`crate::quarantine`].

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use brug_shared::protocol::quarantine::{Decide, HandOver, Receipt};
use std::sync::Arc;

use super::AppState;
use super::auth::{DeviceAuth, HandOverAuth, bad_request, error_response};
use crate::hub::HubEvent;
use crate::quarantine::QuarantineError;
use brug_shared::model::Role;

fn refusal(state: &AppState, e: QuarantineError) -> Response {
    let (status, code) = match &e {
        QuarantineError::NotFound => (StatusCode::NOT_FOUND, "not-found"),
        QuarantineError::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "too-large"),
        QuarantineError::Invalid(_) | QuarantineError::Unreadable(_) => {
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid")
        }
        QuarantineError::Refused(_) => (StatusCode::FORBIDDEN, "refused"),
        QuarantineError::Db(err) => {
            tracing::error!(error = %err, "quarantine request failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal")
        }
    };
    state.metrics.error(code);
    let message = match e {
        QuarantineError::Db(_) => {
            "De server kon het verzoek niet verwerken; probeer later opnieuw.".to_owned()
        }
        other => other.to_string(),
    };
    error_response(status, code, &message)
}

fn not_supervisor(state: &AppState) -> Response {
    state.metrics.error("forbidden");
    error_response(
        StatusCode::FORBIDDEN,
        "forbidden",
        "Alleen een teamverantwoordelijke behandelt wachtende wijzigingen.",
    )
}

pub(super) async fn hand_over(
    State(state): State<AppState>,
    auth: HandOverAuth,
    body: Result<Json<HandOver>, JsonRejection>,
) -> Response {
    let Ok(Json(req)) = body else {
        return bad_request(&state);
    };
    let Ok(changes) = hex::decode(req.changes.as_bytes()) else {
        return bad_request(&state);
    };
    let outcome = state
        .backend
        .with(move |store| Ok(store.hand_over(&auth.device, &auth.user, req.case, &changes)))
        .await;
    match outcome {
        Ok(Ok(id)) => Json(Receipt { id }).into_response(),
        Ok(Err(e)) => refusal(&state, e),
        Err(e) => refusal(&state, QuarantineError::Db(e)),
    }
}

pub(super) async fn list(State(state): State<AppState>, auth: DeviceAuth) -> Response {
    if auth.user.role != Role::Supervisor {
        return not_supervisor(&state);
    }
    let outcome = state
        .backend
        .with(move |store| Ok(store.quarantine(&auth.user)))
        .await;
    match outcome {
        Ok(Ok(entries)) => Json(entries).into_response(),
        Ok(Err(e)) => refusal(&state, e),
        Err(e) => refusal(&state, QuarantineError::Db(e)),
    }
}

pub(super) async fn decide(
    State(state): State<AppState>,
    auth: DeviceAuth,
    body: Result<Json<Decide>, JsonRejection>,
) -> Response {
    let Ok(Json(req)) = body else {
        return bad_request(&state);
    };
    if auth.user.role != Role::Supervisor {
        return not_supervisor(&state);
    }
    let docs = Arc::clone(&state.docs);
    let outcome = state
        .backend
        .with(move |store| Ok(store.decide(&docs, &auth.user, &auth.device.id, req.id, req.merge)))
        .await;
    match outcome {
        Ok(Ok((entry, changed))) => {
            if let Some(doc) = changed {
                state.hub.publish(HubEvent::changed(doc, 0));
            }
            Json(entry).into_response()
        }
        Ok(Err(e)) => refusal(&state, e),
        Err(e) => refusal(&state, QuarantineError::Db(e)),
    }
}
