//! A supervisor erases data of a case (GDPR art. 17, docs/gdpr.md): a
//! member's national register number only, the whole member, or the whole
//! case, always with a reason. The server makes a new generation of the case
//! without it; every device replaces its copy at its next sync.

use brug_device::shared::protocol::team::Erased;
use dioxus::prelude::*;

use super::TextBox;
use crate::i18n::{Lang, Text, t};

fn say(lang: Lang, nl: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Nl => nl,
        Lang::En => en,
    }
}

/// What a supervisor erases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErasePick {
    /// A household member (or only their national register number).
    Member(uuid::Uuid),
    /// The whole case.
    Case,
}

/// Erasing a member's data or a whole case.
#[component]
pub fn EraseScreen(
    lang: Lang,
    household: String,
    /// What is erased, as the case shows it (a member's name).
    member: String,
    /// Whether the member has a national register number to erase alone.
    has_national_number: bool,
    /// The whole case, not a member.
    #[props(default)]
    whole_case: bool,
    /// A request is under way.
    busy: bool,
    /// What went wrong (offline, refused), in plain words.
    error: Option<String>,
    /// The erasure done, once the server said so.
    done: Option<Erased>,
    /// (the whole member?, the reason)
    on_erase: EventHandler<(bool, String)>,
    on_back: EventHandler<()>,
) -> Element {
    let mut whole = use_signal(|| !has_national_number);
    let mut reason = use_signal(String::new);
    let ready = !reason.read().trim().is_empty() && !busy && done.is_none();
    rsx! {
        section { class: "erase",
            button { class: "back", onclick: move |_| on_back.call(()), "← {household}" }
            h1 { {say(lang, "Gegevens wissen", "Erase data")} }
            p { class: "intro",
                {say(lang,
                    "Wissen is definitief: de gegevens en de hele geschiedenis van het dossier verdwijnen van de server en, bij hun volgende synchronisatie, van elk toestel. Wat er gewist werd, door wie en waarom blijft in het dossier staan, zonder de waarden.",
                    "Erasing is final: the data and the case's whole history go from the server and, at their next sync, from every device. What was erased, by whom and why stays in the case, without the values.")}
            }
            p { strong { "{member}" } }
            fieldset {
                legend { {say(lang, "Wat wissen?", "Erase what?")} }
                if has_national_number {
                    label { class: "check",
                        input {
                            r#type: "radio",
                            name: "what",
                            "data-what": "national-number",
                            checked: !whole(),
                            onchange: move |_| whole.set(false),
                        }
                        " {say(lang, \"Alleen het rijksregisternummer\", \"Only the national register number\")}"
                    }
                }
                label { class: "check",
                    input {
                        r#type: "radio",
                        name: "what",
                        "data-what": "member",
                        checked: whole(),
                        onchange: move |_| whole.set(true),
                    }
                    if whole_case {
                        " {say(lang, \"Het hele dossier, met alle gezinsleden en bijlagen\", \"The whole case, with every member and attachment\")}"
                    } else {
                        " {say(lang, \"Het hele gezinslid\", \"The whole household member\")}"
                    }
                }
            }
            label { r#for: "erase-reason", {say(lang, "Reden (verplicht)", "Reason (required)")} }
            TextBox {
                id: "erase-reason",
                text: reason(),
                on_input: move |v: String| reason.set(v),
                rows: 3,
                required: true,
            }
            if let Some(e) = error {
                p { class: "finding error", role: "alert", "{e}" }
            }
            if busy {
                p { role: "status", "{t(lang, Text::Busy)}" }
            }
            if let Some(d) = done {
                p { class: "done", role: "status",
                    {say(lang,
                        "Gewist. Dit toestel vernieuwt het dossier bij de synchronisatie die nu loopt.",
                        "Erased. This device renews the case in the sync running now.")}
                    if let Some(g) = d.generation { " ({say(lang, \"generatie\", \"generation\")} {g})" }
                }
            }
            button {
                class: "danger",
                disabled: !ready,
                onclick: move |_| on_erase.call((whole(), reason.read().trim().to_owned())),
                {say(lang, "Definitief wissen", "Erase for good")}
            }
        }
    }
}
