//! One case: the case screen, the review of one of its records, its
//! conflicting fields and its history.

use brug_device::service::{Command, TeamCall};
use brug_device::shared::casedoc::ReviewAction;
use brug_device::shared::schema::FormKind;
use dioxus::prelude::*;
use uuid::Uuid;

use super::{failed, loading};
use brug_device::shared::protocol::team::EraseRequest;

use crate::components::{
    AttachmentItem, AttachmentScreen, CaseScreen, Choice, ConflictScreen, Decision, ErasePick,
    EraseScreen, HistoryScreen, ReviewScreen, attachments_on, timeline,
};
use crate::state::{Screen, Ui};
use crate::{format, forms};

/// Reads the case again whenever something stored changed.
fn use_case(ui: Ui, id: Uuid) {
    use_effect(move || {
        let _ = (ui.version)();
        ui.send(Command::Show(id));
    });
}

/// The case screen (mounted per case: the app keys it by id).
#[component]
pub fn CasePage(id: Uuid) -> Element {
    let ui = use_context::<Ui>();
    let lang = ui.lang();
    use_case(ui, id);
    let view = match ui.case.read().as_ref() {
        Some((c, Ok(view))) if *c == id => (**view).clone(),
        Some((c, Err(e))) if *c == id => return failed(e),
        _ => return loading(lang),
    };
    let mut screen = ui.screen;
    let mut team = ui.team.team;
    rsx! {
        CaseScreen {
            lang,
            view,
            supervisor: ui.supervisor(),
            on_form: move |(kind, record): (FormKind, Option<Uuid>)| {
                ui.send(Command::OpenForm { case: Some(id), kind, record });
            },
            on_submit: move |record: Uuid| ui.send(Command::Review {
                case: id,
                record,
                action: ReviewAction::Submit,
                comment: String::new(),
            }),
            on_review: move |record| screen.set(Screen::Review { case: id, record }),
            on_conflicts: move |_| screen.set(Screen::Conflicts(id)),
            on_history: move |_| screen.set(Screen::History(id)),
            on_assign: move |_| {
                team.set(None);
                screen.set(Screen::Assign(id));
                ui.team_call(TeamCall::Members(Some(id)));
            },
            on_back: move |_| screen.set(Screen::Cases),
            on_attach: move |(on, path): (Uuid, std::path::PathBuf)| ui.send(Command::Attach {
                case: id,
                on,
                path,
                caption: String::new(),
            }),
            on_open_attachment: move |att| screen.set(Screen::Attachment { case: id, id: att }),
            on_erase: move |pick| {
                let mut team = ui.team;
                team.erased.set(None);
                team.error.set(None);
                screen.set(Screen::Erase { case: id, pick });
            },
        }
    }
}

/// A supervisor erases a member's data (GDPR): the national register
/// number alone, or the whole member; or the whole case.
#[component]
pub fn ErasePage(case: Uuid, pick: ErasePick) -> Element {
    let ui = use_context::<Ui>();
    let lang = ui.lang();
    use_case(ui, case);
    let mut screen = ui.screen;
    let team = ui.team;
    let done = team.erased.read().clone().filter(|d| d.case == case);
    let view = match ui.case.read().as_ref() {
        Some((c, Ok(view))) if *c == case => Some(view.clone()),
        Some((c, Err(e))) if *c == case && done.is_none() => return failed(e),
        _ => None,
    };
    let household = match (&view, &done) {
        (Some(v), _) => v.case.household.name.clone(),
        // The whole case erased: this device no longer holds it.
        (None, Some(_)) => String::new(),
        (None, None) => return loading(lang),
    };
    let member = match pick {
        ErasePick::Member(m) => Some(m),
        ErasePick::Case => None,
    };
    // After the whole case went, "back" leads to the case list.
    let case_gone = member.is_none() && done.is_some();
    let (name, has_national_number) = match (member, &view) {
        (Some(m), Some(v)) => match v.case.members.get(&m) {
            Some(m) => (
                format!("{} {}", m.first_name, m.last_name),
                m.national_number.is_some(),
            ),
            // Erased whole (or by a colleague): the screen says what was done.
            None => (String::new(), false),
        },
        _ => (household.clone(), false),
    };
    rsx! {
        EraseScreen {
            lang,
            household,
            member: name,
            has_national_number,
            whole_case: member.is_none(),
            busy: (team.busy)(),
            error: (team.error)(),
            done,
            on_erase: move |(whole, reason): (bool, String)| {
                let mut team = ui.team;
                team.busy.set(true);
                team.error.set(None);
                let request = match member {
                    None => EraseRequest {
                        case,
                        members: Vec::new(),
                        fields: Vec::new(),
                        whole_case: true,
                        reason,
                    },
                    Some(member) => EraseRequest {
                        case,
                        members: if whole { vec![member] } else { Vec::new() },
                        fields: if whole {
                            Vec::new()
                        } else {
                            vec![format!("members/{member}/national_number")]
                        },
                        whole_case: false,
                        reason,
                    },
                };
                ui.team_call(TeamCall::Erase(request));
            },
            on_back: move |_| screen.set(if case_gone { Screen::Cases } else { Screen::Case(case) }),
        }
    }
}

/// One attachment in full: read from the device, or fetched when only
/// its thumbnail is here.
#[component]
pub fn AttachmentPage(case: Uuid, id: Uuid) -> Element {
    let ui = use_context::<Ui>();
    let lang = ui.lang();
    use_case(ui, case);
    let view = match ui.case.read().as_ref() {
        Some((c, Ok(view))) if *c == case => view.clone(),
        Some((c, Err(e))) if *c == case => return failed(e),
        _ => return loading(lang),
    };
    let mut screen = ui.screen;
    let Some(item) = attachments_on_case(&view, id) else {
        // Removed meanwhile (by a colleague, through a sync).
        let gone = match lang {
            crate::i18n::Lang::Nl => "Deze bijlage is van het record gehaald.",
            crate::i18n::Lang::En => "This attachment was taken off its record.",
        };
        return rsx! {
            section { class: "attachment-view",
                button { class: "back", onclick: move |_| screen.set(Screen::Case(case)), "← {view.case.household.name}" }
                p { role: "status", "{gone}" }
            }
        };
    };
    let hash = item.attachment.hash.clone();
    use_effect({
        let hash = hash.clone();
        move || ui.send(Command::OpenAttachment(hash.clone()))
    });
    let bytes = match ui.attachment.read().as_ref() {
        Some((h, b)) if *h == hash => Some(b.clone()),
        _ => None,
    };
    rsx! {
        AttachmentScreen {
            lang,
            household: view.case.household.name.clone(),
            item,
            bytes,
            on_back: move |_| screen.set(Screen::Case(case)),
            on_remove: move |att| {
                ui.send(Command::RemoveAttachment { case, id: att });
                screen.set(Screen::Case(case));
            },
        }
    }
}

/// The attachment `id` of a case as the screens show it.
fn attachments_on_case(view: &brug_device::device::CaseView, id: Uuid) -> Option<AttachmentItem> {
    let on = view.case.attachments.get(&id)?.on;
    attachments_on(view, on).into_iter().find(|i| i.id == id)
}

/// A record to review, with what changed since its last approval.
#[component]
pub fn ReviewPage(case: Uuid, record: Uuid) -> Element {
    let ui = use_context::<Ui>();
    let lang = ui.lang();
    use_effect(move || {
        let _ = (ui.version)();
        ui.send(Command::ReviewData { case, record });
    });
    let (view, changes) = match ui.review.read().as_ref() {
        Some((k, Ok(data))) if *k == (case, record) => data.clone(),
        Some((k, Err(e))) if *k == (case, record) => return failed(e),
        _ => return loading(lang),
    };
    let Some(item) = timeline(lang, &view.case, &view.verdicts, &view.catalogue)
        .into_iter()
        .find(|i| i.id == record)
    else {
        return rsx! {};
    };
    // What the rules say of it now (warnings, flags, overrides and their
    // reasons), as the worker saw them when saving.
    let ctx = brug_device::shared::rules::RuleContext::at(chrono::Local::now().naive_local())
        .with_catalogue(view.catalogue.clone());
    let findings = view
        .case
        .record(item.kind, record)
        .map(|r| brug_device::shared::rules::check_record(&view.case, record, &r, None, &ctx))
        .unwrap_or_default();
    let fields = view
        .case
        .record(item.kind, record)
        .map(|r| {
            forms::record_fields(
                FormKind::Record(item.kind),
                &r.to_json(),
                lang,
                &view.catalogue,
            )
        })
        .unwrap_or_default();
    let mut screen = ui.screen;
    rsx! {
        ReviewScreen {
            fields,
            findings,
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
                ui.send(Command::Review { case, record, action, comment });
                screen.set(Screen::Case(case));
            },
        }
    }
}

/// A case's conflicting fields, each value with who wrote it and when.
#[component]
pub fn ConflictsPage(case: Uuid) -> Element {
    let ui = use_context::<Ui>();
    let lang = ui.lang();
    use_case(ui, case);
    let view = match ui.case.read().as_ref() {
        Some((c, Ok(view))) if *c == case => view.clone(),
        Some((c, Err(e))) if *c == case => return failed(e),
        _ => return loading(lang),
    };
    let mut screen = ui.screen;
    rsx! {
        ConflictScreen {
            lang,
            household: view.case.household.name.clone(),
            conflicts: view.conflicts.clone(),
            on_back: move |_| screen.set(Screen::Case(case)),
            on_choose: move |c: Choice| ui.send(Command::Resolve {
                case,
                record: c.record,
                field: c.field,
                value: c.value,
            }),
        }
    }
}

/// Who changed what in a case, and when.
#[component]
pub fn HistoryPage(case: Uuid) -> Element {
    let ui = use_context::<Ui>();
    let lang = ui.lang();
    use_effect(move || {
        let _ = (ui.version)();
        ui.send(Command::History(case));
    });
    let (household, entries) = match ui.history.read().as_ref() {
        Some((c, Ok(data))) if *c == case => data.clone(),
        Some((c, Err(e))) if *c == case => return failed(e),
        _ => return loading(lang),
    };
    let mut screen = ui.screen;
    rsx! {
        HistoryScreen { lang, household, entries, on_back: move |_| screen.set(Screen::Case(case)) }
    }
}
