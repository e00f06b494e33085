//! `POST /v1/team/catalogue` and `POST /v1/team/activities`: the team's
//! referral catalogue and collective activities, synced with every device
//! of the team. Everyone of the team who works cases reads them; a change
//! is taken only when every entry it touches is the sender's to write
//! (`TeamEntry::may_write`: the catalogue is the supervisor's, an activity
//! anyone's but its approval the supervisor's); otherwise the whole batch
//! is refused and changes nothing.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use brug_shared::protocol::team::{TeamDocReply, TeamDocSync};
use brug_shared::teamdoc::{TeamDoc, TeamDocError, TeamEntry, parse_heads};

use super::AppState;
use super::auth::{DeviceAuth, bad_request, error_response};
use crate::db::DbError;
use crate::storage::{CaseTeam, TeamDocChange};

enum Refusal {
    NotAllowed,
    Bad(String),
}

/// Each entry as JSON, by key, to see which entries a change touched.
fn entry_texts<E: TeamEntry>(doc: &TeamDoc<E>) -> std::collections::HashMap<String, String> {
    doc.entries()
        .unwrap_or_default()
        .iter()
        .map(|e| (e.key(), serde_json::to_string(e).unwrap_or_default()))
        .collect()
}

/// Why the change is refused when an entry it touched names a household
/// that is a case of another team. A case not on the server yet (made
/// offline, its sync session still to come) is no reason: it counts in the
/// reports once it arrives in this team.
fn foreign_household<E: TeamEntry>(
    case_team: &CaseTeam<'_>,
    team: &str,
    before: &std::collections::HashMap<String, String>,
    doc: &TeamDoc<E>,
) -> Result<Option<String>, DbError> {
    for e in doc.entries().unwrap_or_default() {
        let text = serde_json::to_string(&e).unwrap_or_default();
        if before.get(&e.key()) == Some(&text) {
            continue;
        }
        for h in e.households() {
            if case_team(*h)?.is_some_and(|t| t != team) {
                return Ok(Some(format!(
                    "gezin {h} is geen dossier van uw team / household {h} is not a case of your team"
                )));
            }
        }
    }
    Ok(None)
}

pub(super) async fn sync<E: TeamEntry + Send + 'static>(
    State(state): State<AppState>,
    auth: DeviceAuth,
    body: Result<Json<TeamDocSync>, JsonRejection>,
) -> Response {
    let Ok(Json(req)) = body else {
        return bad_request(&state);
    };
    if !auth.user.role.holds_cases() {
        return error_response(
            StatusCode::FORBIDDEN,
            "forbidden",
            "deze rol houdt geen teamgegevens bij / this role holds no team records",
        );
    }
    let Some(known) = parse_heads(&req.known) else {
        return bad_request(&state);
    };
    let changes = match req.changes.as_deref().map(hex::decode).transpose() {
        Ok(c) => c,
        Err(_) => return bad_request(&state),
    };
    let outcome = state
        .backend
        .with(move |store| {
            let team = auth.user.team.clone();
            let mut outcome: Result<TeamDocReply, Refusal> = Err(Refusal::NotAllowed);
            let mut update = |stored: Option<Vec<u8>>,
                              case_team: &CaseTeam<'_>|
             -> Result<Option<(Vec<u8>, String)>, DbError> {
                let mut doc = match stored {
                    Some(bytes) => TeamDoc::<E>::load(&bytes).map_err(|e| {
                        DbError::Invalid(format!("stored {} of {team}: {e}", E::NAME))
                    })?,
                    None => TeamDoc::<E>::seed(),
                };
                let mut save = None;
                if let Some(changes) = &changes {
                    let before = entry_texts(&doc);
                    // `apply` changes nothing when it refuses, and what a
                    // worker brought is never stored (the document lives
                    // for this request only).
                    match doc.apply_as(changes, auth.user.role) {
                        Ok(false) => {}
                        Err(TeamDocError::NotAllowed) => {
                            outcome = Err(Refusal::NotAllowed);
                            return Ok(None);
                        }
                        Ok(true) => {
                            if let Some(why) = foreign_household(case_team, &team, &before, &doc)? {
                                outcome = Err(Refusal::Bad(why));
                                return Ok(None);
                            }
                            let entries = doc.entries().map(|e| e.len()).unwrap_or_default();
                            save = Some((
                                doc.save(),
                                format!("team {team}: {entries} {}", E::COLLECTION),
                            ));
                        }
                        Err(e @ (TeamDocError::Invalid(_) | TeamDocError::TooLarge)) => {
                            outcome = Err(Refusal::Bad(e.to_string()));
                            return Ok(None);
                        }
                        Err(TeamDocError::BadEntry(nl, en)) => {
                            outcome = Err(Refusal::Bad(format!("{nl} / {en}")));
                            return Ok(None);
                        }
                    }
                }
                let heads = doc.heads();
                let changes = (heads != known).then(|| hex::encode(doc.changes_after(&known)));
                outcome = Ok(TeamDocReply {
                    heads: heads.iter().map(ToString::to_string).collect(),
                    changes,
                });
                Ok(save)
            };
            store.update_team_doc(TeamDocChange {
                kind: E::NAME,
                reported: E::REPORTED,
                team: &auth.user.team,
                by: (&auth.user.id, &auth.device.id),
                update: &mut update,
            })?;
            Ok(outcome)
        })
        .await;
    match outcome {
        Ok(Ok(reply)) => Json(reply).into_response(),
        Ok(Err(Refusal::NotAllowed)) => {
            state.metrics.error("forbidden");
            error_response(
                StatusCode::FORBIDDEN,
                "forbidden",
                "Alleen een teamverantwoordelijke past de catalogus van doorverwijzingen aan of keurt een activiteit goed.",
            )
        }
        Ok(Err(Refusal::Bad(why))) => {
            state.metrics.error("invalid");
            error_response(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                &format!("Er werd niets aangepast: {why}"),
            )
        }
        Err(e) => {
            tracing::error!(error = %e, doc = E::NAME, "team document sync failed");
            state.metrics.error("internal");
            error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "De server kon het verzoek niet verwerken; probeer later opnieuw.",
            )
        }
    }
}
