//! The Report screen (supervisors and the policy lead) and the team's
//! collective activities (everyone who works cases).

use brug_device::index::CaseQuery;
use brug_device::service::Command;
use brug_device::shared::model::{Activity, Lang as ModelLang};
use brug_device::shared::report::{Plan, Query};
use dioxus::prelude::*;

use super::{failed, loading};
use crate::components::{ActivitiesScreen, ReportScreen, default_query};
use crate::state::Ui;

/// The report: the last one kept shows at once; a fresh one is asked for.
#[component]
pub fn ReportPage() -> Element {
    let ui = use_context::<Ui>();
    let lang = ui.lang();
    let report = ui.report;
    // A supervisor may ask for the team's own figures as they are; the
    // policy lead only ever gets the public view.
    let supervisor = ui.supervisor();
    use_hook(move || {
        let query = (report.query)()
            .unwrap_or_else(|| default_query(chrono::Local::now().date_naive(), !supervisor));
        report.fetch(&ui, query);
    });
    let Some(query) = (report.query)() else {
        return loading(lang);
    };
    rsx! {
        ReportScreen {
            lang,
            query,
            shown: (report.shown)(),
            busy: (report.busy)(),
            may_choose_public: supervisor,
            saved: (report.saved)(),
            error: (report.error)(),
            on_fetch: move |q: Query| report.fetch(&ui, q),
            on_xlsx: move |q: Query| {
                let mut saved = report.saved;
                saved.set(None);
                ui.send(Command::ReportXlsx(q));
            },
        }
    }
}

/// The team's collective activities, with the editor.
#[component]
pub fn ActivitiesPage() -> Element {
    let ui = use_context::<Ui>();
    let lang = ui.lang();
    use_effect(move || {
        let _ = (ui.version)();
        ui.send(Command::Activities);
        ui.send(Command::List(CaseQuery::default()));
    });
    let (activities, error) = match (ui.activities)() {
        Some(Ok(a)) => (Some(a), None),
        Some(Err(e)) => (None, Some(e)),
        None => (None, None),
    };
    if activities.is_none() {
        return match error {
            Some(e) => failed(&e),
            None => loading(lang),
        };
    }
    let model_lang = if lang == ModelLang::Nl {
        ModelLang::Nl
    } else {
        ModelLang::En
    };
    // The plan as this app knows it (the server's own file may name more
    // actions; those are shown by their code).
    let actions: Vec<(String, String)> = Plan::builtin()
        .actions
        .iter()
        .map(|a| (a.code.clone(), a.name(model_lang).to_owned()))
        .collect();
    let households = match (ui.cases)() {
        Some(Ok(rows)) => rows.into_iter().map(|r| (r.id, r.name)).collect(),
        _ => Vec::new(),
    };
    let mut editing = ui.editing_activity;
    rsx! {
        ActivitiesScreen {
            lang,
            activities,
            actions,
            households,
            reviewer: ui.supervisor(),
            editing: editing(),
            error,
            today: chrono::Local::now().date_naive(),
            on_edit: move |a: Option<Activity>| editing.set(a),
            on_save: move |a: Activity| ui.send(Command::SaveActivity(Box::new(a))),
            on_review: move |(id, approve)| ui.send(Command::ReviewActivity {
                id,
                approve,
                comment: String::new(),
            }),
        }
    }
}
