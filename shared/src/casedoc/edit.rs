//! Edits made in a form, applied through automerge itself: the form keeps
//! the heads of the document when it opened; saving writes the changed
//! fields on a replica at those heads and merges it in. What others changed
//! meanwhile stays (automerge merges it like any sync), and where a
//! colleague wrote the same field, both values are kept as a conflict the
//! supervisor sees, instead of one silently overwriting the other.

use automerge::ChangeHash;
use automerge::transaction::Transactable;
use uuid::Uuid;

use super::{CaseDoc, CaseDocError, ChangeNote, Editor};
use crate::model::{Household, Record, RecordKind, ReviewState};
use crate::schema::FieldPath;

impl CaseDoc {
    /// The kind of the record `id`, without reading the case.
    pub fn kind_of(&self, id: Uuid) -> Option<RecordKind> {
        RecordKind::ALL
            .iter()
            .copied()
            .find(|kind| self.record_obj(*kind, id).is_some())
    }

    /// A replica of this case as it stood at `heads`, whose changes are
    /// written by `editor` under a fresh actor. Heads this replica does not
    /// hold (a form older than the data on this device) give the current
    /// state, so what was typed is still saved.
    pub fn fork_at(&mut self, heads: &[ChangeHash], editor: &Editor) -> Result<Self, CaseDocError> {
        let doc = if !heads.is_empty() && self.contains_all(heads) {
            self.doc.fork_at(heads)?
        } else {
            self.doc.fork()
        };
        let mut fork = Self {
            doc,
            id: self.id,
            clock: self.clock,
            at: self.at,
        };
        fork.set_editor(editor);
        Ok(fork)
    }

    /// Saves a record as edited in a form opened at `heads`: the fields
    /// that differ from the record at `heads` are written there and merged
    /// in. The review is never taken from the form; an edit of a record
    /// approved now (even if approved after the form opened) sends it back
    /// to submitted. Returns the fields the edit changed.
    pub fn edit_record_at(
        &mut self,
        heads: &[ChangeHash],
        editor: &Editor,
        id: Uuid,
        record: &Record,
        message: &str,
    ) -> Result<Vec<FieldPath>, CaseDocError> {
        let kind = record.kind();
        let mut at = self.fork_at(heads, editor)?;
        let Some(then) = at.record(kind, id)? else {
            return Err(CaseDocError::NoSuchRecord {
                kind: kind.code(),
                id,
            });
        };
        let mut record = record.clone();
        if let (Some(review), Some(then)) = (record.review_mut(), then.review()) {
            *review = then.clone();
        }
        let changed = at.update_record(id, &record, message)?;
        if changed.is_empty() {
            return Ok(changed);
        }
        self.merge(&mut at)?;
        let review = FieldPath::from("review");
        let edited = changed.iter().any(|f| !f.starts_with(&review));
        let approved = self
            .record(kind, id)?
            .and_then(|r| r.review().map(|v| v.state))
            == Some(ReviewState::Approved);
        if edited
            && approved
            && let Some(obj) = self.record_obj(kind, id)
        {
            let review = self.map_child(&obj, "review")?;
            self.doc
                .put(&review, "state", ReviewState::Submitted.code())?;
            self.commit(ChangeNote {
                message: "back to review after an edit".into(),
                kind: Some(kind),
                record: Some(id),
                fields: vec!["review.state".into()],
            });
        }
        Ok(changed)
    }

    /// Saves the household as edited in a form opened at `heads`, like
    /// [`CaseDoc::edit_record_at`].
    pub fn edit_household_at(
        &mut self,
        heads: &[ChangeHash],
        editor: &Editor,
        household: &Household,
        message: &str,
    ) -> Result<Vec<FieldPath>, CaseDocError> {
        let mut at = self.fork_at(heads, editor)?;
        let changed = at.update_household(household, message)?;
        if !changed.is_empty() {
            self.merge(&mut at)?;
        }
        Ok(changed)
    }
}
