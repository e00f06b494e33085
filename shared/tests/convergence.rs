//! Property: replicas that edit offline and merge (or sync) in any order
//! end identical, keep every record any replica added, show every
//! concurrently written value as a conflict, and lose no typed character.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they set up

use std::collections::{BTreeMap, BTreeSet};

use brug_shared::casedoc::{CaseDoc, Editor, Target};
use brug_shared::model::RecordKind;
use brug_shared::model::examples;
use proptest::prelude::*;
use serde_json::json;
use uuid::Uuid;

#[derive(Debug, Clone)]
enum Op {
    AddVisit(usize),
    SetPhone(usize),
    Type(usize, usize, String),
    SetPlace(usize, usize, usize),
    Merge(usize, usize),
    Sync(usize, usize),
}

fn op(replicas: usize) -> impl Strategy<Value = Op> {
    let r = 0..replicas;
    prop_oneof![
        r.clone().prop_map(Op::AddVisit),
        r.clone().prop_map(Op::SetPhone),
        (r.clone(), 0..64usize, "[a-z ]{1,6}").prop_map(|(a, p, t)| Op::Type(a, p, t)),
        (r.clone(), 0..8usize, 0..4usize).prop_map(|(a, v, p)| Op::SetPlace(a, v, p)),
        (r.clone(), r.clone()).prop_map(|(a, b)| Op::Merge(a, b)),
        (r.clone(), r).prop_map(|(a, b)| Op::Sync(a, b)),
    ]
}

fn scenario() -> impl Strategy<Value = (usize, Vec<Op>)> {
    (3..=5usize).prop_flat_map(|n| (Just(n), prop::collection::vec(op(n), 1..40)))
}

/// One phone write and the writes its replica had seen when it was made.
struct PhoneWrite {
    value: String,
    past: BTreeSet<usize>,
}

struct Replica {
    doc: CaseDoc,
    phone_seen: BTreeSet<usize>,
}

fn pair(replicas: &mut [Replica], a: usize, b: usize) -> (&mut Replica, &mut Replica) {
    if a < b {
        let (l, r) = replicas.split_at_mut(b);
        (&mut l[a], &mut r[0])
    } else {
        let (l, r) = replicas.split_at_mut(a);
        (&mut r[0], &mut l[b])
    }
}

const PLACES: [&str; 4] = ["home", "school", "huis-van-welzijn", "elsewhere"];

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    #[test]
    fn replicas_converge_and_lose_nothing((n, ops) in scenario()) {
        let mut base = CaseDoc::create(Uuid::now_v7(), &examples::household(), &Editor { user: "base".into(), device: Uuid::new_v4() }).unwrap();
        let bytes = base.save();
        let mut replicas: Vec<Replica> = (0..n)
            .map(|i| {
                let mut doc = CaseDoc::load(&bytes, &[]).unwrap();
                doc.set_editor(&Editor { user: format!("user{i}"), device: Uuid::new_v4() });
                Replica { doc, phone_seen: BTreeSet::new() }
            })
            .collect();
        let mut added: BTreeSet<Uuid> = BTreeSet::new();
        let mut visits_of: BTreeMap<usize, Vec<Uuid>> = BTreeMap::new();
        let mut writes: Vec<PhoneWrite> = Vec::new();
        let mut typed_chars = examples::household().notes.chars().count();

        for op in ops {
            match op {
                Op::AddVisit(a) => {
                    let id = replicas[a].doc.add_record(&examples::example(RecordKind::Visit), "visit added").unwrap();
                    added.insert(id);
                    visits_of.entry(a).or_default().push(id);
                }
                Op::SetPhone(a) => {
                    let value = format!("0470 {:02} {:02}", writes.len(), a);
                    replicas[a].doc.set_field(Target::Household, &"phone".into(), json!(value)).unwrap();
                    let past = replicas[a].phone_seen.clone();
                    writes.push(PhoneWrite { value, past });
                    replicas[a].phone_seen.insert(writes.len() - 1);
                }
                Op::Type(a, pos, text) => {
                    let mut h = replicas[a].doc.household().unwrap();
                    let mut chars: Vec<char> = h.notes.chars().collect();
                    let at = pos.min(chars.len());
                    chars.splice(at..at, text.chars());
                    h.notes = chars.into_iter().collect();
                    replicas[a].doc.update_household(&h, "notes typed").unwrap();
                    typed_chars += text.chars().count();
                }
                Op::SetPlace(a, v, p) => {
                    let ids: Vec<Uuid> = replicas[a].doc.case().unwrap().visits.keys().copied().collect();
                    if !ids.is_empty() {
                        let id = ids[v % ids.len()];
                        replicas[a].doc.set_field(Target::Record(RecordKind::Visit, id), &"place".into(), json!(PLACES[p])).unwrap();
                    }
                }
                Op::Merge(a, b) | Op::Sync(a, b) if a == b => {}
                Op::Merge(a, b) => {
                    let (ra, rb) = pair(&mut replicas, a, b);
                    ra.doc.merge(&mut rb.doc).unwrap();
                    let seen = rb.phone_seen.clone();
                    ra.phone_seen.extend(seen);
                }
                Op::Sync(a, b) => {
                    let (ra, rb) = pair(&mut replicas, a, b);
                    ra.doc.sync_with(&mut rb.doc).unwrap();
                    let union: BTreeSet<usize> = ra.phone_seen.union(&rb.phone_seen).copied().collect();
                    ra.phone_seen = union.clone();
                    rb.phone_seen = union;
                }
            }
        }

        // Everyone merges everyone, in a random-enough order: a ring, twice.
        for _ in 0..2 {
            for i in 0..n {
                let (ra, rb) = pair(&mut replicas, i, (i + 1) % n);
                ra.doc.sync_with(&mut rb.doc).unwrap();
            }
        }

        let first = replicas[0].doc.case().unwrap();
        let heads0 = replicas[0].doc.heads();
        for r in replicas.iter_mut() {
            prop_assert_eq!(r.doc.heads(), heads0.clone());
            prop_assert_eq!(r.doc.case().unwrap(), first.clone());
        }
        // Every record any replica added is present.
        let present: BTreeSet<Uuid> = first.visits.keys().copied().collect();
        prop_assert_eq!(present, added);
        // Not one typed character is lost.
        prop_assert_eq!(first.household.notes.chars().count(), typed_chars);
        // The phone shows exactly the writes nobody overwrote knowingly.
        let superseded: BTreeSet<usize> = writes.iter().flat_map(|w| w.past.iter().copied()).collect();
        let expected: BTreeSet<String> = (0..writes.len())
            .filter(|i| !superseded.contains(i))
            .map(|i| writes[i].value.clone())
            .collect();
        let conflicts = replicas[0].doc.conflicts();
        let phone = conflicts.iter().find(|c| c.target == Target::Household && c.field == "phone");
        let shown: BTreeSet<String> = match phone {
            Some(c) => c.values.iter().map(|v| v.value.as_str().unwrap().to_owned()).collect(),
            // Untouched, the phone is the example's and nobody wrote it.
            None if writes.is_empty() => BTreeSet::new(),
            None => first.household.phone.iter().cloned().collect(),
        };
        prop_assert_eq!(shown, expected);
        if let Some(c) = phone {
            prop_assert!(c.values.iter().all(|v| v.author.as_deref().is_some_and(|a| a.starts_with("user"))));
        }
    }
}
