//! What the screens show, kept in signals and filled by the device
//! service's events ([`brug_device::service`]). Screens read these signals
//! and send commands; they never call the device themselves. Each kind of
//! data has its own signal, so a sync's progress re-renders the sync bar
//! only, and a case list arriving re-renders the case list only.

use std::path::PathBuf;

use brug_device::DeviceError;
use brug_device::device::{CaseView, DeviceInfo, Lease, Status};
use brug_device::index::{IndexRow, QueueItem};
use brug_device::keys::KeyError;
use brug_device::service::{Command, Event, OpenForm, Service, TeamAnswer};
use brug_device::shared::casedoc::{FieldChange, HistoryEntry};
use brug_device::shared::model::{self as model, Catalogue, Role};
use brug_device::shared::protocol::quarantine::Entry;
use brug_device::shared::protocol::team::{EnrolCode, Team};
use dioxus::prelude::*;
use uuid::Uuid;

use crate::components::{LockReason, ShownReport};
use crate::i18n::{Lang, Text, t};
use brug_device::messages::Localized;
use brug_device::shared::report::Query;

use crate::prefs::{Prefs, load_prefs};
use crate::{format, qr};

/// Which screen shows.
#[derive(Debug, Clone, PartialEq)]
pub enum Screen {
    /// Enrolment.
    Enrol,
    /// The PIN.
    Lock,
    /// The case list.
    Cases,
    /// One case.
    Case(Uuid),
    /// A form.
    Form(Box<OpenForm>),
    /// A record to review.
    Review {
        /// The case.
        case: Uuid,
        /// The record.
        record: Uuid,
    },
    /// A case's conflicting fields.
    Conflicts(Uuid),
    /// Who works a case.
    Assign(Uuid),
    /// A case's history.
    History(Uuid),
    /// A supervisor erases a member's data or a whole case (GDPR).
    Erase {
        /// The case.
        case: Uuid,
        /// What.
        pick: crate::components::ErasePick,
    },
    /// One attachment in full.
    Attachment {
        /// The case.
        case: Uuid,
        /// The reference's id in the case.
        id: Uuid,
    },
    /// The supervisor's team.
    Team,
    /// The supervisor's queue.
    Queue,
    /// The team's referral catalogue.
    Catalogue,
    /// The team's collective activities.
    Activities,
    /// The report on the multi-year plan.
    Report,
    /// Settings.
    Settings,
}

/// The sync bar's state.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SyncUi {
    /// A session runs.
    pub running: bool,
    /// Cases done of total.
    pub progress: Option<(usize, usize)>,
    /// The last session reached the server.
    pub online: bool,
    /// The last session's error.
    pub error: Option<String>,
}

/// The case list's filters (kept across screens: the queue sets one).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Filters {
    /// Search text.
    pub text: String,
    /// A flag code.
    pub flag: Option<String>,
    /// A status code.
    pub status: Option<String>,
    /// Only the user's own cases.
    pub mine: bool,
}

/// Data read for one thing (a case, a review), tagged with what it is for,
/// so a screen never shows another case's data while its own is on the way.
pub type Read<K, T> = Option<(K, Result<T, String>)>;

/// A record under review: its case and what changed since its approval.
pub type ReviewData = (Box<CaseView>, Vec<FieldChange>);

/// The queue: what waits, item by item.
pub type QueueData = Result<Vec<QueueItem>, String>;

/// The supervisor's team screens.
#[derive(Clone, Copy, Debug)]
pub struct TeamUi {
    /// The team as the server said.
    pub team: Signal<Option<Team>>,
    /// A request runs.
    pub busy: Signal<bool>,
    /// The last request's error.
    pub error: Signal<Option<String>>,
    /// The last enrolment code made: user, code, QR SVG.
    pub code: Signal<Option<(String, EnrolCode, String)>>,
    /// Work waiting in quarantine.
    pub waiting: Signal<Vec<Entry>>,
    /// The last erasure done.
    pub erased: Signal<Option<brug_device::shared::protocol::team::Erased>>,
}

/// The Report screen: what was asked, what came, where the Excel went.
#[derive(Clone, Copy, Debug)]
pub struct ReportUi {
    /// The query the chooser shows (none until the screen opens).
    pub query: Signal<Option<Query>>,
    /// The report shown (fresh, or the last one kept).
    pub shown: Signal<Option<ShownReport>>,
    /// A fetch runs.
    pub busy: Signal<bool>,
    /// No report came and none is kept: why.
    pub error: Signal<Option<String>>,
    /// Where the last Excel file went, or why it did not.
    pub saved: Signal<Option<Result<String, String>>>,
}

impl ReportUi {
    /// Asks the device service for the report of `query`.
    pub fn fetch(&self, ui: &Ui, query: Query) {
        let mut this = *self;
        this.query.set(Some(query.clone()));
        this.busy.set(true);
        this.saved.set(None);
        ui.send(Command::Report(query));
    }
}

/// The app's state and its line to the device service.
#[derive(Clone, Copy, Debug)]
pub struct Ui {
    service: CopyValue<Option<Service>>,
    /// The data folder.
    pub home: CopyValue<PathBuf>,
    /// Language and lock timeout.
    pub prefs: Signal<Prefs>,
    /// Which screen shows.
    pub screen: Signal<Screen>,
    /// Where to return after the PIN.
    pub resume: Signal<Screen>,
    /// Why the lock screen shows.
    pub lock_reason: Signal<LockReason>,
    /// Who is enrolled, while unlocked.
    pub info: Signal<Option<DeviceInfo>>,
    /// Status for the sync bar.
    pub status: Signal<Option<Status>>,
    /// Lease for the settings.
    pub lease: Signal<Option<Lease>>,
    /// Bumped whenever something stored changed: screens read again.
    pub version: Signal<u64>,
    /// The case list's filters.
    pub filters: Signal<Filters>,
    /// The case list.
    pub cases: Signal<Option<Result<Vec<IndexRow>, String>>>,
    /// The open case.
    pub case: Signal<Read<Uuid, Box<CaseView>>>,
    /// The record under review.
    pub review: Signal<Read<(Uuid, Uuid), ReviewData>>,
    /// A case's history.
    pub history: Signal<Read<Uuid, (String, Vec<HistoryEntry>)>>,
    /// The attachment in full view: its bytes.
    pub attachment: Signal<Read<brug_device::shared::model::BlobHash, std::sync::Arc<Vec<u8>>>>,
    /// The queue: what waits, item by item.
    pub queue: Signal<Option<QueueData>>,
    /// The open form's save error.
    pub form_error: Signal<Option<String>>,
    /// The sync bar.
    pub sync: Signal<SyncUi>,
    /// A note on top: (good, text); a good one goes away by itself.
    pub flash: Signal<Option<(bool, String)>>,
    /// Enrolment: the URL, its error, whether it runs.
    pub enrol: Signal<(String, Option<String>, bool)>,
    /// The team screens.
    pub team: TeamUi,
    /// The team's referral catalogue.
    pub catalogue: Signal<Option<Result<std::sync::Arc<Catalogue>, String>>>,
    /// The catalogue's service being edited.
    pub editing_service: Signal<Option<model::Service>>,
    /// The team's collective activities.
    pub activities: Signal<Option<Result<Vec<model::Activity>, String>>>,
    /// The activity being edited.
    pub editing_activity: Signal<Option<model::Activity>>,
    /// The Report screen.
    pub report: ReportUi,
}

impl Ui {
    /// Sends a command to the device service.
    pub fn send(&self, command: Command) {
        if let Some(service) = self.service.read().as_ref() {
            service.send(command);
        }
    }

    /// The language chosen.
    pub fn lang(&self) -> Lang {
        self.prefs.read().lang
    }

    /// Whether the device is unlocked.
    pub fn unlocked(&self) -> bool {
        self.info.read().is_some()
    }

    /// The user's role, while unlocked.
    pub fn role(&self) -> Option<Role> {
        self.info
            .read()
            .as_ref()
            .and_then(|i| Role::from_code(&i.role))
    }

    /// Whether the user reviews (a supervisor).
    pub fn supervisor(&self) -> bool {
        self.info
            .read()
            .as_ref()
            .and_then(|i| Role::from_code(&i.role))
            .is_some_and(Role::reviews)
    }

    /// Locks: forgets the unlocked device and remembers where the worker
    /// was, to return there after the PIN.
    pub fn lock(&self) {
        let mut this = *self;
        let current = this.screen.peek().clone();
        if current != Screen::Lock && current != Screen::Enrol {
            this.resume.set(current);
        }
        self.send(Command::Lock);
        this.info.set(None);
        this.lock_reason.set(LockReason::Idle);
        this.screen.set(Screen::Lock);
    }

    /// Asks the team routes (supervisors).
    pub fn team_call(&self, call: brug_device::service::TeamCall) {
        let mut team = self.team;
        team.busy.set(true);
        team.error.set(None);
        self.send(Command::Team(call));
    }

    fn say(&self, e: &DeviceError) -> String {
        e.text(self.prefs.peek().lang)
    }

    /// Takes in one event of the device service.
    fn apply(&self, event: Event) {
        let mut ui = *self;
        let lang = ui.prefs.peek().lang;
        match event {
            Event::Enrolled(info) => {
                ui.enrol.write().2 = false;
                let home = home_screen(&info);
                ui.info.set(Some(info));
                ui.screen.set(home);
            }
            Event::EnrolFailed(e) => {
                let mut enrol = ui.enrol.write();
                enrol.1 = Some(self.say(&e));
                enrol.2 = false;
            }
            Event::Unlocked { info, lease, form } => {
                let home = home_screen(&info);
                ui.info.set(Some(info));
                ui.lease.set(lease);
                ui.lock_reason.set(LockReason::Idle);
                if let Some(l) = lease.filter(|l| l.locked) {
                    let text = format!("{} ({})", t(lang, Text::LeaseExpired), l.since_sync_days);
                    ui.flash.set(Some((false, text)));
                }
                let next = match (ui.resume.peek().clone(), form) {
                    (Screen::Form(_), Some(form)) => Screen::Form(form),
                    (Screen::Form(_), None) => home,
                    (Screen::Cases, _) => home,
                    (other, _) => other,
                };
                ui.screen.set(next);
                *ui.version.write() += 1;
            }
            Event::UnlockFailed(e) => match e {
                DeviceError::Key(KeyError::WrongPin { attempts }) => {
                    ui.lock_reason.set(LockReason::WrongPin { attempts });
                }
                DeviceError::Key(KeyError::Wait { seconds }) => {
                    ui.lock_reason.set(LockReason::Wait { seconds });
                }
                DeviceError::Key(KeyError::LockedOut) => ui.lock_reason.set(LockReason::LockedOut),
                DeviceError::Key(KeyError::NotEnrolled) => ui.screen.set(Screen::Enrol),
                e => ui.flash.set(Some((false, self.say(&e)))),
            },
            Event::Status(status) => {
                ui.lease.set(Some(status.lease));
                ui.status.set(Some(status));
            }
            Event::Cases(rows) => ui.cases.set(Some(rows.map_err(|e| self.say(&e)))),
            Event::Case(id, view) => ui.case.set(Some((id, view.map_err(|e| self.say(&e))))),
            Event::ReviewData { case, record, data } => {
                ui.review
                    .set(Some(((case, record), data.map_err(|e| self.say(&e)))));
            }
            Event::Attachment(hash, bytes) => {
                ui.attachment
                    .set(Some((hash, bytes.map_err(|e| self.say(&e)))));
            }
            Event::History(case, data) => {
                ui.history.set(Some((case, data.map_err(|e| self.say(&e)))));
            }
            Event::Catalogue(c) => ui.catalogue.set(Some(c.map_err(|e| self.say(&e)))),
            Event::Queue(items) => ui.queue.set(Some(items.map_err(|e| self.say(&e)))),
            Event::Form(form) => {
                ui.form_error.set(None);
                ui.screen.set(Screen::Form(form));
            }
            Event::Saved(Ok(case)) => {
                ui.form_error.set(None);
                ui.flash.set(Some((true, t(lang, Text::Saved).to_owned())));
                ui.screen.set(Screen::Case(case));
            }
            Event::Saved(Err(e)) => ui.form_error.set(Some(self.say(&e))),
            Event::Done(Ok(())) => {
                // A service or an activity saved: its editor closes.
                ui.editing_service.set(None);
                ui.editing_activity.set(None);
                ui.flash.set(Some((true, t(lang, Text::Saved).to_owned())));
            }
            Event::Done(Err(e)) => ui.flash.set(Some((false, self.say(&e)))),
            Event::Changed => *ui.version.write() += 1,
            Event::SyncStarted => {
                let mut sync = ui.sync.write();
                sync.running = true;
                sync.progress = None;
            }
            Event::SyncProgress(done, total) => ui.sync.write().progress = Some((done, total)),
            Event::Synced(outcome) => {
                let mut sync = ui.sync.write();
                sync.running = false;
                sync.progress = None;
                match outcome {
                    Ok(joined) => {
                        sync.online = true;
                        sync.error = None;
                        // Stays until dismissed: a device the worker does
                        // not know may be someone else's.
                        if let Some(j) = joined.last() {
                            let when = chrono::DateTime::from_timestamp_millis(j.at)
                                .map(format::moment)
                                .unwrap_or_default();
                            let text = crate::i18n::device_joined(lang, &j.name, &when);
                            ui.flash.set(Some((false, text)));
                        }
                    }
                    Err(e) => {
                        sync.online = false;
                        sync.error = Some(self.say(&e));
                    }
                }
            }
            Event::Revoked(_) => {
                let mut sync = ui.sync.write();
                sync.running = false;
                sync.progress = None;
                drop(sync);
                ui.info.set(None);
                ui.lock_reason.set(LockReason::Revoked);
                ui.screen.set(Screen::Lock);
            }
            Event::Team(answer) => {
                let mut team = ui.team;
                team.busy.set(false);
                match answer {
                    Ok(TeamAnswer::Team(t)) => team.team.set(Some(t)),
                    Ok(TeamAnswer::Waiting(w)) => team.waiting.set(w),
                    Ok(TeamAnswer::Erased(done)) => {
                        team.erased.set(Some(done));
                        // The case's new generation replaces this copy.
                        ui.send(Command::Sync);
                    }
                    Ok(TeamAnswer::Code(user, code)) => match qr::svg(&code.url) {
                        Ok(svg) => team.code.set(Some((user, code, svg))),
                        Err(e) => team.error.set(Some(crate::i18n::qr_error(lang, &e))),
                    },
                    Err(e) => team.error.set(Some(self.say(&e))),
                }
            }
            Event::Activities(a) => ui.activities.set(Some(a.map_err(|e| self.say(&e)))),
            Event::Report(view) => {
                let mut report = ui.report;
                report.busy.set(false);
                match view {
                    Ok(v) => {
                        report.error.set(None);
                        let fetched = chrono::DateTime::from_timestamp_millis(v.fetched_at)
                            .map(format::moment)
                            .unwrap_or_default();
                        report.shown.set(Some(ShownReport {
                            report: v.report,
                            fetched,
                            problem: v.problem.map(|e| self.say(&e)),
                        }));
                    }
                    Err(e) => report.error.set(Some(self.say(&e))),
                }
            }
            Event::ReportSaved(saved) => {
                let mut report = ui.report;
                report.saved.set(Some(
                    saved
                        .map(|p| p.display().to_string())
                        .map_err(|e| self.say(&e)),
                ));
            }
            Event::Locked => {
                if ui.info.peek().is_some() {
                    self.lock();
                }
            }
        }
    }
}

/// Where a user lands after the PIN: the policy lead, who holds no cases,
/// on the report; everyone else on the case list.
fn home_screen(info: &DeviceInfo) -> Screen {
    match Role::from_code(&info.role) {
        Some(r) if !r.holds_cases() => Screen::Report,
        _ => Screen::Cases,
    }
}

/// Starts the device service for `home` and the state the screens read;
/// call once, in the app's root.
pub fn use_ui(home: PathBuf, enrol_url: Option<String>) -> Ui {
    use_hook(move || {
        let prefs = load_prefs(&home);
        let screen = if brug_device::keys::exists(&home) {
            Screen::Lock
        } else {
            Screen::Enrol
        };
        let started = Service::start(home.clone(), tokio::runtime::Handle::current());
        let start_error = started.as_ref().err().map(|e| e.to_string());
        let (service, events) = match started {
            Ok((service, events)) => (Some(service), Some(events)),
            Err(_) => (None, None),
        };
        let ui = Ui {
            service: CopyValue::new(service),
            home: CopyValue::new(home),
            prefs: Signal::new(prefs),
            screen: Signal::new(screen),
            resume: Signal::new(Screen::Cases),
            lock_reason: Signal::new(LockReason::Idle),
            info: Signal::new(None),
            status: Signal::new(None),
            lease: Signal::new(None),
            version: Signal::new(0),
            filters: Signal::new(Filters::default()),
            cases: Signal::new(None),
            case: Signal::new(None),
            review: Signal::new(None),
            history: Signal::new(None),
            attachment: Signal::new(None),
            queue: Signal::new(None),
            catalogue: Signal::new(None),
            editing_service: Signal::new(None),
            activities: Signal::new(None),
            editing_activity: Signal::new(None),
            report: ReportUi {
                query: Signal::new(None),
                shown: Signal::new(None),
                busy: Signal::new(false),
                error: Signal::new(None),
                saved: Signal::new(None),
            },
            form_error: Signal::new(None),
            sync: Signal::new(SyncUi::default()),
            flash: Signal::new(start_error.map(|e| {
                let text = match prefs.lang {
                    Lang::Nl => format!("Brug kan niet starten: {e}"),
                    Lang::En => format!("Brug cannot start: {e}"),
                };
                (false, text)
            })),
            enrol: Signal::new((enrol_url.unwrap_or_default(), None, false)),
            team: TeamUi {
                team: Signal::new(None),
                busy: Signal::new(false),
                error: Signal::new(None),
                code: Signal::new(None),
                waiting: Signal::new(Vec::new()),
                erased: Signal::new(None),
            },
        };
        if let Some(mut events) = events {
            spawn(async move {
                while let Some(event) = events.recv().await {
                    ui.apply(event);
                }
            });
        }
        ui
    })
}
