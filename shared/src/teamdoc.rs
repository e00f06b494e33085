//! A team's shared configuration and records as one automerge document,
//! synced between the server and every device of the team like a case:
//! the referral catalogue ([`CatalogueDoc`]) and the collective activities
//! ([`ActivitiesDoc`]). Two people who change different entries offline
//! both keep their change.
//!
//! Layout: `{ "schema": 1, COLLECTION: { KEY: "<the entry as JSON>" } }`.
//! An entry is one value: two people who change the *same* entry offline
//! keep automerge's conflict, of which every device shows the same one (the
//! other stays in the history). Case data is merged field by field; an entry
//! here is kept whole so it never mixes halves of two versions (a session
//! day of one with the hours of the other).
//!
//! Every team starts from the same seed: the built-in entries written by a
//! fixed actor at time 0, so the seed made on a device offline and the one
//! made on the server are the same change and merge into one.

use std::marker::PhantomData;

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutoCommit, ChangeHash, ObjType, ROOT, ReadDoc};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::model::{Activity, Catalogue, ReviewState, Role, Service};

/// The largest team document accepted (bytes, saved form).
pub const MAX_TEAM_DOC_BYTES: usize = 1024 * 1024;

/// Why a team document or change is refused.
#[derive(Debug, thiserror::Error)]
pub enum TeamDocError {
    /// Not an automerge document, or not this kind of team document.
    #[error("geen geldig teamdocument / not a valid team document: {0}")]
    Invalid(String),
    /// Over [`MAX_TEAM_DOC_BYTES`].
    #[error("het teamdocument is te groot / the team document is too large")]
    TooLarge,
    /// An entry that may not be saved (Dutch text, English text).
    #[error("{0} / {1}")]
    BadEntry(String, String),
    /// A change this user's role may not make (an entry removed, a worker
    /// changing the catalogue or approving an activity).
    #[error("deze wijziging mag u niet maken / you may not make this change")]
    NotAllowed,
}

/// What a team document holds: entries kept whole, each under its key.
pub trait TeamEntry: Serialize + DeserializeOwned + Clone {
    /// The document's name: the route `/v1/team/NAME`, the server's table
    /// `team_NAME` and the device's table `NAME`.
    const NAME: &'static str;
    /// The map the entries sit in ("services").
    const COLLECTION: &'static str;
    /// Whether the entries count in the plan's reports (the server keeps
    /// their facts in its report projection).
    const REPORTED: bool;
    /// The seed's actor: the same on every device and server.
    const SEED_ACTOR: &'static [u8];
    /// The entry's key in the map.
    fn key(&self) -> String;
    /// Why the entry may not be saved (Dutch, English), if it may not.
    fn problem(&self) -> Option<(String, String)>;
    /// The entries every team starts with.
    fn seed() -> Vec<Self>;
    /// Whether a user with `role` may turn `before` (`None`: new) into
    /// `after`.
    fn may_write(role: Role, before: Option<&Self>, after: &Self) -> bool;
    /// The households (cases) the entry names; the server takes an entry
    /// only when none of them is a case of another team.
    fn households(&self) -> &[uuid::Uuid] {
        &[]
    }
}

impl TeamEntry for Service {
    const NAME: &'static str = "catalogue";
    const COLLECTION: &'static str = "services";
    const REPORTED: bool = false;
    const SEED_ACTOR: &'static [u8] = b"brug-catalogue-seed-v1";
    fn key(&self) -> String {
        self.code.clone()
    }
    fn problem(&self) -> Option<(String, String)> {
        Service::problem(self)
    }
    fn seed() -> Vec<Self> {
        Catalogue::builtin().services.clone()
    }
    fn may_write(role: Role, _: Option<&Self>, _: &Self) -> bool {
        role == Role::Supervisor
    }
}

impl TeamEntry for Activity {
    const NAME: &'static str = "activities";
    const COLLECTION: &'static str = "activities";
    const REPORTED: bool = true;
    const SEED_ACTOR: &'static [u8] = b"brug-activities-seed-v1";
    fn key(&self) -> String {
        self.id.to_string()
    }
    fn problem(&self) -> Option<(String, String)> {
        Activity::problem(self)
    }
    fn seed() -> Vec<Self> {
        Vec::new()
    }
    /// Everyone of the team who works cases records activities; only a
    /// supervisor approves or returns one.
    fn may_write(role: Role, _: Option<&Self>, after: &Self) -> bool {
        role.reviews()
            || (role.holds_cases()
                && matches!(
                    after.review.state,
                    ReviewState::Draft | ReviewState::Submitted
                ))
    }
    fn households(&self) -> &[uuid::Uuid] {
        &self.households
    }
}

/// A team's referral catalogue.
pub type CatalogueDoc = TeamDoc<Service>;
/// A team's collective activities.
pub type ActivitiesDoc = TeamDoc<Activity>;

/// The bytes every automerge document and change chunk begins with.
const AUTOMERGE_MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];

/// A team document of entries `E`.
#[derive(Debug)]
pub struct TeamDoc<E> {
    doc: AutoCommit,
    entries: PhantomData<E>,
}

impl<E: TeamEntry> TeamDoc<E> {
    fn of(doc: AutoCommit) -> Self {
        Self {
            doc,
            entries: PhantomData,
        }
    }

    /// The seed, identical wherever it is made.
    pub fn seed() -> Self {
        let mut doc = AutoCommit::new().with_actor(ActorId::from(E::SEED_ACTOR));
        let written = (|| -> Result<(), automerge::AutomergeError> {
            doc.put(ROOT, "schema", 1_i64)?;
            let entries = doc.put_object(ROOT, E::COLLECTION, ObjType::Map)?;
            for e in E::seed() {
                let json = serde_json::to_string(&e).unwrap_or_default();
                doc.put(&entries, e.key().as_str(), json)?;
            }
            Ok(())
        })();
        // Writing to a fresh in-memory document does not fail.
        debug_assert!(written.is_ok());
        doc.commit_with(
            CommitOptions::default()
                .with_message("standaardinhoud / built-in content".to_owned())
                .with_time(0),
        );
        Self::of(doc)
    }

    /// Loads a saved document, checking that every entry reads.
    pub fn load(bytes: &[u8]) -> Result<Self, TeamDocError> {
        if bytes.len() > MAX_TEAM_DOC_BYTES {
            return Err(TeamDocError::TooLarge);
        }
        let doc = AutoCommit::load(bytes).map_err(|e| TeamDocError::Invalid(e.to_string()))?;
        let me = Self::of(doc);
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
        crate::casedoc::holds_all(&mut self.doc, heads)
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
    /// saved document) when the result is still valid; returns whether
    /// anything new came in. A refused batch changes nothing. For changes
    /// the server already accepted; a user's own go through
    /// [`Self::apply_as`].
    pub fn apply(&mut self, bytes: &[u8]) -> Result<bool, TeamDocError> {
        self.apply_checked(bytes, None)
    }

    /// Applies changes a user with `role` made: every entry they add or
    /// change must be theirs to write, and none may disappear.
    pub fn apply_as(&mut self, bytes: &[u8], role: Role) -> Result<bool, TeamDocError> {
        self.apply_checked(bytes, Some(role))
    }

    fn apply_checked(&mut self, bytes: &[u8], role: Option<Role>) -> Result<bool, TeamDocError> {
        if bytes.is_empty() {
            return Ok(false);
        }
        if bytes.len() > MAX_TEAM_DOC_BYTES {
            return Err(TeamDocError::TooLarge);
        }
        // Every automerge chunk starts with its magic bytes; automerge
        // itself passes over a fragment without them as "incomplete".
        if !bytes.starts_with(&AUTOMERGE_MAGIC) {
            return Err(TeamDocError::Invalid("not automerge changes".into()));
        }
        let before = self.heads();
        let mut fork = Self::of(self.doc.fork());
        fork.doc
            .load_incremental(bytes)
            .map_err(|e| TeamDocError::Invalid(e.to_string()))?;
        if fork.heads() == before {
            return Ok(false);
        }
        let after = fork.entries()?;
        if let Some(role) = role {
            let mut was: std::collections::BTreeMap<String, (String, E)> = self
                .entries()?
                .into_iter()
                .map(|e| (e.key(), (serde_json::to_string(&e).unwrap_or_default(), e)))
                .collect();
            for e in &after {
                let old = was.remove(&e.key());
                let same = old
                    .as_ref()
                    .is_some_and(|(json, _)| *json == serde_json::to_string(e).unwrap_or_default());
                if !same && !E::may_write(role, old.as_ref().map(|(_, o)| o), e) {
                    return Err(TeamDocError::NotAllowed);
                }
            }
            if !was.is_empty() {
                return Err(TeamDocError::NotAllowed);
            }
        }
        if fork.doc.save().len() > MAX_TEAM_DOC_BYTES {
            return Err(TeamDocError::TooLarge);
        }
        // Keep this document's actor: later edits here go on its sequence.
        let actor = self.doc.get_actor().clone();
        self.doc = fork.doc.with_actor(actor);
        Ok(true)
    }

    /// Every entry the document holds, or why one does not read: not
    /// text, not an entry, filed under another key, or not valid.
    pub fn entries(&self) -> Result<Vec<E>, TeamDocError> {
        let Ok(Some((_, obj))) = self.doc.get(ROOT, E::COLLECTION) else {
            return Err(TeamDocError::Invalid(format!("no {}", E::COLLECTION)));
        };
        let mut out = Vec::new();
        for item in self.doc.map_range(&obj, ..) {
            let value = item.value.clone().into_value();
            let Some(text) = value.as_str() else {
                return Err(TeamDocError::Invalid(format!("{} is not text", item.key)));
            };
            let entry: E = serde_json::from_str(text)
                .map_err(|e| TeamDocError::Invalid(format!("{}: {e}", item.key)))?;
            if entry.key() != item.key {
                return Err(TeamDocError::Invalid(format!(
                    "{} holds {}",
                    item.key,
                    entry.key()
                )));
            }
            if let Some((nl, en)) = entry.problem() {
                return Err(TeamDocError::BadEntry(nl, en));
            }
            out.push(entry);
        }
        Ok(out)
    }

    fn check(&self) -> Result<(), TeamDocError> {
        self.entries().map(|_| ())
    }

    /// Adds or changes `entry`, as `author` at `time_ms`.
    pub fn put(&mut self, entry: &E, author: &str, time_ms: i64) -> Result<(), TeamDocError> {
        if let Some((nl, en)) = entry.problem() {
            return Err(TeamDocError::BadEntry(nl, en));
        }
        let json =
            serde_json::to_string(entry).map_err(|e| TeamDocError::Invalid(e.to_string()))?;
        let entries = match self.doc.get(ROOT, E::COLLECTION) {
            Ok(Some((_, obj))) => obj,
            _ => self
                .doc
                .put_object(ROOT, E::COLLECTION, ObjType::Map)
                .map_err(|e| TeamDocError::Invalid(e.to_string()))?,
        };
        let key = entry.key();
        let same = self
            .doc
            .get(&entries, key.as_str())
            .ok()
            .flatten()
            .and_then(|(v, _)| v.as_str().map(|t| t == json))
            .unwrap_or(false);
        if same {
            return Ok(());
        }
        self.doc
            .put(&entries, key.as_str(), json)
            .map_err(|e| TeamDocError::Invalid(e.to_string()))?;
        let message = serde_json::json!({
            "author": author,
            "message": format!("{key} bewaard / saved"),
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

impl TeamDoc<Service> {
    /// The catalogue: the built-in services in their order first, then the
    /// team's own by name.
    pub fn catalogue(&self) -> Catalogue {
        // Checked when loaded and at every change: it reads.
        let mut services = self.entries().unwrap_or_default();
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
}

impl TeamDoc<Activity> {
    /// The team's collective activities, latest first.
    pub fn activities(&self) -> Vec<Activity> {
        let mut all = self.entries().unwrap_or_default();
        all.sort_by(|a, b| {
            b.held_on
                .cmp(&a.held_on)
                .then_with(|| a.title.cmp(&b.title))
        });
        all
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
            Err(TeamDocError::BadEntry(..))
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
