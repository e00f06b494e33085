//! The device core: everything the field app does except drawing it.
//! The Dioxus screens and `brug-cli` both call this, never SQLite or
//! automerge directly.

use std::path::{Path, PathBuf};

use brug_shared::casedoc::{
    CaseDoc, Conflict, Editor, FieldChange, HistoryEntry, ReviewAction, Target,
};
use brug_shared::model::{Case, Household, Record, RecordKind, Role};
use brug_shared::protocol::enrol::{EnrolUrl, EnrolUrlError};
use brug_shared::protocol::{JoinedDevice, quarantine, team};
use brug_shared::rules::{self, Finding, RuleContext, Thresholds};
use brug_shared::{policy, store};
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::index::{self, CaseQuery, IndexRow};
use crate::keys::{self, KeyError};
use crate::local::{self, DB_FILE, LocalError, LocalStore};
use crate::net::{self, Endpoint, NetError, SyncConnection};
use crate::sync::{self as session, Progress, Report, StoreFault, SyncError, SyncStore};

/// Days without a successful sync after which case data locks.
pub const DEFAULT_LEASE_DAYS: i64 = 14;

/// Why a device operation failed. Every message says what happened and
/// what to do, in Dutch and English.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    /// The key could not be had (wrong PIN, wait, not enrolled).
    #[error("{0}")]
    Key(#[from] KeyError),
    /// The local store failed.
    #[error("{0}")]
    Local(#[from] LocalError),
    /// The enrolment URL is not usable.
    #[error("{0}")]
    EnrolUrl(#[from] EnrolUrlError),
    /// The network or server failed.
    #[error("{0}")]
    Net(#[from] NetError),
    /// The sync session failed.
    #[error("{0}")]
    Sync(SyncError),
    /// A case document failed.
    #[error("{0}")]
    Doc(#[from] brug_shared::casedoc::CaseDocError),
    /// Already enrolled here.
    #[error(
        "dit toestel is al ingeschreven in {0}; kies een andere map / this device is already enrolled in {0}; choose another folder"
    )]
    AlreadyEnrolled(PathBuf),
    /// The server revoked this device; its data was wiped, after its
    /// unsynced work was handed to the supervisor where that could be done.
    #[error(
        "dit toestel werd ingetrokken en de gegevens werden gewist; niet-gesynchroniseerd werk van {handed_over} dossier(s) werd eerst aan de teamverantwoordelijke bezorgd{}; vraag een nieuwe inschrijving / this device was revoked and its data wiped; unsynced work of {handed_over} case(s) was first handed to the supervisor{}; ask for a new enrolment",
        if *kept_back > 0 { format!(", dat van {kept_back} dossier(s) kon niet meer bezorgd worden") } else { String::new() },
        if *kept_back > 0 { format!(", that of {kept_back} case(s) could not be delivered") } else { String::new() }
    )]
    Revoked {
        /// Cases whose unsynced work reached the quarantine first.
        handed_over: usize,
        /// Cases whose unsynced work could not be delivered before the wipe.
        kept_back: usize,
    },
    /// The offline lease ran out.
    #[error(
        "de dossiers zijn vergrendeld: al {days} dagen niet gesynchroniseerd; synchroniseer eerst / cases are locked: not synced for {days} days; sync first"
    )]
    LeaseExpired {
        /// Days since the last successful sync.
        days: i64,
    },
    /// No such case on this device.
    #[error("dossier {0} staat niet op dit toestel / case {0} is not on this device")]
    NoSuchCase(Uuid),
    /// No such record in the case.
    #[error("record {0} bestaat niet in dit dossier / record {0} is not in this case")]
    NoSuchRecord(String),
    /// Rules refused the change; nothing was saved.
    #[error("{}", refused_text(.0))]
    Refused(Vec<Finding>),
    /// Input that does not fit.
    #[error("ongeldige invoer / invalid input: {0}")]
    BadInput(String),
    /// The user's role may not do this.
    #[error("alleen een teamverantwoordelijke mag dit / only a supervisor may do this")]
    NotAllowed,
    /// The policy forbids this change for this user; nothing was saved.
    #[error("niet bewaard / not saved: {0}")]
    Policy(#[from] policy::Refusal),
    /// The role stored at enrolment is not one this version knows.
    #[error(
        "onbekende rol '{0}' in de instellingen van dit toestel; schrijf het opnieuw in / unknown role '{0}' in this device's settings; enrol it again"
    )]
    UnknownRole(String),
}

fn refused_text(findings: &[Finding]) -> String {
    let lines: Vec<String> = findings
        .iter()
        .filter(|f| f.severity == rules::Severity::Error)
        .map(|f| format!("{} [{}] {} / {}", f.field, f.code, f.nl, f.en))
        .collect();
    format!("niet bewaard / not saved:\n  {}", lines.join("\n  "))
}

/// Who this device is enrolled for, and where its server is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeviceInfo {
    /// The device id.
    pub device_id: Uuid,
    /// The user id.
    pub user: String,
    /// The user's name.
    pub user_name: String,
    /// The user's role.
    pub role: String,
    /// The user's team.
    pub team: String,
    /// The server's base URL.
    pub server: String,
    /// The pinned certificate fingerprint.
    pub fingerprint: String,
}

/// The offline lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Lease {
    /// Days allowed without a sync.
    pub days: i64,
    /// Days since the last successful sync.
    pub since_sync_days: i64,
    /// Whether case data is locked.
    pub locked: bool,
}

/// What `status` shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Status {
    /// Enrolment.
    pub device: DeviceInfo,
    /// Cases held.
    pub cases: i64,
    /// Cases with changes not yet on the server.
    pub pending: i64,
    /// Last successful sync.
    pub last_sync: Option<DateTime<Utc>>,
    /// The last sync error, in plain words.
    pub last_error: Option<String>,
    /// The offline lease.
    pub lease: Lease,
    /// Other devices enrolled for this user that the server told about.
    pub joined: Vec<JoinedDevice>,
}

/// A case as `case show` prints it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseView {
    /// The case with every record and review state.
    pub case: Case,
    /// Its flags.
    pub flags: Vec<String>,
    /// Conflicting fields with each value, who wrote it and when.
    pub conflicts: Vec<Conflict>,
    /// The indicative housing verdict per renovation advice.
    pub verdicts: Vec<(Uuid, String)>,
}

/// The supervisor's line to the server's team routes: members, assigning
/// cases, enrolment codes for a member's new device. Needs a connection;
/// cheap to clone and to move into a background task.
#[derive(Debug, Clone)]
pub struct TeamLink {
    endpoint: Endpoint,
    token: String,
}

impl TeamLink {
    /// The team, and who is assigned to `case`.
    pub async fn team(&self, case: Option<Uuid>) -> Result<team::Team, DeviceError> {
        let req = team::MembersRequest { case };
        Ok(net::team_request(&self.endpoint, &self.token, "/v1/team/members", &req).await?)
    }

    /// Gives `case` to `user` (or takes it away); returns the team with the
    /// case's assignees after the change.
    pub async fn assign(
        &self,
        case: Uuid,
        user: &str,
        assign: bool,
    ) -> Result<team::Team, DeviceError> {
        let req = team::AssignRequest {
            case,
            user: user.to_owned(),
            assign,
        };
        Ok(net::team_request(&self.endpoint, &self.token, "/v1/team/assign", &req).await?)
    }

    /// Unsynced work handed over by devices that lost a case, of this
    /// supervisor's team, undecided first.
    pub async fn quarantine(&self) -> Result<Vec<quarantine::Entry>, DeviceError> {
        Ok(net::team_request(
            &self.endpoint,
            &self.token,
            "/v1/team/quarantine",
            &serde_json::json!({}),
        )
        .await?)
    }

    /// Merges quarantine entry `id` into its case (`merge`), or discards it.
    pub async fn decide(&self, id: i64, merge: bool) -> Result<quarantine::Entry, DeviceError> {
        let req = quarantine::Decide { id, merge };
        Ok(net::team_request(
            &self.endpoint,
            &self.token,
            "/v1/team/quarantine/decide",
            &req,
        )
        .await?)
    }

    /// A one-time enrolment code for a new device of `user`.
    pub async fn enrol_code(&self, user: &str) -> Result<team::EnrolCode, DeviceError> {
        let req = team::EnrolCodeRequest {
            user: user.to_owned(),
        };
        Ok(net::team_request(&self.endpoint, &self.token, "/v1/team/enrol-code", &req).await?)
    }
}

/// An enrolled, unlocked device.
#[derive(Debug)]
pub struct Device {
    store: LocalStore,
    key: keys::DbKey,
    info: DeviceInfo,
    thresholds: Thresholds,
    now: fn() -> DateTime<Utc>,
}

fn setting(store: &LocalStore, key: &str) -> Result<String, DeviceError> {
    store.setting(key)?.ok_or_else(|| {
        DeviceError::BadInput(format!(
            "instelling {key} ontbreekt / setting {key} missing"
        ))
    })
}

impl Device {
    /// Enrols this home with a `brug://enrol?...` URL: trades the code for a
    /// token over a connection pinned to the URL's fingerprint, then makes
    /// the encrypted store, its key wrapped by `pin`. Nothing is written
    /// unless the server accepted the code.
    pub async fn enrol(
        home: &Path,
        url: &str,
        pin: &str,
        device_name: &str,
    ) -> Result<Self, DeviceError> {
        if keys::exists(home) {
            return Err(DeviceError::AlreadyEnrolled(home.to_owned()));
        }
        if pin.chars().count() < 4 {
            return Err(KeyError::WeakPin.into());
        }
        let url = EnrolUrl::parse(url)?;
        let resp = net::enrol(&url, device_name).await?;
        std::fs::create_dir_all(home).map_err(|e| KeyError::Io(home.to_owned(), e))?;
        let made = (|| -> Result<Self, DeviceError> {
            let key = keys::create(home, pin)?;
            let mut store = LocalStore::open(home, &key)?;
            let key_kept = key.clone();
            let device_id = Uuid::parse_str(&resp.device_id)
                .map_err(|e| DeviceError::BadInput(e.to_string()))?;
            let tx = store.transaction()?;
            for (k, v) in [
                ("device_id", resp.device_id.as_str()),
                ("user", resp.user.as_str()),
                ("user_name", resp.user_name.as_str()),
                ("role", resp.role.as_str()),
                ("team", resp.team.as_str()),
                ("server", url.server.as_str()),
                ("fingerprint", url.fingerprint.as_str()),
                ("token", resp.token.as_str()),
                ("cursor", "0"),
            ] {
                local::set_setting(&tx, k, v)?;
            }
            local::set_setting(
                &tx,
                "last_sync_ms",
                &Utc::now().timestamp_millis().to_string(),
            )?;
            tx.commit().map_err(LocalError::from)?;
            let info = DeviceInfo {
                device_id,
                user: resp.user.clone(),
                user_name: resp.user_name.clone(),
                role: resp.role.clone(),
                team: resp.team.clone(),
                server: url.server.clone(),
                fingerprint: url.fingerprint.clone(),
            };
            Ok(Self {
                store,
                key: key_kept,
                info,
                thresholds: Thresholds::default(),
                now: Utc::now,
            })
        })();
        if made.is_err() {
            wipe_files(home);
        }
        made
    }

    /// Opens the enrolled device in `home` with the worker's PIN.
    pub fn open(home: &Path, pin: &str) -> Result<Self, DeviceError> {
        let key = keys::unlock(home, pin, Utc::now().timestamp_millis())?;
        let store = LocalStore::open(home, &key)?;
        let info = DeviceInfo {
            device_id: Uuid::parse_str(&setting(&store, "device_id")?)
                .map_err(|e| DeviceError::BadInput(e.to_string()))?,
            user: setting(&store, "user")?,
            user_name: setting(&store, "user_name")?,
            role: setting(&store, "role")?,
            team: setting(&store, "team")?,
            server: setting(&store, "server")?,
            fingerprint: setting(&store, "fingerprint")?,
        };
        Ok(Self {
            store,
            key,
            info,
            thresholds: Thresholds::default(),
            now: Utc::now,
        })
    }

    /// A second handle on the same store (its own SQLite connection), for
    /// a sync running beside the screens. Edits on both are kept: a save
    /// over a case the other handle changed meanwhile merges first.
    pub fn handle(&self) -> Result<Self, DeviceError> {
        Ok(Self {
            store: LocalStore::open(self.store.home(), &self.key)?,
            key: self.key.clone(),
            info: self.info.clone(),
            thresholds: self.thresholds.clone(),
            now: self.now,
        })
    }

    /// The line to the server's team routes. The server answers only a
    /// supervisor, for the supervisor's own team.
    pub fn team_link(&self) -> Result<TeamLink, DeviceError> {
        Ok(TeamLink {
            endpoint: Endpoint::new(&self.info.server, &self.info.fingerprint)?,
            token: setting(&self.store, "token")?,
        })
    }

    /// The case as the rules see it now (for live checks in a form).
    pub fn rule_context(&self) -> RuleContext {
        self.ctx()
    }

    /// The draft saved under `key`, if any.
    pub fn draft(&self, key: &str) -> Result<Option<serde_json::Value>, DeviceError> {
        let body: Option<String> = self
            .store
            .conn()
            .query_row("SELECT body FROM drafts WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .map(Some)
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                e => Err(LocalError::from(e)),
            })?;
        Ok(body.and_then(|b| serde_json::from_str(&b).ok()))
    }

    /// Saves a form's draft under `key` (as the worker types).
    pub fn save_draft(&self, key: &str, body: &serde_json::Value) -> Result<(), DeviceError> {
        self.store
            .conn()
            .execute(
                "INSERT INTO drafts (key, body, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (key) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
                rusqlite::params![key, body.to_string(), self.now_ms()],
            )
            .map_err(LocalError::from)?;
        Ok(())
    }

    /// Throws a draft away (after saving the record, or on request).
    pub fn drop_draft(&self, key: &str) -> Result<(), DeviceError> {
        self.store
            .conn()
            .execute("DELETE FROM drafts WHERE key = ?1", [key])
            .map_err(LocalError::from)?;
        Ok(())
    }

    /// Keys of every saved draft.
    pub fn drafts(&self) -> Result<Vec<String>, DeviceError> {
        let mut stmt = self
            .store
            .conn()
            .prepare("SELECT key FROM drafts ORDER BY updated_at DESC")
            .map_err(LocalError::from)?;
        let keys = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(LocalError::from)?
            .filter_map(|r| r.ok())
            .collect();
        Ok(keys)
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

    fn now_ms(&self) -> i64 {
        (self.now)().timestamp_millis()
    }

    fn ctx(&self) -> RuleContext {
        let local = (self.now)().with_timezone(&chrono::Local).naive_local();
        RuleContext {
            now: local,
            thresholds: self.thresholds.clone(),
        }
    }

    fn editor(&self) -> Editor {
        Editor {
            user: self.info.user.clone(),
            device: self.info.device_id,
        }
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

    fn guard(&self) -> Result<(), DeviceError> {
        let lease = self.lease()?;
        if lease.locked {
            return Err(DeviceError::LeaseExpired {
                days: lease.since_sync_days,
            });
        }
        Ok(())
    }

    /// Enrolment, last sync, pending changes, lease.
    pub fn status(&self) -> Result<Status, DeviceError> {
        let last = self
            .store
            .setting("last_sync_done_ms")?
            .and_then(|d| d.parse::<i64>().ok());
        let cases: i64 = self
            .store
            .conn()
            .query_row("SELECT COUNT(*) FROM case_index", [], |r| r.get(0))
            .map_err(LocalError::from)?;
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

    fn remember_joined(&mut self, new: &[JoinedDevice]) -> Result<(), DeviceError> {
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

    fn load(&self, id: Uuid) -> Result<CaseDoc, DeviceError> {
        let mut doc = self.store.load(id)?.ok_or(DeviceError::NoSuchCase(id))?;
        doc.set_editor(&self.editor());
        doc.set_clock(self.now);
        Ok(doc)
    }

    /// Saves a case, its index row and its pending mark in one transaction.
    /// The transaction takes the write lock before anything is read, and
    /// whatever another handle (a sync running beside the screens) saved
    /// meanwhile is merged in under that lock: both are kept, as in any
    /// sync, and the save cannot fail because something else saved.
    fn persist(&mut self, doc: &mut CaseDoc, new: bool) -> Result<(), DeviceError> {
        let ctx = self.ctx();
        let now = self.now_ms();
        let role = self.role()?;
        let sender = policy::Sender {
            user: &self.info.user,
            role,
            device: self.info.device_id,
        };
        let tx = self.store.transaction()?;
        let before = store::merge_stored(&tx, doc).map_err(LocalError::from)?;
        // The server would refuse what the policy forbids; say so now.
        policy::check(doc, &before, sender, now, None, &|_| None)?;
        store::save_in(&tx, doc).map_err(LocalError::from)?;
        let row = index::index_row(doc, &ctx, now)?;
        local::put_index(&tx, &row)?;
        local::mark_pending(&tx, doc.id(), new)?;
        tx.commit().map_err(LocalError::from)?;
        Ok(())
    }

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

    /// Lists cases from the index.
    pub fn list(&self, query: &CaseQuery) -> Result<Vec<IndexRow>, DeviceError> {
        self.guard()?;
        Ok(index::search(self.store.conn(), query)?)
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
            case,
            flags: row.flags,
            verdicts,
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

    /// Saves a whole record edited in a form: only the fields that differ
    /// between `base` (the record when the form opened) and `edited` are
    /// written over the record as it stands now, after the rules allow the
    /// result. The review state is never taken from the form; editing an
    /// approved record sends it back to submitted.
    pub fn update_record(
        &mut self,
        case_id: Uuid,
        record_id: Uuid,
        base: &serde_json::Value,
        edited: &serde_json::Value,
    ) -> Result<Vec<Finding>, DeviceError> {
        self.guard()?;
        let mut doc = self.load(case_id)?;
        let case = doc.case()?;
        let kind = index::kind_of(&case, record_id)
            .ok_or_else(|| DeviceError::NoSuchRecord(record_id.to_string()))?;
        let before = doc
            .record(kind, record_id)?
            .ok_or_else(|| DeviceError::NoSuchRecord(record_id.to_string()))?;
        let current = before.to_json();
        let mut merged = crate::edit::apply_edits(base, edited, &current);
        if let (Some(obj), Some(review)) = (merged.as_object_mut(), current.get("review")) {
            obj.insert("review".into(), review.clone());
        }
        let record =
            Record::from_json(kind, merged).map_err(|e| DeviceError::BadInput(e.to_string()))?;
        let findings = rules::check_record(&case, record_id, &record, Some(&before), &self.ctx());
        if rules::blocks(&findings) {
            return Err(DeviceError::Refused(findings));
        }
        doc.update_record(record_id, &record, &format!("{} edited", kind.code()))?;
        self.persist(&mut doc, false)?;
        Ok(findings)
    }

    /// Saves the household fields edited in a form, like [`Self::update_record`].
    pub fn update_household(
        &mut self,
        case_id: Uuid,
        base: &serde_json::Value,
        edited: &serde_json::Value,
    ) -> Result<Vec<Finding>, DeviceError> {
        self.guard()?;
        let mut doc = self.load(case_id)?;
        let case = doc.case()?;
        let current = serde_json::to_value(&case.household)
            .map_err(|e| DeviceError::BadInput(e.to_string()))?;
        let merged = crate::edit::apply_edits(base, edited, &current);
        let household: Household =
            serde_json::from_value(merged).map_err(|e| DeviceError::BadInput(e.to_string()))?;
        let findings = rules::check_household(&household, Some(case.household.status), &self.ctx());
        if rules::blocks(&findings) {
            return Err(DeviceError::Refused(findings));
        }
        doc.update_household(&household, "household edited")?;
        self.persist(&mut doc, false)?;
        Ok(findings)
    }

    fn target(case: &Case, record: &str) -> Result<Target, DeviceError> {
        if record == "household" {
            return Ok(Target::Household);
        }
        let id = Uuid::parse_str(record).map_err(|_| DeviceError::NoSuchRecord(record.into()))?;
        let kind =
            index::kind_of(case, id).ok_or_else(|| DeviceError::NoSuchRecord(record.into()))?;
        Ok(Target::Record(kind, id))
    }

    /// Changes one field (`record` is a record id or `household`) after the
    /// rules allow the result. Editing an approved record sends it back to
    /// submitted.
    pub fn set_field(
        &mut self,
        case_id: Uuid,
        record: &str,
        field: &str,
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
            return Err(DeviceError::BadInput("het gezin zelf kan niet verwijderd worden / the household itself cannot be removed".into()));
        };
        doc.remove_record(kind, id, &format!("{} removed", kind.code()))?;
        self.persist(&mut doc, false)
    }

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
        field: &str,
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

    /// One sync session with the server. When the server says this device
    /// is revoked, the local data and key are wiped.
    pub async fn sync(
        &mut self,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<Report, DeviceError> {
        self.session(progress, false).await
    }

    /// Syncs, then stays connected until the connection ends, syncing what
    /// others change as the server announces it.
    pub async fn watch(
        &mut self,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<Report, DeviceError> {
        self.session(progress, true).await
    }

    async fn session(
        &mut self,
        progress: &mut (dyn FnMut(Progress) + Send),
        stay: bool,
    ) -> Result<Report, DeviceError> {
        let endpoint = Endpoint::new(&self.info.server, &self.info.fingerprint)?;
        let token = setting(&self.store, "token")?;
        // What a session receives can be fetched again, so its many small
        // commits need not each wait for the disk; local edits (outside a
        // session) stay fully synchronous.
        let _ = self
            .store
            .conn()
            .pragma_update(None, "synchronous", "NORMAL");
        let outcome = async {
            let mut conn = SyncConnection::open(&endpoint, &token)
                .await
                .map_err(SyncError::Net)?;
            let ctx = self.ctx();
            let now_ms = self.now_ms();
            let mut adapter = Adapter {
                store: &mut self.store,
                ctx,
                now_ms,
            };
            let report = if stay {
                session::watch(&mut conn, &mut adapter, progress).await
            } else {
                session::run_session(&mut conn, &mut adapter, progress).await
            };
            conn.close().await;
            report
        }
        .await;
        let _ = self.store.conn().pragma_update(None, "synchronous", "FULL");
        match outcome {
            Ok(report) => {
                // Cases lost in this session: their unsynced work goes to
                // the quarantine now; what fails is tried after the next sync.
                let (_, failed) = self.hand_over(&endpoint, &token, false).await;
                if failed > 0 {
                    tracing::warn!(failed, "unsynced work of lost cases not handed over yet");
                }
                self.remember_joined(&report.joined)?;
                let now = self.now_ms().to_string();
                self.store.set_setting("last_sync_ms", &now)?;
                self.store.set_setting("last_sync_done_ms", &now)?;
                self.store.set_setting("last_error", "")?;
                Ok(report)
            }
            Err(SyncError::Revoked) => Err(self.wipe_revoked(&endpoint, &token).await),
            Err(SyncError::Net(e)) if e.is_revoked() => {
                Err(self.wipe_revoked(&endpoint, &token).await)
            }
            Err(e) => {
                self.store.set_setting("last_error", &e.to_string())?;
                Err(DeviceError::Sync(e))
            }
        }
    }

    /// Hands unsynced work to the server's quarantine: of the cases set
    /// apart (`all`: of every case with unacknowledged changes too, before a
    /// revoked device wipes itself). A case handed over, or with nothing
    /// unacknowledged, is deleted here; one whose hand-over failed stays.
    /// Returns how many were handed over and how many failed.
    async fn hand_over(&mut self, endpoint: &Endpoint, token: &str, all: bool) -> (usize, usize) {
        let mut ids = local::lost(self.store.conn()).unwrap_or_default();
        if all {
            ids.extend(local::pending(self.store.conn()).unwrap_or_default());
            ids.sort();
            ids.dedup();
        }
        let (mut handed, mut failed) = (0, 0);
        for id in ids {
            let changes = match local::unacknowledged(self.store.conn(), id) {
                Ok(c) => c,
                Err(e) => {
                    tracing::error!(case = %id, error = %e, "unsynced work unreadable");
                    failed += 1;
                    continue;
                }
            };
            if !changes.is_empty() {
                let req = quarantine::HandOver {
                    case: id,
                    changes: hex::encode(&changes),
                };
                let sent: Result<quarantine::Receipt, NetError> =
                    net::team_request(endpoint, token, "/v1/quarantine", &req).await;
                if let Err(e) = sent {
                    tracing::warn!(case = %id, error = %e, "hand-over failed");
                    failed += 1;
                    continue;
                }
                handed += 1;
            }
            let removed = self.store.transaction().and_then(|tx| {
                local::remove_case(&tx, id)?;
                Ok(tx.commit()?)
            });
            if let Err(e) = removed {
                tracing::error!(case = %id, error = %e, "case handed over but not removed");
            }
        }
        (handed, failed)
    }

    async fn wipe_revoked(&mut self, endpoint: &Endpoint, token: &str) -> DeviceError {
        let (handed_over, kept_back) = self.hand_over(endpoint, token, true).await;
        wipe_files(self.store.home());
        DeviceError::Revoked {
            handed_over,
            kept_back,
        }
    }

    /// Removes this device's data and key.
    pub fn wipe(self) {
        wipe_files(self.store.home());
    }
}

/// Deletes the database (with its WAL and shared memory) and the key.
pub fn wipe_files(home: &Path) {
    let _ = keys::wipe(home);
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(home.join(format!("{DB_FILE}{suffix}")));
    }
}

/// The local store seen by the sync session.
struct Adapter<'a> {
    store: &'a mut LocalStore,
    ctx: RuleContext,
    now_ms: i64,
}

fn fault(e: impl std::error::Error + Send + Sync + 'static) -> StoreFault {
    StoreFault::new(e)
}

impl Adapter<'_> {
    fn ids(&self, sql: &str) -> Result<Vec<Uuid>, StoreFault> {
        let mut stmt = self.store.conn().prepare_cached(sql).map_err(fault)?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(fault)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(fault)?;
        rows.iter()
            .map(|s| Uuid::parse_str(s).map_err(fault))
            .collect()
    }
}

impl SyncStore for Adapter<'_> {
    fn cursor(&self) -> Result<u64, StoreFault> {
        match self.store.setting("cursor").map_err(fault)? {
            None => Ok(0),
            Some(c) => c.parse().map_err(fault),
        }
    }
    fn set_cursor(&mut self, cursor: u64) -> Result<(), StoreFault> {
        self.store
            .set_setting("cursor", &cursor.to_string())
            .map_err(fault)
    }
    fn held(&self) -> Result<Vec<Uuid>, StoreFault> {
        self.ids("SELECT id FROM documents WHERE id NOT IN (SELECT doc_id FROM lost)")
    }
    fn pending(&self) -> Result<Vec<Uuid>, StoreFault> {
        self.ids("SELECT doc_id FROM pending")
    }
    fn is_new(&self, id: Uuid) -> Result<bool, StoreFault> {
        use rusqlite::OptionalExtension;
        Ok(self
            .store
            .conn()
            .query_row(
                "SELECT new FROM pending WHERE doc_id = ?1",
                [id.to_string()],
                |r| r.get::<_, bool>(0),
            )
            .optional()
            .map_err(fault)?
            .unwrap_or(false))
    }
    fn load(&mut self, id: Uuid) -> Result<Option<CaseDoc>, StoreFault> {
        self.store.load(id).map_err(fault)
    }
    fn sync_state(&self, id: Uuid) -> Result<Option<Vec<u8>>, StoreFault> {
        use rusqlite::OptionalExtension;
        self.store
            .conn()
            .query_row(
                "SELECT state FROM sync_states WHERE doc_id = ?1",
                [id.to_string()],
                |r| r.get(0),
            )
            .optional()
            .map_err(fault)
    }
    fn save(
        &mut self,
        id: Uuid,
        doc: &mut CaseDoc,
        state: &automerge::sync::State,
    ) -> Result<(), StoreFault> {
        let tx = self.store.transaction().map_err(fault)?;
        // A replica that is still empty (the first exchange) is not a case yet.
        if doc.change_count() > 0 {
            store::merge_and_save_in(&tx, doc).map_err(fault)?;
        }
        tx.execute(
            "INSERT INTO sync_states (doc_id, state) VALUES (?1, ?2) ON CONFLICT (doc_id) DO UPDATE SET state = excluded.state",
            rusqlite::params![id.to_string(), state.encode()],
        )
        .map_err(fault)?;
        tx.commit().map_err(fault)
    }
    fn synced(&mut self, id: Uuid, doc: &mut CaseDoc, changed: bool) -> Result<(), StoreFault> {
        // The index row is written once per case per session, and only when
        // the session brought something new (local edits index themselves).
        let row = if changed {
            Some(index::index_row(doc, &self.ctx, self.now_ms).map_err(fault)?)
        } else {
            None
        };
        let tx = self.store.transaction().map_err(fault)?;
        if let Some(row) = &row {
            local::put_index(&tx, row).map_err(fault)?;
        }
        // An edit saved by the screens after this session's last exchange
        // is not on the server yet: it stays pending.
        let stored = store::heads(&tx, id).map_err(fault)?;
        let mut ours = doc.heads();
        ours.sort();
        if stored.is_none_or(|mut h| {
            h.sort();
            h == ours
        }) {
            tx.execute("DELETE FROM pending WHERE doc_id = ?1", [id.to_string()])
                .map_err(fault)?;
        }
        // Given back (assigned again) before its hand-over: it is held again.
        tx.execute("DELETE FROM lost WHERE doc_id = ?1", [id.to_string()])
            .map_err(fault)?;
        tx.commit().map_err(fault)
    }
    fn purge(&mut self, id: Uuid) -> Result<(), StoreFault> {
        // Work the server never acknowledged is not deleted: the case is set
        // apart until that work is handed to the supervisor's quarantine.
        let tx = self.store.transaction().map_err(fault)?;
        if local::is_pending(&tx, id).map_err(fault)? {
            local::set_lost(&tx, id, self.now_ms).map_err(fault)?;
        } else {
            local::remove_case(&tx, id).map_err(fault)?;
        }
        tx.commit().map_err(fault)
    }
}
