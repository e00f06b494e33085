//! The team's referral catalogue on the device: read by the rules and the
//! referral form, changed by a supervisor (offline too), and synced with the
//! server at the start of every sync session.

use std::sync::Arc;

use brug_shared::catalogue::{CatalogueDoc, parse_heads};
use brug_shared::model::{Catalogue, Role, Service};
use brug_shared::protocol::team::{CatalogueReply, CatalogueSync};

use super::{Device, DeviceError};
use crate::local;
use crate::net::{self, Endpoint};

impl Device {
    /// The team's catalogue as this device has it (the built-in one until
    /// the first sync brings the team's).
    pub fn catalogue(&self) -> Result<Arc<Catalogue>, DeviceError> {
        let version = local::catalogue_version(self.store.conn())?;
        let mut cache = self.catalogue.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((v, c)) = cache.as_ref()
            && *v == version
        {
            return Ok(c.clone());
        }
        let (doc, _) = self.catalogue_doc()?;
        let c = Arc::new(doc.catalogue());
        *cache = Some((version, c.clone()));
        Ok(c)
    }

    fn catalogue_doc(&self) -> Result<(CatalogueDoc, Vec<String>), DeviceError> {
        match local::catalogue(self.store.conn())? {
            Some(stored) => Ok((CatalogueDoc::load(&stored.doc)?, stored.known)),
            None => Ok((CatalogueDoc::seed(), Vec::new())),
        }
    }

    /// Adds or changes a service of the team's catalogue (supervisors only);
    /// it reaches the server and the team with the next sync.
    pub fn save_service(&mut self, service: &Service) -> Result<(), DeviceError> {
        if self.role()? != Role::Supervisor {
            return Err(DeviceError::NotAllowed);
        }
        let (mut doc, known) = self.catalogue_doc()?;
        doc.put(service, &self.info.user, self.now_ms())?;
        local::put_catalogue(self.store.conn(), &doc.save(), &known)?;
        Ok(())
    }

    /// Syncs the catalogue with the server now (outside a sync session).
    pub async fn sync_catalogue_now(&mut self) -> Result<bool, DeviceError> {
        let endpoint = Endpoint::new(&self.info.server, &self.info.fingerprint)?;
        let token = super::setting(&self.store, "token")?;
        self.sync_catalogue(&endpoint, &token).await
    }

    /// Syncs the catalogue with the server: sends what was changed here,
    /// takes what the team changed. Returns whether the catalogue here
    /// changed. With nothing changed on either side, only heads travel.
    pub(super) async fn sync_catalogue(
        &mut self,
        endpoint: &Endpoint,
        token: &str,
    ) -> Result<bool, DeviceError> {
        let (mut doc, known) = self.catalogue_doc()?;
        let known_heads = parse_heads(&known).unwrap_or_default();
        let changes = (doc.heads_text() != known)
            .then(|| hex::encode(doc.changes_after(&known_heads)))
            .filter(|c| !c.is_empty());
        let request = CatalogueSync {
            known: known.clone(),
            changes,
        };
        let reply: CatalogueReply =
            net::team_request(endpoint, token, "/v1/team/catalogue", &request).await?;
        // Read again: a service saved here meanwhile (on the screens'
        // handle) stays, the server's changes merge into it.
        let (mut doc, _) = self.catalogue_doc()?;
        let mut changed = false;
        if let Some(changes) = reply.changes {
            let bytes = hex::decode(changes)
                .map_err(|e| DeviceError::BadInput(format!("catalogue: {e}")))?;
            changed = doc.apply(&bytes)?;
        }
        if changed || reply.heads != known {
            local::put_catalogue(self.store.conn(), &doc.save(), &reply.heads)?;
        }
        Ok(changed)
    }
}
