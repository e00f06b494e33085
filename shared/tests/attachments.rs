//! Attachment references in a case: both kept when two devices attach
//! offline, the rules that ask for a photo count them, and the policy keeps
//! a reference as it was added.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they set up

use brug_shared::casedoc::{CaseDoc, Editor};
use brug_shared::model::{
    AttachmentRef, BlobHash, DefectCategory, Record, RecordKind, Role, StoredType, examples,
};
use brug_shared::policy::{self, Reason, Sender};
use brug_shared::rules::{self, RuleContext, has_code};
use chrono::Utc;
use uuid::Uuid;

fn editor(user: &str, device: u128) -> Editor {
    Editor {
        user: user.into(),
        device: Uuid::from_u128(device),
    }
}

fn photo(on: Uuid, by: &str, bytes: &[u8]) -> AttachmentRef {
    AttachmentRef {
        on,
        hash: BlobHash::of(bytes),
        stored: StoredType::Jpeg,
        size: bytes.len() as u64,
        width: Some(2048),
        height: Some(1536),
        thumb: Some(BlobHash::of(&[bytes, b"thumb"].concat())),
        caption: "vochtige muur".into(),
        by: by.into(),
        at: Utc::now(),
    }
}

/// A case with a renovation advice whose one defect is category III.
fn case_with_category_iii() -> (CaseDoc, Uuid, Uuid) {
    let ann = editor("ann.peeters", 1);
    let mut doc = CaseDoc::create(Uuid::now_v7(), &examples::household(), &ann).unwrap();
    let Record::Renovation(mut advice) = examples::example(RecordKind::Renovation) else {
        unreachable!()
    };
    let (defect, d) = advice.defects.iter_mut().next().unwrap();
    d.category = DefectCategory::III;
    let defect = *defect;
    let id = doc
        .add_record(&Record::Renovation(advice), "renovation added")
        .unwrap();
    (doc, id, defect)
}

fn findings(doc: &CaseDoc, id: Uuid) -> Vec<rules::Finding> {
    let case = doc.case().unwrap();
    let record = case.record(RecordKind::Renovation, id).unwrap();
    rules::check_record(
        &case,
        id,
        &record,
        None,
        &RuleContext::at(Utc::now().naive_utc()),
    )
}

#[test]
fn a_category_iii_defect_without_a_photo_gets_the_finding_and_with_one_not() {
    let (mut doc, advice, defect) = case_with_category_iii();
    let before = findings(&doc, advice);
    let missing = before
        .iter()
        .find(|f| f.code == "defect.photo-missing")
        .expect("a category III defect without a photo is named");
    assert_eq!(missing.field.to_string(), format!("defects.{defect}"));
    assert!(
        !rules::blocks(std::slice::from_ref(missing)),
        "a missing photo never blocks saving"
    );

    // A PDF is not a photo.
    let mut pdf = photo(defect, "ann.peeters", b"%PDF-1.7 factuur");
    pdf.stored = StoredType::Pdf;
    pdf.thumb = None;
    doc.add_attachment(Uuid::now_v7(), &pdf, Some((RecordKind::Renovation, advice)))
        .unwrap();
    assert!(has_code(&findings(&doc, advice), "defect.photo-missing"));

    doc.add_attachment(
        Uuid::now_v7(),
        &photo(defect, "ann.peeters", b"jpeg bytes"),
        Some((RecordKind::Renovation, advice)),
    )
    .unwrap();
    assert!(!has_code(&findings(&doc, advice), "defect.photo-missing"));
    let case = doc.case().unwrap();
    assert_eq!(
        case.owner_of(defect),
        Some((RecordKind::Renovation, advice))
    );
    assert_eq!(case.photos_on(defect), 1);
}

#[test]
fn the_same_photo_attached_on_two_devices_offline_keeps_both_references() {
    let (mut doc, advice, defect) = case_with_category_iii();
    let mut a = CaseDoc::load(&doc.save(), &[]).unwrap();
    a.set_editor(&editor("ann.peeters", 1));
    let mut b = CaseDoc::load(&doc.save(), &[]).unwrap();
    b.set_editor(&editor("jan.claeys", 2));
    let owner = Some((RecordKind::Renovation, advice));
    a.add_attachment(
        Uuid::now_v7(),
        &photo(defect, "ann.peeters", b"same"),
        owner,
    )
    .unwrap();
    b.add_attachment(Uuid::now_v7(), &photo(defect, "jan.claeys", b"same"), owner)
        .unwrap();
    a.sync_with(&mut b).unwrap();
    let refs = a.case().unwrap().attachments;
    assert_eq!(refs.len(), 2);
    let hashes: std::collections::BTreeSet<_> = refs.values().map(|r| r.hash.clone()).collect();
    assert_eq!(hashes.len(), 1, "one photo, two references");
    let by: std::collections::BTreeSet<_> = refs.values().map(|r| r.by.as_str()).collect();
    assert_eq!(by, ["ann.peeters", "jan.claeys"].into());
}

#[test]
fn an_attachment_map_made_on_two_old_replicas_is_read_as_one() {
    // An old case without the attachments map: both replicas upgrade it
    // offline and each attaches a photo to its own copy of the map.
    let (mut doc, advice, defect) = case_with_category_iii();
    let mut raw = automerge::AutoCommit::load(&doc.save()).unwrap();
    automerge::transaction::Transactable::delete(&mut raw, automerge::ROOT, "attachments").unwrap();
    let old = raw.save();
    let owner = Some((RecordKind::Renovation, advice));
    let mut a = CaseDoc::load(&old, &[]).unwrap();
    a.set_editor(&editor("ann.peeters", 1));
    assert!(a.upgrade().unwrap());
    a.add_attachment(Uuid::now_v7(), &photo(defect, "ann.peeters", b"a"), owner)
        .unwrap();
    let mut b = CaseDoc::load(&old, &[]).unwrap();
    b.set_editor(&editor("jan.claeys", 2));
    b.add_attachment(Uuid::now_v7(), &photo(defect, "jan.claeys", b"b"), owner)
        .unwrap();
    a.sync_with(&mut b).unwrap();
    assert_eq!(a.case().unwrap().attachments.len(), 2);
    assert_eq!(b.attachments().len(), 2);
    let _ = doc.heads();
}

#[test]
fn a_reference_keeps_what_was_added_only_its_caption_changes() {
    let (mut doc, advice, defect) = case_with_category_iii();
    let ann = Sender {
        user: "ann.peeters",
        role: Role::BridgeWorker,
        device: Uuid::from_u128(1),
    };
    let check = |doc: &mut CaseDoc, before: &[_]| {
        policy::check(
            doc,
            before,
            ann,
            Utc::now().timestamp_millis(),
            None,
            &|_| None,
        )
    };
    let owner = Some((RecordKind::Renovation, advice));
    let before = doc.heads();
    let id = Uuid::now_v7();
    let mut added = doc.fork();
    added.set_editor(&editor("ann.peeters", 1));
    added
        .add_attachment(id, &photo(defect, "ann.peeters", b"x"), owner)
        .unwrap();
    check(&mut added, &before).expect("adding a photo is anyone's");

    // In someone else's name: refused.
    let mut foreign = doc.fork();
    foreign.set_editor(&editor("ann.peeters", 1));
    foreign
        .add_attachment(Uuid::now_v7(), &photo(defect, "sofie", b"y"), owner)
        .unwrap();
    let e = check(&mut foreign, &before).unwrap_err();
    assert_eq!(e.reason, Reason::AttachmentFixed);

    // Once added: the hash stays, the caption may change, the whole
    // reference may go.
    let after_add = added.heads();
    let mut swapped = raw_put(&mut added, id, "hash", &BlobHash::of(b"other").to_string());
    let e = check(&mut swapped, &after_add).unwrap_err();
    assert_eq!(e.reason, Reason::AttachmentFixed);
    assert_eq!(e.field.to_string(), format!("attachments.{id}.hash"));
    let mut moved = raw_put(&mut added, id, "on", &Uuid::now_v7().to_string());
    assert_eq!(
        check(&mut moved, &after_add).unwrap_err().reason,
        Reason::AttachmentFixed
    );

    let mut captioned = added.fork();
    captioned.set_editor(&editor("ann.peeters", 1));
    assert!(
        captioned
            .set_attachment_caption(id, "schimmel slaapkamer", owner)
            .unwrap()
    );
    check(&mut captioned, &after_add).expect("a caption may change");
    assert_eq!(
        captioned.case().unwrap().attachments[&id].caption,
        "schimmel slaapkamer"
    );

    let mut removed = added.fork();
    removed.set_editor(&editor("ann.peeters", 1));
    assert!(removed.remove_attachment(id, owner).unwrap());
    check(&mut removed, &after_add).expect("a reference may be removed");
    assert!(removed.case().unwrap().attachments.is_empty());
}

/// What a modified client could send: one field of a reference overwritten
/// by Ann's device, applied to a fork of `doc` as the server would.
fn raw_put(doc: &mut CaseDoc, id: Uuid, field: &str, value: &str) -> CaseDoc {
    use automerge::transaction::Transactable;
    use automerge::{ObjType, ROOT, ReadDoc, Value};
    let heads = doc.heads();
    let mut raw = automerge::AutoCommit::load(&doc.save()).unwrap();
    raw.set_author(Some(automerge::Author::from(b"ann.peeters".to_vec())));
    let mut actor = Uuid::from_u128(1).as_bytes().to_vec();
    actor.extend_from_slice(&[9; 8]);
    raw.set_actor(automerge::ActorId::from(actor));
    let Some((Value::Object(ObjType::Map), map)) = raw.get(ROOT, "attachments").unwrap() else {
        panic!("no attachments map")
    };
    let Some((Value::Object(ObjType::Map), entry)) = raw.get(&map, id.to_string()).unwrap() else {
        panic!("no reference {id}")
    };
    raw.put(&entry, field, value).unwrap();
    raw.commit();
    let mut fork = doc.fork();
    fork.load_incremental(&raw.save_after(&heads)).unwrap();
    fork
}
