//! Index rows made beside a sync session, on a thread of their own.
//!
//! Reading a whole case and running the rules over it for its row in the
//! case list is about a third of a device's work in a sync; the session
//! itself mostly waits for the network and the store. A case the session
//! brought something new is marked stale in the transaction that stores
//! what came in (`index_stale`), handed to this thread once it is settled,
//! and its row is written in a later transaction of the session (or when
//! it ends), which clears the mark. A mark a cut-off session left is made good by
//! [`reindex_stale`], before the day's pass over the index.

use std::sync::mpsc;
use std::thread::JoinHandle;

use automerge::ChangeHash;
use brug_shared::casedoc::{CaseDoc, CaseDocError};
use brug_shared::rules::RuleContext;
use brug_shared::store;
use rusqlite::Transaction;
use uuid::Uuid;

use crate::index::{self, IndexRow};
use crate::local::{self, LocalError, LocalStore};

/// A row made on the thread (or in place), for the case as it was at
/// `heads`.
pub(super) struct Made {
    id: Uuid,
    heads: Vec<ChangeHash>,
    row: Result<IndexRow, CaseDocError>,
    /// The case the row was made of, given back to be kept in memory
    /// (handed over itself, not a copy).
    pub(super) doc: Option<CaseDoc>,
}

impl Made {
    /// The row of `doc` as it is now, made in place.
    pub(super) fn now(mut doc: CaseDoc, ctx: &RuleContext, now_ms: i64) -> Self {
        Self {
            id: doc.id(),
            heads: doc.heads(),
            row: index::index_row(&mut doc, ctx, now_ms),
            doc: Some(doc),
        }
    }
}

/// The thread and its two channels; started at the first case handed over.
pub(super) struct Indexer {
    ctx: RuleContext,
    now_ms: i64,
    running: Option<Running>,
    /// The thread could not be started: rows are made in place.
    failed: bool,
}

/// Cases waiting for the thread at most: past that, handing one over waits
/// for the thread, so a long restore never holds more copies in memory.
const WAITING: usize = 8;

struct Running {
    jobs: mpsc::SyncSender<(Uuid, CaseDoc)>,
    rows: mpsc::Receiver<Made>,
    thread: JoinHandle<()>,
}

impl Indexer {
    pub(super) fn new(ctx: RuleContext, now_ms: i64) -> Self {
        Self {
            ctx,
            now_ms,
            running: None,
            failed: false,
        }
    }

    /// Hands a case over; gives it back when no thread can take it (then
    /// the caller makes the row itself).
    pub(super) fn hand(&mut self, id: Uuid, doc: CaseDoc) -> Option<CaseDoc> {
        if self.failed {
            return Some(doc);
        }
        if self.running.is_none() {
            let (jobs, job_rx) = mpsc::sync_channel::<(Uuid, CaseDoc)>(WAITING);
            let (row_tx, rows) = mpsc::channel();
            let (ctx, now_ms) = (self.ctx.clone(), self.now_ms);
            let spawned = std::thread::Builder::new()
                .name("brug-index".into())
                .spawn(move || {
                    for (id, mut doc) in job_rx {
                        let heads = doc.heads();
                        let row = index::index_row(&mut doc, &ctx, now_ms);
                        let made = Made {
                            id,
                            heads,
                            row,
                            doc: Some(doc),
                        };
                        if row_tx.send(made).is_err() {
                            return;
                        }
                    }
                });
            match spawned {
                Ok(thread) => {
                    self.running = Some(Running { jobs, rows, thread });
                }
                Err(e) => {
                    tracing::warn!(error = %e, "no thread for the index rows; made in place");
                    self.failed = true;
                    return Some(doc);
                }
            }
        }
        let Some(running) = &self.running else {
            return Some(doc);
        };
        match running.jobs.send((id, doc)) {
            Ok(()) => None,
            Err(e) => {
                // The thread ended (it cannot, short of a panic): in place.
                self.failed = true;
                Some(e.0.1)
            }
        }
    }

    /// The rows made so far, without waiting.
    pub(super) fn ready(&mut self) -> Vec<Made> {
        self.running
            .as_ref()
            .map(|r| r.rows.try_iter().collect())
            .unwrap_or_default()
    }

    /// Every row still to come: waits for the thread to finish them.
    pub(super) fn finish(&mut self) -> Vec<Made> {
        let Some(Running { jobs, rows, thread }) = self.running.take() else {
            return Vec::new();
        };
        drop(jobs);
        let made: Vec<Made> = rows.iter().collect();
        if thread.join().is_err() {
            tracing::error!("the index thread failed; its cases are made good later");
        }
        made
    }
}

/// Writes rows made on the thread, each only while its case is still
/// marked stale (a case set apart or removed since is not brought back into
/// the list); one made for heads the store no longer has is made again
/// from the stored case. A case whose row cannot be made keeps its old row
/// and loses its mark (it is not a readable case; the error is logged).
pub(super) fn write_made(
    tx: &Transaction<'_>,
    made: Vec<Made>,
    ctx: &RuleContext,
    now_ms: i64,
) -> Result<(), LocalError> {
    for Made { id, heads, row, .. } in made {
        if !local::index_fresh(tx, id)? {
            continue;
        }
        let mut stored = store::heads(tx, id)?.unwrap_or_default();
        stored.sort();
        let mut ours = heads;
        ours.sort();
        let row = if stored == ours {
            row
        } else {
            match store::load(tx, id)? {
                Some(mut doc) => index::index_row(&mut doc, ctx, now_ms),
                None => continue,
            }
        };
        match row {
            Ok(row) => local::put_index(tx, &row)?,
            Err(e) => tracing::error!(case = %id, error = %e, "no index row for a synced case"),
        }
    }
    Ok(())
}

/// Makes good the rows of cases still marked stale (a session cut off
/// before their rows were written). Returns how many.
pub fn reindex_stale(
    store: &mut LocalStore,
    ctx: &RuleContext,
    now_ms: i64,
) -> Result<usize, LocalError> {
    let ids = local::index_stale(store.conn())?;
    for id in &ids {
        let doc = store.load(*id)?;
        let tx = store.transaction()?;
        let made = doc.map(|mut doc| Made {
            id: *id,
            heads: doc.heads(),
            row: index::index_row(&mut doc, ctx, now_ms),
            doc: None,
        });
        match made {
            Some(made) => write_made(&tx, vec![made], ctx, now_ms)?,
            None => {
                local::index_fresh(&tx, *id)?;
            }
        }
        tx.commit()?;
    }
    Ok(ids.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use brug_shared::casedoc::{Editor, Target};
    use brug_shared::model::examples;

    /// A store holding one case with its row, marked stale.
    fn store_with_marked_case(home: &std::path::Path) -> (LocalStore, CaseDoc, RuleContext) {
        let key = crate::keys::create(home, "482193").unwrap();
        let mut store = LocalStore::open(home, &key).unwrap();
        let editor = Editor {
            user: "ann".into(),
            device: Uuid::new_v4(),
        };
        let mut doc = CaseDoc::create(Uuid::now_v7(), &examples::household(), &editor).unwrap();
        let ctx = RuleContext::at(chrono::Utc::now().naive_utc());
        let tx = store.transaction().unwrap();
        store::save_in(&tx, &mut doc).unwrap();
        local::put_index(&tx, &index::index_row(&mut doc, &ctx, 0).unwrap()).unwrap();
        local::mark_index_stale(&tx, doc.id()).unwrap();
        tx.commit().unwrap();
        (store, doc, ctx)
    }

    fn listed_name(store: &LocalStore, id: Uuid) -> Option<String> {
        local::search(store.conn(), &index::CaseQuery::default())
            .unwrap()
            .into_iter()
            .find(|r| r.id == id)
            .map(|r| r.name)
    }

    fn made(doc: &mut CaseDoc, ctx: &RuleContext) -> Made {
        Made {
            id: doc.id(),
            heads: doc.heads(),
            row: index::index_row(doc, ctx, 0),
            doc: None,
        }
    }

    #[test]
    fn a_row_made_beside_the_sync_is_written_only_while_its_case_is_marked() {
        let home = tempfile::tempdir().unwrap();
        let (mut store, mut doc, ctx) = store_with_marked_case(home.path());
        let id = doc.id();
        doc.set_field(Target::Household, &"name".into(), "Familie Nieuw".into())
            .unwrap();
        let tx = store.transaction().unwrap();
        store::save_in(&tx, &mut doc).unwrap();
        tx.commit().unwrap();
        let row = made(&mut doc, &ctx);

        // Set apart meanwhile (the server took it away): the late row does
        // not bring it back into the list.
        let tx = store.transaction().unwrap();
        local::set_lost(&tx, id, 0).unwrap();
        write_made(&tx, vec![row], &ctx, 0).unwrap();
        tx.commit().unwrap();
        assert_eq!(listed_name(&store, id), None);
        assert!(local::index_stale(store.conn()).unwrap().is_empty());
    }

    #[test]
    fn a_row_made_for_older_heads_is_made_again_from_the_stored_case() {
        let home = tempfile::tempdir().unwrap();
        let (mut store, mut doc, ctx) = store_with_marked_case(home.path());
        let id = doc.id();
        let older = made(&mut doc, &ctx);
        // Saved again after the row was made (another handle, say).
        doc.set_field(Target::Household, &"name".into(), "Familie Later".into())
            .unwrap();
        let tx = store.transaction().unwrap();
        store::save_in(&tx, &mut doc).unwrap();
        write_made(&tx, vec![older], &ctx, 0).unwrap();
        tx.commit().unwrap();
        assert_eq!(listed_name(&store, id).as_deref(), Some("Familie Later"));
        assert!(local::index_stale(store.conn()).unwrap().is_empty());
    }
}
