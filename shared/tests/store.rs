//! The SQLite document store: round trip, incremental saves, compaction,
//! interrupted writes.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they set up

use brug_shared::casedoc::{CaseDoc, Editor, Target};
use brug_shared::model::{RecordKind, examples};
use brug_shared::store::{self, Saved, StoreError};
use serde_json::json;
use uuid::Uuid;

fn editor() -> Editor {
    Editor {
        user: "ann.brugfiguur".into(),
        device: Uuid::new_v4(),
    }
}

fn new_case() -> CaseDoc {
    CaseDoc::create(Uuid::now_v7(), &examples::household(), &editor()).unwrap()
}

fn open() -> (tempfile::TempDir, rusqlite::Connection) {
    let dir = tempfile::tempdir().unwrap();
    let conn = store::open(&dir.path().join("brug.sqlite")).unwrap();
    (dir, conn)
}

#[test]
fn a_saved_case_loads_back_identical() {
    let (_dir, mut conn) = open();
    let mut doc = new_case();
    for kind in RecordKind::ALL {
        doc.add_record(&examples::example(*kind), "added").unwrap();
    }
    assert_eq!(store::save(&mut conn, &mut doc).unwrap(), Saved::Created);
    let mut loaded = store::load(&conn, doc.id()).unwrap().unwrap();
    assert_eq!(loaded.case().unwrap(), doc.case().unwrap());
    assert_eq!(loaded.heads(), doc.heads());
    assert_eq!(store::heads(&conn, doc.id()).unwrap().unwrap(), doc.heads());
    assert_eq!(store::ids(&conn).unwrap(), vec![doc.id()]);
    assert!(store::load(&conn, Uuid::now_v7()).unwrap().is_none());
}

#[test]
fn saving_again_without_changes_writes_nothing() {
    let (_dir, mut conn) = open();
    let mut doc = new_case();
    store::save(&mut conn, &mut doc).unwrap();
    assert_eq!(store::save(&mut conn, &mut doc).unwrap(), Saved::Unchanged);
}

#[test]
fn an_incremental_save_after_load_does_not_rewrite_the_whole_history() {
    let (_dir, mut conn) = open();
    let mut doc = new_case();
    for _ in 0..30 {
        doc.add_record(&examples::example(RecordKind::Visit), "visit added")
            .unwrap();
    }
    store::save(&mut conn, &mut doc).unwrap();
    let (snapshot, _, _) = store::stored_bytes(&conn, doc.id()).unwrap().unwrap();

    let mut loaded = store::load(&conn, doc.id()).unwrap().unwrap();
    loaded.set_editor(&editor());
    loaded
        .set_field(Target::Household, &"phone".into(), json!("0470 12 34 56"))
        .unwrap();
    let Saved::Appended(chunk) = store::save(&mut conn, &mut loaded).unwrap() else {
        panic!("expected an appended chunk")
    };
    assert!(
        chunk * 10 < snapshot as usize,
        "chunk {chunk} bytes vs snapshot {snapshot}"
    );
    let (_, chunk_bytes, chunks) = store::stored_bytes(&conn, doc.id()).unwrap().unwrap();
    assert_eq!((chunk_bytes as usize, chunks), (chunk, 1));
    let mut again = store::load(&conn, doc.id()).unwrap().unwrap();
    assert_eq!(
        again.household().unwrap().phone.as_deref(),
        Some("0470 12 34 56")
    );
    assert_eq!(again.heads(), loaded.heads());
}

#[test]
fn chunks_that_outgrow_the_snapshot_are_compacted_keeping_content() {
    let (_dir, mut conn) = open();
    let mut doc = new_case();
    store::save(&mut conn, &mut doc).unwrap();
    let mut compacted = false;
    for i in 0..40 {
        doc.set_field(
            Target::Household,
            &"phone".into(),
            json!(format!("0470 00 00 {i:02}")),
        )
        .unwrap();
        doc.add_record(&examples::example(RecordKind::Visit), "visit added")
            .unwrap();
        if let Saved::Compacted(_) = store::save(&mut conn, &mut doc).unwrap() {
            compacted = true;
        }
        let (snapshot, chunk_bytes, _) = store::stored_bytes(&conn, doc.id()).unwrap().unwrap();
        assert!(chunk_bytes <= snapshot);
    }
    assert!(compacted);
    let loaded = store::load(&conn, doc.id()).unwrap().unwrap();
    assert_eq!(loaded.case().unwrap(), doc.case().unwrap());
    assert_eq!(loaded.case().unwrap().visits.len(), 40);
    // Compacting on demand keeps the content too.
    store::compact(&mut conn, doc.id()).unwrap();
    let (_, chunk_bytes, chunks) = store::stored_bytes(&conn, doc.id()).unwrap().unwrap();
    assert_eq!((chunk_bytes, chunks), (0, 0));
    assert_eq!(
        store::load(&conn, doc.id())
            .unwrap()
            .unwrap()
            .case()
            .unwrap(),
        doc.case().unwrap()
    );
}

#[test]
fn a_write_interrupted_before_commit_leaves_the_previous_state() {
    let (_dir, mut conn) = open();
    let mut doc = new_case();
    store::save(&mut conn, &mut doc).unwrap();
    let before = store::load(&conn, doc.id())
        .unwrap()
        .unwrap()
        .case()
        .unwrap();

    doc.set_field(Target::Household, &"phone".into(), json!("0470 99 99 99"))
        .unwrap();
    {
        let tx = conn.transaction().unwrap();
        assert!(matches!(
            store::save_in(&tx, &mut doc).unwrap(),
            Saved::Appended(_)
        ));
        // The process dies here: the transaction is dropped, never committed.
    }
    let after = store::load(&conn, doc.id())
        .unwrap()
        .unwrap()
        .case()
        .unwrap();
    assert_eq!(after, before);
    // The next save still writes the change.
    assert!(matches!(
        store::save(&mut conn, &mut doc).unwrap(),
        Saved::Appended(_)
    ));
    let mut reopened = store::load(&conn, doc.id()).unwrap().unwrap();
    assert_eq!(
        reopened.household().unwrap().phone.as_deref(),
        Some("0470 99 99 99")
    );
    assert_eq!(reopened.heads(), doc.heads());
}

#[test]
fn a_store_survives_closing_and_reopening_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("brug.sqlite");
    let mut doc = new_case();
    doc.add_record(&examples::example(RecordKind::Visit), "visit added")
        .unwrap();
    {
        let mut conn = store::open(&path).unwrap();
        store::save(&mut conn, &mut doc).unwrap();
    }
    let conn = store::open(&path).unwrap();
    assert_eq!(
        store::load(&conn, doc.id())
            .unwrap()
            .unwrap()
            .case()
            .unwrap(),
        doc.case().unwrap()
    );
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
}

#[test]
fn saving_a_replica_that_lacks_stored_changes_is_refused() {
    let (_dir, mut conn) = open();
    let mut doc = new_case();
    let mut stale = CaseDoc::load(&doc.save(), &[]).unwrap();
    stale.set_editor(&editor());
    store::save(&mut conn, &mut doc).unwrap();
    doc.set_field(Target::Household, &"phone".into(), json!("1"))
        .unwrap();
    store::save(&mut conn, &mut doc).unwrap();
    stale
        .set_field(Target::Household, &"phone".into(), json!("2"))
        .unwrap();
    assert!(matches!(
        store::save(&mut conn, &mut stale),
        Err(StoreError::Stale)
    ));
    let mut loaded = store::load(&conn, doc.id()).unwrap().unwrap();
    assert_eq!(loaded.heads(), doc.heads());
}

#[test]
fn deleting_a_document_removes_its_chunks() {
    let (_dir, mut conn) = open();
    let mut doc = new_case();
    store::save(&mut conn, &mut doc).unwrap();
    doc.set_field(Target::Household, &"phone".into(), json!("1"))
        .unwrap();
    store::save(&mut conn, &mut doc).unwrap();
    assert!(store::delete(&conn, doc.id()).unwrap());
    let chunks: i64 = conn
        .query_row("SELECT COUNT(*) FROM document_chunks", [], |r| r.get(0))
        .unwrap();
    assert_eq!(chunks, 0);
    assert!(store::load(&conn, doc.id()).unwrap().is_none());
}

/// A case that came whole in a sync message (a device restoring it) is
/// kept as the document chunk it came in: it loads back the same, and
/// later edits are appended as before. A message that brings a snapshot
/// and chunks (as the server sends them), or anything for a replica that
/// held something already, gives nothing to keep: the case is saved as
/// usual.
#[test]
fn a_case_received_whole_is_kept_as_it_came() {
    use automerge::sync::{Message, MessageFlags, MessageVersion, State};
    use brug_shared::protocol::is_one_document_chunk;

    let mut server = new_case();
    for _ in 0..3 {
        server
            .add_record(&examples::example(RecordKind::Visit), "visit added")
            .unwrap();
    }
    let (mut ours, mut theirs) = (State::new(), State::new());
    let mut device = CaseDoc::empty(server.id());
    let first = device.generate_sync_message(&mut ours).unwrap();
    server.receive_sync_message(&mut theirs, &first).unwrap();
    let whole = server.generate_sync_message(&mut theirs).unwrap();
    let kept = device
        .receive_sync_message_whole(&mut ours, &whole)
        .unwrap()
        .expect("the document chunk it came in");
    assert!(is_one_document_chunk(&kept));
    assert_eq!(device.heads(), server.heads());

    let (_dir, mut conn) = open();
    let tx = conn.transaction().unwrap();
    assert_eq!(
        store::save_received_in(&tx, &mut device, &kept).unwrap(),
        Saved::Created
    );
    tx.commit().unwrap();
    let mut loaded = store::load(&conn, server.id()).unwrap().unwrap();
    assert_eq!(loaded.heads(), server.heads());
    assert_eq!(loaded.case().unwrap(), server.case().unwrap());
    loaded
        .add_record(&examples::example(RecordKind::MeterCheck), "check added")
        .unwrap();
    assert!(matches!(
        store::save(&mut conn, &mut loaded).unwrap(),
        Saved::Appended(_)
    ));
    let again = store::load(&conn, server.id()).unwrap().unwrap();
    assert_eq!(again.case().unwrap().meter_checks.len(), 1);

    // The stored snapshot and a chunk behind it, in one message: the
    // replica takes it all, but there is no single chunk to keep.
    let before = server.heads();
    let mut snapshot = server.save();
    server
        .add_record(&examples::example(RecordKind::Visit), "one more")
        .unwrap();
    let chunk = server.save_after(&before);
    assert!(!is_one_document_chunk(&chunk));
    snapshot.extend_from_slice(&chunk);
    assert!(!is_one_document_chunk(&snapshot));
    assert!(!is_one_document_chunk(&snapshot[..10]));
    let mut flags = MessageFlags::new();
    flags.set(MessageFlags::SUPPORTS_SYNC_RESET);
    let both = Message {
        heads: server.heads(),
        need: Vec::new(),
        have: Vec::new(),
        changes: snapshot.into(),
        flags: Some(flags),
        version: MessageVersion::V2,
    }
    .encode();
    let mut fresh = CaseDoc::empty(server.id());
    let kept = fresh
        .receive_sync_message_whole(&mut State::new(), &both)
        .unwrap();
    assert_eq!(kept, None);
    assert_eq!(fresh.heads(), server.heads());
    assert_eq!(fresh.case().unwrap().visits.len(), 4);

    // A replica that held something already keeps nothing either.
    let kept = loaded
        .receive_sync_message_whole(&mut State::new(), &whole)
        .unwrap();
    assert_eq!(kept, None);
}
