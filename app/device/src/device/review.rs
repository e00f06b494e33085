//! Review steps, conflicts and history.

use brug_shared::casedoc::{Conflict, FieldChange, HistoryEntry, ReviewAction, Target};
use brug_shared::schema::FieldPath;
use uuid::Uuid;

use super::{Device, DeviceError};

impl Device {
    /// A review step. Workers submit; only supervisors approve or return.
    pub fn review(
        &mut self,
        case_id: Uuid,
        record: &str,
        action: ReviewAction,
        comment: &str,
    ) -> Result<(), DeviceError> {
        self.guard()?;
        if action != ReviewAction::Submit && !self.role()?.reviews() {
            return Err(DeviceError::NotAllowed);
        }
        let mut doc = self.load(case_id)?;
        let case = doc.case()?;
        let Target::Record(kind, id) = Self::target(&case, record)? else {
            return Err(DeviceError::NoSuchRecord(record.into()));
        };
        match doc.review(kind, id, action, &self.info.user, comment) {
            Err(brug_shared::casedoc::CaseDocError::Refused(f)) => {
                return Err(DeviceError::Refused(f));
            }
            other => other?,
        }
        self.persist(&mut doc, false)
    }

    /// Chooses the value of a conflicting field.
    pub fn resolve(
        &mut self,
        case_id: Uuid,
        record: &str,
        field: &FieldPath,
        value: serde_json::Value,
    ) -> Result<(), DeviceError> {
        self.guard()?;
        let mut doc = self.load(case_id)?;
        let case = doc.case()?;
        let target = Self::target(&case, record)?;
        doc.resolve(target, field, value)
            .map_err(|e| DeviceError::BadInput(e.to_string()))?;
        self.persist(&mut doc, false)
    }

    /// Who changed what, when.
    pub fn history(
        &self,
        case_id: Uuid,
        record: Option<&str>,
    ) -> Result<Vec<HistoryEntry>, DeviceError> {
        self.guard()?;
        let mut doc = self.load(case_id)?;
        let record = match record {
            None => None,
            Some(r) => Some(Uuid::parse_str(r).map_err(|_| DeviceError::NoSuchRecord(r.into()))?),
        };
        Ok(doc.history(record))
    }

    /// What changed in a record since it was last approved.
    pub fn changes_since_approval(
        &self,
        case_id: Uuid,
        record: &str,
    ) -> Result<Vec<FieldChange>, DeviceError> {
        self.guard()?;
        let doc = self.load(case_id)?;
        let case = doc.case()?;
        let Target::Record(kind, id) = Self::target(&case, record)? else {
            return Err(DeviceError::NoSuchRecord(record.into()));
        };
        let rec = doc
            .record(kind, id)?
            .ok_or_else(|| DeviceError::NoSuchRecord(record.into()))?;
        let heads = rec
            .review()
            .map(|r| r.approved_heads.clone())
            .unwrap_or_default();
        if heads.is_empty() {
            return Ok(Vec::new());
        }
        Ok(doc.changes_since(&heads, kind, id)?)
    }

    /// Conflicting fields of a case.
    pub fn conflicts(&self, case_id: Uuid) -> Result<Vec<Conflict>, DeviceError> {
        self.guard()?;
        Ok(self.load(case_id)?.conflicts())
    }
}
