//! `GET /v1/report` (the report as data, for the app's Report screen) and
//! `GET /v1/report/xlsx` (the same as an Excel workbook). A supervisor
//! gets the own team's figures; the policy lead every team's, always as a
//! public report (small numbers as "<5"); anyone else nothing. The answer
//! holds counts and sums only: no name, case id or typed text.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query as UrlQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use brug_shared::model::Role;
use brug_shared::report::{Breakdown, Query, Report};
use chrono::NaiveDate;
use serde::Deserialize;

use super::AppState;
use super::auth::{DeviceAuth, bad_request, error_response};

/// The URL's parameters.
#[derive(Debug, Deserialize)]
pub(super) struct Params {
    from: NaiveDate,
    to: NaiveDate,
    #[serde(default)]
    by: Option<String>,
    #[serde(default)]
    team: Option<String>,
    #[serde(default)]
    public: bool,
}

enum Refusal {
    Role,
    Team,
    Bad(String),
}

/// The query this user may ask for with these parameters.
fn query_for(auth: &DeviceAuth, p: Params) -> Result<Query, Refusal> {
    let by = match p.by.as_deref() {
        None | Some("") => Breakdown::None,
        Some(code) => Breakdown::from_code(code)
            .ok_or_else(|| Refusal::Bad(format!("onbekende opsplitsing {code}")))?,
    };
    let user = &auth.user;
    let query = match user.role {
        Role::Supervisor => {
            if p.team.as_ref().is_some_and(|t| *t != user.team) {
                return Err(Refusal::Team);
            }
            Query {
                from: p.from,
                to: p.to,
                team: Some(user.team.clone()),
                by,
                public: p.public,
            }
        }
        Role::Policy => Query {
            from: p.from,
            to: p.to,
            team: p.team,
            by,
            public: true,
        },
        _ => return Err(Refusal::Role),
    };
    query.check().map_err(|e| Refusal::Bad(e.to_string()))?;
    Ok(query)
}

async fn make(
    state: &AppState,
    auth: DeviceAuth,
    params: Result<UrlQuery<Params>, QueryRejection>,
) -> Result<Report, Response> {
    let Ok(UrlQuery(params)) = params else {
        return Err(bad_request(state));
    };
    let query = match query_for(&auth, params) {
        Ok(q) => q,
        Err(refusal) => {
            state.metrics.error("forbidden");
            return Err(match refusal {
                Refusal::Role => error_response(
                    StatusCode::FORBIDDEN,
                    "forbidden",
                    "Alleen een teamverantwoordelijke of de beleidsverantwoordelijke ziet rapporten.",
                ),
                Refusal::Team => error_response(
                    StatusCode::FORBIDDEN,
                    "forbidden",
                    "Een teamverantwoordelijke ziet alleen de cijfers van het eigen team.",
                ),
                Refusal::Bad(why) => error_response(StatusCode::BAD_REQUEST, "bad-request", &why),
            });
        }
    };
    let plan = std::sync::Arc::clone(&state.plan);
    let outcome = state
        .backend
        .with(move |store| {
            let report = store.report(&plan, &query)?;
            store.audit(
                Some(&auth.user.id),
                Some(&auth.device.id),
                "report",
                &[],
                &format!(
                    "{}..{} team={} by={} public={}",
                    query.from,
                    query.to,
                    query.team.as_deref().unwrap_or("*"),
                    query.by.code(),
                    query.public
                ),
            )?;
            Ok(report)
        })
        .await;
    outcome.map_err(|e| {
        tracing::error!(error = %e, "report failed");
        state.metrics.error("internal");
        error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "De server kon het rapport niet maken; probeer later opnieuw.",
        )
    })
}

pub(super) async fn json(
    State(state): State<AppState>,
    auth: DeviceAuth,
    params: Result<UrlQuery<Params>, QueryRejection>,
) -> Response {
    match make(&state, auth, params).await {
        Ok(report) => Json(report).into_response(),
        Err(refused) => refused,
    }
}

pub(super) async fn xlsx(
    State(state): State<AppState>,
    auth: DeviceAuth,
    params: Result<UrlQuery<Params>, QueryRejection>,
) -> Response {
    let report = match make(&state, auth, params).await {
        Ok(r) => r,
        Err(refused) => return refused,
    };
    match crate::reports::xlsx(&report) {
        Ok(bytes) => (
            [
                (
                    header::CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                ),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"brug-rapport.xlsx\"",
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "report workbook failed");
            error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "De server kon het Excelbestand niet maken.",
            )
        }
    }
}
