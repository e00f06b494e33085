//! The app: which screen shows, the unlocked device, sync in the
//! background, the inactivity lock and the settings. Every screen is a
//! component of [`crate::components`] or [`crate::forms`]; this module wires
//! them to `brug-device`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use brug_device::device::{CaseView, Device, DeviceError};
use brug_device::index::{CaseQuery, IndexRow};
use brug_device::keys::{self, KeyError};
use brug_shared::casedoc::ReviewAction;
use brug_shared::model::Household;
use brug_shared::protocol::quarantine::Entry;
use brug_shared::protocol::team::{EnrolCode, Team};
use dioxus::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::components::*;
use crate::forms::{self, FormKind, RecordForm};
use crate::i18n::{Lang, Text, t};
use crate::{format, qr};

/// What the launcher hands the app.
#[derive(Debug, Clone, PartialEq)]
pub struct Launch {
    /// The device's data folder.
    pub home: PathBuf,
    /// An enrolment URL from the command line.
    pub enrol_url: Option<String>,
}

/// Preferences kept outside the encrypted store (the lock screen needs the
/// language before the PIN): language and lock timeout. No personal data.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Prefs {
    /// Language.
    pub lang: Lang,
    /// Minutes without use before the app locks.
    pub lock_minutes: u32,
}

impl Default for Prefs {
    fn default() -> Self {
        Self {
            lang: Lang::Nl,
            lock_minutes: 5,
        }
    }
}

const PREFS_FILE: &str = "prefs.json";

/// Reads the preferences in `home` (defaults when missing or unreadable).
pub fn load_prefs(home: &std::path::Path) -> Prefs {
    std::fs::read_to_string(home.join(PREFS_FILE))
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default()
}

fn save_prefs(home: &std::path::Path, prefs: &Prefs) {
    let _ = std::fs::create_dir_all(home);
    if let Ok(s) = serde_json::to_string_pretty(prefs) {
        let _ = std::fs::write(home.join(PREFS_FILE), s);
    }
}

/// The part of a "nl / en" message in the user's language.
pub fn in_lang(lang: Lang, message: &str) -> String {
    let parts: Vec<&str> = message.splitn(2, " / ").collect();
    match (parts.as_slice(), lang) {
        ([nl, _], Lang::Nl) => (*nl).to_owned(),
        ([_, en], Lang::En) => (*en).to_owned(),
        _ => message.to_owned(),
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Screen {
    Enrol,
    Lock,
    Cases,
    Case(Uuid),
    Form(Box<OpenForm>),
    Review { case: Uuid, record: Uuid },
    Conflicts(Uuid),
    Assign(Uuid),
    History(Uuid),
    Team,
    Queue,
    Settings,
}

#[derive(Debug, Clone, PartialEq, Default)]
struct SyncUi {
    running: bool,
    progress: Option<(usize, usize)>,
    online: bool,
    error: Option<String>,
}

fn draft_key(case: Option<Uuid>, kind: FormKind, record: Option<Uuid>) -> String {
    match (case, kind, record) {
        (None, _, _) => "new-case".into(),
        (Some(c), FormKind::Household, _) => format!("{c}/household"),
        (Some(c), FormKind::Record(k), Some(r)) => format!("{c}/{}/{r}", k.code()),
        (Some(c), FormKind::Record(k), None) => format!("{c}/{}/new", k.code()),
    }
}

/// A request to the server's team routes.
#[derive(Debug)]
enum TeamCall {
    Members(Option<Uuid>),
    Assign(Uuid, String, bool),
    Code(String),
    Waiting,
    Decide(i64, bool),
}

#[derive(Debug)]
enum TeamAnswer {
    Team(Team),
    Code(String, EnrolCode),
    Waiting(Vec<Entry>),
}

/// A form as it was opened: what it starts with is decided once, so a
/// background sync or a lock does not reset what the worker is typing.
#[derive(Debug, Clone, PartialEq)]
struct OpenForm {
    case: Option<Uuid>,
    kind: FormKind,
    record: Option<Uuid>,
    /// The record's id (a new one for a new record).
    record_id: Uuid,
    /// The draft's key.
    key: String,
    /// The record when the form opened (or the draft's base).
    base: Value,
    /// What the form shows first: the draft, or the base.
    start: Value,
    /// Whether `start` is a restored draft.
    restored: bool,
}

/// Opens a form: the record as stored (or a blank one), or the draft typed
/// before, with the base it was typed against.
fn open_form(dev: &Device, case: Option<Uuid>, kind: FormKind, record: Option<Uuid>) -> OpenForm {
    let key = draft_key(case, kind, record);
    let stored = case.and_then(|c| dev.case(c).ok());
    let base = match (kind, record, stored.as_ref()) {
        (FormKind::Household, _, Some(c)) => {
            serde_json::to_value(&c.household).unwrap_or(Value::Null)
        }
        (FormKind::Record(k), Some(r), Some(c)) => {
            c.record(k, r).map(|r| r.to_json()).unwrap_or(Value::Null)
        }
        _ => forms::blank(kind, dev.rule_context().now.date()),
    };
    let draft = dev.draft(&key).ok().flatten();
    let (start, restored, base) = match draft.as_ref().map(|d| (d.get("edited"), d.get("base"))) {
        Some((Some(e), Some(b))) if !e.is_null() => (e.clone(), true, b.clone()),
        _ => (base.clone(), false, base),
    };
    OpenForm {
        case,
        kind,
        record,
        record_id: record.unwrap_or_else(Uuid::now_v7),
        key,
        base,
        start,
        restored,
    }
}

/// The whole app.
#[allow(non_snake_case)]
pub fn App() -> Element {
    let launch = use_context::<Launch>();
    let home = launch.home.clone();
    let mut prefs = use_signal({
        let home = home.clone();
        move || load_prefs(&home)
    });
    let mut device = use_signal(|| None::<Device>);
    let mut screen = use_signal({
        let home = home.clone();
        move || {
            if keys::exists(&home) {
                Screen::Lock
            } else {
                Screen::Enrol
            }
        }
    });
    let resume = use_signal(|| Screen::Cases);
    let mut lock_reason = use_signal(|| LockReason::Idle);
    let sync = use_signal(SyncUi::default);
    let refresh = use_signal(|| 0u64);
    let mut flash = use_signal(|| None::<(bool, String)>);
    let mut last_activity = use_signal(Instant::now);
    let mut enrol_url = use_signal(|| launch.enrol_url.clone().unwrap_or_default());
    let mut enrol_error = use_signal(|| None::<String>);
    let mut enrolling = use_signal(|| false);
    let mut form_error = use_signal(|| None::<String>);
    let mut query = use_signal(String::new);
    let mut flag = use_signal(|| None::<String>);
    let mut status_filter = use_signal(|| None::<String>);
    let mut mine = use_signal(|| false);
    // The supervisor's team screens: what the server said, and the last code.
    let mut team = use_signal(|| None::<Team>);
    let team_busy = use_signal(|| false);
    let team_error = use_signal(|| None::<String>);
    let mut team_code = use_signal(|| None::<(String, EnrolCode, String)>);
    let waiting = use_signal(Vec::<Entry>::new);
    let lang = prefs().lang;

    // Runs one sync session on a second handle, so the screens stay usable.
    let start_sync = move || {
        let (mut sync, mut device, mut lock_reason, mut screen, mut refresh) =
            (sync, device, lock_reason, screen, refresh);
        if sync.peek().running {
            return;
        }
        let Some(mut handle) = device.peek().as_ref().and_then(|d| d.handle().ok()) else {
            return;
        };
        sync.write().running = true;
        sync.write().progress = None;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        spawn(async move {
            while let Some(p) = rx.recv().await {
                let p: brug_device::sync::Progress = p;
                sync.write().progress = Some((p.done, p.total));
            }
        });
        spawn(async move {
            let task = tokio::spawn(async move {
                let mut report = move |p| {
                    let _ = tx.send(p);
                };
                let outcome = handle.sync(&mut report).await;
                outcome.map(|r| r.joined)
            });
            let outcome = match task.await {
                Ok(o) => o,
                Err(e) => Err(DeviceError::BadInput(e.to_string())),
            };
            let mut s = sync.write();
            s.running = false;
            s.progress = None;
            match outcome {
                Ok(joined) => {
                    s.online = true;
                    s.error = None;
                    // Stays until dismissed: a device the worker does not
                    // know may be someone else's.
                    if let Some(j) = joined.last() {
                        let when = chrono::DateTime::from_timestamp_millis(j.at)
                            .map(format::moment)
                            .unwrap_or_default();
                        flash.set(Some((
                            false,
                            crate::i18n::device_joined(prefs.peek().lang, &j.name, &when),
                        )));
                    }
                }
                Err(DeviceError::Revoked { .. }) => {
                    drop(s);
                    device.set(None);
                    lock_reason.set(LockReason::Revoked);
                    screen.set(Screen::Lock);
                    return;
                }
                Err(e) => {
                    s.online = false;
                    s.error = Some(in_lang(prefs.peek().lang, &e.to_string()));
                }
            }
            drop(s);
            *refresh.write() += 1;
        });
    };

    // Asks the server's team routes in the background; `done` gets the answer.
    let team_call = move |call: TeamCall| {
        let (mut team, mut team_busy, mut team_error, mut team_code, mut waiting) =
            (team, team_busy, team_error, team_code, waiting);
        let link = match device.peek().as_ref().map(|d| d.team_link()) {
            Some(Ok(link)) => link,
            Some(Err(e)) => {
                team_error.set(Some(in_lang(prefs.peek().lang, &e.to_string())));
                return;
            }
            None => return,
        };
        team_busy.set(true);
        team_error.set(None);
        spawn(async move {
            let answer = tokio::spawn(async move {
                match call {
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
                }
            })
            .await;
            team_busy.set(false);
            match answer {
                Ok(Ok(TeamAnswer::Team(t))) => team.set(Some(t)),
                Ok(Ok(TeamAnswer::Waiting(w))) => waiting.set(w),
                Ok(Ok(TeamAnswer::Code(user, code))) => match qr::svg(&code.url) {
                    Ok(svg) => team_code.set(Some((user, code, svg))),
                    Err(e) => team_error.set(Some(e)),
                },
                Ok(Err(e)) => team_error.set(Some(in_lang(prefs.peek().lang, &e.to_string()))),
                Err(e) => team_error.set(Some(e.to_string())),
            }
        });
    };

    // Locks: forgets the unlocked device (its key) and remembers where the
    // worker was, to return there after the PIN.
    let lock = move || {
        let (mut resume, mut device, mut lock_reason, mut screen) =
            (resume, device, lock_reason, screen);
        let current = screen.peek().clone();
        resume.set(current);
        device.set(None);
        lock_reason.set(LockReason::Idle);
        screen.set(Screen::Lock);
    };

    // Background: sync every minute while unlocked; lock after inactivity.
    use_future(move || async move {
        let mut ticks: u64 = 0;
        loop {
            tokio::time::sleep(Duration::from_secs(5)).await;
            ticks += 1;
            if device.peek().is_none() {
                continue;
            }
            let limit = Duration::from_secs(u64::from(prefs.peek().lock_minutes) * 60);
            if last_activity.peek().elapsed() >= limit {
                lock();
                continue;
            }
            if ticks % 12 == 0 {
                start_sync();
            }
        }
    });

    // A "saved" note goes away by itself; an error stays until dismissed.
    use_effect(move || {
        if let Some((true, shown)) = flash() {
            spawn(async move {
                tokio::time::sleep(Duration::from_secs(4)).await;
                if flash
                    .peek()
                    .as_ref()
                    .is_some_and(|(good, m)| *good && *m == shown)
                {
                    flash.set(None);
                }
            });
        }
    });

    let touch = move |_| last_activity.set(Instant::now());

    // --- data for the current screen -------------------------------------
    let _ = refresh();
    let current = screen();
    let info = device.read().as_ref().map(|d| d.info().clone());
    let supervisor = info.as_ref().is_some_and(|i| i.role == "supervisor");
    let status = device.read().as_ref().and_then(|d| d.status().ok());

    let body = match current.clone() {
        Screen::Enrol => {
            let home = home.clone();
            let busy = sync().running || enrolling();
            rsx! {
                EnrolScreen {
                    lang,
                    url: enrol_url(),
                    busy,
                    progress: sync().progress,
                    error: enrol_error(),
                    on_qr_file: move |path: String| match qr::read_png(std::path::Path::new(&path)) {
                        Ok(url) => {
                            enrol_url.set(url);
                            enrol_error.set(None);
                        }
                        Err(e) => enrol_error.set(Some(in_lang(lang, &e))),
                    },
                    on_enrol: move |req: EnrolRequest| {
                        let home = home.clone();
                        enrol_error.set(None);
                        enrolling.set(true);
                        enrol_url.set(req.url.clone());
                        spawn(async move {
                            let made = tokio::spawn(async move {
                                Device::enrol(&home, &req.url, &req.pin, &req.device_name).await
                            })
                            .await;
                            enrolling.set(false);
                            match made {
                                Ok(Ok(d)) => {
                                    device.set(Some(d));
                                    last_activity.set(Instant::now());
                                    screen.set(Screen::Cases);
                                    start_sync();
                                }
                                Ok(Err(e)) => enrol_error.set(Some(in_lang(lang, &e.to_string()))),
                                Err(e) => enrol_error.set(Some(e.to_string())),
                            }
                        });
                    },
                }
            }
        }
        Screen::Lock => {
            let home = home.clone();
            let revoked = lock_reason() == LockReason::Revoked;
            rsx! {
                LockScreen {
                    lang,
                    reason: lock_reason(),
                    on_pin: move |pin: String| match Device::open(&home, &pin) {
                        Ok(d) => {
                            let lease = d.lease().ok();
                            // A form open when the app locked comes back with what was typed.
                            let next = match resume() {
                                Screen::Form(f) => Screen::Form(Box::new(open_form(&d, f.case, f.kind, f.record))),
                                other => other,
                            };
                            device.set(Some(d));
                            last_activity.set(Instant::now());
                            lock_reason.set(LockReason::Idle);
                            if let Some(l) = lease.filter(|l| l.locked) {
                                flash.set(Some((false, format!("{} ({})", t(lang, Text::LeaseExpired), l.since_sync_days))));
                            }
                            screen.set(next);
                            start_sync();
                        }
                        Err(DeviceError::Key(KeyError::WrongPin { attempts })) => lock_reason.set(LockReason::WrongPin { attempts }),
                        Err(DeviceError::Key(KeyError::Wait { seconds })) => lock_reason.set(LockReason::Wait { seconds }),
                        Err(DeviceError::Key(KeyError::NotEnrolled)) => screen.set(Screen::Enrol),
                        Err(e) => flash.set(Some((false, in_lang(lang, &e.to_string())))),
                    },
                }
                if revoked {
                    button { class: "primary", onclick: move |_| screen.set(Screen::Enrol), "{t(lang, Text::Enrol)}" }
                }
            }
        }
        Screen::Cases => {
            let q = CaseQuery {
                text: Some(query()),
                status: status_filter(),
                flag: flag(),
                worker: if mine() {
                    info.as_ref().map(|i| i.user.clone())
                } else {
                    None
                },
                limit: Some(500),
            };
            let listed: Result<Vec<IndexRow>, String> = match device.read().as_ref() {
                Some(d) => d.list(&q).map_err(|e| in_lang(lang, &e.to_string())),
                None => Ok(Vec::new()),
            };
            match listed {
                Ok(rows) => rsx! {
                    CaseList {
                        lang,
                        rows,
                        query: query(),
                        flag: flag(),
                        mine: mine(),
                        status: status_filter(),
                        on_query: move |q| query.set(q),
                        on_flag: move |f| flag.set(f),
                        on_mine: move |m| mine.set(m),
                        on_status: move |s| status_filter.set(s),
                        on_open: move |id| screen.set(Screen::Case(id)),
                        on_new: move |_| {
                            form_error.set(None);
                            let opened = device.read().as_ref().map(|d| open_form(d, None, FormKind::Household, None));
                            if let Some(f) = opened {
                                screen.set(Screen::Form(Box::new(f)));
                            }
                        },
                    }
                },
                Err(e) => rsx! { p { class: "flash bad", role: "alert", "{e}" } },
            }
        }
        Screen::Case(id) => {
            let view: Result<CaseView, String> = match device.read().as_ref() {
                Some(d) => d.show(id).map_err(|e| in_lang(lang, &e.to_string())),
                None => Err(String::new()),
            };
            match view {
                Ok(view) => rsx! {
                    CaseScreen {
                        lang,
                        view,
                        supervisor,
                        on_form: move |(kind, record): (FormKind, Option<Uuid>)| {
                            form_error.set(None);
                            let opened = device.read().as_ref().map(|d| open_form(d, Some(id), kind, record));
                            if let Some(f) = opened {
                                screen.set(Screen::Form(Box::new(f)));
                            }
                        },
                        on_submit: move |record: Uuid| {
                            let outcome = device.write().as_mut().map(|d| d.review(id, &record.to_string(), ReviewAction::Submit, ""));
                            report_outcome(lang, outcome, flash, refresh);
                            start_sync();
                        },
                        on_review: move |record| screen.set(Screen::Review { case: id, record }),
                        on_conflicts: move |_| screen.set(Screen::Conflicts(id)),
                        on_history: move |_| screen.set(Screen::History(id)),
                        on_assign: move |_| {
                            team.set(None);
                            screen.set(Screen::Assign(id));
                            team_call(TeamCall::Members(Some(id)));
                        },
                        on_back: move |_| screen.set(Screen::Cases),
                    }
                },
                Err(e) => rsx! { p { class: "flash bad", role: "alert", "{e}" } },
            }
        }
        Screen::Form(open) => {
            let d = device.read();
            let Some(dev) = d.as_ref() else {
                return rsx! {};
            };
            let now = dev.rule_context().now;
            let case = open.case.and_then(|c| dev.case(c).ok());
            drop(d);
            let back = match open.case {
                Some(c) => Screen::Case(c),
                None => Screen::Cases,
            };
            let (o1, o2, o3) = (open.clone(), open.clone(), open.clone());
            let back2 = back.clone();
            rsx! {
                RecordForm {
                    key: "{open.key}-{open.restored}",
                    lang,
                    kind: open.kind,
                    case,
                    record_id: open.record_id,
                    start: open.start.clone(),
                    restored: open.restored,
                    now,
                    error: form_error(),
                    on_change: move |edited: Value| {
                        if let Some(d) = device.read().as_ref() {
                            let _ = d.save_draft(&o1.key, &json!({"base": o1.base, "edited": edited}));
                        }
                    },
                    on_discard: move |_| {
                        let reopened = device.read().as_ref().map(|d| {
                            let _ = d.drop_draft(&o2.key);
                            open_form(d, o2.case, o2.kind, o2.record)
                        });
                        if let Some(f) = reopened {
                            screen.set(Screen::Form(Box::new(f)));
                        }
                    },
                    on_cancel: move |_| screen.set(back.clone()),
                    on_save: move |edited: Value| {
                        let outcome = save_form(&mut device.write(), &o3, edited);
                        match outcome {
                            Ok(target) => {
                                if let Some(d) = device.read().as_ref() {
                                    let _ = d.drop_draft(&o3.key);
                                }
                                form_error.set(None);
                                flash.set(Some((true, t(lang, Text::Saved).to_owned())));
                                screen.set(target.map(Screen::Case).unwrap_or(back2.clone()));
                                start_sync();
                            }
                            Err(e) => form_error.set(Some(in_lang(lang, &e.to_string()))),
                        }
                    },
                }
            }
        }
        Screen::Review { case, record } => {
            let data = device.read().as_ref().and_then(|d| {
                let view = d.show(case).ok()?;
                let changes = d
                    .changes_since_approval(case, &record.to_string())
                    .unwrap_or_default();
                Some((view, changes))
            });
            match data {
                Some((view, changes)) => {
                    let items = timeline(lang, &view.case, &view.verdicts);
                    let item = items.into_iter().find(|i| i.id == record);
                    let Some(item) = item else { return rsx! {} };
                    let fields = view
                        .case
                        .record(item.kind, record)
                        .map(|r| {
                            forms::record_fields(FormKind::Record(item.kind), &r.to_json(), lang)
                        })
                        .unwrap_or_default();
                    rsx! {
                        ReviewScreen {
                            fields,
                            lang,
                            household: view.case.household.name.clone(),
                            kind: item.kind,
                            summary: format!("{} · {}", format::date_time(item.at), item.summary),
                            review: item.review.clone().unwrap_or_default(),
                            changes,
                            on_back: move |_| screen.set(Screen::Case(case)),
                            on_decide: move |decision: Decision| {
                                let (action, comment) = match decision {
                                    Decision::Approve => (ReviewAction::Approve, String::new()),
                                    Decision::Return(c) => (ReviewAction::Return, c),
                                };
                                let outcome = device.write().as_mut().map(|d| d.review(case, &record.to_string(), action, &comment));
                                report_outcome(lang, outcome, flash, refresh);
                                screen.set(Screen::Case(case));
                                start_sync();
                            },
                        }
                    }
                }
                None => rsx! {},
            }
        }
        Screen::Conflicts(case) => {
            let view = device.read().as_ref().and_then(|d| d.show(case).ok());
            match view {
                Some(view) => rsx! {
                    ConflictScreen {
                        lang,
                        household: view.case.household.name.clone(),
                        conflicts: view.conflicts.clone(),
                        on_back: move |_| screen.set(Screen::Case(case)),
                        on_choose: move |c: Choice| {
                            let record = c.record.map(|r| r.to_string()).unwrap_or_else(|| "household".into());
                            let outcome = device.write().as_mut().map(|d| d.resolve(case, &record, &c.field, c.value.clone()));
                            report_outcome(lang, outcome, flash, refresh);
                            start_sync();
                        },
                    }
                },
                None => rsx! {},
            }
        }
        Screen::Assign(case) => {
            let household = device
                .read()
                .as_ref()
                .and_then(|d| d.case(case).ok())
                .map(|c| c.household.name)
                .unwrap_or_default();
            rsx! {
                AssignScreen {
                    lang,
                    household,
                    team: team(),
                    busy: team_busy(),
                    error: team_error(),
                    on_toggle: move |(user, on): (String, bool)| team_call(TeamCall::Assign(case, user, on)),
                    on_back: move |_| screen.set(Screen::Case(case)),
                }
            }
        }
        Screen::History(case) => {
            let data = device.read().as_ref().and_then(|d| {
                Some((
                    d.case(case).ok()?.household.name,
                    d.history(case, None).ok()?,
                ))
            });
            match data {
                Some((household, entries)) => rsx! {
                    HistoryScreen { lang, household, entries, on_back: move |_| screen.set(Screen::Case(case)) }
                },
                None => rsx! {},
            }
        }
        Screen::Team => rsx! {
            TeamScreen {
                lang,
                team: team(),
                code: team_code(),
                busy: team_busy(),
                error: team_error(),
                on_make: move |user: String| team_call(TeamCall::Code(user)),
                waiting: waiting(),
                on_decide: move |(id, merge): (i64, bool)| team_call(TeamCall::Decide(id, merge)),
            }
        },
        Screen::Queue => {
            let counts: Vec<(String, usize)> = match device.read().as_ref() {
                Some(d) => QUEUE_FLAGS
                    .iter()
                    .map(|f| {
                        let q = CaseQuery {
                            flag: Some((*f).to_owned()),
                            ..Default::default()
                        };
                        ((*f).to_owned(), d.list(&q).map(|r| r.len()).unwrap_or(0))
                    })
                    .collect(),
                None => Vec::new(),
            };
            let waiting = device
                .read()
                .as_ref()
                .and_then(|d| d.waiting_for_review().ok())
                .unwrap_or((0, 0));
            rsx! {
                QueueScreen {
                    lang,
                    counts,
                    waiting,
                    on_pick: move |f: String| {
                        flag.set(Some(f));
                        query.set(String::new());
                        screen.set(Screen::Cases);
                    },
                }
            }
        }
        Screen::Settings => {
            let lease = device.read().as_ref().and_then(|d| d.lease().ok());
            match (info.clone(), lease) {
                (Some(info), Some(lease)) => {
                    let home = home.clone();
                    let home2 = home.clone();
                    rsx! {
                        SettingsScreen {
                            lang,
                            info,
                            lease,
                            lock_minutes: prefs().lock_minutes,
                            on_lang: move |l| {
                                prefs.write().lang = l;
                                save_prefs(&home, &prefs.peek());
                            },
                            on_lock_minutes: move |m| {
                                prefs.write().lock_minutes = m;
                                save_prefs(&home2, &prefs.peek());
                            },
                            on_lock_now: move |_| lock(),
                        }
                    }
                }
                _ => rsx! {},
            }
        }
    };

    // The window title names the screen (never a household: titles show
    // in task switchers); scripts and assistive tools can follow it.
    let title = match &current {
        Screen::Enrol => t(lang, Text::EnrolTitle),
        Screen::Lock => t(lang, Text::Locked),
        Screen::Cases => t(lang, Text::Cases),
        Screen::Case(_) => t(lang, Text::CaseTitle),
        Screen::Assign(_) => t(lang, Text::AssignTitle),
        Screen::History(_) => t(lang, Text::History),
        Screen::Form(_) => t(lang, Text::FormTitle),
        Screen::Review { .. } => t(lang, Text::ReviewTitle),
        Screen::Conflicts(_) => t(lang, Text::ConflictsTitle),
        Screen::Team => t(lang, Text::TeamTab),
        Screen::Queue => t(lang, Text::Queue),
        Screen::Settings => t(lang, Text::Settings),
    };
    let unlocked = device.read().is_some();
    let tab = |s: &Screen| match (s, &current) {
        (
            Screen::Cases,
            Screen::Cases
            | Screen::Case(_)
            | Screen::Form(_)
            | Screen::Review { .. }
            | Screen::Conflicts(_)
            | Screen::Assign(_)
            | Screen::History(_),
        ) => "on",
        (a, b) if a == b => "on",
        _ => "",
    };
    let s = sync();
    rsx! {
        document::Title { "Brug — {title}" }
        style { {include_str!("style.css")} }
        div { class: "shell", lang: if lang == Lang::Nl { "nl-BE" } else { "en" },
            onclick: touch, onkeydown: move |_| last_activity.set(Instant::now()), oninput: move |_| last_activity.set(Instant::now()),
            header { class: "top",
                span { class: "brand", "Brug" }
                if unlocked {
                    nav {
                        button { class: tab(&Screen::Cases), onclick: move |_| screen.set(Screen::Cases), "{t(lang, Text::Cases)}" }
                        if supervisor {
                            button { class: tab(&Screen::Queue), onclick: move |_| screen.set(Screen::Queue), "{t(lang, Text::Queue)}" }
                            button { class: tab(&Screen::Team), onclick: move |_| {
                                team.set(None);
                                team_code.set(None);
                                screen.set(Screen::Team);
                                team_call(TeamCall::Members(None));
                                team_call(TeamCall::Waiting);
                            }, "{t(lang, Text::TeamTab)}" }
                        }
                        button { class: tab(&Screen::Settings), onclick: move |_| screen.set(Screen::Settings), "{t(lang, Text::Settings)}" }
                        button { onclick: move |_| lock(), "{t(lang, Text::LockNow)}" }
                    }
                }
            }
            if unlocked {
                SyncBar {
                    lang,
                    online: s.online,
                    pending: status.as_ref().map(|s| s.pending).unwrap_or(0),
                    progress: if s.running { Some(s.progress.unwrap_or((0, 0))) } else { None },
                    last_sync: status.as_ref().and_then(|s| s.last_sync).map(format::moment),
                    error: s.error.clone(),
                    on_sync: move |_| start_sync(),
                }
            }
            main {
                if let Some((good, m)) = flash() {
                    p { class: if good { "flash" } else { "flash bad" }, role: "status",
                        "{m} "
                        button { class: "small", onclick: move |_| flash.set(None), "✕" }
                    }
                }
                {body}
            }
        }
    }
}

fn report_outcome(
    lang: Lang,
    outcome: Option<Result<(), DeviceError>>,
    mut flash: Signal<Option<(bool, String)>>,
    mut refresh: Signal<u64>,
) {
    match outcome {
        Some(Ok(())) => flash.set(Some((true, t(lang, Text::Saved).to_owned()))),
        Some(Err(e)) => flash.set(Some((false, in_lang(lang, &e.to_string())))),
        None => {}
    }
    *refresh.write() += 1;
}

/// Saves a form through the device core. Returns the case to show.
fn save_form(
    device: &mut Option<Device>,
    open: &OpenForm,
    edited: Value,
) -> Result<Option<Uuid>, DeviceError> {
    let Some(d) = device.as_mut() else {
        return Err(DeviceError::BadInput("vergrendeld / locked".into()));
    };
    match (open.case, open.kind, open.record) {
        (None, _, _) => {
            let h: Household =
                serde_json::from_value(edited).map_err(|e| DeviceError::BadInput(e.to_string()))?;
            Ok(Some(d.create_case(&h)?.0))
        }
        (Some(c), FormKind::Household, _) => {
            d.update_household(c, &open.base, &edited)?;
            Ok(Some(c))
        }
        (Some(c), FormKind::Record(_), Some(r)) => {
            d.update_record(c, r, &open.base, &edited)?;
            Ok(Some(c))
        }
        (Some(c), FormKind::Record(k), None) => {
            d.add_record(c, k, edited)?;
            Ok(Some(c))
        }
    }
}
