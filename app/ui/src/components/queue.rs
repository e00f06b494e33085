//! The supervisor's queue: every item waiting (each record to review, each
//! action past its deadline, each conflicting field, each safety signal
//! with the hours left), grouped by reason in the queue's order
//! (`CaseFlag::ALL`) and most urgent first. An item opens where it is dealt
//! with; a group's title opens the case list filtered on that reason.

use brug_device::index::QueueItem;
use brug_device::shared::model::{Activity, CaseFlag};
use chrono::NaiveDateTime;
use dioxus::prelude::*;

use crate::format;
use crate::i18n::{self, Lang, Text, t};

/// The queue screen.
#[component]
pub fn QueueScreen(
    lang: Lang,
    /// What waits, by reason, most urgent first.
    items: Vec<QueueItem>,
    /// Now (local time), to say how long is left.
    now: NaiveDateTime,
    /// A group's title: the cases with that flag.
    on_group: EventHandler<String>,
    /// An item: where it is dealt with.
    on_item: EventHandler<QueueItem>,
    /// The team's collective activities submitted for review.
    activities: Vec<Activity>,
    /// An activity: the activities screen, where it is reviewed.
    on_activity: EventHandler<uuid::Uuid>,
) -> Element {
    let groups: Vec<(CaseFlag, Vec<QueueItem>)> = CaseFlag::ALL
        .iter()
        .map(|f| {
            (
                *f,
                items
                    .iter()
                    .filter(|i| i.reason == *f)
                    .cloned()
                    .collect::<Vec<_>>(),
            )
        })
        .filter(|(_, items)| !items.is_empty())
        .collect();
    rsx! {
        section { class: "queue",
            h1 { "{t(lang, Text::Queue)}" }
            p { "{t(lang, Text::QueueIntro)}" }
            if groups.is_empty() && activities.is_empty() {
                p { class: "empty", "{t(lang, Text::QueueEmpty)}" }
            }
            for (flag, items) in groups {
                section { class: "queue-group", key: "{flag.code()}", "data-flag": "{flag.code()}",
                    h2 {
                        button { class: "queue-row busy",
                            onclick: move |_| on_group.call(flag.code().to_owned()),
                            span { class: "count", "{items.len()}" }
                            span { class: "what", "{flag.label(lang)}" }
                        }
                    }
                    p { class: "why", "{flag.explained(lang)}" }
                    ul { class: "queue-items",
                        for (i, item) in items.into_iter().enumerate() {
                            li { key: "{i}",
                                button { class: if item.due.is_some_and(|d| d < now) { "queue-item late" } else { "queue-item" },
                                    onclick: { let item = item.clone(); move |_| on_item.call(item.clone()) },
                                    strong { class: "household", "{item.household}" }
                                    span { class: "thing",
                                        {item.kind.map(|k| k.label(lang)).unwrap_or_default()}
                                        if item.kind.is_some() && !item.text(lang).is_empty() { ": " }
                                        "{item.text(lang)}"
                                    }
                                    if let Some(due) = item.due {
                                        span { class: "due", "{i18n::due(lang, due, now)}" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            if !activities.is_empty() {
                section { class: "queue-group", "data-flag": "activity-submitted",
                    h2 {
                        span { class: "queue-row",
                            span { class: "count", "{activities.len()}" }
                            span { class: "what", "{t(lang, Text::QueueActivities)}" }
                        }
                    }
                    p { class: "why", "{t(lang, Text::QueueActivitiesWhy)}" }
                    ul { class: "queue-items",
                        for a in activities {
                            li { key: "{a.id}",
                                button { class: "queue-item",
                                    onclick: { let id = a.id; move |_| on_activity.call(id) },
                                    strong { class: "household", "{a.title}" }
                                    span { class: "thing",
                                        "{a.kind.label(lang)}: {format::date(a.held_on)} · {a.participants} {t(lang, Text::Participants).to_lowercase()}"
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
