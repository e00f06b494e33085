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

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use brug_shared::casedoc::{ChangeHash, FieldChange, HistoryEntry, ReviewAction};
use brug_shared::model::Household;
use brug_shared::protocol::JoinedDevice;
use brug_shared::protocol::quarantine::Entry;
use brug_shared::protocol::team::{EnrolCode, Team};
use brug_shared::schema::{self, FormKind};
use serde_json::{Value, json};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use uuid::Uuid;

use crate::device::{CaseView, DeviceInfo, Lease, Status};
use crate::index::{CaseQuery, IndexRow};
use crate::{Device, DeviceError};

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
    /// Counts per flag and the records waiting for review.
    Queue(Vec<String>),
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
        /// The field's dotted path.
        field: String,
        /// The value chosen.
        value: Value,
    },
    /// One sync session now (ignored while one runs).
    Sync,
    /// Asks the team routes.
    Team(TeamCall),
    /// A sync session ended (sent by the session itself).
    #[doc(hidden)]
    SyncEnded(Result<Vec<JoinedDevice>, DeviceError>),
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
    /// Counts per flag and (records, cases) waiting for review.
    Queue(Vec<(String, usize)>, (usize, usize)),
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
        let worker = Worker {
            home,
            device: None,
            events,
            commands: commands.clone(),
            runtime,
            syncing: Arc::new(AtomicBool::new(false)),
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

struct Worker {
    home: PathBuf,
    device: Option<Device>,
    events: UnboundedSender<Event>,
    commands: UnboundedSender<Command>,
    runtime: tokio::runtime::Handle,
    syncing: Arc<AtomicBool>,
}

/// The draft key of a form: the same form finds the same draft.
fn draft_key(case: Option<Uuid>, kind: FormKind, record: Option<Uuid>) -> String {
    match (case, kind, record) {
        (None, _, _) => "new-case".into(),
        (Some(c), FormKind::Household, _) => format!("{c}/household"),
        (Some(c), FormKind::Record(k), Some(r)) => format!("{c}/{}/{r}", k.code()),
        (Some(c), FormKind::Record(k), None) => format!("{c}/{}/new", k.code()),
    }
}

impl Worker {
    fn run(mut self, mut inbox: UnboundedReceiver<Command>) {
        while let Some(command) = inbox.blocking_recv() {
            self.handle(command);
        }
    }

    fn emit(&self, event: Event) {
        let _ = self.events.send(event);
    }

    fn handle(&mut self, command: Command) {
        match command {
            Command::Enrol { url, pin, name } => self.enrol(&url, &pin, &name),
            Command::Unlock { pin, resume } => self.unlock(&pin, resume),
            Command::Lock => self.device = None,
            Command::SyncEnded(outcome) => self.sync_ended(outcome),
            command => {
                let Some(device) = self.device.as_mut() else {
                    self.emit(Event::Locked);
                    return;
                };
                let event = match command {
                    Command::Status => match device.status() {
                        Ok(status) => Event::Status(status),
                        Err(_) => return,
                    },
                    Command::List(query) => Event::Cases(device.list(&query)),
                    Command::Show(id) => Event::Case(id, device.show(id).map(Box::new)),
                    Command::ReviewData { case, record } => Event::ReviewData {
                        case,
                        record,
                        data: review_data(device, case, record),
                    },
                    Command::History(case) => Event::History(
                        case,
                        device
                            .case(case)
                            .and_then(|c| Ok((c.household.name, device.history(case, None)?))),
                    ),
                    Command::Queue(flags) => {
                        let counts = flags
                            .into_iter()
                            .map(|flag| {
                                let query = CaseQuery {
                                    flag: Some(flag.clone()),
                                    ..Default::default()
                                };
                                let n = device.list(&query).map(|r| r.len()).unwrap_or(0);
                                (flag, n)
                            })
                            .collect();
                        Event::Queue(counts, device.waiting_for_review().unwrap_or((0, 0)))
                    }
                    Command::OpenForm { case, kind, record } => {
                        Event::Form(Box::new(open_form(device, case, kind, record)))
                    }
                    Command::SaveDraft { key, heads, edited } => {
                        // A draft that cannot be kept costs only the
                        // restore after a lock; the form itself goes on.
                        let heads: Vec<String> = heads.iter().map(ToString::to_string).collect();
                        let _ = device.save_draft(&key, &json!({"heads": heads, "edited": edited}));
                        return;
                    }
                    Command::Discard(form) => {
                        let _ = device.drop_draft(&form.key);
                        Event::Form(Box::new(open_form(
                            device,
                            form.case,
                            form.kind,
                            form.record,
                        )))
                    }
                    Command::Save { form, edited } => {
                        let saved = save_form(device, &form, edited);
                        if saved.is_ok() {
                            let _ = device.drop_draft(&form.key);
                        }
                        self.after_write(Event::Saved(saved));
                        return;
                    }
                    Command::Review {
                        case,
                        record,
                        action,
                        comment,
                    } => {
                        let done = device.review(case, &record.to_string(), action, &comment);
                        self.after_write(Event::Done(done));
                        return;
                    }
                    Command::Resolve {
                        case,
                        record,
                        field,
                        value,
                    } => {
                        let target = record.map_or_else(|| "household".into(), |r| r.to_string());
                        let done = device.resolve(case, &target, &field, value);
                        self.after_write(Event::Done(done));
                        return;
                    }
                    Command::Sync => {
                        self.start_sync();
                        return;
                    }
                    Command::Team(call) => {
                        self.team(call);
                        return;
                    }
                    Command::Enrol { .. }
                    | Command::Unlock { .. }
                    | Command::Lock
                    | Command::SyncEnded(_) => return,
                };
                self.emit(event);
            }
        }
    }

    fn enrol(&mut self, url: &str, pin: &str, name: &str) {
        let made = self
            .runtime
            .block_on(Device::enrol(&self.home, url, pin, name));
        match made {
            Ok(device) => {
                let info = device.info().clone();
                self.device = Some(device);
                self.emit(Event::Enrolled(info));
                self.start_sync();
            }
            Err(e) => self.emit(Event::EnrolFailed(e)),
        }
    }

    fn unlock(&mut self, pin: &str, resume: Option<Box<OpenForm>>) {
        match Device::open(&self.home, pin) {
            Ok(device) => {
                let form = resume.map(|f| Box::new(open_form(&device, f.case, f.kind, f.record)));
                let event = Event::Unlocked {
                    info: device.info().clone(),
                    lease: device.lease().ok(),
                    form,
                };
                self.device = Some(device);
                self.emit(event);
                self.start_sync();
            }
            Err(e) => self.emit(Event::UnlockFailed(e)),
        }
    }

    /// After a write: its outcome, "read again" and a sync to bring it to
    /// the server.
    fn after_write(&mut self, outcome: Event) {
        let ok = matches!(outcome, Event::Saved(Ok(_)) | Event::Done(Ok(())));
        self.emit(outcome);
        self.emit(Event::Changed);
        if ok {
            self.start_sync();
        }
    }

    fn start_sync(&mut self) {
        let Some(device) = self.device.as_ref() else {
            return;
        };
        if self.syncing.swap(true, Ordering::SeqCst) {
            return;
        }
        let mut handle = match device.handle() {
            Ok(h) => h,
            Err(e) => {
                self.syncing.store(false, Ordering::SeqCst);
                self.emit(Event::Synced(Err(e)));
                return;
            }
        };
        self.emit(Event::SyncStarted);
        let events = self.events.clone();
        let commands = self.commands.clone();
        self.runtime.spawn(async move {
            let mut report = move |p: crate::sync::Progress| {
                let _ = events.send(Event::SyncProgress(p.done, p.total));
            };
            let outcome = handle.sync(&mut report).await.map(|r| r.joined);
            let _ = commands.send(Command::SyncEnded(outcome));
        });
    }

    fn sync_ended(&mut self, outcome: Result<Vec<JoinedDevice>, DeviceError>) {
        self.syncing.store(false, Ordering::SeqCst);
        match outcome {
            Err(e @ DeviceError::Revoked { .. }) => {
                self.device = None;
                self.emit(Event::Revoked(e));
            }
            outcome => {
                self.emit(Event::Synced(outcome));
                self.emit(Event::Changed);
            }
        }
    }

    fn team(&mut self, call: TeamCall) {
        let Some(device) = self.device.as_ref() else {
            return;
        };
        let link = match device.team_link() {
            Ok(link) => link,
            Err(e) => {
                self.emit(Event::Team(Err(e)));
                return;
            }
        };
        let events = self.events.clone();
        self.runtime.spawn(async move {
            let answer = match call {
                TeamCall::Members(case) => link.team(case).await.map(TeamAnswer::Team),
                TeamCall::Assign(case, user, on) => {
                    link.assign(case, &user, on).await.map(TeamAnswer::Team)
                }
                TeamCall::Code(user) => link
                    .enrol_code(&user)
                    .await
                    .map(|code| TeamAnswer::Code(user, code)),
                TeamCall::Waiting => link.quarantine().await.map(TeamAnswer::Waiting),
                TeamCall::Decide(id, merge) => match link.decide(id, merge).await {
                    Ok(_) => link.quarantine().await.map(TeamAnswer::Waiting),
                    Err(e) => Err(e),
                },
            };
            let _ = events.send(Event::Team(answer));
        });
    }
}

fn review_data(
    device: &Device,
    case: Uuid,
    record: Uuid,
) -> Result<(Box<CaseView>, Vec<FieldChange>), DeviceError> {
    let view = device.show(case)?;
    let changes = device.changes_since_approval(case, &record.to_string())?;
    Ok((Box::new(view), changes))
}

/// Opens a form: the record as stored (or a blank one) with the
/// document's heads, or the draft typed before with the heads it was typed
/// against.
pub fn open_form(
    device: &Device,
    case: Option<Uuid>,
    kind: FormKind,
    record: Option<Uuid>,
) -> OpenForm {
    let key = draft_key(case, kind, record);
    let now = device.rule_context().now;
    let (stored, heads) = match case.map(|c| device.case_at(c)) {
        Some(Ok((case, heads))) => (Some(case), heads),
        _ => (None, Vec::new()),
    };
    let start = match (kind, record, stored.as_ref()) {
        (FormKind::Household, _, Some(c)) => {
            serde_json::to_value(&c.household).unwrap_or(Value::Null)
        }
        (FormKind::Record(k), Some(r), Some(c)) => {
            c.record(k, r).map(|r| r.to_json()).unwrap_or(Value::Null)
        }
        _ => schema::blank(kind, now),
    };
    let draft = device.draft(&key).ok().flatten();
    let (start, restored, heads) = match draft {
        Some(d) if d.get("edited").is_some_and(|e| !e.is_null()) => {
            // A draft from before the heads were kept has none: it is
            // saved over the case as it stands.
            let then = d
                .get("heads")
                .and_then(Value::as_array)
                .map(|hs| {
                    hs.iter()
                        .filter_map(|h| h.as_str()?.parse::<ChangeHash>().ok())
                        .collect()
                })
                .unwrap_or_default();
            (d["edited"].clone(), true, then)
        }
        _ => (start, false, heads),
    };
    OpenForm {
        case,
        kind,
        record,
        record_id: record.unwrap_or_else(Uuid::now_v7),
        key,
        heads,
        start,
        restored,
        case_now: stored,
        now,
    }
}

/// Saves a form through the device core. Returns the case to show.
fn save_form(device: &mut Device, open: &OpenForm, edited: Value) -> Result<Uuid, DeviceError> {
    match (open.case, open.kind, open.record) {
        (None, _, _) => {
            let h: Household =
                serde_json::from_value(edited).map_err(|e| DeviceError::BadInput(e.to_string()))?;
            Ok(device.create_case(&h)?.0)
        }
        (Some(c), FormKind::Household, _) => {
            device.update_household(c, &open.heads, &edited)?;
            Ok(c)
        }
        (Some(c), FormKind::Record(_), Some(r)) => {
            device.update_record(c, r, &open.heads, &edited)?;
            Ok(c)
        }
        (Some(c), FormKind::Record(k), None) => {
            device.add_record(c, k, edited)?;
            Ok(c)
        }
    }
}
