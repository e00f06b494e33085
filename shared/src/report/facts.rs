//! What a case's records (and a team's collective activities) count for:
//! one small fact per thing that happened, carrying codes and numbers only,
//! never a name or a sentence someone typed. The server keeps these facts
//! as its report projection, refreshed whenever a case merges; indicators
//! select and count them.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::model::{
    Activity, Case, EnergyType, HousingVerdict, Intervention, LifeDomain, Priority, ReferralStatus,
    SmallMeasure, SmallMeasureStatus, Urgency, VisitKind, VisitOutcome, labelled_enum,
};
use crate::rules::{housing_verdict, self_disconnection_risk};

labelled_enum! {
    /// The kinds of fact the records yield; indicators select among them.
    FactKind {
        /// A home visit or contact (detail: its kind; outcome: done, not at home, ...).
        Visit = "visit", "huisbezoek", "home visit";
        /// A help request at a visit (detail: life domain; outcome: urgency).
        HelpRequest = "help-request", "hulpvraag", "help request";
        /// An energy-meter check (detail: energy; outcome: prepaid or regular).
        MeterCheck = "meter-check", "energiecheck", "meter check";
        /// A self-disconnection risk found at a check (detail: energy).
        SelfDisconnectionRisk = "self-disconnection-risk", "risico op zelfafsluiting", "self-disconnection risk";
        /// An OCMW contribution to energy bills (amount).
        Contribution = "contribution", "tussenkomst energiefactuur", "contribution to energy bills";
        /// A payment plan agreed for energy debts.
        PaymentPlan = "payment-plan", "afbetalingsplan", "payment plan";
        /// A LAC file.
        Lac = "lac", "LAC-dossier", "LAC file";
        /// An energy scan.
        EnergyScan = "energy-scan", "energiescan", "energy scan";
        /// A small energy measure (detail: which; outcome: installed, handed over, refused).
        SmallMeasure = "small-measure", "kleine energiemaatregel", "small energy measure";
        /// A referral (detail: the service's code; outcome: its status).
        Referral = "referral", "doorverwijzing", "referral";
        /// A renovation advice (detail: its indicative verdict).
        Renovation = "renovation", "woonadvies", "renovation advice";
        /// A defect found (detail: its category).
        Defect = "defect", "gebrek", "defect";
        /// A measure advised (detail: its priority).
        Measure = "measure", "maatregel", "measure";
        /// A dwelling whose verdict went from unfit or uninhabitable to conform (detail: the verdict before).
        DwellingImproved = "dwelling-improved", "woning van ongeschikt naar conform", "dwelling from unfit to conform";
        /// A collective activity (detail: the plan's action; participants).
        Activity = "activity", "collectieve activiteit", "collective activity";
        /// A household with a case taking part in a collective activity (detail: the action; outcome: done, so "reached" indicators can select it beside visits that took place).
        ActivityHousehold = "activity-household", "gezin op collectieve activiteit", "household at a collective activity";
    }
}

fn codes<T: Copy>(all: &[T], code: fn(T) -> &'static str) -> Vec<&'static str> {
    all.iter().map(|v| code(*v)).collect()
}

impl FactKind {
    /// The details a fact of this kind can carry, when they are a fixed
    /// list (`None`: service or action codes, checked elsewhere, or none).
    pub fn details(self) -> Option<Vec<&'static str>> {
        Some(match self {
            Self::Visit => codes(VisitKind::ALL, VisitKind::code),
            Self::HelpRequest => codes(LifeDomain::ALL, LifeDomain::code),
            Self::MeterCheck | Self::SelfDisconnectionRisk => {
                codes(EnergyType::ALL, EnergyType::code)
            }
            Self::SmallMeasure => codes(SmallMeasure::ALL, SmallMeasure::code),
            Self::Renovation => codes(HousingVerdict::ALL, HousingVerdict::code),
            Self::Defect => vec!["I", "II", "III"],
            Self::Measure => codes(Priority::ALL, Priority::code),
            Self::DwellingImproved => vec!["unfit", "uninhabitable"],
            Self::Referral | Self::Activity | Self::ActivityHousehold => return None,
            Self::Contribution | Self::PaymentPlan | Self::Lac | Self::EnergyScan => Vec::new(),
        })
    }

    /// The outcomes a fact of this kind can carry.
    pub fn outcomes(self) -> Vec<&'static str> {
        match self {
            Self::Visit => codes(VisitOutcome::ALL, VisitOutcome::code),
            Self::HelpRequest => codes(Urgency::ALL, Urgency::code),
            Self::MeterCheck => vec!["prepaid", "regular"],
            Self::SmallMeasure => codes(SmallMeasureStatus::ALL, SmallMeasureStatus::code),
            Self::Referral => codes(ReferralStatus::ALL, ReferralStatus::code),
            Self::DwellingImproved => vec!["conform"],
            Self::ActivityHousehold => vec!["done"],
            _ => Vec::new(),
        }
    }

    /// Whether facts of this kind carry an amount in euro cents.
    pub fn has_amount(self) -> bool {
        self == Self::Contribution
    }
}

/// One thing that happened, as the report counts it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fact {
    /// What kind of thing.
    pub kind: FactKind,
    /// The day it happened.
    pub day: NaiveDate,
    /// A code narrowing it down (a visit's kind, a service, a category).
    pub detail: String,
    /// A code for how it ended (a visit's outcome, a referral's status).
    pub outcome: String,
    /// The user who recorded it ("" when the document does not say).
    pub worker: String,
    /// The household it is about (`None` for a collective activity).
    pub case: Option<Uuid>,
    /// An amount in euro cents (contributions), else 0.
    pub amount_cents: i64,
    /// Participants (collective activities), else 0.
    pub participants: i64,
}

impl Fact {
    fn of(kind: FactKind, day: NaiveDate, case: Uuid, worker: &str) -> Self {
        Self {
            kind,
            day,
            detail: String::new(),
            outcome: String::new(),
            worker: worker.to_owned(),
            case: Some(case),
            amount_cents: 0,
            participants: 0,
        }
    }

    fn detail(mut self, detail: &str) -> Self {
        detail.clone_into(&mut self.detail);
        self
    }

    fn outcome(mut self, outcome: &str) -> Self {
        outcome.clone_into(&mut self.outcome);
        self
    }
}

/// The facts of one case. `author` names who recorded a record (by its id),
/// when the document says.
pub fn case_facts(case: &Case, author: &dyn Fn(Uuid) -> Option<String>) -> Vec<Fact> {
    let mut out = Vec::new();
    let id = case.id;
    for (rid, v) in &case.visits {
        let who = author(*rid).unwrap_or_default();
        let day = v.start.date();
        out.push(
            Fact::of(FactKind::Visit, day, id, &who)
                .detail(v.kind.code())
                .outcome(v.outcome.code()),
        );
        for h in v.help_requests.values() {
            out.push(
                Fact::of(FactKind::HelpRequest, day, id, &who)
                    .detail(h.domain.code())
                    .outcome(h.urgency.code()),
            );
        }
    }
    for (rid, m) in &case.meter_checks {
        let who = author(*rid).unwrap_or_default();
        let day = m.checked_on;
        let paying = if m.prepaid { "prepaid" } else { "regular" };
        out.push(
            Fact::of(FactKind::MeterCheck, day, id, &who)
                .detail(m.energy.code())
                .outcome(paying),
        );
        if let Some(status) = &m.prepaid_status
            && self_disconnection_risk(m.energy, status.balance_cents, day)
        {
            out.push(
                Fact::of(FactKind::SelfDisconnectionRisk, day, id, &who).detail(m.energy.code()),
            );
        }
        for i in m.interventions.values() {
            match i {
                Intervention::Contribution { amount_cents, .. } => {
                    let mut f = Fact::of(FactKind::Contribution, day, id, &who);
                    f.amount_cents = *amount_cents;
                    out.push(f);
                }
                Intervention::PaymentPlan { start, .. } => {
                    out.push(Fact::of(FactKind::PaymentPlan, *start, id, &who));
                }
                Intervention::Lac { date, .. } => {
                    out.push(Fact::of(FactKind::Lac, *date, id, &who));
                }
                Intervention::EnergyReferral { .. } => {}
            }
        }
    }
    for (rid, s) in &case.energy_scans {
        let who = author(*rid).unwrap_or_default();
        out.push(Fact::of(FactKind::EnergyScan, s.scanned_on, id, &who));
        for (measure, status) in &s.small_measures {
            out.push(
                Fact::of(FactKind::SmallMeasure, s.scanned_on, id, &who)
                    .detail(measure.code())
                    .outcome(status.code()),
            );
        }
    }
    renovation_facts(case, author, &mut out);
    for (rid, r) in &case.referrals {
        let who = author(*rid).unwrap_or_default();
        out.push(
            Fact::of(FactKind::Referral, r.referred_on, id, &who)
                .detail(&r.service)
                .outcome(r.status.code()),
        );
    }
    out
}

fn renovation_facts(case: &Case, author: &dyn Fn(Uuid) -> Option<String>, out: &mut Vec<Fact>) {
    let id = case.id;
    let mut verdicts = Vec::new();
    for (rid, r) in &case.renovations {
        let who = author(*rid).unwrap_or_default();
        let day = r.advised_on;
        let verdict = housing_verdict(r.defects.values());
        out.push(Fact::of(FactKind::Renovation, day, id, &who).detail(verdict.code()));
        for d in r.defects.values() {
            out.push(Fact::of(FactKind::Defect, day, id, &who).detail(d.category.code()));
        }
        for m in r.measures.values() {
            out.push(Fact::of(FactKind::Measure, day, id, &who).detail(m.priority.code()));
        }
        verdicts.push((day, verdict, who));
    }
    // Advice after advice, in date order: each step from unfit or
    // uninhabitable to conform is one dwelling improved.
    verdicts.sort_by_key(|(day, _, _)| *day);
    for pair in verdicts.windows(2) {
        let (_, before, _) = &pair[0];
        let (day, after, who) = &pair[1];
        if *before != HousingVerdict::Conform && *after == HousingVerdict::Conform {
            out.push(
                Fact::of(FactKind::DwellingImproved, *day, id, who)
                    .detail(before.code())
                    .outcome("conform"),
            );
        }
    }
}

/// The facts of one collective activity: the activity itself and each
/// household with a case that took part.
pub fn activity_facts(activity: &Activity) -> Vec<Fact> {
    let worker = activity.recorded_by.as_str();
    let mut out = vec![Fact {
        kind: FactKind::Activity,
        day: activity.held_on,
        detail: activity.action.clone(),
        outcome: String::new(),
        worker: worker.to_owned(),
        case: None,
        amount_cents: 0,
        participants: i64::from(activity.participants),
    }];
    let mut seen = std::collections::BTreeSet::new();
    for h in &activity.households {
        if seen.insert(*h) {
            out.push(
                Fact::of(FactKind::ActivityHousehold, activity.held_on, *h, worker)
                    .detail(&activity.action)
                    .outcome("done"),
            );
        }
    }
    out
}
