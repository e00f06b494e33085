//! One household case as one automerge document.
//!
//! The document's root holds `schema`, `id`, the `household` map and one map
//! per record kind (`members`, `visits`, ...), each keyed by the record's own
//! UUID. All containers are made when the case is created, so two replicas
//! never race to create them; a container that still turns up twice (a
//! future schema upgrade made offline on two devices) is read as the union
//! of its copies.
//!
//! Every change carries the device's actor id, the user as author, a time
//! and a message; see [`ChangeNote`].

mod attach;
mod bridge;
mod changes;
mod edit;
mod generation;
mod inspect;
mod touched;
mod write;

pub use changes::{ChangeFacts, Found, OpAction, OpFact};
pub use generation::{
    CarryReport, ERASED_TEXT, ERASURES, Edit, EraseTarget, Erasure, GENERATION, LocalChange,
};
pub use inspect::{Conflict, ConflictValue, FieldChange, HistoryEntry};
pub use touched::Touched;

pub use automerge::ChangeHash;
use automerge::sync::{self, SyncDoc};
use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, Author, AutoCommit, AutomergeError, ObjId, ObjType, ROOT, ReadDoc};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};
use uuid::Uuid;

use crate::model::{ATTACHMENTS, AttachmentRef, Case, Household, Record, RecordKind, ReviewState};
use crate::rules::{self, Finding};
use crate::schema::FieldPath;

/// The schema version this code writes.
pub const SCHEMA_VERSION: u64 = 1;

/// Why a case document operation failed.
#[derive(Debug, thiserror::Error)]
pub enum CaseDocError {
    /// The bytes are not an automerge document, or an operation failed.
    #[error("het dossier kan niet gelezen worden (automerge: {0})")]
    Automerge(#[from] AutomergeError),
    /// The document does not read as a case.
    #[error("het document is geen geldig dossier: {0}")]
    NotACase(String),
    /// A record of this kind and id is not in the case.
    #[error("record {kind} {id} bestaat niet in dit dossier")]
    NoSuchRecord {
        /// Kind looked for.
        kind: &'static str,
        /// Id looked for.
        id: Uuid,
    },
    /// A field path that does not exist on the record.
    #[error("veld '{0}' bestaat niet")]
    NoSuchField(String),
    /// The value does not fit the record.
    #[error("ongeldige waarde: {0}")]
    Invalid(String),
    /// A rule refused the edit.
    #[error("geweigerd: {}", .0.iter().map(|f| f.nl.as_str()).collect::<Vec<_>>().join(" "))]
    Refused(Vec<Finding>),
    /// Two generations of a case (see [`EraseTarget`]) cannot be merged.
    #[error("dit dossier werd vernieuwd na het wissen van gegevens; open het opnieuw")]
    OtherGeneration,
    /// A sync message that does not decode.
    #[error("ongeldig sync-bericht: {0}")]
    BadSyncMessage(String),
}

/// Who is editing: the user (author) on which device (actor).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Editor {
    /// The user id, recorded as the author of every change.
    pub user: String,
    /// The device id, the first 16 bytes of the actor id.
    pub device: Uuid,
}

/// What a change is about, stored as its message (JSON) so history can be
/// filtered per record without replaying the document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeNote {
    /// A short human message ("visit added").
    #[serde(rename = "m")]
    pub message: String,
    /// The record kind, if the change is about a record.
    #[serde(rename = "k", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<RecordKind>,
    /// The record id, if the change is about a record.
    #[serde(rename = "r", default, skip_serializing_if = "Option::is_none")]
    pub record: Option<Uuid>,
    /// The fields that changed.
    #[serde(rename = "f", default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
}

/// What an edit is aimed at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The household-level fields.
    Household,
    /// One record.
    Record(RecordKind, Uuid),
}

/// A supervisor's review step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewAction {
    /// The worker submits the record for review.
    Submit,
    /// The supervisor approves it.
    Approve,
    /// The supervisor returns it with a comment.
    Return,
}

/// One household case as one automerge document.
pub struct CaseDoc {
    doc: AutoCommit,
    id: Uuid,
    clock: fn() -> DateTime<Utc>,
    /// A fixed time for the changes that follow (a generated history).
    at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for CaseDoc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaseDoc")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

thread_local! {
    static CASE_READS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// How many times this thread read a whole case out of a document
/// ([`CaseDoc::case`]): what a save costs, counted in tests.
pub fn case_reads() -> usize {
    CASE_READS.with(std::cell::Cell::get)
}

// The actor id for an editor: the device id plus 8 random bytes, new each
// time a document is opened for editing (`set_editor`). A device that
// crashed after sending a change it had not saved can then never reuse a
// sequence number.

/// The device id inside an actor id made by [`CaseDoc::set_editor`].
pub fn device_of(actor: &ActorId) -> Option<Uuid> {
    actor
        .to_bytes()
        .get(..16)
        .and_then(|b| Uuid::from_slice(b).ok())
}

impl CaseDoc {
    /// Creates a new case with its household fields and every container.
    pub fn create(id: Uuid, household: &Household, editor: &Editor) -> Result<Self, CaseDocError> {
        let session = Uuid::new_v4().as_bytes()[..8].try_into().unwrap_or([0; 8]);
        Self::create_generated(id, household, editor, session, None)
    }

    /// [`CaseDoc::create`] with the actor's session part and the time given
    /// (see [`CaseDoc::set_editor_session`]): a generated history.
    pub fn create_generated(
        id: Uuid,
        household: &Household,
        editor: &Editor,
        session: [u8; 8],
        at: Option<DateTime<Utc>>,
    ) -> Result<Self, CaseDocError> {
        let mut this = Self {
            doc: AutoCommit::new(),
            id,
            clock: Utc::now,
            at,
        };
        this.set_editor_session(editor, session);
        let doc = &mut this.doc;
        doc.put(ROOT, "schema", SCHEMA_VERSION)?;
        doc.put(ROOT, "id", id.to_string())?;
        for kind in RecordKind::ALL {
            doc.put_object(ROOT, kind.container(), ObjType::Map)?;
        }
        doc.put_object(ROOT, ATTACHMENTS, ObjType::Map)?;
        let household_obj = doc.put_object(ROOT, "household", ObjType::Map)?;
        let mut household = household.clone();
        household.canonicalise();
        let json = to_object(&household)?;
        let mut changed = Vec::new();
        bridge::reconcile_map(
            doc,
            &household_obj,
            &json,
            false,
            &FieldPath::root(),
            &mut changed,
        )?;
        this.commit(ChangeNote {
            message: "case created".into(),
            kind: None,
            record: None,
            fields: vec![],
        });
        Ok(this)
    }

    /// Loads a document saved with [`CaseDoc::save`], followed by any
    /// incremental chunks.
    pub fn load(snapshot: &[u8], chunks: &[Vec<u8>]) -> Result<Self, CaseDocError> {
        let mut doc = AutoCommit::load(snapshot)?;
        for chunk in chunks {
            doc.load_incremental(chunk)?;
        }
        let id = match doc.get(ROOT, "id")? {
            Some((automerge::Value::Scalar(s), _)) => s
                .as_str()
                .and_then(|s| Uuid::parse_str(s).ok())
                .ok_or_else(|| CaseDocError::NotACase("id is not a UUID".into()))?,
            _ => return Err(CaseDocError::NotACase("no case id".into())),
        };
        Ok(Self {
            doc,
            id,
            clock: Utc::now,
            at: None,
        })
    }

    /// An empty replica of case `id`, to be filled by sync.
    pub fn empty(id: Uuid) -> Self {
        Self {
            doc: AutoCommit::new(),
            id,
            clock: Utc::now,
            at: None,
        }
    }

    /// Brings an older document up to this schema: creates any container it
    /// lacks. Replicas doing this offline create competing copies; reading
    /// takes the union of the copies, so no record hides behind another.
    pub fn upgrade(&mut self) -> Result<bool, CaseDocError> {
        let mut changed = false;
        for kind in RecordKind::ALL {
            if self.containers(*kind).is_empty() {
                self.doc.put_object(ROOT, kind.container(), ObjType::Map)?;
                changed = true;
            }
        }
        if self.containers_named(ATTACHMENTS).is_empty() {
            self.doc.put_object(ROOT, ATTACHMENTS, ObjType::Map)?;
            changed = true;
        }
        let schema = self.scalar_at_root("schema").as_u64().unwrap_or(0);
        if schema < SCHEMA_VERSION {
            self.doc.put(ROOT, "schema", SCHEMA_VERSION)?;
            changed = true;
        }
        if changed {
            self.commit(ChangeNote {
                message: "schema upgraded".into(),
                kind: None,
                record: None,
                fields: vec![],
            });
        }
        Ok(changed)
    }

    /// Uses `clock` for change times instead of the system clock.
    pub fn set_clock(&mut self, clock: fn() -> DateTime<Utc>) {
        self.clock = clock;
    }

    /// Gives the changes that follow the time `at` (`None`: the clock
    /// again). For a generated history, made as of the day each thing
    /// happened; a real edit is made now.
    pub fn set_time(&mut self, at: Option<DateTime<Utc>>) {
        self.at = at;
    }

    /// The time of a change made now.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.at.unwrap_or_else(|| (self.clock)())
    }

    /// Makes `editor` the author and device of the changes that follow.
    pub fn set_editor(&mut self, editor: &Editor) {
        let session = Uuid::new_v4().as_bytes()[..8].try_into().unwrap_or([0; 8]);
        self.set_editor_session(editor, session);
    }

    /// [`CaseDoc::set_editor`] with the actor's session part given instead
    /// of drawn at random: for generated histories that must come out the
    /// same byte for byte (the demo). A real device never reuses one.
    pub fn set_editor_session(&mut self, editor: &Editor, session: [u8; 8]) {
        // set_author picks a fresh actor, so the actor is set after it.
        self.doc
            .set_author(Some(Author::from(editor.user.as_bytes().to_vec())));
        let mut bytes = editor.device.as_bytes().to_vec();
        bytes.extend_from_slice(&session);
        self.doc.set_actor(ActorId::from(bytes));
    }

    /// The case id.
    pub fn id(&self) -> Uuid {
        self.id
    }

    /// The current heads.
    pub fn heads(&mut self) -> Vec<ChangeHash> {
        self.doc.get_heads()
    }

    /// The whole document, compacted.
    pub fn save(&mut self) -> Vec<u8> {
        self.doc.save()
    }

    /// The whole document with its history, no column compressed: for
    /// inspection (is a value anywhere in the history?), not for storage.
    pub fn save_uncompressed(&mut self) -> Vec<u8> {
        self.doc.save_nocompress()
    }

    /// Only what was added after `heads` (empty when nothing was).
    pub fn save_after(&mut self, heads: &[ChangeHash]) -> Vec<u8> {
        self.doc.save_after(heads)
    }

    /// Whether the document holds every change in `heads`.
    pub fn contains_all(&mut self, heads: &[ChangeHash]) -> bool {
        holds_all(&mut self.doc, heads)
    }

    /// A fork to try changes on before accepting them.
    pub fn fork(&mut self) -> Self {
        Self {
            doc: self.doc.fork(),
            id: self.id,
            clock: self.clock,
            at: self.at,
        }
    }

    /// Merges another replica of the same case into this one. Replicas of
    /// two generations never merge: that would bring the erased history
    /// back (an empty replica takes any).
    pub fn merge(&mut self, other: &mut CaseDoc) -> Result<(), CaseDocError> {
        if self.generation() != other.generation()
            && !self.doc.get_heads().is_empty()
            && !other.doc.get_heads().is_empty()
        {
            return Err(CaseDocError::OtherGeneration);
        }
        self.doc.merge(&mut other.doc)?;
        Ok(())
    }

    /// Applies raw changes (as produced by [`CaseDoc::save_after`]).
    pub fn load_incremental(&mut self, data: &[u8]) -> Result<usize, CaseDocError> {
        Ok(self.doc.load_incremental(data)?)
    }

    /// Runs automerge's sync protocol between two in-memory replicas until
    /// neither has anything to send; returns the bytes exchanged. Bounded,
    /// so a protocol fault is an error, not a loop.
    pub fn sync_with(&mut self, other: &mut CaseDoc) -> Result<usize, CaseDocError> {
        let (mut mine, mut theirs) = (sync::State::new(), sync::State::new());
        let mut bytes = 0;
        for _ in 0..1_000 {
            let out = self.generate_sync_message(&mut mine);
            if let Some(m) = &out {
                bytes += m.len();
                other.receive_sync_message(&mut theirs, m)?;
            }
            let back = other.generate_sync_message(&mut theirs);
            if let Some(m) = &back {
                bytes += m.len();
                self.receive_sync_message(&mut mine, m)?;
            }
            if out.is_none() && back.is_none() {
                return Ok(bytes);
            }
        }
        Err(CaseDocError::BadSyncMessage(
            "sync did not settle in 1,000 rounds".into(),
        ))
    }

    /// Number of automerge operations in the document.
    pub fn op_count(&self) -> usize {
        self.doc.stats().num_ops as usize
    }

    /// Number of changes in the document.
    pub fn change_count(&mut self) -> usize {
        // From the change graph's count: building the changes themselves
        // costs as much as saving the document. An open transaction is
        // closed first, as reading the changes did.
        self.doc.get_heads();
        self.doc.stats().num_changes as usize
    }

    /// The next automerge sync message for a peer, encoded, or `None` when
    /// there is nothing to send.
    pub fn generate_sync_message(&mut self, state: &mut sync::State) -> Option<Vec<u8>> {
        self.doc
            .sync()
            .generate_sync_message(state)
            .map(|m| m.encode())
    }

    /// Receives an encoded automerge sync message from a peer.
    pub fn receive_sync_message(
        &mut self,
        state: &mut sync::State,
        message: &[u8],
    ) -> Result<(), CaseDocError> {
        let msg = sync::Message::decode(message)
            .map_err(|e| CaseDocError::BadSyncMessage(e.to_string()))?;
        self.doc.sync().receive_sync_message(state, msg)?;
        Ok(())
    }

    /// [`Self::receive_sync_message`], and when this replica held nothing
    /// before and the message brought the whole document as one document
    /// chunk that this replica now is (same heads), that chunk as it came:
    /// the store can keep it as the case's snapshot instead of compressing
    /// the same document again.
    pub fn receive_sync_message_whole(
        &mut self,
        state: &mut sync::State,
        message: &[u8],
    ) -> Result<Option<Vec<u8>>, CaseDocError> {
        let msg = sync::Message::decode(message)
            .map_err(|e| CaseDocError::BadSyncMessage(e.to_string()))?;
        let was_empty = self.doc.get_heads().is_empty();
        let whole = match msg.changes.iter().next() {
            Some(chunk)
                if was_empty
                    && msg.changes.len() == 1
                    && crate::protocol::is_one_document_chunk(chunk) =>
            {
                Some(chunk.to_vec())
            }
            _ => None,
        };
        let mut theirs = msg.heads.clone();
        self.doc.sync().receive_sync_message(state, msg)?;
        let mut ours = self.doc.get_heads();
        ours.sort();
        theirs.sort();
        Ok(whole.filter(|_| !ours.is_empty() && ours == theirs))
    }

    /// The whole case as the app reads it.
    pub fn case(&self) -> Result<Case, CaseDocError> {
        self.case_noting_conflicts().map(|(case, _)| case)
    }

    /// [`Self::case`], and whether [`Self::conflicts`] may find anything:
    /// `false` when no map of the household or of a record read on the way
    /// holds a key with more than one value (then it finds nothing, and
    /// need not walk the case again).
    pub fn case_noting_conflicts(&self) -> Result<(Case, bool), CaseDocError> {
        CASE_READS.with(|n| n.set(n.get() + 1));
        let conflict = std::cell::Cell::new(false);
        let mut root = Map::new();
        root.insert("id".into(), Json::String(self.id.to_string()));
        root.insert("schema".into(), self.scalar_at_root("schema"));
        let household = self
            .household_obj()
            .ok_or_else(|| CaseDocError::NotACase("no household".into()))?;
        root.insert(
            "household".into(),
            Json::Object(bridge::map_to_json_noting(&self.doc, &household, &conflict)),
        );
        for kind in RecordKind::ALL {
            let mut records = Map::new();
            for obj in self.containers(*kind) {
                records.extend(bridge::map_to_json_noting(&self.doc, &obj, &conflict));
            }
            root.insert(kind.container().into(), Json::Object(records));
        }
        root.insert(ATTACHMENTS.into(), Json::Object(self.attachments_json()));
        let case = serde_json::from_value(Json::Object(root))
            .map_err(|e| CaseDocError::NotACase(e.to_string()))?;
        Ok((case, conflict.get()))
    }

    /// The household fields.
    pub fn household(&self) -> Result<Household, CaseDocError> {
        let obj = self
            .household_obj()
            .ok_or_else(|| CaseDocError::NotACase("no household".into()))?;
        serde_json::from_value(Json::Object(bridge::map_to_json(&self.doc, &obj, None)))
            .map_err(|e| CaseDocError::NotACase(e.to_string()))
    }

    /// One record, or `None` when the case has no such record.
    pub fn record(&self, kind: RecordKind, id: Uuid) -> Result<Option<Record>, CaseDocError> {
        let Some(obj) = self.record_obj(kind, id) else {
            return Ok(None);
        };
        let json = Json::Object(bridge::map_to_json(&self.doc, &obj, None));
        Record::from_json(kind, json)
            .map(Some)
            .map_err(|e| CaseDocError::NotACase(e.to_string()))
    }

    fn commit(&mut self, note: ChangeNote) {
        let message = serde_json::to_string(&note).unwrap_or(note.message);
        let time = self.now().timestamp_millis();
        self.doc.commit_with(
            CommitOptions::default()
                .with_message(message)
                .with_time(time),
        );
    }

    fn scalar_at_root(&self, key: &str) -> Json {
        match self.doc.get(ROOT, key) {
            Ok(Some((automerge::Value::Scalar(s), _))) => bridge::scalar_to_json(&s),
            _ => Json::Null,
        }
    }

    fn household_obj(&self) -> Option<ObjId> {
        match self.doc.get(ROOT, "household") {
            Ok(Some((automerge::Value::Object(ObjType::Map), id))) => Some(id),
            _ => None,
        }
    }

    /// Every copy of a kind's container: normally one, more if replicas
    /// created it concurrently.
    fn containers(&self, kind: RecordKind) -> Vec<ObjId> {
        self.containers_named(kind.container())
    }

    /// Every copy of the root map `key`.
    fn containers_named(&self, key: &str) -> Vec<ObjId> {
        self.doc
            .get_all(ROOT, key)
            .unwrap_or_default()
            .into_iter()
            .filter(|(v, _)| matches!(v, automerge::Value::Object(ObjType::Map)))
            .map(|(_, id)| id)
            .collect()
    }

    fn record_obj(&self, kind: RecordKind, id: Uuid) -> Option<ObjId> {
        let key = id.to_string();
        self.containers(kind)
            .into_iter()
            .find_map(|c| match self.doc.get(&c, key.as_str()) {
                Ok(Some((automerge::Value::Object(ObjType::Map), obj))) => Some(obj),
                _ => None,
            })
    }

    fn map_child(&mut self, obj: &ObjId, key: &str) -> Result<ObjId, CaseDocError> {
        match self.doc.get(obj, key)? {
            Some((automerge::Value::Object(ObjType::Map), id)) => Ok(id),
            _ => Ok(self.doc.put_object(obj, key, ObjType::Map)?),
        }
    }

    pub(crate) fn doc(&self) -> &AutoCommit {
        &self.doc
    }

    pub(crate) fn doc_mut(&mut self) -> &mut AutoCommit {
        &mut self.doc
    }
}

fn to_json<T: Serialize>(value: &T) -> Result<Json, CaseDocError> {
    serde_json::to_value(value).map_err(|e| CaseDocError::Invalid(e.to_string()))
}

fn to_object<T: Serialize>(value: &T) -> Result<Map<String, Json>, CaseDocError> {
    match to_json(value)? {
        Json::Object(m) => Ok(m),
        _ => Err(CaseDocError::Invalid("not an object".into())),
    }
}

/// Whether `doc` has applied every change in `heads`. Asked of the change
/// graph's index, not by rebuilding each change from the operations (as
/// `get_change_by_hash` does, which made this check cost as much as a sync
/// message). A change waiting in automerge's queue for its dependencies is
/// not applied; while any waits, the slow exact check answers.
pub(crate) fn holds_all(doc: &mut AutoCommit, heads: &[ChangeHash]) -> bool {
    if doc.get_missing_deps(&[]).is_empty() {
        // Nothing queued: a hash is missing exactly when it is not applied.
        doc.get_missing_deps(heads).is_empty()
    } else {
        heads.iter().all(|h| doc.get_change_by_hash(h).is_some())
    }
}

#[cfg(test)]
mod tests;
