//! Retention (docs/gdpr.md): a term per kind of data, and a daily job that
//! erases what is past its term, by the same generations as an erasure a
//! supervisor asks for ([`crate::erase`]). Reports keep their numbers.
//!
//! | kind | term counts from | default |
//! |---|---|---|
//! | closed case (all of it) | the day it was closed | 5 years |
//! | safety signal on a visit | the visit's day | 2 years |
//! | photo or PDF | the day it was added | 3 years |
//! | audit log entry | the day it was written | 2 years |

use brug_shared::casedoc::EraseTarget;
use brug_shared::model::{CaseStatus, RecordKind, SafetySignal};
use brug_shared::schema::FieldPath;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::db::DbError;
use crate::erase::{self, EraseRequest};
use crate::storage::{Backend, ServerStore};

/// `[retention]`: the terms, in days (0: keep for ever).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Retention {
    /// A closed case, counted from its closing day.
    pub closed_case_days: u32,
    /// A visit's safety signal (and its follow-up date), from the visit.
    pub safety_signal_days: u32,
    /// A photo or PDF, from the day it was added.
    pub attachment_days: u32,
    /// An audit log entry.
    pub audit_days: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            closed_case_days: 5 * 365 + 1,
            safety_signal_days: 2 * 365,
            attachment_days: 3 * 365 + 1,
            audit_days: 2 * 365,
        }
    }
}

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RetentionRun {
    /// Closed cases erased whole.
    pub cases: Vec<Uuid>,
    /// Safety signals erased.
    pub safety_signals: usize,
    /// Attachments erased.
    pub attachments: usize,
    /// Audit log entries deleted.
    pub audit_entries: usize,
    /// Cases that could not be read or erased (left for the next pass).
    pub failed: Vec<Uuid>,
}

/// Whether a term of `days` counted from the day of `since` has passed by
/// the day of `now` (terms count in whole days: erased on the day).
fn past(days: u32, since: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    days > 0 && since.date_naive() + Duration::days(i64::from(days)) <= now.date_naive()
}

/// Erases what is past its term as of `now`.
pub fn run(
    store: &dyn ServerStore,
    terms: &Retention,
    now: DateTime<Utc>,
) -> Result<RetentionRun, DbError> {
    let mut done = RetentionRun::default();
    for id in store.ids()? {
        let case = match store.load(id) {
            Ok(Some(doc)) => match doc.case() {
                Ok(case) => case,
                Err(_) => {
                    done.failed.push(id);
                    continue;
                }
            },
            Ok(None) => continue,
            Err(_) => {
                done.failed.push(id);
                continue;
            }
        };
        let household = &case.household;
        if household.status == CaseStatus::Closed
            && let Some(closed) = household.closed_on
            && let Some(closed) = closed.and_hms_opt(0, 0, 0)
            && past(terms.closed_case_days, closed.and_utc(), now)
        {
            let request = EraseRequest {
                case: id,
                targets: Vec::new(),
                reason: format!(
                    "bewaartermijn: {} dagen na het afsluiten op {closed}",
                    terms.closed_case_days,
                    closed = closed.date()
                ),
                by: erase::RETENTION_ACTOR.to_owned(),
            };
            match erase::erase_for_retention(store, &request, now) {
                Ok(_) => done.cases.push(id),
                Err(e) => {
                    tracing::warn!(case = %id, error = %e, "retention: a closed case could not be erased");
                    done.failed.push(id);
                }
            }
            continue;
        }
        let mut targets = Vec::new();
        let mut signals = 0;
        for (vid, visit) in &case.visits {
            if visit.safety_signal != SafetySignal::None
                && past(terms.safety_signal_days, visit.start.and_utc(), now)
            {
                signals += 1;
                let record = format!("{}/{vid}", RecordKind::Visit.container());
                targets.push(EraseTarget::Field(FieldPath::slashed(&format!(
                    "{record}/safety_signal"
                ))));
                if visit.follow_up_by.is_some() {
                    targets.push(EraseTarget::Field(FieldPath::slashed(&format!(
                        "{record}/follow_up_by"
                    ))));
                }
            }
        }
        let mut attachments = 0;
        for (aid, a) in &case.attachments {
            if past(terms.attachment_days, a.at, now) {
                attachments += 1;
                targets.push(EraseTarget::Field(FieldPath::of([
                    brug_shared::model::ATTACHMENTS,
                    &aid.to_string(),
                ])));
            }
        }
        if targets.is_empty() {
            continue;
        }
        let request = EraseRequest {
            case: id,
            targets,
            reason: "bewaartermijn verstreken (veiligheidssignalen, bijlagen)".into(),
            by: erase::RETENTION_ACTOR.to_owned(),
        };
        match erase::erase_for_retention(store, &request, now) {
            Ok(_) => {
                done.safety_signals += signals;
                done.attachments += attachments;
            }
            Err(e) => {
                tracing::warn!(case = %id, error = %e, "retention: could not erase what is past its term");
                done.failed.push(id);
            }
        }
    }
    if terms.audit_days > 0 {
        let cutoff = (now - Duration::days(i64::from(terms.audit_days))).timestamp_millis();
        done.audit_entries = store.prune_audit(cutoff)?;
        if done.audit_entries > 0 {
            store.audit(
                Some(erase::RETENTION_ACTOR),
                None,
                "retention",
                &[],
                &format!(
                    "{} auditregels ouder dan {} dagen verwijderd",
                    done.audit_entries, terms.audit_days
                ),
            )?;
        }
    }
    if !done.cases.is_empty() || done.safety_signals > 0 || done.attachments > 0 {
        tracing::info!(
            cases = done.cases.len(),
            safety_signals = done.safety_signals,
            attachments = done.attachments,
            audit = done.audit_entries,
            "retention: erased what is past its term"
        );
    }
    Ok(done)
}

/// Runs [`run`] once a day (first shortly after start) until shutdown. On
/// a database several servers share, one pass runs at a time: a server
/// that finds another's pass running leaves it to that one.
pub async fn daily(
    backend: Backend,
    terms: Retention,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let mut wait = std::time::Duration::from_secs(60);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.changed() => return,
        }
        let pass = backend
            .with(move |store| {
                store.run_alone("retention", &mut || {
                    run(store, &terms, Utc::now()).map(drop)
                })
            })
            .await;
        wait = match pass {
            Ok(true) => std::time::Duration::from_secs(24 * 3600),
            Ok(false) => {
                tracing::debug!("retention: another server's pass is running");
                std::time::Duration::from_secs(24 * 3600)
            }
            // Most often the database was busy (a long import or backup
            // beside the server): the erasures that are due are not left
            // for a whole day.
            Err(e) => {
                tracing::warn!(error = %e, "retention pass failed; tried again in ten minutes");
                std::time::Duration::from_secs(600)
            }
        };
    }
}
