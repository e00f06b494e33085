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
#[derive(Debug)]
pub enum DeviceError {
    /// The key could not be had (wrong PIN, wait, not enrolled).
    Key(KeyError),
    /// The local store failed.
    Local(LocalError),
    /// The enrolment URL is not usable.
    EnrolUrl(EnrolUrlError),
    /// The network or server failed.
    Net(NetError),
    /// The sync session failed.
    Sync(SyncError),
    /// A case document failed.
    Doc(brug_shared::casedoc::CaseDocError),
    /// Already enrolled here.
    AlreadyEnrolled(PathBuf),
    /// The server revoked this device; its data was wiped, after its
    /// unsynced work was handed to the supervisor where that could be done.
    Revoked {
        /// Cases whose unsynced work reached the quarantine first.
        handed_over: usize,
        /// Cases whose unsynced work could not be delivered before the wipe.
        kept_back: usize,
    },
    /// The offline lease ran out.
    LeaseExpired {
        /// Days since the last successful sync.
        days: i64,
    },
    /// No such case on this device.
    NoSuchCase(Uuid),
    /// No such record in the case.
    NoSuchRecord(String),
    /// No attachment with this hash is visible here (the same answer for a
    /// hash that does not exist and one of a case this user cannot see).
    NoSuchAttachment(String),
    /// Rules refused the change; nothing was saved.
    Refused(Vec<Finding>),
    /// Input that does not fit.
    BadInput(String),
    /// The user's role may not do this.
    NotAllowed,
    /// The policy forbids this change for this user; nothing was saved.
    Policy(policy::Refusal),
    /// The role stored at enrolment is not one this version knows.
    UnknownRole(String),
    /// The household is the case itself: it is not removed like a record.
    HouseholdStays,
    /// A setting written at enrolment is missing.
    SettingMissing(String),
    /// A team document (catalogue, activities) refused an entry or a
    /// change, or does not read.
    TeamDoc(brug_shared::teamdoc::TeamDocError),
}

impl From<brug_shared::teamdoc::TeamDocError> for DeviceError {
    fn from(e: brug_shared::teamdoc::TeamDocError) -> Self {
        Self::TeamDoc(e)
    }
}

impl From<KeyError> for DeviceError {
    fn from(e: KeyError) -> Self {
        Self::Key(e)
    }
}

impl From<LocalError> for DeviceError {
    fn from(e: LocalError) -> Self {
        Self::Local(e)
    }
}

impl From<EnrolUrlError> for DeviceError {
    fn from(e: EnrolUrlError) -> Self {
        Self::EnrolUrl(e)
    }
}

impl From<NetError> for DeviceError {
    fn from(e: NetError) -> Self {
        Self::Net(e)
    }
}

impl From<brug_shared::casedoc::CaseDocError> for DeviceError {
    fn from(e: brug_shared::casedoc::CaseDocError) -> Self {
        Self::Doc(e)
    }
}

impl From<policy::Refusal> for DeviceError {
    fn from(e: policy::Refusal) -> Self {
        Self::Policy(e)
    }
}
