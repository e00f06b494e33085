//! The record forms, driven like a worker drives them: typing, choosing,
//! adding items, and what the form then says and allows.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they set up

use std::collections::BTreeMap;

use brug_app::forms::{self, FormKind, evaluate};
use brug_shared::model::{Case, RecordKind, examples};
use brug_shared::rules::RuleContext;
use chrono::NaiveDate;
use uuid::Uuid;

fn now() -> chrono::NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 11, 26)
        .unwrap()
        .and_hms_opt(10, 0, 0)
        .unwrap()
}

fn case() -> Case {
    Case {
        id: Uuid::now_v7(),
        schema: 1,
        household: examples::household(),
        members: Default::default(),
        consents: Default::default(),
        visits: Default::default(),
        meter_checks: Default::default(),
        energy_scans: Default::default(),
        renovations: Default::default(),
        referrals: Default::default(),
    }
}

#[test]
fn debug_blank_forms() {
    let ctx = RuleContext::at(now());
    for kind in [FormKind::Household, FormKind::Record(RecordKind::Visit)] {
        let v = forms::blank(kind, now().date());
        let e = evaluate(
            kind,
            &v,
            &BTreeMap::new(),
            Some(&case()),
            Uuid::now_v7(),
            &ctx,
        );
        println!("{kind:?}: {e:#?}");
    }
}
