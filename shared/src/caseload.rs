//! Realistic generated caseloads for benchmarks, load tests and the demo:
//! households with members, consents, years of monthly visits, meter checks
//! with readings, renovation advice and referrals. Deterministic per seed,
//! byte for byte: ids, actors and change times all come from the seed and
//! the dates, never from the clock or the system's randomness.

use std::collections::BTreeMap;

use crate::casedoc::{CaseDoc, Editor};
use crate::model::examples;
use crate::model::*;
use chrono::{Duration, NaiveDate, NaiveDateTime};
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

    /// One of `items` (`items` must not be empty).
    #[allow(clippy::indexing_slicing)] // below(len) < len
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// A random (version 4) UUID from this source.
    pub fn uuid(&mut self) -> Uuid {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&self.next_u64().to_le_bytes());
        bytes[8..].copy_from_slice(&self.next_u64().to_le_bytes());
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    }

    /// Eight bytes: an actor's session part.
    pub fn session(&mut self) -> [u8; 8] {
        self.next_u64().to_le_bytes()
    }
}

/// Makes the changes that follow in `doc` happen at `at` (taken as UTC).
pub fn at_time(doc: &mut CaseDoc, at: NaiveDateTime) {
    doc.set_time(Some(at.and_utc()));
}

/// Midnight of `day`.
pub fn midnight(day: NaiveDate) -> NaiveDateTime {
    day.and_time(chrono::NaiveTime::MIN)
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
    /// Renovation advice (0 or 1).
    pub renovations: usize,
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
        renovations: 1,
        edits: 6,
    };
    /// Five years of monthly visits.
    pub const FIVE_YEARS: Shape = Shape {
        visits: 60,
        meter_checks: 2,
        readings: 10,
        referrals: 5,
        renovations: 1,
        edits: 20,
    };
}

/// A generated case, as its creator would have made it over time, from
/// January 2021.
pub fn case(rng: &mut Rng, shape: Shape, editor: &Editor) -> CaseDoc {
    let first = NaiveDate::from_ymd_opt(2021, 1, 4).unwrap_or_default();
    case_from(rng, shape, editor, first)
}

/// A generated case opened on `first`: a visit every 30 days from then, a
/// meter check every 200 days with its readings up to that day, then the
/// renovation advice and referrals on the day of the last visit. Nothing
/// is dated after `first` + 30 × visits days.
pub fn case_from(rng: &mut Rng, shape: Shape, editor: &Editor, first: NaiveDate) -> CaseDoc {
    let mut h = examples::household();
    let family = *rng.pick(FAMILY);
    h.name = format!("Familie {family}");
    h.opened_on = first;
    h.address.street = (*rng.pick(STREETS)).into();
    h.address.number = (1 + rng.below(180)).to_string();
    h.phone = Some(format!(
        "0470 {:02} {:02} {:02}",
        rng.below(100),
        rng.below(100),
        rng.below(100)
    ));
    let id = rng.uuid();
    let session = rng.session();
    let mut doc =
        CaseDoc::create_generated(id, &h, editor, session, Some(midnight(first).and_utc()))
            .unwrap_or_else(|_| CaseDoc::empty(id));
    let base = first;
    let add = |doc: &mut CaseDoc, rng: &mut Rng, record: &Record, at: NaiveDateTime, msg: &str| {
        at_time(doc, at);
        let id = rng.uuid();
        doc.insert_record(id, record, msg).ok().map(|()| id)
    };
    if let Record::Member(mut m) = examples::example(RecordKind::Member) {
        m.last_name = family.into();
        add(
            &mut doc,
            rng,
            &Record::Member(m.clone()),
            midnight(first),
            "member added",
        );
        for child in ["Lotte", "Finn"] {
            m.first_name = child.into();
            m.role = MemberRole::Child;
            m.birth_year = Some(2012 + rng.below(8) as i32);
            m.school = Some((*rng.pick(SCHOOLS)).into());
            add(
                &mut doc,
                rng,
                &Record::Member(m.clone()),
                midnight(first),
                "member added",
            );
        }
    }
    if let Record::Consent(mut c) = examples::example(RecordKind::Consent) {
        c.given_on = first;
        add(
            &mut doc,
            rng,
            &Record::Consent(c),
            midnight(first),
            "consent added",
        );
    }
    let mut visit_ids = Vec::new();
    let mut last_visit = midnight(first);
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
            let at = v.end.unwrap_or(v.start);
            last_visit = last_visit.max(at);
            if let Some(id) = add(&mut doc, rng, &Record::Visit(v), at, "visit added") {
                visit_ids.push(id);
            }
        }
    }
    for m in 0..shape.meter_checks {
        if let Record::MeterCheck(mut c) = examples::example(RecordKind::MeterCheck) {
            c.checked_on = base + Duration::days(200 * m as i64);
            // Readings every 90 days up to the day of the check.
            let n = shape.readings;
            c.readings = (0..n)
                .map(|r| {
                    let before = (n - 1 - r) as i64;
                    let at = c.checked_on - Duration::days(90 * before);
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
                    (rng.uuid(), reading)
                })
                .collect();
            let at = midnight(c.checked_on);
            add(
                &mut doc,
                rng,
                &Record::MeterCheck(c),
                at,
                "meter check added",
            );
        }
    }
    let day = last_visit.date();
    if let (true, Record::Renovation(mut r)) = (
        shape.renovations > 0,
        examples::example(RecordKind::Renovation),
    ) {
        r.advised_on = day;
        r.follow_up_on = None;
        add(
            &mut doc,
            rng,
            &Record::Renovation(r),
            last_visit,
            "renovation advice added",
        );
    }
    for _ in 0..shape.referrals {
        if let Record::Referral(mut r) = examples::example(RecordKind::Referral) {
            r.referred_on = day;
            add(
                &mut doc,
                rng,
                &Record::Referral(r),
                last_visit,
                "referral added",
            );
        }
    }
    for e in 0..shape.edits {
        if visit_ids.is_empty() {
            break;
        }
        let id = *rng.pick(&visit_ids);
        let place = if e % 2 == 0 { "school" } else { "home" };
        at_time(&mut doc, last_visit + Duration::hours(1 + e as i64));
        let _ = doc.set_field(
            crate::casedoc::Target::Record(RecordKind::Visit, id),
            &"place".into(),
            serde_json::json!(place),
        );
    }
    doc.set_time(None);
    doc
}
