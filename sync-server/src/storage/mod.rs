//! The server's case storage behind one trait, with two backends: the
//! embedded SQLite database ([`crate::db::Db`], the default) and PostgreSQL
//! ([`postgres::PgDb`]) for deployments with several servers on one
//! database (issue 18).
//!
//! What every backend keeps, the same way:
//!
//! - a case is a compacted automerge snapshot plus the chunks saved since,
//!   and its heads (the text [`brug_shared::store::encode_heads`] writes);
//! - the change feed: one row per case with a sequence number that is
//!   bumped on every stored change. Numbers are handed out **in commit
//!   order**, so a reader that remembers the highest number it has seen
//!   never skips a change committed after it looked;
//! - a new case's team and creator, and the creator's access to it.
//!
//! [`CaseStore::merge_save`] is the one way a case changes: it merges what
//! is stored into the caller's copy (another server, or another session of
//! this one, may have written since the copy was loaded), writes the
//! difference and moves the case up the feed, in one transaction. A change
//! is acknowledged only after that transaction is durable.
//!
//! [`PeopleStore`] is the rest of what a sync session reads and writes:
//! users, devices (token hashes), access, per-device sync states, audit.
//! Enrolment and unlock codes, admin events, reports, photos, erasures and
//! the quarantine are still SQLite-only (`crate::db`), and the running
//! server still uses `crate::db` directly; see issue 18's notes.

pub mod postgres;
mod sqlite;

use automerge::ChangeHash;
use brug_shared::casedoc::CaseDoc;
use brug_shared::store::Saved;
use uuid::Uuid;

use crate::db::{AuditEntry, DbError, Device, User};
use brug_shared::model::Role;

/// What a [`CaseStore::merge_save`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored {
    /// How the document was written.
    pub saved: Saved,
    /// The case's new place in the feed; `None` when nothing changed.
    pub seq: Option<i64>,
}

/// One row of the change feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct FeedEntry {
    /// The case's sequence number: the last stored change to it.
    pub seq: i64,
    /// The case.
    pub id: Uuid,
}

/// Case documents and the change feed, on either backend. Blocking: call it
/// from a blocking task, as the server does with SQLite.
pub trait CaseStore: Send + Sync {
    /// "sqlite" or "postgres", for logs and benchmarks.
    fn backend(&self) -> &'static str;

    /// Merges what is stored of `doc`'s case into `doc`, stores the result
    /// and bumps the case in the feed, in one transaction; for a new case
    /// also records `by`'s team as the case's team and gives `by` access.
    /// Afterwards `doc` holds both sides. Concurrent calls for one case
    /// (from any server) are applied one after the other: none is lost.
    fn merge_save(&self, doc: &mut CaseDoc, by: &User) -> Result<Stored, DbError>;

    /// The stored case, snapshot and chunks loaded.
    fn load(&self, id: Uuid) -> Result<Option<CaseDoc>, DbError>;

    /// The stored heads of a case.
    fn heads(&self, id: Uuid) -> Result<Option<Vec<ChangeHash>>, DbError>;

    /// The highest sequence number in the feed (0 when empty).
    fn current_seq(&self) -> Result<i64, DbError>;

    /// Cases changed after `seq`, oldest change first, at most `limit`.
    fn changed_since(&self, seq: i64, limit: usize) -> Result<Vec<FeedEntry>, DbError>;

    /// Every stored case, by id.
    fn ids(&self) -> Result<Vec<Uuid>, DbError>;
}

/// Users, devices, access, sync states and the audit log, on either
/// backend. Blocking, like [`CaseStore`].
pub trait PeopleStore: Send + Sync {
    /// Adds a user (the id is made from the name and must be new), creating
    /// the team when needed.
    fn add_user(&self, name: &str, role: Role, team: &str) -> Result<User, DbError>;

    /// One user by id.
    fn user(&self, id: &str) -> Result<Option<User>, DbError>;

    /// Registers a device with the hash of its token and its unlock secret.
    fn add_device(
        &self,
        id: &str,
        user: &str,
        name: &str,
        token_hash: &[u8],
        unlock_secret: &[u8],
    ) -> Result<(), DbError>;

    /// The device behind a token hash, with its user.
    fn device_by_token(&self, token_hash: &[u8]) -> Result<Option<(Device, User)>, DbError>;

    /// Revokes a device (the first time counts); its user, or `None` when
    /// there is no such device.
    fn revoke_device(&self, id: &str) -> Result<Option<String>, DbError>;

    /// Whether a device is revoked (an unknown one counts as revoked).
    fn device_revoked(&self, id: &str) -> Result<bool, DbError>;

    /// Records that a device synced just now.
    fn touch_device(&self, id: &str) -> Result<(), DbError>;

    /// Whether `user` may see case `id`: assigned, or a supervisor of the
    /// case's team.
    fn may_access(&self, user: &User, id: Uuid) -> Result<bool, DbError>;

    /// Every case `user` may see, with its feed number.
    fn visible_cases(&self, user: &User) -> Result<Vec<(Uuid, i64)>, DbError>;

    /// Gives `user` access to case `id` (same team, a role that holds
    /// cases); moves the case up the feed when access was new.
    fn assign(&self, id: Uuid, user: &str) -> Result<bool, DbError>;

    /// A device's persisted sync state for a case.
    fn sync_state(&self, device: &str, id: Uuid) -> Result<Option<Vec<u8>>, DbError>;

    /// Persists a device's sync state for a case.
    fn save_sync_state(&self, device: &str, id: Uuid, state: &[u8]) -> Result<(), DbError>;

    /// Writes a device's state for a case unless one is kept already.
    fn note_held(&self, device: &str, id: Uuid, state: &[u8]) -> Result<(), DbError>;

    /// Appends to the audit log.
    fn audit(
        &self,
        user: Option<&str>,
        device: Option<&str>,
        action: &str,
        cases: &[Uuid],
        detail: &str,
    ) -> Result<(), DbError>;

    /// The last `limit` audit entries, oldest first.
    fn audit_tail(&self, limit: i64) -> Result<Vec<AuditEntry>, DbError>;
}
