//! Replays every fuzz seed and every input a fuzzer ever crashed on
//! (`fuzz/corpus/<target>/`, `fuzz/regressions/<target>/`) through the same
//! checks as the fuzz targets, so `cargo test` keeps them fixed.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they set up

use std::path::PathBuf;

use automerge::sync;
use brug_shared::casedoc::{CaseDoc, Editor};
use brug_shared::model::examples;
use brug_shared::protocol::enrol::EnrolUrl;
use brug_shared::protocol::{self, ClientFrame, ServerFrame, inspect_sync_message};

fn inputs(target: &str) -> Vec<Vec<u8>> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut out = Vec::new();
    for dir in ["corpus", "regressions"] {
        if let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) {
            for e in entries {
                out.push(std::fs::read(e.unwrap().path()).unwrap());
            }
        }
    }
    out
}

#[test]
fn frame_decode_inputs_decode_or_refuse_and_round_trip() {
    let all = inputs("frame_decode");
    assert!(!all.is_empty());
    for data in all {
        if let Ok(frame) = protocol::decode::<ClientFrame>(&data) {
            assert_eq!(
                protocol::decode::<ClientFrame>(&protocol::encode(&frame)).unwrap(),
                frame
            );
        }
        let _ = protocol::decode::<ServerFrame>(&data);
    }
}

#[test]
fn enrol_url_inputs_parse_or_refuse_and_round_trip() {
    let all = inputs("enrol_url");
    assert!(!all.is_empty());
    for data in all {
        let Ok(text) = std::str::from_utf8(&data) else {
            continue;
        };
        if let Ok(url) = EnrolUrl::parse(text) {
            assert_eq!(EnrolUrl::parse(&url.to_url()).unwrap(), url);
        }
    }
}

#[test]
fn doc_load_inputs_load_or_refuse() {
    let all = inputs("doc_load");
    assert!(!all.is_empty());
    let mut loaded = 0;
    for data in all {
        if let Ok(mut doc) = CaseDoc::load(&data, &[]) {
            let _ = doc.case();
            let _ = doc.conflicts();
            let _ = doc.history(None);
            loaded += 1;
        }
    }
    assert!(loaded > 0, "the seed cases must load");
}

#[test]
fn sync_message_inputs_are_inspected_and_applied_without_panic() {
    let all = inputs("sync_message");
    assert!(!all.is_empty());
    for data in all {
        if inspect_sync_message(&data).is_ok() {
            let editor = Editor {
                user: "fuzz".into(),
                device: uuid::Uuid::nil(),
            };
            let mut doc =
                CaseDoc::create(uuid::Uuid::nil(), &examples::household(), &editor).unwrap();
            let mut state = sync::State::new();
            let _ = doc.receive_sync_message(&mut state, &data);
            let _ = doc.case();
        }
    }
}
