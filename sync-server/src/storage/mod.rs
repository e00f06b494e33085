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
//! [`PeopleStore`] holds users, devices (token hashes), access, per-device
//! sync states and audit; [`SessionStore`] adds the rest of what a sync
//! session (`crate::session`) reads and writes, and is all it uses.
//! [`ServerStore`] adds enrolment, admin events, unlock codes, recovery
//! windows, the team documents, attachments, reports, the quarantine and
//! erasure, so every route and the background jobs (report projection,
//! retention, attachment clean-up) work on either backend ([`Backend`] is
//! what the running server holds). Backups and import are still
//! SQLite-only (`crate::db`); see issue 18's notes.

pub mod postgres;
mod sqlite;

use automerge::ChangeHash;
use brug_shared::casedoc::CaseDoc;
use brug_shared::store::Saved;
use uuid::Uuid;

use crate::db::{
    AdminEvent, AuditEntry, Catchup, ChunkOutcome, CodeRefusal, Db, DbError, Device, User,
};
use brug_shared::model::Role;
use brug_shared::model::{AttachmentLimits, BlobHash};
use brug_shared::protocol::JoinedDevice;
use brug_shared::protocol::blobs::BlobStatus;
use brug_shared::protocol::quarantine::Entry;
use brug_shared::report::{Plan, Query, Report};

use crate::docs::DocCache;
use crate::erase::{EraseRequest, Erased};
use crate::import::NewCase;
use crate::quarantine::QuarantineError;

/// Who may see a case: the users it is assigned to (its creator first)
/// and the supervisors of its team.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Audience {
    /// The case's team; `None` when there is no such case.
    pub team: Option<String>,
    /// The users it is assigned to explicitly.
    pub assigned: std::collections::HashSet<String>,
}

impl Audience {
    /// Whether `user` may see the case: exactly [`PeopleStore::may_access`].
    pub fn admits(&self, user: &User) -> bool {
        self.assigned.contains(&user.id)
            || (user.role == Role::Supervisor && self.team.as_deref() == Some(user.team.as_str()))
    }
}

/// What a [`CaseStore::merge_save`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored {
    /// How the document was written.
    pub saved: Saved,
    /// The case's new place in the feed; `None` when nothing changed.
    pub seq: Option<i64>,
}

/// A stored case as its bytes (snapshot, then chunks), read in one
/// snapshot of the database together with its heads and generation: what a
/// device that holds nothing of the case is sent as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBytes {
    /// The case's generation.
    pub generation: u64,
    /// Its heads.
    pub heads: Vec<ChangeHash>,
    /// Its snapshot followed by its chunks: `load_incremental` reads them
    /// as one.
    pub bytes: Vec<u8>,
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

    /// Whether other servers may write to this store (then a cached copy
    /// of a case must be checked against the stored heads before use).
    fn shared_with_other_servers(&self) -> bool {
        false
    }

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

    /// The stored case as bytes with its heads and generation, all from
    /// one snapshot of the database; `None` when there is no such case.
    /// Nothing is loaded or compressed.
    fn stored_bytes(&self, id: Uuid) -> Result<Option<StoredBytes>, DbError>;

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

    /// Who may see case `id` (what [`PeopleStore::may_access`] decides,
    /// for every user at once).
    fn audience(&self, id: Uuid) -> Result<Audience, DbError>;

    /// Every case `user` may see, with its feed number.
    fn visible_cases(&self, user: &User) -> Result<Vec<(Uuid, i64)>, DbError>;

    /// Gives `user` access to case `id` (same team, a role that holds
    /// cases); moves the case up the feed when access was new.
    fn assign(&self, id: Uuid, user: &str) -> Result<bool, DbError>;

    /// Takes case `id` away from `user`; moves the case up the feed when
    /// access was taken, so the user's devices purge it at their next sync.
    fn unassign(&self, id: Uuid, user: &str) -> Result<bool, DbError>;

    /// Every user, by id.
    fn users(&self) -> Result<Vec<User>, DbError>;

    /// The users assigned to a case, explicitly.
    fn assignees(&self, id: Uuid) -> Result<Vec<String>, DbError>;

    /// A device's persisted sync state for a case.
    fn sync_state(&self, device: &str, id: Uuid) -> Result<Option<Vec<u8>>, DbError>;

    /// Persists a device's sync state for a case.
    fn save_sync_state(&self, device: &str, id: Uuid, state: &[u8]) -> Result<(), DbError>;

    /// Writes a device's state for a case unless one is kept already.
    fn note_held(&self, device: &str, id: Uuid, state: &[u8]) -> Result<(), DbError>;

    /// The devices, of one user or of everyone, oldest first.
    fn devices(&self, user: Option<&str>) -> Result<Vec<Device>, DbError>;

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

/// One sync message's commit: the case with the device's changes, and
/// what is written with it in the same transaction.
#[derive(Debug)]
pub struct SyncCommit<'a> {
    /// The case, the changes applied and checked.
    pub doc: &'a mut CaseDoc,
    /// Whose device sent them.
    pub by: &'a User,
    /// Whether the case is new on the server.
    pub is_new: bool,
    /// The sending device.
    pub device: &'a str,
    /// Its sync state for the case after the message.
    pub state: &'a [u8],
    /// Audit entries the policy asked for (action, detail).
    pub audit: &'a [(String, String)],
}

/// Everything a sync session reads and writes.
pub trait SessionStore: CaseStore + PeopleStore {
    /// What a device must sync and purge at hello (from its list of held
    /// cases, or without one from its cursor and the sync states kept for
    /// it), and the user's devices enrolled since this one last synced.
    fn hello(
        &self,
        user: &User,
        device: &Device,
        cursor: i64,
        held: Option<&[Uuid]>,
    ) -> Result<(Catchup, Vec<JoinedDevice>), DbError>;

    /// What changed for a device since `cursor` (a session whose live
    /// notices fell behind).
    fn catchup_since(&self, user: &User, device: &str, cursor: i64) -> Result<Catchup, DbError>;

    /// The generation of a stored case; `None` when there is no such case.
    fn doc_generation(&self, id: Uuid) -> Result<Option<u64>, DbError>;

    /// Whether a recovery window is open at `now` (ms).
    fn recovery_open(&self, now: i64) -> Result<bool, DbError>;

    /// The role of `author` when a change of `device` may be relayed for
    /// case `case` during a recovery window.
    fn relay_author(&self, device: Uuid, author: &str, case: Uuid)
    -> Result<Option<Role>, DbError>;

    /// Stores a sync message's changes: the case, its place in the feed,
    /// its photos' references, the device's sync state and the audit
    /// entries, in one transaction, durable when this returns.
    fn commit_sync(&self, commit: SyncCommit<'_>) -> Result<(), DbError>;
}

/// The audit detail of an unlock code used (both backends).
pub(crate) const UNLOCKED: &str = "unlock secret handed back for a one-time code";

/// A device an enrolment code is traded for.
#[derive(Debug, Clone, Copy)]
pub struct NewDevice<'a> {
    /// Its new id.
    pub id: &'a str,
    /// The name its user gave it.
    pub name: &'a str,
    /// The hash of its token (the token itself is never stored).
    pub token_hash: &'a [u8],
    /// The secret that unlocks its store after too many wrong PINs.
    pub unlock_secret: &'a [u8],
}

/// Everything the running server's routes that work on both backends use:
/// the sync session, enrolment and the case count for `/metrics`.
pub trait ServerStore: SessionStore {
    /// Keeps a one-time enrolment code (its hash) for `user` until
    /// `expires_at` (ms).
    fn add_enrol_code(&self, code_hash: &[u8], user: &str, expires_at: i64) -> Result<(), DbError>;

    /// Trades a valid code for a new device of its user, in one
    /// transaction with the audit entry: the user, or why the code was
    /// refused (then nothing changed). Two devices racing for one code:
    /// one gets it.
    fn enrol_device(
        &self,
        code_hash: &[u8],
        now: i64,
        device: &NewDevice<'_>,
    ) -> Result<Result<User, CodeRefusal>, DbError>;

    /// How many cases are stored.
    fn case_count(&self) -> Result<i64, DbError>;

    /// Tells every server's live sessions of an administrator's action
    /// (revocation, (un)assignment, erasure): appended to the admin events
    /// each server reads.
    fn push_admin_event(&self, event: &AdminEvent) -> Result<(), DbError>;

    /// The newest admin event's number (0 when none).
    fn last_admin_event(&self) -> Result<i64, DbError>;

    /// Admin events after `seq`, oldest first, with their numbers.
    fn admin_events_since(&self, seq: i64) -> Result<Vec<(i64, AdminEvent)>, DbError>;

    /// Keeps a new unlock code (its hash, valid a day) for `device`;
    /// `false` when the device does not exist, is revoked or has no
    /// unlock secret.
    fn add_unlock_code(&self, device: &str, code_hash: &[u8]) -> Result<bool, DbError>;

    /// Uses an unlock code of `device` once and audits it, in one
    /// transaction: the device's unlock secret, or `None` (the same for
    /// every refusal: unknown, used, expired, another device's, revoked).
    fn unlock_device(
        &self,
        device: &str,
        code_hash: &[u8],
        now: i64,
    ) -> Result<Option<Vec<u8>>, DbError>;

    /// Opens a recovery window of `hours` (1 to 168) for a reason, by an
    /// administrator, and audits it; when it ends (ms).
    fn open_recovery(&self, hours: u32, by: &str, reason: &str) -> Result<i64, DbError>;

    /// Closes every open recovery window now and audits it; how many.
    fn close_recovery(&self) -> Result<usize, DbError>;

    /// Assigns a case to a user or takes it away, tells every server's
    /// live sessions and writes the audit log, in one transaction (as the
    /// command line and a supervisor's team route do); whether anything
    /// changed.
    fn set_assignment(&self, change: &Assignment<'_>) -> Result<bool, DbError>;

    /// A team's shared document of kind `kind` (`TeamEntry::NAME`: the
    /// catalogue or the activities) as saved, if the team has its own.
    fn team_doc(&self, kind: &'static str, team: &str) -> Result<Option<Vec<u8>>, DbError>;

    /// Changes a team's document with one writer at a time for that team
    /// and kind (across servers): `update` gets what is stored and a way
    /// to look up a case's team, and returns what to store with the audit
    /// detail, or `None` to store nothing. Stored, with the audit entry
    /// (`by`: user and device) and, for a `reported` kind, the team's
    /// report projection marked out of date, in one transaction.
    fn update_team_doc(&self, change: TeamDocChange<'_>) -> Result<(), DbError>;

    /// For each attachment: unknown to `user` (no case of theirs refers to
    /// it, whether it exists or not), held whole, partly received, or
    /// missing.
    fn blob_status(&self, user: &User, hashes: Vec<BlobHash>) -> Result<BlobStatus, DbError>;

    /// Stores one chunk of an upload (one writer per attachment across
    /// servers); a whole attachment is checked against its hash and
    /// audited, in the same transaction.
    fn put_blob_chunk(&self, chunk: &BlobChunk<'_>) -> Result<ChunkStored, DbError>;

    /// Removes attachments no case has referenced for `grace_ms`, and
    /// uploads untouched for as long; how many attachments went.
    fn collect_orphans(&self, now: i64, grace_ms: i64) -> Result<usize, DbError>;

    /// Keeps a device's unsynced work on a case it lost (checked for size
    /// and the device's count of waiting entries), with the audit entry;
    /// the entry's number (0: the case was erased whole, nothing kept).
    fn hand_over(
        &self,
        device: &Device,
        user: &User,
        case: Uuid,
        changes: &[u8],
    ) -> Result<i64, QuarantineError>;

    /// The quarantine of a supervisor's team, undecided first.
    fn quarantine(&self, supervisor: &User) -> Result<Vec<Entry>, QuarantineError>;

    /// Merges quarantine entry `id` into its case (checked by the policy
    /// as the work of the user and device that made it; the case created
    /// when it never reached the server) or discards it, and audits the
    /// decision. The entry as decided and, when the merge changed the
    /// case, its id (for live push). `cache` is the server's document
    /// cache, kept right.
    fn decide(
        &self,
        cache: &DocCache,
        supervisor: &User,
        supervisor_device: &str,
        id: i64,
        merge: bool,
    ) -> Result<(Entry, Option<Uuid>), QuarantineError>;

    /// Carries out an erasure by `by` (checked by [`crate::erase::erase`]):
    /// a new generation without the erased part, or the whole case gone,
    /// in one transaction with everything docs/gdpr.md lists.
    fn erase_case(
        &self,
        request: &EraseRequest,
        by: &User,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Erased, DbError>;

    /// Stores the cases an import made, each new one created by `by` and
    /// assigned to its other users, in one transaction with the audit
    /// entry (`detail` gets how many were there already). Returns the
    /// cases that were there already (made meanwhile): skipped.
    fn import_cases(
        &self,
        cases: &mut [NewCase],
        by: &User,
        detail: &dyn Fn(usize) -> String,
    ) -> Result<Vec<Uuid>, DbError>;

    /// Deletes the audit entries written before `before_ms`; how many.
    fn prune_audit(&self, before_ms: i64) -> Result<usize, DbError>;

    /// Runs `job` unless another server on the same database is running a
    /// job of that name (then `false`, nothing run).
    fn run_alone(
        &self,
        name: &str,
        job: &mut dyn FnMut() -> Result<(), DbError>,
    ) -> Result<bool, DbError>;

    /// Brings the report projection closer to what is stored: projects up
    /// to `limit` of the sources marked out of date, reading each beside
    /// the writers; how many it looked at (0: nothing is out of date).
    fn project_reports(&self, limit: i64) -> Result<usize, DbError>;

    /// A report on the plan: the projection first catches up with every
    /// change stored before, then the plan's indicators are counted over
    /// it (counts and sums only).
    fn report(&self, plan: &Plan, query: &Query) -> Result<Report, DbError>;

    /// Up to `len` bytes of an attachment from `offset`, with its size;
    /// `None` when `user` may not see it or it is not held whole.
    fn read_blob(
        &self,
        user: &User,
        hash: &BlobHash,
        offset: u64,
        len: u64,
    ) -> Result<Option<(u64, Vec<u8>)>, DbError>;
}

/// One chunk of an attachment upload.
#[derive(Debug, Clone, Copy)]
pub struct BlobChunk<'a> {
    /// Whose device sends it.
    pub user: &'a User,
    /// The device.
    pub device: &'a str,
    /// The whole attachment's hash.
    pub hash: &'a BlobHash,
    /// Where the chunk goes.
    pub offset: u64,
    /// The whole attachment's size.
    pub total: u64,
    /// The chunk.
    pub bytes: &'a [u8],
    /// Midnight (UTC, ms) of the day the device's limit counts.
    pub day_start: i64,
    /// The case's and the device's day's limits.
    pub limits: &'a AttachmentLimits,
}

/// What became of a chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkStored {
    /// No case of the user refers to the attachment: nothing stored.
    NotVisible,
    /// A new upload over the case's (`"case"`) or the device's day's
    /// (`"device-day"`) limit: nothing stored.
    OverQuota(&'static str),
    /// Taken (or refused for its place or hash, as the outcome says).
    Stored(ChunkOutcome),
}

/// What [`ServerStore::set_assignment`] changes.
#[derive(Debug, Clone, Copy)]
pub struct Assignment<'a> {
    /// The case.
    pub case: Uuid,
    /// The user who gets or loses it.
    pub user: &'a str,
    /// Given (`true`) or taken away.
    pub assign: bool,
    /// Who did it, for the audit log ("by admin", "by sofie (device …)").
    pub note: &'a str,
}

/// A lookup of a case's team, inside a team document's transaction.
pub type CaseTeam<'a> = dyn Fn(Uuid) -> Result<Option<String>, DbError> + 'a;

/// What [`ServerStore::update_team_doc`] changes.
#[allow(missing_debug_implementations)] // holds a closure
pub struct TeamDocChange<'a> {
    /// The kind (`TeamEntry::NAME`).
    pub kind: &'static str,
    /// Whether the kind counts in reports (`TeamEntry::REPORTED`).
    pub reported: bool,
    /// The team.
    pub team: &'a str,
    /// Who changes it: user and device.
    pub by: (&'a str, &'a str),
    /// The change: the stored document in, what to store and the audit
    /// detail out.
    #[allow(clippy::type_complexity)]
    pub update: &'a mut dyn FnMut(
        Option<Vec<u8>>,
        &CaseTeam<'_>,
    ) -> Result<Option<(Vec<u8>, String)>, DbError>,
}

/// The store a running server works on.
#[derive(Debug, Clone)]
pub enum Backend {
    /// The embedded SQLite database in the data folder (the default).
    Sqlite(Db),
    /// A PostgreSQL database, possibly shared with other servers.
    Postgres(postgres::PgDb),
}

impl Backend {
    /// The store behind it.
    pub fn store(&self) -> &dyn ServerStore {
        match self {
            Self::Sqlite(db) => db,
            Self::Postgres(pg) => pg,
        }
    }

    /// The SQLite database, for the routes and jobs that only exist there.
    pub fn sqlite(&self) -> Option<&Db> {
        match self {
            Self::Sqlite(db) => Some(db),
            Self::Postgres(_) => None,
        }
    }

    /// Runs `f` with the store on a blocking thread (both backends block;
    /// PostgreSQL's client must not run on the async workers at all).
    pub async fn with<R, F>(&self, f: F) -> Result<R, DbError>
    where
        R: Send + 'static,
        F: FnOnce(&dyn ServerStore) -> Result<R, DbError> + Send + 'static,
    {
        let backend = self.clone();
        tokio::task::spawn_blocking(move || f(backend.store()))
            .await
            .map_err(|e| DbError::Invalid(format!("database task failed: {e}")))?
    }
}
