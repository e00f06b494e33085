//! Cases and records, edited under the rules and the policy.

use brug_shared::casedoc::{CaseDoc, ChangeHash, Target};
use brug_shared::model::{Case, Household, Record, RecordKind};
use brug_shared::rules::{self, Finding};
use brug_shared::schema::FieldPath;
use uuid::Uuid;

use super::{CaseView, Device, DeviceError};
use crate::index::{self, CaseQuery, IndexRow, QueueItem};
use crate::local::{self, LocalError};

impl Device {
    /// Registers a new household; returns its id and the warnings.
    pub fn create_case(
        &mut self,
        household: &Household,
    ) -> Result<(Uuid, Vec<Finding>), DeviceError> {
        self.guard()?;
        let findings = rules::check_household(household, None, &self.ctx());
        if rules::blocks(&findings) {
            return Err(DeviceError::Refused(findings));
        }
        let mut doc = CaseDoc::create(Uuid::now_v7(), household, &self.editor())?;
        doc.set_clock(self.now);
        self.persist(&mut doc, true)?;
        Ok((doc.id(), findings))
    }

    /// Flags and the next appointment depend on the date: once a day by
    /// the device's clock (after the day's first successful sync) every
    /// case in the list is computed again, so a case nobody touched still
    /// shows "follow-up overdue" once its date has passed, and a past
    /// appointment drops off. First, rows a cut-off sync left behind their
    /// cases are made good. Returns how many cases were looked at (0 when
    /// today's pass was done already and nothing was left behind).
    pub fn refresh_for_today(&mut self) -> Result<usize, DeviceError> {
        let ctx = self.ctx();
        // Rows a cut-off sync left behind their cases first.
        let now = self.now_ms();
        let stale = super::indexer::reindex_stale(&mut self.store, &ctx, now)?;
        if stale > 0 {
            tracing::info!(cases = stale, "index rows made good after a cut-off sync");
        }
        let today = ctx.today().to_string();
        if self.store.setting("indexed_on")?.as_deref() == Some(today.as_str()) {
            return Ok(stale);
        }
        let now = self.now_ms();
        // Only the cases whose day has come: each row says when its flags
        // may next change by the date alone.
        let ids = local::due_for_recheck(self.store.conn(), ctx.today())?;
        for id in &ids {
            let Some(mut doc) = self.store.load(*id)? else {
                continue;
            };
            let row = index::index_row(&mut doc, &ctx, now)?;
            // One short write per case: the screens never wait long.
            let tx = self.store.transaction()?;
            local::refresh_index(&tx, &row)?;
            tx.commit().map_err(LocalError::from)?;
        }
        self.store.set_setting("indexed_on", &today)?;
        Ok(stale + ids.len())
    }

    /// Everything waiting, item by item: grouped by reason in the queue's
    /// order, the most urgent first.
    pub fn queue(&self) -> Result<Vec<QueueItem>, DeviceError> {
        self.guard()?;
        Ok(local::queue(self.store.conn())?)
    }

    /// Lists cases from the index.
    pub fn list(&self, query: &CaseQuery) -> Result<Vec<IndexRow>, DeviceError> {
        self.guard()?;
        Ok(local::search(self.store.conn(), query)?)
    }

    /// The case alone (what a form checks its record against).
    pub fn case(&self, id: Uuid) -> Result<Case, DeviceError> {
        self.guard()?;
        Ok(self.load(id)?.case()?)
    }

    /// The whole case with flags and conflicts.
    pub fn show(&self, id: Uuid) -> Result<CaseView, DeviceError> {
        self.guard()?;
        let mut doc = self.load(id)?;
        let case = doc.case()?;
        let row = index::index_row(&mut doc, &self.ctx(), self.now_ms())?;
        let verdicts = case
            .renovations
            .iter()
            .map(|(i, r)| (*i, rules::advice_verdict(r).code().to_owned()))
            .collect();
        Ok(CaseView {
            conflicts: doc.conflicts(),
            flags: row.flags,
            attention: row.items,
            next_appointment: row
                .next_appointment
                .as_deref()
                .and_then(|a| chrono::NaiveDateTime::parse_from_str(a, "%Y-%m-%dT%H:%M").ok()),
            verdicts,
            catalogue: self.rule_context().catalogue,
            thumbs: self.thumbs_of(&case)?,
            attachments: self.attachment_lines(&case)?,
            case,
        })
    }

    /// Adds a record from JSON after the rules allow it; returns its id and
    /// the warnings and flags.
    pub fn add_record(
        &mut self,
        case_id: Uuid,
        kind: RecordKind,
        json: serde_json::Value,
    ) -> Result<(Uuid, Vec<Finding>), DeviceError> {
        self.guard()?;
        let record =
            Record::from_json(kind, json).map_err(|e| DeviceError::BadInput(e.to_string()))?;
        let mut doc = self.load(case_id)?;
        let case = doc.case()?;
        let id = Uuid::now_v7();
        let findings = rules::check_record(&case, id, &record, None, &self.ctx());
        if rules::blocks(&findings) {
            return Err(DeviceError::Refused(findings));
        }
        doc.insert_record(id, &record, &format!("{} added", kind.code()))?;
        self.persist(&mut doc, false)?;
        Ok((id, findings))
    }

    /// Saves a whole record edited in a form opened at `heads` (the
    /// document's heads when the form opened): the fields the worker changed
    /// are written at those heads and merged in through automerge, so what
    /// others changed meanwhile stays, and a field both changed keeps both
    /// values as a conflict. The rules check the merged record. The review
    /// state is never taken from the form; editing an approved record sends
    /// it back to submitted.
    pub fn update_record(
        &mut self,
        case_id: Uuid,
        record_id: Uuid,
        heads: &[ChangeHash],
        edited: &serde_json::Value,
    ) -> Result<Vec<Finding>, DeviceError> {
        self.guard()?;
        let mut doc = self.load(case_id)?;
        let no_such = || DeviceError::NoSuchRecord(record_id.to_string());
        let kind = doc.kind_of(record_id).ok_or_else(no_such)?;
        let before = doc.record(kind, record_id)?.ok_or_else(no_such)?;
        let record = Record::from_json(kind, edited.clone())
            .map_err(|e| DeviceError::BadInput(e.to_string()))?;
        let message = format!("{} edited", kind.code());
        doc.edit_record_at(heads, &self.editor(), record_id, &record, &message)?;
        let case = doc.case()?;
        let after = case.record(kind, record_id).ok_or_else(no_such)?;
        let findings = rules::check_record(&case, record_id, &after, Some(&before), &self.ctx());
        if rules::blocks(&findings) {
            return Err(DeviceError::Refused(findings));
        }
        self.persist_read(&mut doc, false, Some(case))?;
        Ok(findings)
    }

    /// Saves the household fields edited in a form opened at `heads`, like
    /// [`Self::update_record`].
    pub fn update_household(
        &mut self,
        case_id: Uuid,
        heads: &[ChangeHash],
        edited: &serde_json::Value,
    ) -> Result<Vec<Finding>, DeviceError> {
        self.guard()?;
        let mut doc = self.load(case_id)?;
        let status_before = doc.household()?.status;
        let household: Household = serde_json::from_value(edited.clone())
            .map_err(|e| DeviceError::BadInput(e.to_string()))?;
        doc.edit_household_at(heads, &self.editor(), &household, "household edited")?;
        let case = doc.case()?;
        let findings = rules::check_household(&case.household, Some(status_before), &self.ctx());
        if rules::blocks(&findings) {
            return Err(DeviceError::Refused(findings));
        }
        self.persist_read(&mut doc, false, Some(case))?;
        Ok(findings)
    }

    /// A case and the document's heads: what a form opens with.
    pub fn case_at(&self, id: Uuid) -> Result<(Case, Vec<ChangeHash>), DeviceError> {
        self.guard()?;
        let mut doc = self.load(id)?;
        Ok((doc.case()?, doc.heads()))
    }

    pub(super) fn target(case: &Case, record: &str) -> Result<Target, DeviceError> {
        if record == "household" {
            return Ok(Target::Household);
        }
        let id = Uuid::parse_str(record).map_err(|_| DeviceError::NoSuchRecord(record.into()))?;
        let kind =
            index::kind_of(case, id).ok_or_else(|| DeviceError::NoSuchRecord(record.into()))?;
        Ok(Target::Record(kind, id))
    }

    /// The path of a field of the household or a record (`record` is a
    /// record id or `household`) from text a person typed
    /// (`address.postcode`, `readings.<id>.registers.1.8.1`).
    pub fn field_path(
        &self,
        case_id: Uuid,
        record: &str,
        text: &str,
    ) -> Result<FieldPath, DeviceError> {
        self.guard()?;
        let doc = self.load(case_id)?;
        let target = Self::target(&doc.case()?, record)?;
        doc.field_path(target, text)
            .map_err(|e| DeviceError::BadInput(e.to_string()))
    }

    /// Changes one field (`record` is a record id or `household`) after the
    /// rules allow the result. Editing an approved record sends it back to
    /// submitted.
    pub fn set_field(
        &mut self,
        case_id: Uuid,
        record: &str,
        field: &FieldPath,
        value: serde_json::Value,
    ) -> Result<Vec<Finding>, DeviceError> {
        self.guard()?;
        let mut doc = self.load(case_id)?;
        let case = doc.case()?;
        let target = Self::target(&case, record)?;
        // Try on a fork; only a change the rules allow is kept.
        let mut fork = doc.fork();
        fork.set_editor(&self.editor());
        fork.set_clock(self.now);
        fork.set_field(target, field, value)
            .map_err(|e| DeviceError::BadInput(e.to_string()))?;
        let findings = match target {
            Target::Household => {
                rules::check_household(&fork.household()?, Some(case.household.status), &self.ctx())
            }
            Target::Record(kind, id) => {
                let before = doc.record(kind, id)?;
                let after = fork
                    .record(kind, id)?
                    .ok_or_else(|| DeviceError::NoSuchRecord(record.into()))?;
                rules::check_record(&case, id, &after, before.as_ref(), &self.ctx())
            }
        };
        if rules::blocks(&findings) {
            return Err(DeviceError::Refused(findings));
        }
        self.persist(&mut fork, false)?;
        Ok(findings)
    }

    /// Removes a record.
    pub fn remove_record(&mut self, case_id: Uuid, record: &str) -> Result<(), DeviceError> {
        self.guard()?;
        let mut doc = self.load(case_id)?;
        let case = doc.case()?;
        let Target::Record(kind, id) = Self::target(&case, record)? else {
            return Err(DeviceError::HouseholdStays);
        };
        doc.remove_record(kind, id, &format!("{} removed", kind.code()))?;
        self.persist(&mut doc, false)
    }
}
