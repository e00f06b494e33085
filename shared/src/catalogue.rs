//! A team's referral catalogue as one automerge document, synced between
//! the server and every device of the team like a case: two supervisors who
//! change different services offline both keep their change.
//!
//! Layout: `{ "schema": 1, "services": { CODE: "<the service as JSON>" } }`.
//! A service is one value: two supervisors who change the *same* service
//! offline keep automerge's conflict, of which every device shows the same
//! one (the other stays in the history). Case data is merged field by field;
//! a catalogue entry is configuration, kept whole so it never mixes halves of
//! two versions (a session day of one with the hours of the other).
//!
//! Every team starts from the same seed: the built-in catalogue written by a
//! fixed actor at time 0, so the seed made on a device offline and the one
//! made on the server are the same change and merge into one.

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutoCommit, ChangeHash, ObjType, ROOT, ReadDoc};

use crate::model::{Catalogue, Service};

/// The largest catalogue document accepted (bytes, saved form).
pub const MAX_CATALOGUE_BYTES: usize = 256 * 1024;

/// Why a catalogue document or change is refused.
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    /// Not an automerge document, or not a catalogue.
    #[error("geen geldige catalogus / not a valid catalogue: {0}")]
    Invalid(String),
    /// Over [`MAX_CATALOGUE_BYTES`].
    #[error("de catalogus is te groot / the catalogue is too large")]
    TooLarge,
    /// A service that may not be saved (Dutch text, English text).
    #[error("{0} / {1}")]
    BadService(String, String),
}

/// The bytes every automerge document and change chunk begins with.
const AUTOMERGE_MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];

/// The seed's actor: the same on every device and server.
const SEED_ACTOR: &[u8] = b"brug-catalogue-seed-v1";

/// A team's catalogue document.
#[derive(Debug)]
pub struct CatalogueDoc {
    doc: AutoCommit,
}

impl CatalogueDoc {
    /// The built-in catalogue, identical wherever it is made.
    pub fn seed() -> Self {
        let mut doc = AutoCommit::new().with_actor(ActorId::from(SEED_ACTOR));
        let written = (|| -> Result<(), automerge::AutomergeError> {
            doc.put(ROOT, "schema", 1_i64)?;
            let services = doc.put_object(ROOT, "services", ObjType::Map)?;
            for s in &Catalogue::builtin().services {
                let json = serde_json::to_string(s).unwrap_or_default();
                doc.put(&services, s.code.as_str(), json)?;
            }
            Ok(())
        })();
        // Writing to a fresh in-memory document does not fail.
        debug_assert!(written.is_ok());
        doc.commit_with(
            CommitOptions::default()
                .with_message("standaardcatalogus / built-in catalogue".to_owned())
                .with_time(0),
        );
        Self { doc }
    }

    /// Loads a saved catalogue, checking that every service reads.
    pub fn load(bytes: &[u8]) -> Result<Self, CatalogueError> {
        if bytes.len() > MAX_CATALOGUE_BYTES {
            return Err(CatalogueError::TooLarge);
        }
        let doc = AutoCommit::load(bytes).map_err(|e| CatalogueError::Invalid(e.to_string()))?;
        let me = Self { doc };
        me.check()?;
        Ok(me)
    }

    /// The whole document, compacted.
    pub fn save(&mut self) -> Vec<u8> {
        self.doc.save()
    }

    /// Its heads.
    pub fn heads(&mut self) -> Vec<ChangeHash> {
        self.doc.get_heads()
    }

    /// Its heads as text (for the wire and the device's store).
    pub fn heads_text(&mut self) -> Vec<String> {
        self.heads().iter().map(ToString::to_string).collect()
    }

    /// Whether every change of `heads` is in this document.
    pub fn has_all(&mut self, heads: &[ChangeHash]) -> bool {
        heads
            .iter()
            .all(|h| self.doc.get_change_by_hash(h).is_some())
    }

    /// The changes after `heads` (all of them when a head is unknown here).
    pub fn changes_after(&mut self, heads: &[ChangeHash]) -> Vec<u8> {
        if self.has_all(heads) {
            self.doc.save_after(heads)
        } else {
            self.doc.save()
        }
    }

    /// Applies changes (the output of [`Self::changes_after`] or a whole
    /// saved document) when the result is still a valid catalogue; returns
    /// whether anything new came in. A refused batch changes nothing.
    pub fn apply(&mut self, bytes: &[u8]) -> Result<bool, CatalogueError> {
        if bytes.is_empty() {
            return Ok(false);
        }
        if bytes.len() > MAX_CATALOGUE_BYTES {
            return Err(CatalogueError::TooLarge);
        }
        // Every automerge chunk starts with its magic bytes; automerge
        // itself passes over a fragment without them as "incomplete".
        if !bytes.starts_with(&AUTOMERGE_MAGIC) {
            return Err(CatalogueError::Invalid("not automerge changes".into()));
        }
        let before = self.heads();
        let mut fork = Self {
            doc: self.doc.fork(),
        };
        fork.doc
            .load_incremental(bytes)
            .map_err(|e| CatalogueError::Invalid(e.to_string()))?;
        if fork.heads() == before {
            return Ok(false);
        }
        fork.check()?;
        if fork.doc.save().len() > MAX_CATALOGUE_BYTES {
            return Err(CatalogueError::TooLarge);
        }
        // Keep this document's actor: later edits here go on its sequence.
        let actor = self.doc.get_actor().clone();
        self.doc = fork.doc.with_actor(actor);
        Ok(true)
    }

    /// The catalogue: the built-in services in their order first, then the
    /// team's own by name.
    pub fn catalogue(&self) -> Catalogue {
        // Checked when loaded and at every change: it reads.
        let mut services = self.services().unwrap_or_default();
        let order = |s: &Service| {
            Catalogue::builtin()
                .services
                .iter()
                .position(|b| b.code == s.code)
                .unwrap_or(usize::MAX)
        };
        services.sort_by(|a, b| {
            order(a)
                .cmp(&order(b))
                .then_with(|| a.nl.to_lowercase().cmp(&b.nl.to_lowercase()))
        });
        Catalogue { services }
    }

    /// Every service the document holds, or why one does not read: not
    /// text, not a service, filed under another code, or not valid.
    fn services(&self) -> Result<Vec<Service>, CatalogueError> {
        let Ok(Some((_, obj))) = self.doc.get(ROOT, "services") else {
            return Err(CatalogueError::Invalid("no services".into()));
        };
        let mut out = Vec::new();
        for item in self.doc.map_range(&obj, ..) {
            let value = item.value.clone().into_value();
            let Some(text) = value.as_str() else {
                return Err(CatalogueError::Invalid(format!("{} is not text", item.key)));
            };
            let service: Service = serde_json::from_str(text)
                .map_err(|e| CatalogueError::Invalid(format!("{}: {e}", item.key)))?;
            if service.code != item.key {
                return Err(CatalogueError::Invalid(format!(
                    "{} holds service {}",
                    item.key, service.code
                )));
            }
            if let Some((nl, en)) = service.problem() {
                return Err(CatalogueError::BadService(nl, en));
            }
            out.push(service);
        }
        Ok(out)
    }

    fn check(&self) -> Result<(), CatalogueError> {
        self.services().map(|_| ())
    }

    /// Adds or changes `service` (a team's own or a built-in one), as
    /// `author` at `time_ms`.
    pub fn put(
        &mut self,
        service: &Service,
        author: &str,
        time_ms: i64,
    ) -> Result<(), CatalogueError> {
        if let Some((nl, en)) = service.problem() {
            return Err(CatalogueError::BadService(nl, en));
        }
        let json =
            serde_json::to_string(service).map_err(|e| CatalogueError::Invalid(e.to_string()))?;
        let services = match self.doc.get(ROOT, "services") {
            Ok(Some((_, obj))) => obj,
            _ => self
                .doc
                .put_object(ROOT, "services", ObjType::Map)
                .map_err(|e| CatalogueError::Invalid(e.to_string()))?,
        };
        let same = self
            .doc
            .get(&services, service.code.as_str())
            .ok()
            .flatten()
            .and_then(|(v, _)| v.as_str().map(|t| t == json))
            .unwrap_or(false);
        if same {
            return Ok(());
        }
        self.doc
            .put(&services, service.code.as_str(), json)
            .map_err(|e| CatalogueError::Invalid(e.to_string()))?;
        let message = serde_json::json!({
            "author": author,
            "message": format!("dienst {} bewaard / service saved", service.code),
        })
        .to_string();
        self.doc.commit_with(
            CommitOptions::default()
                .with_message(message)
                .with_time(time_ms),
        );
        Ok(())
    }
}

/// Parses heads sent as text; `None` when one is not a change hash.
pub fn parse_heads(heads: &[String]) -> Option<Vec<ChangeHash>> {
    heads.iter().map(|h| h.parse().ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Recurrence;
    use chrono::Weekday;

    fn repair_cafe() -> Service {
        crate::model::examples::local_service()
    }

    #[test]
    fn two_seeds_are_one_change() {
        let (mut a, mut b) = (CatalogueDoc::seed(), CatalogueDoc::seed());
        assert_eq!(a.heads(), b.heads());
        assert_eq!(a.catalogue(), *Catalogue::builtin());
    }

    #[test]
    fn two_supervisors_adding_services_offline_both_keep_theirs() {
        let mut server = CatalogueDoc::seed();
        let mut a = CatalogueDoc::load(&server.save()).unwrap();
        let mut b = CatalogueDoc::load(&server.save()).unwrap();
        let start = server.heads();
        a.put(&repair_cafe(), "sup-a", 1).unwrap();
        let mut woonclub = Catalogue::builtin().service("woonclub").unwrap().clone();
        woonclub.sessions[0].when = Recurrence::Weekly(Weekday::Thu);
        b.put(&woonclub, "sup-b", 2).unwrap();
        assert!(server.apply(&a.changes_after(&start)).unwrap());
        assert!(server.apply(&b.changes_after(&start)).unwrap());
        let c = server.catalogue();
        assert!(c.service("repair-cafe").is_some());
        assert_eq!(
            c.service("woonclub").unwrap().sessions[0].when,
            Recurrence::Weekly(Weekday::Thu)
        );
        // The team's own service comes after the built-in ones.
        assert_eq!(c.services.last().unwrap().code, "repair-cafe");
    }

    #[test]
    fn a_bad_service_is_refused_and_changes_nothing() {
        let mut doc = CatalogueDoc::seed();
        let before = doc.heads();
        let mut bad = repair_cafe();
        bad.sessions[0].end = bad.sessions[0].start;
        assert!(matches!(
            doc.put(&bad, "x", 1),
            Err(CatalogueError::BadService(..))
        ));
        assert_eq!(doc.heads(), before);
        // The same through a change made elsewhere without the check.
        let mut other = CatalogueDoc::seed();
        let services = match other.doc.get(ROOT, "services") {
            Ok(Some((_, o))) => o,
            _ => panic!("seed without services"),
        };
        other.doc.put(&services, "x", "not json").unwrap();
        other.doc.commit();
        assert!(doc.apply(&other.changes_after(&before)).is_err());
        assert_eq!(doc.heads(), before);
        assert!(CatalogueDoc::load(b"rubbish").is_err());
        assert!(doc.apply(&[0x00, 0xff]).is_err());
        assert_eq!(doc.heads(), before);
    }
}
