//! The supervisor's team screens: who works a case (assign, take away),
//! a new device for a team member, enrolled by showing its QR code, and
//! the work devices handed over when they lost a case (merge or discard).

use brug_device::shared::protocol::quarantine::Entry;
use brug_device::shared::protocol::team::{EnrolCode, Team};
use dioxus::prelude::*;

use crate::i18n::{self, Lang, Text, t};

/// Assigning a case to team members.
#[component]
pub fn AssignScreen(
    lang: Lang,
    household: String,
    /// The team and the case's assignees, once fetched from the server.
    team: Option<Team>,
    /// A request is under way.
    busy: bool,
    /// What went wrong (offline, refused), in plain words.
    error: Option<String>,
    /// (member, assign?)
    on_toggle: EventHandler<(String, bool)>,
    on_back: EventHandler<()>,
) -> Element {
    rsx! {
        section { class: "assign",
            button { class: "back", onclick: move |_| on_back.call(()), "← {t(lang, Text::Back)}" }
            h1 { "{t(lang, Text::AssignTitle)}" }
            p { "{household}" }
            p { class: "intro", "{t(lang, Text::AssignIntro)}" }
            if let Some(e) = error {
                p { class: "finding error", role: "alert", "{e}" }
            }
            if busy {
                p { role: "status", "{t(lang, Text::Busy)}" }
            }
            if let Some(team) = team {
                ul { class: "members",
                    for m in team.members.iter().filter(|m| m.role != "supervisor" && m.role != "admin") {
                        li { key: "{m.id}",
                            label { class: "check",
                                input {
                                    r#type: "checkbox",
                                    "data-user": "{m.id}",
                                    checked: team.assigned.contains(&m.id),
                                    disabled: busy,
                                    onchange: {
                                        let id = m.id.clone();
                                        move |e: Event<FormData>| {
                                            let v = e.value();
                                            let on = if v == "true" || v == "false" { v == "true" } else { e.checked() };
                                            on_toggle.call((id.clone(), on))
                                        }
                                    },
                                }
                                " {m.name} · {i18n::role(lang, &m.role)}"
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Team members, and a QR code to enrol a new device for one of them.
#[component]
pub fn TeamScreen(
    lang: Lang,
    team: Option<Team>,
    /// The code made last: for whom, the code, and the QR code as SVG.
    code: Option<(String, EnrolCode, String)>,
    busy: bool,
    error: Option<String>,
    on_make: EventHandler<String>,
    /// Unsynced work handed over by devices that lost a case.
    waiting: Vec<Entry>,
    /// (entry, merge?)
    on_decide: EventHandler<(i64, bool)>,
) -> Element {
    let name_of = |id: &str| {
        team.as_ref()
            .and_then(|t| t.members.iter().find(|m| m.id == id))
            .map(|m| m.name.clone())
            .unwrap_or_else(|| id.to_owned())
    };
    rsx! {
        section { class: "team",
            h1 { "{t(lang, Text::EnrolOther)}" }
            if let Some(e) = error {
                p { class: "finding error", role: "alert", "{e}" }
            }
            if busy {
                p { role: "status", "{t(lang, Text::Busy)}" }
            }
            if let Some((who, code, svg)) = code {
                div { class: "qr", role: "region",
                    h2 {
                        {team.as_ref().and_then(|t| t.members.iter().find(|m| m.id == who)).map(|m| m.name.clone()).unwrap_or(who.clone())}
                    }
                    p { "{t(lang, Text::ScanThis)}" }
                    // Our own SVG, drawn by the qrcode crate from the code.
                    div { class: "qr-image", dangerous_inner_html: "{svg}" }
                    p { class: "mono", "{code.url}" }
                    p { "{t(lang, Text::ValidUntil)} "
                        {chrono::DateTime::from_timestamp_millis(code.expires_ms).map(crate::format::moment).unwrap_or_default()}
                    }
                }
            }
            if let Some(team) = &team {
                ul { class: "members",
                    for m in team.members.iter() {
                        li { key: "{m.id}",
                            "{m.name} · {i18n::role(lang, &m.role)} "
                            // Codes only for field workers: the server refuses
                            // one for a supervisor, herself included.
                            if m.role == "bridge-worker" || m.role == "housing-adviser" {
                                button {
                                    class: "small",
                                    "data-user": "{m.id}",
                                    disabled: busy,
                                    onclick: { let id = m.id.clone(); move |_| on_make.call(id.clone()) },
                                    "{t(lang, Text::MakeCode)}"
                                }
                            }
                        }
                    }
                }
            }
            h2 { "{t(lang, Text::WaitingWork)}" }
            p { class: "intro", "{t(lang, Text::WaitingIntro)}" }
            if waiting.is_empty() {
                p { class: "empty", "{t(lang, Text::NothingWaiting)}" }
            }
            ul { class: "waiting",
                for e in waiting.iter() {
                    li { key: "{e.id}", "data-entry": "{e.id}",
                        span { class: "who", "{name_of(&e.user)}" }
                        " · "
                        {chrono::DateTime::from_timestamp_millis(e.at).map(crate::format::moment).unwrap_or_default()}
                        " · "
                        span { class: "mono", {e.case.to_string().chars().take(8).collect::<String>()} }
                        match e.decision.as_deref() {
                            Some("merged") => rsx! { " · {t(lang, Text::Merged)}" },
                            Some(_) => rsx! { " · {t(lang, Text::Discarded)}" },
                            None => rsx! {
                                " "
                                button {
                                    class: "small",
                                    "data-merge": "{e.id}",
                                    disabled: busy,
                                    onclick: { let id = e.id; move |_| on_decide.call((id, true)) },
                                    "{t(lang, Text::MergeIntoCase)}"
                                }
                                button {
                                    class: "small",
                                    "data-discard": "{e.id}",
                                    disabled: busy,
                                    onclick: { let id = e.id; move |_| on_decide.call((id, false)) },
                                    "{t(lang, Text::Discard)}"
                                }
                            },
                        }
                    }
                }
            }
        }
    }
}
