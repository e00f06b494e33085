//! Collective activities: group sessions and information moments of the
//! plan, not tied to one household. Anyone of the team records one (the
//! plan's action, date, place, organiser, participants, and the households
//! with a case that took part); a supervisor approves or returns it.

use brug_device::shared::model::{Activity, ActivityKind, Review, ReviewState};
use chrono::NaiveDate;
use dioxus::prelude::*;

use super::TextBox;
use uuid::Uuid;

use crate::format;
use crate::i18n::{Lang, Text, t};

/// A household a worker may pick: its case id and its name.
pub type Pick = (Uuid, String);

/// The list of activities and, when one is open, its editor.
#[component]
pub fn ActivitiesScreen(
    lang: Lang,
    activities: Option<Vec<Activity>>,
    /// The plan's actions: code and name.
    actions: Vec<(String, String)>,
    /// The households this user can pick (their own cases).
    households: Vec<Pick>,
    /// Whether the user approves and returns (a supervisor).
    reviewer: bool,
    /// The activity being edited.
    editing: Option<Activity>,
    error: Option<String>,
    today: NaiveDate,
    on_edit: EventHandler<Option<Activity>>,
    on_save: EventHandler<Activity>,
    on_review: EventHandler<(Uuid, bool)>,
) -> Element {
    let Some(activities) = activities else {
        return rsx! { p { role: "status", "{t(lang, Text::Loading)}" } };
    };
    let action_name = |code: &str| {
        actions
            .iter()
            .find(|(c, _)| c == code)
            .map_or_else(|| code.to_owned(), |(_, n)| n.clone())
    };
    rsx! {
        section { class: "activities",
            h1 { "{t(lang, Text::ActivitiesTitle)}" }
            p { class: "intro", "{t(lang, Text::ActivitiesIntro)}" }
            if let Some(e) = error {
                p { class: "finding error", role: "alert", "{e}" }
            }
            if let Some(activity) = editing {
                ActivityEditor {
                    key: "{activity.id}",
                    lang,
                    activity,
                    actions: actions.clone(),
                    households: households.clone(),
                    on_save: move |a| on_save.call(a),
                    on_cancel: move |_| on_edit.call(None),
                }
            } else {
                button { class: "primary add-activity",
                    onclick: move |_| on_edit.call(Some(blank(today))),
                    "{t(lang, Text::AddActivity)}"
                }
            }
            if activities.is_empty() {
                p { class: "muted", "{t(lang, Text::NoActivities)}" }
            }
            ul { class: "activity-list",
                for a in activities.iter() {
                    li { key: "{a.id}", class: "activity", "data-state": "{a.review.state.code()}",
                        h2 { "{a.title}" }
                        p { class: "meta",
                            "{format::date(a.held_on)} · {a.kind.label(lang)} · {action_name(&a.action)}"
                        }
                        p { class: "meta",
                            "{a.place} · {a.organiser} · {a.participants} {t(lang, Text::Participants).to_lowercase()}"
                            if !a.households.is_empty() {
                                " ({a.households.len()} {t(lang, Text::WithACase)})"
                            }
                        }
                        p { span { class: "badge", "{a.review.state.label(lang)}" }
                            if !a.review.comment.is_empty() {
                                " {a.review.comment}"
                            }
                        }
                        div { class: "actions",
                            button { r#type: "button",
                                "aria-label": "{t(lang, Text::Edit)}: {a.title}",
                                onclick: {
                                    let a = a.clone();
                                    move |_| on_edit.call(Some(a.clone()))
                                },
                                "{t(lang, Text::Edit)}"
                            }
                            if reviewer && a.review.state == ReviewState::Submitted {
                                button { r#type: "button", class: "primary",
                                    "aria-label": "{t(lang, Text::Approve)}: {a.title}",
                                    onclick: { let id = a.id; move |_| on_review.call((id, true)) },
                                    "{t(lang, Text::Approve)}"
                                }
                                button { r#type: "button",
                                    "aria-label": "{t(lang, Text::ReturnIt)}: {a.title}",
                                    onclick: { let id = a.id; move |_| on_review.call((id, false)) },
                                    "{t(lang, Text::ReturnIt)}"
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn blank(today: NaiveDate) -> Activity {
    Activity {
        id: Uuid::now_v7(),
        held_on: today,
        kind: ActivityKind::GroupSession,
        action: String::new(),
        title: String::new(),
        place: String::new(),
        organiser: String::new(),
        participants: 0,
        households: Vec::new(),
        recorded_by: String::new(),
        review: Review::default(),
    }
}

/// The editor of one activity: every field on one short form, the save
/// button last; the activity's own rules (`Activity::problem`) say what is
/// missing before anything is stored.
#[component]
fn ActivityEditor(
    lang: Lang,
    activity: Activity,
    actions: Vec<(String, String)>,
    households: Vec<Pick>,
    on_save: EventHandler<Activity>,
    on_cancel: EventHandler<()>,
) -> Element {
    let mut draft = use_signal(|| activity.clone());
    let mut date = use_signal(|| format::date(activity.held_on));
    let mut count = use_signal(|| {
        if activity.participants == 0 {
            String::new()
        } else {
            activity.participants.to_string()
        }
    });
    let mut problem = use_signal(|| None::<String>);
    let save = move |_| {
        let mut a = draft();
        let Some(day) = format::parse_date(&date()) else {
            problem.set(Some(t(lang, Text::BadDay).to_owned()));
            return;
        };
        a.held_on = day;
        a.participants = count().trim().parse().unwrap_or(0);
        if let Some((nl, en)) = a.problem() {
            problem.set(Some(if lang == Lang::Nl { nl } else { en }));
            return;
        }
        problem.set(None);
        on_save.call(a);
    };
    let d = draft();
    rsx! {
        form { class: "card activity-editor",
            onsubmit: move |e| e.prevent_default(),
            h2 { "{t(lang, Text::ActivityTitle)}" }
            label { "{t(lang, Text::ActivityName)}"
                TextBox { id: "act-title", text: d.title.clone(), required: true, focus: true,
                    on_input: move |t| draft.write().title = t }
            }
            label { "{t(lang, Text::ActivityKindLabel)}"
                select { onchange: move |e| {
                        if let Some(k) = ActivityKind::from_code(&e.value()) {
                            draft.write().kind = k;
                        }
                    },
                    for k in ActivityKind::ALL.iter().copied() {
                        option { key: "{k.code()}", value: "{k.code()}", selected: k == d.kind, "{k.label(lang)}" }
                    }
                }
            }
            label { "{t(lang, Text::PlanAction)}"
                select { required: true, onchange: move |e| draft.write().action = e.value(),
                    option { value: "", selected: d.action.is_empty(), "—" }
                    for (code, name) in actions.iter() {
                        option { key: "{code}", value: "{code}", selected: *code == d.action, "{name}" }
                    }
                }
            }
            label { "{t(lang, Text::Date)}"
                TextBox { id: "act-date", inputmode: "numeric", text: date(), placeholder: "dd/mm/jjjj",
                    on_input: move |t| date.set(t) }
            }
            label { "{t(lang, Text::Venue)}"
                TextBox { id: "act-place", text: d.place.clone(), on_input: move |t| draft.write().place = t }
            }
            label { "{t(lang, Text::Organiser)}"
                TextBox { id: "act-organiser", text: d.organiser.clone(), on_input: move |t| draft.write().organiser = t }
            }
            label { "{t(lang, Text::Participants)}"
                TextBox { id: "act-count", kind: "number", inputmode: "numeric", min: "1", text: count(),
                    on_input: move |t| count.set(t) }
            }
            if !households.is_empty() {
                fieldset { class: "households",
                    legend { "{t(lang, Text::HouseholdsTakingPart)}" }
                    for (id, name) in households.iter() {
                        label { key: "{id}", class: "check",
                            input { r#type: "checkbox", checked: d.households.contains(id),
                                onchange: {
                                    let id = *id;
                                    move |e: Event<FormData>| {
                                        let mut w = draft.write();
                                        w.households.retain(|h| *h != id);
                                        if e.checked() {
                                            w.households.push(id);
                                        }
                                    }
                                }
                            }
                            "{name}"
                        }
                    }
                }
            }
            if let Some(p) = problem() {
                p { class: "finding error", role: "alert", "{p}" }
            }
            div { class: "actions save-bar",
                button { class: "primary", r#type: "button", onclick: save, "{t(lang, Text::Save)}" }
                button { r#type: "button", onclick: move |_| on_cancel.call(()), "{t(lang, Text::Cancel)}" }
            }
        }
    }
}
