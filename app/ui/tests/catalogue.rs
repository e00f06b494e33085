//! The team's catalogue screen and the referral form reading it: the
//! services with their sessions, a supervisor adding a service with a
//! session, a referral offering the team's own service and proposing its
//! next session past a closing day.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they set up

mod common;

use std::sync::Arc;

use common::{click_event, element, fire, form_event, listeners};

use brug_app::components::CatalogueScreen;
use brug_app::forms::{FormKind, RecordForm};
use brug_app::i18n::Lang;
use brug_device::shared::casedoc::{CaseDoc, Editor};
use brug_device::shared::model::{Catalogue, RecordKind, Service, examples};
use chrono::NaiveDate;
use dioxus::prelude::*;
use serde_json::json;
use uuid::Uuid;

/// The team's repair café, closed on the first Saturday of December 2026.
fn repair_cafe() -> Service {
    Service {
        closed: vec![NaiveDate::from_ymd_opt(2026, 12, 5).unwrap()],
        ..examples::local_service()
    }
}

fn team_catalogue() -> Arc<Catalogue> {
    let mut c = Catalogue::builtin().clone();
    c.services.push(repair_cafe());
    Arc::new(c)
}

#[component]
fn Harness(catalogue: Arc<Catalogue>) -> Element {
    let mut editing = use_signal(|| None::<Service>);
    let mut saved = use_signal(|| None::<Service>);
    rsx! {
        CatalogueScreen {
            lang: Lang::Nl,
            catalogue: Some(catalogue),
            editable: true,
            editing: editing(),
            error: None,
            on_edit: move |s| editing.set(s),
            on_save: move |s| { saved.set(Some(s)); editing.set(None); },
        }
        if let Some(s) = saved() {
            p { id: "saved", "saved {s.code}: {s.nl}; {s.sessions.iter().map(|x| x.label(Lang::Nl)).collect::<Vec<_>>().join(\" | \")}" }
        }
    }
}

#[test]
fn the_catalogue_lists_each_service_with_its_sessions_and_whether_consent_is_needed() {
    let mut dom = VirtualDom::new_with_props(
        Harness,
        HarnessProps {
            catalogue: team_catalogue(),
        },
    );
    dom.rebuild_in_place();
    let html = dioxus_ssr::render(&dom);
    assert!(html.contains("repaircafé De Vonk"), "{html}");
    assert!(
        html.contains("elke 1ste zaterdag van de maand 09:00–12:00, OC De Vonk"),
        "{html}"
    );
    assert!(
        html.contains("elke woensdag 13:30–16:00, Huis van Welzijn"),
        "{html}"
    );
    assert!(html.contains("Gesloten dagen"), "{html}");
    assert!(html.contains("05/12/2026"), "{html}");
    // The debt mediation session shares data outside the OCMW.
    assert!(html.contains("toestemming nodig"), "{html}");
    assert!(html.contains("geen toestemming nodig"), "{html}");
    assert!(html.contains("op afspraak"), "{html}");
}

#[test]
fn a_supervisor_adds_a_service_with_a_weekly_session() {
    dioxus::html::set_event_converter(Box::new(dioxus::html::SerializedHtmlEventConverter));
    let mut dom = VirtualDom::new_with_props(
        Harness,
        HarnessProps {
            catalogue: Arc::new(Catalogue::builtin().clone()),
        },
    );
    let muts = dom.rebuild_to_vec();
    let add = element(&muts, "data-add", |v| v == "service");
    let editor = fire(&mut dom, "click", click_event(), add);
    let name = element(&editor, "id", |v| v == "svc-nl");
    fire(&mut dom, "input", form_event("Repair Café"), name);
    let add_session = element(&editor, "data-add", |v| v == "session");
    let row = fire(&mut dom, "click", click_event(), add_session);
    let day = element(&row, "id", |v| v == "ses-0-day");
    fire(&mut dom, "change", form_event("Wednesday"), day);
    let from = element(&row, "id", |v| v == "ses-0-from");
    fire(&mut dom, "input", form_event("13:30"), from);
    let until = element(&row, "id", |v| v == "ses-0-until");
    fire(&mut dom, "input", form_event("16:00"), until);
    let submit = listeners(&editor, "submit")[0];
    fire(&mut dom, "submit", form_event(""), submit);
    let html = dioxus_ssr::render(&dom);
    assert!(
        html.contains("saved repair-cafe: Repair Café; elke woensdag 13:30–16:00"),
        "{html}"
    );
}

#[component]
fn FormHarness(catalogue: Arc<Catalogue>) -> Element {
    let case = CaseDoc::create(
        Uuid::now_v7(),
        &examples::household(),
        &Editor {
            user: "ann".into(),
            device: Uuid::now_v7(),
        },
    )
    .unwrap()
    .case()
    .unwrap();
    let mut start = examples::example(RecordKind::Referral).to_json();
    start["service"] = json!("debt-help");
    start["appointment"] = json!(null);
    rsx! {
        RecordForm {
            lang: Lang::Nl,
            kind: FormKind::Record(RecordKind::Referral),
            case: Some(case),
            record_id: Uuid::now_v7(),
            start,
            restored: false,
            now: NaiveDate::from_ymd_opt(2026, 11, 26).unwrap().and_hms_opt(10, 0, 0).unwrap(),
            catalogue: Some(catalogue),
            error: None,
            on_change: |_| {},
            on_save: |_| {},
            on_cancel: |_| {},
            on_discard: |_| {},
        }
    }
}

#[test]
fn a_referral_offers_the_teams_own_service_and_proposes_its_next_session_past_a_closing_day() {
    dioxus::html::set_event_converter(Box::new(dioxus::html::SerializedHtmlEventConverter));
    let mut dom = VirtualDom::new_with_props(
        FormHarness,
        FormHarnessProps {
            catalogue: team_catalogue(),
        },
    );
    let muts = dom.rebuild_to_vec();
    let html = dioxus_ssr::render(&dom);
    assert!(html.contains("value=\"repair-cafe\""), "{html}");
    // First Saturday of December is closed: the first of January 2027 is
    // a Friday, so the next is Saturday 2 January.
    let service = element(&muts, "id", |v| v == "f-service");
    fire(&mut dom, "change", form_event("repair-cafe"), service);
    let html = dioxus_ssr::render(&dom);
    assert!(
        html.contains("Volgende zitdag: 02/01/2027 09:00 (OC De Vonk)"),
        "{html}"
    );
    assert!(!html.contains("staat niet in de catalogus"), "{html}");
}

#[test]
fn a_time_that_does_not_read_is_said_and_nothing_is_saved() {
    dioxus::html::set_event_converter(Box::new(dioxus::html::SerializedHtmlEventConverter));
    let mut dom = VirtualDom::new_with_props(
        Harness,
        HarnessProps {
            catalogue: Arc::new(Catalogue::builtin().clone()),
        },
    );
    let muts = dom.rebuild_to_vec();
    let add = element(&muts, "data-add", |v| v == "service");
    let editor = fire(&mut dom, "click", click_event(), add);
    fire(
        &mut dom,
        "input",
        form_event("Babbelwandeling"),
        listeners(&editor, "input")[0],
    );
    let add_session = element(&editor, "data-add", |v| v == "session");
    let row = fire(&mut dom, "click", click_event(), add_session);
    let from = element(&row, "id", |v| v == "ses-0-from");
    fire(&mut dom, "input", form_event("half twee"), from);
    fire(
        &mut dom,
        "submit",
        form_event(""),
        listeners(&editor, "submit")[0],
    );
    let html = dioxus_ssr::render(&dom);
    assert!(html.contains("Schrijf een tijd als 13:30."), "{html}");
    assert!(!html.contains("id=\"saved\""), "{html}");
}

#[test]
fn the_catalogue_screens_pass_the_axe_audit() {
    dioxus::html::set_event_converter(Box::new(dioxus::html::SerializedHtmlEventConverter));
    let mut dom = VirtualDom::new_with_props(
        Harness,
        HarnessProps {
            catalogue: team_catalogue(),
        },
    );
    let muts = dom.rebuild_to_vec();
    let list = dioxus_ssr::render(&dom);
    let add = element(&muts, "data-add", |v| v == "service");
    let editor = fire(&mut dom, "click", click_event(), add);
    let add_session = element(&editor, "data-add", |v| v == "session");
    fire(&mut dom, "click", click_event(), add_session);
    let editing = dioxus_ssr::render(&dom);
    let mut found = Vec::new();
    for (name, html) in [("catalogue", list), ("catalogue-editor", editing)] {
        for v in common::axe_violations(name, "nl-BE", &html) {
            found.push(format!("{name}: {v}"));
        }
    }
    assert!(found.is_empty(), "axe found:\n{}", found.join("\n"));
}
