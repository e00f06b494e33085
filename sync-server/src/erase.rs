//! GDPR erasure on the server (issue 16, docs/gdpr.md).
//!
//! A supervisor of the case's team asks, with a reason. Part of a case (a
//! member, a record, a field) is erased by a **new generation**: the case's
//! document is replaced by a fresh one without the erased data and without
//! the old history ([`CaseDoc::regenerate`]). A whole case is deleted. In
//! the same transaction: every sync state of the case goes (devices start
//! afresh on the new generation), attachments only the erased part used are
//! deleted at once (no grace period), quarantined work of the case is made
//! again on the new generation without the erased values, the erasure is
//! written down (paths, never values) and the running server is told
//! through an admin event (it drops its cached copy). Afterwards the
//! write-ahead log is checkpointed and truncated, with `secure_delete` on
//! for the transaction, so the old bytes are overwritten, not just freed.

use brug_shared::casedoc::{CaseDoc, Editor, EraseTarget};
use brug_shared::model::{BlobHash, Role};
use brug_shared::store;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};
use uuid::Uuid;

use crate::db::{self, AdminEvent, Db, DbError};
use crate::storage::ServerStore;

/// An erasure request.
#[derive(Debug, Clone)]
pub struct EraseRequest {
    /// The case.
    pub case: Uuid,
    /// What to erase; empty: the whole case.
    pub targets: Vec<EraseTarget>,
    /// Why (required; kept in the audit log).
    pub reason: String,
    /// The supervisor asking.
    pub by: String,
}

/// What an erasure did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Erased {
    /// The new generation (`None`: the whole case was deleted).
    pub generation: Option<u64>,
    /// The paths erased.
    pub erased: Vec<String>,
    /// Attachments deleted with it.
    pub attachments: usize,
    /// Quarantined batches made again on the new generation.
    pub quarantine: usize,
    /// Whether the write-ahead log was emptied at once (readers kept it
    /// busy otherwise; the server's hourly pass empties it then).
    pub log_emptied: bool,
}

/// Carries out `request` as of `now`, on either backend. Refused (nothing
/// changes) unless `by` is a supervisor of the case's team and a reason is
/// given.
pub fn erase(
    store: &dyn ServerStore,
    request: &EraseRequest,
    now: DateTime<Utc>,
) -> Result<Erased, DbError> {
    given_reason(request)?;
    let supervisor = store.user(&request.by)?.ok_or_else(|| {
        DbError::NotFound(format!(
            "gebruiker '{}' bestaat niet (zie: user list)",
            request.by
        ))
    })?;
    let Some(team) = store.audience(request.case)?.team else {
        return Err(DbError::NotFound(format!(
            "dossier {} bestaat niet / no such case",
            request.case
        )));
    };
    if supervisor.role != Role::Supervisor || supervisor.team != team {
        return Err(DbError::Invalid(format!(
            "alleen een teamverantwoordelijke van team {team} mag gegevens van dit dossier wissen; {} is dat niet / only a supervisor of the case's team may erase",
            supervisor.id
        )));
    }
    store.erase_case(request, &supervisor, now)
}

/// The name the retention job erases under (docs/gdpr.md).
pub const RETENTION_ACTOR: &str = "retentie";

/// Erasure by the retention job: no supervisor asks, the term does; the
/// reason names the term.
pub fn erase_for_retention(
    store: &dyn ServerStore,
    request: &EraseRequest,
    now: DateTime<Utc>,
) -> Result<Erased, DbError> {
    let team = store.audience(request.case)?.team.unwrap_or_default();
    let actor = db::User {
        id: RETENTION_ACTOR.to_owned(),
        name: "bewaartermijn".to_owned(),
        role: Role::Supervisor,
        team,
    };
    store.erase_case(request, &actor, now)
}

/// Carries out `request` on SQLite, by `by` (checked by the caller).
pub(crate) fn carry_out(
    db: &Db,
    request: &EraseRequest,
    by: &db::User,
    now: DateTime<Utc>,
) -> Result<Erased, DbError> {
    let reason = given_reason(request)?;
    let mut conn = db.lock();
    conn.pragma_update(None, "secure_delete", "ON")?;
    let result = erase_in(&mut conn, request, by, reason, now);
    conn.pragma_update(None, "secure_delete", "OFF")?;
    let mut erased = result?;
    // The old pages are overwritten in the log; copy them into the
    // database and empty the log, so no file keeps the old bytes.
    erased.log_emptied = truncate_wal(&conn)?;
    drop(conn);
    tracing::info!(case = %request.case, generation = ?erased.generation, paths = erased.erased.len(), "erased");
    Ok(erased)
}

fn erase_in(
    conn: &mut Connection,
    request: &EraseRequest,
    by: &db::User,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Erased, DbError> {
    let case = request.case;
    let now_ms = now.timestamp_millis();
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let Some(mut old) = store::load(&tx, case)? else {
        return Err(DbError::NotFound(format!(
            "dossier {case} bestaat niet / no such case"
        )));
    };
    let before = old.blob_hashes();
    let (generation, erased, after, quarantine) = if request.targets.is_empty() {
        // The whole case: the document, its feed row (cascade), access and
        // quarantined work. Sync states stay (heads only, no data): a
        // device that held it is told to purge it (db::catchup_since).
        let assignees = db::assignees(&tx, case)?;
        // What reports count stays, as numbers: the case's series are
        // brought up to date, then kept under an id that leads nowhere.
        if let Err(e) = db::project(&tx, &case.to_string()) {
            // A case that no longer reads keeps the series it had.
            tracing::warn!(case = %case, error = %e, "an erased case's report series could not be brought up to date");
        }
        let anonymous = Uuid::new_v4().to_string();
        tx.execute(
            "UPDATE report_series SET source = 'erased:' || ?2, case_id = ?2 WHERE source = ?1",
            params![case.to_string(), anonymous],
        )?;
        tx.execute(
            "DELETE FROM report_dirty WHERE source = ?1",
            params![case.to_string()],
        )?;
        store::delete(&tx, case)?;
        tx.execute(
            "DELETE FROM case_access WHERE case_id = ?1",
            params![case.to_string()],
        )?;
        let quarantined = tx.execute(
            "DELETE FROM quarantine WHERE case_id = ?1",
            params![case.to_string()],
        )?;
        for user in assignees {
            db::push_admin_event(&tx, &AdminEvent::Unassign { user, case })?;
        }
        (None, vec!["*".to_owned()], Vec::new(), quarantined)
    } else {
        let editor = Editor {
            user: by.id.clone(),
            device: Uuid::nil(),
        };
        let (mut fresh, erasure) = old
            .regenerate(&request.targets, &editor, reason, now)
            .map_err(|e| DbError::Invalid(e.to_string()))?;
        store::replace_in(&tx, &mut fresh)?;
        tx.execute(
            "UPDATE documents SET generation = ?2 WHERE id = ?1",
            params![case.to_string(), erasure.generation as i64],
        )?;
        db::record_change(&tx, case, by, false)?;
        tx.execute(
            "DELETE FROM sync_states WHERE doc_id = ?1",
            params![case.to_string()],
        )?;
        let carried = carry_quarantine(&tx, case, &mut old, &mut fresh)?;
        (
            Some(erasure.generation),
            erasure.erased,
            fresh.blob_hashes(),
            carried,
        )
    };
    db::put_case_blobs(&tx, case, &after, now_ms)?;
    let attachments = delete_unreferenced(&tx, &before, &after)?;
    let paths = serde_json::to_string(&erased).unwrap_or_else(|_| "[]".into());
    tx.execute(
        "INSERT INTO erasures (case_id, generation, at, by_user, reason, erased) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            case.to_string(),
            generation.map_or(0, |g| g as i64),
            now_ms,
            by.id,
            reason,
            paths
        ],
    )?;
    db::audit(
        &tx,
        Some(&by.id),
        None,
        "erase",
        &[case],
        &audit_detail(generation, &erased, attachments, reason),
    )?;
    db::push_admin_event(&tx, &AdminEvent::Erase { case })?;
    tx.commit()?;
    Ok(Erased {
        generation,
        erased,
        attachments,
        quarantine,
        log_emptied: false,
    })
}

/// Quarantined work of the case (changes made on the old generation) made
/// again on the new one, without the erased values; decided batches keep
/// their decision and lose their changes.
fn carry_quarantine(
    tx: &rusqlite::Transaction<'_>,
    case: Uuid,
    old: &mut CaseDoc,
    fresh: &mut CaseDoc,
) -> Result<usize, DbError> {
    let rows: Vec<(i64, Vec<u8>, bool)> = {
        let mut stmt = tx.prepare(
            "SELECT id, changes, decided_at IS NOT NULL FROM quarantine WHERE case_id = ?1",
        )?;
        stmt.query_map(params![case.to_string()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?
        .collect::<Result<_, _>>()?
    };
    let mut carried = 0;
    for (id, changes, decided) in rows {
        let bytes = if decided {
            Vec::new()
        } else {
            carried += 1;
            carry_over(old, fresh, &changes)?
        };
        tx.execute(
            "UPDATE quarantine SET changes = ?2 WHERE id = ?1",
            params![id, bytes],
        )?;
    }
    Ok(carried)
}

/// Deletes the attachments in `before` that no case references any more
/// (the erased part's): at once, not after the grace period.
fn delete_unreferenced(
    tx: &rusqlite::Transaction<'_>,
    before: &[BlobHash],
    after: &[BlobHash],
) -> Result<usize, DbError> {
    let mut gone = 0;
    for hash in before.iter().filter(|h| !after.contains(h)) {
        let referenced: bool = tx
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM case_blobs WHERE hash = ?1)")?
            .query_row([hash.as_str()], |r| r.get(0))?;
        if referenced {
            continue;
        }
        gone += tx.execute("DELETE FROM blobs WHERE hash = ?1", [hash.as_str()])?;
        tx.execute("DELETE FROM blob_parts WHERE hash = ?1", [hash.as_str()])?;
        tx.execute("DELETE FROM blob_orphans WHERE hash = ?1", [hash.as_str()])?;
    }
    Ok(gone)
}

/// Checkpoints the write-ahead log into the database and truncates it to
/// nothing; `false` when readers of older pages kept it from finishing
/// (SQLite waits for them as long as the busy timeout allows).
pub fn truncate_wal(conn: &Connection) -> Result<bool, DbError> {
    let busy: i64 = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
    Ok(busy == 0)
}

/// What the audit log says of an erasure (paths and counts, no values).
pub(crate) fn audit_detail(
    generation: Option<u64>,
    erased: &[String],
    attachments: usize,
    reason: &str,
) -> String {
    format!(
        "generatie {}: {} ({} bijlagen); reden: {reason}",
        generation.map_or_else(|| "geen (dossier gewist)".to_owned(), |g| g.to_string()),
        erased.join(", "),
        attachments
    )
}

/// Quarantined `changes` made on the old generation `old`, made again on
/// `fresh` without the erased values: the bytes to keep instead.
pub(crate) fn carry_over(
    old: &mut CaseDoc,
    fresh: &mut CaseDoc,
    changes: &[u8],
) -> Result<Vec<u8>, DbError> {
    let old_heads = old.heads();
    let mut with = old.fork();
    // Bytes that do not load carry nothing over.
    let edits = match with.load_incremental(changes) {
        Ok(_) => with.local_edits(&old_heads, &Default::default()),
        Err(_) => Vec::new(),
    };
    let mut next = fresh.fork();
    let start = next.heads();
    next.carry_over(&edits)
        .map_err(|e| DbError::Invalid(e.to_string()))?;
    Ok(next.save_after(&start))
}

/// The request's reason, trimmed; refused when there is none.
pub(crate) fn given_reason(request: &EraseRequest) -> Result<&str, DbError> {
    let reason = request.reason.trim();
    if reason.is_empty() {
        return Err(DbError::Invalid(
            "geef een reden voor het wissen (--reason) / a reason is required".into(),
        ));
    }
    Ok(reason)
}
