//! One device's sync session: the protocol of `brug_shared::protocol`, frame
//! by frame. Runs on blocking threads (SQLite, automerge); the WebSocket
//! plumbing lives in `http::sync`.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::Ordering;

use automerge::sync;
use brug_shared::casedoc::{CaseDoc, Touched};
use brug_shared::policy;
use brug_shared::protocol::ByteBuf;
use brug_shared::protocol::limits::{MAX_DOCS_PER_SESSION, MAX_HELD_DOCS, MAX_OPS_PER_BATCH};
use brug_shared::protocol::{
    ErrorCode, InspectError, PROTOCOL_VERSION, ServerFrame, inspect_sync_message,
};
use brug_shared::store::StoreError;
use uuid::Uuid;

use crate::db::{self, Device, User};
use crate::docs::DocCache;
use crate::metrics::Metrics;
use crate::storage::{SessionStore, SyncCommit};

/// Sync state of one case within a session.
struct DocSession {
    /// Decoded once from the persisted shared heads, then kept live.
    state: sync::State,
    /// A case the device is creating, until its first changes are stored.
    pending: Option<CaseDoc>,
    /// Counted in the metrics already.
    counted: bool,
    /// Messages handled for this case in this session.
    messages: usize,
    /// A sync state of this device for this case is stored: the device is
    /// known to hold it.
    stored: bool,
    /// The sync state as last written to (or read from) the store: an
    /// unchanged state is not written again.
    written: Option<Vec<u8>>,
    /// Operations this session sent that wait for changes they depend on
    /// (automerge keeps them in the case's replica until those arrive).
    queued_ops: u64,
}

/// Most messages for one case in one session; a real exchange needs a
/// handful. The bound turns a looping peer into an error, not a busy server.
const MAX_MESSAGES_PER_DOC: usize = 2_000;

/// What a frame leads to.
#[derive(Debug)]
pub enum Outcome {
    /// Send this frame and go on.
    Reply(ServerFrame),
    /// Send this frame, then close the session.
    Close(ServerFrame),
}

/// The state of one session.
pub struct Session {
    /// Unique per server process, to skip notifying the session that made a change.
    pub id: u64,
    /// The device.
    pub device: Device,
    /// Its user.
    pub user: User,
    greeted: bool,
    docs: HashMap<Uuid, DocSession>,
    /// Cases this session stored changes to, for the audit log.
    pub written: BTreeSet<Uuid>,
    /// How far in the future a change's time may lie (clock skew).
    max_future_ms: i64,
    /// The change feed's position the device was last brought up to (the
    /// welcome's cursor, then each catch-up's).
    cursor: i64,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("id", &self.id)
            .field("device", &self.device.id)
            .finish_non_exhaustive()
    }
}

fn error(code: ErrorCode) -> ServerFrame {
    ServerFrame::Error {
        code,
        message: code.message_nl().into(),
    }
}

fn doc_error(doc: Uuid, code: ErrorCode) -> ServerFrame {
    ServerFrame::DocError {
        doc,
        code,
        message: code.message_nl().into(),
    }
}

/// What a committed sync frame stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored {
    /// The case.
    pub doc: Uuid,
}

impl Session {
    /// A session for an authenticated device.
    pub fn new(id: u64, device: Device, user: User, max_future_ms: i64) -> Self {
        Self {
            max_future_ms,
            id,
            device,
            user,
            greeted: false,
            docs: HashMap::new(),
            written: BTreeSet::new(),
            cursor: 0,
        }
    }

    /// What the device missed since the session last brought it up to
    /// date, for a session whose live notices fell behind (more events than
    /// the hub keeps): the cases to sync again and the ones to purge, from
    /// the change feed, as a hello would find them. Nothing when not greeted.
    pub fn catch_up(&mut self, db: &dyn SessionStore) -> Result<Vec<ServerFrame>, db::DbError> {
        if !self.greeted {
            return Ok(Vec::new());
        }
        if db.device_revoked(&self.device.id)? {
            return Ok(vec![ServerFrame::Revoked]);
        }
        let c = db.catchup_since(&self.user, &self.device.id, self.cursor)?;
        self.cursor = c.cursor;
        let mut frames = Vec::new();
        // A few thousand ids per frame stay far below the frame limit.
        for docs in c.changed.chunks(2_000) {
            frames.push(ServerFrame::Changed {
                docs: docs.to_vec(),
            });
        }
        for docs in c.purge.chunks(2_000) {
            frames.push(ServerFrame::Purge {
                docs: docs.to_vec(),
            });
        }
        Ok(frames)
    }

    /// Whether hello was answered.
    pub fn greeted(&self) -> bool {
        self.greeted
    }

    /// Cases synced in this session.
    pub fn synced(&self) -> Vec<Uuid> {
        self.docs.keys().copied().collect()
    }

    /// Answers hello: what to sync, what to purge, the new cursor.
    pub fn hello(
        &mut self,
        db: &dyn SessionStore,
        metrics: &Metrics,
        v: u32,
        cursor: u64,
        held: Option<&[Uuid]>,
        certificates: brug_shared::protocol::Certificates,
    ) -> Result<Outcome, db::DbError> {
        if v != PROTOCOL_VERSION {
            return Ok(Outcome::Close(error(ErrorCode::ProtocolVersion)));
        }
        if self.greeted {
            return Ok(Outcome::Close(error(ErrorCode::BadFrame)));
        }
        if held.is_some_and(|h| h.len() > MAX_HELD_DOCS) {
            return Ok(Outcome::Close(error(ErrorCode::TooManyDocuments)));
        }
        let cursor = i64::try_from(cursor).unwrap_or(i64::MAX);
        let (c, joined) = db.hello(&self.user, &self.device, cursor, held)?;
        Metrics::add(&metrics.hello_rows, c.examined);
        self.cursor = c.cursor;
        db.touch_device(&self.device.id)?;
        self.greeted = true;
        Ok(Outcome::Reply(ServerFrame::Welcome {
            cursor: u64::try_from(c.cursor).unwrap_or(0),
            changed: c.changed,
            purge: c.purge,
            user: self.user.id.clone(),
            joined,
            certificates,
        }))
    }

    /// Handles one sync message for one case and returns the answer, after
    /// committing whatever it carried. `None` in `stored` when nothing new
    /// was stored. The arguments are the frame's fields, one by one.
    #[allow(clippy::too_many_arguments)]
    pub fn sync(
        &mut self,
        db: &dyn SessionStore,
        cache: &DocCache,
        metrics: &Metrics,
        doc_id: Uuid,
        create: bool,
        generation: u64,
        msg: Option<&[u8]>,
    ) -> Result<(Outcome, Option<Stored>), db::DbError> {
        if !self.greeted {
            return Ok((Outcome::Close(error(ErrorCode::BadFrame)), None));
        }
        if !self.docs.contains_key(&doc_id) && self.docs.len() >= MAX_DOCS_PER_SESSION {
            return Ok((
                Outcome::Reply(doc_error(doc_id, ErrorCode::TooManyDocuments)),
                None,
            ));
        }
        // Reads beside the writer; automerge's work below holds no database
        // connection at all, only this case's replica: the writer is taken
        // for the commit alone.
        let stored_generation = db.doc_generation(doc_id)?;
        let visible = stored_generation.is_some() && db.may_access(&self.user, doc_id)?;
        let exists = stored_generation.is_some();
        let creating = self.docs.get(&doc_id).is_some_and(|d| d.pending.is_some());
        // A foreign case and a missing one get the same answer; only a case
        // the device says it created may be new.
        if !visible && !creating && (exists || !create) {
            metrics.error("not-found");
            return Ok((Outcome::Reply(doc_error(doc_id, ErrorCode::NotFound)), None));
        }
        if !self.docs.contains_key(&doc_id) {
            let stored = db.sync_state(&self.device.id, doc_id)?;
            let state = match &stored {
                Some(bytes) => sync::State::decode(bytes).unwrap_or_else(|_| sync::State::new()),
                None => sync::State::new(),
            };
            let pending = (!exists).then(|| CaseDoc::empty(doc_id));
            self.docs.insert(
                doc_id,
                DocSession {
                    state,
                    pending,
                    counted: false,
                    stored: stored.is_some(),
                    written: stored,
                    messages: 0,
                    queued_ops: 0,
                },
            );
        }
        let Some(session) = self.docs.get_mut(&doc_id) else {
            return Ok((Outcome::Reply(doc_error(doc_id, ErrorCode::Internal)), None));
        };
        session.messages += 1;
        if session.messages > MAX_MESSAGES_PER_DOC {
            metrics.error("too-many-messages");
            return Ok((Outcome::Reply(doc_error(doc_id, ErrorCode::TooLarge)), None));
        }
        if !session.counted {
            session.counted = true;
            Metrics::add(&metrics.documents_synced, 1);
        }

        // What the store alone can answer, without the case in memory: a
        // device that holds nothing of it gets the stored bytes as they
        // are; a device that holds exactly what is stored is told so.
        if session.pending.is_none()
            && session.queued_ops == 0
            && let Some(reply) = answer_from_store(
                db,
                doc_id,
                generation,
                stored_generation,
                &mut session.state,
                msg,
            )?
        {
            Metrics::add(&metrics.bytes_in, msg.map_or(0, |m| m.len() as u64));
            Metrics::add(&metrics.answered_from_store, 1);
            return Ok((
                self.answer(db, metrics, doc_id, msg.is_none(), reply)?,
                None,
            ));
        }

        let shared = match &session.pending {
            Some(_) => None,
            None => match cache.get(db, doc_id)? {
                // A copy cached before an erasure another process made is
                // of the old generation: read the case again.
                Some(doc)
                    if stored_generation.is_some_and(|g| {
                        doc.lock().unwrap_or_else(|p| p.into_inner()).generation() != g
                    }) =>
                {
                    cache.evict(doc_id);
                    match cache.get(db, doc_id)? {
                        Some(doc) => Some(doc),
                        None => {
                            return Ok((
                                Outcome::Reply(doc_error(doc_id, ErrorCode::NotFound)),
                                None,
                            ));
                        }
                    }
                }
                Some(doc) => Some(doc),
                None => return Ok((Outcome::Reply(doc_error(doc_id, ErrorCode::NotFound)), None)),
            },
        };
        let mut guard = shared
            .as_ref()
            .map(|d| d.lock().unwrap_or_else(|p| p.into_inner()));
        let mut stored = None;

        // A copy of another generation is never merged: an older one gets
        // the new generation whole (the device carries its work over), a
        // newer one means this server lost an erasure (restored from a
        // backup made before it) and the case is set apart.
        if let Some(g) = &mut guard {
            let current = g.generation();
            if generation != current {
                // The device starts afresh on the new generation; the
                // messages still count against the case's bound.
                session.state = sync::State::new();
                session.written = None;
                session.queued_ops = 0;
                if generation > current {
                    metrics.error("generation-ahead");
                    tracing::error!(device = %self.device.id, doc = %doc_id, generation, current, "a device holds a newer generation than the server");
                    return Ok((
                        Outcome::Reply(doc_error(doc_id, ErrorCode::Unavailable)),
                        None,
                    ));
                }
                let snapshot = g.save();
                drop(guard);
                if snapshot.len() + 1024 > brug_shared::protocol::limits::MAX_FRAME_BYTES {
                    metrics.error("generation-too-large");
                    tracing::error!(doc = %doc_id, bytes = snapshot.len(), "a new generation is too large for one frame");
                    return Ok((
                        Outcome::Reply(doc_error(doc_id, ErrorCode::Unavailable)),
                        None,
                    ));
                }
                Metrics::add(&metrics.bytes_out, snapshot.len() as u64);
                return Ok((
                    Outcome::Reply(ServerFrame::Generation {
                        doc: doc_id,
                        generation: current,
                        snapshot: ByteBuf::from(snapshot),
                    }),
                    None,
                ));
            }
        }

        // Another server may have stored changes to this case since it was
        // cached here: merge them in before answering from the copy.
        if db.shared_with_other_servers()
            && let Some(g) = &mut guard
            && let Some(stored) = db.heads(doc_id)?
            && !g.contains_all(&stored)
            && let Some(mut theirs) = db.load(doc_id)?
        {
            g.merge(&mut theirs).map_err(StoreError::from)?;
        }

        if let Some(bytes) = msg {
            Metrics::add(&metrics.bytes_in, bytes.len() as u64);
            let size = match inspect_sync_message(bytes) {
                Ok(size) => size,
                Err(e) => {
                    let code = match e {
                        InspectError::TooLarge
                        | InspectError::TooManyChunks
                        | InspectError::TooManyOps => ErrorCode::TooLarge,
                        InspectError::Malformed(_) | InspectError::UnsupportedChunk(_) => {
                            ErrorCode::BadFrame
                        }
                    };
                    metrics.error(if code == ErrorCode::TooLarge {
                        "too-large"
                    } else {
                        "bad-frame"
                    });
                    tracing::warn!(device = %self.device.id, doc = %doc_id, error = %e, "sync message refused");
                    return Ok((Outcome::Reply(doc_error(doc_id, code)), None));
                }
            };
            let is_shared = guard.is_some();
            let doc: &mut CaseDoc = match (&mut guard, &mut session.pending) {
                (Some(g), _) => g,
                (None, Some(p)) => p,
                (None, None) => {
                    return Ok((Outcome::Reply(doc_error(doc_id, ErrorCode::Internal)), None));
                }
            };
            // A message without changes (heads, needs, bloom filter) cannot
            // make the case invalid: apply it directly.
            if size.chunks == 0 {
                if doc.receive_sync_message(&mut session.state, bytes).is_err() {
                    metrics.error("bad-frame");
                    return Ok((Outcome::Reply(doc_error(doc_id, ErrorCode::BadFrame)), None));
                }
                let reply = doc.generate_sync_message(&mut session.state);
                drop(guard);
                return Ok((self.answer(db, metrics, doc_id, false, reply)?, None));
            }
            // Try the message on a fork; only a valid result is merged.
            let mut fork = doc.fork();
            let mut state = session.state.clone();
            if fork.receive_sync_message(&mut state, bytes).is_err() {
                metrics.error("bad-frame");
                return Ok((Outcome::Reply(doc_error(doc_id, ErrorCode::BadFrame)), None));
            }
            if fork.heads() != doc.heads() {
                let added = fork.op_count().saturating_sub(doc.op_count());
                if added > MAX_OPS_PER_BATCH {
                    metrics.error("too-large");
                    return Ok((Outcome::Reply(doc_error(doc_id, ErrorCode::TooLarge)), None));
                }
                let before = doc.heads();
                let mut touched = Touched::default();
                let audit = match authorise(
                    &self.device,
                    &self.user,
                    self.max_future_ms,
                    db,
                    &mut fork,
                    &before,
                    doc_id,
                    &mut touched,
                ) {
                    Ok(audit) => audit,
                    Err(refusal) => {
                        metrics.error("refused");
                        tracing::warn!(device = %self.device.id, doc = %doc_id, field = %refusal.place(), reason = refusal.reason.code(), "changes refused by the policy");
                        db.audit(
                            Some(&self.user.id),
                            Some(&self.device.id),
                            "refused",
                            &[doc_id],
                            &format!("{} {}", refusal.reason.code(), refusal.place()),
                        )?;
                        return Ok((
                            Outcome::Reply(ServerFrame::DocError {
                                doc: doc_id,
                                code: ErrorCode::Refused,
                                message: refusal.to_string(),
                            }),
                            None,
                        ));
                    }
                };
                // A stored case read before this batch: only what the batch
                // touched is read again (a new case is read whole).
                let valid = if is_shared {
                    fork.check_touched(&touched)
                } else {
                    fork.case().map(|_| ())
                };
                match valid {
                    Ok(()) => {}
                    _ => {
                        metrics.error("invalid");
                        tracing::warn!(device = %self.device.id, doc = %doc_id, "changes do not make a valid case");
                        return Ok((Outcome::Reply(doc_error(doc_id, ErrorCode::Invalid)), None));
                    }
                }
                let encoded = state.encode();
                db.commit_sync(SyncCommit {
                    doc: &mut fork,
                    by: &self.user,
                    is_new: !exists,
                    device: &self.device.id,
                    state: &encoded,
                    audit: &audit,
                })?;
                session.written = Some(encoded);
                Metrics::add(&metrics.changes_merged, 1);
                self.written.insert(doc_id);
                stored = Some(Stored { doc: doc_id });
                *doc = fork;
            } else {
                // Changes whose dependencies have not arrived yet wait in
                // automerge's queue; keep them (in memory) so they apply,
                // and are validated and stored, when the rest comes. What
                // waits is bounded per case and session: past the bound it
                // is all dropped (the replica read again from the store)
                // and the device told the batch is too large.
                session.queued_ops = session.queued_ops.saturating_add(size.ops);
                if session.queued_ops > MAX_OPS_PER_BATCH as u64 {
                    metrics.error("too-large");
                    tracing::warn!(device = %self.device.id, doc = %doc_id, "changes waiting for their dependencies dropped: too many");
                    session.queued_ops = 0;
                    session.state = sync::State::new();
                    session.written = None;
                    match db.load(doc_id)? {
                        Some(fresh) if is_shared => *doc = fresh,
                        _ => *doc = CaseDoc::empty(doc_id),
                    }
                    return Ok((Outcome::Reply(doc_error(doc_id, ErrorCode::TooLarge)), None));
                }
                *doc = fork;
            }
            session.state = state;
            session.stored |= stored.is_some();
            if stored.is_some() {
                session.queued_ops = 0;
            }
        }

        // A case just created moves into the shared cache.
        if stored.is_some()
            && let Some(created) = session.pending.take()
        {
            let shared = cache.insert(doc_id, created);
            let mut g = shared.lock().unwrap_or_else(|p| p.into_inner());
            let reply = g.generate_sync_message(&mut session.state);
            drop(g);
            return Ok((
                self.answer(db, metrics, doc_id, msg.is_none(), reply)?,
                stored,
            ));
        }
        let doc: &mut CaseDoc = match (&mut guard, &mut session.pending) {
            (Some(g), _) => g,
            (None, Some(p)) => p,
            (None, None) => {
                return Ok((Outcome::Reply(doc_error(doc_id, ErrorCode::Internal)), None));
            }
        };
        let reply = doc.generate_sync_message(&mut session.state);
        drop(guard);
        Ok((
            self.answer(db, metrics, doc_id, msg.is_none(), reply)?,
            stored,
        ))
    }

    fn answer(
        &mut self,
        db: &dyn SessionStore,
        metrics: &Metrics,
        doc_id: Uuid,
        they_were_done: bool,
        reply: Option<Vec<u8>>,
    ) -> Result<Outcome, db::DbError> {
        if let Some(r) = &reply {
            Metrics::add(&metrics.bytes_out, r.len() as u64);
        }
        // Both sides done: persist where we agree, for the next session.
        // Done from here alone: the device holds the case now; the first
        // time, that is written down (a later hello without a list of held
        // cases relies on it to purge what the device may no longer see).
        if reply.is_none()
            && let Some(s) = self.docs.get_mut(&doc_id)
            && s.pending.is_none()
        {
            let encoded = s.state.encode();
            if they_were_done {
                // The merge's commit (or the last session) wrote the same
                // state already: a write and its fsync saved.
                if s.written.as_ref() != Some(&encoded) {
                    db.save_sync_state(&self.device.id, doc_id, &encoded)?;
                    s.written = Some(encoded);
                }
                s.stored = true;
            } else if !s.stored {
                // Kept when a state is there already: what is stored is
                // not known, so the next state is written whatever it is.
                db.note_held(&self.device.id, doc_id, &encoded)?;
                s.written = None;
                s.stored = true;
            }
        }
        Ok(Outcome::Reply(ServerFrame::Sync {
            doc: doc_id,
            msg: reply.map(ByteBuf::from),
        }))
    }

    /// Drops what this session's changes left waiting for dependencies that
    /// never came: each such case's replica is read again from the store
    /// (which holds everything acknowledged). Called when the session ends.
    pub fn drop_waiting(&self, db: &dyn SessionStore, cache: &DocCache) -> Result<(), db::DbError> {
        for (id, d) in &self.docs {
            if d.queued_ops == 0 || d.pending.is_some() {
                continue;
            }
            if let Some(shared) = cache.get(db, *id)? {
                // Read under the replica's lock: no commit can come between.
                let mut replica = shared.lock().unwrap_or_else(|p| p.into_inner());
                if let Some(fresh) = db.load(*id)? {
                    *replica = fresh;
                }
            }
        }
        Ok(())
    }

    /// Writes the session to the audit log: who, which device, which cases.
    pub fn audit(&self, db: &dyn SessionStore) -> Result<(), db::DbError> {
        let synced: Vec<Uuid> = self.synced();
        let written: Vec<Uuid> = self.written.iter().copied().collect();
        db.audit(
            Some(&self.user.id),
            Some(&self.device.id),
            "sync",
            &synced,
            &format!(
                "{} synced, {} with changes stored",
                synced.len(),
                written.len()
            ),
        )
    }
}

/// The answer to a sync message that carries no changes and asks for
/// nothing, made from the store without loading the case: `Some(reply)`
/// when the message is one of the shapes below, `None` (nothing
/// touched) for anything else, which then takes the usual way.
///
/// - Heads empty: the device holds nothing of the case. Automerge would
///   load the case and compress it whole again; the stored snapshot and
///   chunks are that document already, so they are sent as they are.
/// - Heads equal to the stored heads (and what the device last synced is
///   those heads too): the device holds what is stored. The answer is
///   "nothing more", or the first time in this exchange the heads alone.
/// - No message ("nothing more from me") after both sides said they hold
///   the stored heads: "nothing more" too.
///
/// `state` is left as automerge's own receive and generate would leave it
/// (except the record of hashes sent, which only saves resending and
/// starts empty either way here).
fn answer_from_store(
    db: &dyn SessionStore,
    doc_id: Uuid,
    generation: u64,
    stored_generation: Option<u64>,
    state: &mut sync::State,
    msg: Option<&[u8]>,
) -> Result<Option<Option<Vec<u8>>>, db::DbError> {
    use sync::{Capability, Have, Message, MessageFlags, MessageVersion};
    if state.read_only || state.needs_reset || stored_generation != Some(generation) {
        return Ok(None);
    }
    let sorted = |heads: &[automerge::ChangeHash]| {
        let mut heads = heads.to_vec();
        heads.sort();
        heads
    };
    let Some(bytes) = msg else {
        // Automerge answers "nothing more" when it told the peer its heads
        // already, the peer's are the same and it asks for nothing.
        if !state.have_responded || state.their_need.as_ref().is_none_or(|n| !n.is_empty()) {
            return Ok(None);
        }
        let Some(theirs) = state.their_heads.as_deref().map(sorted) else {
            return Ok(None);
        };
        if theirs.is_empty() || sorted(&state.last_sent_heads) != theirs {
            return Ok(None);
        }
        let synced_at_heads = state
            .their_have
            .as_ref()
            .is_some_and(|have| have.iter().all(|h| sorted(&h.last_sync) == theirs));
        if !synced_at_heads || db.heads(doc_id)?.map(|h| sorted(&h)) != Some(theirs) {
            return Ok(None);
        }
        return Ok(Some(None));
    };
    // Decoding copies the bytes and inflates nothing; a message that
    // carries changes goes the usual way, whose inspection (the bounded
    // inflate) it then gets once.
    let Ok(msg) = Message::decode(bytes) else {
        return Ok(None);
    };
    // Only a peer that speaks the second message version (it sends flags)
    // takes a whole document; a read-only one is left to automerge.
    let Some(flags) = msg.flags else {
        return Ok(None);
    };
    if flags.contains(MessageFlags::READ_ONLY) || !msg.changes.is_empty() || !msg.need.is_empty() {
        return Ok(None);
    }
    let mut ours = MessageFlags::new();
    ours.set(MessageFlags::SUPPORTS_SYNC_RESET);
    let received = |state: &mut sync::State, heads: Vec<automerge::ChangeHash>, have| {
        state.in_flight = false;
        let mut caps = vec![Capability::MessageV2];
        if flags.contains(MessageFlags::SUPPORTS_SYNC_RESET) {
            caps.push(Capability::SyncReset);
        }
        state.their_capabilities = Some(caps);
        state.peer_read_only = false;
        // The peer holds everything it is sent (or lost everything): no
        // hash sent before needs remembering.
        state.sent_hashes.clear();
        state.shared_heads.clone_from(&heads);
        state.last_sent_heads.clone_from(&heads);
        state.their_have = Some(have);
        state.their_heads = Some(heads);
        state.their_need = Some(Vec::new());
    };
    if msg.heads.is_empty() {
        if msg.have.iter().any(|h| !h.last_sync.is_empty()) {
            return Ok(None);
        }
        let Some(stored) = db.stored_bytes(doc_id)? else {
            return Ok(None);
        };
        if stored.generation != generation
            || stored.heads.is_empty()
            || stored.bytes.len() + 1024 > brug_shared::protocol::limits::MAX_FRAME_BYTES
        {
            return Ok(None);
        }
        received(state, Vec::new(), msg.have);
        state.have_responded = true;
        state.last_sent_heads.clone_from(&stored.heads);
        state.in_flight = true;
        // No summary of what this side has: the peer has nothing to send.
        let reply = Message {
            heads: stored.heads,
            need: Vec::new(),
            have: Vec::new(),
            changes: stored.bytes.into(),
            flags: Some(ours),
            version: MessageVersion::V2,
        };
        return Ok(Some(Some(reply.encode())));
    }
    let Some(heads) = db.heads(doc_id)?.map(|h| sorted(&h)) else {
        return Ok(None);
    };
    if sorted(&msg.heads) != heads || msg.have.iter().any(|h| sorted(&h.last_sync) != heads) {
        return Ok(None);
    }
    received(state, heads.clone(), msg.have);
    if state.have_responded {
        return Ok(Some(None));
    }
    state.have_responded = true;
    state.in_flight = true;
    let reply = Message {
        heads: heads.clone(),
        need: Vec::new(),
        have: vec![Have {
            last_sync: heads,
            bloom: sync::BloomFilter::from_hashes(Vec::<automerge::ChangeHash>::new().iter()),
        }],
        changes: sync::ChunkList::empty(),
        flags: Some(ours),
        version: MessageVersion::V2,
    };
    Ok(Some(Some(reply.encode())))
}

/// Checks the changes `fork` holds beyond `before` against the policy:
/// what this user may change, and that every change was made on this
/// device by this user, not dated in the future. Changes of another
/// device pass only as relayed changes during a recovery window.
#[allow(clippy::too_many_arguments)]
fn authorise(
    device: &Device,
    user: &User,
    max_future_ms: i64,
    db: &dyn SessionStore,
    fork: &mut CaseDoc,
    before: &[automerge::ChangeHash],
    doc_id: Uuid,
    touched: &mut Touched,
) -> Result<Vec<(String, String)>, policy::Refusal> {
    let sender = policy::Sender {
        user: &user.id,
        role: user.role,
        device: Uuid::parse_str(&device.id).unwrap_or(Uuid::nil()),
    };
    let now = db::now_ms();
    // Asked only when a batch holds another device's change: an ordinary
    // sync frame costs no extra query.
    let window_open = std::cell::OnceCell::new();
    let relayed = std::cell::RefCell::new(Vec::new());
    let relay = |c: &brug_shared::casedoc::ChangeFacts| -> Option<brug_shared::model::Role> {
        if !*window_open.get_or_init(|| db.recovery_open(now).unwrap_or(false)) {
            return None;
        }
        let role = db
            .relay_author(c.device?, c.author.as_deref()?, doc_id)
            .ok()
            .flatten()?;
        relayed.borrow_mut().push(c.device?);
        Some(role)
    };
    let mut audit: Vec<(String, String)> = policy::check_noting(
        fork,
        before,
        sender,
        now,
        Some(max_future_ms),
        &relay,
        touched,
    )?
    .into_iter()
    .map(|event| match event {
        policy::Audited::Review { record, state } => (state, record),
        policy::Audited::Resolved { field } => ("resolved".to_owned(), field.to_string()),
    })
    .collect();
    let relayed = relayed.into_inner();
    if !relayed.is_empty() {
        let mut devices: Vec<String> = relayed.iter().map(Uuid::to_string).collect();
        devices.sort();
        devices.dedup();
        audit.push((
            "relayed".to_owned(),
            format!(
                "{} changes of {} relayed",
                relayed.len(),
                devices.join(", ")
            ),
        ));
    }
    Ok(audit)
}

/// Whether `metrics` should count an active session.
pub fn session_started(metrics: &Metrics) {
    Metrics::add(&metrics.sessions_total, 1);
    metrics.sessions_active.fetch_add(1, Ordering::Relaxed);
}

/// Counts a session's end.
pub fn session_ended(metrics: &Metrics) {
    metrics.sessions_active.fetch_sub(1, Ordering::Relaxed);
}
