//! GDPR erasure end to end (docs/gdpr.md): a new generation without the
//! erased data, on the server and on every device after its sync; offline
//! work carried over without bringing erased values back; only a supervisor
//! of the case's team may ask, and the audit log keeps the reason, never
//! the values.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they set up

use brug_shared::model::{RecordKind, examples};
use brug_shared::schema::FieldPath;
use brug_shared::store;
use brug_sync_server::erase::{self, EraseRequest};
use brug_tests::{Stack, Team, TestDevice};
use uuid::Uuid;

/// A valid national register number no other fixture uses.
const NATIONAL: &str = "85073003328";
const FIRST: &str = "Zoëtje";
const LAST: &str = "Vanderkwetsbaere";

/// Everything the server and the devices log in this test binary, at
/// debug level: an erased value must not be in it.
static LOGS: std::sync::Mutex<Vec<u8>> = std::sync::Mutex::new(Vec::new());

struct LogSink;

impl std::io::Write for LogSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOGS.lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("debug"))
            .with_writer(|| LogSink)
            .with_ansi(false)
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
    });
}

async fn sync(d: &mut TestDevice) -> brug_device::sync::Report {
    d.device.sync(&mut |_| {}).await.unwrap()
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// A case made by the worker with a member who has a name and a national
/// number, synced, and held by the supervisor too.
async fn case_with_member(team: &mut Team) -> (Uuid, Uuid) {
    let (case, _) = team
        .worker
        .device
        .create_case(&examples::household())
        .unwrap();
    let mut json = examples::example(RecordKind::Member).to_json();
    json["first_name"] = FIRST.into();
    json["last_name"] = LAST.into();
    json["national_number"] = NATIONAL.into();
    let (member, _) = team
        .worker
        .device
        .add_record(case, RecordKind::Member, json)
        .unwrap();
    sync(&mut team.worker).await;
    sync(&mut team.supervisor).await;
    (case, member)
}

/// Where on the server `value` still is: a file of the data folder (raw
/// bytes: the database, its log, anything beside them), a table's rows,
/// or a document's whole history read uncompressed.
fn server_places(stack: &Stack, value: &str) -> Vec<String> {
    let mut places = Vec::new();
    for entry in std::fs::read_dir(stack.data.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() && contains(&std::fs::read(&path).unwrap(), value) {
            places.push(path.display().to_string());
        }
    }
    match &stack.postgres {
        Some((pg, _)) => places.extend(postgres_places(pg, value)),
        None => places.extend(sqlite_places(&stack.db(), value)),
    }
    let ids = stack.on_store(|s| s.ids().unwrap());
    for id in ids {
        let mut doc = stack.on_store(|s| s.load(id).unwrap().unwrap());
        if contains(&doc.save_uncompressed(), value) {
            places.push(format!("case {id}"));
        }
    }
    places
}

/// The SQLite tables whose rows hold `value` (text or bytes).
fn sqlite_places(db: &brug_sync_server::db::Db, value: &str) -> Vec<String> {
    let mut places = Vec::new();
    let conn = db.reader();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for table in tables {
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{table}\"")).unwrap();
        let columns = stmt.column_count();
        let mut rows = stmt.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            for i in 0..columns {
                let hit = match row.get_ref(i).unwrap() {
                    rusqlite::types::ValueRef::Text(t) | rusqlite::types::ValueRef::Blob(t) => {
                        t.windows(value.len()).any(|w| w == value.as_bytes())
                    }
                    _ => false,
                };
                if hit {
                    places.push(format!("table {table}"));
                }
            }
        }
    }
    places
}

/// The PostgreSQL tables whose rows hold `value` in a text or bytes
/// column.
fn postgres_places(pg: &brug_sync_server::storage::postgres::PgDb, value: &str) -> Vec<String> {
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut c = pg.conn().unwrap();
            let columns = c
                .query(
                    "SELECT table_name::TEXT, column_name::TEXT, data_type::TEXT
                     FROM information_schema.columns
                     WHERE table_schema = 'public' AND data_type IN ('text', 'bytea')",
                    &[],
                )
                .unwrap();
            let mut places = Vec::new();
            for col in columns {
                let (table, column, kind): (String, String, String) =
                    (col.get(0), col.get(1), col.get(2));
                let test = if kind == "bytea" {
                    format!("position(convert_to($1, 'UTF8') in \"{column}\") > 0")
                } else {
                    format!("strpos(\"{column}\", $1) > 0")
                };
                let hits: i64 = c
                    .query_one(
                        &format!("SELECT count(*) FROM \"{table}\" WHERE {test}"),
                        &[&value],
                    )
                    .unwrap()
                    .get(0);
                if hits > 0 {
                    places.push(format!("table {table}"));
                }
            }
            places
        })
        .join()
        .unwrap()
    })
}

/// Erases `targets` of `case` now, as `by` asks with `reason`.
fn erase_now(
    stack: &Stack,
    case: Uuid,
    targets: Vec<brug_shared::casedoc::EraseTarget>,
    reason: impl Into<String>,
    by: &str,
) -> Result<erase::Erased, brug_sync_server::db::DbError> {
    let request = EraseRequest {
        case,
        targets,
        reason: reason.into(),
        by: by.to_owned(),
    };
    stack.on_store(|s| erase::erase(s, &request, chrono::Utc::now()))
}

fn field(member: Uuid, name: &str) -> brug_shared::casedoc::EraseTarget {
    brug_shared::casedoc::EraseTarget::Field(FieldPath::slashed(&format!(
        "members/{member}/{name}"
    )))
}

brug_tests::on_both_stacks!(
    an_erased_name_and_national_number_are_gone_from_every_file_and_every_device
);

async fn an_erased_name_and_national_number_are_gone_from_every_file_and_every_device(
    stack: Stack,
) {
    capture_logs();
    let mut team = stack.team().await;
    let (case, member) = case_with_member(&mut team).await;
    // The searches below can see the values: before the erasure they do.
    for value in [NATIONAL, LAST] {
        assert!(
            !server_places(&stack, value).is_empty(),
            "{value} is on the server before"
        );
        for d in [&team.worker, &team.supervisor] {
            assert!(!d.device.places_holding(value).unwrap().is_empty());
        }
    }
    let before = team.worker.device.case(case).unwrap();

    let targets = vec![
        field(member, "national_number"),
        field(member, "first_name"),
        field(member, "last_name"),
    ];
    let done = erase_now(
        &stack,
        case,
        targets,
        "verzoek van de betrokkene, art. 17",
        &team.sofie,
    )
    .unwrap();
    assert_eq!(done.generation, Some(1));
    assert!(done.log_emptied, "nothing else reads: the log is emptied");
    for value in [NATIONAL, FIRST, LAST] {
        assert_eq!(
            server_places(&stack, value),
            Vec::<String>::new(),
            "{value} is still on the server"
        );
    }

    // Each device replaces its copy at its next sync.
    for d in [&mut team.worker, &mut team.supervisor] {
        let report = sync(d).await;
        assert_eq!(report.regenerated.len(), 1);
        assert_eq!(report.regenerated[0].0, case);
        for value in [NATIONAL, FIRST, LAST] {
            assert_eq!(
                d.device.places_holding(value).unwrap(),
                Vec::<String>::new(),
                "{value} is still on a device"
            );
        }
        // The case is otherwise intact; its history is summarised.
        let now = d.device.case(case).unwrap();
        assert_eq!(now.household, before.household);
        assert_eq!(now.members.len(), 1);
        assert_eq!(now.members[&member].national_number, None);
        assert_eq!(now.members[&member].role, before.members[&member].role);
        let history = d.device.history(case, None).unwrap();
        assert_eq!(history.len(), 1);
        assert!(history[0].note.message.contains("verwijderd"));
        assert!(history[0].note.message.contains("art. 17"));
        assert_eq!(history[0].author.as_deref(), Some(team.sofie.as_str()));
    }
    // And they sync on as usual: an edit after the erasure reaches the other.
    team.worker
        .device
        .set_field(
            case,
            &member.to_string(),
            &"school".into(),
            "De Vlinder".into(),
        )
        .unwrap();
    sync(&mut team.worker).await;
    sync(&mut team.supervisor).await;
    assert_eq!(
        team.supervisor.device.case(case).unwrap().members[&member]
            .school
            .as_deref(),
        Some("De Vlinder")
    );

    // The audit log names the erasure, its reason and the paths, never
    // the values.
    let rows = stack.texts("SELECT detail, user_id FROM audit WHERE action = 'erase'");
    let (detail, user) = (rows[0][0].clone(), rows[0][1].clone());
    assert_eq!(user, team.sofie);
    assert!(detail.contains("art. 17"));
    assert!(detail.contains("national_number"));

    // Nor in the logs of the server and the devices (debug level).
    let logs = LOGS.lock().unwrap().clone();
    assert!(contains(&logs, "erased"), "the logs were captured");
    for value in [NATIONAL, FIRST, LAST] {
        assert!(!contains(&logs, value), "{value} in the logs");
    }
}

brug_tests::on_both_stacks!(offline_work_on_the_old_generation_arrives_without_the_erased_values);

async fn offline_work_on_the_old_generation_arrives_without_the_erased_values(stack: Stack) {
    let mut team = stack.team().await;
    let (case, member) = case_with_member(&mut team).await;
    // Both devices go offline: the worker edits the member (the national
    // number among it), the supervisor adds a visit.
    let worker_id = team.worker.device.info().user.clone();
    team.worker
        .device
        .set_field(
            case,
            &member.to_string(),
            &"national_number".into(),
            "90020199803".into(),
        )
        .unwrap();
    team.worker
        .device
        .set_field(
            case,
            &member.to_string(),
            &"school".into(),
            "De Vlinder".into(),
        )
        .unwrap();
    let (visit, _) = team
        .supervisor
        .device
        .add_record(
            case,
            RecordKind::Visit,
            examples::example(RecordKind::Visit).to_json(),
        )
        .unwrap();

    // Meanwhile the member's national number is erased.
    erase_now(
        &stack,
        case,
        vec![field(member, "national_number")],
        "geen wettelijke grond meer",
        &team.sofie,
    )
    .unwrap();

    // They come back in either order; both carry their work over.
    let report = sync(&mut team.supervisor).await;
    assert_eq!(report.regenerated.len(), 1);
    assert_eq!(report.regenerated[0].1.changes, 1, "the visit");
    let report = sync(&mut team.worker).await;
    let carried = report.regenerated[0].1;
    assert_eq!(carried.changes, 1, "the school, not the national number");
    assert_eq!(carried.dropped, 1);
    sync(&mut team.supervisor).await;

    for d in [&team.worker, &team.supervisor] {
        let now = d.device.case(case).unwrap();
        assert!(
            now.visits.contains_key(&visit),
            "the unrelated visit arrived"
        );
        assert_eq!(now.members[&member].national_number, None);
        assert_eq!(now.members[&member].school.as_deref(), Some("De Vlinder"));
        for value in [NATIONAL, "90020199803"] {
            assert_eq!(
                d.device.places_holding(value).unwrap(),
                Vec::<String>::new()
            );
        }
        // Carried over as their author's own change.
        let history = d.device.history(case, None).unwrap();
        assert!(
            history
                .iter()
                .any(|h| h.author.as_deref() == Some(worker_id.as_str()))
        );
    }
    let server = stack.on_store(|s| s.load(case).unwrap().unwrap());
    assert_eq!(server.generation(), 1);
    let on_server = server.case().unwrap();
    assert_eq!(
        team.worker.device.case(case).unwrap(),
        on_server,
        "both converge"
    );
    assert_eq!(team.supervisor.device.case(case).unwrap(), on_server);
    for value in [NATIONAL, "90020199803"] {
        assert_eq!(server_places(&stack, value), Vec::<String>::new());
    }
}

brug_tests::on_both_stacks!(only_a_supervisor_of_the_team_may_erase_and_nothing_changes_otherwise);

async fn only_a_supervisor_of_the_team_may_erase_and_nothing_changes_otherwise(stack: Stack) {
    let mut team = stack.team().await;
    let (case, member) = case_with_member(&mut team).await;
    let heads = stack.on_store(|s| s.heads(case).unwrap());
    let other_team_supervisor = stack.user_in(
        "Karel Anderteam",
        brug_sync_server::auth::Role::Supervisor,
        "kortrijk",
    );
    for (by, reason) in [
        (team.ann.clone(), "ik wil het"),
        (other_team_supervisor, "ander team"),
        (team.sofie.clone(), "   "),
    ] {
        let refused = erase_now(
            &stack,
            case,
            vec![field(member, "national_number")],
            reason,
            &by,
        );
        assert!(refused.is_err());
    }
    // A path that is not in the case is refused too.
    let refused = erase_now(
        &stack,
        case,
        vec![field(Uuid::now_v7(), "national_number")],
        "fout lid",
        &team.sofie,
    );
    assert!(refused.unwrap_err().to_string().contains("bestaat niet"));
    assert_eq!(stack.on_store(|s| s.heads(case).unwrap()), heads);
    assert!(
        !server_places(&stack, NATIONAL).is_empty(),
        "nothing was erased"
    );
    let erasures = stack.count("SELECT count(*) FROM audit WHERE action = 'erase'");
    assert_eq!(erasures, 0);
}

brug_tests::on_both_stacks!(a_whole_case_erased_is_purged_from_every_device_with_its_photos);

async fn a_whole_case_erased_is_purged_from_every_device_with_its_photos(stack: Stack) {
    let mut team = stack.team().await;
    let (case, member) = case_with_member(&mut team).await;
    let png = {
        let img =
            image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8 * 3, y as u8 * 5, 90]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    };
    let attached = team
        .worker
        .device
        .attach(case, &member.to_string(), &png, "identiteitskaart")
        .unwrap();
    sync(&mut team.worker).await;
    sync(&mut team.supervisor).await;
    let blobs = |stack: &Stack| -> i64 { stack.count("SELECT count(*) FROM blobs") };
    assert_eq!(blobs(&stack), 2, "the photo and its thumbnail");
    // The worker types on the case offline, unaware of what comes.
    team.worker
        .device
        .set_field(
            case,
            &member.to_string(),
            &"school".into(),
            "Sint-Amandus".into(),
        )
        .unwrap();

    let done = erase_now(
        &stack,
        case,
        vec![],
        "bewaartermijn verstreken",
        &team.sofie,
    )
    .unwrap();
    assert_eq!(done.generation, None);
    assert_eq!(done.attachments, 2);
    assert_eq!(blobs(&stack), 0);
    for value in [NATIONAL, LAST] {
        assert_eq!(server_places(&stack, value), Vec::<String>::new());
    }
    for d in [&mut team.worker, &mut team.supervisor] {
        let report = sync(d).await;
        assert!(report.purged.contains(&case), "the case is purged");
        // Unsynced work on it is handed over and not kept: the erasure
        // covers it.
        assert_eq!(server_places(&stack, "Sint-Amandus"), Vec::<String>::new());
        assert_eq!(
            d.device.places_holding("Sint-Amandus").unwrap(),
            Vec::<String>::new()
        );
        assert!(d.device.case(case).is_err());
        assert!(
            matches!(
                d.device.attachment_here(&attached.hash),
                Err(brug_device::DeviceError::NoSuchAttachment(_))
            ),
            "no case here references the photo any more"
        );
        for value in [NATIONAL, LAST] {
            assert_eq!(
                d.device.places_holding(value).unwrap(),
                Vec::<String>::new()
            );
        }
    }
    let count = |sql: &str| -> i64 { stack.count(sql) };
    assert_eq!(
        count("SELECT count(*) FROM audit WHERE action = 'quarantine-erased'"),
        1,
        "the worker's unsynced work was handed over, and dropped"
    );
    assert_eq!(count("SELECT count(*) FROM quarantine"), 0);
}

/// A member added to `case` on `d`, with a name and a national number.
fn add_member(d: &mut TestDevice, case: Uuid, first: &str, last: &str, national: &str) -> Uuid {
    let mut json = examples::example(RecordKind::Member).to_json();
    json["first_name"] = first.into();
    json["last_name"] = last.into();
    json["national_number"] = national.into();
    d.device
        .add_record(case, RecordKind::Member, json)
        .unwrap()
        .0
}

brug_tests::on_both_stacks!(
    a_persons_own_data_lists_both_their_cases_with_what_went_where_and_nobody_else
);

async fn a_persons_own_data_lists_both_their_cases_with_what_went_where_and_nobody_else(
    stack: Stack,
) {
    let mut team = stack.team().await;
    let other_national = "90020199803";
    // Case one: the person, another member, a consent and a referral to
    // Fluvius on it.
    let (one, _) = team
        .worker
        .device
        .create_case(&examples::household())
        .unwrap();
    add_member(&mut team.worker, one, FIRST, LAST, NATIONAL);
    add_member(
        &mut team.worker,
        one,
        "Yannick",
        "Anderslid",
        other_national,
    );
    team.worker
        .device
        .add_record(
            one,
            RecordKind::Consent,
            examples::example(RecordKind::Consent).to_json(),
        )
        .unwrap();
    let mut referral = examples::example(RecordKind::Referral).to_json();
    referral["service"] = "fluvius-session".into();
    referral["data_shared"] = serde_json::json!(["energy"]);
    let (referral, _) = team
        .worker
        .device
        .add_record(one, RecordKind::Referral, referral)
        .unwrap();
    // Case two: the same person, written with separators, in another household.
    let (two, _) = team
        .worker
        .device
        .create_case(&examples::household())
        .unwrap();
    add_member(&mut team.worker, two, FIRST, LAST, "85.07.30-033.28");
    // A third case without them.
    let (three, _) = team
        .worker
        .device
        .create_case(&examples::household())
        .unwrap();
    add_member(
        &mut team.worker,
        three,
        "Yannick",
        "Anderslid",
        other_national,
    );
    sync(&mut team.worker).await;

    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("export");
    let (export, files) = stack.on_store(|s| {
        brug_sync_server::subject::export(
            s,
            &brug_sync_server::subject::Subject::NationalNumber(NATIONAL.into()),
            &team.sofie,
            &dir,
            chrono::Utc::now(),
            &mut |_, _| {},
        )
        .unwrap()
    });
    let mut cases: Vec<Uuid> = export.cases.iter().map(|c| c.case).collect();
    cases.sort();
    let mut expected = vec![one, two];
    expected.sort();
    assert_eq!(cases, expected, "both cases, not the third");
    let first = export.cases.iter().find(|c| c.case == one).unwrap();
    assert_eq!(first.shared.len(), 1);
    let shared = &first.shared[0];
    assert_eq!(shared.referral, referral);
    assert_eq!(shared.organisation, "Fluvius");
    let consent = shared.consent.as_ref().expect("the consent it rested on");
    assert!(
        consent["purpose"]
            .as_str()
            .unwrap()
            .contains("sociaal tarief")
    );
    assert!(
        first
            .history
            .iter()
            .any(|h| h.author.as_deref() == Some(team.ann.as_str())),
        "who changed it"
    );
    assert!(
        first.records["referrals"]
            .as_object()
            .unwrap()
            .contains_key(&referral.to_string())
    );

    assert_eq!(files.len(), 2);
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        for value in ["Yannick", "Anderslid", other_national] {
            assert!(!contains(&bytes, value), "{value} in {}", file.display());
        }
        assert!(contains(&bytes, LAST), "the person's own name");
        assert!(contains(&bytes, "Fluvius"));
    }
    let html = std::fs::read_to_string(dir.join("brug-gegevens.html")).unwrap();
    assert!(html.contains("Uw gegevens in Brug"));
    assert!(html.contains("Met wie gegevens gedeeld werden"));

    // Audited by ids, not by the national number; asked again into the
    // same folder, nothing is overwritten.
    let detail =
        stack.texts("SELECT detail FROM audit WHERE action = 'subject-export'")[0][0].clone();
    assert!(!detail.contains(NATIONAL));
    assert!(stack.on_store(|s| {
        brug_sync_server::subject::export(
            s,
            &brug_sync_server::subject::Subject::NationalNumber(NATIONAL.into()),
            &team.sofie,
            &dir,
            chrono::Utc::now(),
            &mut |_, _| {},
        )
        .is_err()
    }));
    // A national number that is not valid is refused with a clear error.
    let wrong = stack.on_store(|s| {
        brug_sync_server::subject::collect(
            s,
            &brug_sync_server::subject::Subject::NationalNumber("85073003329".into()),
            "admin",
            chrono::Utc::now(),
            &mut |_, _| {},
        )
        .unwrap_err()
        .to_string()
    });
    assert!(wrong.contains("rijksregisternummer"));
}

brug_tests::on_both_stacks!(
    a_case_closed_longer_than_its_term_is_erased_on_that_day_and_reports_keep_their_numbers
);

async fn a_case_closed_longer_than_its_term_is_erased_on_that_day_and_reports_keep_their_numbers(
    stack: Stack,
) {
    use brug_shared::report::{Breakdown, Plan, Query};
    use brug_sync_server::retention::{self, Retention};
    let mut team = stack.team().await;
    let (case, _) = case_with_member(&mut team).await;
    let photo = {
        let img = image::RgbImage::from_fn(40, 30, |x, y| image::Rgb([x as u8, y as u8, 7]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    };
    let mut visit = examples::example(RecordKind::Visit).to_json();
    visit["safety_signal"] = "child-concern".into();
    visit["follow_up_by"] = "2026-10-06T14:00:00".into();
    let (visit, _) = team
        .worker
        .device
        .add_record(case, RecordKind::Visit, visit)
        .unwrap();
    team.worker
        .device
        .attach(case, &visit.to_string(), &photo, "voordeur")
        .unwrap();
    // A second case that stays open: its safety signal and photo have
    // their own terms.
    let (open, _) = team
        .worker
        .device
        .create_case(&examples::household())
        .unwrap();
    let mut signal = examples::example(RecordKind::Visit).to_json();
    signal["safety_signal"] = "child-concern".into();
    signal["follow_up_by"] = "2026-10-06T14:00:00".into();
    let (open_visit, _) = team
        .worker
        .device
        .add_record(open, RecordKind::Visit, signal)
        .unwrap();
    let kept_photo = team
        .worker
        .device
        .attach(open, &open_visit.to_string(), &photo, "keuken")
        .unwrap();
    for (field, value) in [
        ("closed_on", "2026-10-20"),
        ("close_reason", "hulpvraag beantwoord"),
        ("status", "closed"),
    ] {
        team.worker
            .device
            .set_field(case, "household", &field.into(), value.into())
            .unwrap();
    }
    sync(&mut team.worker).await;
    sync(&mut team.supervisor).await;

    let plan = Plan::builtin();
    let query = Query {
        from: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        to: chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
        team: Some("harelbeke".into()),
        by: Breakdown::Quarter,
        public: false,
    };
    let report = || stack.on_store(|s| s.report(&plan, &query).unwrap());
    let before = report();
    assert!(
        before
            .indicators()
            .any(|(_, _, i)| i.total != brug_shared::report::Cell::Value(0)),
        "the visits count"
    );

    let terms = Retention {
        closed_case_days: 30,
        safety_signal_days: 60,
        attachment_days: 0,
        audit_days: 0,
    };
    let at = |y, m, d| {
        chrono::NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc()
    };
    // The day before the term passes: nothing goes.
    let run = stack.on_store(|s| retention::run(s, &terms, at(2026, 11, 18)).unwrap());
    assert_eq!(run.cases, Vec::<Uuid>::new());
    assert!(stack.on_store(|s| s.load(case).unwrap()).is_some());
    // On the day (closed on 20 October, 30 days): erased, with its photo.
    let run = stack.on_store(|s| retention::run(s, &terms, at(2026, 11, 19)).unwrap());
    assert_eq!(run.cases, vec![case]);
    assert!(stack.on_store(|s| s.load(case).unwrap()).is_none());
    for value in [NATIONAL, LAST] {
        assert_eq!(server_places(&stack, value), Vec::<String>::new());
    }
    assert_eq!(report(), before, "a report over the period counts the same");

    // The open case's safety signal goes 60 days after its visit
    // (5 October): on 4 December, not the day before.
    let run = stack.on_store(|s| retention::run(s, &terms, at(2026, 12, 3)).unwrap());
    assert_eq!(run.safety_signals, 0);
    let run = stack.on_store(|s| retention::run(s, &terms, at(2026, 12, 4)).unwrap());
    assert_eq!(run.safety_signals, 1);
    let doc = stack.on_store(|s| s.load(open).unwrap()).unwrap();
    assert_eq!(
        doc.case().unwrap().visits[&open_visit].safety_signal,
        brug_shared::model::SafetySignal::None
    );
    assert_eq!(doc.generation(), 1);
    assert!(doc.erasures()[0].by == brug_sync_server::erase::RETENTION_ACTOR);
    assert_eq!(
        doc.case().unwrap().attachments.len(),
        1,
        "the photo has its own term"
    );

    // Photos a day after they were added, audit entries a day after they
    // were written (terms of one day, two days on).
    let later = chrono::Utc::now() + chrono::Duration::days(2);
    let short = Retention {
        closed_case_days: 0,
        safety_signal_days: 0,
        attachment_days: 1,
        audit_days: 1,
    };
    let run = stack.on_store(|s| retention::run(s, &short, later).unwrap());
    assert_eq!(run.attachments, 1);
    assert!(run.audit_entries > 0);
    let doc = stack.on_store(|s| s.load(open).unwrap()).unwrap();
    assert!(doc.case().unwrap().attachments.is_empty());
    let blobs = stack.count(&format!(
        "SELECT count(*) FROM blobs WHERE hash = '{}'",
        kept_photo.hash.as_str()
    ));
    assert_eq!(blobs, 0, "its bytes went with it");

    // The devices follow: the closed case purged, the open one renewed.
    for d in [&mut team.worker, &mut team.supervisor] {
        let report = sync(d).await;
        assert!(report.purged.contains(&case));
        assert!(report.regenerated.iter().any(|(id, _)| *id == open));
        assert!(d.device.case(case).is_err());
    }
}

brug_tests::on_both_stacks!(a_supervisor_erases_from_the_app_and_a_worker_cannot);

async fn a_supervisor_erases_from_the_app_and_a_worker_cannot(stack: Stack) {
    use brug_shared::protocol::team::EraseRequest as AskErase;
    let mut team = stack.team().await;
    let (case, member) = case_with_member(&mut team).await;
    let ask = AskErase {
        case,
        members: vec![],
        fields: vec![format!("members/{member}/national_number")],
        whole_case: false,
        reason: "verzoek van de betrokkene".into(),
    };
    // A worker's device is refused, and so is a supervisor without a
    // reason, or for a case that does not exist; nothing changes.
    let refused = team.worker.device.team_link().unwrap().erase(&ask).await;
    assert!(refused.is_err());
    let link = team.supervisor.device.team_link().unwrap();
    let no_reason = AskErase {
        reason: "  ".into(),
        ..ask.clone()
    };
    let refused = link.erase(&no_reason).await.unwrap_err();
    assert!(refused.to_string().contains("reden"), "{refused}");
    let foreign = AskErase {
        case: Uuid::now_v7(),
        ..ask.clone()
    };
    assert!(link.erase(&foreign).await.is_err());
    assert_eq!(
        stack.on_store(|s| s.load(case).unwrap().unwrap().generation()),
        0
    );

    let done = link.erase(&ask).await.unwrap();
    assert_eq!(done.generation, Some(1));
    // The supervisor's own device and the worker's follow at their sync.
    for d in [&mut team.supervisor, &mut team.worker] {
        let report = sync(d).await;
        assert_eq!(report.regenerated.len(), 1);
        assert_eq!(
            d.device.places_holding(NATIONAL).unwrap(),
            Vec::<String>::new()
        );
    }
    // The whole case, from the app: only when nothing else is named.
    let both = AskErase {
        whole_case: true,
        ..ask.clone()
    };
    assert!(
        link.erase(&both).await.is_err(),
        "a field and the whole case at once"
    );
    let whole = AskErase {
        fields: vec![],
        whole_case: true,
        reason: "bewaartermijn".into(),
        ..ask
    };
    let done = link.erase(&whole).await.unwrap();
    assert_eq!(done.generation, None);
    for d in [&mut team.supervisor, &mut team.worker] {
        let report = sync(d).await;
        assert!(report.purged.contains(&case));
        assert_eq!(d.device.places_holding(LAST).unwrap(), Vec::<String>::new());
    }
}

/// Seeds for the randomized erasure runs (`BRUG_ERASE_SEEDS` for more).
fn erase_seeds() -> u64 {
    std::env::var("BRUG_ERASE_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(12)
}

#[tokio::test]
async fn random_offline_work_around_an_erasure_loses_nothing_but_the_erased_value() {
    use brug_tests::caseload::Rng;
    for seed in 0..erase_seeds() {
        let mut rng = Rng::new(seed);
        let stack = Stack::start().await;
        let mut team = stack.team().await;
        let (case, member) = case_with_member(&mut team).await;
        stack.assign(case, &team.bert);
        sync(&mut team.adviser).await;
        let mut visits: Vec<Uuid> = Vec::new();
        let mut erased = false;
        let steps = 8 + rng.below(10);
        for _ in 0..steps {
            let who = rng.below(3);
            let d = match who {
                0 => &mut team.worker,
                1 => &mut team.adviser,
                _ => &mut team.supervisor,
            };
            match rng.below(6) {
                0 | 1 => {
                    let (v, _) = d
                        .device
                        .add_record(
                            case,
                            RecordKind::Visit,
                            examples::example(RecordKind::Visit).to_json(),
                        )
                        .unwrap();
                    visits.push(v);
                }
                2 => {
                    // The erased field, typed again offline (before the
                    // erasure or after it, unaware).
                    d.device
                        .set_field(
                            case,
                            &member.to_string(),
                            &"national_number".into(),
                            "90020199803".into(),
                        )
                        .unwrap();
                }
                3 => {
                    let phone = format!(
                        "0470 {:02} {:02} {:02}",
                        seed % 100,
                        rng.below(100),
                        rng.below(100)
                    );
                    d.device
                        .set_field(case, "household", &"phone".into(), phone.into())
                        .unwrap();
                }
                4 if !erased => {
                    erase_now(
                        &stack,
                        case,
                        vec![field(member, "national_number")],
                        format!("seed {seed}"),
                        &team.sofie,
                    )
                    .unwrap();
                    erased = true;
                }
                _ => {
                    sync(d).await;
                }
            }
        }
        if !erased {
            erase_now(
                &stack,
                case,
                vec![field(member, "national_number")],
                format!("seed {seed}, at the end"),
                &team.sofie,
            )
            .unwrap();
        }
        // Everyone comes back, twice round.
        for _ in 0..2 {
            for d in [&mut team.worker, &mut team.adviser, &mut team.supervisor] {
                sync(d).await;
            }
        }
        let on_server = store::load(&stack.db().reader(), case)
            .unwrap()
            .unwrap()
            .case()
            .unwrap();
        for v in &visits {
            assert!(
                on_server.visits.contains_key(v),
                "seed {seed}: visit {v} lost"
            );
        }
        for d in [&team.worker, &team.adviser, &team.supervisor] {
            assert_eq!(
                d.device.case(case).unwrap(),
                on_server,
                "seed {seed}: converged"
            );
        }
        // What was typed before the erasure is gone; typed again after the
        // device learnt of it, it may stand (a new value, not brought back).
        let history = team.supervisor.device.history(case, None).unwrap();
        assert!(
            history
                .iter()
                .any(|h| h.note.message.contains(&format!("seed {seed}")))
        );
        assert!(server_places(&stack, NATIONAL).is_empty(), "seed {seed}");
    }
}

#[test]
fn a_copy_renewed_beside_the_session_keeps_what_the_other_handle_carried() {
    use brug_shared::casedoc::{CaseDoc, Editor, Target};
    let ann = Editor {
        user: "ann.peeters".into(),
        device: Uuid::from_u128(1),
    };
    let mut server = CaseDoc::create(Uuid::now_v7(), &examples::household(), &ann).unwrap();
    let mut mine = server.fork();
    mine.set_editor(&ann);
    mine.set_field(Target::Household, &"phone".into(), "0470 33 33 33".into())
        .unwrap();
    let sofie = Editor {
        user: "sofie.vandenberghe".into(),
        device: Uuid::nil(),
    };
    let target = brug_shared::casedoc::EraseTarget::Field(FieldPath::slashed("household/notes"));
    let (mut next, _) = server
        .regenerate(&[target], &sofie, "bezwaar", chrono::Utc::now())
        .unwrap();
    // Another handle of this device renewed the case first, with the phone.
    let mut renewed = CaseDoc::load(&next.save(), &[]).unwrap();
    let edits = mine.local_edits(&[], &renewed.server_clock());
    renewed.carry_over(&edits).unwrap();
    // This session's renewal comes second: it keeps the phone.
    let mut again = CaseDoc::load(&next.save(), &[]).unwrap();
    let carried = brug_device::sync::carry_into(Some(renewed), &mut mine, &[], &mut again).unwrap();
    assert_eq!(carried.changes, 0, "carried once, by the other handle");
    assert_eq!(
        again.household().unwrap().phone.as_deref(),
        Some("0470 33 33 33")
    );
}
