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
            // Each operation's id is its change's start plus its place (one
            // counter per operation): an object made here gets its path from
            // the operation that makes it, without a walk up the document
            // (an object stays where it was made, visible or not). Checked,
            // not assumed: otherwise every path is looked up.
            let first_op =
                (expanded.operations.len() == change.len()).then(|| expanded.start_op.get());
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
                .enumerate()
                .map(|(i, op)| {
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
                    if let (Some(first), automerge::legacy::OpType::Make(_)) =
                        (first_op, &op.action)
                        && !path.is_empty()
                    {
                        let id = automerge::legacy::OpId::new(first + i as u64, &expanded.actor_id);
                        let id = id.to_string();
                        paths.insert(id, Some(path.clone()));
                    }
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

#[cfg(test)]
mod tests {
    use automerge::transaction::Transactable;

    use super::*;
    use crate::casedoc::{ChangeNote, Editor};
    use crate::model::{RecordKind, examples};

    #[test]
    fn objects_made_by_the_changes_have_the_paths_the_document_gives_them() {
        let editor = Editor {
            user: "ann".into(),
            device: Uuid::new_v4(),
        };
        let mut case = CaseDoc::create(Uuid::now_v7(), &examples::household(), &editor).unwrap();
        let before = case.heads();
        case.add_record(&examples::example(RecordKind::Visit), "visit added")
            .unwrap();
        // A map in a list, and a map made and deleted in the same changes.
        let list = case
            .doc
            .put_object(automerge::ROOT, "extra", ObjType::List)
            .unwrap();
        let inner = case.doc.insert_object(&list, 0, ObjType::Map).unwrap();
        case.doc.put(&inner, "k", "v").unwrap();
        let gone = case
            .doc
            .put_object(automerge::ROOT, "gone", ObjType::Map)
            .unwrap();
        case.doc.put(&gone, "x", 1).unwrap();
        case.doc.delete(automerge::ROOT, "gone").unwrap();
        case.commit(ChangeNote {
            message: "extra".into(),
            kind: None,
            record: None,
            fields: vec![],
        });

        // Every operation's path, each object looked up in the document.
        let mut expected = Vec::new();
        for change in case.doc.get_changes(&before) {
            for op in change.decode().operations {
                let base = match &op.obj {
                    automerge::legacy::ObjectId::Root => Some(Vec::new()),
                    automerge::legacy::ObjectId::Id(id) => object_path(&case.doc, &id.to_string()),
                };
                expected.push(
                    base.map(|mut p| {
                        p.push(match &op.key {
                            automerge::legacy::Key::Map(k) => k.to_string(),
                            automerge::legacy::Key::Seq(_) => "#".into(),
                        });
                        p
                    })
                    .unwrap_or_default(),
                );
            }
        }
        let got: Vec<Vec<String>> = case
            .new_changes(&before)
            .into_iter()
            .flat_map(|c| c.ops.into_iter().map(|o| o.path))
            .collect();
        assert_eq!(got, expected);
        let path = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(got.contains(&path(&["extra", "#", "k"])));
        assert!(got.contains(&path(&["gone", "x"])));
        assert!(
            got.iter()
                .any(|p| p.len() > 2 && p[0] == "visits" && p[2] == "start"),
            "{got:?}"
        );
    }
}
