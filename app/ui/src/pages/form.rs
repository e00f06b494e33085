//! A form, as the device service opened it (with the document's heads at that
//! moment, where the edit will be written and merged).

use brug_device::service::{Command, OpenForm};
use dioxus::prelude::*;
use serde_json::Value;

use crate::forms::RecordForm;
use crate::state::{Screen, Ui};

/// A form for a new case or a new or existing record. Every change is kept
/// as a draft; saving sends the form to the device, which answers with the
/// case to show or the reason it could not save.
#[component]
pub fn FormPage(open: Box<OpenForm>) -> Element {
    let ui = use_context::<Ui>();
    let lang = ui.lang();
    let back = match open.case {
        Some(c) => Screen::Case(c),
        None => Screen::Cases,
    };
    let mut screen = ui.screen;
    let (o1, o2, o3) = (open.clone(), open.clone(), open.clone());
    rsx! {
        RecordForm {
            key: "{open.key}-{open.restored}",
            lang,
            kind: open.kind,
            case: open.case_now.clone(),
            record_id: open.record_id,
            start: open.start.clone(),
            restored: open.restored,
            now: open.now,
            catalogue: Some(open.catalogue.clone()),
            error: (ui.form_error)(),
            on_change: move |edited: Value| ui.send(Command::SaveDraft {
                key: o1.key.clone(),
                heads: o1.heads.clone(),
                edited,
            }),
            on_discard: move |_| ui.send(Command::Discard(o2.clone())),
            on_cancel: move |_| screen.set(back.clone()),
            on_save: move |edited: Value| ui.send(Command::Save { form: o3.clone(), edited }),
        }
    }
}
