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
