//! Reports on the multi-year plan, end to end: a generated caseload whose
//! figures are known ([`brug_tests::truth`]) synced through the real
//! server by two teams' devices, with a case edited on two devices offline,
//! records edited and removed after the period and a collective session;
//! every figure of the report equals the truth, per quarter and per team,
//! from the server's projection and through the app's route. The Excel
//! workbook reads back with its sheets, headers, values, formats and a
//! chart per indicator. The policy lead's device holds no case and its
//! report holds no name, id or typed text; a public report hides small
//! numbers.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they set up

use std::collections::BTreeSet;
use std::io::{Cursor, Read};

use brug_device::device::report_path;
use brug_device::index::CaseQuery;
use brug_device::net::{self, NetError};
use brug_shared::model::{Activity, ActivityKind, Record, RecordKind, Review};
use brug_shared::protocol::team::{TeamDocReply, TeamDocSync};
use brug_shared::report::{Breakdown, Cell, Plan, Query, Report};
use brug_shared::teamdoc::ActivitiesDoc;
use brug_sync_server::auth::Role;
use brug_sync_server::{admin, reports};
use brug_tests::caseload::Rng;
use brug_tests::truth::{self, Made, Noted, Truth};
use brug_tests::wire::{TestDevice, TestServer};
use brug_tests::{Stack, Team};
use calamine::{Data, DataType, Reader};
use chrono::NaiveDate;
use uuid::Uuid;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn year_2025(team: Option<&str>, by: Breakdown) -> Query {
    Query {
        from: day(2025, 1, 1),
        to: day(2025, 12, 31),
        team: team.map(str::to_owned),
        by,
        public: false,
    }
}

/// Writes `record` into `case` on `device` (offline) and notes it.
fn write(
    device: &mut TestDevice,
    truth: &mut Truth,
    team: &str,
    case: Uuid,
    (record, made): (Record, Made),
) -> Uuid {
    let day = record_day(&record);
    let mut id = None;
    device.edit(case, |doc| {
        id = Some(doc.add_record(&record, "added").unwrap())
    });
    let id = id.unwrap();
    truth.records.insert(
        id,
        Noted {
            team: team.into(),
            case: Some(case),
            day,
            made,
        },
    );
    id
}

fn record_day(record: &Record) -> NaiveDate {
    match record {
        Record::Visit(v) => v.start.date(),
        Record::MeterCheck(c) => c.checked_on,
        Record::Referral(r) => r.referred_on,
        Record::Renovation(r) => r.advised_on,
        other => panic!("not generated: {other:?}"),
    }
}

/// A team's caseload: `cases` households, each with a few of every kind
/// of record on days across 2025 (and some in early 2026).
async fn caseload(
    device: &mut TestDevice,
    truth: &mut Truth,
    rng: &mut Rng,
    team: &str,
    cases: usize,
) -> Vec<Uuid> {
    let mut ids = Vec::new();
    for n in 0..cases {
        let case = device.create_case();
        for _ in 0..2 + rng.below(3) {
            let d = truth::some_day(rng);
            write(device, truth, team, case, truth::visit(rng, d));
        }
        for _ in 0..rng.below(3) {
            let d = truth::some_day(rng);
            write(device, truth, team, case, truth::check(rng, d));
        }
        for _ in 0..1 + rng.below(3) {
            let d = truth::some_day(rng);
            write(device, truth, team, case, truth::referral(rng, d));
        }
        // Every third household: renovation advice, unfit and later conform.
        if n % 3 == 0 {
            let first = day(2025, 2, 3 + n as u32);
            write(device, truth, team, case, truth::renovation(first, false));
            let later = day(2025, 5 + (n as u32 % 6), 10);
            write(device, truth, team, case, truth::renovation(later, true));
        }
        ids.push(case);
    }
    device.sync().await.unwrap();
    ids
}

/// Compares every figure of `report` (one team, by quarter of 2025) with
/// the truth.
fn assert_equals_truth(report: &Report, truth: &Truth, team: &str) {
    let (from, to) = (report.query.from, report.query.to);
    let mut checked = 0;
    for (_, _, ind) in report.indicators() {
        assert_eq!(
            ind.total,
            Cell::Value(truth.expected(team, &ind.code, None, from, to)),
            "team {team}, {} over the year",
            ind.code
        );
        for (column, cell) in report.columns.iter().zip(&ind.cells) {
            assert_eq!(
                *cell,
                Cell::Value(truth.expected(team, &ind.code, Some(column), from, to)),
                "team {team}, {} in {column}",
                ind.code
            );
            checked += 1;
        }
    }
    assert_eq!(
        report.columns,
        vec!["2025 K1", "2025 K2", "2025 K3", "2025 K4"]
    );
    assert!(checked > 100, "{checked} figures compared");
}

/// The report for `query` through the app's route, as `device`'s user.
async fn fetch(device: &TestDevice, query: &Query) -> Result<Report, NetError> {
    let bytes = net::get(
        &device.endpoint,
        &device.token,
        &report_path("/v1/report", query),
        1 << 24,
    )
    .await?;
    Ok(serde_json::from_slice(&bytes).unwrap())
}

async fn post_activity(device: &TestDevice, activity: &Activity) -> Result<TeamDocReply, NetError> {
    let mut doc = ActivitiesDoc::seed();
    let seed = doc.heads();
    doc.put(activity, &device.user, 1).unwrap();
    let req = TeamDocSync {
        known: vec![],
        changes: Some(hex::encode(doc.changes_after(&seed))),
    };
    net::team_request(&device.endpoint, &device.token, "/v1/team/activities", &req).await
}

brug_tests::on_both_backends!(every_figure_of_the_report_equals_the_truth_per_quarter_and_per_team);

async fn every_figure_of_the_report_equals_the_truth_per_quarter_and_per_team(server: TestServer) {
    let ann = server.add_user("Ann Peeters", Role::BridgeWorker);
    let bert = server.add_user("Bert Claeys", Role::HousingAdviser);
    let sofie = server.add_user("Sofie Vandenberghe", Role::Supervisor);
    let kim = server.add_user_in("Kim Desmet", Role::BridgeWorker, "kuurne");
    let mut worker = server.device(&ann).await;
    let mut adviser = server.device(&bert).await;
    let mut supervisor = server.device(&sofie).await;
    let mut other_team = server.device(&kim).await;
    let mut truth = Truth::default();
    let mut rng = Rng::new(2025);

    let ours = caseload(&mut worker, &mut truth, &mut rng, "harelbeke", 9).await;
    caseload(&mut other_team, &mut truth, &mut rng, "kuurne", 7).await;

    // Two devices on one case, offline at once: both records count.
    server.assign(ours[0], &bert, true);
    adviser.sync().await.unwrap();
    let d = day(2025, 11, 20);
    write(
        &mut worker,
        &mut truth,
        "harelbeke",
        ours[0],
        truth::visit(&mut rng, d),
    );
    let (record, made) = truth::check(&mut rng, d);
    write(
        &mut adviser,
        &mut truth,
        "harelbeke",
        ours[0],
        (record, made),
    );
    adviser.sync().await.unwrap();
    worker.sync().await.unwrap();

    // After the period: a visit of 2025 turns out not to have taken place,
    // a referral's day was wrong (it belongs in 2026), and the supervisor
    // removes a referral made by mistake.
    let (visit_id, visit_case) = truth
        .records
        .iter()
        .find(|(_, n)| {
            n.team == "harelbeke"
                && n.day.format("%Y").to_string() == "2025"
                && matches!(n.made, Made::Visit { done: true, .. })
        })
        .map(|(id, n)| (*id, n.case.unwrap()))
        .unwrap();
    worker.edit(visit_case, |doc| {
        let Some(Record::Visit(mut v)) = doc.record(RecordKind::Visit, visit_id).unwrap() else {
            panic!("the visit is there")
        };
        v.outcome = brug_shared::model::VisitOutcome::NotAtHome;
        v.help_requests.clear();
        v.no_help_request = true;
        doc.update_record(visit_id, &Record::Visit(v), "niet thuis")
            .unwrap();
    });
    if let Some(n) = truth.records.get_mut(&visit_id) {
        n.made = Made::Visit {
            done: false,
            helps: 0,
        };
    }
    let mut referrals = truth
        .records
        .iter()
        .filter(|(_, n)| n.team == "harelbeke" && matches!(n.made, Made::Referral { .. }))
        .map(|(id, n)| (*id, n.case.unwrap()));
    let (moved, moved_case) = referrals.next().unwrap();
    let (removed, removed_case) = referrals.next().unwrap();
    worker.edit(moved_case, |doc| {
        let Some(Record::Referral(mut r)) = doc.record(RecordKind::Referral, moved).unwrap() else {
            panic!("the referral is there")
        };
        r.referred_on = day(2026, 2, 2);
        doc.update_record(moved, &Record::Referral(r), "datum verbeterd")
            .unwrap();
    });
    truth.records.get_mut(&moved).unwrap().day = day(2026, 2, 2);
    worker.sync().await.unwrap();
    supervisor.sync().await.unwrap();
    supervisor.edit(removed_case, |doc| {
        doc.remove_record(RecordKind::Referral, removed, "vergissing")
            .unwrap();
    });
    truth.records.remove(&removed);
    supervisor.sync().await.unwrap();

    // A collective session: 12 took part, 3 of them households with a case
    // (one of which also had a visit that took place that quarter).
    let reached_case = truth
        .records
        .values()
        .find(|n| {
            n.team == "harelbeke"
                && truth::quarter(n.day) == "2025 K3"
                && matches!(n.made, Made::Visit { done: true, .. })
        })
        .and_then(|n| n.case)
        .unwrap();
    let mut three: Vec<Uuid> = vec![reached_case];
    three.extend(ours.iter().copied().filter(|c| *c != reached_case).take(2));
    let session_day = day(2025, 9, 17);
    let activity = Activity {
        id: Uuid::now_v7(),
        held_on: session_day,
        kind: ActivityKind::GroupSession,
        action: "nederlands-oefenen".into(),
        title: "Praatcafé Nederlands".into(),
        place: "Bibliotheek Harelbeke".into(),
        organiser: "Bibliotheek".into(),
        participants: 12,
        households: three.clone(),
        recorded_by: ann.clone(),
        review: Review::default(),
    };
    post_activity(&worker, &activity).await.unwrap();
    truth.records.insert(
        activity.id,
        Noted {
            team: "harelbeke".into(),
            case: None,
            day: session_day,
            made: Made::Activity {
                action: "nederlands-oefenen".into(),
                participants: 12,
            },
        },
    );
    for h in &three {
        truth.records.insert(
            Uuid::now_v7(),
            Noted {
                team: "harelbeke".into(),
                case: Some(*h),
                day: session_day,
                made: Made::AtActivity,
            },
        );
    }

    // Every figure, per quarter, per team, from the projection.
    let plan = Plan::builtin();
    for team in ["harelbeke", "kuurne"] {
        let report = server.on_store(|s| {
            s.report(&plan, &year_2025(Some(team), Breakdown::Quarter))
                .unwrap()
        });
        assert_equals_truth(&report, &truth, team);
    }
    // The session counted as the plan says: one session, 12 participants,
    // its three households reached once each.
    let report = server.on_store(|s| {
        s.report(&plan, &year_2025(Some("harelbeke"), Breakdown::Quarter))
            .unwrap()
    });
    let q3 = 2;
    assert_eq!(
        report.indicator("dutch-participants").unwrap().cells[q3],
        Cell::Value(12)
    );
    assert_eq!(
        report.indicator("dutch-sessions").unwrap().total,
        Cell::Value(1)
    );
    let visited_in_q3: BTreeSet<Uuid> = truth
        .records
        .values()
        .filter(|n| {
            n.team == "harelbeke"
                && truth::quarter(n.day) == "2025 K3"
                && matches!(n.made, Made::Visit { done: true, .. })
        })
        .filter_map(|n| n.case)
        .collect();
    assert!(visited_in_q3.contains(&reached_case));
    let new_at_session = three.iter().filter(|c| !visited_in_q3.contains(c)).count();
    assert_eq!(
        report.indicator("households-reached").unwrap().cells[q3],
        Cell::Value((visited_in_q3.len() + new_at_session) as i64),
        "each household once, the one also visited not twice"
    );

    // Through the app's route, the supervisor gets the same figures;
    // a worker gets none.
    let query = year_2025(None, Breakdown::Quarter);
    let routed = fetch(&supervisor, &query).await.unwrap();
    assert_eq!(routed.query.team.as_deref(), Some("harelbeke"));
    assert_equals_truth(&routed, &truth, "harelbeke");
    let refused = fetch(&worker, &query).await.unwrap_err();
    assert!(
        matches!(refused, NetError::Refused { status: 403, .. }),
        "{refused:?}"
    );
    // Another team's figures are not the supervisor's to see.
    let foreign = Query {
        team: Some("kuurne".into()),
        ..query
    };
    let refused = fetch(&supervisor, &foreign).await.unwrap_err();
    assert!(
        matches!(refused, NetError::Refused { status: 403, .. }),
        "{refused:?}"
    );
}

#[tokio::test]
async fn the_policy_leads_device_holds_no_case_and_its_report_no_name_id_or_typed_text() {
    let stack = Stack::start().await;
    let Team { mut worker, .. } = stack.team().await;
    let mut household = brug_shared::model::examples::household();
    household.name = "Familie Zwartkruis".into();
    household.notes = "Vader werkt in ploegen.".into();
    let (case, _) = worker.device.create_case(&household).unwrap();
    let Record::Visit(mut visit) = brug_shared::model::examples::example(RecordKind::Visit) else {
        unreachable!()
    };
    visit.start = day(2025, 3, 4).and_hms_opt(10, 0, 0).unwrap();
    visit.planned_at = None;
    visit.next_appointment = None;
    visit.end = None;
    visit.notes = "Gesprek over de gasmeter.".into();
    let (visit_id, _) = worker
        .device
        .add_record(
            case,
            RecordKind::Visit,
            serde_json::to_value(&visit).unwrap(),
        )
        .unwrap();
    worker.device.sync(&mut |_| {}).await.unwrap();

    let head = admin::add_user(
        &stack.db().lock(),
        "Hilde Beleid",
        Role::Policy,
        "harelbeke",
        admin::Actor::Admin,
    )
    .unwrap()
    .id;
    let mut policy = stack.enrol(&head).await;
    // A sync brings it nothing (no case, no team records) and is a
    // check-in: the lease is renewed like any device's.
    assert!(policy.device.status().unwrap().last_sync.is_none());
    policy.device.sync(&mut |_| {}).await.unwrap();
    assert!(policy.device.status().unwrap().last_sync.is_some());
    assert!(
        policy
            .device
            .list(&CaseQuery::default())
            .unwrap()
            .is_empty()
    );
    // A case cannot be given to the policy lead either.
    assert!(
        admin::set_assignment(&stack.db().lock(), case, &head, true, admin::Actor::Admin).is_err()
    );

    let link = policy.device.team_link().unwrap();
    let query = Query {
        from: day(2025, 1, 1),
        to: day(2025, 12, 31),
        team: None,
        by: Breakdown::Postcode,
        public: false,
    };
    let report = link.report(&query).await.unwrap();
    assert!(
        report.query.public,
        "the policy lead always gets the public view"
    );
    assert_eq!(
        report.indicator("visits-done").unwrap().total,
        Cell::Small,
        "one visit shows as <5"
    );
    let json = serde_json::to_string(&report).unwrap();
    let xlsx = link.report_xlsx(&query).await.unwrap();
    let mut sheets_text = String::new();
    let mut zip = zip::ZipArchive::new(Cursor::new(&xlsx)).unwrap();
    for i in 0..zip.len() {
        zip.by_index(i)
            .unwrap()
            .read_to_string(&mut sheets_text)
            .unwrap();
    }
    for secret in [
        case.to_string(),
        visit_id.to_string(),
        "Zwartkruis".into(),
        "ploegen".into(),
        "gasmeter".into(),
        household.address.street.clone(),
        worker.device.info().user.clone(),
    ] {
        assert!(!json.contains(&secret), "report JSON holds {secret}");
        assert!(!sheets_text.contains(&secret), "workbook holds {secret}");
    }
    // Kept for offline reading.
    policy.device.keep_report(&report).unwrap();
    assert_eq!(policy.device.last_report().unwrap().unwrap().0, report);
}

brug_tests::on_both_backends!(
    the_workbook_reads_back_with_sheets_headers_values_formats_and_a_chart_per_indicator
);

async fn the_workbook_reads_back_with_sheets_headers_values_formats_and_a_chart_per_indicator(
    server: TestServer,
) {
    let ann = server.add_user("Ann Peeters", Role::BridgeWorker);
    let mut worker = server.device(&ann).await;
    let mut truth = Truth::default();
    let mut rng = Rng::new(7);
    caseload(&mut worker, &mut truth, &mut rng, "harelbeke", 6).await;
    let plan = Plan::builtin();
    let report = server.on_store(|s| {
        s.report(&plan, &year_2025(Some("harelbeke"), Breakdown::Quarter))
            .unwrap()
    });
    let bytes = reports::xlsx(&report).unwrap();

    let mut book = calamine::Xlsx::new(Cursor::new(bytes.clone())).unwrap();
    let names = book.sheet_names();
    assert_eq!(
        names.len(),
        plan.sdgs.len() + plan.actions.len(),
        "{names:?}"
    );
    assert_eq!(names[0], "SDG 1 Geen armoede");
    let energy = names
        .iter()
        .find(|n| n.starts_with("1 Energiearmoede"))
        .unwrap()
        .clone();
    let sheet = book.worksheet_range(&energy).unwrap();
    // Period and plan version on the sheet; the period as real dates.
    assert_eq!(
        sheet.get_value((1, 0)),
        Some(&Data::String("Periode van".into()))
    );
    assert!(sheet.get_value((1, 1)).unwrap().is_datetime());
    assert_eq!(
        sheet.get_value((2, 1)),
        Some(&Data::String(report.plan.clone()))
    );
    // Dutch headers, then one row per indicator with its figures.
    let header: Vec<String> = (0..7)
        .map(|c| {
            sheet
                .get_value((6, c))
                .map(|d| d.to_string())
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(
        header,
        [
            "Indicator",
            "Eenheid",
            "Totaal",
            "2025 K1",
            "2025 K2",
            "2025 K3",
            "2025 K4"
        ]
    );
    let action = plan.action("energiearmoede").unwrap();
    for (n, ind) in action.indicators.iter().enumerate() {
        let row = 7 + n as u32;
        assert_eq!(
            sheet.get_value((row, 0)),
            Some(&Data::String(ind.nl.clone()))
        );
        let expected = truth.expected(
            "harelbeke",
            &ind.code,
            None,
            day(2025, 1, 1),
            day(2025, 12, 31),
        );
        let shown = sheet.get_value((row, 2)).and_then(|d| d.as_f64()).unwrap();
        let expected = if ind.measure == brug_shared::report::Measure::Euro {
            expected as f64 / 100.0
        } else {
            expected as f64
        };
        assert!(
            (shown - expected).abs() < 1e-9,
            "{}: {shown} ≠ {expected}",
            ind.code
        );
    }

    // Formats and charts, from the file itself.
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut styles = String::new();
    zip.by_name("xl/styles.xml")
        .unwrap()
        .read_to_string(&mut styles)
        .unwrap();
    assert!(styles.contains("[$€-813] #,##0.00"), "euro in nl-BE");
    assert!(styles.contains("[$-813]#,##0"), "counts in nl-BE");
    assert!(styles.contains("dd/mm/yyyy"), "Belgian dates");
    let charts = (0..zip.len())
        .filter(|i| {
            zip.by_index(*i)
                .unwrap()
                .name()
                .is_ok_and(|n| n.starts_with("xl/charts/chart"))
        })
        .count();
    let indicators: usize = plan.actions.iter().map(|a| a.indicators.len()).sum();
    assert_eq!(charts, indicators, "one native chart per indicator");
    let mut chart = String::new();
    zip.by_name("xl/charts/chart1.xml")
        .unwrap()
        .read_to_string(&mut chart)
        .unwrap();
    assert!(chart.contains("<c:lineChart>"), "a line over the quarters");
}

brug_tests::on_both_backends!(
    a_public_report_by_postcode_shows_under_five_and_no_total_that_reveals_it
);

async fn a_public_report_by_postcode_shows_under_five_and_no_total_that_reveals_it(
    server: TestServer,
) {
    let ann = server.add_user("Ann Peeters", Role::BridgeWorker);
    let sofie = server.add_user("Sofie Vandenberghe", Role::Supervisor);
    let mut worker = server.device(&ann).await;
    let supervisor = server.device(&sofie).await;
    let mut truth = Truth::default();
    let mut rng = Rng::new(3);
    // Seven households in 8530, three in 8531, each visited once in 2025.
    for (postcode, n) in [("8530", 7), ("8531", 3)] {
        for _ in 0..n {
            let mut h = brug_shared::model::examples::household();
            h.address.postcode = brug_shared::rules::types::Postcode::parse(postcode).unwrap();
            let mut doc =
                brug_shared::casedoc::CaseDoc::create(Uuid::now_v7(), &h, &worker.editor())
                    .unwrap();
            worker.store.put(&mut doc, true);
            let (mut record, made) = truth::visit(&mut rng, day(2025, 4, 2));
            if let Record::Visit(v) = &mut record {
                v.outcome = brug_shared::model::VisitOutcome::Done;
            }
            let _ = made;
            write(
                &mut worker,
                &mut truth,
                "harelbeke",
                doc.id(),
                (
                    record,
                    Made::Visit {
                        done: true,
                        helps: 0,
                    },
                ),
            );
        }
    }
    worker.sync().await.unwrap();
    let query = Query {
        by: Breakdown::Postcode,
        public: true,
        ..year_2025(None, Breakdown::Postcode)
    };
    let report = fetch(&supervisor, &query).await.unwrap();
    assert_eq!(report.columns, vec!["8530", "8531"]);
    let reached = report.indicator("households-reached").unwrap();
    assert_eq!(reached.cells[1], Cell::Small, "3 households show as <5");
    assert_eq!(reached.total, Cell::Value(10));
    assert_eq!(
        reached.cells[0],
        Cell::Hidden,
        "10 − 7 would give the 3 away"
    );
    // A period that does not read is refused and nothing is counted.
    let bad = net::get(
        &supervisor.endpoint,
        &supervisor.token,
        "/v1/report?from=gisteren&to=2025-12-31",
        1 << 24,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(bad, NetError::Refused { status: 400, .. }),
        "{bad:?}"
    );
    // The same report, not public, for the supervisor's own use.
    let open = Query {
        public: false,
        ..query
    };
    let report = fetch(&supervisor, &open).await.unwrap();
    let reached = report.indicator("households-reached").unwrap();
    assert_eq!(reached.cells, vec![Cell::Value(7), Cell::Value(3)]);
}

brug_tests::on_both_backends!(
    a_session_counts_households_of_its_team_only_and_one_made_offline_once_it_arrives
);

async fn a_session_counts_households_of_its_team_only_and_one_made_offline_once_it_arrives(
    server: TestServer,
) {
    let ann = server.add_user("Ann Peeters", Role::BridgeWorker);
    let kim = server.add_user_in("Kim Desmet", Role::BridgeWorker, "kuurne");
    let mut worker = server.device(&ann).await;
    let mut other_team = server.device(&kim).await;
    let theirs = other_team.create_case();
    other_team.sync().await.unwrap();
    // A household Ann took on offline: its case is not on the server yet
    // when her device sends the session (team documents go first).
    let new_here = worker.create_case();
    let session = |households: Vec<Uuid>| Activity {
        id: Uuid::now_v7(),
        held_on: day(2025, 10, 8),
        kind: ActivityKind::InformationMoment,
        action: "nederlands-oefenen".into(),
        title: "Infomoment".into(),
        place: "OC De Vonk".into(),
        organiser: "Huis van Welzijn".into(),
        participants: 8,
        households,
        recorded_by: ann.clone(),
        review: Review::default(),
    };
    let reached = |server: &TestServer| {
        let report = server.on_store(|s| {
            s.report(
                &Plan::builtin(),
                &year_2025(Some("harelbeke"), Breakdown::None),
            )
            .unwrap()
        });
        (
            report.indicator("households-reached").unwrap().total,
            report.indicator("dutch-participants").unwrap().total,
        )
    };

    // A case of another team: refused whole, nothing counted or stored.
    let refused = post_activity(&worker, &session(vec![theirs]))
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, NetError::Refused { status: 422, message, .. } if message.contains("geen dossier van uw team")),
        "{refused:?}"
    );
    assert_eq!(reached(&server), (Cell::Value(0), Cell::Value(0)));

    // The household made offline: the session counts at once, the
    // household when its case arrives in the team.
    post_activity(&worker, &session(vec![new_here]))
        .await
        .unwrap();
    assert_eq!(reached(&server), (Cell::Value(0), Cell::Value(8)));
    worker.sync().await.unwrap();
    assert_eq!(reached(&server), (Cell::Value(1), Cell::Value(8)));
}
