//! Sync sessions, the hand-over of unsynced work, and the local store as
//! the session sees it.

use brug_shared::casedoc::CaseDoc;
use brug_shared::protocol::quarantine;
use brug_shared::rules::RuleContext;
use brug_shared::store;
use uuid::Uuid;

use super::{Device, DeviceError, indexer, setting, wipe_files};
use crate::index;
use crate::local::{self, LocalStore};
use crate::net::{self, Endpoint, NetError, SyncConnection};
use crate::sync::{self as session, Progress, Received, Report, StoreFault, SyncError, SyncStore};

impl Device {
    /// One sync session with the server. When the server says this device
    /// is revoked, the local data and key are wiped.
    pub async fn sync(
        &mut self,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<Report, DeviceError> {
        self.session(progress, None).await
    }

    /// Syncs, then stays connected until the connection ends, syncing what
    /// others change as the server announces it, and pushing what changes
    /// here at every ping or at once when `wake` is notified.
    pub async fn watch(
        &mut self,
        progress: &mut (dyn FnMut(Progress) + Send),
        wake: &tokio::sync::Notify,
    ) -> Result<Report, DeviceError> {
        self.session(progress, Some(wake)).await
    }

    async fn session(
        &mut self,
        progress: &mut (dyn FnMut(Progress) + Send),
        stay: Option<&tokio::sync::Notify>,
    ) -> Result<Report, DeviceError> {
        let endpoint = self.endpoint()?;
        let token = setting(&self.store, "token")?;
        // The policy lead's device holds no cases and no team records: its
        // session is a check-in (a day's public report proves the token
        // still holds, so the lease is renewed and a revoked device wipes
        // itself like any other).
        if !self.role()?.holds_cases() {
            let today = (self.now)().date_naive();
            let query = brug_shared::report::Query {
                from: today,
                to: today,
                team: None,
                by: brug_shared::report::Breakdown::None,
                public: true,
            };
            return match self.team_link()?.report(&query).await {
                Ok(_) => {
                    let now = self.now_ms().to_string();
                    self.store.set_setting("last_sync_ms", &now)?;
                    self.store.set_setting("last_sync_done_ms", &now)?;
                    self.store.set_setting("last_error", "")?;
                    Ok(Report::default())
                }
                Err(DeviceError::Net(n)) if n.is_revoked() => {
                    Err(self.wipe_revoked(&endpoint, &token).await)
                }
                Err(e) => {
                    self.store.set_setting("last_error", &e.to_string())?;
                    Err(e)
                }
            };
        }
        // What a session receives can be fetched again, so its many small
        // commits need not each wait for the disk; local edits (outside a
        // session) stay fully synchronous.
        let _ = self
            .store
            .conn()
            .pragma_update(None, "synchronous", "NORMAL");
        // The team's catalogue first: a small request that carries only
        // heads when nothing changed. It failing (an older server, a
        // refused change) does not stop the cases' sync. The sync
        // connection opens meanwhile (its own TLS handshake): the cases'
        // session starts once both are done.
        let (team, opened) = tokio::join!(
            self.sync_team_docs(&endpoint, &token),
            SyncConnection::open(&endpoint, &token)
        );
        if let Err(e) = team {
            if matches!(&e, DeviceError::Net(n) if n.is_revoked()) {
                return Err(self.wipe_revoked(&endpoint, &token).await);
            }
            tracing::warn!(error = %e, "the team's catalogue and activities were not synced");
        }
        let outcome = async {
            let mut conn = opened.map_err(SyncError::Net)?;
            let ctx = self.ctx();
            let now_ms = self.now_ms();
            let mut adapter = Adapter {
                store: &mut self.store,
                now_ms,
                written: std::collections::HashMap::new(),
                indexer: indexer::Indexer::new(ctx.clone(), now_ms),
                settled: Vec::new(),
                made_here: Vec::new(),
                ctx,
            };
            let report = if let Some(wake) = stay {
                session::watch(&mut conn, &mut adapter, progress, wake).await
            } else {
                session::run_session(&mut conn, &mut adapter, progress).await
            };
            // Rows still being made when the session ended (cut off, say):
            // written now; what fails here is made good by the next pass.
            if let Err(e) = adapter.flush() {
                tracing::warn!(error = %e, "index rows of this sync not written yet");
            }
            conn.close().await;
            report
        }
        .await;
        let _ = self.store.conn().pragma_update(None, "synchronous", "FULL");
        match outcome {
            Ok(mut report) => {
                // Attachments on their own channel, once the cases that
                // reference them are on the server. A failure here leaves
                // them for the next sync; the cases' sync stands.
                let budget = self.attachment_limits().sync_budget_bytes;
                match self.sync_attachments(budget).await {
                    Ok(a) => report.attachments = a,
                    Err(e) => tracing::warn!(error = %e, "attachments not synced this time"),
                }
                // Cases lost in this session: their unsynced work goes to
                // the quarantine now; what fails is tried after the next sync.
                let (_, failed) = self.hand_over(&endpoint, &token, false).await;
                if failed > 0 {
                    tracing::warn!(failed, "unsynced work of lost cases not handed over yet");
                }
                self.remember_joined(&report.joined)?;
                self.follow_certificates(&report.certificates)?;
                // A maintenance pass: when it fails, the sync still stands
                // and the pass is tried again after the next one.
                if let Err(e) = self.refresh_for_today() {
                    tracing::warn!(error = %e, "the day's refresh of the case list failed");
                }
                let now = self.now_ms().to_string();
                self.store.set_setting("last_sync_ms", &now)?;
                self.store.set_setting("last_sync_done_ms", &now)?;
                self.store.set_setting("last_error", "")?;
                Ok(report)
            }
            Err(SyncError::Revoked) => Err(self.wipe_revoked(&endpoint, &token).await),
            Err(SyncError::Net(e)) if e.is_revoked() => {
                Err(self.wipe_revoked(&endpoint, &token).await)
            }
            Err(e) => {
                self.store.set_setting("last_error", &e.to_string())?;
                Err(DeviceError::Sync(e))
            }
        }
    }

    /// Hands unsynced work to the server's quarantine: of the cases set
    /// apart (`all`: of every case with unacknowledged changes too, before a
    /// revoked device wipes itself). A case handed over, or with nothing
    /// unacknowledged, is deleted here; one whose hand-over failed stays.
    /// Returns how many were handed over and how many failed.
    async fn hand_over(&mut self, endpoint: &Endpoint, token: &str, all: bool) -> (usize, usize) {
        let conn = self.store.conn();
        let listed = local::lost(conn).and_then(|mut ids| {
            if all {
                ids.extend(local::pending(conn)?);
                ids.sort();
                ids.dedup();
            }
            Ok(ids)
        });
        let ids = match listed {
            Ok(ids) => ids,
            Err(e) => {
                // Nothing is deleted below without a receipt; say it failed.
                tracing::error!(error = %e, "cases with unsynced work could not be listed");
                return (0, 1);
            }
        };
        let (mut handed, mut failed) = (0, 0);
        for id in ids {
            let changes = match local::unacknowledged(self.store.conn(), id) {
                Ok(c) => c,
                Err(e) => {
                    tracing::error!(case = %id, error = %e, "unsynced work unreadable");
                    failed += 1;
                    continue;
                }
            };
            if !changes.is_empty() {
                let req = quarantine::HandOver {
                    case: id,
                    changes: hex::encode(&changes),
                };
                let sent: Result<quarantine::Receipt, NetError> =
                    net::team_request(endpoint, token, "/v1/quarantine", &req).await;
                if let Err(e) = sent {
                    tracing::warn!(case = %id, error = %e, "hand-over failed");
                    failed += 1;
                    continue;
                }
                handed += 1;
            }
            let removed = self.store.transaction().and_then(|tx| {
                local::remove_case(&tx, id)?;
                Ok(tx.commit()?)
            });
            if let Err(e) = removed {
                tracing::error!(case = %id, error = %e, "case handed over but not removed");
            }
        }
        (handed, failed)
    }

    async fn wipe_revoked(&mut self, endpoint: &Endpoint, token: &str) -> DeviceError {
        let (handed_over, kept_back) = self.hand_over(endpoint, token, true).await;
        wipe_files(self.store.home());
        DeviceError::Revoked {
            handed_over,
            kept_back,
        }
    }
}

/// The local store seen by the sync session.
struct Adapter<'a> {
    store: &'a mut LocalStore,
    ctx: RuleContext,
    now_ms: i64,
    /// Per case, the heads and sync state this session last wrote: a
    /// message that changed neither (the server's "nothing more") writes
    /// nothing.
    written: std::collections::HashMap<Uuid, (Vec<automerge::ChangeHash>, Vec<u8>)>,
    /// Makes the index rows of the cases this session changed.
    indexer: indexer::Indexer,
    /// Cases the server acknowledged whose settling is not written yet:
    /// written with the next cases saved, or [`SETTLE_TOGETHER`] at a time,
    /// and when the session goes idle or ends. Cut off before that, a case stays pending and is
    /// offered again next time (the server has it: nothing is sent twice).
    settled: Vec<Settled>,
    /// Rows made in place (no thread for them) waiting for that write.
    made_here: Vec<indexer::Made>,
}

/// A case the server acknowledged, with its heads then (sorted).
struct Settled {
    id: Uuid,
    heads: Vec<automerge::ChangeHash>,
}

/// Saves one case a message was applied to, in `tx`.
fn save_one(
    tx: &rusqlite::Transaction<'_>,
    r: &mut Received<'_>,
    encoded: &[u8],
) -> Result<(), StoreFault> {
    let id = r.id;
    let mut before = store::heads(tx, id).map_err(fault)?.unwrap_or_default();
    before.sort();
    // A replica that is still empty (the first exchange) is not a case yet.
    match r.snapshot {
        Some(snapshot) => {
            store::save_received_in(tx, r.doc, snapshot).map_err(fault)?;
        }
        None if r.doc.change_count() > 0 => {
            store::merge_and_save_in(tx, r.doc).map_err(fault)?;
        }
        None => {}
    }
    // Something new for the case list: its row is behind until it is made
    // again (beside the session, or by the next pass over the index when
    // the session is cut off before), durably marked so with what came in.
    let mut after = r.doc.heads();
    after.sort();
    if !after.is_empty() && after != before {
        local::mark_index_stale(tx, id).map_err(fault)?;
    }
    local::put_sync_state(tx, id, encoded).map_err(fault)
}

/// Cases settled in one transaction: a window of cases costs a few commits
/// instead of one each.
const SETTLE_TOGETHER: usize = 16;

fn fault(e: impl std::error::Error + Send + Sync + 'static) -> StoreFault {
    StoreFault::new(e)
}

impl Adapter<'_> {
    /// Saves the cases (each from its `snapshot` when it came whole and is
    /// not stored yet) and their sync states in one transaction.
    fn save_together(&mut self, received: &mut [Received<'_>]) -> Result<(), StoreFault> {
        // What this session wrote already as it is is not written again:
        // what another handle saved since stays as it is, and nothing of
        // this copy is missing there.
        let mut todo = Vec::with_capacity(received.len());
        for r in received.iter_mut() {
            let encoded = r.state.encode();
            let heads = r.doc.heads();
            let same = self
                .written
                .get(&r.id)
                .is_some_and(|(h, st)| *h == heads && *st == encoded);
            if !same {
                todo.push((r, encoded));
            }
        }
        if todo.is_empty() {
            return Ok(());
        }
        // The cases settled and the rows made since the last write go in
        // the same transaction, first (as if written before).
        let made = self.made();
        let settled = std::mem::take(&mut self.settled);
        let tx = self.store.transaction().map_err(fault)?;
        settle_in(&tx, made, settled, &self.ctx, self.now_ms)?;
        for (r, encoded) in &mut todo {
            save_one(&tx, r, encoded)?;
        }
        tx.commit().map_err(fault)?;
        for (r, encoded) in todo {
            self.written.insert(r.id, (r.doc.heads(), encoded));
        }
        Ok(())
    }

    /// Writes the settling of the cases acknowledged so far, and the rows
    /// made meanwhile, in one transaction.
    fn write_settled(&mut self) -> Result<(), StoreFault> {
        let made = self.made();
        if made.is_empty() && self.settled.is_empty() {
            return Ok(());
        }
        let settled = std::mem::take(&mut self.settled);
        let tx = self.store.transaction().map_err(fault)?;
        settle_in(&tx, made, settled, &self.ctx, self.now_ms)?;
        tx.commit().map_err(fault)
    }

    /// The index rows made so far (beside the session and in place); the
    /// cases they were made of are kept in memory again.
    fn made(&mut self) -> Vec<indexer::Made> {
        let mut made = self.indexer.ready();
        made.append(&mut self.made_here);
        self.keep_made(&mut made);
        made
    }

    fn keep_made(&mut self, made: &mut [indexer::Made]) {
        for m in made {
            if let Some(doc) = m.doc.take() {
                self.store.keep(doc);
            }
        }
    }
}

/// Writes, in `tx`, the index rows `made` and the settling of the cases
/// acknowledged so far.
fn settle_in(
    tx: &rusqlite::Transaction<'_>,
    made: Vec<indexer::Made>,
    settled: Vec<Settled>,
    ctx: &RuleContext,
    now_ms: i64,
) -> Result<(), StoreFault> {
    indexer::write_made(tx, made, ctx, now_ms).map_err(fault)?;
    for Settled { id, heads } in settled {
        // An edit saved by the screens after this session's last
        // exchange is not on the server yet: it stays pending.
        let stored = store::heads(tx, id).map_err(fault)?;
        if stored.is_none_or(|mut h| {
            h.sort();
            h == heads
        }) {
            local::settle(tx, id).map_err(fault)?;
        }
        // Given back (assigned again) before its hand-over: it is held again.
        local::found(tx, id).map_err(fault)?;
    }
    Ok(())
}

impl SyncStore for Adapter<'_> {
    fn cursor(&self) -> Result<u64, StoreFault> {
        match self.store.setting("cursor").map_err(fault)? {
            None => Ok(0),
            Some(c) => c.parse().map_err(fault),
        }
    }
    fn set_cursor(&mut self, cursor: u64) -> Result<(), StoreFault> {
        self.store
            .set_setting("cursor", &cursor.to_string())
            .map_err(fault)
    }
    fn held(&self) -> Result<Vec<Uuid>, StoreFault> {
        local::held(self.store.conn()).map_err(fault)
    }
    fn pending(&self) -> Result<Vec<Uuid>, StoreFault> {
        local::pending(self.store.conn()).map_err(fault)
    }
    fn is_new(&self, id: Uuid) -> Result<bool, StoreFault> {
        local::is_new(self.store.conn(), id).map_err(fault)
    }
    fn load(&mut self, id: Uuid) -> Result<Option<CaseDoc>, StoreFault> {
        // The session gives it back when done with it (`synced`).
        self.store.take(id).map_err(fault)
    }
    fn sync_state(&self, id: Uuid) -> Result<Option<Vec<u8>>, StoreFault> {
        local::sync_state(self.store.conn(), id).map_err(fault)
    }
    fn save(
        &mut self,
        id: Uuid,
        doc: &mut CaseDoc,
        state: &automerge::sync::State,
    ) -> Result<(), StoreFault> {
        self.save_together(&mut [Received {
            id,
            doc,
            state,
            snapshot: None,
        }])
    }
    fn save_received(
        &mut self,
        id: Uuid,
        doc: &mut CaseDoc,
        state: &automerge::sync::State,
        snapshot: &[u8],
    ) -> Result<(), StoreFault> {
        self.save_together(&mut [Received {
            id,
            doc,
            state,
            snapshot: Some(snapshot),
        }])
    }
    fn save_all(&mut self, received: &mut [Received<'_>]) -> Result<(), StoreFault> {
        self.save_together(received)
    }
    fn synced(&mut self, id: Uuid, mut doc: CaseDoc, changed: bool) -> Result<(), StoreFault> {
        // The index row is made once per case per session, and only when
        // the session brought something new (local edits index themselves,
        // and what came in marked the row stale): beside the session, or
        // here when no thread can take it.
        let mut heads = doc.heads();
        heads.sort();
        self.settled.push(Settled { id, heads });
        // Opened next (or synced again) without reading its history anew:
        // everything in it is stored already. A case handed over for its
        // row is kept when it comes back with it.
        if changed {
            if let Some(doc) = self.indexer.hand(id, doc) {
                self.made_here
                    .push(indexer::Made::now(doc, &self.ctx, self.now_ms));
            }
        } else {
            self.store.keep(doc);
        }
        if self.settled.len() >= SETTLE_TOGETHER {
            self.write_settled()?;
        }
        Ok(())
    }
    fn replace(
        &mut self,
        id: Uuid,
        mine: &mut CaseDoc,
        acknowledged: &[automerge::ChangeHash],
        next: &mut CaseDoc,
    ) -> Result<brug_shared::casedoc::CarryReport, StoreFault> {
        // Deleted pages are overwritten, not just freed: the old
        // generation holds what was erased.
        self.store
            .conn()
            .pragma_update(None, "secure_delete", "ON")
            .map_err(fault)?;
        self.write_settled()?;
        // The old generation leaves memory too.
        self.store.forget(id);
        self.written.remove(&id);
        let (ctx, now_ms) = (&self.ctx, self.now_ms);
        let replaced = (|| -> Result<brug_shared::casedoc::CarryReport, StoreFault> {
            // The write lock first: what the screens (or another handle)
            // saved meanwhile is in the stored copy and is carried too.
            let tx = self.store.transaction().map_err(fault)?;
            let stored = store::load(&tx, id).map_err(fault)?;
            let carried = crate::sync::carry_into(stored, mine, acknowledged, next)?;
            let row = index::index_row(next, ctx, now_ms).map_err(fault)?;
            let before = local::case_blob_hashes(&tx, id).map_err(fault)?;
            if !store::replace_in(&tx, next).map_err(fault)? {
                store::save_in(&tx, next).map_err(fault)?;
            }
            tx.execute(
                "DELETE FROM sync_states WHERE doc_id = ?1",
                [id.to_string()],
            )
            .map_err(fault)?;
            local::put_index(&tx, &row).map_err(fault)?;
            for hash in before {
                if !local::blob_referenced(&tx, &hash).map_err(fault)? {
                    local::remove_blob(&tx, &hash).map_err(fault)?;
                }
            }
            if carried.changes > 0 {
                local::mark_pending(&tx, id, false).map_err(fault)?;
            }
            tx.commit().map_err(fault)?;
            Ok(carried)
        })();
        let conn = self.store.conn();
        conn.pragma_update(None, "secure_delete", "OFF")
            .map_err(fault)?;
        let carried = replaced?;
        // Empty the log too; readers of older pages (another handle) may
        // hold it back, then the next checkpoint empties it.
        let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        Ok(carried)
    }
    fn purge(&mut self, id: Uuid) -> Result<(), StoreFault> {
        self.write_settled()?;
        // Work the server never acknowledged is not deleted: the case is set
        // apart until that work is handed to the supervisor's quarantine.
        self.store.forget(id);
        self.written.remove(&id);
        let tx = self.store.transaction().map_err(fault)?;
        if local::is_pending(&tx, id).map_err(fault)? {
            local::set_lost(&tx, id, self.now_ms).map_err(fault)?;
        } else {
            local::remove_case(&tx, id).map_err(fault)?;
        }
        tx.commit().map_err(fault)
    }
    fn flush(&mut self) -> Result<(), StoreFault> {
        self.write_settled()?;
        let mut made = self.indexer.finish();
        self.keep_made(&mut made);
        if made.is_empty() {
            return Ok(());
        }
        let tx = self.store.transaction().map_err(fault)?;
        indexer::write_made(&tx, made, &self.ctx, self.now_ms).map_err(fault)?;
        tx.commit().map_err(fault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use brug_shared::casedoc::{Editor, Target};
    use brug_shared::model::examples;

    /// A fresh device store in a folder of its own (kept while the store is).
    fn fresh_store() -> (tempfile::TempDir, LocalStore) {
        let home = tempfile::tempdir().unwrap();
        let key = crate::keys::create(home.path(), "482193").unwrap();
        let store = LocalStore::open(home.path(), &key).unwrap();
        (home, store)
    }

    /// A session's store over a fresh device store holding one case.
    fn adapter_with_case(store: &mut LocalStore) -> (Adapter<'_>, CaseDoc) {
        let editor = Editor {
            user: "ann".into(),
            device: Uuid::new_v4(),
        };
        let mut doc = CaseDoc::create(Uuid::now_v7(), &examples::household(), &editor).unwrap();
        let tx = store.transaction().unwrap();
        store::save_in(&tx, &mut doc).unwrap();
        local::mark_pending(&tx, doc.id(), false).unwrap();
        tx.commit().unwrap();
        let ctx = RuleContext::at(chrono::Local::now().naive_local());
        let adapter = Adapter {
            store,
            now_ms: 0,
            written: std::collections::HashMap::new(),
            indexer: indexer::Indexer::new(ctx.clone(), 0),
            ctx,
            settled: Vec::new(),
            made_here: Vec::new(),
        };
        (adapter, doc)
    }

    #[test]
    fn what_a_session_stores_marks_the_row_stale_with_it_and_settling_waits_for_a_window() {
        let (_home, mut store) = fresh_store();
        let (mut adapter, mut doc) = adapter_with_case(&mut store);
        let id = doc.id();
        // A change from the server comes in: stored, and the row marked
        // behind in the same transaction (a cut-off session leaves the
        // mark, and the next pass over the index makes the row good).
        doc.set_editor(&Editor {
            user: "bert".into(),
            device: Uuid::new_v4(),
        });
        doc.set_field(
            Target::Household,
            &"name".into(),
            serde_json::json!("Familie Nieuwland"),
        )
        .unwrap();
        let state = automerge::sync::State::new();
        adapter.save(id, &mut doc, &state).unwrap();
        assert_eq!(local::index_stale(adapter.store.conn()).unwrap(), vec![id]);
        // Only the sync state written again: no new mark.
        local::index_fresh(adapter.store.conn(), id).unwrap();
        let mut again = automerge::sync::State::new();
        let _ = doc.generate_sync_message(&mut again);
        adapter.save(id, &mut doc, &again).unwrap();
        assert!(local::index_stale(adapter.store.conn()).unwrap().is_empty());

        // Acknowledged: settled in the window's transaction, not at once;
        // the row made beside the session clears the mark.
        let tx = adapter.store.transaction().unwrap();
        local::mark_index_stale(&tx, id).unwrap();
        tx.commit().unwrap();
        adapter.synced(id, doc, true).unwrap();
        assert!(local::is_pending(adapter.store.conn(), id).unwrap());
        adapter.flush().unwrap();
        assert!(!local::is_pending(adapter.store.conn(), id).unwrap());
        assert!(local::index_stale(adapter.store.conn()).unwrap().is_empty());
        let listed =
            local::search(adapter.store.conn(), &crate::index::CaseQuery::default()).unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].name, "Familie Nieuwland");
    }

    #[test]
    fn answers_that_arrived_together_are_stored_together_or_not_at_all() {
        let (_home, mut store) = fresh_store();
        let (mut adapter, mut first) = adapter_with_case(&mut store);
        let bert = Editor {
            user: "bert".into(),
            device: Uuid::new_v4(),
        };
        let mut second = CaseDoc::create(Uuid::now_v7(), &examples::household(), &bert).unwrap();
        let tx = adapter.store.transaction().unwrap();
        store::save_in(&tx, &mut second).unwrap();
        tx.commit().unwrap();
        let stored_first = store::heads(adapter.store.conn(), first.id()).unwrap();
        // Both change on the server and come back in one batch; the stored
        // copy of the second is unreadable (a damaged page, say).
        for doc in [&mut first, &mut second] {
            doc.set_editor(&bert);
            doc.set_field(
                Target::Household,
                &"name".into(),
                serde_json::json!("Familie Nieuwland"),
            )
            .unwrap();
        }
        adapter
            .store
            .conn()
            .execute(
                "UPDATE documents SET snapshot = X'00ff', heads = (SELECT heads FROM documents WHERE id = ?1) WHERE id = ?2",
                [first.id().to_string(), second.id().to_string()],
            )
            .unwrap();
        let state = automerge::sync::State::new();
        let mut both = [
            Received {
                id: first.id(),
                doc: &mut first,
                state: &state,
                snapshot: None,
            },
            Received {
                id: second.id(),
                doc: &mut second,
                state: &state,
                snapshot: None,
            },
        ];
        assert!(adapter.save_all(&mut both).is_err());
        // Nothing of the batch is stored: the first case is as it was, with
        // no sync state and no mark (the session ends; the server sends it
        // all again next time).
        let conn = adapter.store.conn();
        assert_eq!(store::heads(conn, first.id()).unwrap(), stored_first);
        assert_eq!(local::sync_state(conn, first.id()).unwrap(), None);
        assert!(local::index_stale(conn).unwrap().is_empty());
        // Alone it is stored, sync state and mark with it.
        let id = first.id();
        adapter
            .save_all(&mut [Received {
                id,
                doc: &mut first,
                state: &state,
                snapshot: None,
            }])
            .unwrap();
        let conn = adapter.store.conn();
        assert_eq!(store::heads(conn, id).unwrap(), Some(first.heads()));
        assert!(local::sync_state(conn, id).unwrap().is_some());
        assert_eq!(local::index_stale(conn).unwrap(), vec![id]);
    }
}
