//! Why a device operation failed.

use std::path::PathBuf;

use brug_shared::policy;
use brug_shared::protocol::enrol::EnrolUrlError;
use brug_shared::rules::Finding;
use uuid::Uuid;

use crate::keys::KeyError;
use crate::local::LocalError;
use crate::net::NetError;
use crate::sync::SyncError;

/// Why a device operation failed. Every message says what happened and
/// what to do, in Dutch and English.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    /// The key could not be had (wrong PIN, wait, not enrolled).
    #[error("{}", crate::messages::both(self))]
    Key(#[from] KeyError),
    /// The local store failed.
    #[error("{}", crate::messages::both(self))]
    Local(#[from] LocalError),
    /// The enrolment URL is not usable.
    #[error("{}", crate::messages::both(self))]
    EnrolUrl(#[from] EnrolUrlError),
    /// The network or server failed.
    #[error("{}", crate::messages::both(self))]
    Net(#[from] NetError),
    /// The sync session failed.
    #[error("{}", crate::messages::both(self))]
    Sync(SyncError),
    /// A case document failed.
    #[error("{}", crate::messages::both(self))]
    Doc(#[from] brug_shared::casedoc::CaseDocError),
    /// Already enrolled here.
    #[error("{}", crate::messages::both(self))]
    AlreadyEnrolled(PathBuf),
    /// The server revoked this device; its data was wiped, after its
    /// unsynced work was handed to the supervisor where that could be done.
    #[error("{}", crate::messages::both(self))]
    Revoked {
        /// Cases whose unsynced work reached the quarantine first.
        handed_over: usize,
        /// Cases whose unsynced work could not be delivered before the wipe.
        kept_back: usize,
    },
    /// The offline lease ran out.
    #[error("{}", crate::messages::both(self))]
    LeaseExpired {
        /// Days since the last successful sync.
        days: i64,
    },
    /// No such case on this device.
    #[error("{}", crate::messages::both(self))]
    NoSuchCase(Uuid),
    /// No such record in the case.
    #[error("{}", crate::messages::both(self))]
    NoSuchRecord(String),
    /// Rules refused the change; nothing was saved.
    #[error("{}", crate::messages::both(self))]
    Refused(Vec<Finding>),
    /// Input that does not fit.
    #[error("{}", crate::messages::both(self))]
    BadInput(String),
    /// The user's role may not do this.
    #[error("{}", crate::messages::both(self))]
    NotAllowed,
    /// The policy forbids this change for this user; nothing was saved.
    #[error("{}", crate::messages::both(self))]
    Policy(#[from] policy::Refusal),
    /// The role stored at enrolment is not one this version knows.
    #[error("{}", crate::messages::both(self))]
    UnknownRole(String),
    /// The household is the case itself: it is not removed like a record.
    #[error("{}", crate::messages::both(self))]
    HouseholdStays,
    /// A setting written at enrolment is missing.
    #[error("{}", crate::messages::both(self))]
    SettingMissing(String),
}
