//! Reading a case's past: conflicts, history and what changed since given
//! heads.

use automerge::{ChangeHash, ObjId, ObjType, ROOT, ReadDoc};
use chrono::{DateTime, TimeZone, Utc};
use serde::Serialize;
use serde_json::Value as Json;
use uuid::Uuid;

use super::{CaseDoc, CaseDocError, ChangeNote, Target, bridge, device_of};
use crate::model::RecordKind;
use crate::schema::FieldPath;

/// One value of a conflicting field, with who wrote it and when.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConflictValue {
    /// The value.
    pub value: Json,
    /// The user who wrote it.
    pub author: Option<String>,
    /// The device it was written on.
    pub device: Option<Uuid>,
    /// When it was written (the device's clock).
    pub at: Option<DateTime<Utc>>,
}

/// A field that two or more people set concurrently to different values.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conflict {
    /// The household or the record the field belongs to.
    #[serde(skip)]
    pub target: Target,
    /// Record kind, if the field is in a record (for JSON output).
    pub kind: Option<RecordKind>,
    /// Record id, if the field is in a record.
    pub record: Option<Uuid>,
    /// The field's path inside the household or record.
    pub field: FieldPath,
    /// Every value, the one shown now first.
    pub values: Vec<ConflictValue>,
}

/// One change in a case's history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryEntry {
    /// The change hash (hex).
    pub hash: String,
    /// The user who made it.
    pub author: Option<String>,
    /// The device it was made on.
    pub device: Option<Uuid>,
    /// When (the device's clock).
    pub at: Option<DateTime<Utc>>,
    /// What it was about.
    pub note: ChangeNote,
}

/// A field whose value differs between two points in time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    /// Its path inside the record.
    pub field: FieldPath,
    /// The value then (`None`: the field did not exist).
    pub before: Option<Json>,
    /// The value now (`None`: the field was removed).
    pub after: Option<Json>,
}

fn millis_to_time(ms: i64) -> Option<DateTime<Utc>> {
    if ms == 0 {
        None
    } else {
        Utc.timestamp_millis_opt(ms).single()
    }
}

impl CaseDoc {
    /// Every field with concurrent, different values, across the household
    /// and all records.
    pub fn conflicts(&mut self) -> Vec<Conflict> {
        let mut found = Vec::new();
        let doc = self.doc();
        if let Ok(Some((_, household))) = doc.get(ROOT, "household") {
            walk(
                doc,
                &household,
                Target::Household,
                &FieldPath::root(),
                0,
                &mut found,
            );
        }
        for kind in RecordKind::ALL {
            for container in self.containers(*kind) {
                for item in doc.map_range(&container, ..) {
                    let Ok(id) = Uuid::parse_str(&item.key) else {
                        continue;
                    };
                    if matches!(item.value, automerge::ValueRef::Object(ObjType::Map)) {
                        walk(
                            doc,
                            &item.id(),
                            Target::Record(*kind, id),
                            &FieldPath::root(),
                            0,
                            &mut found,
                        );
                    }
                }
            }
        }
        // Attribute every value: author, device and time of the op's change.
        let mut out = Vec::new();
        for (target, field, values) in found {
            let values = values
                .into_iter()
                .map(|(value, opid)| {
                    let (author, device, at) = self.attribution(&opid);
                    ConflictValue {
                        value,
                        author,
                        device,
                        at,
                    }
                })
                .collect();
            let (kind, record) = match target {
                Target::Household => (None, None),
                Target::Record(k, id) => (Some(k), Some(id)),
            };
            out.push(Conflict {
                target,
                kind,
                record,
                field,
                values,
            });
        }
        out
    }

    /// Resolves a conflict (or sets any field) by writing the chosen value
    /// directly: it supersedes every concurrent value.
    pub fn resolve(
        &mut self,
        target: Target,
        field: &FieldPath,
        value: Json,
    ) -> Result<(), CaseDocError> {
        let missing = || CaseDocError::NoSuchField(field.to_string());
        let base = match target {
            Target::Household => self.household_obj(),
            Target::Record(kind, id) => self.record_obj(kind, id),
        }
        .ok_or_else(missing)?;
        // Validate first: the record with the chosen value must still read.
        match target {
            Target::Household => {
                let mut json = serde_json::to_value(self.household()?)
                    .map_err(|e| CaseDocError::Invalid(e.to_string()))?;
                set_in(&mut json, field, value.clone())?;
                serde_json::from_value::<crate::model::Household>(json)
                    .map_err(|e| CaseDocError::Invalid(e.to_string()))?;
            }
            Target::Record(kind, id) => {
                let mut json = self.record(kind, id)?.map(|r| r.to_json()).ok_or(
                    CaseDocError::NoSuchRecord {
                        kind: kind.code(),
                        id,
                    },
                )?;
                set_in(&mut json, field, value.clone())?;
                crate::model::Record::from_json(kind, json)
                    .map_err(|e| CaseDocError::Invalid(e.to_string()))?;
            }
        }
        let Some((last, parents)) = field.keys().split_last() else {
            return Err(missing());
        };
        let last = last.as_str();
        let mut obj = base;
        for part in parents {
            obj = match self.doc().get(&obj, part.as_str())? {
                Some((automerge::Value::Object(_), id)) => id,
                _ => return Err(missing()),
            };
        }
        let doc = self.doc_mut();
        match &value {
            Json::String(s) if crate::schema::is_prose(last) => {
                let text = automerge::transaction::Transactable::put_object(
                    doc,
                    &obj,
                    last,
                    ObjType::Text,
                )?;
                automerge::transaction::Transactable::splice_text(doc, &text, 0, 0, s)?;
            }
            Json::Object(_) | Json::Array(_) => {
                return Err(CaseDocError::Invalid(
                    "kies één waarde, geen lijst of object".into(),
                ));
            }
            scalar => {
                automerge::transaction::Transactable::put(doc, &obj, last, bridge::scalar(scalar))?;
            }
        }
        let (kind, record) = match target {
            Target::Household => (None, None),
            Target::Record(k, id) => (Some(k), Some(id)),
        };
        self.commit(ChangeNote {
            message: "conflict resolved".into(),
            kind,
            record,
            fields: vec![field.to_string()],
        });
        Ok(())
    }

    /// Who changed what, when: every change, oldest first, optionally only
    /// those about one record.
    pub fn history(&mut self, record: Option<Uuid>) -> Vec<HistoryEntry> {
        let metas: Vec<_> = self
            .doc_mut()
            .get_changes_meta(&[])
            .into_iter()
            .map(|m| m.into_owned())
            .collect();
        let mut out: Vec<HistoryEntry> = metas
            .into_iter()
            .filter_map(|m| {
                let raw = m.message.as_deref().unwrap_or_default();
                let note: ChangeNote = serde_json::from_str(raw).unwrap_or(ChangeNote {
                    message: raw.to_owned(),
                    kind: None,
                    record: None,
                    fields: vec![],
                });
                if record.is_some() && note.record != record {
                    return None;
                }
                let author = m
                    .author
                    .map(|a| String::from_utf8_lossy(a.as_bytes()).into_owned())
                    .or_else(|| self.author_of(&m.actor));
                Some(HistoryEntry {
                    hash: m.hash.to_string(),
                    author,
                    device: device_of(&m.actor),
                    at: millis_to_time(m.timestamp),
                    note,
                })
            })
            .collect();
        out.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.hash.cmp(&b.hash)));
        out
    }

    /// What changed in a record since `heads` (hex change hashes), such as
    /// the heads stored at approval. Review bookkeeping is left out.
    pub fn changes_since(
        &self,
        heads: &[String],
        kind: RecordKind,
        id: Uuid,
    ) -> Result<Vec<FieldChange>, CaseDocError> {
        let heads: Vec<ChangeHash> = heads
            .iter()
            .map(|h| {
                h.parse()
                    .map_err(|_| CaseDocError::Invalid(format!("geen geldige heads: {h}")))
            })
            .collect::<Result<_, _>>()?;
        let doc = self.doc();
        let key = id.to_string();
        let then = doc
            .get_all_at(ROOT, kind.container(), &heads)?
            .into_iter()
            .find_map(|(_, c)| match doc.get_at(&c, key.as_str(), &heads) {
                Ok(Some((v, obj))) => Some(bridge::value_to_json(doc, &v, &obj, Some(&heads))),
                _ => None,
            })
            .unwrap_or(Json::Null);
        let now = self
            .record(kind, id)?
            .map(|r| r.to_json())
            .unwrap_or(Json::Null);
        let now = if now.is_null() {
            now
        } else {
            self.record_obj(kind, id)
                .map(|o| Json::Object(bridge::map_to_json(doc, &o, None)))
                .unwrap_or(Json::Null)
        };
        let mut out = Vec::new();
        diff_json(&FieldPath::root(), &then, &now, &mut out);
        let review = FieldPath::from("review");
        out.retain(|c| !c.field.starts_with(&review));
        Ok(out)
    }

    /// Every user who ever changed the case, without walking its history.
    pub fn authors(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .doc()
            .get_authors()
            .iter()
            .map(|a| String::from_utf8_lossy(a.as_bytes()).into_owned())
            .collect();
        out.sort();
        out.dedup();
        out
    }

    fn author_of(&self, actor: &automerge::ActorId) -> Option<String> {
        self.doc()
            .get_author_for_actor(actor)
            .map(|a| String::from_utf8_lossy(a.as_bytes()).into_owned())
    }

    fn attribution(
        &mut self,
        opid: &ObjId,
    ) -> (Option<String>, Option<Uuid>, Option<DateTime<Utc>>) {
        let actor = match opid {
            ObjId::Id(_, actor, _) => actor.clone(),
            ObjId::Root => return (None, None, None),
        };
        let at = self
            .doc()
            .hash_for_opid(opid)
            .and_then(|h| {
                self.doc_mut()
                    .get_change_meta_by_hash(&h)
                    .map(|m| m.timestamp)
            })
            .and_then(millis_to_time);
        (self.author_of(&actor), device_of(&actor), at)
    }
}

type Found = (Target, FieldPath, Vec<(Json, ObjId)>);

fn walk(
    doc: &automerge::AutoCommit,
    obj: &ObjId,
    target: Target,
    path: &FieldPath,
    depth: usize,
    found: &mut Vec<Found>,
) {
    if depth > bridge::MAX_DEPTH {
        return;
    }
    // One pass over the map: automerge marks the keys that hold more than
    // one value, and only those are read in full.
    for item in doc.map_range(obj, ..) {
        let key = item.key.as_ref();
        if item.conflict {
            let all = doc.get_all(obj, key).unwrap_or_default();
            let values = all
                .iter()
                .map(|(v, id)| (bridge::value_to_json(doc, v, id, None), id.clone()))
                .collect::<Vec<_>>();
            if let Some((first, _)) = values.first()
                && values.iter().any(|(v, _)| v != first)
            {
                // automerge shows the last of get_all; list it first.
                let mut values = values;
                values.reverse();
                found.push((target, path.child(key), values));
            }
        }
        if matches!(item.value, automerge::ValueRef::Object(ObjType::Map)) {
            walk(doc, &item.id(), target, &path.child(key), depth + 1, found);
        }
    }
}

fn diff_json(path: &FieldPath, then: &Json, now: &Json, out: &mut Vec<FieldChange>) {
    match (then, now) {
        (Json::Object(a), Json::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let p = path.child(k.as_str());
                match (a.get(k), b.get(k)) {
                    (Some(x), Some(y)) => diff_json(&p, x, y, out),
                    (x, y) => out.push(FieldChange {
                        field: p,
                        before: x.cloned(),
                        after: y.cloned(),
                    }),
                }
            }
        }
        (a, b) if a != b => out.push(FieldChange {
            field: path.clone(),
            before: (!a.is_null()).then(|| a.clone()),
            after: (!b.is_null()).then(|| b.clone()),
        }),
        _ => {}
    }
}

fn set_in(json: &mut Json, field: &FieldPath, value: Json) -> Result<(), CaseDocError> {
    if field.set(json, value) {
        Ok(())
    } else {
        Err(CaseDocError::NoSuchField(field.to_string()))
    }
}

impl CaseDoc {
    /// Who created each record: the author of the change that made the
    /// record's map (absent when the document does not say).
    pub fn record_authors(&self) -> std::collections::BTreeMap<Uuid, String> {
        let mut out = std::collections::BTreeMap::new();
        let doc = self.doc();
        for kind in RecordKind::ALL {
            for container in self.containers(*kind) {
                for key in doc.keys(&container).collect::<Vec<_>>() {
                    let Ok(id) = Uuid::parse_str(&key) else {
                        continue;
                    };
                    if let Ok(Some((_, ObjId::Id(_, actor, _)))) = doc.get(&container, key.as_str())
                        && let Some(author) = self.author_of(&actor)
                    {
                        out.insert(id, author);
                    }
                }
            }
        }
        out
    }

    /// What the case counts for in reports: its facts, each attributed to
    /// the user who created the record.
    pub fn facts(&self) -> Result<Vec<crate::report::Fact>, CaseDocError> {
        let case = self.case()?;
        let authors = self.record_authors();
        Ok(crate::report::case_facts(&case, &|id| {
            authors.get(&id).cloned()
        }))
    }
}
