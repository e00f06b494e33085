//! The case index: one row per case (name, address, status, flags, workers,
//! next appointment) so listing and searching thousands of cases never
//! opens a document. The rows are made here; they are stored and searched
//! in [`crate::local`].

use std::collections::BTreeSet;

use brug_shared::casedoc::CaseDoc;
use brug_shared::model::{CaseFlag, HousingVerdict, Record, RecordKind, ReviewState, SafetySignal};
use brug_shared::rules::{self, RuleContext, Severity};
use serde::Serialize;
use uuid::Uuid;

/// One case in the list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndexRow {
    /// The case id.
    pub id: Uuid,
    /// Household name.
    pub name: String,
    /// Street, number and municipality.
    pub address: String,
    /// Postcode.
    pub postcode: String,
    /// Case status code.
    pub status: String,
    /// Flag codes (see [`CaseFlag`]).
    pub flags: Vec<String>,
    /// Users who edited the case.
    pub workers: Vec<String>,
    /// Schools of the children.
    pub schools: String,
    /// Next appointment (ISO local date-time).
    pub next_appointment: Option<String>,
    /// Number of conflicting fields.
    pub conflicts: i64,
    /// When the row was written (ms).
    pub updated_at: i64,
    /// Records submitted and waiting for a supervisor's review.
    pub waiting: i64,
}

impl IndexRow {
    /// What a search matches against.
    pub fn search_text(&self) -> String {
        format!(
            "{} {} {} {}",
            self.name, self.address, self.postcode, self.schools
        )
        .to_lowercase()
    }
}

/// Computes a case's index row (and its flags from the rules).
pub fn index_row(
    doc: &mut CaseDoc,
    ctx: &RuleContext,
    now_ms: i64,
) -> Result<IndexRow, brug_shared::casedoc::CaseDocError> {
    let case = doc.case()?;
    Ok(index_row_of(doc, case, ctx, now_ms))
}

/// [`index_row`] from the case already read out of `doc`.
pub fn index_row_of(
    doc: &mut CaseDoc,
    case: brug_shared::model::Case,
    ctx: &RuleContext,
    now_ms: i64,
) -> IndexRow {
    let conflicts = doc.conflicts();
    let workers = doc.authors();
    let mut flags: BTreeSet<CaseFlag> = BTreeSet::new();
    let mut waiting = 0;
    let today = ctx.today();

    let mut records: Vec<(Uuid, Record)> = Vec::new();
    records.extend(
        case.members
            .iter()
            .map(|(i, r)| (*i, Record::Member(r.clone()))),
    );
    records.extend(
        case.consents
            .iter()
            .map(|(i, r)| (*i, Record::Consent(r.clone()))),
    );
    records.extend(
        case.visits
            .iter()
            .map(|(i, r)| (*i, Record::Visit(r.clone()))),
    );
    records.extend(
        case.meter_checks
            .iter()
            .map(|(i, r)| (*i, Record::MeterCheck(r.clone()))),
    );
    records.extend(
        case.energy_scans
            .iter()
            .map(|(i, r)| (*i, Record::EnergyScan(r.clone()))),
    );
    records.extend(
        case.renovations
            .iter()
            .map(|(i, r)| (*i, Record::Renovation(r.clone()))),
    );
    records.extend(
        case.referrals
            .iter()
            .map(|(i, r)| (*i, Record::Referral(r.clone()))),
    );
    for (id, record) in &records {
        for f in rules::check_record(&case, *id, record, None, ctx) {
            if f.severity != Severity::Flag {
                continue;
            }
            match f.code.as_str() {
                "visit.safety-signal" => flags.insert(CaseFlag::SafetySignal),
                "prepaid.self-disconnection-risk" => flags.insert(CaseFlag::SelfDisconnectionRisk),
                "defect.category-iii" => flags.insert(CaseFlag::CategoryIii),
                "referral.follow-up-overdue" => flags.insert(CaseFlag::OverdueFollowUp),
                "ean.override" | "reading.override" => flags.insert(CaseFlag::Override),
                _ => false,
            };
        }
        match record.review().map(|r| r.state) {
            Some(ReviewState::Returned) => {
                flags.insert(CaseFlag::Returned);
            }
            Some(ReviewState::Submitted) => {
                flags.insert(CaseFlag::Submitted);
                waiting += 1;
            }
            _ => {}
        }
    }
    for v in case.visits.values() {
        if v.safety_signal != SafetySignal::None && v.follow_up_by.is_some_and(|f| f < ctx.now) {
            flags.insert(CaseFlag::OverdueFollowUp);
        }
    }
    for r in case.renovations.values() {
        if rules::advice_verdict(r) != HousingVerdict::Conform {
            flags.insert(CaseFlag::UnfitDwelling);
        }
        if r.follow_up_on.is_some_and(|f| f < today) {
            flags.insert(CaseFlag::OverdueFollowUp);
        }
    }
    if !conflicts.is_empty() {
        flags.insert(CaseFlag::Conflicts);
    }

    let upcoming = std::iter::once(case.household.next_appointment)
        .chain(case.visits.values().map(|v| v.next_appointment))
        .chain(case.referrals.values().map(|r| r.appointment))
        .flatten()
        .filter(|a| *a >= ctx.now)
        .min();
    let schools: BTreeSet<String> = case
        .members
        .values()
        .filter_map(|m| m.school.clone())
        .collect();
    let h = &case.household;
    IndexRow {
        id: case.id,
        name: h.name.clone(),
        address: format!(
            "{} {}, {} {}",
            h.address.street, h.address.number, h.address.postcode, h.address.municipality
        ),
        postcode: h.address.postcode.to_string(),
        status: h.status.code().into(),
        flags: flags.into_iter().map(|f| f.code().to_owned()).collect(),
        workers,
        schools: schools.into_iter().collect::<Vec<_>>().join(", "),
        next_appointment: upcoming.map(|a| a.format("%Y-%m-%dT%H:%M").to_string()),
        conflicts: conflicts.len() as i64,
        updated_at: now_ms,
        waiting,
    }
}

/// What to look for in the case list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseQuery {
    /// Words in the name, address, postcode or school.
    pub text: Option<String>,
    /// A status code.
    pub status: Option<String>,
    /// A flag code.
    pub flag: Option<String>,
    /// A user who worked the case.
    pub worker: Option<String>,
    /// At most this many rows.
    pub limit: Option<usize>,
}

/// The kind of the record with this id in a case, if any.
pub fn kind_of(case: &brug_shared::model::Case, id: Uuid) -> Option<RecordKind> {
    let found = [
        (RecordKind::Member, case.members.contains_key(&id)),
        (RecordKind::Consent, case.consents.contains_key(&id)),
        (RecordKind::Visit, case.visits.contains_key(&id)),
        (RecordKind::MeterCheck, case.meter_checks.contains_key(&id)),
        (RecordKind::EnergyScan, case.energy_scans.contains_key(&id)),
        (RecordKind::Renovation, case.renovations.contains_key(&id)),
        (RecordKind::Referral, case.referrals.contains_key(&id)),
    ];
    found.into_iter().find(|(_, hit)| *hit).map(|(k, _)| k)
}
