//! The worker behind [`super::Service`]: it owns the unlocked device, runs
//! each command in turn, starts sync sessions and team calls on the async
//! runtime, and sends events back.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use brug_shared::casedoc::{ChangeHash, FieldChange};
use brug_shared::model::Household;
use brug_shared::protocol::JoinedDevice;
use brug_shared::schema::{self, FormKind};
use serde_json::{Value, json};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use uuid::Uuid;

use super::{Command, Event, OpenForm, TeamAnswer, TeamCall};
use crate::device::TeamLink;
use crate::device::{CaseView, ReportView};
use crate::{Device, DeviceError};

pub(super) struct Worker {
    pub(super) home: PathBuf,
    pub(super) device: Option<Device>,
    pub(super) events: UnboundedSender<Event>,
    pub(super) commands: UnboundedSender<Command>,
    pub(super) runtime: tokio::runtime::Handle,
    /// The live connection while unlocked, if one runs.
    pub(super) live: Option<Live>,
}

/// The task that keeps the device in sync while it is unlocked: one
/// session to catch up, then connected for the server's pushes; when the
/// connection drops, again after a pause that doubles up to a minute
/// (offline, that is the timer).
pub(super) struct Live {
    /// Dropped to stop the task (the lock).
    _stop: tokio::sync::watch::Sender<()>,
    /// Wakes the task: push what was saved here now, or retry now.
    wake: Arc<tokio::sync::Notify>,
    /// Gone when the task has ended.
    running: tokio::sync::watch::Receiver<()>,
}

/// The longest pause before connecting again.
const MOST_BACKOFF: Duration = Duration::from_secs(60);

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
    pub(super) fn run(mut self, mut inbox: UnboundedReceiver<Command>) {
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
            Command::Recover { code, pin } => {
                let opened = self
                    .runtime
                    .block_on(Device::recover(&self.home, &code, &pin));
                self.opened(opened, None);
            }
            Command::Lock => {
                // The live connection ends with the lock.
                self.live = None;
                self.device = None;
            }
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
                    Command::List(query) => {
                        // The day's flags, also offline: the first list of
                        // a new day recomputes them (once a day).
                        if let Err(e) = device.refresh_for_today() {
                            tracing::warn!(error = %e, "the day's refresh of the case list failed");
                        }
                        Event::Cases(device.list(&query))
                    }
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
                    Command::Queue => Event::Queue(device.queue()),
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
                        // Every minute from the app: past midnight the
                        // flags of the new day, then the screens read anew.
                        if device.refresh_for_today().is_ok_and(|n| n > 0) {
                            self.emit(Event::Changed);
                        }
                        self.start_sync();
                        return;
                    }
                    Command::Team(call) => {
                        self.team(call);
                        return;
                    }
                    Command::Catalogue => Event::Catalogue(device.catalogue()),
                    Command::SaveService(service) => {
                        let done = device.save_service(&service);
                        let ok = done.is_ok();
                        self.emit(Event::Done(done));
                        self.emit(Event::Changed);
                        if ok {
                            self.push_team_docs();
                        }
                        return;
                    }
                    Command::Activities => Event::Activities(device.activities()),
                    Command::SaveActivity(activity) => {
                        let done = device.save_activity(&activity);
                        self.after_team_doc_write(done);
                        return;
                    }
                    Command::ReviewActivity {
                        id,
                        approve,
                        comment,
                    } => {
                        let done = device.review_activity(id, approve, &comment);
                        self.after_team_doc_write(done);
                        return;
                    }
                    Command::Attach {
                        case,
                        on,
                        path,
                        caption,
                    } => {
                        let done = device
                            .attach_file(case, &on.to_string(), &path, &caption)
                            .map(|_| ());
                        self.after_write(Event::Done(done));
                        return;
                    }
                    Command::RemoveAttachment { case, id } => {
                        let done = device.remove_attachment(case, id);
                        self.after_write(Event::Done(done));
                        return;
                    }
                    Command::OpenAttachment(hash) => {
                        self.open_attachment(hash);
                        return;
                    }
                    Command::Report(query) => {
                        self.fetch_report(query);
                        return;
                    }
                    Command::ReportArrived(fetched) => {
                        let view = match fetched {
                            Ok(report) => device.keep_report(&report).map(|fetched_at| {
                                Box::new(ReportView {
                                    report,
                                    fetched_at,
                                    problem: None,
                                })
                            }),
                            // Offline or refused: the last report, saying why.
                            Err(e) => match device.last_report() {
                                Ok(Some((report, fetched_at))) => Ok(Box::new(ReportView {
                                    report,
                                    fetched_at,
                                    problem: Some(e),
                                })),
                                Ok(None) => Err(e),
                                Err(read) => Err(read),
                            },
                        };
                        Event::Report(view)
                    }
                    Command::ReportXlsx(query) => {
                        self.save_report_xlsx(query);
                        return;
                    }
                    Command::Enrol { .. }
                    | Command::Unlock { .. }
                    | Command::Recover { .. }
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
        let opened = Device::open(&self.home, pin);
        self.opened(opened, resume);
    }

    /// A device opened (or not) with a PIN or an unlock code.
    fn opened(&mut self, opened: Result<Device, DeviceError>, resume: Option<Box<OpenForm>>) {
        match opened {
            Ok(mut device) => {
                // Unlocked on a new day, maybe offline: the day's flags.
                if let Err(e) = device.refresh_for_today() {
                    tracing::warn!(error = %e, "the day's refresh of the case list failed");
                }
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

    /// Brings the device in sync: wakes the live task when one runs (it
    /// pushes what was saved here at once), else starts it.
    fn start_sync(&mut self) {
        if let Some(live) = &self.live
            && live.running.has_changed().is_ok()
        {
            live.wake.notify_one();
            return;
        }
        let Some(device) = self.device.as_ref() else {
            return;
        };
        // The policy lead holds no cases: nothing to keep live; fetching a
        // report is that device's check-in.
        if device.role().is_ok_and(|r| !r.holds_cases()) {
            return;
        }
        let mut handle = match device.handle() {
            Ok(h) => h,
            Err(e) => {
                self.emit(Event::Synced(Err(e)));
                return;
            }
        };
        let (stop_tx, mut stop) = tokio::sync::watch::channel(());
        let (running_tx, running) = tokio::sync::watch::channel(());
        let wake = Arc::new(tokio::sync::Notify::new());
        self.live = Some(Live {
            _stop: stop_tx,
            wake: wake.clone(),
            running,
        });
        // Attachments on their own channel: after every live exchange that
        // brought the device in step (so the cases that reference them are
        // on the server), what waits is sent and new thumbnails fetched.
        let exchanged = Arc::new(tokio::sync::Notify::new());
        if let Ok(blobs) = device.handle() {
            self.runtime.spawn(attachment_pump(
                blobs,
                exchanged.clone(),
                self.events.clone(),
                stop.clone(),
            ));
        }
        let events = self.events.clone();
        let commands = self.commands.clone();
        self.runtime.spawn(async move {
            // Ends (and says so through `running`) when this task does.
            let _running = running_tx;
            let mut pause = Duration::from_secs(2);
            loop {
                let _ = events.send(Event::SyncStarted);
                let mut report = |p: crate::sync::Progress| {
                    let _ = events.send(Event::SyncProgress(p.done, p.total));
                };
                let outcome = tokio::select! {
                    outcome = handle.sync(&mut report) => outcome,
                    _ = stop.changed() => return,
                };
                let caught_up = outcome.is_ok();
                let revoked = matches!(outcome, Err(DeviceError::Revoked { .. }));
                let _ = commands.send(Command::SyncEnded(outcome.map(|r| r.joined)));
                if revoked {
                    return;
                }
                if caught_up {
                    pause = Duration::from_secs(2);
                    // Live: what others change arrives as the server says
                    // so; what is saved here goes out when woken.
                    let mut busy = false;
                    let mut pushed = |p: crate::sync::Progress| {
                        if p.done < p.total && !busy {
                            busy = true;
                            let _ = events.send(Event::SyncStarted);
                        }
                        let _ = events.send(Event::SyncProgress(p.done, p.total));
                        if busy && p.done == p.total {
                            busy = false;
                            let _ = events.send(Event::Synced(Ok(Vec::new())));
                            let _ = events.send(Event::Changed);
                            exchanged.notify_one();
                        }
                    };
                    let outcome = tokio::select! {
                        outcome = handle.watch(&mut pushed, &wake) => outcome,
                        _ = stop.changed() => return,
                    };
                    if let Err(e @ DeviceError::Revoked { .. }) = outcome {
                        let _ = commands.send(Command::SyncEnded(Err(e)));
                        return;
                    }
                }
                // Offline, or the connection dropped: again after a pause,
                // or at once when woken.
                tokio::select! {
                    () = tokio::time::sleep(pause) => {}
                    () = wake.notified() => {}
                    _ = stop.changed() => return,
                }
                pause = (pause * 2).min(MOST_BACKOFF);
            }
        });
    }

    /// The line to the server's team and report routes, or `None` (locked,
    /// or not enrolled: then the screen is told why with `failed`).
    fn link<T>(&mut self, failed: fn(Result<T, DeviceError>) -> Event) -> Option<TeamLink> {
        let device = self.device.as_ref()?;
        match device.team_link() {
            Ok(link) => Some(link),
            Err(e) => {
                self.emit(failed(Err(e)));
                None
            }
        }
    }

    /// After an activity was recorded or reviewed: tells the screens, and
    /// sends it to the server when online.
    fn after_team_doc_write(&mut self, done: Result<(), DeviceError>) {
        let ok = done.is_ok();
        self.emit(Event::Done(done));
        self.emit(Event::Changed);
        if ok {
            self.push_team_docs();
        }
    }

    /// An attachment for the full view: from the store, else fetched from
    /// the server on the runtime (with a handle of its own).
    fn open_attachment(&mut self, hash: brug_shared::model::BlobHash) {
        let Some(device) = self.device.as_ref() else {
            return;
        };
        match device.attachment_here(&hash) {
            Ok(crate::device::Held::Here(bytes)) => {
                self.emit(Event::Attachment(hash, Ok(Arc::new(bytes))));
            }
            Err(e) => self.emit(Event::Attachment(hash, Err(e))),
            Ok(crate::device::Held::Elsewhere) => {
                let mut handle = match device.handle() {
                    Ok(h) => h,
                    Err(e) => {
                        self.emit(Event::Attachment(hash, Err(e)));
                        return;
                    }
                };
                let events = self.events.clone();
                self.runtime.spawn(async move {
                    let fetched = handle.attachment_bytes(&hash, false).await.map(Arc::new);
                    let _ = events.send(Event::Attachment(hash, fetched));
                });
            }
        }
    }

    /// Fetches a report on the runtime; the worker hears the outcome on its
    /// own queue and keeps it (or shows the last one).
    fn fetch_report(&mut self, query: brug_shared::report::Query) {
        let Some(link) = self.link(Event::Report) else {
            return;
        };
        let back = self.commands.clone();
        self.runtime.spawn(async move {
            let fetched = link.report(&query).await;
            let _ = back.send(Command::ReportArrived(fetched));
        });
    }

    /// Fetches the report as Excel and writes it into `rapporten/` of the
    /// device folder (never a temporary file: it holds no personal data,
    /// but it is the department's).
    fn save_report_xlsx(&mut self, query: brug_shared::report::Query) {
        let Some(link) = self.link(Event::ReportSaved) else {
            return;
        };
        let folder = self.home.join("rapporten");
        let events = self.events.clone();
        self.runtime.spawn(async move {
            let saved = async {
                let bytes = link.report_xlsx(&query).await?;
                let path = folder.join(format!("brug-rapport-{}-{}.xlsx", query.from, query.to));
                tokio::fs::create_dir_all(&folder)
                    .await
                    .map_err(|e| DeviceError::BadInput(e.to_string()))?;
                tokio::fs::write(&path, bytes)
                    .await
                    .map_err(|e| DeviceError::BadInput(e.to_string()))?;
                Ok(path)
            }
            .await;
            let _ = events.send(Event::ReportSaved(saved));
        });
    }

    /// Sends the team's documents (catalogue, activities) to the server
    /// now, on a second handle; when it cannot (offline), the next sync
    /// session does.
    fn push_team_docs(&mut self) {
        let Some(mut handle) = self.device.as_ref().and_then(|d| d.handle().ok()) else {
            return;
        };
        let events = self.events.clone();
        self.runtime.spawn(async move {
            match handle.sync_team_docs_now().await {
                Ok(true) => {
                    let _ = events.send(Event::Changed);
                }
                Ok(false) => {}
                Err(e) => {
                    tracing::info!(error = %e, "team records not sent yet; the next sync sends them")
                }
            }
        });
    }

    fn sync_ended(&mut self, outcome: Result<Vec<JoinedDevice>, DeviceError>) {
        match outcome {
            Err(e @ DeviceError::Revoked { .. }) => {
                self.live = None;
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
        let Some(link) = self.link(Event::Team) else {
            return;
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
                TeamCall::Erase(request) => link.erase(&request).await.map(TeamAnswer::Erased),
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
    let ctx = device.rule_context();
    let now = ctx.now;
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
        catalogue: ctx.catalogue,
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

/// Sends and fetches attachments whenever `exchanged` says a live exchange
/// ended, until the live task stops.
async fn attachment_pump(
    mut device: Device,
    exchanged: Arc<tokio::sync::Notify>,
    events: UnboundedSender<Event>,
    mut stop: tokio::sync::watch::Receiver<()>,
) {
    loop {
        tokio::select! {
            () = exchanged.notified() => {}
            _ = stop.changed() => return,
        }
        let budget = device.attachment_limits().sync_budget_bytes;
        match device.sync_attachments(budget).await {
            Ok(report) if report.sent + report.thumbs_fetched + report.removed > 0 => {
                let _ = events.send(Event::Changed);
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "attachments not synced this time"),
        }
    }
}
