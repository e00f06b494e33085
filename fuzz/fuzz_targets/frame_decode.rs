//! Any bytes as a sync frame: decoding never panics, and a decoded frame
//! encodes and decodes to itself.
#![no_main]

use brug_shared::protocol::{self, ClientFrame, ServerFrame};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(frame) = protocol::decode::<ClientFrame>(data) {
        let again: ClientFrame = protocol::decode(&protocol::encode(&frame)).expect("re-decode");
        assert_eq!(again, frame);
    }
    let _ = protocol::decode::<ServerFrame>(data);
});
