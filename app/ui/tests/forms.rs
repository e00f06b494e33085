//! The forms, review and conflict screens driven like a worker and a
//! supervisor drive them (a VirtualDom with typed input, choices and
//! clicks), asserting on what they then read and whether saving happens.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they set up

mod common;

use common::{click_event, element, fire, form_event, listeners, text_writes};

use std::collections::BTreeMap;

use brug_app::components::{Choice, ConflictScreen, Decision, ReviewScreen};
use brug_app::forms::{FormKind, RecordForm};
use brug_app::i18n::Lang;
use brug_device::shared::casedoc::{CaseDoc, Editor, ReviewAction, Target};
use brug_device::shared::model::{Case, Record, RecordKind, examples};
use chrono::NaiveDate;
use dioxus::core::Mutations;
use dioxus::prelude::*;
use serde_json::{Value, json};
use uuid::Uuid;

fn now() -> chrono::NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 11, 26)
        .unwrap()
        .and_hms_opt(10, 0, 0)
        .unwrap()
}

fn editor(user: &str) -> Editor {
    Editor {
        user: user.into(),
        device: Uuid::now_v7(),
    }
}

fn start(app: VirtualDom) -> (VirtualDom, Mutations) {
    dioxus::html::set_event_converter(Box::new(dioxus::html::SerializedHtmlEventConverter));
    let mut dom = app;
    let muts = dom.rebuild_to_vec();
    (dom, muts)
}

/// A form whose saves are counted and shown, and its last draft shown.
#[component]
fn FormHarness(kind: RecordKind, case: Case, start: Value) -> Element {
    let mut saved = use_signal(|| 0u32);
    let mut draft = use_signal(|| None::<Value>);
    rsx! {
        RecordForm {
            lang: Lang::Nl,
            kind: FormKind::Record(kind),
            case: Some(case),
            record_id: Uuid::now_v7(),
            start,
            restored: false,
            now: now(),
            error: None,
            on_save: move |_| *saved.write() += 1,
            on_change: move |v| draft.set(Some(v)),
            on_cancel: |_| {},
            on_discard: |_| {},
        }
        p { "saves:{saved}" }
        if let Some(d) = draft() {
            pre { class: "draft", "{d}" }
        }
    }
}

fn case_with(records: Vec<(Uuid, Record)>) -> Case {
    let mut doc = CaseDoc::create(Uuid::now_v7(), &examples::household(), &editor("ann")).unwrap();
    for (id, r) in records {
        doc.insert_record(id, &r, "added").unwrap();
    }
    doc.case().unwrap()
}

#[test]
fn the_meter_check_form_shows_the_ean_error_and_the_daily_use_warning_and_refuses_to_save() {
    // Last month's check read 10234,5 kWh (day) on 12/10; this one reads
    // 41 days later with 40 kWh a day more: high, not impossible.
    let previous = examples::example(RecordKind::MeterCheck);
    let case = case_with(vec![(Uuid::now_v7(), previous)]);
    let mut new = examples::example(RecordKind::MeterCheck).to_json();
    new["checked_on"] = json!("2026-11-22");
    new["ean"] = json!("541448820000123450"); // last digit wrong (5 expected)
    new["readings"] = json!({ Uuid::now_v7().to_string(): {
        "read_at": "2026-11-22", "source": "display",
        "registers": {"1.8.1": 11874.5, "1.8.2": 8123.0, "2.8.1": 0.0, "2.8.2": 0.0},
        "override_reason": null, "deviation_reason": null
    }});
    let (mut dom, muts) = start(VirtualDom::new_with_props(
        FormHarness,
        FormHarnessProps {
            kind: RecordKind::MeterCheck,
            case,
            start: new,
        },
    ));
    let html = dioxus_ssr::render(&dom);
    assert!(html.contains("data-code=\"ean.check-digit\""), "{html}");
    assert!(
        html.contains("verwacht: 5"),
        "the error names the right digit"
    );
    assert!(html.contains("disabled"), "save is disabled");

    // Saving anyway (Enter in a field) does nothing.
    let submit = listeners(&muts, "submit")[0];
    fire(&mut dom, "submit", form_event(""), submit);
    assert!(dioxus_ssr::render(&dom).contains("saves:0"));

    // The worker types the right EAN: the error goes, the warning stays,
    // and the record saves.
    let ean_input = element(&muts, "id", |v| v == "f-ean");
    fire(
        &mut dom,
        "input",
        form_event("541448820000123455"),
        ean_input,
    );
    let html = dioxus_ssr::render(&dom);
    assert!(!html.contains("ean.check-digit"), "{html}");
    // Now the reading is compared with last month's: 40 kWh a day is high.
    assert!(html.contains("per dag"), "{html}");
    assert!(html.contains("finding warning"));
    fire(&mut dom, "submit", form_event(""), submit);
    assert!(dioxus_ssr::render(&dom).contains("saves:1"));
}

#[test]
fn a_number_typed_with_a_decimal_comma_is_read_and_one_that_is_not_a_number_blocks() {
    let case = case_with(vec![]);
    let start = examples::example(RecordKind::EnergyScan).to_json();
    let (mut dom, muts) = start_form(RecordKind::EnergyScan, case, start);
    let temperature = element(&muts, "id", |v| v == "f-set_temperature");
    fire(&mut dom, "input", form_event("19,5"), temperature);
    let html = dioxus_ssr::render(&dom);
    // The draft holds the number (the field keeps "19,5" as typed).
    assert!(html.contains("&#34;set_temperature&#34;:19.5"), "{html}");
    assert!(!html.contains("Geen geldig getal"));
    fire(&mut dom, "input", form_event("negentien"), temperature);
    let html = dioxus_ssr::render(&dom);
    assert!(html.contains("Geen geldig getal"));
    assert!(html.contains("disabled"));
}

#[test]
fn typing_is_never_written_back_over_what_the_worker_types_next() {
    // A render answers a keystroke late (more so on a busy phone); if it
    // wrote the field's text back, the letters typed meanwhile were lost.
    // Keystroke by keystroke, and with another field changed in between,
    // no render writes into the field being typed.
    let case = case_with(vec![]);
    let mut start_value = examples::example(RecordKind::MeterCheck).to_json();
    start_value["ean"] = json!("");
    let (mut dom, muts) = start_form(RecordKind::MeterCheck, case, start_value);
    let ean = element(&muts, "id", |v| v == "f-ean");
    let date = element(&muts, "id", |v| v == "f-checked_on");
    let typed = "541448820000123455";
    for n in 1..=typed.len() {
        let after = fire(&mut dom, "input", form_event(&typed[..n]), ean);
        assert_eq!(
            text_writes(&after, ean),
            Vec::<String>::new(),
            "after {n} keys"
        );
        if n == 9 {
            let after = fire(&mut dom, "input", form_event("22/11/2026"), date);
            assert_eq!(text_writes(&after, ean), Vec::<String>::new());
        }
    }
    // What was typed is what the form holds.
    let html = dioxus_ssr::render(&dom);
    assert!(
        html.contains("&#34;ean&#34;:&#34;541448820000123455&#34;"),
        "{html}"
    );
    assert!(
        html.contains("&#34;checked_on&#34;:&#34;2026-11-22&#34;"),
        "{html}"
    );
}

fn start_form(kind: RecordKind, case: Case, start_value: Value) -> (VirtualDom, Mutations) {
    start(VirtualDom::new_with_props(
        FormHarness,
        FormHarnessProps {
            kind,
            case,
            start: start_value,
        },
    ))
}

#[test]
fn the_housing_verdict_updates_as_defects_are_added() {
    let case = case_with(vec![]);
    let mut advice = examples::example(RecordKind::Renovation).to_json();
    advice["defects"] = json!({});
    let (mut dom, muts) = start_form(RecordKind::Renovation, case, advice);
    let html = dioxus_ssr::render(&dom);
    assert!(html.contains("indicatief conform"), "{html}");

    let add_defect = element(&muts, "data-group", |v| v == "defects");
    let added = fire(&mut dom, "click", click_event(), add_defect);
    let html = dioxus_ssr::render(&dom);
    assert!(
        html.contains("data-path=\"defects/"),
        "a defect to fill in appeared"
    );
    // A new defect is category I until the adviser says otherwise.
    assert!(html.contains("indicatief conform"), "{html}");

    let category = element(&added, "id", |v| {
        v.starts_with("f-defects-") && v.ends_with("-category")
    });
    fire(&mut dom, "change", form_event("III"), category);
    let description = element(&added, "id", |v| {
        v.starts_with("f-defects-") && v.ends_with("-description")
    });
    fire(
        &mut dom,
        "input",
        form_event("Elektrische leiding bloot in de badkamer."),
        description,
    );
    let html = dioxus_ssr::render(&dom);
    assert!(!html.contains("indicatief conform"), "{html}");
    assert!(
        html.contains("indicatief onbewoonbaar") || html.contains("indicatief ongeschikt"),
        "{html}"
    );
    assert!(html.contains("saves:0"));
}

#[test]
fn the_review_screen_shows_what_changed_since_the_approval_and_a_return_needs_a_comment() {
    let mut doc = CaseDoc::create(Uuid::now_v7(), &examples::household(), &editor("ann")).unwrap();
    let id = Uuid::now_v7();
    doc.insert_record(id, &examples::example(RecordKind::Visit), "visit")
        .unwrap();
    doc.review(RecordKind::Visit, id, ReviewAction::Submit, "ann", "")
        .unwrap();
    doc.review(RecordKind::Visit, id, ReviewAction::Approve, "sofie", "")
        .unwrap();
    doc.set_field(
        Target::Record(RecordKind::Visit, id),
        &"notes".into(),
        json!("Moeder vond intussen werk."),
    )
    .unwrap();
    let record = doc.record(RecordKind::Visit, id).unwrap().unwrap();
    let review = record.review().unwrap().clone();
    let changes = doc
        .changes_since(&review.approved_heads, RecordKind::Visit, id)
        .unwrap();
    assert!(!changes.is_empty());

    #[component]
    fn Harness(
        review: brug_device::shared::model::Review,
        changes: Vec<brug_device::shared::casedoc::FieldChange>,
    ) -> Element {
        let mut decided = use_signal(|| None::<Decision>);
        rsx! {
            ReviewScreen {
                lang: Lang::Nl,
                household: "Familie Vermeulen".to_string(),
                kind: RecordKind::Visit,
                summary: "05/10/2026 14:00".to_string(),
                review,
                changes,
                fields: vec![],
                on_decide: move |d| decided.set(Some(d)),
                on_back: |_| {},
            }
            p { "decided:{decided:?}" }
        }
    }
    let (mut dom, muts) = start(VirtualDom::new_with_props(
        Harness,
        HarnessProps { review, changes },
    ));
    let html = dioxus_ssr::render(&dom);
    common::assert_accessible("review", "nl-BE", &html);
    assert!(
        html.contains("Gewijzigd sinds de laatste goedkeuring"),
        "{html}"
    );
    assert!(
        html.contains("<td class=\"field\">Verslag</td>"),
        "the field by its label: {html}"
    );
    assert!(
        html.contains("Moeder vraagt hulp bij de energiefactuur."),
        "the value then"
    );
    assert!(html.contains("Moeder vond intussen werk."), "the value now");
    assert!(
        html.contains("ingediend"),
        "editing an approved record sends it back"
    );

    // Return without a comment: refused with a reason; with one: returned.
    let clicks = listeners(&muts, "click");
    let (approve_and_back, ret) = (&clicks[..clicks.len() - 1], clicks[clicks.len() - 1]);
    assert_eq!(approve_and_back.len(), 2);
    fire(&mut dom, "click", click_event(), ret);
    let html = dioxus_ssr::render(&dom);
    assert!(
        html.contains("Schrijf waarom") && html.contains("decided:None"),
        "{html}"
    );
    let comment = listeners(&muts, "input")[0];
    fire(
        &mut dom,
        "input",
        form_event("Wie was er aanwezig?"),
        comment,
    );
    fire(&mut dom, "click", click_event(), ret);
    assert!(dioxus_ssr::render(&dom).contains("Return(&#34;Wie was er aanwezig?&#34;)"));
}

#[test]
fn the_conflict_screen_shows_both_values_with_their_authors_and_keeps_the_chosen_one() {
    let mut ann = CaseDoc::create(
        Uuid::now_v7(),
        &examples::household(),
        &editor("ann.peeters"),
    )
    .unwrap();
    let mut bert = ann.fork();
    bert.set_editor(&editor("bert.claeys"));
    ann.set_field(Target::Household, &"phone".into(), json!("056 11 11 11"))
        .unwrap();
    bert.set_field(Target::Household, &"phone".into(), json!("0470 22 22 22"))
        .unwrap();
    ann.merge(&mut bert).unwrap();
    let conflicts = ann.conflicts();
    assert_eq!(conflicts.len(), 1);

    #[component]
    fn Harness(conflicts: Vec<brug_device::shared::casedoc::Conflict>) -> Element {
        let mut chosen = use_signal(|| None::<Choice>);
        rsx! {
            ConflictScreen {
                lang: Lang::Nl,
                household: "Familie Vermeulen".to_string(),
                conflicts,
                on_choose: move |c| chosen.set(Some(c)),
                on_back: |_| {},
            }
            p { "chosen:{chosen.read().as_ref().map(|c| c.value.to_string()).unwrap_or_default()}" }
        }
    }
    let (mut dom, muts) = start(VirtualDom::new_with_props(
        Harness,
        HarnessProps { conflicts },
    ));
    let html = dioxus_ssr::render(&dom);
    common::assert_accessible("conflicts", "nl-BE", &html);
    for needle in [
        "056 11 11 11",
        "0470 22 22 22",
        "ann.peeters",
        "bert.claeys",
        "Gezin: Telefoon",
    ] {
        assert!(html.contains(needle), "{needle}: {html}");
    }
    assert!(html.contains("geschreven door"));
    // Keep the second value shown.
    let keeps = listeners(&muts, "click");
    fire(&mut dom, "click", click_event(), keeps[2]);
    let html = dioxus_ssr::render(&dom);
    let second_shown = if html.find("056 11 11 11") < html.find("0470 22 22 22") {
        "0470 22 22 22"
    } else {
        "056 11 11 11"
    };
    assert!(
        html.contains(&format!("chosen:&#34;{second_shown}&#34;")),
        "{html}"
    );
}

#[test]
fn every_blank_form_can_be_completed_into_a_record_the_rules_read() {
    use brug_app::forms::{blank, evaluate};
    let ctx = brug_device::shared::rules::RuleContext::at(now());
    let case = case_with(vec![]);
    for kind in RecordKind::ALL {
        let v = blank(FormKind::Record(*kind), now());
        let e = evaluate(
            FormKind::Record(*kind),
            &v,
            &BTreeMap::new(),
            Some(&case),
            Uuid::now_v7(),
            &ctx,
        );
        assert!(e.invalid.is_none(), "{kind:?}: {e:?}");
    }
    let h = blank(FormKind::Household, now());
    let e = evaluate(
        FormKind::Household,
        &h,
        &BTreeMap::new(),
        None,
        Uuid::now_v7(),
        &ctx,
    );
    assert!(
        e.invalid.is_none() && e.missing.contains(&"name".to_string()),
        "{e:?}"
    );
}

#[test]
fn a_register_typed_and_cleared_again_leaves_no_empty_register_behind() {
    let case = case_with(vec![]);
    let start = examples::example(RecordKind::MeterCheck).to_json();
    let (mut dom, muts) = start_form(RecordKind::MeterCheck, case, start);
    let single = element(&muts, "id", |v| {
        v.starts_with("f-readings-") && v.ends_with("-registers-single")
    });
    fire(&mut dom, "input", form_event("123"), single);
    fire(&mut dom, "input", form_event(""), single);
    let html = dioxus_ssr::render(&dom);
    assert!(!html.contains("Nog niet volledig"), "{html}");
    let submit = listeners(&muts, "submit")[0];
    fire(&mut dom, "submit", form_event(""), submit);
    assert!(dioxus_ssr::render(&dom).contains("saves:1"));
}

#[test]
fn empty_required_fields_are_pointed_out_once_touched_or_after_trying_to_save() {
    let case = case_with(vec![]);
    let blank = brug_app::forms::blank(FormKind::Record(RecordKind::Member), now());
    let (mut dom, muts) = start_form(RecordKind::Member, case, blank);
    let html = dioxus_ssr::render(&dom);
    assert!(
        !html.contains("Verplicht in te vullen"),
        "a new form is not scolded: {html}"
    );
    assert!(html.contains("Vul eerst alle velden met een * in."));

    // Typing a first name and wiping it again: that field says so.
    let first = element(&muts, "id", |v| v == "f-first_name");
    fire(&mut dom, "input", form_event("An"), first);
    fire(&mut dom, "input", form_event(""), first);
    assert_eq!(
        dioxus_ssr::render(&dom)
            .matches("Verplicht in te vullen")
            .count(),
        1
    );

    // Trying to save: every empty required field says so, nothing is saved.
    let submit = listeners(&muts, "submit")[0];
    fire(&mut dom, "submit", form_event(""), submit);
    let html = dioxus_ssr::render(&dom);
    assert_eq!(html.matches("Verplicht in te vullen").count(), 2, "{html}");
    assert!(html.contains("saves:0"));
}

#[test]
fn the_history_shows_each_change_with_its_author_newest_first() {
    let mut ann = CaseDoc::create(
        Uuid::now_v7(),
        &examples::household(),
        &editor("ann.peeters"),
    )
    .unwrap();
    ann.set_field(Target::Household, &"phone".into(), json!("056 11 11 11"))
        .unwrap();
    let mut bert = ann.fork();
    bert.set_editor(&editor("bert.claeys"));
    bert.insert_record(
        Uuid::now_v7(),
        &examples::example(RecordKind::Renovation),
        "renovation added",
    )
    .unwrap();
    ann.merge(&mut bert).unwrap();
    let entries = ann.history(None);
    assert!(entries.len() >= 3);

    #[component]
    fn Harness(entries: Vec<brug_device::shared::casedoc::HistoryEntry>) -> Element {
        rsx! {
            brug_app::components::HistoryScreen { lang: Lang::Nl, household: "Familie Vermeulen".to_string(), entries, on_back: |_| {} }
        }
    }
    let mut dom = VirtualDom::new_with_props(Harness, HarnessProps { entries });
    dom.rebuild_in_place();
    let html = dioxus_ssr::render(&dom);
    common::assert_accessible("history", "nl-BE", &html);
    assert!(
        html.contains("Geschiedenis") && html.contains("gezin gewijzigd: Telefoon"),
        "{html}"
    );
    let renovation = html.find("woonadvies toegevoegd").unwrap();
    let phone = html.find("gezin gewijzigd: Telefoon").unwrap();
    assert!(renovation < phone, "newest first: {html}");
    assert!(html.contains("bert.claeys") && html.contains("ann.peeters"));
}

#[test]
fn dates_are_typed_and_shown_as_dd_mm_jjjj_and_an_impossible_date_blocks() {
    use brug_app::forms::{apply_text, blank, shown_text, spec};
    let kind = FormKind::Record(RecordKind::Visit);
    let form = spec(kind);
    let start = form.fields.iter().find(|f| f.path == "start").unwrap();
    let mut value = blank(kind, now());
    let mut raw = BTreeMap::new();
    apply_text(
        &form,
        &mut value,
        &mut raw,
        "start",
        start,
        "26/11/2026 9u30",
    );
    assert_eq!(
        value["start"],
        json!("2026-11-26T09:30:00"),
        "stored in ISO form"
    );
    raw.clear();
    assert_eq!(
        shown_text(start.input, &value, &raw, "start"),
        "26/11/2026 09:30"
    );

    let case = case_with(vec![]);
    let (mut dom, muts) = start_form(RecordKind::Visit, case, blank(kind, now()));
    let input = element(&muts, "id", |v| v == "f-start");
    fire(&mut dom, "input", form_event("31/02/2026 10:00"), input);
    let html = dioxus_ssr::render(&dom);
    assert!(html.contains("Geen geldige datum en uur"), "{html}");
    assert!(html.contains("disabled"));
    assert!(html.contains("placeholder=\"dd/mm/jjjj uu:mm\""));
}

#[test]
fn a_record_never_approved_is_shown_in_full_for_review() {
    use brug_app::forms::{FormKind, record_fields};
    use brug_device::shared::model::examples;
    let visit = examples::example(RecordKind::Visit).to_json();
    let fields = record_fields(
        FormKind::Record(RecordKind::Visit),
        &visit,
        Lang::Nl,
        brug_device::shared::model::Catalogue::builtin(),
    );
    let labels: Vec<&str> = fields.iter().map(|(l, _)| l.as_str()).collect();
    assert!(labels.contains(&"Verslag"), "{labels:?}");
    let notes = fields.iter().find(|(l, _)| l == "Verslag").unwrap();
    assert_eq!(notes.1, visit["notes"].as_str().unwrap());
    assert!(
        fields.iter().all(|(_, v)| !v.is_empty()),
        "only filled fields: {fields:?}"
    );

    #[component]
    fn Harness(fields: Vec<(String, String)>) -> Element {
        rsx! {
            ReviewScreen {
                lang: Lang::Nl,
                household: "Familie Vermeulen".to_string(),
                kind: RecordKind::Visit,
                summary: "05/10/2026 14:00".to_string(),
                review: brug_device::shared::model::Review::default(),
                changes: vec![],
                fields,
                on_decide: |_| {},
                on_back: |_| {},
            }
        }
    }
    let mut dom = VirtualDom::new_with_props(Harness, HarnessProps { fields });
    dom.rebuild_in_place();
    let html = dioxus_ssr::render(&dom);
    assert!(html.contains("Het record zoals het nu is"), "{html}");
    assert!(html.contains("<dt>Verslag</dt>"), "{html}");
    assert!(html.contains("Nog nooit goedgekeurd"), "{html}");
}

#[test]
fn a_referral_proposes_the_next_session_of_its_service_and_takes_it_with_one_tap() {
    let case = case_with(vec![]);
    let mut start_value = examples::example(RecordKind::Referral).to_json();
    start_value["service"] = json!("legal-aid");
    start_value["appointment"] = json!(null);
    let (mut dom, muts) = start_form(RecordKind::Referral, case, start_value);
    let html = dioxus_ssr::render(&dom);
    assert!(
        !html.contains("Volgende zitdag"),
        "by appointment: nothing to propose"
    );
    // The woonclub, on Thursday 26/11/2026 at 10:00: Wednesday 2 December.
    let service = element(&muts, "id", |v| v == "f-service");
    let changed = fire(&mut dom, "change", form_event("woonclub"), service);
    let html = dioxus_ssr::render(&dom);
    assert!(
        html.contains("Volgende zitdag: 02/12/2026 13:30 (Huis van Welzijn)"),
        "{html}"
    );
    let take = *listeners(&changed, "click")
        .last()
        .expect("the take button");
    fire(&mut dom, "click", click_event(), take);
    let html = dioxus_ssr::render(&dom);
    assert!(html.contains("value=\"02/12/2026 13:30\""), "{html}");
}

#[test]
fn the_review_shows_an_energy_check_with_its_override_and_the_reason() {
    use brug_app::forms::record_fields;
    use brug_device::shared::rules::{RuleContext, check_record};
    let reason = "EAN van de factuur overgenomen, Fluvius bevestigt het";
    let Record::MeterCheck(mut check) = examples::example(RecordKind::MeterCheck) else {
        unreachable!()
    };
    // One digit off: the check digit fails, the adviser overrides it.
    check.ean = "541448820000123456".into();
    check.ean_override_reason = Some(reason.into());
    let id = Uuid::now_v7();
    let record = Record::MeterCheck(check);
    let case = case_with(vec![(id, record.clone())]);
    let findings = check_record(&case, id, &record, None, &RuleContext::at(now()));
    let fields = record_fields(
        FormKind::Record(RecordKind::MeterCheck),
        &record.to_json(),
        Lang::Nl,
        brug_device::shared::model::Catalogue::builtin(),
    );

    #[component]
    fn Harness(
        fields: Vec<(String, String)>,
        findings: Vec<brug_device::shared::rules::Finding>,
    ) -> Element {
        rsx! {
            ReviewScreen {
                lang: Lang::Nl,
                household: "Familie Vermeulen".to_string(),
                kind: RecordKind::MeterCheck,
                summary: "12/10/2026".to_string(),
                review: brug_device::shared::model::Review::default(),
                changes: vec![],
                fields,
                findings,
                on_decide: |_| {},
                on_back: |_| {},
            }
        }
    }
    let mut dom = VirtualDom::new_with_props(Harness, HarnessProps { fields, findings });
    dom.rebuild_in_place();
    let html = dioxus_ssr::render(&dom);
    // The record in words: the EAN, the reason beside its label, the
    // readings the Belgian way.
    assert!(html.contains("541448820000123456"), "{html}");
    assert!(html.contains(&format!("<dd>{reason}</dd>")), "{html}");
    assert!(html.contains("10234,5"), "{html}");
    // And what the rules say: the override with its reason.
    assert!(html.contains("Wat de regels zeggen"), "{html}");
    assert!(
        html.contains(&format!("EAN-controle overschreven: {reason}")),
        "{html}"
    );
}

#[test]
fn every_record_form_passes_the_axe_audit_also_with_errors_shown() {
    let mut found = Vec::new();
    for kind in RecordKind::ALL.iter().copied() {
        let (dom, _) = start_form(kind, case_with(vec![]), examples::example(kind).to_json());
        let name = format!("form-{}", kind.code());
        for v in common::axe_violations(&name, "nl-BE", &dioxus_ssr::render(&dom)) {
            found.push(format!("{name}: {v}"));
        }
    }
    // A meter check with a wrong EAN: the error beside the field, the
    // field marked invalid, save disabled.
    let mut wrong = examples::example(RecordKind::MeterCheck).to_json();
    wrong["ean"] = json!("541448820000123450");
    let (dom, _) = start_form(RecordKind::MeterCheck, case_with(vec![]), wrong);
    let html = dioxus_ssr::render(&dom);
    assert!(html.contains("ean.check-digit"), "{html}");
    for v in common::axe_violations("form-errors", "nl-BE", &html) {
        found.push(format!("form-errors: {v}"));
    }
    assert!(found.is_empty(), "axe found:\n{}", found.join("\n"));
}

#[test]
fn a_visit_form_comes_in_short_sections_each_with_its_own_fields() {
    let visit = examples::example(RecordKind::Visit).to_json();
    let (dom, _) = start_form(RecordKind::Visit, case_with(vec![]), visit);
    let html = dioxus_ssr::render(&dom);
    // Each section's title and the fields under it, in the form's order.
    let sections: Vec<(&str, &[&str])> = vec![
        (
            "Het bezoek",
            &["Soort contact", "Plaats", "Verloop", "Aanwezig"],
        ),
        ("Wanneer", &["Begin", "Einde", "Gepland op"]),
        (
            "Veiligheid en opvolging",
            &["Veiligheidssignaal", "Volgende afspraak"],
        ),
        ("Verslag", &["Verslag"]),
    ];
    let mut from = 0;
    for (title, fields) in sections {
        let open = html[from..]
            .find(&format!(
                r#"<fieldset class="section"><legend>{title}</legend>"#
            ))
            .unwrap_or_else(|| panic!("no section {title} after byte {from}: {html}"))
            + from;
        let close = open + html[open..].find("</fieldset>").unwrap();
        let inside = &html[open..close];
        for field in fields {
            assert!(inside.contains(field), "{field} not in {title}: {inside}");
        }
        from = close;
    }
    // The help requests and actions follow, as their own groups.
    assert!(html[from..].contains("Hulpvragen") && html[from..].contains("Afspraken en acties"));
}
