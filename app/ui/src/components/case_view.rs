//! One case: the household, its members, consents and statuses, the flags
//! explained, and a timeline of every record with its review state.

use brug_device::device::CaseView;
use brug_device::shared::model::{
    ActionStatus, Case, CaseFlag, Catalogue, HousingVerdict, RecordKind, Review, ReviewState,
    YesNoUnknown,
};
use chrono::NaiveDateTime;
use dioxus::prelude::*;
use uuid::Uuid;

use crate::components::{AttachmentStrip, ErasePick, attachments_on};
use crate::format;
use crate::forms::{FormKind, get, spec};
use crate::i18n::{self, Lang, Text, t};

/// One line of the timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineItem {
    /// Record id.
    pub id: Uuid,
    /// Kind.
    pub kind: RecordKind,
    /// When (for sorting, local time).
    pub at: NaiveDateTime,
    /// What it says in one line.
    pub summary: String,
    /// Review state, for reviewed kinds.
    pub review: Option<Review>,
}

/// Every visit, meter check, energy scan, renovation advice and referral of
/// a case, newest first.
pub fn timeline(
    lang: Lang,
    case: &Case,
    verdicts: &[(Uuid, String)],
    catalogue: &Catalogue,
) -> Vec<TimelineItem> {
    let mut items = Vec::new();
    let day = |d: chrono::NaiveDate| d.and_hms_opt(0, 0, 0).unwrap_or_default();
    for (id, v) in &case.visits {
        let mut s = format!("{} · {}", v.kind.label(lang), v.outcome.label(lang));
        if v.safety_signal != brug_device::shared::model::SafetySignal::None {
            s.push_str(&format!(" · {}", v.safety_signal.label(lang)));
        }
        items.push(TimelineItem {
            id: *id,
            kind: RecordKind::Visit,
            at: v.start,
            summary: s,
            review: Some(v.review.clone()),
        });
    }
    for (id, m) in &case.meter_checks {
        let s = format!(
            "{} · EAN …{}",
            m.energy.label(lang),
            m.ean
                .chars()
                .rev()
                .take(6)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<String>()
        );
        items.push(TimelineItem {
            id: *id,
            kind: RecordKind::MeterCheck,
            at: day(m.checked_on),
            summary: s,
            review: Some(m.review.clone()),
        });
    }
    for (id, e) in &case.energy_scans {
        items.push(TimelineItem {
            id: *id,
            kind: RecordKind::EnergyScan,
            at: day(e.scanned_on),
            summary: e.heating.label(lang).to_owned(),
            review: None,
        });
    }
    for (id, r) in &case.renovations {
        let verdict = verdicts
            .iter()
            .find(|(v, _)| v == id)
            .and_then(|(_, c)| HousingVerdict::from_code(c))
            .map(|v| v.label(lang))
            .unwrap_or("");
        let n = r.defects.len();
        let word = match (lang, n) {
            (Lang::Nl, 1) => "gebrek",
            (Lang::Nl, _) => "gebreken",
            (Lang::En, 1) => "defect",
            (Lang::En, _) => "defects",
        };
        let s = format!("{} · {n} {word}", r.dwelling_type.label(lang));
        let s = if verdict.is_empty() {
            s
        } else {
            format!("{s} · {verdict}")
        };
        items.push(TimelineItem {
            id: *id,
            kind: RecordKind::Renovation,
            at: day(r.advised_on),
            summary: s,
            review: Some(r.review.clone()),
        });
    }
    for (id, r) in &case.referrals {
        let service = catalogue
            .service(&r.service)
            .map_or(r.service.as_str(), |s| s.name(lang));
        let s = format!("{service} · {}", r.status.label(lang));
        items.push(TimelineItem {
            id: *id,
            kind: RecordKind::Referral,
            at: day(r.referred_on),
            summary: s,
            review: Some(r.review.clone()),
        });
    }
    items.sort_by(|a, b| b.at.cmp(&a.at).then(b.id.cmp(&a.id)));
    items
}

/// The defects of a renovation advice and the readings of a meter check,
/// each with a name: what a photo can be on inside a record.
fn parts_of(lang: Lang, case: &Case, kind: RecordKind, id: Uuid) -> Vec<(Uuid, String)> {
    match kind {
        RecordKind::Renovation => case.renovations.get(&id).map_or_else(Vec::new, |r| {
            r.defects
                .iter()
                .map(|(d, defect)| {
                    let word = match lang {
                        Lang::Nl => "Gebrek",
                        Lang::En => "Defect",
                    };
                    (
                        *d,
                        format!(
                            "{word}: {} ({})",
                            defect.element.label(lang),
                            defect.category.label(lang)
                        ),
                    )
                })
                .collect()
        }),
        RecordKind::MeterCheck => case.meter_checks.get(&id).map_or_else(Vec::new, |m| {
            m.readings
                .iter()
                .map(|(r, reading)| {
                    let word = match lang {
                        Lang::Nl => "Meterstand",
                        Lang::En => "Reading",
                    };
                    (*r, format!("{word} {}", format::date(reading.read_at)))
                })
                .collect()
        }),
        _ => Vec::new(),
    }
}

/// Puts focus on "+ visit" and leaves the page at its top.
const FOCUS_ADD_VISIT: &str = "document.querySelector('section.case button.add[data-kind=visit]')?.focus({ preventScroll: true });";

/// " · due 05/12/2026 14:00" or " · late since 03/12/2026" (no time at
/// midnight: a date alone).
fn due_line(lang: Lang, due: NaiveDateTime, now: NaiveDateTime) -> String {
    let word = t(
        lang,
        if due < now {
            Text::LateSince
        } else {
            Text::DueBy
        },
    );
    let at = format::date_time(due);
    format!(" · {word} {}", at.trim_end_matches(" 00:00"))
}

/// The case screen.
#[component]
pub fn CaseScreen(
    lang: Lang,
    view: CaseView,
    /// The user is a supervisor (may review).
    supervisor: bool,
    on_form: EventHandler<(FormKind, Option<Uuid>)>,
    on_submit: EventHandler<Uuid>,
    on_review: EventHandler<Uuid>,
    on_conflicts: EventHandler<()>,
    /// Supervisors: who works this case.
    on_assign: EventHandler<()>,
    on_history: EventHandler<()>,
    on_back: EventHandler<()>,
    /// A file picked for a record, defect or reading.
    on_attach: EventHandler<(Uuid, std::path::PathBuf)>,
    /// An attachment opened (its id in the case).
    on_open_attachment: EventHandler<Uuid>,
    /// Supervisors: erase a member's data or the whole case (GDPR).
    #[props(default)]
    on_erase: EventHandler<ErasePick>,
) -> Element {
    let case = &view.case;
    let h = &case.household;
    let a = &h.address;
    let box_part = a
        .box_number
        .as_deref()
        .map(|b| format!(" bus {b}"))
        .unwrap_or_default();
    let address = format!(
        "{} {}{box_part}, {} {}",
        a.street, a.number, a.postcode, a.municipality
    );
    let next = view
        .next_appointment
        .map(format::date_time)
        .unwrap_or_else(|| "—".into());
    let now = chrono::Local::now().naive_local();
    let last_visit = case
        .visits
        .values()
        .filter(|v| v.start <= now)
        .max_by_key(|v| v.start)
        .map(|v| {
            let mut s = format!(
                "{} · {} · {}",
                format::date_time(v.start),
                v.kind.label(lang),
                v.outcome.label(lang)
            );
            let notes = v.notes.trim();
            if !notes.is_empty() {
                let cut: String = notes.chars().take(140).collect();
                let more = if cut.len() < notes.len() { "…" } else { "" };
                s.push_str(&format!(" — {cut}{more}"));
            }
            s
        });
    // Each flag with what waits under it, and its deadline.
    let attention: Vec<(String, Vec<brug_device::index::QueueItem>)> = view
        .flags
        .iter()
        .map(|code| {
            let items = view
                .attention
                .iter()
                .filter(|i| i.reason.code() == code)
                .cloned()
                .collect();
            (code.clone(), items)
        })
        .collect();
    // The statuses as the household form names them (the schema).
    let household = serde_json::to_value(h).unwrap_or_default();
    let statuses: Vec<(&str, String)> = spec(FormKind::Household)
        .fields
        .iter()
        .filter(|f| f.path.starts_with("statuses/"))
        .map(|f| {
            let value = get(&household, &f.path)
                .and_then(serde_json::Value::as_str)
                .and_then(YesNoUnknown::from_code)
                .map_or("—", |v| v.label(lang));
            (f.label(lang), value.to_owned())
        })
        .collect();
    let items = timeline(lang, case, &view.verdicts, &view.catalogue);
    // Agreed actions still open or under way, across all visits, soonest first.
    let mut actions: Vec<(Option<chrono::NaiveDate>, String)> = case
        .visits
        .values()
        .flat_map(|v| v.actions.values())
        .filter(|a| matches!(a.status, ActionStatus::Open | ActionStatus::InProgress))
        .map(|a| {
            (
                a.deadline,
                format!("{} — {} ({})", a.what, a.who, a.status.label(lang)),
            )
        })
        .collect();
    actions.sort_by_key(|(d, _)| (d.is_none(), *d));
    let conflicted: Vec<Option<Uuid>> = view.conflicts.iter().map(|c| c.record).collect();
    rsx! {
        section { class: "case",
            button { class: "back", onclick: move |_| on_back.call(()), "← {t(lang, Text::Back)}" }
            h1 { "{h.name}" }
            p { class: "address", "{address}" }
            p { class: "status", "{t(lang, Text::StatusLabel)}: {h.status.label(lang)}" }
            if let Some(phone) = h.phone.as_deref() {
                p { class: "phone", "☎ {phone}" }
            }
            div { class: "add-row",
                button { class: "edit-household", onclick: move |_| on_form.call((FormKind::Household, None)), "{t(lang, Text::Edit)}: {t(lang, Text::Household)}" }
                if supervisor {
                    button { class: "assign", onclick: move |_| on_assign.call(()), "{t(lang, Text::AssignTitle)}" }
                }
                button { class: "history", onclick: move |_| on_history.call(()), "{t(lang, Text::History)}" }
            }
            // First what matters today: what waits (with its deadline), the
            // next appointment, the actions still open, the last visit.
            section { class: "today", aria_labelledby: "today-title",
                h2 { id: "today-title", "{t(lang, Text::MattersNow)}" }
                if attention.is_empty() {
                    p { class: "empty nothing-waits", "{t(lang, Text::NothingWaits)}" }
                } else {
                    ul { class: "flags",
                        for (code, items) in attention {
                            li { key: "{code}", class: "flag {code}",
                                strong { "{i18n::flag(lang, &code)}" }
                                span { class: "explain", " — {i18n::flag_explained(lang, &code)}" }
                                // Conflicts are chosen between on their own screen.
                                if code == CaseFlag::Conflicts.code() {
                                    " "
                                    button { class: "small open-conflicts", aria_label: "{t(lang, Text::Open)}: {t(lang, Text::ConflictsTitle)} ({view.conflicts.len()})",
                                        onclick: move |_| on_conflicts.call(()), "{t(lang, Text::Open)}" }
                                }
                                if !items.is_empty() {
                                    ul { class: "waiting",
                                        for (i, item) in items.into_iter().enumerate() {
                                            li { key: "{i}",
                                                span { class: "thing", "{item.text(lang)}" }
                                                if let Some(due) = item.due {
                                                    span { class: if due < now { "due late" } else { "due" },
                                                        {due_line(lang, due, now)}
                                                    }
                                                }
                                                if let (Some(id), Some(kind), false) = (item.record, item.kind, item.reason == CaseFlag::Conflicts) {
                                                    if supervisor && item.reason == CaseFlag::Submitted {
                                                        button { class: "small primary", onclick: move |_| on_review.call(id), "{t(lang, Text::ReviewIt)}" }
                                                    } else {
                                                        button { class: "small", aria_label: "{t(lang, Text::Open)}: {item.text(lang)}", onclick: move |_| on_form.call((FormKind::Record(kind), Some(id))), "{t(lang, Text::Open)}" }
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
                p { class: "next", strong { "{t(lang, Text::NextAppointment)}: " } "{next}" }
                if !actions.is_empty() {
                    h3 { "{t(lang, Text::OpenActions)}" }
                    ul { class: "actions",
                        for (i, (deadline, what)) in actions.into_iter().enumerate() {
                            li { key: "{i}",
                                strong { {deadline.map(format::date).unwrap_or_else(|| "—".into())} }
                                " {what}"
                            }
                        }
                    }
                }
                if let Some(last) = last_visit {
                    p { class: "last-visit", strong { "{t(lang, Text::LastVisit)}: " } "{last}" }
                }
            }
            section { class: "timeline",
                h2 { "{t(lang, Text::Timeline)}" }
                div { class: "add-row",
                    for kind in [RecordKind::Visit, RecordKind::MeterCheck, RecordKind::EnergyScan, RecordKind::Renovation, RecordKind::Referral] {
                        button { class: "add", "data-kind": "{kind.code()}", onclick: move |_| on_form.call((FormKind::Record(kind), None)),
                            // The next thing a worker does on a case is record a visit.
                            // Without scrolling: on a phone what matters now stays in view.
                            onmounted: move |_| if kind == RecordKind::Visit { let _ = document::eval(FOCUS_ADD_VISIT); },
                            "+ {kind.label(lang)}" }
                    }
                }
                if items.is_empty() { p { class: "empty", "{t(lang, Text::NoneYet)}" } }
                ol {
                    for item in items {
                        li { key: "{item.id}", class: "entry {item.kind.code()}",
                            span { class: "when", {format::date_time(item.at).trim_end_matches(" 00:00").to_owned()} }
                            span { class: "kind", " {item.kind.label(lang)} " }
                            span { class: "what", "{item.summary}" }
                            if conflicted.contains(&Some(item.id)) {
                                span { class: "badge conflicts", "{t(lang, Text::Conflicting)}" }
                            }
                            if let Some(r) = item.review.as_ref() {
                                span { class: "badge review {r.state.code()}", "{r.state.label(lang)}" }
                                if r.state == ReviewState::Returned && !r.comment.is_empty() {
                                    span { class: "comment", " “{r.comment}”" }
                                }
                            }
                            button { class: "small", onclick: { let (id, kind) = (item.id, item.kind); move |_| on_form.call((FormKind::Record(kind), Some(id))) }, "{t(lang, Text::Edit)}" }
                            if item.review.as_ref().is_some_and(|r| matches!(r.state, ReviewState::Draft | ReviewState::Returned)) {
                                button { class: "small", onclick: { let id = item.id; move |_| on_submit.call(id) }, "{t(lang, Text::Submit)}" }
                            }
                            if supervisor && item.review.as_ref().is_some_and(|r| r.state == ReviewState::Submitted) {
                                button { class: "small primary", onclick: { let id = item.id; move |_| on_review.call(id) }, "{t(lang, Text::ReviewIt)}" }
                            }
                            AttachmentStrip { lang, on: item.id, what: item.kind.label(lang).to_owned(),
                                items: attachments_on(&view, item.id),
                                on_add: move |picked| on_attach.call(picked),
                                on_open: move |id| on_open_attachment.call(id) }
                            // Defects and readings carry their own photos.
                            for (part, what) in parts_of(lang, case, item.kind, item.id) {
                                div { key: "{part}", class: "part",
                                    span { class: "part-name", "{what}" }
                                    AttachmentStrip { lang, on: part, what: what.clone(),
                                        items: attachments_on(&view, part),
                                        on_add: move |picked| on_attach.call(picked),
                                        on_open: move |id| on_open_attachment.call(id) }
                                }
                            }
                        }
                    }
                }
            }
            details { class: "household-data",
            summary { h2 { "{t(lang, Text::HouseholdData)}" } }
            section { class: "statuses",
                h3 { "{t(lang, Text::Statuses)}" }
                ul {
                    for (label, v) in statuses {
                        li { "{label}: {v}" }
                    }
                }
            }
            section { class: "members",
                h3 { "{t(lang, Text::Members)}" }
                if case.members.is_empty() { p { class: "empty", "{t(lang, Text::NoneYet)}" } }
                ul {
                    for (id, m) in case.members.iter() {
                        li { key: "{id}",
                            "{m.first_name} {m.last_name} · {m.role.label(lang)}"
                            if let Some(y) = m.birth_year { " · {y}" }
                            if let Some(s) = m.school.as_deref() { " · {s}" }
                            button { class: "small", onclick: { let id = *id; move |_| on_form.call((FormKind::Record(RecordKind::Member), Some(id))) }, "{t(lang, Text::Edit)}" }
                            if supervisor {
                                button {
                                    class: "small",
                                    "data-erase": "{id}",
                                    onclick: { let id = *id; move |_| on_erase.call(ErasePick::Member(id)) },
                                    if lang == Lang::Nl { "Wissen (AVG)" } else { "Erase (GDPR)" }
                                }
                            }
                        }
                    }
                }
                button { class: "add", onclick: move |_| on_form.call((FormKind::Record(RecordKind::Member), None)), "+ {RecordKind::Member.label(lang)}" }
            }
            section { class: "consents",
                h3 { "{t(lang, Text::Consents)}" }
                if case.consents.is_empty() { p { class: "empty", "{t(lang, Text::NoneYet)}" } }
                ul {
                    for (id, c) in case.consents.iter() {
                        li { key: "{id}",
                            "{c.recipient.label(lang)} · {format::date(c.given_on)} · {c.purpose}"
                            if let Some(w) = c.withdrawn_on { " · ✗ {format::date(w)}" }
                            button { class: "small", onclick: { let id = *id; move |_| on_form.call((FormKind::Record(RecordKind::Consent), Some(id))) }, "{t(lang, Text::Edit)}" }
                        }
                    }
                }
                button { class: "add", onclick: move |_| on_form.call((FormKind::Record(RecordKind::Consent), None)), "+ {RecordKind::Consent.label(lang)}" }
            }
            if supervisor {
                section { class: "erase-case",
                    button {
                        class: "small",
                        "data-erase": "case",
                        onclick: move |_| on_erase.call(ErasePick::Case),
                        if lang == Lang::Nl { "Dossier wissen (AVG)" } else { "Erase the case (GDPR)" }
                    }
                }
            }
            }
        }
    }
}
