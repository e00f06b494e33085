//! The projection's compact form: a source's facts grouped by household,
//! worker and (kind, detail, outcome), each group one *series* of day
//! tallies (how many facts on that day, and their amounts or participants
//! added up) packed into a few bytes per day.
//!
//! A report reads one row per series instead of one per fact (a five-year
//! case has ~130 facts in ~15 series) and counts the households of a
//! series without a set of ids, because the rows come household by
//! household ([`super::Counter::add_series`]).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use uuid::Uuid;

use super::facts::{Fact, FactKind};
use crate::protocol::push_uleb as put;

/// One day of a series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayTally {
    /// The day.
    pub day: NaiveDate,
    /// How many facts on that day.
    pub facts: i64,
    /// Their amounts in euro cents and participants added up.
    pub sum: i64,
}

/// A series' bytes do not read (a damaged or foreign projection row).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "een reeks in de rapportprojectie is beschadigd / a series in the report projection is damaged"
)]
pub struct SeriesError;

/// One series: the facts of one household (or none), worker and
/// (kind, detail, outcome), per day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Series {
    /// What kind of fact.
    pub kind: FactKind,
    /// Its detail code.
    pub detail: String,
    /// Its outcome code.
    pub outcome: String,
    /// The household (`None`: a collective activity itself).
    pub case: Option<Uuid>,
    /// Who recorded them.
    pub worker: String,
    /// The days, in order.
    pub days: Vec<DayTally>,
}

impl Series {
    /// How many facts the series holds.
    pub fn facts(&self) -> i64 {
        self.days.iter().map(|d| d.facts).sum()
    }

    /// The first and last day.
    pub fn span(&self) -> Option<(NaiveDate, NaiveDate)> {
        Some((self.days.first()?.day, self.days.last()?.day))
    }

    /// The days packed: per day the distance from the day before (the
    /// first from day 0 of the common era), the facts and the sum, each a
    /// LEB128 varint (the sum zigzagged).
    pub fn pack(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.days.len() * 4);
        let mut last = 0i64;
        for d in &self.days {
            let day = i64::from(chrono::Datelike::num_days_from_ce(&d.day));
            put(&mut out, zigzag(day - last));
            put(&mut out, zigzag(d.facts));
            put(&mut out, zigzag(d.sum));
            last = day;
        }
        out
    }
}

/// Groups facts into series, in a stable order.
pub fn group<'a>(facts: impl IntoIterator<Item = &'a Fact>) -> Vec<Series> {
    type Key = (Option<Uuid>, String, FactKind, String, String);
    let mut groups: BTreeMap<Key, BTreeMap<NaiveDate, (i64, i64)>> = BTreeMap::new();
    for f in facts {
        let key = (
            f.case,
            f.worker.clone(),
            f.kind,
            f.detail.clone(),
            f.outcome.clone(),
        );
        let day = groups.entry(key).or_default().entry(f.day).or_default();
        day.0 += 1;
        day.1 += f.amount_cents + f.participants;
    }
    groups
        .into_iter()
        .map(|((case, worker, kind, detail, outcome), days)| Series {
            kind,
            detail,
            outcome,
            case,
            worker,
            days: days
                .into_iter()
                .map(|(day, (facts, sum))| DayTally { day, facts, sum })
                .collect(),
        })
        .collect()
}

/// Reads packed days back, one at a time.
pub fn unpack(bytes: &[u8]) -> Unpack<'_> {
    Unpack {
        bytes,
        at: 0,
        day: 0,
    }
}

/// The iterator [`unpack`] returns; stops at the first damaged byte.
#[derive(Debug)]
pub struct Unpack<'a> {
    bytes: &'a [u8],
    at: usize,
    day: i64,
}

impl Unpack<'_> {
    fn varint(&mut self) -> Result<i64, SeriesError> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = *self.bytes.get(self.at).ok_or(SeriesError)?;
            self.at += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(unzigzag(v));
            }
        }
        Err(SeriesError)
    }

    fn next_day(&mut self) -> Result<DayTally, SeriesError> {
        let step = self.varint()?;
        let facts = self.varint()?;
        let sum = self.varint()?;
        self.day = self.day.checked_add(step).ok_or(SeriesError)?;
        let day = i32::try_from(self.day)
            .ok()
            .and_then(NaiveDate::from_num_days_from_ce_opt)
            .ok_or(SeriesError)?;
        Ok(DayTally { day, facts, sum })
    }
}

impl Iterator for Unpack<'_> {
    type Item = Result<DayTally, SeriesError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.at >= self.bytes.len() {
            return None;
        }
        let item = self.next_day();
        if item.is_err() {
            // Nothing after a damaged byte can be trusted.
            self.at = self.bytes.len();
        }
        Some(item)
    }
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fact(day: NaiveDate, kind: FactKind, case: u128, amount: i64) -> Fact {
        Fact {
            kind,
            day,
            detail: String::new(),
            outcome: String::new(),
            worker: "ann".into(),
            case: Some(Uuid::from_u128(case)),
            amount_cents: amount,
            participants: 0,
        }
    }

    #[test]
    fn facts_grouped_packed_and_read_back_keep_every_day_and_amount() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");
        let facts = vec![
            fact(d(2025, 3, 1), FactKind::Contribution, 1, 12_550),
            fact(d(2021, 1, 4), FactKind::Contribution, 1, 40_000),
            fact(d(2025, 3, 1), FactKind::Contribution, 1, -50),
            fact(d(2025, 3, 1), FactKind::Visit, 1, 0),
            fact(d(2025, 3, 1), FactKind::Visit, 2, 0),
        ];
        let series = group(&facts);
        assert_eq!(series.len(), 3, "one per household and kind");
        let money = series
            .iter()
            .find(|s| s.kind == FactKind::Contribution)
            .expect("contributions");
        assert_eq!(money.facts(), 3);
        let back: Vec<DayTally> = unpack(&money.pack())
            .collect::<Result<_, _>>()
            .expect("reads back");
        assert_eq!(back, money.days);
        assert_eq!(
            back,
            vec![
                DayTally {
                    day: d(2021, 1, 4),
                    facts: 1,
                    sum: 40_000
                },
                DayTally {
                    day: d(2025, 3, 1),
                    facts: 2,
                    sum: 12_500
                },
            ]
        );
        // A few bytes per day.
        assert!(money.pack().len() <= 2 * 8, "{} bytes", money.pack().len());
    }

    #[test]
    fn damaged_bytes_are_an_error_not_a_panic() {
        assert_eq!(unpack(&[0x80]).next(), Some(Err(SeriesError)));
        assert_eq!(unpack(&[0xff; 11]).next(), Some(Err(SeriesError)));
        // A day far outside the calendar.
        let mut far = Vec::new();
        put(&mut far, zigzag(i64::MAX / 2));
        put(&mut far, 2);
        put(&mut far, 0);
        assert_eq!(unpack(&far).next(), Some(Err(SeriesError)));
        let mut it = unpack(&[2, 2, 0, 0x80]);
        assert!(matches!(it.next(), Some(Ok(_))));
        assert_eq!(it.next(), Some(Err(SeriesError)));
        assert_eq!(it.next(), None, "nothing after a damaged byte");
    }
}
