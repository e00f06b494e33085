//! The Report screen draws a chart per indicator from the figures (bars in
//! proportion, "<5" in a public report, the figures readable by a screen
//! reader), and the activities screen records a collective session with
//! its households or says what is missing and saves nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they set up

mod common;

use common::{click_event, element, fire, form_event, listeners};

use brug_app::components::{ActivitiesScreen, ReportScreen, ShownReport};
use brug_app::i18n::Lang;
use brug_device::shared::model::Activity;
use brug_device::shared::report::{Breakdown, Fact, FactKind, Plan, Query, Row, compute};
use chrono::NaiveDate;
use dioxus::prelude::*;
use uuid::Uuid;

fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, m, d).unwrap()
}

/// Visits that took place: 8 households in the first quarter, 2 in the
/// third (and a meter check in the second).
fn rows() -> Vec<Row> {
    let visit = |case: u128, on: NaiveDate| Row {
        fact: Fact {
            kind: FactKind::Visit,
            day: on,
            detail: "family-visit".into(),
            outcome: "done".into(),
            worker: "ann.peeters".into(),
            case: Some(Uuid::from_u128(case)),
            amount_cents: 0,
            participants: 0,
        },
        team: "harelbeke".into(),
        postcode: "8530".into(),
    };
    let mut rows: Vec<Row> = (0..8).map(|c| visit(c, day(2, 10))).collect();
    rows.extend((20..22).map(|c| visit(c, day(8, 5))));
    rows
}

fn shown(public: bool) -> ShownReport {
    let query = Query {
        from: day(1, 1),
        to: day(12, 31),
        team: Some("harelbeke".into()),
        by: Breakdown::Quarter,
        public,
    };
    ShownReport {
        report: compute(&Plan::builtin(), &query, &rows()),
        fetched: "03/12/2026 09:00".into(),
        problem: None,
    }
}

#[component]
fn Harness(shown: ShownReport) -> Element {
    let query = shown.report.query.clone();
    rsx! {
        ReportScreen {
            lang: Lang::Nl,
            query,
            shown: Some(shown),
            busy: false,
            may_choose_public: true,
            saved: None,
            error: None,
            on_fetch: |_| {},
            on_xlsx: |_| {},
        }
    }
}

fn render(shown: ShownReport) -> String {
    let mut dom = VirtualDom::new_with_props(Harness, HarnessProps { shown });
    dom.rebuild_in_place();
    dioxus_ssr::render(&dom)
}

#[test]
fn the_report_draws_a_chart_per_indicator_from_its_figures() {
    let html = render(shown(false));
    let indicators: usize = Plan::builtin()
        .actions
        .iter()
        .map(|a| a.indicators.len())
        .sum();
    assert_eq!(html.matches("<svg class=\"chart\"").count(), indicators);
    assert!(html.contains("SDG 1"), "{html}");
    assert!(
        html.contains("Brugfiguren in scholen en gezinnen"),
        "{html}"
    );
    // Households reached: 8 in K1 and 2 in K3, so K1's bar is full height
    // (96) and K3's a quarter of it (24); K2 and K4 have none.
    let start = html.find("data-code=\"households-reached\"").unwrap();
    let card = &html[start..start + html[start..].find("</li>").unwrap()];
    assert!(card.contains(">10 <"), "total 10: {card}");
    assert!(card.contains("height=\"96.0\""), "{card}");
    assert!(card.contains("height=\"24.0\""), "{card}");
    assert_eq!(card.matches("class=\"bar\"").count(), 4, "{card}");
    assert!(
        card.contains("aria-label=\"Gezinnen bereikt (huisbezoek doorgegaan of op een collectieve activiteit). 2025 K1: 8, 2025 K2: 0, 2025 K3: 2, 2025 K4: 0\""),
        "{card}"
    );
    assert!(html.contains("planversie 2025.1"), "{html}");
}

#[test]
fn a_public_report_shows_under_five_without_a_bar() {
    let html = render(shown(true));
    let start = html.find("data-code=\"households-reached\"").unwrap();
    let card = &html[start..start + html[start..].find("</li>").unwrap()];
    // K3 holds 2 households: "<5", and the other quarters are hidden.
    assert!(card.contains("&#60;5"), "{card}");
    assert_eq!(card.matches("class=\"bar\"").count(), 0, "{card}");
    assert!(html.contains("Publiek rapport"), "{html}");
}

#[component]
fn ActivitiesHarness() -> Element {
    let mut editing = use_signal(|| None::<Activity>);
    let mut saved = use_signal(|| None::<Activity>);
    rsx! {
        ActivitiesScreen {
            lang: Lang::Nl,
            activities: Some(Vec::new()),
            actions: vec![("nederlands-oefenen".into(), "Nederlands oefenen".into())],
            households: vec![
                (Uuid::from_u128(1), "Familie Maes".into()),
                (Uuid::from_u128(2), "Familie Nowak".into()),
            ],
            reviewer: false,
            editing: editing(),
            error: None,
            today: day(9, 17),
            on_edit: move |a| editing.set(a),
            on_save: move |a| { saved.set(Some(a)); editing.set(None); },
            on_review: |_| {},
        }
        if let Some(a) = saved() {
            p { id: "saved", "saved {a.title} {a.action} {a.participants} {a.households.len()} {a.held_on}" }
        }
    }
}

#[test]
fn a_worker_records_a_collective_session_with_two_households() {
    dioxus::html::set_event_converter(Box::new(dioxus::html::SerializedHtmlEventConverter));
    let mut dom = VirtualDom::new(ActivitiesHarness);
    let muts = dom.rebuild_to_vec();
    let html = dioxus_ssr::render(&dom);
    assert!(html.contains("Nog geen activiteiten"), "{html}");
    let add = listeners(&muts, "click")[0];
    let editor = fire(&mut dom, "click", click_event(), add);
    let input = |id: &str| element(&editor, "id", |v| v == id);
    fire(
        &mut dom,
        "input",
        form_event("Praatcafé"),
        input("act-title"),
    );
    // The editor's first button is Save (then Cancel).
    let save = listeners(&editor, "click")[0];
    // Nothing saved while the action and more are missing.
    fire(&mut dom, "click", click_event(), save);
    let html = dioxus_ssr::render(&dom);
    assert!(html.contains("kies de actie van het plan"), "{html}");
    assert!(!html.contains("id=\"saved\""), "{html}");

    let changes = listeners(&editor, "change");
    // Kind, action, then the two household boxes.
    fire(
        &mut dom,
        "change",
        form_event("nederlands-oefenen"),
        changes[1],
    );
    fire(
        &mut dom,
        "input",
        form_event("Bibliotheek"),
        input("act-place"),
    );
    fire(
        &mut dom,
        "input",
        form_event("Bib Harelbeke"),
        input("act-organiser"),
    );
    fire(&mut dom, "input", form_event("12"), input("act-count"));
    // A ticked box's value reads as true.
    fire(&mut dom, "change", form_event("true"), changes[2]);
    fire(&mut dom, "change", form_event("true"), changes[3]);
    fire(&mut dom, "click", click_event(), save);
    let html = dioxus_ssr::render(&dom);
    assert!(
        html.contains("saved Praatcafé nederlands-oefenen 12 2 2025-09-17"),
        "{html}"
    );
}

#[test]
fn the_report_and_activity_screens_pass_the_axe_audit() {
    dioxus::html::set_event_converter(Box::new(dioxus::html::SerializedHtmlEventConverter));
    let mut found = Vec::new();
    for (name, html) in [
        ("report", render(shown(false))),
        ("report-public", render(shown(true))),
    ] {
        for v in common::axe_violations(name, "nl-BE", &html) {
            found.push(format!("{name}: {v}"));
        }
    }
    let mut dom = VirtualDom::new(ActivitiesHarness);
    let muts = dom.rebuild_to_vec();
    let list = dioxus_ssr::render(&dom);
    let add = listeners(&muts, "click")[0];
    fire(&mut dom, "click", click_event(), add);
    let editor = dioxus_ssr::render(&dom);
    for (name, html) in [("activities", list), ("activity-editor", editor)] {
        for v in common::axe_violations(name, "nl-BE", &html) {
            found.push(format!("{name}: {v}"));
        }
    }
    assert!(found.is_empty(), "axe found:\n{}", found.join("\n"));
}
