//! The supervisor's team screens, the settings and the sync bar.

use brug_device::service::{Command, TeamCall};
use dioxus::prelude::*;

use super::loading;
use brug_device::shared::model::Service;

use crate::components::{AssignScreen, CatalogueScreen, SettingsScreen, SyncBar, TeamScreen};
use crate::format;
use crate::i18n::{Text, t};
use crate::prefs::save_prefs;
use crate::state::{Screen, Ui};

/// Who works a case: the team's members, each with a switch.
#[component]
pub fn AssignPage(case: uuid::Uuid) -> Element {
    let ui = use_context::<Ui>();
    let lang = ui.lang();
    let household = match ui.case.read().as_ref() {
        Some((c, Ok(view))) if *c == case => view.case.household.name.clone(),
        _ => String::new(),
    };
    let team = ui.team;
    let mut screen = ui.screen;
    rsx! {
        AssignScreen {
            lang,
            household,
            team: (team.team)(),
            busy: (team.busy)(),
            error: (team.error)(),
            on_toggle: move |(user, on): (String, bool)| ui.team_call(TeamCall::Assign(case, user, on)),
            on_back: move |_| screen.set(Screen::Case(case)),
        }
    }
}

/// The team's referral catalogue; a supervisor edits its services.
#[component]
pub fn CataloguePage() -> Element {
    let ui = use_context::<Ui>();
    let lang = ui.lang();
    use_effect(move || {
        let _ = (ui.version)();
        ui.send(Command::Catalogue);
    });
    let (catalogue, error) = match (ui.catalogue)() {
        Some(Ok(c)) => (Some(c), None),
        Some(Err(e)) => (None, Some(e)),
        None => (None, None),
    };
    if catalogue.is_none() && error.is_none() {
        return loading(lang);
    }
    let mut editing = ui.editing_service;
    rsx! {
        CatalogueScreen {
            lang,
            catalogue,
            editable: ui.supervisor(),
            editing: editing(),
            error,
            on_edit: move |s: Option<Service>| editing.set(s),
            on_save: move |s: Service| ui.send(Command::SaveService(Box::new(s))),
        }
    }
}

/// The team: members, enrolment codes, work waiting in quarantine.
#[component]
pub fn TeamPage() -> Element {
    let ui = use_context::<Ui>();
    let team = ui.team;
    let mut screen = ui.screen;
    let lang = ui.lang();
    rsx! {
        button { class: "link open-catalogue", onclick: move |_| screen.set(Screen::Catalogue),
            "{t(lang, Text::CatalogueTitle)} →"
        }
        TeamScreen {
            lang: ui.lang(),
            team: (team.team)(),
            code: (team.code)(),
            busy: (team.busy)(),
            error: (team.error)(),
            on_make: move |user: String| ui.team_call(TeamCall::Code(user)),
            waiting: (team.waiting)(),
            on_decide: move |(id, merge): (i64, bool)| ui.team_call(TeamCall::Decide(id, merge)),
        }
    }
}

/// Settings: language, lock timeout, the lease and the enrolment.
#[component]
pub fn SettingsPage() -> Element {
    let ui = use_context::<Ui>();
    let lang = ui.lang();
    use_effect(move || ui.send(Command::Status));
    let (Some(info), Some(lease)) = ((ui.info)(), (ui.lease)()) else {
        return loading(lang);
    };
    let mut prefs = ui.prefs;
    let home = ui.home;
    rsx! {
        SettingsScreen {
            lang,
            info,
            lease,
            lock_minutes: prefs().lock_minutes,
            on_lang: move |l| {
                prefs.write().lang = l;
                save_prefs(&home.read(), &prefs.peek());
            },
            on_lock_minutes: move |m| {
                prefs.write().lock_minutes = m;
                save_prefs(&home.read(), &prefs.peek());
            },
            on_lock_now: move |_| ui.lock(),
        }
    }
}

/// The sync bar: the only part of the app that follows a sync's progress.
#[component]
pub fn SyncBarPage() -> Element {
    let ui = use_context::<Ui>();
    use_effect(move || {
        let _ = (ui.version)();
        ui.send(Command::Status);
    });
    let sync = (ui.sync)();
    let status = (ui.status)();
    rsx! {
        SyncBar {
            lang: ui.lang(),
            online: sync.online,
            pending: status.as_ref().map(|s| s.pending).unwrap_or(0),
            progress: if sync.running { Some(sync.progress.unwrap_or((0, 0))) } else { None },
            last_sync: status.as_ref().and_then(|s| s.last_sync).map(format::moment),
            error: sync.error.clone(),
            on_sync: move |_| ui.send(Command::Sync),
        }
    }
}
