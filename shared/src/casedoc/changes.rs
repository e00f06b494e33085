//! What a batch of new changes does, operation by operation, as the
//! authority policy ([`crate::policy`]) reads it: who made each change
//! (device, author, time) and which document path each operation touches.
//!
//! The operations are walked, not the visible diff: a forged value that
//! loses a conflict is invisible in a diff but still sits in the document
//! as a conflicting value the app shows, so it must be seen here too.

use std::collections::HashMap;

use automerge::{ChangeHash, ObjType, Prop, ReadDoc, ScalarValue};
use serde_json::Value as Json;
use uuid::Uuid;

use super::{CaseDoc, device_of};

/// One new change: who, when, what.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeFacts {
    /// The change's hash.
    pub hash: ChangeHash,
    /// The device inside the change's actor id (`None`: not a Brug actor).
    pub device: Option<Uuid>,
    /// The author recorded for the change's actor (`None`: none recorded).
    pub author: Option<String>,
    /// The change's time, in milliseconds since the epoch.
    pub time_ms: i64,
    /// Every operation of the change.
    pub ops: Vec<OpFact>,
    /// A change with no dependencies: the first of a history.
    pub root: bool,
    /// Its actor (hex) and sequence number within that actor.
    pub actor: String,
    /// See `actor`.
    pub seq: u64,
}

/// One operation: the path of the property it touches and what it does.
#[derive(Debug, Clone, PartialEq)]
pub struct OpFact {
    /// Map keys from the root to the touched property; list and text
    /// positions are `#`. Empty only when the path could not be resolved
    /// (an object that no longer exists): such an operation has no effect
    /// a reader can see.
    pub path: Vec<String>,
    /// What the operation does.
    pub action: OpAction,
    /// Whether it overwrites more than one value: a conflict resolved.
    pub resolves: bool,
    /// Whether the object it writes in was made by these same new changes:
    /// such an object did not exist before them, so nothing in it can have
    /// been in conflict.
    pub in_new_object: bool,
}

/// What an operation does to its property.
#[derive(Debug, Clone, PartialEq)]
pub enum OpAction {
    /// Makes a map.
    MakeMap,
    /// Makes a list.
    MakeList,
    /// Makes a text.
    MakeText,
    /// Puts a scalar (as JSON: strings, numbers, booleans, null).
    Put(Json),
    /// Deletes the property.
    Delete,
    /// Increments a counter, or marks text: nothing Brug writes.
    Other,
}

/// What sits at a path in a document.
#[derive(Debug, Clone, PartialEq)]
pub enum Found {
    /// Nothing.
    Missing,
    /// A map, list or text.
    Object,
    /// A scalar, as JSON.
    Scalar(Json),
}

fn scalar_json(v: &ScalarValue) -> Json {
    match v {
        ScalarValue::Str(s) => Json::String(s.to_string()),
        ScalarValue::Int(i) => Json::from(*i),
        ScalarValue::Uint(u) => Json::from(*u),
        ScalarValue::F64(f) => Json::from(*f),
        ScalarValue::Boolean(b) => Json::Bool(*b),
        ScalarValue::Null => Json::Null,
        ScalarValue::Counter(_)
        | ScalarValue::Timestamp(_)
        | ScalarValue::Bytes(_)
        | ScalarValue::Unknown { .. } => Json::String(format!("<{v}>")),
    }
}

fn prop_text(p: &Prop) -> String {
    match p {
        Prop::Map(k) => k.clone(),
        Prop::Seq(_) => "#".into(),
    }
}

impl CaseDoc {
    /// The changes this document holds beyond `before`, each with its
    /// operations resolved to paths in the document as it is now.
    pub fn new_changes(&mut self, before: &[ChangeHash]) -> Vec<ChangeFacts> {
        let changes = self.doc.get_changes(before);
        // The operation ids the new changes cover, per actor: an object
        // whose id falls in one was made by them.
        let made: Vec<(automerge::ActorId, std::ops::Range<u64>)> = changes
            .iter()
            .map(|c| {
                let start = c.start_op().get();
                (c.actor_id().clone(), start..start + c.len() as u64)
            })
            .collect();
        let is_new = |id: &automerge::legacy::OpId| {
            made.iter()
                .any(|(actor, ops)| ops.contains(&id.0) && actor == id.actor())
        };
        let mut paths: HashMap<String, Option<Vec<String>>> = HashMap::new();
        let mut out = Vec::with_capacity(changes.len());
        for change in changes {
            let expanded = change.decode();
            let doc = &self.doc;
            let author = expanded
                .author
                .as_ref()
                .map(|a| String::from_utf8_lossy(a.as_bytes()).into_owned())
                .or_else(|| {
                    doc.get_author_for_actor(&expanded.actor_id)
                        .map(|a| String::from_utf8_lossy(a.as_bytes()).into_owned())
                });
            let ops = expanded
                .operations
                .iter()
                .map(|op| {
                    let base = match &op.obj {
                        automerge::legacy::ObjectId::Root => Some(Vec::new()),
                        automerge::legacy::ObjectId::Id(id) => paths
                            .entry(id.to_string())
                            .or_insert_with_key(|key| object_path(doc, key))
                            .clone(),
                    };
                    let path = base
                        .map(|mut p| {
                            p.push(match &op.key {
                                automerge::legacy::Key::Map(k) => k.to_string(),
                                automerge::legacy::Key::Seq(_) => "#".into(),
                            });
                            p
                        })
                        .unwrap_or_default();
                    let action = match &op.action {
                        automerge::legacy::OpType::Make(ObjType::Map | ObjType::Table) => {
                            OpAction::MakeMap
                        }
                        automerge::legacy::OpType::Make(ObjType::List) => OpAction::MakeList,
                        automerge::legacy::OpType::Make(ObjType::Text) => OpAction::MakeText,
                        automerge::legacy::OpType::Put(v) => OpAction::Put(scalar_json(v)),
                        automerge::legacy::OpType::Delete => OpAction::Delete,
                        _ => OpAction::Other,
                    };
                    OpFact {
                        path,
                        action,
                        resolves: op.pred.len() > 1,
                        in_new_object: matches!(
                            &op.obj,
                            automerge::legacy::ObjectId::Id(id) if is_new(id)
                        ),
                    }
                })
                .collect();
            out.push(ChangeFacts {
                hash: change.hash(),
                device: device_of(&expanded.actor_id),
                author,
                time_ms: expanded.time,
                ops,
                root: expanded.deps.is_empty(),
                actor: expanded.actor_id.to_hex_string(),
                seq: expanded.seq,
            });
        }
        out
    }

    /// Whether the property at `path` held more than one value (a conflict)
    /// when the document had `heads`. A resolution may be written as a
    /// delete of the losing value only, so an operation's own
    /// predecessors do not always show it.
    pub fn conflicted_at(&self, path: &[&str], heads: &[ChangeHash]) -> bool {
        let Some((last, parents)) = path.split_last() else {
            return false;
        };
        let mut obj = automerge::ROOT;
        for key in parents {
            match self.doc.get_at(&obj, *key, heads) {
                Ok(Some((automerge::Value::Object(_), id))) => obj = id,
                _ => return false,
            }
        }
        self.doc
            .get_all_at(&obj, *last, heads)
            .map(|all| all.len() > 1)
            .unwrap_or(false)
    }

    /// What sat at `path` (map keys from the root) when the document had
    /// `heads`.
    pub fn found_at(&self, path: &[&str], heads: &[ChangeHash]) -> Found {
        let mut obj = automerge::ROOT;
        for (i, key) in path.iter().enumerate() {
            let last = i + 1 == path.len();
            match self.doc.get_at(&obj, *key, heads) {
                Ok(Some((automerge::Value::Object(_), id))) => {
                    if last {
                        return Found::Object;
                    }
                    obj = id;
                }
                Ok(Some((automerge::Value::Scalar(s), _))) if last => {
                    return Found::Scalar(scalar_json(&s));
                }
                _ => return Found::Missing,
            }
        }
        Found::Object
    }
}

/// The path of map keys to an object, or `None` when it cannot be found.
fn object_path(doc: &automerge::AutoCommit, id: &str) -> Option<Vec<String>> {
    let obj = doc.import_obj(id).ok()?;
    doc.object_type(&obj).ok()?;
    let parents = doc.parents(&obj).ok()?;
    Some(parents.path().iter().map(|(_, p)| prop_text(p)).collect())
}
