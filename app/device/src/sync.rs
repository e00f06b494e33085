//! The sync session from the device's side (DESIGN.md, Sync): hello, the
//! server's catch-up list, then automerge sync for every case either side
//! changed, pipelined, until neither has anything to send.
//!
//! The session is storage-agnostic: it talks to a [`SyncStore`]. The
//! encrypted device store implements it; [`MemoryStore`] does too, for
//! tests and benchmarks.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use automerge::sync;
use brug_shared::casedoc::{CarryReport, CaseDoc};
use brug_shared::protocol::limits::MAX_FRAME_BYTES;
use brug_shared::protocol::{ByteBuf, ClientFrame, ErrorCode, PROTOCOL_VERSION, ServerFrame};
use uuid::Uuid;

use crate::net::{NetError, SyncConnection};

/// Cases in flight at once.
pub const WINDOW: usize = 32;

/// Most message exchanges for one case in one session. A real case needs
/// a handful; the bound turns a protocol fault into an error, not a hang.
pub const MAX_ROUNDS_PER_CASE: usize = 500;

/// Why local storage failed during a sync: the session stops with it
/// (never a cursor of 0, an empty list or a missing case in its place).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StoreFault(pub Box<dyn std::error::Error + Send + Sync>);

impl StoreFault {
    /// A fault from any error.
    pub fn new(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self(Box::new(e))
    }
}

/// What the sync session needs from local storage. Every call can fail, and
/// a failure ends the session as [`SyncError::Store`]: guessing (a cursor of
/// 0, nothing held) would make the server resend or purge.
pub trait SyncStore {
    /// The cursor from the last completed session.
    fn cursor(&self) -> Result<u64, StoreFault>;
    /// Stores the cursor once a session completed.
    fn set_cursor(&mut self, cursor: u64) -> Result<(), StoreFault>;
    /// Ids of every case held locally.
    fn held(&self) -> Result<Vec<Uuid>, StoreFault>;
    /// Cases with local changes the server has not acknowledged.
    fn pending(&self) -> Result<Vec<Uuid>, StoreFault>;
    /// Whether this case was created here and never acknowledged.
    fn is_new(&self, id: Uuid) -> Result<bool, StoreFault>;
    /// Loads a case, if held.
    fn load(&mut self, id: Uuid) -> Result<Option<CaseDoc>, StoreFault>;
    /// The persisted sync state (shared heads) for a case.
    fn sync_state(&self, id: Uuid) -> Result<Option<Vec<u8>>, StoreFault>;
    /// Persists a case and its sync state after a message was applied.
    fn save(&mut self, id: Uuid, doc: &mut CaseDoc, state: &sync::State) -> Result<(), StoreFault>;
    /// [`Self::save`] for a case that came whole as `snapshot` (one
    /// document chunk `doc` was loaded from): a store may keep those bytes
    /// rather than compress `doc` again.
    fn save_received(
        &mut self,
        id: Uuid,
        doc: &mut CaseDoc,
        state: &sync::State,
        snapshot: &[u8],
    ) -> Result<(), StoreFault> {
        let _ = snapshot;
        self.save(id, doc, state)
    }
    /// Saves the cases whose messages arrived together, each as
    /// [`Self::save`] (or [`Self::save_received`] when it came whole) would:
    /// a store may write them in one transaction. Called before any answer
    /// to them goes out.
    fn save_all(&mut self, received: &mut [Received<'_>]) -> Result<(), StoreFault> {
        for r in received {
            match r.snapshot {
                Some(snapshot) => self.save_received(r.id, r.doc, r.state, snapshot)?,
                None => self.save(r.id, r.doc, r.state)?,
            }
        }
        Ok(())
    }
    /// Marks a case as fully in sync with the server (nothing pending);
    /// `doc` is its final state in this session (the session is done with
    /// it), `changed` whether this session brought it anything new.
    fn synced(&mut self, id: Uuid, doc: CaseDoc, changed: bool) -> Result<(), StoreFault>;
    /// Removes a case the server says this device may not hold (a device
    /// keeps what the server never acknowledged, see the quarantine).
    fn purge(&mut self, id: Uuid) -> Result<(), StoreFault>;
    /// Replaces a case by its new generation `next` (an erasure on the
    /// server). In one transaction: the stored copy (with anything saved
    /// beside this session, and `mine`, the session's copy) has its work
    /// beyond `acknowledged` carried over onto `next` ([`carry_into`]);
    /// `next` replaces it, and its sync state and whatever only it
    /// referenced go. A case with carried work stays pending.
    fn replace(
        &mut self,
        id: Uuid,
        mine: &mut CaseDoc,
        acknowledged: &[automerge::ChangeHash],
        next: &mut CaseDoc,
    ) -> Result<CarryReport, StoreFault>;
    /// Called whenever the session has nothing in flight: work the store
    /// did beside the session (index rows) is finished and written now.
    fn flush(&mut self) -> Result<(), StoreFault> {
        Ok(())
    }
}

/// A case a message was just applied to, to be saved with the others that
/// arrived with it ([`SyncStore::save_all`]).
#[derive(Debug)]
pub struct Received<'a> {
    /// The case.
    pub id: Uuid,
    /// The session's copy, with the message applied.
    pub doc: &'a mut CaseDoc,
    /// The sync state after the message.
    pub state: &'a sync::State,
    /// The bytes of the whole document, when the case came whole (see
    /// [`SyncStore::save_received`]).
    pub snapshot: Option<&'a [u8]>,
}

/// Most answers from the server handled (and saved) together.
pub const BATCH: usize = WINDOW;

/// Progress of a session, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    /// Cases done.
    pub done: usize,
    /// Cases to do (grows when the server announces changes).
    pub total: usize,
    /// Bytes received.
    pub bytes_in: u64,
    /// Bytes sent.
    pub bytes_out: u64,
}

/// What a session did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Report {
    /// Cases brought in sync.
    pub synced: Vec<Uuid>,
    /// Cases purged on the server's word.
    pub purged: Vec<Uuid>,
    /// Cases the server refused, with its code.
    pub refused: Vec<(Uuid, ErrorCode)>,
    /// The server's words for each refused case (which field, and why).
    pub refused_why: BTreeMap<Uuid, String>,
    /// Other devices enrolled for this user since this device last synced.
    pub joined: Vec<brug_shared::protocol::JoinedDevice>,
    /// The cursor stored at the end.
    pub cursor: u64,
    /// The server's certificates, as its welcome said.
    pub certificates: brug_shared::protocol::Certificates,
    /// What the attachment pass after the cases did.
    pub attachments: crate::device::AttachmentReport,
    /// Cases replaced by a new generation (data erased on the server), with
    /// what of this device's unsynced work was made again on it.
    pub regenerated: Vec<(Uuid, CarryReport)>,
}

/// Why a session stopped.
#[derive(Debug)]
pub enum SyncError {
    /// The network or server failed.
    Net(NetError),
    /// The server revoked this device: wipe.
    Revoked,
    /// The server ended the session with an error.
    Server {
        /// The code.
        code: ErrorCode,
        /// The server's words.
        message: String,
    },
    /// Local storage failed.
    Store(StoreFault),
}

impl From<NetError> for SyncError {
    fn from(e: NetError) -> Self {
        Self::Net(e)
    }
}

impl From<StoreFault> for SyncError {
    fn from(e: StoreFault) -> Self {
        Self::Store(e)
    }
}

struct InFlight {
    doc: CaseDoc,
    /// The generation of `doc`, told with every message.
    generation: u64,
    /// Heads when the session picked the case up.
    start_heads: Vec<automerge::ChangeHash>,
    state: sync::State,
    create: bool,
    /// Exchanges so far.
    rounds: usize,
}

fn start(store: &mut (dyn SyncStore + Send), id: Uuid) -> Result<InFlight, StoreFault> {
    let mut doc = store.load(id)?.unwrap_or_else(|| CaseDoc::empty(id));
    let start_heads = doc.heads();
    // A state that does not decode starts afresh: the protocol recovers.
    let state = store
        .sync_state(id)?
        .and_then(|b| sync::State::decode(&b).ok())
        .unwrap_or_default();
    Ok(InFlight {
        generation: doc.generation(),
        doc,
        start_heads,
        state,
        create: store.is_new(id)?,
        rounds: 0,
    })
}

/// Runs one session on an open connection: catch up, push what is
/// pending, and store the new cursor when everything is in sync.
pub async fn run_session(
    conn: &mut SyncConnection,
    store: &mut (dyn SyncStore + Send),
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<Report, SyncError> {
    run(conn, store, progress, None).await
}

/// Like [`run_session`], then stays connected: cases others change are
/// synced as the server announces them, until the connection ends.
pub async fn watch(
    conn: &mut SyncConnection,
    store: &mut (dyn SyncStore + Send),
    progress: &mut (dyn FnMut(Progress) + Send),
    wake: &tokio::sync::Notify,
) -> Result<Report, SyncError> {
    run(conn, store, progress, Some(wake)).await
}

/// While watching, how often to look for local changes to push (made by the
/// app or another `brug-cli` meanwhile) and to ping the server.
const IDLE_PING: std::time::Duration = std::time::Duration::from_secs(15);

async fn run(
    conn: &mut SyncConnection,
    store: &mut (dyn SyncStore + Send),
    progress: &mut (dyn FnMut(Progress) + Send),
    stay: Option<&tokio::sync::Notify>,
) -> Result<Report, SyncError> {
    // Only a device starting afresh says what it holds; afterwards the
    // server knows from the sync states it keeps for this device. A case
    // made here and never acknowledged is not held *from the server*:
    // listing it would get it purged as unknown.
    let cursor = store.cursor()?;
    let held = if cursor == 0 {
        let mut held = Vec::new();
        for id in store.held()? {
            if !store.is_new(id)? {
                held.push(id);
            }
        }
        Some(held)
    } else {
        None
    };
    conn.send(&ClientFrame::Hello {
        v: PROTOCOL_VERSION,
        cursor,
        held,
    })
    .await?;
    let (cursor, changed, purge, joined, certificates) = match conn.recv().await? {
        ServerFrame::Welcome {
            cursor,
            changed,
            purge,
            joined,
            certificates,
            ..
        } => (cursor, changed, purge, joined, certificates),
        other => return Err(server_end(other)),
    };
    let mut report = Report {
        cursor,
        joined,
        certificates,
        ..Report::default()
    };
    // A case erased whole is named at every hello of a device that once
    // held it (the server keeps no other trace of it): purged once, and
    // reported only when it was here.
    let here: BTreeSet<Uuid> = if purge.is_empty() {
        BTreeSet::new()
    } else {
        store.held()?.into_iter().collect()
    };
    for id in purge {
        if !store.is_new(id)? && here.contains(&id) {
            store.purge(id)?;
            report.purged.push(id);
        }
    }
    let mut queue: VecDeque<Uuid> = VecDeque::new();
    let mut queued: BTreeSet<Uuid> = BTreeSet::new();
    for id in store.pending()?.into_iter().chain(changed) {
        if queued.insert(id) {
            queue.push_back(id);
        }
    }
    let mut flight: HashMap<Uuid, InFlight> = HashMap::new();
    let mut p = Progress {
        total: queue.len(),
        ..Progress::default()
    };
    progress(p);

    let mut caught_up = false;
    // Frames taken from the connection with a batch but not part of it.
    let mut early: VecDeque<ServerFrame> = VecDeque::new();
    loop {
        while flight.len() < WINDOW {
            let Some(id) = queue.pop_front() else { break };
            let mut run = start(store, id)?;
            let msg = run.doc.generate_sync_message(&mut run.state);
            conn.send(&ClientFrame::Sync {
                doc: id,
                create: run.create,
                msg: msg.map(ByteBuf::from),
                generation: run.generation,
            })
            .await?;
            flight.insert(id, run);
        }
        let idle = queue.is_empty() && flight.is_empty() && early.is_empty();
        if idle {
            store.flush()?;
        }
        if idle && !caught_up {
            // Everything the server listed is in sync: the cursor holds.
            store.set_cursor(cursor)?;
            caught_up = true;
        }
        let frame = if let Some(frame) = early.pop_front() {
            frame
        } else if idle {
            // Watching: the server's next word, or after the ping interval
            // (or at once when woken: something was saved here) push what
            // changed here.
            let Some(wake) = stay else {
                // Done: the last word on progress carries the bytes.
                p.bytes_in = conn.bytes_in;
                p.bytes_out = conn.bytes_out;
                progress(p);
                break;
            };
            let heard = tokio::select! {
                heard = conn.recv_within(IDLE_PING) => heard,
                () = wake.notified() => Err(NetError::Timeout),
            };
            match heard {
                Err(NetError::Timeout) => {
                    // The timer while online: push what was changed here.
                    for id in store.pending()? {
                        if !flight.contains_key(&id) && queued.insert(id) {
                            queue.push_back(id);
                            p.total += 1;
                        }
                    }
                    conn.ping().await?;
                    continue;
                }
                other => other?,
            }
        } else {
            conn.recv().await?
        };
        match frame {
            ServerFrame::Sync { doc: id, msg } => {
                // The answers already there are handled together: their
                // cases saved in one go, then the next messages sent.
                let mut batch = vec![(id, msg)];
                let cut = take_ready(conn, &mut early, &mut batch);
                handle_batch(
                    conn,
                    store,
                    &mut flight,
                    batch,
                    &mut queued,
                    &mut report,
                    &mut p,
                )
                .await?;
                if let Some(e) = cut {
                    return Err(e.into());
                }
            }
            ServerFrame::Generation {
                doc: id,
                generation,
                snapshot,
            } => {
                let Some(old) = flight.remove(&id) else {
                    continue;
                };
                let mut run = renew(store, id, old, generation, &snapshot)?;
                report.regenerated.push((id, run.1));
                let msg = run.0.doc.generate_sync_message(&mut run.0.state);
                conn.send(&ClientFrame::Sync {
                    doc: id,
                    create: false,
                    msg: msg.map(ByteBuf::from),
                    generation: run.0.generation,
                })
                .await?;
                flight.insert(id, run.0);
            }
            ServerFrame::DocError { doc, code, message } => {
                tracing::warn!(case = %doc, ?code, %message, "the server refused a case");
                report.refused_why.insert(doc, message);
                flight.remove(&doc);
                queued.remove(&doc);
                report.refused.push((doc, code));
                p.done += 1;
            }
            ServerFrame::Changed { docs } => {
                for id in docs {
                    if !flight.contains_key(&id) && queued.insert(id) {
                        queue.push_back(id);
                        p.total += 1;
                    }
                }
            }
            ServerFrame::Purge { docs } => {
                for id in docs {
                    // The welcome may have said so already (an assignment
                    // taken away just before this session began is told
                    // both ways).
                    if store.is_new(id)? || report.purged.contains(&id) {
                        continue;
                    }
                    flight.remove(&id);
                    store.purge(id)?;
                    report.purged.push(id);
                }
            }
            other => return Err(server_end(other)),
        }
        p.bytes_in = conn.bytes_in;
        p.bytes_out = conn.bytes_out;
        progress(p);
    }
    Ok(report)
}

/// Adds to `batch` the answers for other cases that are already on the
/// connection (up to [`BATCH`], and while the batch holds less than a
/// frame's limit of bytes: a few large cases are handled a few at a time),
/// taken first from `early`; any other frame (or an answer for a case the
/// batch has) ends it and waits in `early`. A connection that failed
/// meanwhile is returned once the batch is done.
fn take_ready(
    conn: &mut SyncConnection,
    early: &mut VecDeque<ServerFrame>,
    batch: &mut Vec<(Uuid, Option<ByteBuf>)>,
) -> Option<NetError> {
    let size = |m: &Option<ByteBuf>| m.as_ref().map_or(0, |m| m.len());
    let mut bytes: usize = batch.iter().map(|(_, m)| size(m)).sum();
    while batch.len() < BATCH && bytes < MAX_FRAME_BYTES {
        let frame = match early.pop_front() {
            Some(frame) => frame,
            None => match conn.try_recv()? {
                Ok(frame) => frame,
                Err(e) => return Some(e),
            },
        };
        match frame {
            ServerFrame::Sync { doc, msg } if batch.iter().all(|(id, _)| *id != doc) => {
                bytes += size(&msg);
                batch.push((doc, msg));
            }
            other => {
                early.push_front(other);
                break;
            }
        }
    }
    None
}

/// A batch of the server's answers: each applied to its case, all saved
/// ([`SyncStore::save_all`], before anything is answered), then each case
/// settled or its next message sent. A message that does not apply ends
/// the session, after the cases before it were saved.
async fn handle_batch(
    conn: &mut SyncConnection,
    store: &mut (dyn SyncStore + Send),
    flight: &mut HashMap<Uuid, InFlight>,
    batch: Vec<(Uuid, Option<ByteBuf>)>,
    queued: &mut BTreeSet<Uuid>,
    report: &mut Report,
    p: &mut Progress,
) -> Result<(), SyncError> {
    struct Applied {
        id: Uuid,
        run: InFlight,
        answered: bool,
        whole: Option<Vec<u8>>,
    }
    let mut applied = Vec::with_capacity(batch.len());
    let mut bad = None;
    for (id, msg) in batch {
        let Some(mut run) = flight.remove(&id) else {
            continue;
        };
        let mut whole = None;
        if let Some(m) = &msg {
            match run.doc.receive_sync_message_whole(&mut run.state, m) {
                Ok(w) => whole = w,
                Err(e) => {
                    bad = Some(SyncError::Server {
                        code: ErrorCode::BadFrame,
                        message: e.to_string(),
                    });
                    flight.insert(id, run);
                    break;
                }
            }
        }
        applied.push(Applied {
            id,
            run,
            answered: msg.is_some(),
            whole,
        });
    }
    let mut received: Vec<Received<'_>> = applied
        .iter_mut()
        .map(|a| Received {
            id: a.id,
            doc: &mut a.run.doc,
            state: &a.run.state,
            snapshot: a.whole.as_deref(),
        })
        .collect();
    store.save_all(&mut received)?;
    drop(received);
    if let Some(e) = bad {
        return Err(e);
    }
    let mut next_frames = Vec::new();
    for Applied {
        id,
        mut run,
        answered,
        ..
    } in applied
    {
        let next = run.doc.generate_sync_message(&mut run.state);
        if next.is_none() && !answered {
            // The server answered after committing, and has nothing
            // more: everything we hold is durable there.
            let changed = run.doc.heads() != run.start_heads;
            store.synced(id, run.doc, changed)?;
            // A later change to it (while watching) queues it again.
            queued.remove(&id);
            report.synced.push(id);
            p.done += 1;
        } else if run.rounds >= MAX_ROUNDS_PER_CASE {
            tracing::error!(case = %id, "sync of a case did not settle; giving up for this session");
            queued.remove(&id);
            report.refused.push((id, ErrorCode::Internal));
            p.done += 1;
        } else {
            run.rounds += 1;
            next_frames.push(ClientFrame::Sync {
                doc: id,
                create: run.create,
                msg: next.map(ByteBuf::from),
                generation: run.generation,
            });
            flight.insert(id, run);
        }
    }
    conn.send_all(&next_frames).await?;
    Ok(())
}

/// A case's new generation from the server: the work this copy holds
/// beyond what the server acknowledged (its sync state's shared heads) is
/// made again on it, by the same authors, except what was erased; the new
/// generation replaces the copy in the store and its sync starts afresh.
fn renew(
    store: &mut (dyn SyncStore + Send),
    id: Uuid,
    old: InFlight,
    generation: u64,
    snapshot: &[u8],
) -> Result<(InFlight, CarryReport), SyncError> {
    let bad = |message: String| SyncError::Server {
        code: ErrorCode::BadFrame,
        message,
    };
    let mut next = CaseDoc::load(snapshot, &[]).map_err(|e| bad(e.to_string()))?;
    if next.id() != id || next.generation() != generation || generation <= old.generation {
        return Err(bad(format!(
            "de nieuwe generatie van dossier {id} klopt niet"
        )));
    }
    let InFlight {
        doc: mut mine,
        state,
        ..
    } = old;
    let carried = store.replace(id, &mut mine, &state.shared_heads, &mut next)?;
    tracing::info!(case = %id, generation, carried = carried.changes, dropped = carried.dropped, "case renewed by an erasure");
    let start_heads = next.heads();
    Ok((
        InFlight {
            doc: next,
            generation,
            start_heads,
            state: sync::State::new(),
            create: false,
            rounds: 0,
        },
        carried,
    ))
}

/// The work of the stored copy `stored` (merged with the session's copy
/// `mine`) beyond `acknowledged`, made again on the new generation `next`
/// (see [`CaseDoc::carry_over`]). A stored copy that is already of `next`'s
/// generation (renewed beside this session) carries nothing and is merged
/// into `next` as it is.
pub fn carry_into(
    stored: Option<CaseDoc>,
    mine: &mut CaseDoc,
    acknowledged: &[automerge::ChangeHash],
    next: &mut CaseDoc,
) -> Result<CarryReport, StoreFault> {
    let mut base = match stored {
        Some(mut s) if s.generation() == next.generation() => {
            // Renewed beside this session (another handle carried its work
            // already): keep what it holds.
            next.merge(&mut s).map_err(StoreFault::new)?;
            return Ok(CarryReport::default());
        }
        Some(mut s) => {
            if s.generation() == mine.generation() {
                s.merge(mine).map_err(StoreFault::new)?;
            }
            s
        }
        None => mine.fork(),
    };
    // What the server had: the sync state's shared heads, and what the
    // erasure says it held (so a lost sync state never makes old values
    // come back over newer ones).
    let edits = base.local_edits(acknowledged, &next.server_clock());
    next.carry_over(&edits).map_err(StoreFault::new)
}

fn server_end(frame: ServerFrame) -> SyncError {
    match frame {
        ServerFrame::Revoked => SyncError::Revoked,
        ServerFrame::Error { code, message } => SyncError::Server { code, message },
        other => SyncError::Server {
            code: ErrorCode::BadFrame,
            message: format!("onverwacht bericht: {other:?}"),
        },
    }
}

/// Cases in memory: a [`SyncStore`] for tests and benchmarks.
#[derive(Debug, Default)]
pub struct MemoryStore {
    /// Saved documents (bytes, as a device would keep them).
    pub docs: BTreeMap<Uuid, Vec<u8>>,
    /// The heads of each saved document, so an exchange that brought
    /// nothing new does not encode the whole document again.
    saved: BTreeMap<Uuid, Vec<automerge::ChangeHash>>,
    states: BTreeMap<Uuid, Vec<u8>>,
    pending: BTreeSet<Uuid>,
    new: BTreeSet<Uuid>,
    cursor: u64,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stores a case edited locally: pending until synced; `created` when
    /// it was made here.
    pub fn put(&mut self, doc: &mut CaseDoc, created: bool) {
        self.docs.insert(doc.id(), doc.save());
        self.saved.insert(doc.id(), doc.heads());
        self.pending.insert(doc.id());
        if created {
            self.new.insert(doc.id());
        }
    }

    /// A case, loaded.
    pub fn get(&self, id: Uuid) -> Option<CaseDoc> {
        self.docs.get(&id).and_then(|b| CaseDoc::load(b, &[]).ok())
    }

    /// Ids of every case held.
    pub fn held(&self) -> Vec<Uuid> {
        self.docs.keys().copied().collect()
    }

    /// Cases with changes not yet synced.
    pub fn pending(&self) -> Vec<Uuid> {
        self.pending.iter().copied().collect()
    }
}

impl SyncStore for MemoryStore {
    fn cursor(&self) -> Result<u64, StoreFault> {
        Ok(self.cursor)
    }
    fn set_cursor(&mut self, cursor: u64) -> Result<(), StoreFault> {
        self.cursor = cursor;
        Ok(())
    }
    fn held(&self) -> Result<Vec<Uuid>, StoreFault> {
        Ok(MemoryStore::held(self))
    }
    fn pending(&self) -> Result<Vec<Uuid>, StoreFault> {
        Ok(MemoryStore::pending(self))
    }
    fn is_new(&self, id: Uuid) -> Result<bool, StoreFault> {
        Ok(self.new.contains(&id))
    }
    fn load(&mut self, id: Uuid) -> Result<Option<CaseDoc>, StoreFault> {
        self.docs
            .get(&id)
            .map(|b| CaseDoc::load(b, &[]).map_err(StoreFault::new))
            .transpose()
    }
    fn sync_state(&self, id: Uuid) -> Result<Option<Vec<u8>>, StoreFault> {
        Ok(self.states.get(&id).cloned())
    }
    fn save(&mut self, id: Uuid, doc: &mut CaseDoc, state: &sync::State) -> Result<(), StoreFault> {
        // A replica that is still empty (the first exchange) is not a case yet.
        let heads = doc.heads();
        if doc.change_count() > 0 && self.saved.get(&id) != Some(&heads) {
            self.docs.insert(id, doc.save());
            self.saved.insert(id, heads);
        }
        self.states.insert(id, state.encode());
        Ok(())
    }
    fn synced(&mut self, id: Uuid, _doc: CaseDoc, _changed: bool) -> Result<(), StoreFault> {
        self.pending.remove(&id);
        self.new.remove(&id);
        Ok(())
    }
    fn replace(
        &mut self,
        id: Uuid,
        mine: &mut CaseDoc,
        acknowledged: &[automerge::ChangeHash],
        next: &mut CaseDoc,
    ) -> Result<CarryReport, StoreFault> {
        let stored = self.get(id);
        let carried = carry_into(stored, mine, acknowledged, next)?;
        self.docs.insert(id, next.save());
        self.saved.insert(id, next.heads());
        self.states.remove(&id);
        if carried.changes > 0 {
            self.pending.insert(id);
        }
        Ok(carried)
    }
    fn purge(&mut self, id: Uuid) -> Result<(), StoreFault> {
        self.docs.remove(&id);
        self.saved.remove(&id);
        self.states.remove(&id);
        self.pending.remove(&id);
        self.new.remove(&id);
        Ok(())
    }
}
