//! Who this device is and how it stands: its user and role, the rules'
//! clock, the offline lease, the status the sync bar shows, the devices
//! newly enrolled for its user, and the drafts of open forms.

use brug_shared::model::Role;
use brug_shared::protocol::JoinedDevice;
use brug_shared::rules::RuleContext;
use chrono::{DateTime, Utc};

use super::{DEFAULT_LEASE_DAYS, Device, DeviceError, DeviceInfo, Lease, Status};
use crate::local;

impl Device {
    /// The case as the rules see it now (for live checks in a form).
    pub fn rule_context(&self) -> RuleContext {
        self.ctx()
    }

    /// The draft saved under `key`, if any.
    pub fn draft(&self, key: &str) -> Result<Option<serde_json::Value>, DeviceError> {
        Ok(local::draft(self.store.conn(), key)?)
    }

    /// Saves a form's draft under `key` (as the worker types).
    pub fn save_draft(&self, key: &str, body: &serde_json::Value) -> Result<(), DeviceError> {
        Ok(local::put_draft(
            self.store.conn(),
            key,
            body,
            self.now_ms(),
        )?)
    }

    /// Throws a draft away (after saving the record, or on request).
    pub fn drop_draft(&self, key: &str) -> Result<(), DeviceError> {
        Ok(local::drop_draft(self.store.conn(), key)?)
    }

    /// Keys of every saved draft.
    pub fn drafts(&self) -> Result<Vec<String>, DeviceError> {
        Ok(local::draft_keys(self.store.conn())?)
    }

    /// Who and where.
    pub fn info(&self) -> &DeviceInfo {
        &self.info
    }

    /// Uses `now` as the clock (lease tests, clock-skew tests).
    pub fn set_clock(&mut self, now: fn() -> DateTime<Utc>) {
        self.now = now;
    }

    /// The user's role, as enrolled.
    pub fn role(&self) -> Result<Role, DeviceError> {
        Role::from_code(&self.info.role)
            .ok_or_else(|| DeviceError::UnknownRole(self.info.role.clone()))
    }

    /// The offline lease as it stands.
    pub fn lease(&self) -> Result<Lease, DeviceError> {
        let days = self
            .store
            .setting("lease_days")?
            .and_then(|d| d.parse().ok())
            .unwrap_or(DEFAULT_LEASE_DAYS);
        let last = self
            .store
            .setting("last_sync_ms")?
            .and_then(|d| d.parse::<i64>().ok())
            .unwrap_or(0);
        let since = (self.now_ms() - last).max(0) / 86_400_000;
        Ok(Lease {
            days,
            since_sync_days: since,
            locked: since >= days,
        })
    }

    /// Sets the lease length in days.
    pub fn set_lease_days(&mut self, days: i64) -> Result<(), DeviceError> {
        Ok(self
            .store
            .set_setting("lease_days", &days.max(1).to_string())?)
    }

    /// Enrolment, last sync, pending changes, lease.
    pub fn status(&self) -> Result<Status, DeviceError> {
        let last = self
            .store
            .setting("last_sync_done_ms")?
            .and_then(|d| d.parse::<i64>().ok());
        let cases = local::case_count(self.store.conn())?;
        Ok(Status {
            device: self.info.clone(),
            cases,
            pending: self.store.pending_count()?,
            last_sync: last.and_then(DateTime::from_timestamp_millis),
            last_error: self.store.setting("last_error")?.filter(|e| !e.is_empty()),
            lease: self.lease()?,
            joined: self.joined()?,
        })
    }

    /// Devices enrolled for this user that the server told about, newest
    /// last (at most ten are kept).
    pub fn joined(&self) -> Result<Vec<JoinedDevice>, DeviceError> {
        Ok(self
            .store
            .setting("joined")?
            .and_then(|j| serde_json::from_str(&j).ok())
            .unwrap_or_default())
    }

    pub(super) fn remember_joined(&mut self, new: &[JoinedDevice]) -> Result<(), DeviceError> {
        if new.is_empty() {
            return Ok(());
        }
        let mut all = self.joined()?;
        all.extend(new.iter().cloned());
        let keep = all.len().saturating_sub(10);
        let all = all.split_off(keep);
        let text = serde_json::to_string(&all).map_err(|e| DeviceError::BadInput(e.to_string()))?;
        self.store.set_setting("joined", &text)?;
        Ok(())
    }
}
