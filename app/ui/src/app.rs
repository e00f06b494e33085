//! The root component: the device service and the app's state
//! ([`crate::state`]), the background work ([`crate::background`]), the
//! header with its tabs, the sync bar, the note on top and the screen that
//! shows. Each screen is a component of [`crate::pages`].

use std::path::PathBuf;

use brug_device::service::TeamCall;
use dioxus::prelude::*;

use crate::background::use_background;
use crate::i18n::{Lang, Text, t};
use crate::pages::*;
use crate::state::{Screen, Ui, use_ui};

pub use crate::prefs::{Prefs, load_prefs};

/// What the launcher hands the app.
#[derive(Debug, Clone, PartialEq)]
pub struct Launch {
    /// The device's data folder.
    pub home: PathBuf,
    /// An enrolment URL from the command line.
    pub enrol_url: Option<String>,
}

/// The window title for a screen (never a household: titles show in task
/// switchers); scripts and assistive tools can follow it.
fn title(lang: Lang, screen: &Screen) -> &'static str {
    match screen {
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
        Screen::Catalogue => t(lang, Text::CatalogueTitle),
        Screen::Activities => t(lang, Text::ActivitiesTitle),
        Screen::Report => t(lang, Text::ReportTitle),
        Screen::Settings => t(lang, Text::Settings),
    }
}

/// The screen's component.
fn body(screen: &Screen) -> Element {
    match screen.clone() {
        Screen::Enrol => rsx! { EnrolPage {} },
        Screen::Lock => rsx! { LockPage {} },
        Screen::Cases => rsx! { CasesPage {} },
        Screen::Case(id) => rsx! { CasePage { key: "{id}", id } },
        Screen::Form(open) => rsx! { FormPage { open } },
        Screen::Review { case, record } => {
            rsx! { ReviewPage { key: "{case}-{record}", case, record } }
        }
        Screen::Conflicts(case) => rsx! { ConflictsPage { key: "{case}", case } },
        Screen::Assign(case) => rsx! { AssignPage { key: "{case}", case } },
        Screen::History(case) => rsx! { HistoryPage { key: "{case}", case } },
        Screen::Team => rsx! { TeamPage {} },
        Screen::Queue => rsx! { QueuePage {} },
        Screen::Catalogue => rsx! { CataloguePage {} },
        Screen::Activities => rsx! { ActivitiesPage {} },
        Screen::Report => rsx! { ReportPage {} },
        Screen::Settings => rsx! { SettingsPage {} },
    }
}

/// The whole app.
#[allow(non_snake_case)]
pub fn App() -> Element {
    let launch = use_context::<Launch>();
    let ui: Ui = use_ui(launch.home.clone(), launch.enrol_url.clone());
    use_context_provider(|| ui);
    let mut touch = use_background(ui);

    let lang = ui.lang();
    // The page's language for screen readers and spelling (the shell says
    // it too): follows the setting.
    use_effect(move || {
        let code = if ui.lang() == Lang::Nl { "nl-BE" } else { "en" };
        let _ = document::eval(&format!("document.documentElement.lang = '{code}';"));
    });
    let current = (ui.screen)();
    let unlocked = ui.unlocked();
    let supervisor = ui.supervisor();
    let role = ui.role();
    let holds_cases = role.is_none_or(|r| r.holds_cases());
    let reads_reports = role.is_some_and(|r| r.reads_reports());
    let mut screen = ui.screen;
    let mut flash = ui.flash;
    let team = ui.team;
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
        (Screen::Team, Screen::Catalogue) => "on",
        (a, b) if a == b => "on",
        _ => "",
    };
    rsx! {
        document::Title { "Brug — {title(lang, &current)}" }
        style { {include_str!("style.css")} }
        div { class: "shell", lang: if lang == Lang::Nl { "nl-BE" } else { "en" },
            onclick: move |_| touch(), onkeydown: move |_| touch(), oninput: move |_| touch(),
            header { class: "top",
                span { class: "brand", "Brug" }
                if unlocked {
                    nav {
                        if holds_cases {
                            button { class: tab(&Screen::Cases), onclick: move |_| screen.set(Screen::Cases), "{t(lang, Text::Cases)}" }
                            button { class: tab(&Screen::Activities), onclick: move |_| screen.set(Screen::Activities), "{t(lang, Text::ActivitiesTab)}" }
                        }
                        if supervisor {
                            button { class: tab(&Screen::Queue), onclick: move |_| screen.set(Screen::Queue), "{t(lang, Text::Queue)}" }
                            button { class: tab(&Screen::Team), onclick: move |_| {
                                let (mut members, mut code) = (team.team, team.code);
                                members.set(None);
                                code.set(None);
                                screen.set(Screen::Team);
                                ui.team_call(TeamCall::Members(None));
                                ui.team_call(TeamCall::Waiting);
                            }, "{t(lang, Text::TeamTab)}" }
                        }
                        if reads_reports {
                            button { class: tab(&Screen::Report), onclick: move |_| screen.set(Screen::Report), "{t(lang, Text::ReportTab)}" }
                        }
                        button { class: tab(&Screen::Settings), onclick: move |_| screen.set(Screen::Settings), "{t(lang, Text::Settings)}" }
                        button { onclick: move |_| ui.lock(), "{t(lang, Text::LockNow)}" }
                    }
                }
            }
            if unlocked && holds_cases {
                SyncBarPage {}
            }
            main {
                if let Some((good, m)) = flash() {
                    p { class: if good { "flash" } else { "flash bad" }, role: "status",
                        "{m} "
                        button { class: "small", "aria-label": t(lang, Text::Close), onclick: move |_| flash.set(None), "✕" }
                    }
                }
                {body(&current)}
            }
        }
    }
}
