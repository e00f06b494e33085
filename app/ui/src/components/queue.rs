//! The supervisor's queue: how many cases wait per reason (records, for
//! review), each opening the case list filtered on it. The reasons are the
//! case flags, in their order (`CaseFlag::ALL`).

use dioxus::prelude::*;

use crate::i18n::{self, Lang, Text, t};

/// The queue screen.
#[component]
pub fn QueueScreen(
    lang: Lang,
    /// Cases per reason.
    counts: Vec<(String, usize)>,
    /// Records waiting for review, and the cases they are in: the
    /// "submitted" row counts the records (three in one case are three).
    waiting: (usize, usize),
    on_pick: EventHandler<String>,
) -> Element {
    rsx! {
        section { class: "queue",
            h1 { "{t(lang, Text::Queue)}" }
            p { "{t(lang, Text::QueueIntro)}" }
            ul { class: "queue-rows",
                for (code, n) in counts.into_iter().map(|(c, n)| if c == "submitted" { (c, waiting.0.max(n)) } else { (c, n) }) {
                    li { key: "{code}",
                        button { class: if n > 0 { "queue-row busy" } else { "queue-row" }, "data-flag": "{code}",
                            onclick: { let code = code.clone(); move |_| on_pick.call(code.clone()) },
                            span { class: "count", "{n}" }
                            span { class: "what", "{i18n::flag(lang, &code)}" }
                            span { class: "why", "{i18n::flag_explained(lang, &code)}" }
                            if code == "submitted" && waiting.0 > 0 {
                                span { class: "in-cases", "{i18n::records_in_cases(lang, waiting.0, waiting.1)}" }
                            }
                        }
                    }
                }
            }
        }
    }
}
