//! Any text as an enrolment URL: parsing never panics, and a parsed URL
//! prints and parses to itself.
#![no_main]

use brug_shared::protocol::enrol::EnrolUrl;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(url) = EnrolUrl::parse(text) {
        assert_eq!(EnrolUrl::parse(&url.to_url()).expect("round trip"), url);
    }
});
