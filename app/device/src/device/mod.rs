//! The device core: everything the field app does except drawing it.
//! The Dioxus screens and `brug-cli` both call this, never SQLite or
//! automerge directly.
//!
//! One `Device`, its methods by concern: `error` (what can go wrong),
//! this module (enrolment, unlocking, settings, drafts, lease, status, the
//! one save path), `records` (cases and records under the rules),
//! `review` (review steps, conflicts, history), `syncing` (sessions, the
//! hand-over of unsynced work, the store the session sees) and [`team`]
//! (the supervisor's team routes).

mod attachments;
mod error;
mod gdpr;
mod indexer;
mod records;
mod reports;
mod review;
mod status;
mod syncing;
pub mod team;
mod teamdocs;

pub use attachments::{Attached, AttachmentReport, Held};
pub use error::DeviceError;
pub use reports::{ReportView, report_path};
pub use team::TeamLink;

use std::path::Path;

use brug_shared::casedoc::{CaseDoc, Conflict, Editor};
use brug_shared::model::{Case, Catalogue};
use brug_shared::protocol::JoinedDevice;
use brug_shared::protocol::enrol::EnrolUrl;
use brug_shared::rules::{RuleContext, Thresholds};
use brug_shared::{policy, store};
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::index;
use crate::keys::{self, KeyError};
use crate::local::{self, DB_FILE, LocalError, LocalStore};
use crate::net::{self, Endpoint};

/// Days without a successful sync after which case data locks.
pub const DEFAULT_LEASE_DAYS: i64 = 14;

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
    /// The next certificate's fingerprint, announced by the server ahead
    /// of a rotation (trusted too).
    pub next_fingerprint: Option<String>,
    /// The system keystore that protects the device key with the PIN
    /// ("Secret Service"), empty when the PIN alone does.
    pub key_protection: String,
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
    /// What waits in it, one item per flag reason and record, with its
    /// deadline where there is one (what the supervisor's queue lists).
    pub attention: Vec<crate::index::QueueItem>,
    /// The next appointment still to come: the household's, a visit's
    /// agreed next one or a referral's.
    pub next_appointment: Option<chrono::NaiveDateTime>,
    /// Conflicting fields with each value, who wrote it and when.
    pub conflicts: Vec<Conflict>,
    /// The indicative housing verdict per renovation advice.
    pub verdicts: Vec<(Uuid, String)>,
    /// The team's referral catalogue (to name the services referred to).
    #[serde(skip)]
    pub catalogue: std::sync::Arc<Catalogue>,
    /// The thumbnails of the case's photos this device holds, by hash.
    #[serde(skip)]
    pub thumbs: std::collections::BTreeMap<brug_shared::model::BlobHash, std::sync::Arc<Vec<u8>>>,
    /// Each attachment with the record it is on (`visits.<id>`, or
    /// `renovations.<id>.defects.<id>`), for `case show`.
    pub attachments: Vec<AttachmentLine>,
}

/// One attachment as `case show` lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttachmentLine {
    /// The reference's id in the case.
    pub id: Uuid,
    /// Where it is: the record (`visits.<id>`), and the item in it
    /// (`renovations.<id>.<defect>`).
    pub record: String,
    /// The reference.
    #[serde(flatten)]
    pub attachment: brug_shared::model::AttachmentRef,
    /// Whether this device holds the bytes.
    pub here: bool,
}

/// An enrolled, unlocked device.
#[derive(Debug)]
pub struct Device {
    store: LocalStore,
    key: keys::DbKey,
    info: DeviceInfo,
    thresholds: Thresholds,
    now: fn() -> DateTime<Utc>,
    /// The team's catalogue as last read, with the store's write counter.
    catalogue: std::sync::Mutex<Option<(i64, std::sync::Arc<brug_shared::model::Catalogue>)>>,
}

fn setting(store: &LocalStore, key: &str) -> Result<String, DeviceError> {
    store
        .setting(key)?
        .ok_or_else(|| DeviceError::SettingMissing(key.to_owned()))
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
        if !keys::pin_is_strong(pin) {
            return Err(KeyError::WeakPin.into());
        }
        let url = EnrolUrl::parse(url)?;
        let resp = net::enrol(&url, device_name).await?;
        std::fs::create_dir_all(home).map_err(|e| KeyError::Io(home.to_owned(), e))?;
        // The unlock secret wraps the key a second time, then is forgotten:
        // only the server can hand it back (after too many wrong PINs).
        let recovery = resp
            .unlock_secret
            .as_deref()
            .and_then(|h| hex::decode(h).ok())
            .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
            .map(|secret| keys::Recovery {
                secret: zeroize::Zeroizing::new(secret),
                target: keys::RecoveryTarget {
                    server: url.server.clone(),
                    fingerprint: url.fingerprint.clone(),
                    next_fingerprint: None,
                    device_id: resp.device_id.clone(),
                },
            });
        let made = (|| -> Result<Self, DeviceError> {
            let key = keys::create_with(home, pin, recovery.as_ref())?;
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
            // Every row the first sync writes is computed today.
            local::set_setting(&tx, "indexed_on", &Utc::now().date_naive().to_string())?;
            tx.commit().map_err(LocalError::from)?;
            let info = DeviceInfo {
                device_id,
                user: resp.user.clone(),
                user_name: resp.user_name.clone(),
                role: resp.role.clone(),
                team: resp.team.clone(),
                server: url.server.clone(),
                fingerprint: url.fingerprint.clone(),
                next_fingerprint: None,
                key_protection: keys::protection(home).unwrap_or_default(),
            };
            Ok(Self {
                store,
                key: key_kept,
                info,
                thresholds: Thresholds::default(),
                now: Utc::now,
                catalogue: Default::default(),
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
        Self::open_with_key(home, key)
    }

    /// Opens a device locked after too many wrong PINs: the one-time
    /// `code` from the administrator brings the unlock secret back from
    /// the server, and the key is wrapped with `new_pin` from now on. The
    /// store opens as it was: nothing unsynced is lost.
    pub async fn recover(home: &Path, code: &str, new_pin: &str) -> Result<Self, DeviceError> {
        if !keys::pin_is_strong(new_pin) {
            return Err(KeyError::WeakPin.into());
        }
        let Some(target) = keys::recovery_target(home)? else {
            return Err(KeyError::WrongUnlock.into());
        };
        let endpoint = Endpoint::new(&target.server, &target.fingerprint)?
            .with_next(target.next_fingerprint.as_deref());
        let secret =
            zeroize::Zeroizing::new(net::unlock(&endpoint, &target.device_id, code).await?);
        let key = keys::recover(home, &secret, new_pin)?;
        Self::open_with_key(home, key)
    }

    fn open_with_key(home: &Path, key: keys::DbKey) -> Result<Self, DeviceError> {
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
            next_fingerprint: store.setting("next_fingerprint")?.filter(|f| !f.is_empty()),
            key_protection: keys::protection(home).unwrap_or_default(),
        };
        Ok(Self {
            store,
            key,
            info,
            thresholds: Thresholds::default(),
            now: Utc::now,
            catalogue: Default::default(),
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
            catalogue: Default::default(),
        })
    }

    /// The line to the server's team routes. The server answers only a
    /// supervisor, for the supervisor's own team.
    pub fn team_link(&self) -> Result<TeamLink, DeviceError> {
        Ok(TeamLink {
            endpoint: self.endpoint()?,
            token: setting(&self.store, "token")?,
        })
    }

    /// Where the server is, with the certificates this device trusts.
    pub(crate) fn endpoint(&self) -> Result<Endpoint, DeviceError> {
        Ok(Endpoint::new(&self.info.server, &self.info.fingerprint)?
            .with_next(self.info.next_fingerprint.as_deref()))
    }

    /// Follows what the server's welcome said about its certificates (the
    /// connection it came over was pinned): the one served now becomes the
    /// pin when it is the announced next one (the rotation happened), and
    /// the next one announced is trusted from now on.
    pub(crate) fn follow_certificates(
        &mut self,
        c: &brug_shared::protocol::Certificates,
    ) -> Result<(), DeviceError> {
        let fingerprint = |f: &Option<String>| {
            f.as_deref()
                .map(str::to_ascii_lowercase)
                .filter(|f| f.len() == 64 && f.bytes().all(|b| b.is_ascii_hexdigit()))
        };
        let served = fingerprint(&c.served);
        let mut next = fingerprint(&c.next);
        if let Some(served) = served
            && Some(&served) == self.info.next_fingerprint.as_ref()
        {
            self.store.set_setting("fingerprint", &served)?;
            self.info.fingerprint = served;
        }
        if next.as_deref() == Some(self.info.fingerprint.as_str()) {
            next = None;
        }
        if next != self.info.next_fingerprint {
            self.store
                .set_setting("next_fingerprint", next.as_deref().unwrap_or(""))?;
            self.info.next_fingerprint = next;
        }
        keys::follow_pins(
            self.store.home(),
            &self.info.fingerprint,
            self.info.next_fingerprint.as_deref(),
        )?;
        Ok(())
    }

    fn now_ms(&self) -> i64 {
        (self.now)().timestamp_millis()
    }

    fn ctx(&self) -> RuleContext {
        let local = (self.now)().with_timezone(&chrono::Local).naive_local();
        // A catalogue that cannot be read leaves the rules the built-in one.
        let catalogue = self
            .catalogue()
            .unwrap_or_else(|_| std::sync::Arc::new(Catalogue::builtin().clone()));
        RuleContext {
            now: local,
            thresholds: self.thresholds.clone(),
            catalogue,
        }
    }

    fn editor(&self) -> Editor {
        Editor {
            user: self.info.user.clone(),
            device: self.info.device_id,
        }
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
        self.persist_read(doc, new, None)
    }

    /// [`Self::persist`] with the case already read out of `doc`: the index
    /// row is made from it unless another handle's work was merged in.
    fn persist_read(
        &mut self,
        doc: &mut CaseDoc,
        new: bool,
        read: Option<brug_shared::model::Case>,
    ) -> Result<(), DeviceError> {
        self.persist_with(doc, new, read, |_| Ok(()))
    }

    /// [`Self::persist_read`] with more written in the same transaction
    /// (the bytes of attachments the case now references).
    fn persist_with(
        &mut self,
        doc: &mut CaseDoc,
        new: bool,
        read: Option<brug_shared::model::Case>,
        also: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<(), LocalError>,
    ) -> Result<(), DeviceError> {
        let ctx = self.ctx();
        let now = self.now_ms();
        let role = self.role()?;
        let sender = policy::Sender {
            user: &self.info.user,
            role,
            device: self.info.device_id,
        };
        let tx = self.store.transaction()?;
        let heads = doc.heads();
        let before = store::merge_stored(&tx, doc).map_err(LocalError::from)?;
        // A case read by the screens says nothing of its conflicts; one
        // read here does.
        let (case, conflicted) = match read {
            Some(case) if doc.heads() == heads => (case, true),
            _ => doc.case_noting_conflicts()?,
        };
        // The server would refuse what the policy forbids; say so now.
        policy::check(doc, &before, sender, now, None, &|_| None)?;
        store::save_in(&tx, doc).map_err(LocalError::from)?;
        let row = index::index_row_of(doc, case, conflicted, &ctx, now);
        local::put_index(&tx, &row)?;
        local::mark_pending(&tx, doc.id(), new)?;
        also(&tx)?;
        tx.commit().map_err(LocalError::from)?;
        self.store.remember(doc);
        Ok(())
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
