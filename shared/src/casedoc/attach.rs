//! Attachment references in a case: added, removed, read. The bytes are
//! not in the document (see [`crate::model::AttachmentRef`]).

use automerge::transaction::Transactable;
use uuid::Uuid;

use super::*;
use crate::schema::FieldPath;

impl CaseDoc {
    /// The references of every copy of the attachments map (normally one;
    /// two after an offline upgrade on two replicas), as JSON.
    pub(super) fn attachments_json(&self) -> Map<String, Json> {
        let mut all = Map::new();
        for obj in self.containers_named(ATTACHMENTS) {
            all.extend(bridge::map_to_json(&self.doc, &obj, None));
        }
        all
    }

    /// Adds a reference under `id`. `owner` is the record it belongs to
    /// (the record itself, or the one holding the item it is on), named in
    /// the change's note so the record's history shows it.
    pub fn add_attachment(
        &mut self,
        id: Uuid,
        attachment: &AttachmentRef,
        owner: Option<(RecordKind, Uuid)>,
    ) -> Result<(), CaseDocError> {
        let key = id.to_string();
        let containers = self.containers_named(ATTACHMENTS);
        for c in &containers {
            if self.doc.get(c, key.as_str())?.is_some() {
                return Err(CaseDocError::Invalid(format!("bijlage {id} bestaat al")));
            }
        }
        let container = match containers.into_iter().next() {
            Some(c) => c,
            None => self.doc.put_object(ROOT, ATTACHMENTS, ObjType::Map)?,
        };
        let obj = self.doc.put_object(&container, key, ObjType::Map)?;
        let mut changed = Vec::new();
        bridge::reconcile_map(
            &mut self.doc,
            &obj,
            &to_object(attachment)?,
            false,
            &FieldPath::root(),
            &mut changed,
        )?;
        self.commit(ChangeNote {
            message: "attachment added".into(),
            kind: owner.map(|o| o.0),
            record: owner.map(|o| o.1),
            fields: vec![format!("{ATTACHMENTS}.{id}")],
        });
        Ok(())
    }

    /// Removes a reference (its history keeps who added and who removed
    /// it); `false` when the case has no such reference.
    pub fn remove_attachment(
        &mut self,
        id: Uuid,
        owner: Option<(RecordKind, Uuid)>,
    ) -> Result<bool, CaseDocError> {
        let key = id.to_string();
        let mut found = false;
        for c in self.containers_named(ATTACHMENTS) {
            if self.doc.get(&c, key.as_str())?.is_some() {
                self.doc.delete(&c, key.as_str())?;
                found = true;
            }
        }
        if found {
            self.commit(ChangeNote {
                message: "attachment removed".into(),
                kind: owner.map(|o| o.0),
                record: owner.map(|o| o.1),
                fields: vec![format!("{ATTACHMENTS}.{id}")],
            });
        }
        Ok(found)
    }

    /// Changes a reference's caption; `false` when the case has no such
    /// reference.
    pub fn set_attachment_caption(
        &mut self,
        id: Uuid,
        caption: &str,
        owner: Option<(RecordKind, Uuid)>,
    ) -> Result<bool, CaseDocError> {
        let key = id.to_string();
        let mut found = false;
        for c in self.containers_named(ATTACHMENTS) {
            if let Some((automerge::Value::Object(ObjType::Map), entry)) =
                self.doc.get(&c, key.as_str())?
            {
                self.doc.put(&entry, "caption", caption)?;
                found = true;
            }
        }
        if found {
            self.commit(ChangeNote {
                message: "attachment caption changed".into(),
                kind: owner.map(|o| o.0),
                record: owner.map(|o| o.1),
                fields: vec![format!("{ATTACHMENTS}.{id}.caption")],
            });
        }
        Ok(found)
    }

    /// The attachment references alone, without reading the whole case
    /// (what the server indexes on every merge). References that do not
    /// read are left out.
    pub fn attachments(&self) -> Vec<(Uuid, AttachmentRef)> {
        self.attachments_json()
            .into_iter()
            .filter_map(|(k, v)| Some((Uuid::parse_str(&k).ok()?, serde_json::from_value(v).ok()?)))
            .collect()
    }

    /// Every stored blob the references need (bytes and thumbnails),
    /// sorted, once each.
    pub fn blob_hashes(&self) -> Vec<crate::model::BlobHash> {
        let mut all: Vec<_> = self
            .attachments()
            .into_iter()
            .flat_map(|(_, a)| a.blobs().cloned().collect::<Vec<_>>())
            .collect();
        all.sort();
        all.dedup();
        all
    }
}
