//! The device service: one long-lived worker that holds the unlocked
//! [`Device`] for the app. Screens send it [`Command`]s and read the
//! [`Event`]s it sends back; none of them touches SQLite or automerge, and
//! nothing is queried while a screen renders.
//!
//! The worker is a thread of its own (portable: the same on a phone), so a
//! slow save never blocks the screen. Sync sessions and the team routes run
//! on the async runtime with a second handle of the device, so reading and
//! saving go on while a sync runs; when a session ends the worker hears it
//! through its own command queue, so one place decides what follows (a
//! revoked device is forgotten, the screens are told to re-read).

mod worker;

use std::path::PathBuf;

use brug_shared::casedoc::{ChangeHash, FieldChange, HistoryEntry, ReviewAction};
use brug_shared::protocol::JoinedDevice;
use brug_shared::protocol::quarantine::Entry;
use brug_shared::protocol::team::{EnrolCode, Team};
use brug_shared::schema::{FieldPath, FormKind};
use serde_json::Value;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use uuid::Uuid;

use crate::DeviceError;
use crate::device::{CaseView, DeviceInfo, Lease, Status};
use crate::index::{CaseQuery, IndexRow, QueueItem};

/// A form as it was opened: what it starts with is decided once, so a
/// background sync or a lock does not reset what the worker is typing.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenForm {
    /// The case (none for a new case).
    pub case: Option<Uuid>,
    /// The household or a record kind.
    pub kind: FormKind,
    /// The record edited (none for a new one).
    pub record: Option<Uuid>,
    /// The record's id (a new one for a new record).
    pub record_id: Uuid,
    /// The draft's key.
    pub key: String,
    /// The document's heads when the form opened (or when the draft was
    /// begun): the edit is written there and merged, through automerge.
    pub heads: Vec<ChangeHash>,
    /// What the form shows first: the draft, or the base.
    pub start: Value,
    /// Whether `start` is a restored draft.
    pub restored: bool,
    /// The case as it stood when the form opened (for the rules).
    pub case_now: Option<brug_shared::model::Case>,
    /// The device's clock when the form opened (for the rules).
    pub now: chrono::NaiveDateTime,
    /// The team's referral catalogue (the services a referral may name).
    pub catalogue: std::sync::Arc<brug_shared::model::Catalogue>,
}

/// A request to the server's team routes (supervisors).
#[derive(Debug, Clone, PartialEq)]
pub enum TeamCall {
    /// The team's members (and who works `case`).
    Members(Option<Uuid>),
    /// Assigns or unassigns a user to a case.
    Assign(Uuid, String, bool),
    /// A fresh enrolment code for a user.
    Code(String),
    /// Work waiting in quarantine.
    Waiting,
    /// Merges (true) or discards a quarantine entry.
    Decide(i64, bool),
    /// Erases part of a case, or all of it (GDPR).
    Erase(brug_shared::protocol::team::EraseRequest),
}

/// What the team routes answered.
#[derive(Debug, Clone, PartialEq)]
pub enum TeamAnswer {
    /// The team (after a listing or an assignment).
    Team(Team),
    /// An enrolment code made for a user.
    Code(String, EnrolCode),
    /// The quarantine entries.
    Waiting(Vec<Entry>),
    /// An erasure done.
    Erased(brug_shared::protocol::team::Erased),
}

/// What the app asks of the device.
#[derive(Debug)]
pub enum Command {
    /// Enrols this home with a code, a PIN and a device name.
    Enrol {
        /// The `brug://enrol?...` URL.
        url: String,
        /// The PIN.
        pin: String,
        /// The device's name.
        name: String,
    },
    /// Opens the store with the PIN; `resume` is a form open at the lock,
    /// to open again with its draft.
    Unlock {
        /// The PIN.
        pin: String,
        /// The form to open again.
        resume: Option<Box<OpenForm>>,
    },
    /// Opens a device locked after too many wrong PINs with the
    /// administrator's one-time code and a new PIN.
    Recover {
        /// The unlock code.
        code: String,
        /// The new PIN.
        pin: String,
    },
    /// Forgets the unlocked device (and its key).
    Lock,
    /// Status, lease and pending count.
    Status,
    /// The case list for a query.
    List(CaseQuery),
    /// One case, for the case screen and the conflicts screen.
    Show(Uuid),
    /// A record and what changed since its approval, for the review screen.
    ReviewData {
        /// The case.
        case: Uuid,
        /// The record.
        record: Uuid,
    },
    /// Who changed what in a case.
    History(Uuid),
    /// What waits in the supervisor's queue.
    Queue,
    /// Opens a form (with the draft typed before, if any).
    OpenForm {
        /// The case (none for a new case).
        case: Option<Uuid>,
        /// Which form.
        kind: FormKind,
        /// The record (none for a new one).
        record: Option<Uuid>,
    },
    /// Keeps what the form holds as a draft.
    SaveDraft {
        /// The draft's key.
        key: String,
        /// The heads the form opened at.
        heads: Vec<ChangeHash>,
        /// What the form holds now.
        edited: Value,
    },
    /// Throws the draft away and opens the form afresh.
    Discard(Box<OpenForm>),
    /// Saves a form.
    Save {
        /// The form as opened.
        form: Box<OpenForm>,
        /// What it holds now.
        edited: Value,
    },
    /// Submits, approves or returns a record.
    Review {
        /// The case.
        case: Uuid,
        /// The record.
        record: Uuid,
        /// What to do.
        action: ReviewAction,
        /// The supervisor's comment.
        comment: String,
    },
    /// Chooses one value of a conflicting field.
    Resolve {
        /// The case.
        case: Uuid,
        /// The record (none for the household).
        record: Option<Uuid>,
        /// The field.
        field: FieldPath,
        /// The value chosen.
        value: Value,
    },
    /// The team's referral catalogue.
    Catalogue,
    /// Adds or changes a service of the catalogue (supervisors); it is
    /// sent to the server at once when online.
    SaveService(Box<brug_shared::model::Service>),
    /// The team's collective activities.
    Activities,
    /// Records a collective activity (new or changed); it is sent to the
    /// server at once when online.
    SaveActivity(Box<brug_shared::model::Activity>),
    /// Approves (true) or returns a collective activity (supervisors).
    ReviewActivity {
        /// The activity.
        id: Uuid,
        /// Approve, or return.
        approve: bool,
        /// The supervisor's comment.
        comment: String,
    },
    /// Attaches a file (photo or PDF) to a record or a defect or reading
    /// in one; it is sent to the server after the case.
    Attach {
        /// The case.
        case: Uuid,
        /// The record, defect or reading.
        on: Uuid,
        /// The file picked.
        path: PathBuf,
        /// What it shows.
        caption: String,
    },
    /// An attachment's bytes, for the full view (fetched when needed).
    OpenAttachment(brug_shared::model::BlobHash),
    /// Takes an attachment off its record.
    RemoveAttachment {
        /// The case.
        case: Uuid,
        /// The reference's id.
        id: Uuid,
    },
    /// A report from the server (the last one kept when offline).
    Report(brug_shared::report::Query),
    /// The report as an Excel file, written into the device folder's
    /// `rapporten`.
    ReportXlsx(brug_shared::report::Query),
    /// One sync session now (ignored while one runs).
    Sync,
    /// Asks the team routes.
    Team(TeamCall),
    /// A sync session ended (sent by the session itself).
    #[doc(hidden)]
    SyncEnded(Result<Vec<JoinedDevice>, DeviceError>),
    /// A report fetch ended (sent by the fetch itself).
    #[doc(hidden)]
    ReportArrived(Result<brug_shared::report::Report, DeviceError>),
}

/// What the device answers, or tells on its own.
#[derive(Debug)]
pub enum Event {
    /// Enrolled and unlocked.
    Enrolled(DeviceInfo),
    /// Enrolment failed; nothing was written.
    EnrolFailed(DeviceError),
    /// Unlocked; `form` is the form to return to (opened again).
    Unlocked {
        /// Who is enrolled.
        info: DeviceInfo,
        /// The lease as it stands.
        lease: Option<Lease>,
        /// The form open at the lock, with its draft.
        form: Option<Box<OpenForm>>,
    },
    /// The PIN did not open the store.
    UnlockFailed(DeviceError),
    /// Status for the sync bar and settings.
    Status(Status),
    /// The case list.
    Cases(Result<Vec<IndexRow>, DeviceError>),
    /// One case.
    Case(Uuid, Result<Box<CaseView>, DeviceError>),
    /// A record for review, with what changed since its approval.
    ReviewData {
        /// The case.
        case: Uuid,
        /// The record.
        record: Uuid,
        /// The case and the changes.
        data: Result<(Box<CaseView>, Vec<FieldChange>), DeviceError>,
    },
    /// A case's history, with the household's name.
    History(Uuid, Result<(String, Vec<HistoryEntry>), DeviceError>),
    /// What waits, item by item (by reason, most urgent first).
    Queue(Result<Vec<QueueItem>, DeviceError>),
    /// A form to show.
    Form(Box<OpenForm>),
    /// A form was saved (the case to show) or not.
    Saved(Result<Uuid, DeviceError>),
    /// A review or resolution was stored, or not.
    Done(Result<(), DeviceError>),
    /// Something stored changed: screens read again.
    Changed,
    /// A sync session began.
    SyncStarted,
    /// Sync progress: cases done of total.
    SyncProgress(usize, usize),
    /// A sync session ended; on success, devices newly enrolled for the user.
    Synced(Result<Vec<JoinedDevice>, DeviceError>),
    /// The server revoked this device: it was wiped and is locked.
    Revoked(DeviceError),
    /// The team routes answered (or failed).
    Team(Result<TeamAnswer, DeviceError>),
    /// The team's referral catalogue.
    Catalogue(Result<std::sync::Arc<brug_shared::model::Catalogue>, DeviceError>),
    /// The team's collective activities.
    Activities(Result<Vec<brug_shared::model::Activity>, DeviceError>),
    /// A report to show: fresh, or the last one with why no fresh one came.
    Report(Result<Box<crate::device::ReportView>, DeviceError>),
    /// The report was written as an Excel file there (or not).
    ReportSaved(Result<PathBuf, DeviceError>),
    /// An attachment's bytes for the full view, or why not.
    Attachment(
        brug_shared::model::BlobHash,
        Result<std::sync::Arc<Vec<u8>>, DeviceError>,
    ),
    /// The device is locked (a command needed it unlocked).
    Locked,
}

/// The app's end of the service.
#[derive(Debug, Clone)]
pub struct Service {
    commands: UnboundedSender<Command>,
}

impl Service {
    /// Starts the worker for the device folder `home` on its own thread;
    /// sessions and team calls run on `runtime`. Events arrive on the
    /// returned receiver until the service is dropped.
    pub fn start(
        home: PathBuf,
        runtime: tokio::runtime::Handle,
    ) -> std::io::Result<(Self, UnboundedReceiver<Event>)> {
        let (commands, inbox) = unbounded_channel();
        let (events, outbox) = unbounded_channel();
        let worker = worker::Worker {
            home,
            device: None,
            events,
            commands: commands.clone(),
            runtime,
            live: None,
        };
        std::thread::Builder::new()
            .name("brug-device".into())
            .spawn(move || worker.run(inbox))?;
        Ok((Self { commands }, outbox))
    }

    /// Sends a command (dropped quietly once the worker has stopped, which
    /// happens only when the app closes).
    pub fn send(&self, command: Command) {
        let _ = self.commands.send(command);
    }
}

pub use worker::open_form;
