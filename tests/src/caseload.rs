//! Realistic generated caseloads for benchmarks and load tests: households
//! with members, consents, years of monthly visits, meter checks with
//! readings, renovation advice and referrals. Deterministic per seed.

use std::collections::BTreeMap;

use brug_shared::casedoc::{CaseDoc, Editor};
use brug_shared::model::examples;
use brug_shared::model::*;
use chrono::{Duration, NaiveDate};
use uuid::Uuid;

/// A small, fast, deterministic random source (SplitMix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A source for `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number below `n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

const FAMILY: &[&str] = &[
    "Vermeulen",
    "Desmet",
    "Claeys",
    "Vandamme",
    "Declercq",
    "Maes",
    "Nowak",
    "El Amrani",
    "Verhaeghe",
    "Dewulf",
    "Lefevere",
    "Vanhoutte",
];
const STREETS: &[&str] = &[
    "Marktstraat",
    "Gentsesteenweg",
    "Kortrijksesteenweg",
    "Stasegemsesteenweg",
    "Eikstraat",
    "Vlietestraat",
    "Zuidstraat",
    "Noordstraat",
    "Bavikhoofsestraat",
    "Hulstse Dorpsstraat",
];
const SCHOOLS: &[&str] = &[
    "Basisschool De Vlieger",
    "GO! Basisschool Harelbeke",
    "Sint-Amandscollege",
    "Basisschool Hulste",
];
const NOTES: &[&str] = &[
    "Moeder vraagt hulp bij de energiefactuur.",
    "Afspraak gemaakt met het CLB over huiswerkbegeleiding.",
    "Het huis is koud; de verwarming valt vaak uit.",
    "Budgetbegeleiding loopt goed, volgende stap: afbetalingsplan.",
    "Kinderen gaan naar de warme maaltijd op school.",
];

/// How big a generated case is.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// Monthly visits.
    pub visits: usize,
    /// Meter checks, each with readings.
    pub meter_checks: usize,
    /// Readings per meter check.
    pub readings: usize,
    /// Referrals.
    pub referrals: usize,
    /// Later edits to visits (history).
    pub edits: usize,
}

impl Shape {
    /// About 20 records with some history: a typical active case.
    pub const TYPICAL: Shape = Shape {
        visits: 12,
        meter_checks: 2,
        readings: 3,
        referrals: 3,
        edits: 6,
    };
    /// Five years of monthly visits.
    pub const FIVE_YEARS: Shape = Shape {
        visits: 60,
        meter_checks: 2,
        readings: 10,
        referrals: 5,
        edits: 20,
    };
}

/// A generated case, as its creator would have made it over time.
pub fn case(rng: &mut Rng, shape: Shape, editor: &Editor) -> CaseDoc {
    let mut h = examples::household();
    let family = *rng.pick(FAMILY);
    h.name = format!("Familie {family}");
    h.address.street = (*rng.pick(STREETS)).into();
    h.address.number = (1 + rng.below(180)).to_string();
    h.phone = Some(format!(
        "0470 {:02} {:02} {:02}",
        rng.below(100),
        rng.below(100),
        rng.below(100)
    ));
    let mut doc = CaseDoc::create(Uuid::now_v7(), &h, editor)
        .unwrap_or_else(|_| CaseDoc::empty(Uuid::now_v7()));
    let base = NaiveDate::from_ymd_opt(2021, 1, 4).unwrap_or_default();
    if let Record::Member(mut m) = examples::example(RecordKind::Member) {
        m.last_name = family.into();
        let _ = doc.add_record(&Record::Member(m.clone()), "member added");
        for child in ["Lotte", "Finn"] {
            m.first_name = child.into();
            m.role = MemberRole::Child;
            m.birth_year = Some(2012 + rng.below(8) as i32);
            m.school = Some((*rng.pick(SCHOOLS)).into());
            let _ = doc.add_record(&Record::Member(m.clone()), "member added");
        }
    }
    let _ = doc.add_record(&examples::example(RecordKind::Consent), "consent added");
    let mut visit_ids = Vec::new();
    for i in 0..shape.visits {
        if let Record::Visit(mut v) = examples::example(RecordKind::Visit) {
            let day = base + Duration::days(30 * i as i64 + rng.below(5) as i64);
            v.start = day
                .and_hms_opt(9 + rng.below(8) as u32, 0, 0)
                .unwrap_or_default();
            v.end = Some(v.start + Duration::minutes(45 + rng.below(60) as i64));
            v.planned_at = Some(v.start);
            v.next_appointment = Some(v.start + Duration::days(30));
            v.notes = (*rng.pick(NOTES)).into();
            v.actions = BTreeMap::new();
            if let Ok(id) = doc.add_record(&Record::Visit(v), "visit added") {
                visit_ids.push(id);
            }
        }
    }
    for m in 0..shape.meter_checks {
        if let Record::MeterCheck(mut c) = examples::example(RecordKind::MeterCheck) {
            c.checked_on = base + Duration::days(200 * m as i64);
            c.readings = (0..shape.readings)
                .map(|r| {
                    let at = c.checked_on + Duration::days(90 * r as i64);
                    let used = 10.0 * (90 * r) as f64;
                    let reading = Reading {
                        read_at: at,
                        source: ReadingSource::Display,
                        registers: BTreeMap::from([
                            (Register::ConsumptionDay, 10_000.0 + used),
                            (Register::ConsumptionNight, 8_000.0 + used / 2.0),
                            (Register::InjectionDay, 0.0),
                            (Register::InjectionNight, 0.0),
                        ]),
                        override_reason: None,
                        deviation_reason: None,
                    };
                    (Uuid::now_v7(), reading)
                })
                .collect();
            let _ = doc.add_record(&Record::MeterCheck(c), "meter check added");
        }
    }
    let _ = doc.add_record(
        &examples::example(RecordKind::Renovation),
        "renovation advice added",
    );
    for _ in 0..shape.referrals {
        let _ = doc.add_record(&examples::example(RecordKind::Referral), "referral added");
    }
    for e in 0..shape.edits {
        if visit_ids.is_empty() {
            break;
        }
        let id = visit_ids[rng.below(visit_ids.len() as u64) as usize];
        let place = if e % 2 == 0 { "school" } else { "home" };
        let _ = doc.set_field(
            brug_shared::casedoc::Target::Record(RecordKind::Visit, id),
            &"place".into(),
            serde_json::json!(place),
        );
    }
    doc
}
