//! Generations: GDPR erasure of part of a case (DESIGN.md, Generations).
//!
//! An automerge document never forgets: a removed value stays in its
//! history. Erasure therefore makes a **new generation**: a fresh document
//! built from the current state without the erased part and without the
//! old history. The root scalar `generation` counts them (absent: 0) and
//! the root map `erasures` keeps, per generation, a summary of what was
//! removed, when, by whom and why, never the values.
//!
//! A device that worked offline on the old generation carries its work
//! over: [`CaseDoc::local_edits`] reads each of its unsynced changes as the
//! values it set (not automerge operations, which name objects of the old
//! document), and [`CaseDoc::carry_over`] writes them onto the new
//! generation as new changes by the same author, except anything at or
//! under an erased path.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ChangeHash, ObjId, ObjType, ROOT, ReadDoc};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};
use uuid::Uuid;

use super::{CaseDoc, CaseDocError, ChangeNote, Editor, SCHEMA_VERSION, bridge};
use crate::model::{ATTACHMENTS, RecordKind};
use crate::schema::FieldPath;

/// Root scalar: the generation number (absent in a first generation).
pub const GENERATION: &str = "generation";
/// Root map: per generation number, the [`Erasure`] that made it.
pub const ERASURES: &str = "erasures";

/// What an erased required text field (a name) reads as afterwards.
pub const ERASED_TEXT: &str = "[gewist]";

/// What an erasure removes from a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EraseTarget {
    /// A household member: the member record and its attachments.
    Member(Uuid),
    /// Any record and its attachments.
    Record(RecordKind, Uuid),
    /// One field (or item) by its path from the document's root, for
    /// example `members/<id>/national_number` or `household/phone`.
    Field(FieldPath),
}

impl EraseTarget {
    /// The root paths this target names.
    fn path(&self) -> FieldPath {
        match self {
            Self::Member(id) => FieldPath::of([RecordKind::Member.container(), &id.to_string()]),
            Self::Record(kind, id) => FieldPath::of([kind.container(), &id.to_string()]),
            Self::Field(p) => p.clone(),
        }
    }
}

impl std::fmt::Display for EraseTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Member(id) => write!(f, "lid {id}"),
            Self::Record(kind, id) => write!(f, "{} {id}", kind.container()),
            Self::Field(p) => write!(f, "veld {}", p.keys().join("/")),
        }
    }
}

/// The summary an erasure leaves in the new generation: what was removed
/// (paths, never values), when, by whom and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Erasure {
    /// The generation this erasure made.
    pub generation: u64,
    /// When it was carried out: the history before it is gone.
    pub on: DateTime<Utc>,
    /// The supervisor who asked for it.
    pub by: String,
    /// Why (required).
    pub reason: String,
    /// The paths removed, `/` between keys.
    pub erased: Vec<String>,
    /// What the server held of the generation before: per actor (hex), the
    /// last change's sequence number (no data). A device's change within
    /// it was on the server; only what lies beyond is carried over, even
    /// when the device lost its sync state.
    #[serde(default)]
    pub clock: std::collections::BTreeMap<String, u64>,
}

impl Erasure {
    /// The history line the new generation starts with.
    pub fn summary_nl(&self) -> String {
        format!(
            "geschiedenis vóór {} UTC verwijderd op {} door {}: {}",
            self.on.format("%d/%m/%Y %H:%M"),
            self.on.format("%d/%m/%Y"),
            self.by,
            self.reason
        )
    }

    /// The erased paths, as keys.
    pub fn paths(&self) -> Vec<FieldPath> {
        self.erased.iter().map(|p| FieldPath::slashed(p)).collect()
    }
}

/// One value a change set: `None` removes the key.
#[derive(Debug, Clone, PartialEq)]
pub struct Edit {
    /// From the document's root.
    pub path: Vec<String>,
    /// The new value (a whole object for a record made by the change).
    pub value: Option<Json>,
}

/// One of a device's changes the server never acknowledged, read as the
/// values it set, to be made again on a new generation.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalChange {
    /// The user who made it.
    pub author: String,
    /// The device it was made on.
    pub device: Uuid,
    /// When, in milliseconds since the epoch.
    pub time_ms: i64,
    /// Its message (a [`ChangeNote`] as JSON).
    pub message: Option<String>,
    /// What it set.
    pub edits: Vec<Edit>,
}

/// What carrying changes over did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CarryReport {
    /// Changes made again on the new generation.
    pub changes: usize,
    /// Values written.
    pub applied: usize,
    /// Values left out: erased, or on a record that no longer exists.
    pub dropped: usize,
}

fn is_under(path: &[String], prefix: &[String]) -> bool {
    path.len() >= prefix.len() && path[..prefix.len()] == *prefix
}

/// Removes the value at `path` inside `tree`; whether it was there.
fn remove_at(tree: &mut Map<String, Json>, path: &[String]) -> bool {
    match path {
        [] => false,
        [last] => tree.remove(last).is_some(),
        [first, rest @ ..] => match tree.get_mut(first) {
            Some(Json::Object(child)) => remove_at(child, rest),
            _ => false,
        },
    }
}

/// Every key in `value` that reads as a UUID (records and items inside).
fn uuids_in(value: &Json, out: &mut Vec<Uuid>) {
    if let Json::Object(map) = value {
        for (k, v) in map {
            if let Ok(id) = Uuid::parse_str(k) {
                out.push(id);
            }
            uuids_in(v, out);
        }
    }
}

/// Sets the value at `path` inside `tree` (the place must exist).
fn put_at(tree: &mut Map<String, Json>, path: &[String], value: Json) {
    match path {
        [] => {}
        [last] => {
            tree.insert(last.clone(), value);
        }
        [first, rest @ ..] => {
            if let Some(Json::Object(child)) = tree.get_mut(first) {
                put_at(child, rest, value);
            }
        }
    }
}

/// Whether a document tree reads as a case (what [`CaseDoc::case`] reads).
fn reads_as_case(tree: &Map<String, Json>) -> bool {
    let mut root = Map::new();
    for (k, v) in tree {
        if k != GENERATION && k != ERASURES {
            root.insert(k.clone(), v.clone());
        }
    }
    for kind in RecordKind::ALL {
        root.entry(kind.container())
            .or_insert_with(|| Json::Object(Map::new()));
    }
    root.entry(ATTACHMENTS)
        .or_insert_with(|| Json::Object(Map::new()));
    serde_json::from_value::<crate::model::Case>(Json::Object(root)).is_ok()
}

fn get_at<'a>(tree: &'a Map<String, Json>, path: &[String]) -> Option<&'a Json> {
    let (first, rest) = path.split_first()?;
    let v = tree.get(first)?;
    if rest.is_empty() {
        return Some(v);
    }
    match v {
        Json::Object(m) => get_at(m, rest),
        _ => None,
    }
}

fn diff(
    before: &Map<String, Json>,
    after: &Map<String, Json>,
    path: &[String],
    out: &mut Vec<Edit>,
) {
    for (k, a) in after {
        let mut p = path.to_vec();
        p.push(k.clone());
        match (before.get(k), a) {
            (Some(b), a) if b == a => {}
            (Some(Json::Object(bm)), Json::Object(am)) => diff(bm, am, &p, out),
            _ => out.push(Edit {
                path: p,
                value: Some(a.clone()),
            }),
        }
    }
    for k in before.keys().filter(|k| !after.contains_key(*k)) {
        let mut p = path.to_vec();
        p.push(k.clone());
        out.push(Edit {
            path: p,
            value: None,
        });
    }
}

impl CaseDoc {
    /// The generation of this copy (0 before any erasure).
    pub fn generation(&self) -> u64 {
        match self.doc.get(ROOT, GENERATION) {
            Ok(Some((automerge::Value::Scalar(s), _))) => {
                bridge::scalar_to_json(&s).as_u64().unwrap_or(0)
            }
            _ => 0,
        }
    }

    /// The erasures that made this generation and the ones before it.
    pub fn erasures(&self) -> Vec<Erasure> {
        let mut all: Vec<Erasure> = self
            .containers_named(ERASURES)
            .iter()
            .flat_map(|obj| bridge::map_to_json(&self.doc, obj, None))
            .filter_map(|(_, v)| serde_json::from_value(v).ok())
            .collect();
        all.sort_by_key(|e| e.generation);
        all
    }

    /// Per actor (hex), the sequence number of its last change here.
    fn clock(&mut self) -> std::collections::BTreeMap<String, u64> {
        let mut clock = std::collections::BTreeMap::new();
        for meta in self.doc.get_changes_meta(&[]) {
            let seq = clock.entry(meta.actor.to_hex_string()).or_insert(0);
            *seq = (*seq).max(meta.seq);
        }
        clock
    }

    /// What the server held of the generation before this one when it was
    /// erased (see [`Erasure::clock`]); empty before any erasure.
    pub fn server_clock(&self) -> std::collections::BTreeMap<String, u64> {
        let n = self.generation();
        self.erasures()
            .into_iter()
            .find(|e| e.generation == n)
            .map(|e| e.clock)
            .unwrap_or_default()
    }

    /// The paths erased by the erasure that made this generation: what
    /// work carried over from the one before may not bring back.
    pub fn erased_paths(&self) -> Vec<FieldPath> {
        let n = self.generation();
        self.erasures()
            .into_iter()
            .filter(|e| e.generation == n)
            .flat_map(|e| e.paths())
            .collect()
    }

    /// The whole document (at `heads`, or now) as JSON, each root
    /// container read as the union of its copies.
    pub(crate) fn tree_at(&self, heads: Option<&[ChangeHash]>) -> Map<String, Json> {
        let keys: Vec<String> = match heads {
            Some(h) => self.doc.keys_at(ROOT, h).collect(),
            None => self.doc.keys(ROOT).collect(),
        };
        let mut out = Map::new();
        for key in keys {
            let values = match heads {
                Some(h) => self.doc.get_all_at(ROOT, key.as_str(), h),
                None => self.doc.get_all(ROOT, key.as_str()),
            }
            .unwrap_or_default();
            let maps: Vec<&ObjId> = values
                .iter()
                .filter(|(v, _)| matches!(v, automerge::Value::Object(ObjType::Map)))
                .map(|(_, id)| id)
                .collect();
            let json = if maps.len() > 1 {
                let mut union = Map::new();
                for obj in maps {
                    union.extend(bridge::map_to_json(&self.doc, obj, heads));
                }
                Json::Object(union)
            } else {
                match values.last() {
                    Some((v, id)) => bridge::value_to_json(&self.doc, v, id, heads),
                    None => continue,
                }
            };
            out.insert(key, json);
        }
        out
    }

    /// A new generation of this case without `targets`: a fresh document
    /// from the current state, with no history but one change by `editor`
    /// that records the erasure. Attachments on an erased record or item go
    /// with it. A required text field (a name) cannot be absent: it is
    /// replaced by [`ERASED_TEXT`].
    pub fn regenerate(
        &mut self,
        targets: &[EraseTarget],
        editor: &Editor,
        reason: &str,
        on: DateTime<Utc>,
    ) -> Result<(CaseDoc, Erasure), CaseDocError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(CaseDocError::Invalid("een reden is verplicht".into()));
        }
        if targets.is_empty() {
            return Err(CaseDocError::Invalid("niets om te wissen".into()));
        }
        let mut tree = self.tree_at(None);
        let mut erased = Vec::new();
        let mut gone = Vec::new();
        for target in targets {
            let path = target.path();
            let keys = path.keys();
            let protected = ["id", "schema", GENERATION, ERASURES, "household"];
            match keys {
                [] => return Err(CaseDocError::Invalid("geen pad om te wissen".into())),
                [one] if protected.contains(&one.as_str()) || self.is_root_container(one) => {
                    return Err(CaseDocError::Invalid(format!(
                        "'{one}' kan niet gewist worden; wis het hele dossier of een deel ervan"
                    )));
                }
                [first, ..] if first == GENERATION || first == ERASURES => {
                    return Err(CaseDocError::Invalid(format!(
                        "'{first}' kan niet gewist worden"
                    )));
                }
                _ => {}
            }
            let Some(removed) = get_at(&tree, keys).cloned() else {
                return Err(CaseDocError::NoSuchField(keys.join("/")));
            };
            remove_at(&mut tree, keys);
            if !reads_as_case(&tree) {
                // A required field: its value goes, its place stays.
                if removed.is_string() {
                    put_at(&mut tree, keys, Json::String(ERASED_TEXT.into()));
                }
                if !reads_as_case(&tree) {
                    return Err(CaseDocError::Invalid(format!(
                        "'{}' kan niet gewist worden zonder het dossier onleesbaar te maken",
                        keys.join("/")
                    )));
                }
            }
            erased.push(keys.join("/"));
            if let [container, id] = keys
                && RecordKind::ALL.iter().any(|k| k.container() == container)
                && let Ok(id) = Uuid::parse_str(id)
            {
                gone.push(id);
            }
            uuids_in(&removed, &mut gone);
        }
        // Attachments on what went: a record, or an item inside one.
        if let Some(Json::Object(attachments)) = tree.get_mut(ATTACHMENTS) {
            let on_gone: Vec<String> = attachments
                .iter()
                .filter(|(_, a)| {
                    a.get("on")
                        .and_then(Json::as_str)
                        .and_then(|s| Uuid::parse_str(s).ok())
                        .is_some_and(|on| gone.contains(&on))
                })
                .map(|(k, _)| k.clone())
                .collect();
            for key in on_gone {
                attachments.remove(&key);
                erased.push(format!("{ATTACHMENTS}/{key}"));
            }
        }
        let generation = self.generation() + 1;
        let erasure = Erasure {
            generation,
            on,
            by: editor.user.clone(),
            reason: reason.to_owned(),
            erased,
            clock: self.clock(),
        };
        let mut summaries = match tree.remove(ERASURES) {
            Some(Json::Object(m)) => m,
            _ => Map::new(),
        };
        summaries.insert(
            generation.to_string(),
            serde_json::to_value(&erasure).map_err(|e| CaseDocError::Invalid(e.to_string()))?,
        );
        tree.insert(ERASURES.into(), Json::Object(summaries));
        tree.insert(GENERATION.into(), Json::from(generation));
        tree.insert("schema".into(), Json::from(SCHEMA_VERSION));
        tree.insert("id".into(), Json::String(self.id.to_string()));

        let mut fresh = CaseDoc {
            doc: AutoCommit::new(),
            id: self.id,
            clock: self.clock,
            at: Some(on),
        };
        fresh.set_editor(editor);
        let doc = &mut fresh.doc;
        // Every container first, as a new case makes them.
        for kind in RecordKind::ALL {
            let value = tree
                .remove(kind.container())
                .unwrap_or(Json::Object(Map::new()));
            tree.insert(kind.container().into(), value);
        }
        if !tree.contains_key(ATTACHMENTS) {
            tree.insert(ATTACHMENTS.into(), Json::Object(Map::new()));
        }
        let mut changed = Vec::new();
        bridge::reconcile_map(doc, &ROOT, &tree, false, &FieldPath::root(), &mut changed)?;
        fresh.commit(ChangeNote {
            message: erasure.summary_nl(),
            kind: None,
            record: None,
            fields: vec![],
        });
        fresh.at = None;
        // The fresh document must read as the same case did.
        fresh.case()?;
        Ok((fresh, erasure))
    }

    fn is_root_container(&self, key: &str) -> bool {
        key == ATTACHMENTS || RecordKind::ALL.iter().any(|k| k.container() == key)
    }

    /// The changes this copy holds beyond `acknowledged` and beyond
    /// `server_had` (per actor, the last sequence number the server held;
    /// [`CaseDoc::server_clock`]): what the server never had, oldest first,
    /// each read as the values it set.
    pub fn local_edits(
        &mut self,
        acknowledged: &[ChangeHash],
        server_had: &std::collections::BTreeMap<String, u64>,
    ) -> Vec<LocalChange> {
        let facts = self.new_changes(acknowledged);
        let mut out = Vec::with_capacity(facts.len());
        for fact in facts {
            if server_had
                .get(&fact.actor)
                .is_some_and(|last| fact.seq <= *last)
            {
                continue;
            }
            let Some(change) = self.doc.get_change_by_hash(&fact.hash) else {
                continue;
            };
            let deps = change.deps().to_vec();
            let message = change.message().map(str::to_owned);
            let before = self.tree_at(Some(&deps));
            let after = self.tree_at(Some(&[fact.hash]));
            let mut edits = Vec::new();
            diff(&before, &after, &[], &mut edits);
            // What a device may never write (identity, generations) is not
            // carried: the server would refuse the whole change.
            edits.retain(|e| {
                !matches!(
                    e.path.first().map(String::as_str),
                    Some("id" | "schema" | GENERATION | ERASURES)
                )
            });
            if edits.is_empty() {
                continue;
            }
            out.push(LocalChange {
                author: fact.author.unwrap_or_default(),
                device: fact.device.unwrap_or_else(Uuid::nil),
                time_ms: fact.time_ms,
                message,
                edits,
            });
        }
        out
    }

    /// Makes `changes` again on this (new) generation, each as a new change
    /// by its own author on its own device, leaving out every value at or
    /// under a path this generation erased, and every value on a record
    /// that no longer exists. A change whose values would not make a valid
    /// case is left out whole.
    pub fn carry_over(&mut self, changes: &[LocalChange]) -> Result<CarryReport, CaseDocError> {
        let erased: Vec<Vec<String>> = self
            .erased_paths()
            .into_iter()
            .map(|p| p.keys().to_vec())
            .collect();
        let mut report = CarryReport::default();
        for change in changes {
            let mut fork = self.fork();
            fork.set_editor(&Editor {
                user: change.author.clone(),
                device: change.device,
            });
            let mut applied = 0;
            for edit in &change.edits {
                if erased.iter().any(|e| is_under(&edit.path, e)) {
                    report.dropped += 1;
                    continue;
                }
                let mut value = edit.value.clone();
                // A whole object that holds an erased part: without it.
                if let Some(Json::Object(map)) = &mut value {
                    for e in erased.iter().filter(|e| is_under(e, &edit.path)) {
                        remove_at(map, &e[edit.path.len()..]);
                    }
                }
                if fork.apply_edit(&edit.path, value.as_ref())? {
                    applied += 1;
                } else {
                    report.dropped += 1;
                }
            }
            if applied == 0 {
                continue;
            }
            let message = change.message.clone().unwrap_or_default();
            let time = change.time_ms;
            fork.doc.commit_with(
                automerge::transaction::CommitOptions::default()
                    .with_message(message)
                    .with_time(time),
            );
            if fork.case().is_err() {
                report.dropped += applied;
                continue;
            }
            self.merge(&mut fork)?;
            report.applied += applied;
            report.changes += 1;
        }
        Ok(report)
    }

    /// Writes one value at `path`; `false` when the place no longer exists
    /// (a record removed meanwhile, as a merge would lose the edit too).
    fn apply_edit(&mut self, path: &[String], value: Option<&Json>) -> Result<bool, CaseDocError> {
        let Some((last, parents)) = path.split_last() else {
            return Ok(false);
        };
        let mut obj = ROOT;
        for (i, key) in parents.iter().enumerate() {
            let next = if i == 0 {
                self.containers_named(key).into_iter().next()
            } else {
                match self.doc.get(&obj, key.as_str())? {
                    Some((automerge::Value::Object(ObjType::Map), id)) => Some(id),
                    _ => None,
                }
            };
            match next {
                Some(id) => obj = id,
                None => return Ok(false),
            }
        }
        match value {
            Some(v) => {
                let mut changed = Vec::new();
                bridge::reconcile_prop(
                    &mut self.doc,
                    &obj,
                    last,
                    v,
                    &FieldPath::of(path.iter().cloned()),
                    &mut changed,
                )?;
                Ok(true)
            }
            None => {
                if self.doc.get(&obj, last.as_str())?.is_some() {
                    self.doc.delete(&obj, last.as_str())?;
                }
                Ok(true)
            }
        }
    }
}
