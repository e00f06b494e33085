//! Cases and the change feed on PostgreSQL (issue 18, first part): the same
//! behaviour as on SQLite, concurrent merges of one case by two servers on
//! one database, a feed that a device's cursor can follow without skipping,
//! changes heard across servers, and a SQLite deployment's cases copied
//! over with their heads. PostgreSQL is real: a throwaway cluster started
//! by each test ([`brug_tests::pg`]).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they set up

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use brug_shared::casedoc::{CaseDoc, Editor};
use brug_shared::model::{RecordKind, Role, examples};
use brug_shared::store::Saved;
use brug_sync_server::db::{self, Db, User};
use brug_sync_server::storage::postgres::{Heard, PgDb};
use brug_sync_server::storage::{CaseStore, FeedEntry, PeopleStore};
use brug_tests::pg::cluster_or_skip;
use uuid::Uuid;

fn worker(id: &str) -> User {
    User {
        id: id.into(),
        name: id.into(),
        role: Role::BridgeWorker,
        team: "harelbeke".into(),
    }
}

fn editor(user: &str, device: u128) -> Editor {
    Editor {
        user: user.into(),
        device: Uuid::from_u128(device),
    }
}

fn new_case(by: &str) -> CaseDoc {
    CaseDoc::create(Uuid::now_v7(), &examples::household(), &editor(by, 1)).unwrap()
}

fn add_visit(doc: &mut CaseDoc) -> Uuid {
    doc.add_record(&examples::example(RecordKind::Visit), "huisbezoek")
        .unwrap()
}

fn has_visit(doc: &CaseDoc, id: Uuid) -> bool {
    doc.record(RecordKind::Visit, id).unwrap().is_some()
}

/// A SQLite server database with the users these tests store as.
fn sqlite(dir: &std::path::Path) -> Db {
    let db = Db::open(dir).unwrap();
    for name in ["Ann Peeters", "Bert Devos"] {
        db::add_user(&db.lock(), name, Role::BridgeWorker, "harelbeke").unwrap();
    }
    db
}

/// A PostgreSQL store with the same users.
fn postgres(url: &str, connections: usize) -> PgDb {
    let db = PgDb::connect(url, connections).unwrap();
    for name in ["Ann Peeters", "Bert Devos"] {
        if db.user(&db::user_id_for(name)).unwrap().is_none() {
            db.add_user(name, Role::BridgeWorker, "harelbeke").unwrap();
        }
    }
    db
}

/// Seeded, small and fast: a xorshift, so a failing seed can be replayed.
struct Rng(u64);
impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// What each backend must do alike: create, append, merge a stale copy,
/// leave an unchanged copy alone, and number the feed.
fn behaves_like_a_case_store(store: &dyn CaseStore) {
    let ann = worker("ann.peeters");
    let before = store.current_seq().unwrap();
    let mut doc = new_case("ann.peeters");
    let id = doc.id();
    let created = store.merge_save(&mut doc, &ann).unwrap();
    assert_eq!(created.saved, Saved::Created, "{}", store.backend());
    let first = created.seq.unwrap();
    assert!(first > before);

    // Two copies of the stored case, each with its own visit.
    let mut a = store.load(id).unwrap().unwrap();
    let mut b = store.load(id).unwrap().unwrap();
    a.set_editor(&editor("ann.peeters", 1));
    b.set_editor(&editor("bert.devos", 2));
    let va = add_visit(&mut a);
    let vb = add_visit(&mut b);
    let sa = store.merge_save(&mut a, &ann).unwrap();
    assert!(matches!(sa.saved, Saved::Appended(_) | Saved::Compacted(_)));
    // b never saw a's visit: the store merges it in, nothing is lost.
    let sb = store.merge_save(&mut b, &worker("bert.devos")).unwrap();
    assert!(sb.seq.unwrap() > sa.seq.unwrap());
    assert!(
        has_visit(&b, va) && has_visit(&b, vb),
        "the saving copy holds both"
    );
    let mut stored = store.load(id).unwrap().unwrap();
    assert!(has_visit(&stored, va) && has_visit(&stored, vb));
    assert_eq!(store.heads(id).unwrap().unwrap(), stored.heads());
    assert_eq!(stored.heads(), b.heads());

    // Saving what is already stored changes nothing and keeps its place.
    let again = store.merge_save(&mut stored, &ann).unwrap();
    assert_eq!(again.saved, Saved::Unchanged);
    assert_eq!(again.seq, None);
    assert_eq!(store.current_seq().unwrap(), sb.seq.unwrap());

    // The feed lists the case once, at its last change.
    let since = store.changed_since(before, 100).unwrap();
    assert_eq!(
        since,
        vec![FeedEntry {
            seq: sb.seq.unwrap(),
            id
        }]
    );
    assert!(
        store
            .changed_since(sb.seq.unwrap(), 100)
            .unwrap()
            .is_empty()
    );
    assert!(store.ids().unwrap().contains(&id));
    assert_eq!(store.load(Uuid::now_v7()).unwrap().map(|d| d.id()), None);
}

#[test]
fn cases_and_the_feed_behave_the_same_on_sqlite_and_postgres() {
    let dir = tempfile::tempdir().unwrap();
    behaves_like_a_case_store(&sqlite(dir.path()));
    let Some(pg) = cluster_or_skip("cases_and_the_feed_behave_the_same_on_sqlite_and_postgres")
    else {
        return;
    };
    let url = pg.create_database("same").unwrap();
    behaves_like_a_case_store(&postgres(&url, 4));
    // A second server on the same database finds the schema in place.
    let other = PgDb::connect(&url, 4).unwrap();
    assert!(other.current_seq().unwrap() > 0);
}

/// Users, devices, access, sync states and audit: what each backend must
/// do alike.
fn behaves_like_a_people_store<S: CaseStore + PeopleStore>(store: &S) {
    let ann = store.user("ann.peeters").unwrap().unwrap();
    let bert = store.user("bert.devos").unwrap().unwrap();
    let sara = store
        .add_user("Sara Vis", Role::Supervisor, "harelbeke")
        .unwrap();
    let piet = store
        .add_user("Piet Beleid", Role::Policy, "harelbeke")
        .unwrap();
    let other = store
        .add_user("Olga Elders", Role::BridgeWorker, "kortrijk")
        .unwrap();
    let again = store
        .add_user("Sara Vis", Role::BridgeWorker, "harelbeke")
        .unwrap_err();
    assert!(again.to_string().contains("bestaat al"), "{again}");
    assert_eq!(
        store.user("sara.vis").unwrap().unwrap().role,
        Role::Supervisor
    );
    assert!(store.user("niemand").unwrap().is_none());

    // A device by the hash of its token, never the token.
    let hash = [7u8; 32];
    store
        .add_device("dev-ann", &ann.id, "tablet Ann", &hash, &[1, 2, 3])
        .unwrap();
    let (device, user) = store.device_by_token(&hash).unwrap().unwrap();
    assert_eq!(
        (device.id.as_str(), device.name.as_str()),
        ("dev-ann", "tablet Ann")
    );
    assert_eq!(user, ann);
    assert!(store.device_by_token(&[8u8; 32]).unwrap().is_none());
    // The same token hash twice is refused.
    assert!(
        store
            .add_device("dev-x", &bert.id, "x", &hash, &[])
            .is_err()
    );

    // Access: the creator, a supervisor of the team; not a colleague until
    // assigned, never someone of another team or a policy lead.
    let mut doc = new_case("ann.peeters");
    let id = doc.id();
    store.merge_save(&mut doc, &ann).unwrap();
    assert!(store.may_access(&ann, id).unwrap());
    assert!(store.may_access(&sara, id).unwrap());
    assert!(!store.may_access(&bert, id).unwrap());
    assert!(!store.may_access(&other, id).unwrap());
    assert!(store.visible_cases(&bert).unwrap().is_empty());
    let before = store.current_seq().unwrap();
    assert!(store.assign(id, &bert.id).unwrap());
    assert_eq!(
        store.current_seq().unwrap(),
        before + 1,
        "an assignment moves the case up"
    );
    assert!(!store.assign(id, &bert.id).unwrap(), "assigned already");
    assert_eq!(store.visible_cases(&bert).unwrap(), vec![(id, before + 1)]);
    assert!(store.may_access(&bert, id).unwrap());
    for (who, says) in [
        (&other.id, "hoort niet bij team"),
        (&piet.id, "beleidsverantwoordelijke"),
    ] {
        let err = store.assign(id, who).unwrap_err().to_string();
        assert!(err.contains(says), "{err}");
    }
    assert!(store.assign(Uuid::now_v7(), &bert.id).is_err());
    assert!(store.assign(id, "niemand").is_err());
    assert_eq!(
        store.current_seq().unwrap(),
        before + 1,
        "refusals change nothing"
    );

    // A change's audience (looked up once for all sessions) admits exactly
    // whom `may_access` admits, before and after an unassignment, and
    // nobody for a case that does not exist.
    let everyone = [&ann, &bert, &sara, &piet, &other];
    let missing = Uuid::now_v7();
    let agree = |when: &str| {
        for case in [id, missing] {
            let audience = store.audience(case).unwrap();
            for user in everyone {
                assert_eq!(
                    audience.admits(user),
                    store.may_access(user, case).unwrap(),
                    "{when}: {} and {case}",
                    user.id
                );
            }
        }
    };
    agree("assigned");
    assert!(store.unassign(id, &bert.id).unwrap());
    assert!(!store.audience(id).unwrap().admits(&bert));
    agree("unassigned");
    assert!(store.assign(id, &bert.id).unwrap());

    // Sync states: a device carries on where it was, on any server.
    assert_eq!(store.sync_state("dev-ann", id).unwrap(), None);
    store.note_held("dev-ann", id, b"first").unwrap();
    store.note_held("dev-ann", id, b"second").unwrap();
    assert_eq!(
        store.sync_state("dev-ann", id).unwrap().as_deref(),
        Some(&b"first"[..])
    );
    store.save_sync_state("dev-ann", id, b"third").unwrap();
    assert_eq!(
        store.sync_state("dev-ann", id).unwrap().as_deref(),
        Some(&b"third"[..])
    );

    // Revocation: the first time counts; an unknown device counts as revoked.
    store.touch_device("dev-ann").unwrap();
    assert!(
        store
            .device_by_token(&hash)
            .unwrap()
            .unwrap()
            .0
            .last_seen
            .is_some()
    );
    assert!(!store.device_revoked("dev-ann").unwrap());
    assert_eq!(
        store.revoke_device("dev-ann").unwrap().as_deref(),
        Some("ann.peeters")
    );
    let first = store.device_by_token(&hash).unwrap().unwrap().0.revoked_at;
    assert!(first.is_some());
    store.revoke_device("dev-ann").unwrap();
    assert_eq!(
        store.device_by_token(&hash).unwrap().unwrap().0.revoked_at,
        first
    );
    assert!(store.device_revoked("dev-ann").unwrap());
    assert!(store.device_revoked("dev-none").unwrap());
    assert_eq!(store.revoke_device("dev-none").unwrap(), None);

    store
        .audit(Some(&ann.id), Some("dev-ann"), "sync", &[id], "")
        .unwrap();
    store
        .audit(Some(&sara.id), None, "assign", &[id], "bert.devos")
        .unwrap();
    let tail = store.audit_tail(1).unwrap();
    assert_eq!(tail.len(), 1);
    assert_eq!(
        (tail[0].action.as_str(), tail[0].detail.as_str()),
        ("assign", "bert.devos")
    );
    assert_eq!(tail[0].cases, format!("[\"{id}\"]"));
    assert_eq!(store.audit_tail(10).unwrap().len(), 2);
}

#[test]
fn users_devices_access_and_sync_states_behave_the_same_on_sqlite_and_postgres() {
    let dir = tempfile::tempdir().unwrap();
    behaves_like_a_people_store(&sqlite(dir.path()));
    let Some(pg) = cluster_or_skip(
        "users_devices_access_and_sync_states_behave_the_same_on_sqlite_and_postgres",
    ) else {
        return;
    };
    let url = pg.create_database("people").unwrap();
    behaves_like_a_people_store(&postgres(&url, 4));
}

/// Threads on two servers (two pools) each hold a copy of one case loaded
/// at the start, add visits and merge-save them in a seeded random order,
/// sometimes reloading first, sometimes saving a stale copy: every visit
/// must be in the stored case afterwards, read from either server.
#[test]
fn two_servers_merging_one_case_at_once_lose_no_change() {
    let Some(pg) = cluster_or_skip("two_servers_merging_one_case_at_once_lose_no_change") else {
        return;
    };
    let url = pg.create_database("merge").unwrap();
    let servers = [postgres(&url, 4), postgres(&url, 4)];
    let seeds: u64 = std::env::var("BRUG_PG_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(12);
    for seed in 0..seeds {
        let mut rng = Rng::new(seed);
        let mut doc = new_case("ann.peeters");
        let id = doc.id();
        servers[0]
            .merge_save(&mut doc, &worker("ann.peeters"))
            .unwrap();
        let threads = 2 + rng.below(3) as usize;
        let start = Arc::new(Barrier::new(threads));
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let server = servers[rng.below(2) as usize].clone();
                let start = start.clone();
                let thread_seed = rng.below(u64::MAX);
                std::thread::spawn(move || {
                    let mut rng = Rng::new(thread_seed);
                    let user = worker(if t % 2 == 0 {
                        "ann.peeters"
                    } else {
                        "bert.devos"
                    });
                    let mut copy = server.load(id).unwrap().unwrap();
                    copy.set_editor(&editor(&user.id, 10 + t as u128));
                    let mut added = Vec::new();
                    let mut saves = 0;
                    start.wait();
                    for _ in 0..1 + rng.below(6) {
                        if rng.below(4) == 0 {
                            copy = server.load(id).unwrap().unwrap();
                            copy.set_editor(&editor(&user.id, 10 + t as u128));
                        }
                        for _ in 0..1 + rng.below(2) {
                            added.push(add_visit(&mut copy));
                        }
                        let stored = server.merge_save(&mut copy, &user).unwrap();
                        assert_ne!(stored.saved, Saved::Unchanged, "seed {seed}");
                        saves += 1;
                    }
                    (added, saves)
                })
            })
            .collect();
        let mut visits = Vec::new();
        let mut saves = 0;
        for h in handles {
            let (added, n) = h.join().unwrap();
            visits.extend(added);
            saves += n;
        }
        for server in &servers {
            let stored = server.load(id).unwrap().unwrap();
            let lost: Vec<_> = visits.iter().filter(|v| !has_visit(&stored, **v)).collect();
            assert!(lost.is_empty(), "seed {seed}: visits lost: {lost:?}");
        }
        let mut a = servers[0].load(id).unwrap().unwrap();
        let mut b = servers[1].load(id).unwrap().unwrap();
        assert_eq!(a.heads(), b.heads(), "seed {seed}");
        assert_eq!(servers[1].heads(id).unwrap().unwrap(), a.heads());
        // Every save got its own number in the feed: none was merged away.
        let created_at = servers[0].current_seq().unwrap() - saves;
        assert_eq!(
            servers[1].changed_since(created_at - 1, 10).unwrap(),
            vec![FeedEntry {
                seq: created_at + saves,
                id
            }],
            "seed {seed}"
        );
    }
}

/// A device's cursor is the highest feed number it has seen; it asks for
/// what changed after it. Writers on two servers create cases and change 12
/// others at once while a reader follows the feed that way: at the end the
/// reader has seen every case at its final number. With numbers that do not follow commit
/// order (a plain SEQUENCE), a change committed after a higher number was
/// read would be skipped for ever.
#[test]
fn a_cursor_following_the_feed_skips_no_change() {
    let Some(pg) = cluster_or_skip("a_cursor_following_the_feed_skips_no_change") else {
        return;
    };
    let url = pg.create_database("feed").unwrap();
    let servers = [postgres(&url, 6), postgres(&url, 6)];
    let ann = worker("ann.peeters");
    let ids: Vec<Uuid> = (0..12)
        .map(|_| {
            let mut doc = new_case("ann.peeters");
            servers[0].merge_save(&mut doc, &ann).unwrap();
            doc.id()
        })
        .collect();
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let server = servers[1].clone();
        let done = done.clone();
        std::thread::spawn(move || {
            let mut cursor = 0;
            let mut seen: BTreeMap<Uuid, i64> = BTreeMap::new();
            loop {
                // Read the flag first: a pass that starts after the writers
                // finished sees everything they committed.
                let last = done.load(Ordering::SeqCst);
                for e in server.changed_since(cursor, 1000).unwrap() {
                    assert!(e.seq > cursor, "the feed went backwards");
                    cursor = e.seq;
                    seen.insert(e.id, e.seq);
                }
                if last {
                    return seen;
                }
            }
        })
    };
    let writers: Vec<_> = (0..4u64)
        .map(|w| {
            let server = servers[(w % 2) as usize].clone();
            let ids = ids.clone();
            std::thread::spawn(move || {
                let mut rng = Rng::new(w + 100);
                let user = worker("ann.peeters");
                for _ in 0..40 {
                    // A new case's first number is final: nothing later
                    // moves it, so a skipped one stays skipped.
                    let mut new = new_case("ann.peeters");
                    server.merge_save(&mut new, &user).unwrap();
                    let id = ids[rng.below(ids.len() as u64) as usize];
                    let mut doc = server.load(id).unwrap().unwrap();
                    doc.set_editor(&editor("ann.peeters", 20 + u128::from(w)));
                    add_visit(&mut doc);
                    server.merge_save(&mut doc, &user).unwrap();
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    done.store(true, Ordering::SeqCst);
    let seen = reader.join().unwrap();
    let stored: BTreeMap<Uuid, i64> = servers[0]
        .changed_since(0, 1000)
        .unwrap()
        .into_iter()
        .map(|e| (e.id, e.seq))
        .collect();
    assert_eq!(stored.len(), ids.len() + 160);
    let skipped: Vec<_> = stored
        .iter()
        .filter(|(id, seq)| seen.get(id) != Some(seq))
        .collect();
    assert!(
        skipped.is_empty(),
        "the cursor skipped {} changes: {skipped:?}",
        skipped.len()
    );
    // 12 + 160 creations and 160 changes, numbered 1..=332 with no gap.
    assert_eq!(servers[1].current_seq().unwrap(), 12 + 160 + 160);
}

#[test]
fn a_change_stored_by_one_server_is_heard_by_the_other() {
    let Some(pg) = cluster_or_skip("a_change_stored_by_one_server_is_heard_by_the_other") else {
        return;
    };
    let url = pg.create_database("listen").unwrap();
    let a = postgres(&url, 2);
    let b = postgres(&url, 2);
    let heard = b.listen().unwrap();
    let ann = worker("ann.peeters");
    let mut doc = new_case("ann.peeters");
    let created = a.merge_save(&mut doc, &ann).unwrap();
    add_visit(&mut doc);
    let changed = a.merge_save(&mut doc, &ann).unwrap();
    // Generous: the notification comes with the commit, long before this.
    let wait = Duration::from_secs(60);
    assert_eq!(
        heard.recv_timeout(wait),
        Some(Heard::Changed(FeedEntry {
            seq: created.seq.unwrap(),
            id: doc.id()
        }))
    );
    assert_eq!(
        heard.recv_timeout(wait),
        Some(Heard::Changed(FeedEntry {
            seq: changed.seq.unwrap(),
            id: doc.id()
        }))
    );
    // An unchanged save announces nothing.
    a.merge_save(&mut doc, &ann).unwrap();
    let mut marker = new_case("ann.peeters");
    let m = a.merge_save(&mut marker, &ann).unwrap();
    assert_eq!(
        heard.recv_timeout(wait),
        Some(Heard::Changed(FeedEntry {
            seq: m.seq.unwrap(),
            id: marker.id()
        }))
    );
    assert!(heard.drain().is_empty());
}

/// Every server keeps the report projection up to date. One that saw a
/// case's mark before another change was stored must not store its
/// reading over a newer one; the mark stays until a reading as new as the
/// last change is stored, by whichever server.
#[test]
fn a_projection_read_before_a_newer_change_is_not_stored() {
    let Some(pg) = cluster_or_skip("a_projection_read_before_a_newer_change_is_not_stored") else {
        return;
    };
    let url = pg.create_database("projection").unwrap();
    let a = postgres(&url, 2);
    let b = postgres(&url, 2);
    let ann = worker("ann.peeters");
    let mut doc = new_case("ann.peeters");
    a.merge_save(&mut doc, &ann).unwrap();
    let source = doc.id().to_string();
    let seen = a
        .mark_of(&source)
        .unwrap()
        .expect("a stored case is marked");
    add_visit(&mut doc);
    b.merge_save(&mut doc, &ann).unwrap();
    let newer = a.mark_of(&source).unwrap().unwrap();
    assert!(newer > seen, "a change moves the mark on");

    let stored_facts = |db: &PgDb| -> i64 {
        db.conn()
            .unwrap()
            .query_one(
                "SELECT coalesce(sum(facts), 0)::BIGINT FROM report_series WHERE source = $1",
                &[&source],
            )
            .unwrap()
            .get(0)
    };
    assert!(!a.project_source(&source, seen).unwrap());
    assert_eq!(a.mark_of(&source).unwrap(), Some(newer), "still marked");
    assert_eq!(stored_facts(&a), 0, "nothing stored");

    assert!(b.project_source(&source, newer).unwrap());
    assert_eq!(a.mark_of(&source).unwrap(), None);
    let expected: i64 = db::Projected::of_case("harelbeke".into(), &doc)
        .unwrap()
        .rows()
        .iter()
        .map(|r| r.facts)
        .sum();
    assert!(expected > 0, "the visit is a fact");
    assert_eq!(stored_facts(&a), expected);
    // Late with the same version: the mark is gone, nothing is written.
    assert!(!a.project_source(&source, newer).unwrap());
    assert_eq!(stored_facts(&a), expected);
}

/// The daily retention pass runs on one server at a time: another server
/// that finds it running leaves it (and the lock is free again after a
/// pass that ended, or failed).
#[test]
fn a_job_runs_on_one_server_at_a_time() {
    use brug_sync_server::storage::ServerStore;
    let Some(pg) = cluster_or_skip("a_job_runs_on_one_server_at_a_time") else {
        return;
    };
    let url = pg.create_database("jobs").unwrap();
    let a = postgres(&url, 3);
    let b = postgres(&url, 3);
    let mut other = None;
    let ran = a
        .run_alone("retention", &mut || {
            other = Some(b.run_alone("retention", &mut || Ok(())).unwrap());
            // Another job's name is not held.
            assert!(b.run_alone("export", &mut || Ok(())).unwrap());
            Ok(())
        })
        .unwrap();
    assert!(ran);
    assert_eq!(other, Some(false), "the second server left it");
    assert!(b.run_alone("retention", &mut || Ok(())).unwrap());
    let failed = a.run_alone("retention", &mut || {
        Err(db::DbError::Invalid("kapot".into()))
    });
    assert!(failed.is_err());
    assert!(b.run_alone("retention", &mut || Ok(())).unwrap());
}

/// Admin events (revocations, unassignments, erasures) are followed by
/// number like the feed: writers on two servers push them at once while a
/// reader follows "events after N"; it must see every one.
#[test]
fn a_server_following_the_admin_events_misses_none() {
    use brug_sync_server::storage::ServerStore;
    let Some(pg) = cluster_or_skip("a_server_following_the_admin_events_misses_none") else {
        return;
    };
    let url = pg.create_database("admin_events").unwrap();
    let servers = [postgres(&url, 6), postgres(&url, 6)];
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let server = servers[1].clone();
        let done = done.clone();
        std::thread::spawn(move || {
            let mut cursor = 0;
            let mut seen = BTreeSet::new();
            loop {
                let last = done.load(Ordering::SeqCst);
                for (seq, event) in server.admin_events_since(cursor).unwrap() {
                    assert!(seq > cursor, "the events went backwards");
                    cursor = seq;
                    if let db::AdminEvent::Revoke { device } = event {
                        seen.insert(device);
                    }
                }
                if last {
                    return seen;
                }
            }
        })
    };
    let writers: Vec<_> = (0..4u64)
        .map(|w| {
            let server = servers[(w % 2) as usize].clone();
            std::thread::spawn(move || {
                for i in 0..60 {
                    server
                        .push_admin_event(&db::AdminEvent::Revoke {
                            device: format!("toestel-{w}-{i}"),
                        })
                        .unwrap();
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    done.store(true, Ordering::SeqCst);
    let seen = reader.join().unwrap();
    let missed: Vec<String> = (0..4)
        .flat_map(|w| (0..60).map(move |i| format!("toestel-{w}-{i}")))
        .filter(|d| !seen.contains(d))
        .collect();
    assert!(
        missed.is_empty(),
        "the reader missed {} events: {missed:?}",
        missed.len()
    );
    assert_eq!(servers[0].last_admin_event().unwrap(), 240, "no gaps");
}

/// A server listening to the others hears what another handle stores and
/// not what it stores itself (its own sessions heard that from it
/// already; hearing it again would send every device a second notice and
/// the writing device a needless sync).
#[test]
fn a_server_hears_the_other_servers_changes_and_not_its_own() {
    let Some(pg) = cluster_or_skip("a_server_hears_the_other_servers_changes_and_not_its_own")
    else {
        return;
    };
    let url = pg.create_database("others").unwrap();
    let a = postgres(&url, 2);
    let b = postgres(&url, 2);
    let heard = a.listen_to_others().unwrap();
    let ann = worker("ann.peeters");
    // A's own change first, then B's: announcements come in commit order,
    // so once B's is heard, A's would have been heard before it.
    let mut own = new_case("ann.peeters");
    a.merge_save(&mut own, &ann).unwrap();
    let mut other = new_case("ann.peeters");
    let stored = b.merge_save(&mut other, &ann).unwrap();
    assert_eq!(
        heard.recv_timeout(Duration::from_secs(60)),
        Some(Heard::Changed(FeedEntry {
            seq: stored.seq.unwrap(),
            id: other.id()
        }))
    );
    // And one more of B's: nothing of A's in between.
    add_visit(&mut other);
    let again = b.merge_save(&mut other, &ann).unwrap();
    assert_eq!(
        heard.recv_timeout(Duration::from_secs(60)),
        Some(Heard::Changed(FeedEntry {
            seq: again.seq.unwrap(),
            id: other.id()
        }))
    );
    assert!(heard.drain().is_empty());
}

/// A SQLite deployment's users, devices, cases, chunks, feed, access, sync
/// states and audit copied into PostgreSQL: every case loads with the heads
/// it had, a device's token hash finds it, its sync state is there, the
/// feed and the audit log continue after the highest number, and a second
/// copy into the filled database is refused without changing it.
#[test]
fn sqlite_cases_copied_to_postgres_keep_heads_and_feed() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = sqlite(dir.path());
    let ann = worker("ann.peeters");
    let mut expected = BTreeMap::new();
    let mut rng = Rng::new(7);
    for _ in 0..30 {
        let mut doc = new_case("ann.peeters");
        sqlite.merge_save(&mut doc, &ann).unwrap();
        for _ in 0..rng.below(8) {
            add_visit(&mut doc);
            sqlite.merge_save(&mut doc, &ann).unwrap();
        }
        expected.insert(doc.id(), doc.heads());
    }
    let case = *expected.keys().next().unwrap();
    sqlite
        .add_device("dev-ann", "ann.peeters", "tablet Ann", &[9u8; 32], &[4, 5])
        .unwrap();
    sqlite.save_sync_state("dev-ann", case, b"state").unwrap();
    sqlite.assign(case, "bert.devos").unwrap();
    sqlite
        .audit(Some("ann.peeters"), Some("dev-ann"), "sync", &[case], "")
        .unwrap();
    sqlite.revoke_device("dev-ann").unwrap();
    let feed_before = sqlite.changed_since(0, 1000).unwrap();
    let audit_before = sqlite.audit_tail(1000).unwrap();
    let Some(pg) = cluster_or_skip("sqlite_cases_copied_to_postgres_keep_heads_and_feed") else {
        return;
    };
    let url = pg.create_database("copy").unwrap();
    let target = PgDb::connect(&url, 2).unwrap();
    let report = target.copy_from_sqlite(&sqlite).unwrap();
    assert_eq!(report.rows("documents"), 30);
    assert_eq!(
        (
            report.rows("users"),
            report.rows("devices"),
            report.rows("sync_states")
        ),
        (2, 1, 1)
    );
    assert_eq!(report.verified, 30);
    assert!(
        report.rows("document_chunks") > 0,
        "some cases had chunks: {report:?}"
    );
    for (id, heads) in &expected {
        assert_eq!(target.heads(*id).unwrap().as_ref(), Some(heads));
        assert_eq!(target.load(*id).unwrap().unwrap().heads(), *heads);
    }
    assert_eq!(target.changed_since(0, 1000).unwrap(), feed_before);
    let (device, user) = target.device_by_token(&[9u8; 32]).unwrap().unwrap();
    assert_eq!(
        (device.id.as_str(), user.id.as_str()),
        ("dev-ann", "ann.peeters")
    );
    assert!(device.revoked_at.is_some(), "still revoked");
    assert_eq!(
        target.sync_state("dev-ann", case).unwrap().as_deref(),
        Some(&b"state"[..])
    );
    let bert = target.user("bert.devos").unwrap().unwrap();
    assert!(target.may_access(&bert, case).unwrap());
    assert_eq!(target.audit_tail(1000).unwrap(), audit_before);
    target.audit(None, None, "copy", &[], "").unwrap();
    assert_eq!(
        target.audit_tail(1000).unwrap().len(),
        audit_before.len() + 1
    );
    let last = sqlite.current_seq().unwrap();
    assert_eq!(target.current_seq().unwrap(), last);

    // The copy is a working store: the next change goes after the last.
    let mut doc = target.load(case).unwrap().unwrap();
    add_visit(&mut doc);
    assert_eq!(
        target.merge_save(&mut doc, &ann).unwrap().seq,
        Some(last + 1)
    );

    let ids: BTreeSet<Uuid> = target.ids().unwrap().into_iter().collect();
    let err = target.copy_from_sqlite(&sqlite).unwrap_err().to_string();
    assert!(err.contains("niet leeg"), "{err}");
    assert_eq!(
        target.ids().unwrap().into_iter().collect::<BTreeSet<_>>(),
        ids
    );
    assert_eq!(target.current_seq().unwrap(), last + 1);
}

#[test]
fn a_wrong_or_unreachable_database_url_is_a_clear_error() {
    let err = PgDb::connect("mysql://nope", 1).unwrap_err().to_string();
    assert!(err.contains("PostgreSQL-URL"), "{err}");
    // A port nothing listens on: refused, not a hang or a panic.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = PgDb::connect(&format!("postgres://brug@127.0.0.1:{port}/x"), 1)
        .unwrap_err()
        .to_string();
    assert!(err.contains("PostgreSQL"), "{err}");
}

fn quoted(cols: &[&str]) -> String {
    cols.iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every table's rows, as text, for comparing two databases.
fn sqlite_rows(db: &Db, table: &str, cols: &str) -> Vec<String> {
    let conn = db.reader();
    let mut stmt = conn
        .prepare(&format!("SELECT {cols} FROM {table} ORDER BY 1, 2"))
        .unwrap();
    let n = stmt.column_count();
    stmt.query_map([], |r| {
        Ok((0..n)
            .map(|i| match r.get_ref(i).unwrap() {
                rusqlite::types::ValueRef::Null => "NULL".to_string(),
                rusqlite::types::ValueRef::Integer(v) => v.to_string(),
                rusqlite::types::ValueRef::Real(v) => v.to_string(),
                rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                rusqlite::types::ValueRef::Blob(b) => hex::encode(b),
            })
            .collect::<Vec<_>>()
            .join("|"))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

fn postgres_rows(url: &str, table: &str, cols: &str) -> Vec<String> {
    let mut c = ::postgres::Client::connect(url, ::postgres::NoTls).unwrap();
    // Text per column, bytea as hex, NULL spelled out, like `sqlite_rows`.
    let rows = c
        .query(&format!("SELECT {cols} FROM {table} ORDER BY 1, 2"), &[])
        .unwrap();
    rows.iter()
        .map(|r| {
            (0..r.len())
                .map(|i| {
                    let ty = r.columns()[i].type_().clone();
                    if ty == ::postgres::types::Type::BYTEA {
                        r.get::<_, Option<Vec<u8>>>(i)
                            .map_or("NULL".into(), hex::encode)
                    } else if ty == ::postgres::types::Type::INT8 {
                        r.get::<_, Option<i64>>(i)
                            .map_or("NULL".into(), |v| v.to_string())
                    } else if ty == ::postgres::types::Type::INT4 {
                        r.get::<_, Option<i32>>(i)
                            .map_or("NULL".into(), |v| v.to_string())
                    } else {
                        r.get::<_, Option<String>>(i)
                            .unwrap_or_else(|| "NULL".into())
                    }
                })
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect()
}

/// `brug-sync-server migrate-to-postgres` on the demo deployment (users,
/// cases, an enrolled device, an enrolment code, the report projection, the
/// audit log): every table's rows equal on both sides, column by column,
/// and every case's heads; nothing in the data folder changed; a second run
/// refused.
#[test]
fn migrate_to_postgres_copies_the_demo_deployment_row_for_row() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path()).unwrap();
    let users = brug_sync_server::demo::seed(&mut db.lock()).unwrap();
    db::add_enrol_code(&db.lock(), &[3u8; 32], &users[0].id, i64::MAX).unwrap();
    db.add_device("dev-1", &users[0].id, "tablet", &[5u8; 32], &[6u8; 16])
        .unwrap();
    let some_case = db.ids().unwrap()[0];
    db.save_sync_state("dev-1", some_case, b"shared heads")
        .unwrap();
    // The report projection filled, as a running server keeps it.
    let projected = db::project_pending(&mut db.lock()).unwrap();
    assert!(projected > 0);
    // Every SQLite table and column is copied: a later SQLite migration
    // without its PostgreSQL counterpart fails here.
    {
        let conn = db.reader();
        let tables: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let mut copied: Vec<&str> = brug_sync_server::storage::postgres::COPIED
            .iter()
            .map(|t| t.name)
            .collect();
        copied.sort_unstable();
        assert_eq!(tables, copied);
        for t in brug_sync_server::storage::postgres::COPIED {
            let mut cols: Vec<String> = conn
                .prepare(&format!("SELECT name FROM pragma_table_info('{}')", t.name))
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            cols.sort();
            let mut ours = t.columns();
            ours.sort_unstable();
            assert_eq!(cols, ours, "columns of {}", t.name);
        }
    }
    let all_rows = |db: &Db| -> Vec<Vec<String>> {
        brug_sync_server::storage::postgres::COPIED
            .iter()
            .map(|t| sqlite_rows(db, t.name, &quoted(&t.columns())))
            .collect()
    };
    let before = all_rows(&db);
    let Some(pg) = cluster_or_skip("migrate_to_postgres_copies_the_demo_deployment_row_for_row")
    else {
        return;
    };
    let url = pg.create_database("demo").unwrap();
    let run = |url: &str| {
        std::process::Command::new(brug_tests::bin("brug-sync-server"))
            .args(["--json", "migrate-to-postgres", "--from"])
            .arg(dir.path())
            .args(["--to", url])
            .output()
            .unwrap()
    };
    let out = run(&url);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let cases = db.ids().unwrap().len() as u64;
    assert!(cases >= 5);
    assert_eq!(report["cases_verified"], cases);
    assert_eq!(report["tables"]["documents"], cases);
    assert_eq!(report["tables"]["devices"], 1);
    for table in brug_sync_server::storage::postgres::COPIED {
        let quoted = quoted(&table.columns());
        assert_eq!(
            postgres_rows(&url, table.name, &quoted),
            sqlite_rows(&db, table.name, &quoted),
            "table {}",
            table.name
        );
    }
    let pgdb = PgDb::connect(&url, 2).unwrap();
    for id in db.ids().unwrap() {
        assert_eq!(pgdb.heads(id).unwrap(), db.heads(id).unwrap());
    }
    // A second run into the filled database: refused, a clear message.
    let again = run(&url);
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("niet leeg"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert!(
        all_rows(&db) == before,
        "the data folder's database changed"
    );
    // No URL (and no BRUG_DATABASE_URL): a clear usage error.
    let out = std::process::Command::new(brug_tests::bin("brug-sync-server"))
        .args(["migrate-to-postgres", "--from"])
        .arg(dir.path())
        .env_remove("BRUG_DATABASE_URL")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--to"));
}

/// A deployment of 1,000 cases (ten generated ones with years of casework,
/// the rest with a few visits each) copied:
/// every case loads from PostgreSQL with its SQLite heads, and the next
/// change on PostgreSQL merges onto it.
#[test]
fn a_thousand_case_deployment_copied_to_postgres_keeps_every_cases_heads() {
    use brug_shared::caseload::{self, Rng as CaseRng, Shape};
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite(dir.path());
    let ann = db.user("ann.peeters").unwrap().unwrap();
    let editor = editor("ann.peeters", 1);
    let mut rng = CaseRng::new(18);
    {
        let mut conn = db.lock();
        let tx = conn.transaction().unwrap();
        for i in 0..1000 {
            // Generated casework is slow to make in a debug build: ten
            // full cases (one of five years), the rest small ones.
            let mut doc = match i {
                0 => caseload::case(&mut rng, Shape::FIVE_YEARS, &editor),
                _ if i % 100 == 0 => caseload::case(&mut rng, Shape::TYPICAL, &editor),
                _ => {
                    let mut doc = new_case("ann.peeters");
                    for _ in 0..i % 4 {
                        add_visit(&mut doc);
                    }
                    doc
                }
            };
            brug_shared::store::save_in(&tx, &mut doc).unwrap();
            db::record_change(&tx, doc.id(), &ann, true).unwrap();
        }
        tx.commit().unwrap();
    }
    let Some(pg) =
        cluster_or_skip("a_thousand_case_deployment_copied_to_postgres_keeps_every_cases_heads")
    else {
        return;
    };
    let url = pg.create_database("thousand").unwrap();
    let target = PgDb::connect(&url, 2).unwrap();
    let report = target.copy_from_sqlite(&db).unwrap();
    assert_eq!(report.rows("documents"), 1000);
    assert_eq!(report.verified, 1000);
    for id in db.ids().unwrap() {
        assert_eq!(target.heads(id).unwrap(), db.heads(id).unwrap(), "{id}");
    }
    let id = db.ids().unwrap()[500];
    let mut doc = target.load(id).unwrap().unwrap();
    let visit = add_visit(&mut doc);
    target.merge_save(&mut doc, &ann).unwrap();
    assert!(has_visit(&target.load(id).unwrap().unwrap(), visit));
    assert_eq!(target.current_seq().unwrap(), 1001);
}

/// A device's side of one case's sync with a server session
/// ([`brug_tests::backends::exchange`]): until neither side has more to say.
fn sync_case(
    server: &PgDb,
    cache: &brug_sync_server::docs::DocCache,
    session: &mut brug_sync_server::session::Session,
    doc: &mut CaseDoc,
    state: &mut automerge::sync::State,
    create: bool,
) {
    brug_tests::backends::exchange(server, cache, session, doc, state, create, None);
}

/// A session on `server` for the device with token hash `token`, greeted.
fn session_on(server: &PgDb, token: &[u8]) -> brug_sync_server::session::Session {
    use brug_sync_server::storage::SessionStore;
    let (device, user) = server.device_by_token(token).unwrap().unwrap();
    let mut s = brug_sync_server::session::Session::new(1, device.clone(), user.clone(), 60_000);
    let metrics = brug_sync_server::metrics::Metrics::default();
    s.hello(
        server,
        &metrics,
        brug_shared::protocol::PROTOCOL_VERSION,
        0,
        Some(&[]),
        brug_shared::protocol::Certificates::default(),
    )
    .unwrap();
    // The hello noted the device as seen: the catch-up agrees.
    assert!(server.hello(&user, &device, 0, Some(&[])).is_ok());
    s
}

/// Two servers (each its own pool and case cache) on one PostgreSQL, real
/// sync sessions (the policy checks, the commit, the sync states), two
/// devices: a case made through one server reaches the other device
/// through the other; a server whose cached copy is stale (the other server
/// stored since) still hands over the other's change; both devices editing
/// at once through crossed servers end with every visit, equal to the
/// store.
#[test]
fn two_servers_on_one_database_serve_the_same_case_without_losing_a_change() {
    use automerge::sync::State;
    use brug_sync_server::docs::DocCache;
    let Some(pg) =
        cluster_or_skip("two_servers_on_one_database_serve_the_same_case_without_losing_a_change")
    else {
        return;
    };
    let url = pg.create_database("sessions").unwrap();
    let (a, b) = (postgres(&url, 4), postgres(&url, 4));
    let (cache_a, cache_b) = (DocCache::new(16), DocCache::new(16));
    let (dev_ann, dev_bert) = (Uuid::now_v7(), Uuid::now_v7());
    a.add_device(
        &dev_ann.to_string(),
        "ann.peeters",
        "tablet Ann",
        &[1; 32],
        &[],
    )
    .unwrap();
    a.add_device(
        &dev_bert.to_string(),
        "bert.devos",
        "gsm Bert",
        &[2; 32],
        &[],
    )
    .unwrap();
    let ann_editor = Editor {
        user: "ann.peeters".into(),
        device: dev_ann,
    };
    let bert_editor = Editor {
        user: "bert.devos".into(),
        device: dev_bert,
    };

    // Ann makes the case and syncs it through server A.
    let mut ann = CaseDoc::create(Uuid::now_v7(), &examples::household(), &ann_editor).unwrap();
    let id = ann.id();
    let mut ann_state = State::new();
    let mut s = session_on(&a, &[1; 32]);
    sync_case(&a, &cache_a, &mut s, &mut ann, &mut ann_state, true);
    assert_eq!(a.heads(id).unwrap().unwrap(), ann.heads());

    // Bert, once assigned, gets it through server B.
    assert!(a.assign(id, "bert.devos").unwrap());
    let mut bert = CaseDoc::empty(id);
    let mut bert_state = State::new();
    let mut s = session_on(&b, &[2; 32]);
    sync_case(&b, &cache_b, &mut s, &mut bert, &mut bert_state, false);
    assert_eq!(bert.heads(), ann.heads());

    // Bert adds a visit through B; A's cached copy does not have it. Ann,
    // with nothing new, syncs through A and gets it all the same.
    bert.set_editor(&bert_editor);
    let v_bert = add_visit(&mut bert);
    let mut s = session_on(&b, &[2; 32]);
    sync_case(&b, &cache_b, &mut s, &mut bert, &mut bert_state, false);
    let mut s = session_on(&a, &[1; 32]);
    sync_case(&a, &cache_a, &mut s, &mut ann, &mut ann_state, false);
    assert!(
        has_visit(&ann, v_bert),
        "server A answered from a stale copy"
    );

    // Both add a visit at once, each through the other server.
    ann.set_editor(&ann_editor);
    let v_ann = add_visit(&mut ann);
    let v_bert2 = add_visit(&mut bert);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let mut s = session_on(&b, &[1; 32]);
            sync_case(&b, &cache_b, &mut s, &mut ann, &mut ann_state, false);
        });
        scope.spawn(|| {
            let mut s = session_on(&a, &[2; 32]);
            sync_case(&a, &cache_a, &mut s, &mut bert, &mut bert_state, false);
        });
    });
    // Once more each, any server: everything everywhere.
    let mut s = session_on(&a, &[1; 32]);
    sync_case(&a, &cache_a, &mut s, &mut ann, &mut ann_state, false);
    let mut s = session_on(&b, &[2; 32]);
    sync_case(&b, &cache_b, &mut s, &mut bert, &mut bert_state, false);
    for doc in [&ann, &bert] {
        for v in [v_bert, v_ann, v_bert2] {
            assert!(has_visit(doc, v));
        }
    }
    let stored = b.heads(id).unwrap().unwrap();
    assert_eq!(ann.heads(), stored);
    assert_eq!(bert.heads(), stored);
    // The sessions kept each device's sync state in the shared database.
    assert!(a.sync_state(&dev_ann.to_string(), id).unwrap().is_some());
    assert!(b.sync_state(&dev_bert.to_string(), id).unwrap().is_some());
}

/// One simulated device: its user, its copy of each case and its sync
/// state per case (only the shared heads survive a session, as on a real
/// device that keeps `State::encode`).
struct SimDevice {
    token: [u8; 32],
    editor: Editor,
    docs: Vec<CaseDoc>,
    states: Vec<Vec<u8>>,
    added: Vec<Uuid>,
}

/// Like [`sync_case`], from and to the state as a device keeps it (only the
/// shared heads), and cut after `cut` messages when given (the server died
/// or the network dropped mid-sync): what the server committed stays.
fn sync_case_cut(
    server: &PgDb,
    cache: &brug_sync_server::docs::DocCache,
    session: &mut brug_sync_server::session::Session,
    doc: &mut CaseDoc,
    state: &mut Vec<u8>,
    cut: Option<usize>,
) {
    let mut live =
        automerge::sync::State::decode(state).unwrap_or_else(|_| automerge::sync::State::new());
    brug_tests::backends::exchange(server, cache, session, doc, &mut live, false, cut);
    *state = live.encode();
}

/// Three servers (pools and case caches) on one PostgreSQL and ten devices
/// of two users on three cases, per seed: rounds in which random devices
/// add visits offline and random devices sync at the same moment, each
/// through a random server, some syncs cut off midway, and between rounds
/// a random server "killed" (its cached cases and sessions gone; the
/// database keeps what it committed). At the end every device syncs twice:
/// every visit any device made is in the store and on every device, and
/// all equal the store. Seeds: `BRUG_PG_CONVERGE_SEEDS` (default 50).
///
/// The servers here are in-process (sessions driven directly, no TLS): a
/// server process killed by SIGKILL is the next step (issue 18).
#[test]
fn three_servers_on_one_database_converge_whatever_the_order() {
    use brug_sync_server::docs::DocCache;
    let Some(pg) = cluster_or_skip("three_servers_on_one_database_converge_whatever_the_order")
    else {
        return;
    };
    let url = pg.create_database("converge").unwrap();
    let servers = [postgres(&url, 6), postgres(&url, 6), postgres(&url, 6)];
    let seeds: u64 = std::env::var("BRUG_PG_CONVERGE_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(50);
    for seed in 0..seeds {
        let mut rng = Rng::new(seed + 1000);
        let mut caches: Vec<DocCache> = (0..3).map(|_| DocCache::new(8)).collect();
        let mut devices: Vec<SimDevice> = (0..10u8)
            .map(|d| {
                let user = if d % 2 == 0 {
                    "ann.peeters"
                } else {
                    "bert.devos"
                };
                let id = Uuid::now_v7();
                let mut token = [0u8; 32];
                token[..8].copy_from_slice(&seed.to_be_bytes());
                token[31] = d;
                servers[0]
                    .add_device(&id.to_string(), user, &format!("toestel {d}"), &token, &[])
                    .unwrap();
                SimDevice {
                    token,
                    editor: Editor {
                        user: user.into(),
                        device: id,
                    },
                    docs: Vec::new(),
                    states: Vec::new(),
                    added: Vec::new(),
                }
            })
            .collect();
        // Ann's first device makes three cases; Bert is assigned to them.
        let cases: Vec<Uuid> = (0..3)
            .map(|_| {
                let dev = &mut devices[0];
                let mut doc =
                    CaseDoc::create(Uuid::now_v7(), &examples::household(), &dev.editor).unwrap();
                let mut s = session_on(&servers[0], &dev.token);
                let mut live = automerge::sync::State::new();
                sync_case(&servers[0], &caches[0], &mut s, &mut doc, &mut live, true);
                let id = doc.id();
                servers[0].assign(id, "bert.devos").unwrap();
                id
            })
            .collect();
        for dev in &mut devices {
            dev.docs = cases.iter().map(|id| CaseDoc::empty(*id)).collect();
            dev.states = vec![Vec::new(); cases.len()];
        }
        for _round in 0..4 {
            for dev in &mut devices {
                if rng.below(2) == 0 {
                    let c = rng.below(cases.len() as u64) as usize;
                    // A device adds to a case only once it holds it.
                    if dev.docs[c].change_count() > 0 {
                        let editor = dev.editor.clone();
                        dev.docs[c].set_editor(&editor);
                        let v = add_visit(&mut dev.docs[c]);
                        dev.added.push(v);
                    }
                }
            }
            let plan: Vec<(usize, Vec<Option<usize>>)> = devices
                .iter()
                .map(|_| {
                    let server = rng.below(3) as usize;
                    let cuts = cases
                        .iter()
                        .map(|_| (rng.below(5) == 0).then(|| rng.below(3) as usize))
                        .collect();
                    (server, cuts)
                })
                .collect();
            let syncing: Vec<bool> = devices.iter().map(|_| rng.below(3) != 0).collect();
            std::thread::scope(|scope| {
                for ((dev, (server, cuts)), go) in devices.iter_mut().zip(&plan).zip(&syncing) {
                    if !go {
                        continue;
                    }
                    let (server, cache) = (&servers[*server], &caches[*server]);
                    scope.spawn(move || {
                        let mut s = session_on(server, &dev.token);
                        for ((doc, state), cut) in
                            dev.docs.iter_mut().zip(&mut dev.states).zip(cuts)
                        {
                            sync_case_cut(server, cache, &mut s, doc, state, *cut);
                        }
                    });
                }
            });
            if rng.below(2) == 0 {
                // A server dies: its memory is gone, the database stays.
                caches[rng.below(3) as usize] = DocCache::new(8);
            }
        }
        for pass in 0..2 {
            for dev in &mut devices {
                let server = ((pass + rng.below(3)) % 3) as usize;
                let mut s = session_on(&servers[server], &dev.token);
                for (doc, state) in dev.docs.iter_mut().zip(&mut dev.states) {
                    sync_case_cut(&servers[server], &caches[server], &mut s, doc, state, None);
                }
            }
        }
        let made: Vec<Uuid> = devices.iter().flat_map(|d| d.added.clone()).collect();
        for (c, id) in cases.iter().enumerate() {
            let stored = servers[2].load(*id).unwrap().unwrap();
            let mut stored_heads = servers[1].heads(*id).unwrap().unwrap();
            stored_heads.sort();
            for dev in &mut devices {
                let mut heads = dev.docs[c].heads();
                heads.sort();
                assert_eq!(
                    heads, stored_heads,
                    "seed {seed}: a device differs from the store"
                );
            }
            for v in &made {
                if stored.record(RecordKind::Visit, *v).unwrap().is_some() {
                    continue;
                }
                // Not in this case: it must be in another one.
                assert!(
                    cases.iter().any(|other| servers[0]
                        .load(*other)
                        .unwrap()
                        .unwrap()
                        .record(RecordKind::Visit, *v)
                        .unwrap()
                        .is_some()),
                    "seed {seed}: visit {v} lost"
                );
            }
        }
    }
}

/// A database that takes TCP over TLS only, with a certificate for
/// 127.0.0.1: trusted with its CA given, the copy and the stores work;
/// without the CA, or with another one, the connection is refused with an
/// error that says to give the CA, and nothing is written; `sslmode=disable`
/// is refused by the database.
#[test]
fn the_database_is_reached_over_tls_with_its_certificate_checked() {
    let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let (cert, key) = (made.cert.pem(), made.signing_key.serialize_pem());
    let Some(pg) = (match brug_tests::pg::PgCluster::start_tls(&cert, &key) {
        Ok(c) => Some(c),
        Err(why) => {
            // The loud skip (or failure under BRUG_REQUIRE_POSTGRES).
            cluster_or_skip(&format!("the_database_is_reached_over_tls ({why})"));
            None
        }
    }) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &cert).unwrap();
    let url = pg.create_database("tls").unwrap();

    let err = PgDb::connect(&url, 1).unwrap_err().to_string();
    assert!(err.contains("CA-certificaat"), "{err}");
    let other = dir.path().join("other.pem");
    let stranger = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    std::fs::write(&other, stranger.cert.pem()).unwrap();
    let err = PgDb::connect_with_ca(&url, 1, Some(&other))
        .unwrap_err()
        .to_string();
    assert!(err.contains("CA-certificaat"), "{err}");
    let err = PgDb::connect(&format!("{url}?sslmode=disable"), 1)
        .unwrap_err()
        .to_string();
    assert!(err.contains("PostgreSQL"), "{err}");
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "geen certificaat").unwrap();
    let err = PgDb::connect_with_ca(&url, 1, Some(&junk))
        .unwrap_err()
        .to_string();
    assert!(err.contains("CA-certificaat"), "{err}");

    let db = PgDb::connect_with_ca(&format!("{url}?sslmode=require"), 2, Some(&ca)).unwrap();
    behaves_like_a_case_store(&{
        db.add_user("Ann Peeters", Role::BridgeWorker, "harelbeke")
            .unwrap();
        db
    });
    // The command line with the CA: the copy goes over TLS.
    let data = tempfile::tempdir().unwrap();
    let src = sqlite(data.path());
    let mut doc = new_case("ann.peeters");
    src.merge_save(&mut doc, &worker("ann.peeters")).unwrap();
    drop(src);
    let target = pg.create_database("tls_copy").unwrap();
    let run = |ca: Option<&std::path::Path>| {
        let mut cmd = std::process::Command::new(brug_tests::bin("brug-sync-server"));
        cmd.args(["migrate-to-postgres", "--from"])
            .arg(data.path())
            .args(["--to", &target])
            .env_remove("BRUG_DATABASE_CA");
        if let Some(ca) = ca {
            cmd.arg("--database-ca").arg(ca);
        }
        cmd.output().unwrap()
    };
    let refused = run(None);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("CA-certificaat"));
    let done = run(Some(&ca));
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let copied = PgDb::connect_with_ca(&target, 1, Some(&ca)).unwrap();
    assert_eq!(copied.ids().unwrap(), vec![doc.id()]);
}

/// A change stored through server A reaches the sessions of server B as a
/// live notice (`relay_to_hub`): B's hub says the case changed, with no
/// session of B as its origin.
#[test]
fn a_change_stored_through_one_server_is_pushed_to_the_other_servers_sessions() {
    use brug_sync_server::hub::{Hub, HubEvent};
    use brug_sync_server::storage::postgres::relay_to_hub;
    let Some(pg) = cluster_or_skip(
        "a_change_stored_through_one_server_is_pushed_to_the_other_servers_sessions",
    ) else {
        return;
    };
    let url = pg.create_database("relay").unwrap();
    let (a, b) = (postgres(&url, 2), postgres(&url, 2));
    let hub_b = std::sync::Arc::new(Hub::new());
    let mut heard = hub_b.subscribe();
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let relay = relay_to_hub(b.listen().unwrap(), hub_b.clone(), stop.clone()).unwrap();
    let ann = worker("ann.peeters");
    let mut doc = new_case("ann.peeters");
    a.merge_save(&mut doc, &ann).unwrap();
    add_visit(&mut doc);
    a.merge_save(&mut doc, &ann).unwrap();
    // Generous: the notice follows the commit at once.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let mut notices = 0;
    while notices < 2 && std::time::Instant::now() < deadline {
        match heard.try_recv() {
            Ok(event) => {
                assert!(
                    matches!(event, HubEvent::DocChanged { doc: d, origin: 0, .. } if d == doc.id()),
                    "{event:?}"
                );
                notices += 1;
            }
            Err(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
    assert_eq!(notices, 2, "B's sessions heard of both changes");
    stop.store(true, Ordering::Relaxed);
    relay.join().unwrap();
}
