//! The case index: one row per case (name, address, status, flags, workers,
//! next appointment) so listing and searching thousands of cases never
//! opens a document. The rows are made here; they are stored and searched
//! in [`crate::local`].

use std::collections::BTreeSet;

use brug_shared::casedoc::CaseDoc;
use brug_shared::model::{
    ActionStatus, CaseFlag, HousingVerdict, Lang, Record, RecordKind, ReviewState, SafetySignal,
};
use brug_shared::rules::{self, RuleContext, Severity};
use brug_shared::schema::{FormKind, field_label};
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use serde::Serialize;
use uuid::Uuid;

/// One thing waiting in the supervisor's queue: a record to review, an
/// action past its deadline, a conflicting field, a safety signal with the
/// time left to follow it up, ...; the case list's flags are these items
/// counted per case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueItem {
    /// The case.
    pub case: Uuid,
    /// The household's name.
    pub household: String,
    /// Why it waits.
    pub reason: CaseFlag,
    /// The record it is about, if one.
    pub record: Option<Uuid>,
    /// That record's kind.
    pub kind: Option<RecordKind>,
    /// When it is (or was) due: a deadline, a follow-up time.
    pub due: Option<NaiveDateTime>,
    /// What it is, in Dutch.
    pub nl: String,
    /// What it is, in English.
    pub en: String,
}

impl QueueItem {
    /// What it is in a language.
    pub fn text(&self, lang: Lang) -> &str {
        match lang {
            Lang::Nl => &self.nl,
            Lang::En => &self.en,
        }
    }
}

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
    /// What waits in the case, one item each (the flags are their reasons).
    #[serde(skip)]
    pub items: Vec<QueueItem>,
    /// The first day after today on which its flags, items or next
    /// appointment may change by the date alone (`None`: never).
    #[serde(skip)]
    pub recheck_on: Option<NaiveDate>,
    /// The attachment bytes the case references, and for a thumbnail the
    /// photo it shows.
    #[serde(skip)]
    pub blobs: Vec<(
        brug_shared::model::BlobHash,
        Option<brug_shared::model::BlobHash>,
    )>,
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
    let (case, conflicted) = doc.case_noting_conflicts()?;
    Ok(index_row_of(doc, case, conflicted, ctx, now_ms))
}

/// [`index_row`] from the case already read out of `doc`; `conflicted`
/// false when that read saw no key with two values (see
/// [`CaseDoc::case_noting_conflicts`]): then the conflicts are not looked
/// for again.
pub fn index_row_of(
    doc: &mut CaseDoc,
    case: brug_shared::model::Case,
    conflicted: bool,
    ctx: &RuleContext,
    now_ms: i64,
) -> IndexRow {
    let conflicts = if conflicted {
        doc.conflicts()
    } else {
        Vec::new()
    };
    let workers = doc.authors();
    let mut flags: BTreeSet<CaseFlag> = BTreeSet::new();
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
    let mut items: Vec<QueueItem> = Vec::new();
    let mut item = |reason: CaseFlag,
                    record: Option<(Uuid, RecordKind)>,
                    due: Option<NaiveDateTime>,
                    nl: String,
                    en: String| {
        flags.insert(reason);
        items.push(QueueItem {
            case: case.id,
            household: case.household.name.clone(),
            reason,
            record: record.map(|r| r.0),
            kind: record.map(|r| r.1),
            due,
            nl,
            en,
        });
    };
    for (id, record) in &records {
        let at = Some((*id, record.kind()));
        for f in rules::check_record(&case, *id, record, None, ctx) {
            if f.severity != Severity::Flag {
                continue;
            }
            let reason = match f.code.as_str() {
                "visit.safety-signal" => CaseFlag::SafetySignal,
                // By today's date, below, not the check's.
                "prepaid.self-disconnection-risk" => continue,
                "defect.category-iii" => CaseFlag::CategoryIii,
                "referral.follow-up-overdue" => CaseFlag::OverdueFollowUp,
                "ean.override" | "reading.override" => CaseFlag::Override,
                _ => continue,
            };
            let due = match record {
                Record::Visit(v) if reason == CaseFlag::SafetySignal => v.follow_up_by,
                Record::Referral(r) if reason == CaseFlag::OverdueFollowUp => {
                    r.follow_up_on.and_then(|d| d.and_hms_opt(0, 0, 0))
                }
                _ => None,
            };
            item(reason, at, due, f.nl, f.en);
        }
        let (nl, en) = summary(record);
        match record.review() {
            Some(r) if r.state == ReviewState::Returned => item(
                CaseFlag::Returned,
                at,
                None,
                format!("{nl} — {}", r.comment),
                format!("{en} — {}", r.comment),
            ),
            Some(r) if r.state == ReviewState::Submitted => {
                item(CaseFlag::Submitted, at, None, nl, en);
            }
            _ => {}
        }
    }
    for (id, v) in &case.visits {
        let at = Some((*id, RecordKind::Visit));
        if v.safety_signal != SafetySignal::None
            && let Some(by) = v.follow_up_by.filter(|f| *f < ctx.now)
        {
            item(
                CaseFlag::OverdueFollowUp,
                at,
                Some(by),
                format!(
                    "Opvolging veiligheidssignaal: {}",
                    v.safety_signal.label(Lang::Nl)
                ),
                format!(
                    "Safety signal follow-up: {}",
                    v.safety_signal.label(Lang::En)
                ),
            );
        }
        for a in v.actions.values() {
            let open = matches!(a.status, ActionStatus::Open | ActionStatus::InProgress);
            if let Some(deadline) = a.deadline.filter(|d| open && *d < today) {
                let who = if a.who.trim().is_empty() {
                    String::new()
                } else {
                    format!(" ({})", a.who.trim())
                };
                item(
                    CaseFlag::OverdueAction,
                    at,
                    deadline.and_hms_opt(0, 0, 0),
                    format!("{}{who}", a.what),
                    format!("{}{who}", a.what),
                );
            }
        }
    }
    for (id, r) in &case.renovations {
        let at = Some((*id, RecordKind::Renovation));
        let verdict = rules::advice_verdict(r);
        if verdict != HousingVerdict::Conform {
            item(
                CaseFlag::UnfitDwelling,
                at,
                None,
                verdict.label(Lang::Nl).to_owned(),
                verdict.label(Lang::En).to_owned(),
            );
        }
        if let Some(on) = r.follow_up_on.filter(|f| *f < today) {
            item(
                CaseFlag::OverdueFollowUp,
                at,
                on.and_hms_opt(0, 0, 0),
                "Opvolging woonadvies".into(),
                "Housing advice follow-up".into(),
            );
        }
    }
    for c in &conflicts {
        let form = c.kind.map_or(FormKind::Household, FormKind::Record);
        let named = |lang| {
            field_label(form, &c.field, lang).map_or_else(|| c.field.to_string(), str::to_owned)
        };
        item(
            CaseFlag::Conflicts,
            c.kind.zip(c.record).map(|(k, id)| (id, k)),
            None,
            named(Lang::Nl),
            named(Lang::En),
        );
    }
    // Self-disconnection risk: the latest gas check of a connection point
    // with a prepaid balance at or below zero, while today is in winter
    // (1 November to 31 March), whatever day it was checked on.
    let mut latest: std::collections::BTreeMap<&str, (NaiveDate, Uuid)> = Default::default();
    for (id, m) in &case.meter_checks {
        if m.prepaid_status.is_some() {
            let entry = latest.entry(m.ean.as_str()).or_insert((m.checked_on, *id));
            if (m.checked_on, *id) > *entry {
                *entry = (m.checked_on, *id);
            }
        }
    }
    let mut winter_matters = false;
    for (_, id) in latest.values() {
        let Some(m) = case.meter_checks.get(id) else {
            continue;
        };
        let Some(p) = &m.prepaid_status else {
            continue;
        };
        if rules::self_disconnection_risk(m.energy, p.balance_cents, today) {
            winter_matters = true;
            item(
                CaseFlag::SelfDisconnectionRisk,
                Some((*id, RecordKind::MeterCheck)),
                None,
                "Risico op zelfafsluiting (gas, saldo ≤ 0, winter): minimale levering aanvragen."
                    .into(),
                "Risk of self-disconnection (gas, balance ≤ 0, winter): request minimum supply."
                    .into(),
            );
        } else if rules::self_disconnection_risk(m.energy, p.balance_cents, winter_start(today)) {
            // Would be at risk in winter: the day the window opens matters.
            winter_matters = true;
        }
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
    let recheck_on = recheck_on(&case, ctx, winter_matters, upcoming);
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
        items,
        recheck_on,
        blobs: case
            .attachments
            .values()
            .flat_map(|a| {
                let thumb = a.thumb.clone().map(|t| (t, Some(a.hash.clone())));
                std::iter::once((a.hash.clone(), None)).chain(thumb)
            })
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
    }
}

/// The next 1 November on or after `day`'s year's start of winter.
fn winter_start(day: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(day.year(), 11, 1).unwrap_or(day)
}

/// The first day after today on which what the index shows of `case` may
/// change by the date alone: a follow-up date or an action's deadline
/// passing, an appointment or a safety follow-up going by, the winter
/// window opening (1 November) or closing (1 April) for a case with a
/// prepaid gas balance at or below zero. `None`: nothing depends on the
/// date. Early is harmless (the case is looked at and nothing changes),
/// late would leave a flag wrong, so each date counts from its own day.
fn recheck_on(
    case: &brug_shared::model::Case,
    ctx: &RuleContext,
    winter_matters: bool,
    upcoming: Option<NaiveDateTime>,
) -> Option<NaiveDate> {
    let today = ctx.today();
    let mut days: Vec<NaiveDate> = Vec::new();
    // A date shown as overdue from the day after it.
    let after = |days: &mut Vec<NaiveDate>, d: NaiveDate| days.extend(d.succ_opt());
    for r in case.referrals.values() {
        if let Some(f) = r.follow_up_on {
            after(&mut days, f);
        }
    }
    for r in case.renovations.values() {
        if let Some(f) = r.follow_up_on {
            after(&mut days, f);
        }
    }
    for v in case.visits.values() {
        for a in v.actions.values() {
            if let Some(d) = a.deadline {
                after(&mut days, d);
            }
        }
        if let Some(by) = v.follow_up_by {
            days.push(by.date());
            days.extend(by.date().succ_opt());
        }
    }
    if let Some(a) = upcoming {
        days.push(a.date());
        days.extend(a.date().succ_opt());
    }
    if winter_matters {
        days.push(winter_start(today));
        days.extend(NaiveDate::from_ymd_opt(today.year(), 4, 1));
        days.extend(NaiveDate::from_ymd_opt(today.year() + 1, 4, 1));
    }
    days.into_iter().filter(|d| *d > today).min()
}

/// A record in a few words for a queue line (the screen adds its kind).
fn summary(record: &Record) -> (String, String) {
    let day = |d: chrono::NaiveDate| d.format("%d/%m/%Y").to_string();
    let text = match record {
        Record::Visit(v) => day(v.start.date()),
        Record::Referral(r) => r.service.clone(),
        Record::MeterCheck(m) => m.energy.label(Lang::Nl).to_owned(),
        _ => String::new(),
    };
    let en = match record {
        Record::MeterCheck(m) => m.energy.label(Lang::En).to_owned(),
        _ => text.clone(),
    };
    (text, en)
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
