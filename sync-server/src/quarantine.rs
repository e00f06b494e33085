//! The quarantine: work a device had not synced when it lost a case. The
//! device hands it over before it deletes anything; the team's supervisor
//! merges it into the case (checked by the same policy as any sync, as the
//! work of the user and device that made it) or discards it. Every step is
//! in the audit log.

use brug_shared::casedoc::CaseDoc;
use brug_shared::policy::{self, Refusal};
use brug_shared::protocol::limits::MAX_OPS_PER_BATCH;
use brug_shared::protocol::quarantine::{Entry, MAX_QUARANTINE_BYTES, MAX_QUARANTINE_PER_DEVICE};
use brug_shared::store;
use rusqlite::{Connection, params};
use uuid::Uuid;

use crate::db::{self, Db, DbError, Device, Quarantined, User};
use crate::docs::DocCache;

/// Why a hand-over or a decision was refused.
#[derive(Debug, thiserror::Error)]
pub enum QuarantineError {
    /// No such entry in this supervisor's team (or already decided).
    #[error("die wachtende wijzigingen bestaan niet in uw team of werden al behandeld")]
    NotFound,
    /// The hand-over is too big, or the device has too many waiting.
    #[error("te veel of te grote wachtende wijzigingen van dit toestel")]
    TooLarge,
    /// The changes are not automerge changes of a case.
    #[error("de wachtende wijzigingen zijn onleesbaar: {0}")]
    Invalid(String),
    /// The changes cannot be read whole, or build on work the server
    /// never had: nothing merged, the entry stays waiting.
    #[error(
        "de wachtende wijzigingen zijn onleesbaar of bouwen voort op werk dat de server niet heeft; ze blijven wachten ({0})"
    )]
    Unreadable(String),
    /// The changes touch what their author may not change.
    #[error("{0}")]
    Refused(#[from] Refusal),
    /// The database failed.
    #[error("{0}")]
    Db(#[from] DbError),
}

/// The entry as the app sees it.
pub(crate) fn entry(q: Quarantined) -> Entry {
    Entry {
        id: q.id,
        case: q.case,
        user: q.user,
        device: q.device,
        at: q.at,
        bytes: q.bytes,
        decision: q.decision,
    }
}

/// Refuses a hand-over with no changes or too many bytes.
pub(crate) fn check_hand_over(changes: &[u8]) -> Result<(), QuarantineError> {
    if changes.is_empty() {
        return Err(QuarantineError::Invalid(
            "geen wijzigingen / no changes".into(),
        ));
    }
    if changes.len() > MAX_QUARANTINE_BYTES {
        return Err(QuarantineError::TooLarge);
    }
    Ok(())
}

/// Keeps a device's unsynced work on `case`; returns the entry's number.
pub fn hand_over(
    conn: &Connection,
    device: &Device,
    user: &User,
    case: Uuid,
    changes: &[u8],
) -> Result<i64, QuarantineError> {
    check_hand_over(changes)?;
    let waiting: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM quarantine WHERE device_id = ?1 AND decided_at IS NULL",
            params![device.id],
            |r| r.get(0),
        )
        .map_err(DbError::from)?;
    if waiting >= MAX_QUARANTINE_PER_DEVICE {
        return Err(QuarantineError::TooLarge);
    }
    // Work on a case erased whole is not kept: the erasure covers it.
    // The device gets a receipt (entry 0) and lets the case go.
    let erased: bool = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM erasures WHERE case_id = ?1 AND generation = 0)",
            params![case.to_string()],
            |r| r.get(0),
        )
        .map_err(DbError::from)?;
    if erased {
        db::audit(
            conn,
            Some(&user.id),
            Some(&device.id),
            "quarantine-erased",
            &[case],
            &format!(
                "{} bytes of unsynced work on a case erased whole: not kept",
                changes.len()
            ),
        )?;
        return Ok(0);
    }
    let id = db::quarantine_put(conn, case, user, &device.id, changes)?;
    db::audit(
        conn,
        Some(&user.id),
        Some(&device.id),
        "quarantine-in",
        &[case],
        &format!(
            "entry {id}: {} bytes of unsynced work handed over",
            changes.len()
        ),
    )?;
    Ok(id)
}

/// The quarantine of the supervisor's team, undecided first.
pub fn list(conn: &Connection, supervisor: &User) -> Result<Vec<Entry>, QuarantineError> {
    Ok(db::quarantine_list(conn, Some(&supervisor.team))?
        .into_iter()
        .map(entry)
        .collect())
}

/// Merges entry `id` into its case (creating the case when it never reached
/// the server) or discards it. Returns the entry as decided and, after a
/// merge that changed the case, its id (for live push).
pub fn decide(
    db: &Db,
    cache: &DocCache,
    supervisor: &User,
    supervisor_device: &str,
    id: i64,
    merge: bool,
) -> Result<(Entry, Option<Uuid>), QuarantineError> {
    // The case's replica is taken before the writer (the lock order every
    // sync frame keeps), so read which case first.
    let Some(peek) = db::quarantine_entry(&db.reader(), id)? else {
        return Err(QuarantineError::NotFound);
    };
    let shared = if merge {
        cache.get(db, peek.case)?
    } else {
        None
    };
    let mut replica = shared
        .as_ref()
        .map(|d| d.lock().unwrap_or_else(|p| p.into_inner()));
    let mut conn = db.lock();
    let Some((found, team, changes)) = db::quarantine_take(&conn, id)? else {
        return Err(QuarantineError::NotFound);
    };
    if team != supervisor.team || found.case != peek.case {
        return Err(QuarantineError::NotFound);
    }
    let case = found.case;
    let mut changed = None;
    if merge {
        let author = db::user(&conn, &found.user)?.ok_or(QuarantineError::NotFound)?;
        let device = Uuid::parse_str(&found.device).unwrap_or(Uuid::nil());
        let merged = merge_into_case(
            &mut conn,
            replica.as_deref_mut(),
            case,
            &author,
            device,
            &changes,
        )?;
        if let Some(fork) = merged {
            changed = Some(case);
            match replica.as_deref_mut() {
                Some(doc) => *doc = fork,
                None => {
                    cache.insert(case, fork);
                }
            }
        }
    }
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(DbError::from)?;
    db::quarantine_decide(&tx, id, &supervisor.id, merge)?;
    db::audit(
        &tx,
        Some(&supervisor.id),
        Some(supervisor_device),
        if merge {
            "quarantine-merged"
        } else {
            "quarantine-discarded"
        },
        &[case],
        &format!("entry {id} of {} ({} bytes)", found.user, found.bytes),
    )?;
    tx.commit().map_err(DbError::from)?;
    let decided = db::quarantine_entry(&conn, id)?
        .map(entry)
        .ok_or(QuarantineError::NotFound)?;
    Ok((decided, changed))
}

/// Applies the changes to the case as a sync from `author` on `device`
/// would: on a fork, bounded, checked by the policy, still a case.
fn merge_into_case(
    conn: &mut Connection,
    replica: Option<&mut CaseDoc>,
    case: Uuid,
    author: &User,
    device: Uuid,
    changes: &[u8],
) -> Result<Option<CaseDoc>, QuarantineError> {
    let exists = replica.is_some();
    let mut fork = match replica {
        Some(doc) => doc.fork(),
        None => CaseDoc::empty(case),
    };
    if !apply(&mut fork, author, device, changes)? {
        return Ok(None);
    }
    let now = db::now_ms();
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(DbError::from)?;
    store::save_in(&tx, &mut fork).map_err(DbError::from)?;
    db::record_change(&tx, case, author, !exists)?;
    db::put_case_blobs(&tx, case, &fork.blob_hashes(), now)?;
    tx.commit().map_err(DbError::from)?;
    Ok(Some(fork))
}

/// Applies quarantined changes to `doc` (the case as stored, or an empty
/// one when it never reached the server) as a sync from `author` on
/// `device` would: bounded, checked by the policy, still a case. `false`:
/// nothing new (the work reached the server after all, or it depends on
/// work the server never had).
pub(crate) fn apply(
    doc: &mut CaseDoc,
    author: &User,
    device: Uuid,
    changes: &[u8],
) -> Result<bool, QuarantineError> {
    let sender = policy::Sender {
        user: &author.id,
        role: author.role,
        device,
    };
    let before = doc.heads();
    let ops_before = doc.op_count();
    doc.load_incremental(changes)
        .map_err(|e| QuarantineError::Invalid(e.to_string()))?;
    if doc.heads() == before {
        // Nothing new: the work is in the case already, or automerge
        // skipped it (bytes it cannot read, changes on work the server
        // never had). Only the first counts as done; the rest stays
        // waiting rather than being called merged.
        readable_on(doc, changes)?;
        return Ok(false);
    }
    if doc.op_count().saturating_sub(ops_before) > MAX_OPS_PER_BATCH {
        return Err(QuarantineError::TooLarge);
    }
    policy::check(doc, &before, sender, db::now_ms(), None, &|_| None)?;
    doc.case()
        .map_err(|e| QuarantineError::Invalid(e.to_string()))?;
    Ok(true)
}

/// Whether `changes` read whole on top of `doc`: every chunk parses and
/// every change's dependencies are in `doc` or in `changes`.
fn readable_on(doc: &mut CaseDoc, changes: &[u8]) -> Result<(), QuarantineError> {
    let mut all = doc.save();
    all.extend_from_slice(changes);
    automerge::Automerge::load_with_options(
        &all,
        automerge::LoadOptions::new()
            .on_partial_load(automerge::OnPartialLoad::Error)
            .verification_mode(automerge::VerificationMode::DontCheck),
    )
    .map(drop)
    .map_err(|e| QuarantineError::Unreadable(e.to_string()))
}
