//! `POST /v1/team/catalogue`: the team's referral catalogue, synced with
//! every device of the team. Everyone of the team reads it; only a
//! supervisor's changes are taken (anyone else's, whole, are refused and
//! change nothing).

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use brug_shared::catalogue::{CatalogueDoc, CatalogueError, parse_heads};
use brug_shared::model::Role;
use brug_shared::protocol::team::{CatalogueReply, CatalogueSync};

use super::AppState;
use super::auth::{DeviceAuth, bad_request, error_response};
use crate::db::{self, DbError};

enum Refusal {
    NotSupervisor,
    Bad(String),
}

pub(super) async fn sync(
    State(state): State<AppState>,
    auth: DeviceAuth,
    body: Result<Json<CatalogueSync>, JsonRejection>,
) -> Response {
    let Ok(Json(req)) = body else {
        return bad_request(&state);
    };
    let Some(known) = parse_heads(&req.known) else {
        return bad_request(&state);
    };
    let changes = match req.changes.as_deref().map(hex::decode).transpose() {
        Ok(c) => c,
        Err(_) => return bad_request(&state),
    };
    let outcome = state
        .db
        .run(move |conn| {
            let tx = conn.transaction()?;
            let team = auth.user.team.clone();
            let mut doc = match db::catalogue(&tx, &team)? {
                Some(bytes) => CatalogueDoc::load(&bytes)
                    .map_err(|e| DbError::Invalid(format!("stored catalogue of {team}: {e}")))?,
                None => CatalogueDoc::seed(),
            };
            if let Some(changes) = changes {
                // `apply` changes nothing when it refuses, and what a worker
                // brought is never stored (the document lives for this
                // request only).
                match doc.apply(&changes) {
                    Ok(false) => {}
                    Ok(true) if auth.user.role != Role::Supervisor => {
                        return Ok(Err(Refusal::NotSupervisor));
                    }
                    Ok(true) => {
                        db::save_catalogue(&tx, &team, &doc.save())?;
                        db::audit(
                            &tx,
                            Some(&auth.user.id),
                            Some(&auth.device.id),
                            "catalogue",
                            &[],
                            &format!("team {team}: {} services", doc.catalogue().services.len()),
                        )?;
                    }
                    Err(e @ (CatalogueError::Invalid(_) | CatalogueError::TooLarge)) => {
                        return Ok(Err(Refusal::Bad(e.to_string())));
                    }
                    Err(CatalogueError::BadService(nl, en)) => {
                        return Ok(Err(Refusal::Bad(format!("{nl} / {en}"))));
                    }
                }
            }
            tx.commit()?;
            let heads = doc.heads();
            let changes = (heads != known).then(|| hex::encode(doc.changes_after(&known)));
            Ok(Ok(CatalogueReply {
                heads: heads.iter().map(ToString::to_string).collect(),
                changes,
            }))
        })
        .await;
    match outcome {
        Ok(Ok(reply)) => Json(reply).into_response(),
        Ok(Err(Refusal::NotSupervisor)) => {
            state.metrics.error("forbidden");
            error_response(
                StatusCode::FORBIDDEN,
                "forbidden",
                "Alleen een teamverantwoordelijke past de catalogus van doorverwijzingen aan.",
            )
        }
        Ok(Err(Refusal::Bad(why))) => {
            state.metrics.error("invalid");
            error_response(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                &format!("De catalogus werd niet aangepast: {why}"),
            )
        }
        Err(e) => {
            tracing::error!(error = %e, "catalogue sync failed");
            state.metrics.error("internal");
            error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "De server kon het verzoek niet verwerken; probeer later opnieuw.",
            )
        }
    }
}
