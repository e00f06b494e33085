//! Any bytes as an automerge sync message from a peer: the inspection that
//! guards against bombs never panics, and whatever it lets through is
//! applied to a case without panicking.
#![no_main]

use automerge::sync;
use brug_shared::casedoc::{CaseDoc, Editor};
use brug_shared::model::examples;
use brug_shared::protocol::inspect_sync_message;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if inspect_sync_message(data).is_ok() {
        let editor = Editor {
            user: "fuzz".into(),
            device: uuid::Uuid::nil(),
        };
        if let Ok(mut doc) = CaseDoc::create(uuid::Uuid::nil(), &examples::household(), &editor) {
            let mut state = sync::State::new();
            let _ = doc.receive_sync_message(&mut state, data);
            let _ = doc.case();
        }
    }
});
