//! Writes the seed corpora of the fuzz targets in `fuzz/corpus/`:
//! `cargo run -p brug-shared --example fuzz_seeds -- fuzz/corpus`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a developer tool on its own output

use std::path::Path;

use automerge::sync;
use brug_shared::casedoc::{CaseDoc, Editor};
use brug_shared::model::{RecordKind, examples};
use brug_shared::protocol::enrol::EnrolUrl;
use brug_shared::protocol::{self, ByteBuf, ClientFrame, ErrorCode, ServerFrame};
use uuid::Uuid;

fn write(dir: &Path, target: &str, name: &str, bytes: &[u8]) {
    let d = dir.join(target);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join(name), bytes).unwrap();
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "fuzz/corpus".into());
    let dir = Path::new(&dir);
    let editor = Editor {
        user: "ann.peeters".into(),
        device: Uuid::from_u128(1),
    };
    let mut doc = CaseDoc::create(Uuid::from_u128(2), &examples::household(), &editor).unwrap();
    for kind in RecordKind::ALL {
        doc.add_record(&examples::example(*kind), "added").unwrap();
    }
    write(dir, "doc_load", "case", &doc.save());
    let mut small = CaseDoc::create(Uuid::from_u128(3), &examples::household(), &editor).unwrap();
    write(dir, "doc_load", "small", &small.save());

    let mut state = sync::State::new();
    let mut empty = CaseDoc::empty(doc.id());
    let mut peer = sync::State::new();
    let mut n = 0;
    while let Some(m) = doc.generate_sync_message(&mut state) {
        write(dir, "sync_message", &format!("msg{n}"), &m);
        empty.receive_sync_message(&mut peer, &m).unwrap();
        if let Some(back) = empty.generate_sync_message(&mut peer) {
            doc.receive_sync_message(&mut state, &back).unwrap();
        }
        n += 1;
        if n > 5 {
            break;
        }
    }

    let frames = [
        protocol::encode(&ClientFrame::Hello {
            v: 1,
            cursor: 12,
            held: Some(vec![Uuid::from_u128(2)]),
        }),
        protocol::encode(&ClientFrame::Sync {
            doc: Uuid::from_u128(2),
            create: true,
            msg: Some(ByteBuf::from(vec![0x42, 0, 0, 0])),
            generation: 0,
        }),
        protocol::encode(&ServerFrame::DocError {
            doc: Uuid::from_u128(2),
            code: ErrorCode::NotFound,
            message: "x".into(),
        }),
        protocol::encode(&ServerFrame::Welcome {
            cursor: 3,
            changed: vec![Uuid::from_u128(2)],
            purge: vec![],
            user: "ann".into(),
            joined: vec![],
            certificates: protocol::Certificates {
                served: Some("ab".repeat(32)),
                next: None,
            },
        }),
    ];
    for (i, f) in frames.iter().enumerate() {
        write(dir, "frame_decode", &format!("frame{i}"), f);
    }
    let url = EnrolUrl {
        server: "https://127.0.0.1:8443".into(),
        code: "ABCD-EFGH-JKLM-NPQR-STUV".into(),
        fingerprint: "ab".repeat(32),
    };
    write(dir, "enrol_url", "valid", url.to_url().as_bytes());
    write(
        dir,
        "enrol_url",
        "no-fp",
        b"brug://enrol?server=https%3A%2F%2Fx&code=A",
    );
}
