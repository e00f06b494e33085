//! The supervisor's team routes: members (and a case's assignees), assign
//! or unassign a case, a one-time enrolment code for a member's new device,
//! GDPR erasure (docs/gdpr.md).
//! Only a supervisor's device may call them, and only for its own team; a
//! member or case outside it gets the same `not-found` as one that does
//! not exist.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use brug_shared::casedoc::EraseTarget;
use brug_shared::protocol::team::{
    AssignRequest, EnrolCode, EnrolCodeRequest, EraseRequest, Erased, Member, MembersRequest, Team,
};
use brug_shared::schema::FieldPath;
use uuid::Uuid;

use super::AppState;
use super::auth::{DeviceAuth, bad_request, error_response};
use crate::db::{self, DbError, User};
use crate::enrolment;
use crate::storage::{Assignment, ServerStore};
use brug_shared::model::Role;

/// Why a team request is refused.
enum Refusal {
    NotSupervisor,
    NotForRole,
    NotFound,
    Invalid(String),
    Internal(String),
}

impl From<DbError> for Refusal {
    fn from(e: DbError) -> Self {
        match e {
            DbError::NotFound(_) => Refusal::NotFound,
            other => Refusal::Internal(other.to_string()),
        }
    }
}

fn answer<T: serde::Serialize>(
    state: &AppState,
    outcome: Result<Result<T, Refusal>, DbError>,
) -> Response {
    match outcome.map_err(Refusal::from).and_then(|r| r) {
        Ok(body) => Json(body).into_response(),
        Err(Refusal::NotSupervisor) => {
            state.metrics.error("forbidden");
            error_response(
                StatusCode::FORBIDDEN,
                "forbidden",
                "Alleen een teamverantwoordelijke mag dossiers toewijzen en toestellen inschrijven.",
            )
        }
        Err(Refusal::NotForRole) => {
            state.metrics.error("forbidden");
            error_response(
                StatusCode::FORBIDDEN,
                "forbidden",
                "Een teamverantwoordelijke maakt alleen inschrijvingscodes voor brugfiguren en woonadviseurs van het eigen team, niet voor zichzelf of een andere teamverantwoordelijke.",
            )
        }
        Err(Refusal::NotFound) => {
            state.metrics.error("not-found");
            error_response(
                StatusCode::NOT_FOUND,
                "not-found",
                "Dat teamlid of dossier bestaat niet in uw team.",
            )
        }
        Err(Refusal::Invalid(why)) => {
            state.metrics.error("invalid");
            error_response(StatusCode::UNPROCESSABLE_ENTITY, "invalid", &why)
        }
        Err(Refusal::Internal(e)) => {
            tracing::error!(error = %e, "team request failed");
            state.metrics.error("internal");
            error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "De server kon het verzoek niet verwerken; probeer later opnieuw.",
            )
        }
    }
}

/// Erases part of a case of the supervisor's team (or all of it) and tells
/// the live sessions at once; a case outside the team is not-found.
pub(super) async fn erase(
    State(state): State<AppState>,
    auth: DeviceAuth,
    body: Result<Json<EraseRequest>, JsonRejection>,
) -> Response {
    let Ok(Json(req)) = body else {
        return bad_request(&state);
    };
    let case = req.case;
    let outcome = state
        .backend
        .with(move |db| {
            Ok((|| {
                supervisor(&auth)?;
                team_case(db, &auth.user, case)?;
                let mut targets: Vec<EraseTarget> = req
                    .members
                    .iter()
                    .copied()
                    .map(EraseTarget::Member)
                    .collect();
                targets.extend(
                    req.fields
                        .iter()
                        .map(|f| EraseTarget::Field(FieldPath::slashed(f))),
                );
                if targets.is_empty() != req.whole_case {
                    return Err(Refusal::Invalid(
                        "Noem wat gewist wordt, of kies het hele dossier.".into(),
                    ));
                }
                let request = crate::erase::EraseRequest {
                    case,
                    targets,
                    reason: req.reason.clone(),
                    by: auth.user.id.clone(),
                };
                let done =
                    crate::erase::erase(db, &request, chrono::Utc::now()).map_err(|e| match e {
                        DbError::Invalid(why) => Refusal::Invalid(why),
                        other => Refusal::from(other),
                    })?;
                Ok(Erased {
                    case,
                    generation: done.generation,
                    erased: done.erased,
                })
            })())
        })
        .await;
    if matches!(outcome, Ok(Ok(_))) {
        // This server's sessions need not wait for the admin-event poll.
        state.docs.evict(case);
        state
            .hub
            .publish(crate::hub::HubEvent::Admin(db::AdminEvent::Erase { case }));
    }
    answer(&state, outcome)
}

fn supervisor(auth: &DeviceAuth) -> Result<(), Refusal> {
    if auth.user.role == Role::Supervisor {
        Ok(())
    } else {
        Err(Refusal::NotSupervisor)
    }
}

/// A member of the supervisor's own team, or not-found.
fn team_member(store: &dyn ServerStore, supervisor: &User, id: &str) -> Result<User, Refusal> {
    match store.user(id)? {
        Some(u) if u.team == supervisor.team => Ok(u),
        _ => Err(Refusal::NotFound),
    }
}

/// A case the supervisor may see, or not-found.
fn team_case(store: &dyn ServerStore, supervisor: &User, id: Uuid) -> Result<(), Refusal> {
    if store.may_access(supervisor, id)? {
        Ok(())
    } else {
        Err(Refusal::NotFound)
    }
}

fn team(store: &dyn ServerStore, supervisor: &User, case: Option<Uuid>) -> Result<Team, Refusal> {
    let members = store
        .users()?
        .into_iter()
        .filter(|u| u.team == supervisor.team)
        .map(|u| Member {
            id: u.id,
            name: u.name,
            role: u.role.code().into(),
        })
        .collect();
    let assigned = match case {
        Some(id) => {
            team_case(store, supervisor, id)?;
            store.assignees(id)?
        }
        None => Vec::new(),
    };
    Ok(Team { members, assigned })
}

pub(super) async fn members(
    State(state): State<AppState>,
    auth: DeviceAuth,
    body: Result<Json<MembersRequest>, JsonRejection>,
) -> Response {
    let Ok(Json(req)) = body else {
        return bad_request(&state);
    };
    let outcome = state
        .backend
        .with(move |store| Ok(supervisor(&auth).and_then(|()| team(store, &auth.user, req.case))))
        .await;
    answer(&state, outcome)
}

pub(super) async fn assign(
    State(state): State<AppState>,
    auth: DeviceAuth,
    body: Result<Json<AssignRequest>, JsonRejection>,
) -> Response {
    let Ok(Json(req)) = body else {
        return bad_request(&state);
    };
    let outcome = state
        .backend
        .with(move |store| {
            Ok((|| {
                supervisor(&auth)?;
                team_member(store, &auth.user, &req.user)?;
                team_case(store, &auth.user, req.case)?;
                let note = crate::admin::Actor::User {
                    user: &auth.user.id,
                    device: &auth.device.id,
                }
                .note();
                store.set_assignment(&Assignment {
                    case: req.case,
                    user: &req.user,
                    assign: req.assign,
                    note: &note,
                })?;
                team(store, &auth.user, Some(req.case))
            })())
        })
        .await;
    answer(&state, outcome)
}

pub(super) async fn enrol_code(
    State(state): State<AppState>,
    auth: DeviceAuth,
    body: Result<Json<EnrolCodeRequest>, JsonRejection>,
) -> Response {
    let Ok(Json(req)) = body else {
        return bad_request(&state);
    };
    let (data_dir, tls) = (state.data_dir.clone(), state.tls.clone());
    let outcome = state
        .backend
        .with(move |store| {
            Ok((|| {
                supervisor(&auth)?;
                let member = team_member(store, &auth.user, &req.user)?;
                // Field workers only: a code for herself or another
                // supervisor would let one supervisor hold another's rights.
                if !matches!(member.role, Role::BridgeWorker | Role::HousingAdviser) {
                    return Err(Refusal::NotForRole);
                }
                let asked_by = enrolment::AskedBy {
                    user: &auth.user.id,
                    device: &auth.device.id,
                };
                let (url, expires_ms) =
                    enrolment::new_enrolment_on(store, &data_dir, &tls, &member.id, Some(asked_by))
                        .map_err(|e| Refusal::Internal(e.to_string()))?;
                Ok(EnrolCode {
                    url: url.to_url(),
                    expires_ms,
                })
            })())
        })
        .await;
    answer(&state, outcome)
}
