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
//! This trait covers cases and the feed. Users, devices, tokens, access
//! lists, sync states, enrolment codes, audit and admin events are still
//! SQLite-only (`crate::db`); see issue 18's notes for what remains.

pub mod postgres;
mod sqlite;

use automerge::ChangeHash;
use brug_shared::casedoc::CaseDoc;
use brug_shared::store::Saved;
use uuid::Uuid;

use crate::db::{DbError, User};

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
