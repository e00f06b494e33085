//! A caseload whose report figures are known: every record the generator
//! writes is also noted here in plain terms (a visit that took place, a
//! gas budget meter at zero in winter, a contribution of so many cents, a
//! referral to debt help that was realised), and [`Truth::expected`] says
//! what each indicator of the built-in plan must show, from those notes
//! alone, by rules written out here independently of the server's
//! projection. Edits and removals update the notes the same way.

use std::collections::{BTreeMap, BTreeSet};

use brug_shared::model::*;
use chrono::{Datelike, NaiveDate};
use uuid::Uuid;

use crate::caseload::Rng;

/// What one generated record counts for, in plain terms.
#[derive(Debug, Clone, PartialEq)]
pub enum Made {
    /// A home visit; `helps` help requests noted at it.
    Visit {
        /// It took place (else: nobody at home).
        done: bool,
        /// Help requests.
        helps: usize,
    },
    /// A meter check.
    Check {
        /// A budget meter.
        prepaid: bool,
        /// Gas at or below zero between November and March.
        risk: bool,
        /// Contributions to energy bills, in cents.
        contributions: Vec<i64>,
    },
    /// A referral.
    Referral {
        /// The service's code.
        service: String,
        /// Realised.
        done: bool,
    },
    /// A renovation advice.
    Renovation {
        /// Its indicative verdict is conform.
        conform: bool,
    },
    /// A household's part in a collective activity.
    AtActivity,
    /// A collective activity itself.
    Activity {
        /// The plan's action.
        action: String,
        /// How many took part.
        participants: i64,
    },
}

/// One generated record.
#[derive(Debug, Clone, PartialEq)]
pub struct Noted {
    /// The team.
    pub team: String,
    /// The household (none for an activity).
    pub case: Option<Uuid>,
    /// Its day.
    pub day: NaiveDate,
    /// What it counts for.
    pub made: Made,
}

/// Every generated record, by id.
#[derive(Debug, Default)]
pub struct Truth {
    /// The notes.
    pub records: BTreeMap<Uuid, Noted>,
}

const DEBT: &[&str] = &["debt-help", "debt-mediation-session"];
const FOOD: &[&str] = &["school-meal", "food-aid"];
const ENERGY: &[&str] = &[
    "budget-meter-top-up",
    "fluvius-session",
    "energy-contribution",
    "energiehuis",
    "energiesnoeiers",
    "social-tariff-check",
];
/// Services the generator refers to.
pub const SERVICES: &[&str] = &[
    "debt-help",
    "debt-mediation-session",
    "school-meal",
    "food-aid",
    "fluvius-session",
    "woonclub",
    "caw",
];

/// "2025 K1" for a day in the first quarter of 2025.
pub fn quarter(day: NaiveDate) -> String {
    format!("{} K{}", day.year(), day.month0() / 3 + 1)
}

impl Truth {
    /// What `indicator` must show for `team` in `column` (a quarter label,
    /// or `None` for the whole of `from..=to`).
    pub fn expected(
        &self,
        team: &str,
        indicator: &str,
        column: Option<&str>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> i64 {
        let rows: Vec<&Noted> = self
            .records
            .values()
            .filter(|n| n.team == team && n.day >= from && n.day <= to)
            .filter(|n| column.is_none_or(|c| quarter(n.day) == c))
            .collect();
        let households = |keep: &dyn Fn(&Made) -> bool| {
            rows.iter()
                .filter(|n| keep(&n.made))
                .filter_map(|n| n.case)
                .collect::<BTreeSet<_>>()
                .len() as i64
        };
        let count = |keep: &dyn Fn(&Made) -> i64| rows.iter().map(|n| keep(&n.made)).sum::<i64>();
        let referred = |codes: &'static [&'static str], done_only: bool| {
            move |m: &Made| match m {
                Made::Referral { service, done } => {
                    i64::from(codes.contains(&service.as_str()) && (*done || !done_only))
                }
                _ => 0,
            }
        };
        match indicator {
            "households-reached" => {
                households(&|m| matches!(m, Made::Visit { done: true, .. } | Made::AtActivity))
            }
            "visits-done" => count(&|m| i64::from(matches!(m, Made::Visit { done: true, .. }))),
            "visits-not-at-home" => {
                count(&|m| i64::from(matches!(m, Made::Visit { done: false, .. })))
            }
            "help-requests" => count(&|m| match m {
                Made::Visit { helps, .. } => *helps as i64,
                _ => 0,
            }),
            "meter-checks" => count(&|m| i64::from(matches!(m, Made::Check { .. }))),
            "budget-meter-checks" => {
                count(&|m| i64::from(matches!(m, Made::Check { prepaid: true, .. })))
            }
            "self-disconnection-risks" => {
                households(&|m| matches!(m, Made::Check { risk: true, .. }))
            }
            "energy-contributions" => count(&|m| match m {
                Made::Check { contributions, .. } => contributions.len() as i64,
                _ => 0,
            }),
            "energy-contributions-euro" => count(&|m| match m {
                Made::Check { contributions, .. } => contributions.iter().sum(),
                _ => 0,
            }),
            "energy-referrals" => count(&referred(ENERGY, false)),
            "debt-households-referred" => households(&|m| referred(DEBT, false)(m) > 0),
            "debt-referrals-realised" => count(&referred(DEBT, true)),
            "food-referrals" => count(&referred(FOOD, false)),
            "food-referrals-realised" => count(&referred(FOOD, true)),
            "woonclub-referrals" => count(&referred(&["woonclub"], false)),
            "renovation-advice" => count(&|m| i64::from(matches!(m, Made::Renovation { .. }))),
            "dwellings-improved" => self.improved(team, column, from, to),
            "dutch-sessions" => count(&|m| match m {
                Made::Activity { action, .. } => i64::from(action == "nederlands-oefenen"),
                _ => 0,
            }),
            "dutch-participants" => count(&|m| match m {
                Made::Activity {
                    action,
                    participants,
                } if action == "nederlands-oefenen" => *participants,
                _ => 0,
            }),
            // Nothing else is generated.
            _ => 0,
        }
    }

    /// Households whose renovation advice went from not conform to conform
    /// on a day in the column: each case's advice in date order.
    fn improved(&self, team: &str, column: Option<&str>, from: NaiveDate, to: NaiveDate) -> i64 {
        let mut by_case: BTreeMap<Uuid, Vec<(NaiveDate, bool)>> = BTreeMap::new();
        for n in self.records.values().filter(|n| n.team == team) {
            if let (Made::Renovation { conform }, Some(c)) = (&n.made, n.case) {
                by_case.entry(c).or_default().push((n.day, *conform));
            }
        }
        let mut cases = BTreeSet::new();
        for (case, mut advice) in by_case {
            advice.sort();
            for pair in advice.windows(2) {
                let (day, now) = pair[1];
                if !pair[0].1
                    && now
                    && day >= from
                    && day <= to
                    && column.is_none_or(|c| quarter(day) == c)
                {
                    cases.insert(case);
                }
            }
        }
        cases.len() as i64
    }
}

fn at(day: NaiveDate, hour: u32) -> chrono::NaiveDateTime {
    day.and_hms_opt(hour, 0, 0).unwrap_or_default()
}

/// A day of 2025 (and a few of early 2026, outside a 2025 report).
pub fn some_day(rng: &mut Rng) -> NaiveDate {
    let start = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default();
    start + chrono::Duration::days(rng.below(400) as i64)
}

/// A visit record and its note.
pub fn visit(rng: &mut Rng, day: NaiveDate) -> (Record, Made) {
    let Record::Visit(mut v) = examples::example(RecordKind::Visit) else {
        unreachable!("the example of a visit is a visit")
    };
    let done = rng.below(4) != 0;
    v.start = at(day, 10);
    v.end = None;
    v.planned_at = None;
    v.next_appointment = None;
    v.outcome = if done {
        VisitOutcome::Done
    } else {
        VisitOutcome::NotAtHome
    };
    let helps = if done { rng.below(3) as usize } else { 0 };
    v.help_requests = (0..helps)
        .map(|i| {
            (
                Uuid::from_u128(i as u128 + 1),
                HelpRequest {
                    domain: *rng.pick(LifeDomain::ALL),
                    description: "hulpvraag".into(),
                    urgency: Urgency::Normal,
                },
            )
        })
        .collect();
    v.no_help_request = helps == 0;
    v.actions.clear();
    (Record::Visit(v), Made::Visit { done, helps })
}

/// A meter check (gas budget meters among them) and its note.
pub fn check(rng: &mut Rng, day: NaiveDate) -> (Record, Made) {
    let Record::MeterCheck(mut c) = examples::example(RecordKind::MeterCheck) else {
        unreachable!("the example of a meter check is one")
    };
    c.checked_on = day;
    c.readings.clear();
    let prepaid = rng.below(2) == 0;
    let mut risk = false;
    if prepaid {
        c.energy = EnergyType::Gas;
        c.ean = examples::EXAMPLE_EAN_GAS.into();
        c.meter_kind = MeterKind::Digital;
        c.prepaid = true;
        c.supplier_kind = SupplierKind::FluviusSocial;
        c.supplier_name = None;
        c.gas_type = Some(GasType::H);
        let balance = if rng.below(2) == 0 { -1_500 } else { 2_000 };
        c.prepaid_status = Some(PrepaidStatus {
            balance_cents: balance,
            last_top_up: None,
            debt_cents: None,
        });
        risk = balance <= 0 && matches!(day.month(), 11 | 12 | 1 | 2 | 3);
    }
    let contributions: Vec<i64> = (0..rng.below(3))
        .map(|_| 5_000 + 25 * rng.below(400) as i64)
        .collect();
    c.interventions = contributions
        .iter()
        .enumerate()
        .map(|(i, cents)| {
            (
                Uuid::from_u128(i as u128 + 10),
                Intervention::Contribution {
                    purpose: "gasfactuur".into(),
                    amount_cents: *cents,
                    beneficiary: "Engie".into(),
                },
            )
        })
        .collect();
    (
        Record::MeterCheck(c),
        Made::Check {
            prepaid,
            risk,
            contributions,
        },
    )
}

/// A referral to one of [`SERVICES`] and its note.
pub fn referral(rng: &mut Rng, day: NaiveDate) -> (Record, Made) {
    let Record::Referral(mut r) = examples::example(RecordKind::Referral) else {
        unreachable!("the example of a referral is one")
    };
    let service = (*rng.pick(SERVICES)).to_owned();
    let done = rng.below(2) == 0;
    r.service.clone_from(&service);
    r.referred_on = day;
    if service == "caw" {
        r.legal_basis = Some("hulpverlening".into());
    }
    if done {
        r.status = ReferralStatus::Done;
        r.result = Some("afgerond".into());
    }
    (Record::Referral(r), Made::Referral { service, done })
}

/// A renovation advice, conform or not, and its note.
pub fn renovation(day: NaiveDate, conform: bool) -> (Record, Made) {
    let Record::Renovation(mut r) = examples::example(RecordKind::Renovation) else {
        unreachable!("the example of renovation advice is one")
    };
    r.advised_on = day;
    r.follow_up_on = None;
    if !conform && let Some(d) = r.defects.values_mut().next() {
        d.category = DefectCategory::II;
        d.severity = DefectSeverity::Serious;
    }
    (Record::Renovation(r), Made::Renovation { conform })
}
