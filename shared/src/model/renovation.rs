//! Renovation advice (woonadvies): defects, measures, escalation.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{HousingSituation, Review, labelled_enum};

labelled_enum! {
    /// Type of dwelling.
    DwellingType {
        Terraced = "terraced", "rijwoning", "terraced house";
        SemiDetached = "semi-detached", "halfopen bebouwing", "semi-detached house";
        Detached = "detached", "open bebouwing", "detached house";
        Flat = "flat", "appartement", "flat";
        Studio = "studio", "studio", "studio";
        Room = "room", "kamer", "room";
    }
}

labelled_enum! {
    /// Build period, when the year is not known (DOMAIN.md: "build period
    /// or year"); the periods of the Flemish housing surveys.
    BuildPeriod {
        Before1919 = "before-1919", "vóór 1919", "before 1919";
        From1919 = "1919-1945", "1919–1945", "1919–1945";
        From1946 = "1946-1970", "1946–1970", "1946–1970";
        From1971 = "1971-1990", "1971–1990", "1971–1990";
        From1991 = "1991-2005", "1991–2005", "1991–2005";
        From2006 = "2006-later", "2006 of later", "2006 or later";
    }
}

impl BuildPeriod {
    /// The first and last build year of the period (`None`: open-ended).
    pub fn years(self) -> (Option<i32>, Option<i32>) {
        match self {
            Self::Before1919 => (None, Some(1918)),
            Self::From1919 => (Some(1919), Some(1945)),
            Self::From1946 => (Some(1946), Some(1970)),
            Self::From1971 => (Some(1971), Some(1990)),
            Self::From1991 => (Some(1991), Some(2005)),
            Self::From2006 => (Some(2006), None),
        }
    }
}

labelled_enum! {
    /// Section of the Flemish technical report.
    DefectSection {
        Building = "building", "gebouw", "building";
        Dwelling = "dwelling", "woning", "dwelling";
        Occupancy = "occupancy", "bezetting", "occupancy";
    }
}

labelled_enum! {
    /// The building element a defect concerns.
    DefectElement {
        Roof = "roof", "dak", "roof";
        Facade = "facade", "gevel", "façade";
        Stability = "stability", "stabiliteit", "stability";
        RisingDamp = "rising-damp", "opstijgend vocht", "rising damp";
        LeakingDamp = "leaking-damp", "insijpelend vocht", "leaking damp";
        Condensation = "condensation", "condensatie", "condensation";
        WindowsDoors = "windows-doors", "ramen en deuren", "windows and doors";
        Finishing = "finishing", "afwerking", "finishing";
        Electricity = "electricity", "elektriciteit", "electricity";
        GasHeatingCo = "gas-heating-co", "gas / verwarming / CO", "gas, heating, CO";
        Sanitary = "sanitary", "sanitair", "sanitary";
        Kitchen = "kitchen", "keuken", "kitchen";
        LightVentilation = "light-ventilation", "verlichting en verluchting", "lighting and ventilation";
        Stairs = "stairs", "trappen en borstweringen", "stairs and railings";
        SmokeDetectors = "smoke-detectors", "rookmelders", "smoke detectors";
        RoofInsulation = "roof-insulation", "dakisolatie", "roof insulation";
        Glazing = "glazing", "beglazing", "glazing";
        Occupancy = "occupancy", "bezetting", "occupancy";
    }
}

labelled_enum! {
    /// How serious a defect is.
    DefectSeverity {
        Limited = "limited", "beperkt", "limited";
        Serious = "serious", "ernstig", "serious";
        VerySerious = "very-serious", "zeer ernstig", "very serious";
    }
}

labelled_enum! {
    /// Indicative defect category of the technical report.
    DefectCategory {
        I = "I", "categorie I", "category I";
        II = "II", "categorie II", "category II";
        III = "III", "categorie III", "category III";
    }
}

labelled_enum! {
    /// Priority of a measure, from acute safety to comfort.
    Priority {
        P1 = "P1", "P1 acute veiligheid", "P1 acute safety";
        P2 = "P2", "P2 gezondheid", "P2 health";
        P3 = "P3", "P3 normen", "P3 norms";
        P4 = "P4", "P4 energie-efficiëntie", "P4 energy efficiency";
        P5 = "P5", "P5 comfort", "P5 comfort";
    }
}

labelled_enum! {
    /// Support that may pay for a measure.
    Support {
        VerbouwPremie = "verbouwpremie", "Mijn VerbouwPremie", "Mijn VerbouwPremie";
        VerbouwLening = "verbouwlening", "Mijn VerbouwLening", "Mijn VerbouwLening";
        LocalPremium = "local-premium", "lokale premie", "local premium";
        EnergyScan = "energy-scan", "energiescan", "energy scan";
    }
}

labelled_enum! {
    /// Income category for Mijn VerbouwPremie.
    IncomeCategory {
        Lowest = "lowest", "laagste inkomenscategorie", "lowest income category";
        Middle = "middle", "middelste inkomenscategorie", "middle income category";
        Highest = "highest", "hoogste inkomenscategorie", "highest income category";
    }
}

labelled_enum! {
    /// How far the case is escalated.
    Escalation {
        None = "none", "geen", "none";
        WoonwijsInspection = "woonwijs-inspection", "conformiteitsonderzoek Woonwijs", "Woonwijs conformity inspection";
        WonenVlaanderen = "wonen-vlaanderen", "Wonen-Vlaanderen", "Wonen-Vlaanderen";
        EmergencyHousing = "emergency-housing", "noodwoning", "emergency housing";
    }
}

labelled_enum! {
    /// The computed, indicative verdict on the dwelling.
    HousingVerdict {
        Conform = "conform", "indicatief conform", "indicatively conform";
        Unfit = "unfit", "indicatief ongeschikt", "indicatively unfit";
        Uninhabitable = "uninhabitable", "indicatief onbewoonbaar", "indicatively uninhabitable";
    }
}

/// A housing defect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Defect {
    /// Section of the technical report.
    pub section: DefectSection,
    /// Element concerned.
    pub element: DefectElement,
    /// Room, if it concerns one.
    #[serde(default)]
    pub room: Option<String>,
    /// How serious it is.
    pub severity: DefectSeverity,
    /// Exactly one indicative category.
    pub category: DefectCategory,
    /// What was seen.
    #[serde(default)]
    pub description: String,
    /// Set when the app added the defect from a rule (a floor without smoke
    /// detector, roof insulation below the norm).
    #[serde(default)]
    pub derived: bool,
}

/// A measure the adviser proposes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measure {
    /// What should be done.
    pub description: String,
    /// Priority.
    pub priority: Priority,
    /// Estimated cost in euro cents.
    #[serde(default)]
    pub cost_cents: Option<i64>,
    /// Matching support.
    #[serde(default)]
    pub support: Option<Support>,
    /// Income category, for Mijn VerbouwPremie.
    #[serde(default)]
    pub income_category: Option<IncomeCategory>,
    /// Loan amount in euro cents, for Mijn VerbouwLening.
    #[serde(default)]
    pub loan_cents: Option<i64>,
    /// Loan duration in years, for Mijn VerbouwLening.
    #[serde(default)]
    pub loan_years: Option<u32>,
}

/// A conformity certificate (conformiteitsattest).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConformityCertificate {
    /// Date of issue.
    pub date: NaiveDate,
    /// Valid until, at most 10 years after the date.
    pub valid_until: NaiveDate,
}

/// Renovation advice for the household's dwelling.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RenovationAdvice {
    /// Date of the site visit.
    pub advised_on: NaiveDate,
    /// Type of dwelling.
    pub dwelling_type: DwellingType,
    /// Build year, when known.
    #[serde(default)]
    pub build_year: Option<i32>,
    /// Build period, when the year is not known.
    #[serde(default)]
    pub build_period: Option<BuildPeriod>,
    /// Tenure.
    pub tenure: HousingSituation,
    /// Landlord contact, only with consent.
    #[serde(default)]
    pub landlord_contact: Option<String>,
    /// EPC label (A+..F), optional.
    #[serde(default)]
    pub epc_label: Option<String>,
    /// EPC score in kWh/m² per year, optional.
    #[serde(default)]
    pub epc_score: Option<u32>,
    /// Date of the EPC, optional.
    #[serde(default)]
    pub epc_date: Option<NaiveDate>,
    /// Floors (by name: "gelijkvloers", "eerste verdieping") and whether each
    /// has a working smoke detector.
    #[serde(default)]
    pub smoke_detectors: BTreeMap<String, bool>,
    /// Roof insulation R-value in m²K/W, if measured.
    #[serde(default)]
    pub roof_r_value: Option<f64>,
    /// Defects, keyed by their own id.
    #[serde(default)]
    pub defects: BTreeMap<Uuid, Defect>,
    /// Measures, keyed by their own id.
    #[serde(default)]
    pub measures: BTreeMap<Uuid, Measure>,
    /// Escalation.
    #[serde(default = "no_escalation")]
    pub escalation: Escalation,
    /// Date the tenant notified the landlord in writing.
    #[serde(default)]
    pub landlord_notified_on: Option<NaiveDate>,
    /// Conformity certificate, if any.
    #[serde(default)]
    pub certificate: Option<ConformityCertificate>,
    /// Follow-up date.
    #[serde(default)]
    pub follow_up_on: Option<NaiveDate>,
    /// Free-text notes (merged by character).
    #[serde(default)]
    pub notes: String,
    /// The supervisor's review.
    #[serde(default)]
    pub review: Review,
}

fn no_escalation() -> Escalation {
    Escalation::None
}
