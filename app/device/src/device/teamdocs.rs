//! The team's shared documents on the device: the referral catalogue (read
//! by the rules and the referral form, changed by a supervisor) and the
//! collective activities (recorded by anyone of the team, approved by a
//! supervisor). Both work offline and are synced with the server at the
//! start of every sync session.

use std::sync::Arc;

use brug_shared::model::{Activity, Catalogue, ReviewState, Role, Service};
use brug_shared::protocol::team::{TeamDocReply, TeamDocSync};
use brug_shared::teamdoc::{CatalogueDoc, TeamDoc, TeamEntry, parse_heads};
use uuid::Uuid;

use super::{Device, DeviceError};
use crate::local;
use crate::net::{self, Endpoint};

impl Device {
    /// The team's catalogue as this device has it (the built-in one until
    /// the first sync brings the team's).
    pub fn catalogue(&self) -> Result<Arc<Catalogue>, DeviceError> {
        let version = local::team_doc_version::<Service>(self.store.conn())?;
        let mut cache = self.catalogue.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((v, c)) = cache.as_ref()
            && *v == version
        {
            return Ok(c.clone());
        }
        let (doc, _): (CatalogueDoc, _) = self.team_doc()?;
        let c = Arc::new(doc.catalogue());
        *cache = Some((version, c.clone()));
        Ok(c)
    }

    fn team_doc<E: TeamEntry>(&self) -> Result<(TeamDoc<E>, Vec<String>), DeviceError> {
        match local::team_doc::<E>(self.store.conn())? {
            Some(stored) => Ok((TeamDoc::load(&stored.doc)?, stored.known)),
            None => Ok((TeamDoc::seed(), Vec::new())),
        }
    }

    /// Writes one entry of a team document here, if this user may; it
    /// reaches the server and the team with the next sync.
    fn put_entry<E: TeamEntry>(&mut self, entry: &E) -> Result<(), DeviceError> {
        let (mut doc, known) = self.team_doc::<E>()?;
        let before = doc.entries()?.into_iter().find(|e| e.key() == entry.key());
        if !E::may_write(self.role()?, before.as_ref(), entry) {
            return Err(DeviceError::NotAllowed);
        }
        doc.put(entry, &self.info.user, self.now_ms())?;
        local::put_team_doc::<E>(self.store.conn(), &doc.save(), &known)?;
        Ok(())
    }

    /// Adds or changes a service of the team's catalogue (supervisors only).
    pub fn save_service(&mut self, service: &Service) -> Result<(), DeviceError> {
        self.put_entry(service)
    }

    /// The team's collective activities as this device has them, latest
    /// first.
    pub fn activities(&self) -> Result<Vec<Activity>, DeviceError> {
        let (doc, _) = self.team_doc::<Activity>()?;
        Ok(doc.activities())
    }

    /// Records a collective activity (new or changed): submitted for
    /// review, with this user as who recorded it when it is new.
    pub fn save_activity(&mut self, activity: &Activity) -> Result<(), DeviceError> {
        let mut activity = activity.clone();
        if activity.recorded_by.is_empty() {
            activity.recorded_by.clone_from(&self.info.user);
        }
        if !self.role()?.reviews() {
            activity.review.state = ReviewState::Submitted;
            activity.review.reviewer = None;
        }
        self.put_entry(&activity)
    }

    /// Approves a submitted activity or returns it with a comment
    /// (supervisors only).
    pub fn review_activity(
        &mut self,
        id: Uuid,
        approve: bool,
        comment: &str,
    ) -> Result<(), DeviceError> {
        if self.role()? != Role::Supervisor {
            return Err(DeviceError::NotAllowed);
        }
        let Some(mut activity) = self.activities()?.into_iter().find(|a| a.id == id) else {
            return Err(DeviceError::BadInput(format!(
                "activiteit {id} bestaat niet"
            )));
        };
        activity.review.state = if approve {
            ReviewState::Approved
        } else {
            ReviewState::Returned
        };
        activity.review.reviewer = Some(self.info.user.clone());
        activity.review.at = chrono::DateTime::from_timestamp_millis(self.now_ms());
        comment.clone_into(&mut activity.review.comment);
        self.put_entry(&activity)
    }

    /// Syncs the team's documents with the server now (outside a sync
    /// session); returns whether anything changed here.
    pub async fn sync_team_docs_now(&mut self) -> Result<bool, DeviceError> {
        let endpoint = self.endpoint()?;
        let token = super::setting(&self.store, "token")?;
        self.sync_team_docs(&endpoint, &token).await
    }

    /// Syncs the catalogue and the activities; returns whether either
    /// changed here.
    pub(super) async fn sync_team_docs(
        &mut self,
        endpoint: &Endpoint,
        token: &str,
    ) -> Result<bool, DeviceError> {
        let catalogue = self.sync_team_doc::<Service>(endpoint, token).await?;
        let activities = self.sync_team_doc::<Activity>(endpoint, token).await?;
        Ok(catalogue || activities)
    }

    /// Syncs one team document with the server: sends what was changed
    /// here, takes what the team changed. Returns whether it changed here.
    /// With nothing changed on either side, only heads travel.
    async fn sync_team_doc<E: TeamEntry>(
        &mut self,
        endpoint: &Endpoint,
        token: &str,
    ) -> Result<bool, DeviceError> {
        let (mut doc, known) = self.team_doc::<E>()?;
        let known_heads = parse_heads(&known).unwrap_or_default();
        let changes = (doc.heads_text() != known)
            .then(|| hex::encode(doc.changes_after(&known_heads)))
            .filter(|c| !c.is_empty());
        let request = TeamDocSync {
            known: known.clone(),
            changes,
        };
        let path = format!("/v1/team/{}", E::NAME);
        let reply: TeamDocReply = net::team_request(endpoint, token, &path, &request).await?;
        // Read again: an entry saved here meanwhile (on the screens'
        // handle) stays, the server's changes merge into it.
        let (mut doc, _) = self.team_doc::<E>()?;
        let mut changed = false;
        if let Some(changes) = reply.changes {
            let bytes = hex::decode(changes)
                .map_err(|e| DeviceError::BadInput(format!("{}: {e}", E::NAME)))?;
            changed = doc.apply(&bytes)?;
        }
        if changed || reply.heads != known {
            local::put_team_doc::<E>(self.store.conn(), &doc.save(), &reply.heads)?;
        }
        Ok(changed)
    }
}
