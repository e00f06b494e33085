//! Validating only what a batch of changes touched.
//!
//! A case reads as [`crate::model::Case`]: the household, each record
//! container (a map of records by id, the union of the container's
//! copies), the attachments, and the id and schema at the root. Each part
//! deserializes on its own, so a case that read before a batch still reads
//! after it exactly when every part the batch touched still reads. The
//! server checks that instead of reading the whole case for every merge;
//! anything the batch did outside a household field, a record or an
//! attachment (at the root itself, in an unknown place) checks the whole
//! case as before.

use std::collections::{BTreeMap, BTreeSet};

use automerge::ReadDoc;
use serde_json::Value as Json;
use uuid::Uuid;

use super::{CaseDoc, CaseDocError, bridge};
use crate::model::{ATTACHMENTS, AttachmentRef, Record, RecordKind};

/// The parts of a case a batch of changes touched (see the module).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Touched {
    /// Something outside the parts below: check the whole case.
    all: bool,
    /// The household's fields.
    household: bool,
    /// The attachments.
    attachments: bool,
    /// Records, by kind and key (the key as the document holds it).
    records: BTreeSet<(RecordKind, String)>,
}

impl Touched {
    /// Notes an operation at `path` (root key first, then the keys below;
    /// empty when the place could not be resolved).
    pub fn note(&mut self, path: &[String]) {
        match path {
            [root, _, ..] if root == "household" => self.household = true,
            [root, _, ..] if root == ATTACHMENTS => self.attachments = true,
            [root, key, ..] => match RecordKind::ALL.iter().find(|k| k.container() == root) {
                Some(kind) => {
                    self.records.insert((*kind, key.clone()));
                }
                None => self.all = true,
            },
            // The root itself, or nowhere known.
            _ => self.all = true,
        }
    }

    /// Whether the whole case has to be read.
    pub fn everything(&self) -> bool {
        self.all
    }
}

impl CaseDoc {
    /// Whether the case still reads, given that it read before the changes
    /// that touched `touched`: the touched parts are read alone (every copy
    /// of a record's container holding it), or the whole case when the
    /// changes reached beyond them. The error is the one [`Self::case`]
    /// gives for the same document.
    pub fn check_touched(&self, touched: &Touched) -> Result<(), CaseDocError> {
        if touched.all {
            return self.case().map(|_| ());
        }
        if touched.household {
            self.household()?;
        }
        if touched.attachments {
            serde_json::from_value::<BTreeMap<Uuid, AttachmentRef>>(Json::Object(
                self.attachments_json(),
            ))
            .map_err(|e| CaseDocError::NotACase(e.to_string()))?;
        }
        for (kind, key) in &touched.records {
            for container in self.containers(*kind) {
                let Some((value, id)) = self.doc.get(&container, key.as_str())? else {
                    continue;
                };
                // The map of records is keyed by UUID.
                Uuid::parse_str(key).map_err(|e| CaseDocError::NotACase(e.to_string()))?;
                let json = bridge::value_to_json(&self.doc, &value, &id, None);
                Record::from_json(*kind, json)
                    .map_err(|e| CaseDocError::NotACase(e.to_string()))?;
            }
        }
        Ok(())
    }
}
