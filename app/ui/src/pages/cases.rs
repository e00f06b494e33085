//! The case list and the supervisor's queue.

use brug_device::index::CaseQuery;
use brug_device::service::Command;
use brug_device::shared::schema::FormKind;
use dioxus::prelude::*;

use super::{failed, loading};
use brug_device::shared::model::CaseFlag;

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

/// The supervisor's queue: counts per flag and the records waiting.
#[component]
pub fn QueuePage() -> Element {
    let ui = use_context::<Ui>();
    let lang = ui.lang();
    use_effect(move || {
        let _ = (ui.version)();
        ui.send(Command::Queue(
            CaseFlag::ALL.iter().map(|f| f.code().to_owned()).collect(),
        ));
    });
    let Some((counts, waiting)) = ui.queue.read().clone() else {
        return loading(lang);
    };
    let (mut filters, mut screen) = (ui.filters, ui.screen);
    rsx! {
        QueueScreen {
            lang,
            counts,
            waiting,
            on_pick: move |f: String| {
                let mut filters = filters.write();
                filters.flag = Some(f);
                filters.text.clear();
                screen.set(Screen::Cases);
            },
        }
    }
}
