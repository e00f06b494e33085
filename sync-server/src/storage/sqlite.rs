//! [`CaseStore`] on the embedded SQLite database: the functions the sync
//! session has always used, behind the trait.

use automerge::ChangeHash;
use brug_shared::casedoc::CaseDoc;
use brug_shared::store::{self, Saved};
use rusqlite::{OptionalExtension, params};
use uuid::Uuid;

use super::{
    Assignment, Audience, BlobChunk, CaseStore, ChunkStored, FeedEntry, NewDevice, PeopleStore,
    ServerStore, SessionStore, Stored, StoredBytes, SyncCommit, TeamDocChange, UNLOCKED,
};
use crate::db::{self, AuditEntry, Catchup, ChunkOutcome, CodeRefusal, Db, DbError, Device, User};
use brug_shared::model::BlobHash;
use brug_shared::model::Role;
use brug_shared::protocol::JoinedDevice;
use brug_shared::protocol::blobs::BlobStatus;
use brug_shared::protocol::quarantine::Entry;
use brug_shared::report::{Plan, Query, Report};

use crate::docs::DocCache;
use crate::erase::{EraseRequest, Erased};
use crate::import::NewCase;
use crate::quarantine::{self, QuarantineError};

impl CaseStore for Db {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn merge_save(&self, doc: &mut CaseDoc, by: &User) -> Result<Stored, DbError> {
        let mut conn = self.lock();
        // IMMEDIATE: the write lock is held from the first read, so nothing
        // is stored between the merge and the write (SQLite has one writer).
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let is_new = store::heads(&tx, doc.id())?.is_none();
        let saved = store::merge_and_save_in(&tx, doc)?;
        let seq = match saved {
            Saved::Unchanged => None,
            _ => Some(db::record_change(&tx, doc.id(), by, is_new)?),
        };
        tx.commit()?;
        Ok(Stored { saved, seq })
    }

    fn load(&self, id: Uuid) -> Result<Option<CaseDoc>, DbError> {
        let conn = self.reader();
        // One read transaction for the snapshot and the chunks: outside
        // one, a compaction committed between the two reads could pair the
        // old snapshot with no chunks (a replica behind the store).
        let tx = conn.unchecked_transaction()?;
        let doc = store::load(&tx, id)?;
        tx.finish()?;
        Ok(doc)
    }

    fn heads(&self, id: Uuid) -> Result<Option<Vec<ChangeHash>>, DbError> {
        Ok(store::heads(&self.reader(), id)?)
    }

    fn stored_bytes(&self, id: Uuid) -> Result<Option<StoredBytes>, DbError> {
        let conn = self.reader();
        // One read transaction for both reads: a compaction between them
        // cannot pair a new snapshot with old chunks.
        let tx = conn.unchecked_transaction()?;
        let key = id.to_string();
        let row: Option<(Vec<u8>, String, i64)> = tx
            .prepare_cached("SELECT snapshot, heads, generation FROM documents WHERE id = ?1")?
            .query_row(params![key], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        let Some((mut bytes, heads, generation)) = row else {
            return Ok(None);
        };
        {
            let mut stmt =
                tx.prepare_cached("SELECT data FROM document_chunks WHERE doc_id = ?1 ORDER BY n")?;
            let mut rows = stmt.query(params![key])?;
            while let Some(r) = rows.next()? {
                bytes.extend_from_slice(r.get_ref(0)?.as_blob().map_err(rusqlite::Error::from)?);
            }
        }
        tx.finish()?;
        Ok(Some(StoredBytes {
            generation: u64::try_from(generation).unwrap_or(0),
            heads: store::decode_heads(&heads)?,
            bytes,
        }))
    }

    fn current_seq(&self) -> Result<i64, DbError> {
        db::current_seq(&self.reader())
    }

    fn changed_since(&self, seq: i64, limit: usize) -> Result<Vec<FeedEntry>, DbError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT doc_id, seq FROM doc_feed WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )?;
        let rows = stmt
            .query_map(
                params![seq, i64::try_from(limit).unwrap_or(i64::MAX)],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)),
            )?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, seq)| {
                Some(FeedEntry {
                    seq,
                    id: Uuid::parse_str(&id).ok()?,
                })
            })
            .collect())
    }

    fn ids(&self) -> Result<Vec<Uuid>, DbError> {
        Ok(store::ids(&self.reader())?)
    }
}

impl PeopleStore for Db {
    fn devices(&self, user: Option<&str>) -> Result<Vec<Device>, DbError> {
        db::devices(&self.reader(), user)
    }

    fn add_user(&self, name: &str, role: Role, team: &str) -> Result<User, DbError> {
        db::add_user(&self.lock(), name, role, team)
    }

    fn user(&self, id: &str) -> Result<Option<User>, DbError> {
        db::user(&self.reader(), id)
    }

    fn add_device(
        &self,
        id: &str,
        user: &str,
        name: &str,
        token_hash: &[u8],
        unlock_secret: &[u8],
    ) -> Result<(), DbError> {
        db::add_device(&self.lock(), id, user, name, token_hash, unlock_secret)
    }

    fn device_by_token(&self, token_hash: &[u8]) -> Result<Option<(Device, User)>, DbError> {
        db::device_by_token(&self.reader(), token_hash)
    }

    fn revoke_device(&self, id: &str) -> Result<Option<String>, DbError> {
        db::revoke_device(&self.lock(), id)
    }

    fn device_revoked(&self, id: &str) -> Result<bool, DbError> {
        db::device_revoked(&self.reader(), id)
    }

    fn touch_device(&self, id: &str) -> Result<(), DbError> {
        db::touch_device(&self.lock(), id)
    }

    fn may_access(&self, user: &User, id: Uuid) -> Result<bool, DbError> {
        db::may_access(&self.reader(), user, id)
    }

    fn visible_cases(&self, user: &User) -> Result<Vec<(Uuid, i64)>, DbError> {
        db::visible_docs(&self.reader(), user)
    }

    fn assign(&self, id: Uuid, user: &str) -> Result<bool, DbError> {
        db::assign(&self.lock(), id, user)
    }

    fn unassign(&self, id: Uuid, user: &str) -> Result<bool, DbError> {
        db::unassign(&self.lock(), id, user)
    }

    fn audience(&self, id: Uuid) -> Result<Audience, DbError> {
        let conn = self.reader();
        let team = db::case_team(&conn, id)?;
        Ok(Audience {
            assigned: if team.is_some() {
                db::assignees(&conn, id)?.into_iter().collect()
            } else {
                Default::default()
            },
            team,
        })
    }

    fn users(&self) -> Result<Vec<User>, DbError> {
        db::users(&self.reader())
    }

    fn assignees(&self, id: Uuid) -> Result<Vec<String>, DbError> {
        db::assignees(&self.reader(), id)
    }

    fn sync_state(&self, device: &str, id: Uuid) -> Result<Option<Vec<u8>>, DbError> {
        db::sync_state(&self.reader(), device, id)
    }

    fn save_sync_state(&self, device: &str, id: Uuid, state: &[u8]) -> Result<(), DbError> {
        db::save_sync_state(&self.lock(), device, id, state)
    }

    fn note_held(&self, device: &str, id: Uuid, state: &[u8]) -> Result<(), DbError> {
        db::note_held(&self.lock(), device, id, state)
    }

    fn audit(
        &self,
        user: Option<&str>,
        device: Option<&str>,
        action: &str,
        cases: &[Uuid],
        detail: &str,
    ) -> Result<(), DbError> {
        db::audit(&self.lock(), user, device, action, cases, detail)
    }

    fn audit_tail(&self, limit: i64) -> Result<Vec<AuditEntry>, DbError> {
        db::audit_tail(&self.reader(), limit)
    }
}

impl SessionStore for Db {
    fn hello(
        &self,
        user: &User,
        device: &Device,
        cursor: i64,
        held: Option<&[Uuid]>,
    ) -> Result<(Catchup, Vec<JoinedDevice>), DbError> {
        let conn = self.reader();
        let c = match held {
            Some(held) => db::catchup(&conn, user, cursor, held)?,
            None => db::catchup_since(&conn, user, &device.id, cursor)?,
        };
        let since = device.last_seen.unwrap_or(device.created_at);
        let joined = db::devices_joined_since(&conn, &user.id, &device.id, since)?;
        Ok((c, joined))
    }

    fn catchup_since(&self, user: &User, device: &str, cursor: i64) -> Result<Catchup, DbError> {
        db::catchup_since(&self.reader(), user, device, cursor)
    }

    fn doc_generation(&self, id: Uuid) -> Result<Option<u64>, DbError> {
        db::doc_generation(&self.reader(), id)
    }

    fn recovery_open(&self, now: i64) -> Result<bool, DbError> {
        db::recovery_open(&self.reader(), now)
    }

    fn relay_author(
        &self,
        device: Uuid,
        author: &str,
        case: Uuid,
    ) -> Result<Option<Role>, DbError> {
        db::relay_author(&self.reader(), device, author, case)
    }

    fn commit_sync(&self, c: SyncCommit<'_>) -> Result<(), DbError> {
        let id = c.doc.id();
        let mut conn = self.lock();
        // One writer: the cached replica is the stored case plus what this
        // server merged, so the store refuses (Stale) rather than merges.
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        store::save_in(&tx, c.doc)?;
        db::record_change(&tx, id, c.by, c.is_new)?;
        db::put_case_blobs(&tx, id, &c.doc.blob_hashes(), db::now_ms())?;
        db::save_sync_state(&tx, c.device, id, c.state)?;
        for (action, detail) in c.audit {
            db::audit(&tx, Some(&c.by.id), Some(c.device), action, &[id], detail)?;
        }
        tx.commit()?;
        Ok(())
    }
}

impl ServerStore for Db {
    fn add_enrol_code(&self, code_hash: &[u8], user: &str, expires_at: i64) -> Result<(), DbError> {
        db::add_enrol_code(&self.lock(), code_hash, user, expires_at)
    }

    fn enrol_device(
        &self,
        code_hash: &[u8],
        now: i64,
        device: &NewDevice<'_>,
    ) -> Result<Result<User, CodeRefusal>, DbError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let user = match db::take_enrol_code(&tx, code_hash, now)? {
            Ok(user) => user,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let user = db::require_user(&tx, &user)?;
        db::add_device(
            &tx,
            device.id,
            &user.id,
            device.name,
            device.token_hash,
            device.unlock_secret,
        )?;
        db::audit(
            &tx,
            Some(&user.id),
            Some(device.id),
            "enrol",
            &[],
            &format!("device '{}' enrolled", device.name),
        )?;
        tx.commit()?;
        Ok(Ok(user))
    }

    fn case_count(&self) -> Result<i64, DbError> {
        db::doc_count(&self.reader())
    }

    fn push_admin_event(&self, event: &db::AdminEvent) -> Result<(), DbError> {
        db::push_admin_event(&self.lock(), event)
    }

    fn last_admin_event(&self) -> Result<i64, DbError> {
        db::last_admin_event(&self.reader())
    }

    fn admin_events_since(&self, seq: i64) -> Result<Vec<(i64, db::AdminEvent)>, DbError> {
        db::admin_events_since(&self.reader(), seq)
    }

    fn add_unlock_code(&self, device: &str, code_hash: &[u8]) -> Result<bool, DbError> {
        db::add_unlock_code(&self.lock(), device, code_hash)
    }

    fn unlock_device(
        &self,
        device: &str,
        code_hash: &[u8],
        now: i64,
    ) -> Result<Option<Vec<u8>>, DbError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let secret = db::take_unlock_code(&tx, device, code_hash, now)?;
        if secret.is_some() {
            db::audit(&tx, None, Some(device), "device-unlocked", &[], UNLOCKED)?;
        }
        tx.commit()?;
        Ok(secret)
    }

    fn open_recovery(&self, hours: u32, by: &str, reason: &str) -> Result<i64, DbError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let until = db::open_recovery(&tx, hours, by, reason)?;
        db::audit(
            &tx,
            Some(by),
            None,
            "recovery-open",
            &[],
            &format!("{hours} h: {}", reason.trim()),
        )?;
        tx.commit()?;
        Ok(until)
    }

    fn close_recovery(&self) -> Result<usize, DbError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let closed = db::close_recovery(&tx)?;
        db::audit(&tx, None, None, "recovery-close", &[], "")?;
        tx.commit()?;
        Ok(closed)
    }
    fn set_assignment(&self, change: &Assignment<'_>) -> Result<bool, DbError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let changed =
            db::set_assignment(&tx, change.case, change.user, change.assign, change.note)?;
        tx.commit()?;
        Ok(changed)
    }

    fn blob_status(&self, user: &User, hashes: Vec<BlobHash>) -> Result<BlobStatus, DbError> {
        let conn = self.reader();
        let mut status = BlobStatus::default();
        for hash in hashes {
            if !db::may_see_blob(&conn, user, &hash)? {
                status.unknown.push(hash);
            } else if db::has_blob(&conn, &hash)? {
                status.have.push(hash);
            } else {
                match db::part_received(&conn, &hash)? {
                    0 => status.missing.push(hash),
                    n => {
                        status.partial.insert(hash, n);
                    }
                }
            }
        }
        Ok(status)
    }

    fn put_blob_chunk(&self, c: &BlobChunk<'_>) -> Result<ChunkStored, DbError> {
        let mut conn = self.lock();
        if !db::may_see_blob(&conn, c.user, c.hash)? {
            return Ok(ChunkStored::NotVisible);
        }
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // A new upload must fit the case's and the device's day's limits
        // (what the device checks before it stores, held here too).
        if c.offset == 0
            && !db::has_blob(&tx, c.hash)?
            && let Some(which) =
                db::over_quota(&tx, c.hash, c.total, c.device, c.day_start, c.limits)?
        {
            return Ok(ChunkStored::OverQuota(which));
        }
        let outcome = db::put_chunk(
            &tx,
            c.hash,
            c.offset,
            c.total,
            c.bytes,
            c.device,
            db::now_ms(),
        )?;
        if let ChunkOutcome::Complete { size } = outcome {
            db::audit(
                &tx,
                Some(&c.user.id),
                Some(c.device),
                "attachment-stored",
                &[],
                &format!("{} {size}", c.hash),
            )?;
        }
        tx.commit()?;
        Ok(ChunkStored::Stored(outcome))
    }

    fn collect_orphans(&self, now: i64, grace_ms: i64) -> Result<usize, DbError> {
        db::collect_orphans(&self.lock(), now, grace_ms)
    }

    fn hand_over(
        &self,
        device: &Device,
        user: &User,
        case: Uuid,
        changes: &[u8],
    ) -> Result<i64, QuarantineError> {
        quarantine::hand_over(&self.lock(), device, user, case, changes)
    }

    fn quarantine(&self, supervisor: &User) -> Result<Vec<Entry>, QuarantineError> {
        quarantine::list(&self.reader(), supervisor)
    }

    fn decide(
        &self,
        cache: &DocCache,
        supervisor: &User,
        supervisor_device: &str,
        id: i64,
        merge: bool,
    ) -> Result<(Entry, Option<Uuid>), QuarantineError> {
        quarantine::decide(self, cache, supervisor, supervisor_device, id, merge)
    }

    fn erase_case(
        &self,
        request: &EraseRequest,
        by: &User,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Erased, DbError> {
        crate::erase::carry_out(self, request, by, now)
    }

    fn import_cases(
        &self,
        cases: &mut [NewCase],
        by: &User,
        detail: &dyn Fn(usize) -> String,
    ) -> Result<Vec<Uuid>, DbError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let (mut made, mut there) = (Vec::new(), Vec::new());
        for case in cases.iter_mut() {
            let id = case.doc.id();
            if db::doc_exists(&tx, id)? {
                there.push(id);
                continue;
            }
            store::save_in(&tx, &mut case.doc)?;
            db::record_change(&tx, id, by, true)?;
            for other in case.assigned.iter().skip(1) {
                crate::admin::set_assignment(&tx, id, other, true, crate::admin::Actor::Admin)?;
            }
            made.push(id);
        }
        db::audit(&tx, None, None, "import", &made, &detail(there.len()))?;
        tx.commit()?;
        Ok(there)
    }

    fn prune_audit(&self, before_ms: i64) -> Result<usize, DbError> {
        Ok(self
            .lock()
            .execute("DELETE FROM audit WHERE at < ?1", [before_ms])?)
    }

    fn run_alone(
        &self,
        _name: &str,
        job: &mut dyn FnMut() -> Result<(), DbError>,
    ) -> Result<bool, DbError> {
        // One server per SQLite database.
        job()?;
        Ok(true)
    }

    fn project_reports(&self, limit: i64) -> Result<usize, DbError> {
        db::project_beside(self, limit)
    }

    fn report(&self, plan: &Plan, query: &Query) -> Result<Report, DbError> {
        crate::reports::make(&mut self.lock(), plan, query)
    }

    fn read_blob(
        &self,
        user: &User,
        hash: &BlobHash,
        offset: u64,
        len: u64,
    ) -> Result<Option<(u64, Vec<u8>)>, DbError> {
        let conn = self.reader();
        if !db::may_see_blob(&conn, user, hash)? {
            return Ok(None);
        }
        let Some(total) = db::blob_size(&conn, hash)? else {
            return Ok(None);
        };
        let bytes = db::blob_range(&conn, hash, offset.min(total), len)?;
        Ok(bytes.map(|b| (total, b)))
    }

    fn team_doc(&self, kind: &'static str, team: &str) -> Result<Option<Vec<u8>>, DbError> {
        db::team_doc_named(&self.reader(), kind, team)
    }

    fn update_team_doc(&self, change: TeamDocChange<'_>) -> Result<(), DbError> {
        let mut conn = self.lock();
        // IMMEDIATE: the one writer from the first read on.
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let stored = db::team_doc_named(&tx, change.kind, change.team)?;
        let case_team = |id: Uuid| db::case_team(&tx, id);
        if let Some((bytes, detail)) = (change.update)(stored, &case_team)? {
            db::save_team_doc_named(&tx, change.kind, change.reported, change.team, &bytes)?;
            db::audit(
                &tx,
                Some(change.by.0),
                Some(change.by.1),
                change.kind,
                &[],
                &detail,
            )?;
        }
        tx.commit()?;
        Ok(())
    }
}
