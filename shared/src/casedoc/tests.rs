use super::*;
use crate::model::examples;

fn editor(user: &str) -> Editor {
    Editor {
        user: user.into(),
        device: Uuid::new_v4(),
    }
}

#[test]
fn fields_a_device_does_not_know_survive_its_edits() {
    let mut newer = CaseDoc::create(Uuid::now_v7(), &examples::household(), &editor("a")).unwrap();
    let id = newer
        .add_record(&examples::example(RecordKind::Visit), "visit added")
        .unwrap();
    // A newer app version writes a field this version has no type for.
    let obj = newer.record_obj(RecordKind::Visit, id).unwrap();
    newer.doc.put(&obj, "interpreter", "Arabisch").unwrap();
    newer.commit(ChangeNote {
        message: "interpreter".into(),
        kind: None,
        record: None,
        fields: vec![],
    });

    let mut older = CaseDoc::load(&newer.save(), &[]).unwrap();
    older.set_editor(&editor("b"));
    let Some(Record::Visit(mut v)) = older.record(RecordKind::Visit, id).unwrap() else {
        panic!()
    };
    v.place = crate::model::VisitPlace::School;
    older
        .update_record(id, &Record::Visit(v), "place changed")
        .unwrap();

    let obj = older.record_obj(RecordKind::Visit, id).unwrap();
    let kept = older
        .doc
        .get(&obj, "interpreter")
        .unwrap()
        .map(|(v, _)| v.to_string());
    assert_eq!(kept.as_deref(), Some("\"Arabisch\""));
}

#[test]
fn competing_containers_from_offline_upgrades_hide_no_record() {
    let mut base = CaseDoc::create(Uuid::now_v7(), &examples::household(), &editor("a")).unwrap();
    // An old-schema document without a visits map.
    base.doc.delete(ROOT, "visits").unwrap();
    base.commit(ChangeNote {
        message: "old schema".into(),
        kind: None,
        record: None,
        fields: vec![],
    });
    let bytes = base.save();
    let mut a = CaseDoc::load(&bytes, &[]).unwrap();
    a.set_editor(&editor("a"));
    let mut b = CaseDoc::load(&bytes, &[]).unwrap();
    b.set_editor(&editor("b"));
    assert!(a.upgrade().unwrap() && b.upgrade().unwrap());
    let va = a
        .add_record(&examples::example(RecordKind::Visit), "visit added")
        .unwrap();
    let vb = b
        .add_record(&examples::example(RecordKind::Visit), "visit added")
        .unwrap();
    a.merge(&mut b).unwrap();
    assert_eq!(a.containers(RecordKind::Visit).len(), 2);
    let case = a.case().unwrap();
    assert!(case.visits.contains_key(&va) && case.visits.contains_key(&vb));
    // Both stay editable, whichever copy holds them.
    for id in [va, vb] {
        a.set_field(
            Target::Record(RecordKind::Visit, id),
            &"place".into(),
            serde_json::json!("school"),
        )
        .unwrap();
        let Some(Record::Visit(v)) = a.record(RecordKind::Visit, id).unwrap() else {
            panic!()
        };
        assert_eq!(v.place, crate::model::VisitPlace::School);
    }
}

#[test]
fn a_deeply_nested_document_from_a_peer_is_read_without_overflowing() {
    let mut doc = CaseDoc::create(Uuid::now_v7(), &examples::household(), &editor("a")).unwrap();
    let household = doc.household_obj().unwrap();
    let mut obj = doc
        .doc
        .put_object(&household, "deep", ObjType::Map)
        .unwrap();
    for _ in 0..5_000 {
        obj = doc.doc.put_object(&obj, "x", ObjType::Map).unwrap();
    }
    doc.commit(ChangeNote {
        message: "deep".into(),
        kind: None,
        record: None,
        fields: vec![],
    });
    // Unknown fields are ignored, so the case still reads; nothing overflows.
    assert!(doc.case().is_ok());
    assert!(doc.conflicts().is_empty());
}

#[test]
fn a_change_waiting_for_its_dependencies_is_not_held() {
    let mut doc = CaseDoc::create(Uuid::now_v7(), &examples::household(), &editor("a")).unwrap();
    let mut other = doc.fork();
    other.set_editor(&editor("b"));
    let before = other.heads();
    other
        .add_record(&examples::example(RecordKind::Visit), "first")
        .unwrap();
    let first = other.heads();
    other
        .add_record(&examples::example(RecordKind::Visit), "second")
        .unwrap();
    let second = other.heads();
    let changes = other.doc.get_changes(&before);
    assert_eq!(changes.len(), 2);
    let ours = doc.heads();
    assert!(doc.contains_all(&ours));
    assert!(!doc.contains_all(&first));

    // The second change alone waits in the queue: not held, and what is
    // held still answers as held.
    doc.load_incremental(changes[1].raw_bytes()).unwrap();
    assert!(!doc.contains_all(&second));
    assert!(!doc.contains_all(&first));
    assert!(doc.contains_all(&ours));

    // Its dependency arrives: both are applied.
    doc.load_incremental(changes[0].raw_bytes()).unwrap();
    assert!(doc.contains_all(&first));
    assert!(doc.contains_all(&second));
    assert!(doc.contains_all(&[first[0], second[0]]));
}

#[test]
fn reading_a_case_tells_whether_it_may_hold_a_conflict() {
    let mut doc = CaseDoc::create(Uuid::now_v7(), &examples::household(), &editor("a")).unwrap();
    let visit = doc
        .add_record(&examples::example(RecordKind::Visit), "visit added")
        .unwrap();
    let (_, noted) = doc.case_noting_conflicts().unwrap();
    assert!(!noted);
    assert!(doc.conflicts().is_empty());

    // Two replicas write the same household field differently.
    let mut other = doc.fork();
    other.set_editor(&editor("b"));
    doc.set_field(Target::Household, &"phone".into(), "0470 11 11 11".into())
        .unwrap();
    other
        .set_field(Target::Household, &"phone".into(), "0470 22 22 22".into())
        .unwrap();
    let mut household = doc.fork();
    household.merge(&mut other.fork()).unwrap();
    let (_, noted) = household.case_noting_conflicts().unwrap();
    assert!(noted);
    assert_eq!(household.conflicts().len(), 1);

    // And a field inside a record.
    let Some(Record::Visit(mut v)) = doc.record(RecordKind::Visit, visit).unwrap() else {
        panic!("the visit is there")
    };
    let Some(Record::Visit(mut w)) = other.record(RecordKind::Visit, visit).unwrap() else {
        panic!("the visit is there")
    };
    // (The example's place is neither.)
    v.place = crate::model::VisitPlace::School;
    w.place = crate::model::VisitPlace::Elsewhere;
    doc.update_record(visit, &Record::Visit(v), "here").unwrap();
    other
        .update_record(visit, &Record::Visit(w), "there")
        .unwrap();
    doc.merge(&mut other).unwrap();
    let (_, noted) = doc.case_noting_conflicts().unwrap();
    assert!(noted);
    assert!(
        doc.conflicts()
            .iter()
            .any(|c| c.record == Some(visit) && c.field.to_string().contains("place"))
    );
}

/// What a batch touched is checked alone: a visit whose start no longer
/// reads as a time makes the check fail exactly when the batch touched
/// that visit (the whole case fails too); a record under a key that is no
/// UUID fails; a write at the root checks the whole case; and the parts a
/// batch did not touch are not read at all.
#[test]
fn only_what_a_batch_touched_is_checked_and_it_fails_as_the_whole_case_would() {
    let mut doc = CaseDoc::create(Uuid::now_v7(), &examples::household(), &editor("a")).unwrap();
    let good = doc
        .add_record(&examples::example(RecordKind::Visit), "visit added")
        .unwrap();
    let bad = doc
        .add_record(&examples::example(RecordKind::Visit), "visit added")
        .unwrap();
    let path = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let mut household = Touched::default();
    household.note(&path(&["household", "phone"]));
    let mut visit = Touched::default();
    visit.note(&path(&["visits", &good.to_string(), "place"]));
    assert!(doc.check_touched(&household).is_ok() && doc.check_touched(&visit).is_ok());

    let obj = doc.record_obj(RecordKind::Visit, bad).unwrap();
    doc.doc.put(&obj, "start", "gisteren").unwrap();
    doc.doc.commit();
    assert!(doc.case().is_err());
    let mut broken = Touched::default();
    broken.note(&path(&["visits", &bad.to_string(), "start"]));
    assert!(matches!(
        doc.check_touched(&broken),
        Err(CaseDocError::NotACase(_))
    ));
    // Not touched by the batch: not read (the server only asks this of a
    // case that read before the batch).
    assert!(doc.check_touched(&visit).is_ok());
    let mut root = Touched::default();
    root.note(&path(&["schema"]));
    assert!(root.everything());
    assert!(doc.check_touched(&root).is_err());
    let mut nowhere = Touched::default();
    nowhere.note(&[]);
    assert!(nowhere.everything());

    let mut doc = CaseDoc::create(Uuid::now_v7(), &examples::household(), &editor("a")).unwrap();
    let container = doc.containers(RecordKind::Visit).remove(0);
    let record = doc
        .doc
        .put_object(&container, "geen-uuid", ObjType::Map)
        .unwrap();
    doc.doc.put(&record, "place", "home").unwrap();
    doc.doc.commit();
    assert!(doc.case().is_err());
    let mut keyed = Touched::default();
    keyed.note(&path(&["visits", "geen-uuid"]));
    assert!(doc.check_touched(&keyed).is_err());
}
