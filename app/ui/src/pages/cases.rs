//! The case list and the supervisor's queue.

use brug_device::index::{CaseQuery, QueueItem};
use brug_device::service::Command;
use brug_device::shared::schema::FormKind;
use dioxus::prelude::*;

use super::{failed, loading};
use brug_device::shared::model::{CaseFlag, ReviewState};

use crate::components::{CaseList, QueueScreen};
use crate::state::{Screen, Ui};

/// The case list: read again when a filter changes or something stored
/// changed.
#[component]
pub fn CasesPage() -> Element {
    let ui = use_context::<Ui>();
    let lang = ui.lang();
    let mut filters = ui.filters;
    use_effect(move || {
        let f = filters();
        let _ = (ui.version)();
        let worker = if f.mine {
            ui.info.peek().as_ref().map(|i| i.user.clone())
        } else {
            None
        };
        ui.send(Command::List(CaseQuery {
            text: Some(f.text),
            status: f.status,
            flag: f.flag,
            worker,
            limit: Some(500),
        }));
    });
    let f = filters();
    let rows = match ui.cases.read().as_ref() {
        None => return loading(lang),
        Some(Err(e)) => return failed(e),
        Some(Ok(rows)) => rows.clone(),
    };
    let mut screen = ui.screen;
    rsx! {
        CaseList {
            lang,
            rows,
            query: f.text,
            flag: f.flag,
            mine: f.mine,
            status: f.status,
            on_query: move |q| filters.write().text = q,
            on_flag: move |flag| filters.write().flag = flag,
            on_mine: move |m| filters.write().mine = m,
            on_status: move |s| filters.write().status = s,
            on_open: move |id| screen.set(Screen::Case(id)),
            on_new: move |_| ui.send(Command::OpenForm { case: None, kind: FormKind::Household, record: None }),
        }
    }
}

/// The supervisor's queue: what waits, item by item; each item opens where
/// it is dealt with.
#[component]
pub fn QueuePage() -> Element {
    let ui = use_context::<Ui>();
    let lang = ui.lang();
    use_effect(move || {
        let _ = (ui.version)();
        ui.send(Command::Queue);
        ui.send(Command::Activities);
    });
    let items = match ui.queue.read().clone() {
        None => return loading(lang),
        Some(Err(e)) => return failed(&e),
        Some(Ok(items)) => items,
    };
    // The team's activities waiting for review (while they load, or if they
    // cannot be read, the cases' items still show).
    let activities = match (ui.activities)() {
        Some(Ok(all)) => all
            .into_iter()
            .filter(|a| a.review.state == ReviewState::Submitted)
            .collect(),
        _ => Vec::new(),
    };
    let (mut filters, mut screen) = (ui.filters, ui.screen);
    rsx! {
        QueueScreen {
            lang,
            items,
            now: chrono::Local::now().naive_local(),
            on_group: move |f: String| {
                let mut filters = filters.write();
                filters.flag = Some(f);
                filters.text.clear();
                screen.set(Screen::Cases);
            },
            on_item: move |item: QueueItem| match (item.reason, item.kind, item.record) {
                (CaseFlag::Submitted, _, Some(record)) => {
                    screen.set(Screen::Review { case: item.case, record });
                }
                (CaseFlag::Conflicts, _, _) => screen.set(Screen::Conflicts(item.case)),
                (_, Some(kind), Some(record)) => ui.send(Command::OpenForm {
                    case: Some(item.case),
                    kind: FormKind::Record(kind),
                    record: Some(record),
                }),
                _ => screen.set(Screen::Case(item.case)),
            },
            activities,
            on_activity: move |_| screen.set(Screen::Activities),
        }
    }
}
