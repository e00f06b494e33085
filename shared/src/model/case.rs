//! The case (dossier): one household, its members and consents.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    EnergyScan, MeterCheck, Referral, RenovationAdvice, Visit, YesNoUnknown, labelled_enum,
};
use crate::rules::types::{NationalNumber, Postcode};

labelled_enum! {
    /// Where a case stands.
    CaseStatus {
        Registered = "registered", "aangemeld", "registered";
        Active = "active", "actief", "active";
        OnHold = "on-hold", "on hold", "on hold";
        Closed = "closed", "afgesloten", "closed";
    }
}

labelled_enum! {
    /// How the household reached the Huis van Welzijn.
    IntakeChannel {
        School = "school", "school", "school";
        Clb = "clb", "CLB", "CLB (pupil guidance centre)";
        SelfReferred = "self", "op eigen initiatief", "self-referred";
        FluviusLac = "fluvius-lac", "Fluvius/LAC-lijst", "Fluvius/LAC list";
        Woonwijs = "woonwijs", "Woonwijs", "Woonwijs";
        Caw = "caw", "CAW", "CAW";
        HealthInsurer = "health-insurer", "ziekenfonds", "health insurer";
        Other = "other", "andere", "other";
    }
}

labelled_enum! {
    /// The household's housing situation.
    HousingSituation {
        OwnerOccupier = "owner-occupier", "eigenaar-bewoner", "owner-occupier";
        PrivateRent = "private-rent", "private huur", "private rent";
        SocialRent = "social-rent", "sociale huur (SHM)", "social rent (SHM)";
        SocialRentalAgency = "svk", "sociaal verhuurkantoor (SVK)", "social rental agency (SVK)";
        Transit = "transit", "doorgangswoning / noodwoning", "emergency or transit housing";
        Precarious = "precarious", "precair / dakloos", "precarious or homeless";
    }
}

labelled_enum! {
    /// Where the household's income comes from: a category, never an amount.
    IncomeSource {
        Leefloon = "leefloon", "leefloon", "social integration income";
        Work = "work", "werk", "work";
        Unemployment = "unemployment", "werkloosheid", "unemployment benefit";
        Sickness = "sickness", "ziekte / invaliditeit", "sickness or disability";
        DisabilityAllowance = "ivt-it", "IVT/IT", "disability allowance (IVT/IT)";
        Pension = "pension", "pensioen / IGO", "pension / IGO";
        None = "none", "geen", "none";
        Unknown = "unknown", "onbekend", "unknown";
    }
}

labelled_enum! {
    /// A member's place in the household.
    MemberRole {
        Reference = "reference", "referentiepersoon", "reference person";
        Partner = "partner", "partner", "partner";
        Child = "child", "kind", "child";
        Other = "other", "andere", "other";
    }
}

labelled_enum! {
    /// How a consent was given.
    ConsentForm {
        Oral = "oral", "mondeling", "oral";
        Written = "written", "schriftelijk", "written";
    }
}

labelled_enum! {
    /// Who outside the OCMW data may be shared with.
    Recipient {
        School = "school", "school", "school";
        Clb = "clb", "CLB", "CLB";
        Fluvius = "fluvius", "Fluvius", "Fluvius";
        Energiehuis = "energiehuis", "Energiehuis", "Energiehuis";
        Landlord = "landlord", "verhuurder", "landlord";
        Woonwijs = "woonwijs", "Woonwijs", "Woonwijs";
        Caw = "caw", "CAW", "CAW";
        HealthInsurer = "health-insurer", "ziekenfonds", "health insurer";
        DebtMediation = "debt-mediation", "VZW Schuldbemiddeling", "debt mediation association";
        OtherService = "other", "andere dienst", "other service";
    }
}

labelled_enum! {
    /// Categories of personal data, for consents and referrals.
    DataCategory {
        Identity = "identity", "identiteit en contact", "identity and contact";
        Household = "household", "gezinssamenstelling", "household composition";
        Income = "income", "inkomenscategorie", "income category";
        Energy = "energy", "energiegegevens", "energy data";
        Housing = "housing", "woonsituatie", "housing situation";
        Debts = "debts", "schulden", "debts";
        Health = "health", "gezondheid (gecodeerd)", "health (coded need)";
        School = "school", "schoolgegevens", "school data";
    }
}

/// A postal address in Belgium.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Address {
    /// Street name.
    pub street: String,
    /// House number, kept as text ("12A").
    pub number: String,
    /// Box (bus), if any.
    #[serde(default)]
    pub box_number: Option<String>,
    /// Belgian postcode.
    pub postcode: Postcode,
    /// Municipality or sub-municipality name.
    pub municipality: String,
}

/// Yes/no/unknown statuses that decide which social measures apply.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SocialStatuses {
    /// Beschermde afnemer: entitled to the social energy tariff.
    #[serde(default)]
    pub protected_customer: YesNoUnknown,
    /// Social tariff actually applied on the bills.
    #[serde(default)]
    pub social_tariff: YesNoUnknown,
    /// Verhoogde tegemoetkoming from the health insurer.
    #[serde(default)]
    pub increased_allowance: YesNoUnknown,
    /// Budget guidance (budgetbegeleiding).
    #[serde(default)]
    pub budget_guidance: YesNoUnknown,
    /// Budget management (budgetbeheer).
    #[serde(default)]
    pub budget_management: YesNoUnknown,
    /// Collective debt settlement (CSR).
    #[serde(default)]
    pub debt_settlement: YesNoUnknown,
    /// A file at the local advisory committee (LAC).
    #[serde(default)]
    pub lac_file: YesNoUnknown,
}

/// The household-level fields of a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Household {
    /// Display name of the household ("Familie Vermeulen").
    pub name: String,
    /// Where the case stands.
    pub status: CaseStatus,
    /// Date the case was opened.
    pub opened_on: NaiveDate,
    /// Date the case was closed; required once closed.
    #[serde(default)]
    pub closed_on: Option<NaiveDate>,
    /// Why the case was closed; required once closed.
    #[serde(default)]
    pub close_reason: Option<String>,
    /// How the household reached us.
    pub intake_channel: IntakeChannel,
    /// Where the household lives.
    pub address: Address,
    /// The household's housing situation.
    pub housing: HousingSituation,
    /// Contact phone number.
    #[serde(default)]
    pub phone: Option<String>,
    /// Income source categories, never amounts.
    #[serde(default)]
    pub income_sources: Vec<IncomeSource>,
    /// Social statuses.
    #[serde(default)]
    pub statuses: SocialStatuses,
    /// Next appointment with the household.
    #[serde(default)]
    pub next_appointment: Option<chrono::NaiveDateTime>,
    /// Free-text notes about the household (merged by character).
    #[serde(default)]
    pub notes: String,
}

/// A member of the household.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Member {
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Birth year, when the exact date is not needed.
    #[serde(default)]
    pub birth_year: Option<i32>,
    /// Exact birth date, when known and needed.
    #[serde(default)]
    pub birth_date: Option<NaiveDate>,
    /// Place in the household.
    pub role: MemberRole,
    /// School, for children.
    #[serde(default)]
    pub school: Option<String>,
    /// Class, for children.
    #[serde(default)]
    pub class: Option<String>,
    /// National register number, only where a workflow needs it.
    #[serde(default)]
    pub national_number: Option<NationalNumber>,
}

/// A consent to share data outside the OCMW.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Consent {
    /// What the data will be used for.
    pub purpose: String,
    /// Who receives the data.
    pub recipient: Recipient,
    /// Which categories of data may be shared.
    pub data_categories: Vec<DataCategory>,
    /// When the consent was given.
    pub given_on: NaiveDate,
    /// Oral or written.
    pub form: ConsentForm,
    /// When the consent was withdrawn, if it was.
    #[serde(default)]
    pub withdrawn_on: Option<NaiveDate>,
}

/// One household case as the app reads it: the hydrated case document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    /// The case id (UUIDv7 made on the device that registered it).
    pub id: Uuid,
    /// Document schema version.
    pub schema: u32,
    /// Household-level fields.
    pub household: Household,
    /// Household members.
    #[serde(default)]
    pub members: BTreeMap<Uuid, Member>,
    /// Consents.
    #[serde(default)]
    pub consents: BTreeMap<Uuid, Consent>,
    /// Home visits.
    #[serde(default)]
    pub visits: BTreeMap<Uuid, Visit>,
    /// Energy-meter checks.
    #[serde(default)]
    pub meter_checks: BTreeMap<Uuid, MeterCheck>,
    /// Energy scans.
    #[serde(default)]
    pub energy_scans: BTreeMap<Uuid, EnergyScan>,
    /// Renovation advice.
    #[serde(default)]
    pub renovations: BTreeMap<Uuid, RenovationAdvice>,
    /// Referrals.
    #[serde(default)]
    pub referrals: BTreeMap<Uuid, Referral>,
    /// Photos and PDFs on the records, by reference id.
    #[serde(default)]
    pub attachments: BTreeMap<Uuid, super::AttachmentRef>,
}

impl Case {
    /// The attachments on a record or an item of one (a defect, a reading),
    /// oldest first.
    pub fn attachments_on(&self, on: Uuid) -> Vec<(Uuid, &super::AttachmentRef)> {
        let mut found: Vec<_> = self
            .attachments
            .iter()
            .filter(|(_, a)| a.on == on)
            .map(|(id, a)| (*id, a))
            .collect();
        found.sort_by_key(|(id, a)| (a.at, *id));
        found
    }

    /// The record an attachment may be on: the record `on` itself, or the
    /// record holding the item `on` (a defect, a reading, a measure).
    pub fn owner_of(&self, on: Uuid) -> Option<(super::RecordKind, Uuid)> {
        self.item_owners().remove(&on)
    }

    /// Every record and every item in one (a defect, a reading, a
    /// measure), each with the record it belongs to: read once for a case
    /// with many attachments.
    pub fn item_owners(&self) -> BTreeMap<Uuid, (super::RecordKind, Uuid)> {
        use super::RecordKind;
        let mut owners = BTreeMap::new();
        for kind in RecordKind::ALL {
            let ids: Vec<Uuid> = match kind {
                RecordKind::Member => self.members.keys().copied().collect(),
                RecordKind::Consent => self.consents.keys().copied().collect(),
                RecordKind::Visit => self.visits.keys().copied().collect(),
                RecordKind::MeterCheck => self.meter_checks.keys().copied().collect(),
                RecordKind::EnergyScan => self.energy_scans.keys().copied().collect(),
                RecordKind::Renovation => self.renovations.keys().copied().collect(),
                RecordKind::Referral => self.referrals.keys().copied().collect(),
            };
            for id in ids {
                owners.insert(id, (*kind, id));
                let Some(serde_json::Value::Object(fields)) =
                    self.record(*kind, id).map(|r| r.to_json())
                else {
                    continue;
                };
                // The items of its collections: maps keyed by UUID.
                for value in fields.values() {
                    if let serde_json::Value::Object(items) = value {
                        for key in items.keys() {
                            if let Ok(item) = Uuid::parse_str(key) {
                                owners.entry(item).or_insert((*kind, id));
                            }
                        }
                    }
                }
            }
        }
        owners
    }

    /// How many photos are on a record or an item of one.
    pub fn photos_on(&self, on: Uuid) -> usize {
        self.attachments
            .values()
            .filter(|a| a.on == on && a.stored.is_photo())
            .count()
    }

    /// The record of `kind` with `id`, if the case holds it.
    pub fn record(&self, kind: super::RecordKind, id: Uuid) -> Option<super::Record> {
        use super::{Record, RecordKind};
        match kind {
            RecordKind::Member => self.members.get(&id).cloned().map(Record::Member),
            RecordKind::Consent => self.consents.get(&id).cloned().map(Record::Consent),
            RecordKind::Visit => self.visits.get(&id).cloned().map(Record::Visit),
            RecordKind::MeterCheck => self.meter_checks.get(&id).cloned().map(Record::MeterCheck),
            RecordKind::EnergyScan => self.energy_scans.get(&id).cloned().map(Record::EnergyScan),
            RecordKind::Renovation => self.renovations.get(&id).cloned().map(Record::Renovation),
            RecordKind::Referral => self.referrals.get(&id).cloned().map(Record::Referral),
        }
    }
}
