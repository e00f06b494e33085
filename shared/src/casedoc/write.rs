//! Writing a case: records added, edited, removed, one field set, a review
//! decision. Every write goes through the bridge (only what differs is
//! written) and is committed with a note saying what it was about.

use automerge::transaction::Transactable;
use serde_json::Value as Json;
use uuid::Uuid;

use super::*;
use crate::schema::FieldPath;

impl CaseDoc {
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
        let mut record = record.clone();
        record.canonicalise();
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
            &to_object(&record)?,
            false,
            &FieldPath::root(),
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
    ) -> Result<Vec<FieldPath>, CaseDocError> {
        let mut record = record.clone();
        record.canonicalise();
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
            &to_object(&record)?,
            false,
            &FieldPath::root(),
            &mut changed,
        )?;
        let review = FieldPath::from("review");
        if was_approved && changed.iter().any(|f| !f.starts_with(&review)) {
            let review_obj = self.map_child(&obj, "review")?;
            self.doc
                .put(&review_obj, "state", ReviewState::Submitted.code())?;
            changed.push(review.child("state"));
        }
        if !changed.is_empty() {
            self.commit(ChangeNote {
                message: message.into(),
                kind: Some(kind),
                record: Some(id),
                fields: changed.iter().map(ToString::to_string).collect(),
            });
        }
        Ok(changed)
    }

    /// Writes the household fields; only what differs is written.
    pub fn update_household(
        &mut self,
        household: &Household,
        message: &str,
    ) -> Result<Vec<FieldPath>, CaseDocError> {
        let mut household = household.clone();
        household.canonicalise();
        let obj = self
            .household_obj()
            .ok_or_else(|| CaseDocError::NotACase("no household".into()))?;
        let mut changed = Vec::new();
        bridge::reconcile_map(
            &mut self.doc,
            &obj,
            &to_object(&household)?,
            false,
            &FieldPath::root(),
            &mut changed,
        )?;
        if !changed.is_empty() {
            self.commit(ChangeNote {
                message: message.into(),
                kind: None,
                record: None,
                fields: changed.iter().map(ToString::to_string).collect(),
            });
        }
        Ok(changed)
    }

    /// The path of a field in the household or a record from text a person
    /// typed (`address.postcode`, `readings.<id>.registers.1.8.1`): keys
    /// that hold dots are matched whole against the current value.
    pub fn field_path(&self, target: Target, text: &str) -> Result<FieldPath, CaseDocError> {
        FieldPath::find(&self.target_json(target)?, text)
            .ok_or_else(|| CaseDocError::NoSuchField(text.to_owned()))
    }

    fn target_json(&self, target: Target) -> Result<Json, CaseDocError> {
        Ok(match target {
            Target::Household => to_json(&self.household()?)?,
            Target::Record(kind, id) => self
                .record(kind, id)?
                .ok_or(CaseDocError::NoSuchRecord {
                    kind: kind.code(),
                    id,
                })?
                .to_json(),
        })
    }

    /// Changes one field (`phone`, `address.postcode`; see
    /// [`CaseDoc::field_path`] for text a person typed) to a JSON value. The
    /// result must still read as a valid record; otherwise nothing changes.
    pub fn set_field(
        &mut self,
        target: Target,
        field: &FieldPath,
        value: Json,
    ) -> Result<Vec<FieldPath>, CaseDocError> {
        let mut updated = self.target_json(target)?;
        if !field.replace(&mut updated, value) {
            return Err(CaseDocError::NoSuchField(field.to_string()));
        }
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
        let now = self.now();
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
            &FieldPath::from("review"),
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
            fields: changed.iter().map(ToString::to_string).collect(),
        });
        Ok(())
    }
}
