//! Why a device operation failed.

use std::path::PathBuf;

use brug_shared::policy;
use brug_shared::protocol::enrol::EnrolUrlError;
use brug_shared::rules::{self, Finding};
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
