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
    /// Report every horizontal overflow of the page on standard error
    /// (`brug --check-layout`: the UI smoke run at phone size fails on one).
    pub check_layout: bool,
}

/// Alt+N presses the N-th tab of the menu (never the lock button).
const TAB_KEYS: &str = r#"
document.addEventListener('keydown', (e) => {
    // By the key's place, not its character: on AZERTY the digits are shifted.
    if (!e.altKey || e.ctrlKey || e.metaKey || !/^Digit[1-9]$/.test(e.code)) return;
    const tab = document.querySelectorAll('header.top nav button:not(.lock)')[Number(e.code.slice(5)) - 1];
    if (tab) {
        e.preventDefault();
        tab.click();
    }
});
"#;

/// Moves focus to the screen's heading when it is not in the screen
/// already: tried again as the screen fills in, for up to three seconds.
const FOCUS_HEADING: &str = r#"
(() => {
    const start = Date.now();
    const place = () => {
        const main = document.querySelector('main');
        if (!main) return false;
        if (main.contains(document.activeElement) && document.activeElement !== main) return true;
        const h = main.querySelector('h1');
        if (!h) return false;
        h.setAttribute('tabindex', '-1');
        h.focus();
        return true;
    };
    const again = () => { if (!place() && Date.now() - start < 3000) setTimeout(again, 50); };
    setTimeout(again, 0);
})();
"#;

/// Watches the page for content wider than the window, after every change
/// of the page and every resize; says so on standard error, with the
/// widest elements, once per new width.
const LAYOUT_WATCH: &str = r##"
let last = '';
const check = () => {
    // Not before the app has drawn its first screen (and named it).
    if (!document.title.startsWith('Brug')) return;
    // Dioxus's own development toast is not the app's.
    document.querySelectorAll('[id^="__dx-toast"]').forEach(t => { if (t.style.display !== 'none') t.style.display = 'none'; });
    const root = document.documentElement;
    const width = root.clientWidth;
    const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
        + (typeof e.className === 'string' && e.className.trim() ? '.' + e.className.trim().split(/\s+/).join('.') : '');
    const found = [];
    const over = root.scrollWidth - width;
    if (over > 0) {
        const wide = [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > width + 0.5)
            .slice(-4).map(name);
        found.push(over + ' px: ' + wide.join(', '));
    }
    // What stays in place (the tabs, the sync bar, a save bar) scrolls
    // nowhere: it must fit, and so must what is in it.
    for (const bar of document.querySelectorAll('header.top nav, .sync-bar, .form-actions, .save-bar')) {
        for (const e of [bar, ...bar.querySelectorAll('*')]) {
            const r = e.getBoundingClientRect();
            if (r.width > 0 && (r.right > width + 0.5 || e.scrollWidth > e.clientWidth + 1)) {
                found.push(name(e) + ' ' + Math.ceil(Math.max(r.right - width, e.scrollWidth - e.clientWidth)) + ' px');
            }
        }
    }
    const said = found.join('; ');
    if (said && said !== last) {
        dioxus.send(document.title + ': ' + said);
    }
    last = said;
};
new MutationObserver(() => requestAnimationFrame(check))
    .observe(document.documentElement, { subtree: true, childList: true, characterData: true, attributes: true });
window.addEventListener('resize', () => requestAnimationFrame(check));
requestAnimationFrame(check);
"##;

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
        Screen::Erase { .. } => match lang {
            Lang::Nl => "Gegevens wissen",
            Lang::En => "Erase data",
        },
        Screen::Attachment { .. } => match lang {
            Lang::Nl => "Bijlage",
            Lang::En => "Attachment",
        },
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
        Screen::Erase { case, pick } => {
            rsx! { ErasePage { key: "{case}-{pick:?}", case, pick } }
        }
        Screen::Attachment { case, id } => rsx! { AttachmentPage { key: "{id}", case, id } },
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

    // Alt+1, Alt+2, ...: the tabs in their order, from anywhere (also
    // when nothing has focus, so the page listens, not the shell).
    use_hook(|| {
        let _ = document::eval(TAB_KEYS);
    });
    let check_layout = launch.check_layout;
    use_future(move || async move {
        if !check_layout {
            return;
        }
        let mut watch = document::eval(LAYOUT_WATCH);
        while let Ok(found) = watch.recv::<String>().await {
            eprintln!("brug: te breed / overflow: {found}");
        }
    });

    let lang = ui.lang();
    // The page's language for screen readers and spelling (the shell says
    // it too): follows the setting.
    use_effect(move || {
        let code = if ui.lang() == Lang::Nl { "nl-BE" } else { "en" };
        let _ = document::eval(&format!("document.documentElement.lang = '{code}';"));
    });
    // After a change of screen, focus goes to the new screen's heading
    // (announced by screen readers; Tab goes on from there), unless the
    // screen put it somewhere itself (a form's first field, a case's
    // "+ visit"). The heading may come only once the data is read.
    use_effect(move || {
        let _ = (ui.screen)();
        let _ = document::eval(FOCUS_HEADING);
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
            | Screen::History(_)
            | Screen::Erase { .. }
            | Screen::Attachment { .. },
        ) => "on",
        (Screen::Team, Screen::Catalogue) => "on",
        (a, b) if a == b => "on",
        _ => "",
    };
    // The tabs this user has, in order (Alt+1, Alt+2, ... open them).
    let mut tabs: Vec<(Screen, Text)> = Vec::new();
    if unlocked {
        if holds_cases {
            tabs.push((Screen::Cases, Text::Cases));
            tabs.push((Screen::Activities, Text::ActivitiesTab));
        }
        if supervisor {
            tabs.push((Screen::Queue, Text::Queue));
            tabs.push((Screen::Team, Text::TeamTab));
        }
        if reads_reports {
            tabs.push((Screen::Report, Text::ReportTab));
        }
        tabs.push((Screen::Settings, Text::Settings));
    }
    let mut go = move |target: Screen| {
        if target == Screen::Team {
            let (mut members, mut code) = (team.team, team.code);
            members.set(None);
            code.set(None);
            ui.team_call(TeamCall::Members(None));
            ui.team_call(TeamCall::Waiting);
        }
        screen.set(target);
    };
    rsx! {
        document::Title { "Brug — {title(lang, &current)}" }
        style { {include_str!("style.css")} }
        // On a phone the tabs sit along the bottom, in two rows when there
        // are more than four buttons.
        div { class: if tabs.len() + 1 > 4 { "shell nav-2" } else { "shell" }, lang: if lang == Lang::Nl { "nl-BE" } else { "en" },
            onclick: move |_| touch(), onkeydown: move |_| touch(), oninput: move |_| touch(),
            header { class: "top",
                span { class: "brand", "Brug" }
                if unlocked {
                    nav { aria_label: t(lang, Text::Menu),
                        for (i, (target, label)) in tabs.iter().cloned().enumerate() {
                            button { key: "{i}", class: tab(&target),
                                "aria-keyshortcuts": "Alt+{i + 1}", title: "Alt+{i + 1}",
                                onclick: move |_| go(target.clone()),
                                "{t(lang, label)}"
                            }
                        }
                        button { class: "lock", onclick: move |_| ui.lock(), "{t(lang, Text::LockNow)}" }
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
