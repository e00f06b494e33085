//! Any bytes as a stored case document: loading and reading it as a case
//! (with conflicts and history) never panics.
#![no_main]

use brug_shared::casedoc::CaseDoc;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(mut doc) = CaseDoc::load(data, &[]) {
        let _ = doc.case();
        let _ = doc.conflicts();
        let _ = doc.history(None);
    }
});
