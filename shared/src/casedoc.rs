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

mod bridge;
mod changes;
mod edit;
mod inspect;

pub use changes::{ChangeFacts, Found, OpAction, OpFact};
pub use inspect::{Conflict, ConflictValue, FieldChange, HistoryEntry};

pub use automerge::ChangeHash;
use automerge::sync::{self, SyncDoc};
use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, Author, AutoCommit, AutomergeError, ObjId, ObjType, ROOT, ReadDoc};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};
use uuid::Uuid;

use crate::model::{Case, Household, Record, RecordKind, ReviewState};
use crate::rules::{self, Finding};

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

/// The actor id for an editor: the device id plus 8 random bytes, new each
/// time a document is opened for editing. A device that crashed after
/// sending a change it had not saved can then never reuse a sequence number.
fn actor_for(device: Uuid) -> ActorId {
    let mut bytes = device.as_bytes().to_vec();
    bytes.extend_from_slice(&Uuid::new_v4().as_bytes()[..8]);
    ActorId::from(bytes)
}

/// The device id inside an actor id made by [`actor_for`].
pub fn device_of(actor: &ActorId) -> Option<Uuid> {
    actor
        .to_bytes()
        .get(..16)
        .and_then(|b| Uuid::from_slice(b).ok())
}

impl CaseDoc {
    /// Creates a new case with its household fields and every container.
    pub fn create(id: Uuid, household: &Household, editor: &Editor) -> Result<Self, CaseDocError> {
        let mut this = Self {
            doc: AutoCommit::new(),
            id,
            clock: Utc::now,
        };
        this.set_editor(editor);
        let doc = &mut this.doc;
        doc.put(ROOT, "schema", SCHEMA_VERSION)?;
        doc.put(ROOT, "id", id.to_string())?;
        for kind in RecordKind::ALL {
            doc.put_object(ROOT, kind.container(), ObjType::Map)?;
        }
        let household_obj = doc.put_object(ROOT, "household", ObjType::Map)?;
        let json = to_object(household)?;
        let mut changed = Vec::new();
        bridge::reconcile_map(doc, &household_obj, &json, false, "", &mut changed)?;
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
        })
    }

    /// An empty replica of case `id`, to be filled by sync.
    pub fn empty(id: Uuid) -> Self {
        Self {
            doc: AutoCommit::new(),
            id,
            clock: Utc::now,
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

    /// Makes `editor` the author and device of the changes that follow.
    pub fn set_editor(&mut self, editor: &Editor) {
        // set_author picks a fresh actor, so the actor is set after it.
        self.doc
            .set_author(Some(Author::from(editor.user.as_bytes().to_vec())));
        self.doc.set_actor(actor_for(editor.device));
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

    /// Only what was added after `heads` (empty when nothing was).
    pub fn save_after(&mut self, heads: &[ChangeHash]) -> Vec<u8> {
        self.doc.save_after(heads)
    }

    /// Whether the document holds every change in `heads`.
    pub fn contains_all(&mut self, heads: &[ChangeHash]) -> bool {
        heads
            .iter()
            .all(|h| self.doc.get_change_by_hash(h).is_some())
    }

    /// A fork to try changes on before accepting them.
    pub fn fork(&mut self) -> Self {
        Self {
            doc: self.doc.fork(),
            id: self.id,
            clock: self.clock,
        }
    }

    /// Merges another replica of the same case into this one.
    pub fn merge(&mut self, other: &mut CaseDoc) -> Result<(), CaseDocError> {
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
        self.doc.get_changes(&[]).len()
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

    /// The whole case as the app reads it.
    pub fn case(&self) -> Result<Case, CaseDocError> {
        CASE_READS.with(|n| n.set(n.get() + 1));
        let mut root = Map::new();
        root.insert("id".into(), Json::String(self.id.to_string()));
        root.insert("schema".into(), self.scalar_at_root("schema"));
        let household = self
            .household_obj()
            .ok_or_else(|| CaseDocError::NotACase("no household".into()))?;
        root.insert(
            "household".into(),
            Json::Object(bridge::map_to_json(&self.doc, &household, None)),
        );
        for kind in RecordKind::ALL {
            let mut records = Map::new();
            for obj in self.containers(*kind) {
                records.extend(bridge::map_to_json(&self.doc, &obj, None));
            }
            root.insert(kind.container().into(), Json::Object(records));
        }
        serde_json::from_value(Json::Object(root))
            .map_err(|e| CaseDocError::NotACase(e.to_string()))
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

    /// Adds a record under a new UUIDv7 and returns its id.
    pub fn add_record(&mut self, record: &Record, message: &str) -> Result<Uuid, CaseDocError> {
        let id = Uuid::now_v7();
        self.insert_record(id, record, message)?;
        Ok(id)
    }

    /// Adds a record under a given id (an import that keeps its ids).
    pub fn insert_record(
        &mut self,
        id: Uuid,
        record: &Record,
        message: &str,
    ) -> Result<(), CaseDocError> {
        let kind = record.kind();
        if self.record_obj(kind, id).is_some() {
            return Err(CaseDocError::Invalid(format!("record {id} bestaat al")));
        }
        let container = self
            .containers(kind)
            .into_iter()
            .next()
            .ok_or_else(|| CaseDocError::NotACase(format!("no {} map", kind.container())))?;
        let obj = self
            .doc
            .put_object(&container, id.to_string(), ObjType::Map)?;
        let mut changed = Vec::new();
        bridge::reconcile_map(
            &mut self.doc,
            &obj,
            &to_object(record)?,
            false,
            "",
            &mut changed,
        )?;
        self.commit(ChangeNote {
            message: message.into(),
            kind: Some(kind),
            record: Some(id),
            fields: vec![],
        });
        Ok(())
    }

    /// Writes a record's new value, field by field; only what differs is
    /// written. Editing an approved record sends it back to submitted.
    /// Returns the fields that changed (empty: nothing was committed).
    pub fn update_record(
        &mut self,
        id: Uuid,
        record: &Record,
        message: &str,
    ) -> Result<Vec<String>, CaseDocError> {
        let kind = record.kind();
        let obj = self
            .record_obj(kind, id)
            .ok_or(CaseDocError::NoSuchRecord {
                kind: kind.code(),
                id,
            })?;
        let was_approved = self
            .record(kind, id)?
            .and_then(|r| r.review().map(|rv| rv.state))
            == Some(ReviewState::Approved);
        let mut changed = Vec::new();
        bridge::reconcile_map(
            &mut self.doc,
            &obj,
            &to_object(record)?,
            false,
            "",
            &mut changed,
        )?;
        if was_approved && changed.iter().any(|f| !f.starts_with("review")) {
            let review = self.map_child(&obj, "review")?;
            self.doc
                .put(&review, "state", ReviewState::Submitted.code())?;
            changed.push("review.state".into());
        }
        if !changed.is_empty() {
            self.commit(ChangeNote {
                message: message.into(),
                kind: Some(kind),
                record: Some(id),
                fields: changed.clone(),
            });
        }
        Ok(changed)
    }

    /// Writes the household fields; only what differs is written.
    pub fn update_household(
        &mut self,
        household: &Household,
        message: &str,
    ) -> Result<Vec<String>, CaseDocError> {
        let obj = self
            .household_obj()
            .ok_or_else(|| CaseDocError::NotACase("no household".into()))?;
        let mut changed = Vec::new();
        bridge::reconcile_map(
            &mut self.doc,
            &obj,
            &to_object(household)?,
            false,
            "",
            &mut changed,
        )?;
        if !changed.is_empty() {
            self.commit(ChangeNote {
                message: message.into(),
                kind: None,
                record: None,
                fields: changed.clone(),
            });
        }
        Ok(changed)
    }

    /// Changes one field (a dotted path such as `phone` or
    /// `address.postcode`) to a JSON value. The result must still read as a
    /// valid record; otherwise nothing changes.
    pub fn set_field(
        &mut self,
        target: Target,
        field: &str,
        value: Json,
    ) -> Result<Vec<String>, CaseDocError> {
        let current = match target {
            Target::Household => to_json(&self.household()?)?,
            Target::Record(kind, id) => self
                .record(kind, id)?
                .ok_or(CaseDocError::NoSuchRecord {
                    kind: kind.code(),
                    id,
                })?
                .to_json(),
        };
        let updated = set_path(current, field, value)?;
        let message = format!("{field} changed");
        match target {
            Target::Household => {
                let h: Household = serde_json::from_value(updated)
                    .map_err(|e| CaseDocError::Invalid(e.to_string()))?;
                self.update_household(&h, &message)
            }
            Target::Record(kind, id) => {
                let r = Record::from_json(kind, updated)
                    .map_err(|e| CaseDocError::Invalid(e.to_string()))?;
                self.update_record(id, &r, &message)
            }
        }
    }

    /// Removes a record.
    pub fn remove_record(
        &mut self,
        kind: RecordKind,
        id: Uuid,
        message: &str,
    ) -> Result<(), CaseDocError> {
        let key = id.to_string();
        let mut found = false;
        for container in self.containers(kind) {
            if self.doc.get(&container, key.as_str())?.is_some() {
                self.doc.delete(&container, key.as_str())?;
                found = true;
            }
        }
        if !found {
            return Err(CaseDocError::NoSuchRecord {
                kind: kind.code(),
                id,
            });
        }
        self.commit(ChangeNote {
            message: message.into(),
            kind: Some(kind),
            record: Some(id),
            fields: vec![],
        });
        Ok(())
    }

    /// A review step on a reviewed record. Approving stores the heads at
    /// approval, so [`CaseDoc::changes_since`] can show what changed after.
    pub fn review(
        &mut self,
        kind: RecordKind,
        id: Uuid,
        action: ReviewAction,
        reviewer: &str,
        comment: &str,
    ) -> Result<(), CaseDocError> {
        let record = self.record(kind, id)?.ok_or(CaseDocError::NoSuchRecord {
            kind: kind.code(),
            id,
        })?;
        let Some(review) = record.review() else {
            return Err(CaseDocError::Invalid(format!(
                "een {} wordt niet nagekeken",
                kind.label(crate::model::Lang::Nl)
            )));
        };
        let to = match action {
            ReviewAction::Submit => ReviewState::Submitted,
            ReviewAction::Approve => ReviewState::Approved,
            ReviewAction::Return => ReviewState::Returned,
        };
        let findings = rules::check_review(review.state, to, comment);
        if rules::blocks(&findings) {
            return Err(CaseDocError::Refused(findings));
        }
        let heads: Vec<String> = self.heads().iter().map(|h| h.to_string()).collect();
        let obj = self
            .record_obj(kind, id)
            .ok_or(CaseDocError::NoSuchRecord {
                kind: kind.code(),
                id,
            })?;
        let review_obj = self.map_child(&obj, "review")?;
        let now = (self.clock)();
        let mut fields = Map::new();
        fields.insert("state".into(), Json::String(to.code().into()));
        if action != ReviewAction::Submit {
            fields.insert("reviewer".into(), Json::String(reviewer.into()));
            fields.insert(
                "at".into(),
                Json::String(now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            );
            fields.insert("comment".into(), Json::String(comment.into()));
        }
        if action == ReviewAction::Approve {
            fields.insert(
                "approved_heads".into(),
                Json::Array(heads.into_iter().map(Json::String).collect()),
            );
        }
        let mut changed = Vec::new();
        bridge::reconcile_map(
            &mut self.doc,
            &review_obj,
            &fields,
            false,
            "review",
            &mut changed,
        )?;
        let message = match action {
            ReviewAction::Submit => "submitted for review",
            ReviewAction::Approve => "approved",
            ReviewAction::Return => "returned",
        };
        self.commit(ChangeNote {
            message: message.into(),
            kind: Some(kind),
            record: Some(id),
            fields: changed,
        });
        Ok(())
    }

    fn commit(&mut self, note: ChangeNote) {
        let message = serde_json::to_string(&note).unwrap_or(note.message);
        let time = (self.clock)().timestamp_millis();
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
        self.doc
            .get_all(ROOT, kind.container())
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

/// Sets `path` (dot-separated) inside `root` to `value`.
fn set_path(mut root: Json, path: &str, value: Json) -> Result<Json, CaseDocError> {
    let parts: Vec<&str> = path.split('.').filter(|p| !p.is_empty()).collect();
    let Some((last, parents)) = parts.split_last() else {
        return Err(CaseDocError::NoSuchField(path.into()));
    };
    let mut cursor = &mut root;
    for part in parents {
        cursor = cursor
            .as_object_mut()
            .and_then(|m| m.get_mut(*part))
            .ok_or_else(|| CaseDocError::NoSuchField(path.into()))?;
    }
    let obj = cursor
        .as_object_mut()
        .ok_or_else(|| CaseDocError::NoSuchField(path.into()))?;
    if !obj.contains_key(*last) {
        return Err(CaseDocError::NoSuchField(path.into()));
    }
    obj.insert((*last).to_owned(), value);
    Ok(root)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::examples;

    fn editor(user: &str) -> Editor {
        Editor {
            user: user.into(),
            device: Uuid::new_v4(),
        }
    }

    #[test]
    fn fields_a_device_does_not_know_survive_its_edits() {
        let mut newer =
            CaseDoc::create(Uuid::now_v7(), &examples::household(), &editor("a")).unwrap();
        let id = newer
            .add_record(&examples::example(RecordKind::Visit), "visit added")
            .unwrap();
        // A newer app version writes a field this version has no type for.
        let obj = newer.record_obj(RecordKind::Visit, id).unwrap();
        newer.doc.put(&obj, "interpreter", "Arabisch").unwrap();
        newer.commit(ChangeNote {
            message: "interpreter".into(),
            kind: None,
            record: None,
            fields: vec![],
        });

        let mut older = CaseDoc::load(&newer.save(), &[]).unwrap();
        older.set_editor(&editor("b"));
        let Some(Record::Visit(mut v)) = older.record(RecordKind::Visit, id).unwrap() else {
            panic!()
        };
        v.place = crate::model::VisitPlace::School;
        older
            .update_record(id, &Record::Visit(v), "place changed")
            .unwrap();

        let obj = older.record_obj(RecordKind::Visit, id).unwrap();
        let kept = older
            .doc
            .get(&obj, "interpreter")
            .unwrap()
            .map(|(v, _)| v.to_string());
        assert_eq!(kept.as_deref(), Some("\"Arabisch\""));
    }

    #[test]
    fn competing_containers_from_offline_upgrades_hide_no_record() {
        let mut base =
            CaseDoc::create(Uuid::now_v7(), &examples::household(), &editor("a")).unwrap();
        // An old-schema document without a visits map.
        base.doc.delete(ROOT, "visits").unwrap();
        base.commit(ChangeNote {
            message: "old schema".into(),
            kind: None,
            record: None,
            fields: vec![],
        });
        let bytes = base.save();
        let mut a = CaseDoc::load(&bytes, &[]).unwrap();
        a.set_editor(&editor("a"));
        let mut b = CaseDoc::load(&bytes, &[]).unwrap();
        b.set_editor(&editor("b"));
        assert!(a.upgrade().unwrap() && b.upgrade().unwrap());
        let va = a
            .add_record(&examples::example(RecordKind::Visit), "visit added")
            .unwrap();
        let vb = b
            .add_record(&examples::example(RecordKind::Visit), "visit added")
            .unwrap();
        a.merge(&mut b).unwrap();
        assert_eq!(a.containers(RecordKind::Visit).len(), 2);
        let case = a.case().unwrap();
        assert!(case.visits.contains_key(&va) && case.visits.contains_key(&vb));
        // Both stay editable, whichever copy holds them.
        for id in [va, vb] {
            a.set_field(
                Target::Record(RecordKind::Visit, id),
                "place",
                serde_json::json!("school"),
            )
            .unwrap();
            let Some(Record::Visit(v)) = a.record(RecordKind::Visit, id).unwrap() else {
                panic!()
            };
            assert_eq!(v.place, crate::model::VisitPlace::School);
        }
    }

    #[test]
    fn a_deeply_nested_document_from_a_peer_is_read_without_overflowing() {
        let mut doc =
            CaseDoc::create(Uuid::now_v7(), &examples::household(), &editor("a")).unwrap();
        let household = doc.household_obj().unwrap();
        let mut obj = doc
            .doc
            .put_object(&household, "deep", ObjType::Map)
            .unwrap();
        for _ in 0..5_000 {
            obj = doc.doc.put_object(&obj, "x", ObjType::Map).unwrap();
        }
        doc.commit(ChangeNote {
            message: "deep".into(),
            kind: None,
            record: None,
            fields: vec![],
        });
        // Unknown fields are ignored, so the case still reads; nothing overflows.
        assert!(doc.case().is_ok());
        assert!(doc.conflicts().is_empty());
    }
}
