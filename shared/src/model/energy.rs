//! Energy-meter checks (connection point, readings, prepaid status, OCMW
//! interventions) and energy scans.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Review, YesNoUnknown, labelled_enum};
use crate::rules::types::MeterNumber;

labelled_enum! {
    /// Electricity or natural gas.
    EnergyType {
        Electricity = "electricity", "elektriciteit", "electricity";
        Gas = "gas", "aardgas", "natural gas";
    }
}

labelled_enum! {
    /// The kind of meter at the connection point.
    MeterKind {
        AnalogueSingle = "analogue-single", "analoog enkelvoudig", "analogue single rate";
        AnalogueDayNight = "analogue-day-night", "analoog dag/nacht", "analogue day/night";
        ExclusiveNight = "exclusive-night", "exclusief nacht", "exclusive night";
        Digital = "digital", "digitale meter", "digital meter";
        CardBudget = "card-budget", "oude budgetmeter met kaart", "old card budget meter";
    }
}

labelled_enum! {
    /// Who supplies the energy.
    SupplierKind {
        Commercial = "commercial", "commerciële leverancier", "commercial supplier";
        FluviusSocial = "fluvius-social", "Fluvius (sociale leverancier)", "Fluvius as social supplier";
    }
}

labelled_enum! {
    /// High- or low-calorific natural gas.
    GasType {
        H = "h", "H-gas (rijk gas)", "H gas (high calorific)";
        L = "l", "L-gas (arm gas)", "L gas (low calorific)";
    }
}

impl GasType {
    /// Default conversion factor in kWh per m³.
    pub fn default_conversion_factor(self) -> f64 {
        match self {
            Self::H => 11.5,
            Self::L => 10.3,
        }
    }
}

labelled_enum! {
    /// The main way the home is heated.
    Heating {
        Gas = "gas", "aardgas", "natural gas";
        Electric = "electric", "elektrisch", "electric";
        StorageHeaters = "storage-heaters", "accumulatoren (nachtstroom)", "storage heaters (night)";
        Oil = "oil", "stookolie", "heating oil";
        Wood = "wood", "hout / pellets", "wood or pellets";
        HeatPump = "heat-pump", "warmtepomp", "heat pump";
        Other = "other", "andere", "other";
    }
}

labelled_enum! {
    /// Where a reading was taken from.
    ReadingSource {
        Display = "display", "display van de meter", "meter display";
        Photo = "photo", "foto", "photo";
        MijnFluvius = "mijn-fluvius", "Mijn Fluvius", "Mijn Fluvius";
        P1Port = "p1", "P1-poort", "P1 port";
        Invoice = "invoice", "factuur", "invoice";
    }
}

labelled_enum! {
    /// A meter register, labelled by meaning. In Belgium tariff 1 is day and
    /// tariff 2 is night.
    Register {
        ConsumptionDay = "1.8.1", "afname dag (1.8.1)", "consumption day (1.8.1)";
        ConsumptionNight = "1.8.2", "afname nacht (1.8.2)", "consumption night (1.8.2)";
        InjectionDay = "2.8.1", "injectie dag (2.8.1)", "injection day (2.8.1)";
        InjectionNight = "2.8.2", "injectie nacht (2.8.2)", "injection night (2.8.2)";
        Single = "single", "enkelvoudig", "single rate";
        Day = "day", "dag", "day";
        Night = "night", "nacht", "night";
        ExclusiveNight = "exclusive-night", "exclusief nacht", "exclusive night";
        Gas = "gas", "gas (m³)", "gas (m³)";
    }
}

impl Register {
    /// Whether this register counts energy fed back into the grid.
    pub fn is_injection(self) -> bool {
        matches!(self, Self::InjectionDay | Self::InjectionNight)
    }
}

labelled_enum! {
    /// How a prepaid meter was last topped up.
    TopUpChannel {
        Online = "online", "online portaal", "online portal";
        OcmwPoint = "ocmw-point", "oplaadpunt OCMW (bankkaart)", "top-up point at the OCMW (bank card)";
        Bpost = "bpost", "bpost", "bpost";
        Ocmw = "ocmw", "OCMW", "OCMW";
    }
}

/// A meter reading: the value of every register at one moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    /// When the meter was read (not in the future).
    pub read_at: NaiveDate,
    /// Where the value comes from.
    pub source: ReadingSource,
    /// Value per register: kWh for electricity, m³ for gas.
    pub registers: BTreeMap<Register, f64>,
    /// Why a blocked value is nevertheless right (goes to the supervisor).
    #[serde(default)]
    pub override_reason: Option<String>,
    /// Why consumption differs more than 50 % from last year.
    #[serde(default)]
    pub deviation_reason: Option<String>,
}

/// The last top-up of a prepaid meter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopUp {
    /// Date of the top-up.
    pub date: NaiveDate,
    /// Amount in euro cents.
    pub amount_cents: i64,
    /// How it was topped up.
    pub channel: TopUpChannel,
}

/// The prepaid (budget meter) status seen at the visit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrepaidStatus {
    /// Balance in euro cents; down to −5000 (emergency credit).
    pub balance_cents: i64,
    /// The last top-up, if known.
    #[serde(default)]
    pub last_top_up: Option<TopUp>,
    /// Outstanding energy debt for this energy type, in euro cents.
    #[serde(default)]
    pub debt_cents: Option<i64>,
}

/// Something the OCMW does about the energy situation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Intervention {
    /// A contribution to energy bills.
    Contribution {
        /// What the contribution is for.
        purpose: String,
        /// Amount in euro cents.
        amount_cents: i64,
        /// Who receives it (supplier, household).
        beneficiary: String,
    },
    /// A payment plan with a creditor.
    PaymentPlan {
        /// The creditor.
        creditor: String,
        /// Monthly amount in euro cents.
        monthly_cents: i64,
        /// First payment.
        start: NaiveDate,
    },
    /// A case brought before the local advisory committee.
    Lac {
        /// Date of the LAC meeting.
        date: NaiveDate,
        /// Its decision.
        #[serde(default)]
        decision: Option<String>,
    },
    /// A referral to an energy scan or the Energiehuis.
    EnergyReferral {
        /// Where to.
        to: String,
    },
}

/// An energy-meter check at one connection point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeterCheck {
    /// Date of the check.
    pub checked_on: NaiveDate,
    /// Electricity or gas.
    pub energy: EnergyType,
    /// The 18-digit EAN as typed. Kept as text: a failing check digit may be
    /// overridden with a reason, so the model must be able to hold it.
    pub ean: String,
    /// Why a failing EAN check digit is nevertheless right.
    #[serde(default)]
    pub ean_override_reason: Option<String>,
    /// The meter number (leading zeros kept).
    pub meter_number: MeterNumber,
    /// The kind of meter.
    pub meter_kind: MeterKind,
    /// Whether the prepaid function is active.
    #[serde(default)]
    pub prepaid: bool,
    /// Commercial supplier or Fluvius as social supplier.
    pub supplier_kind: SupplierKind,
    /// Name of the commercial supplier.
    #[serde(default)]
    pub supplier_name: Option<String>,
    /// Social tariff applied.
    #[serde(default)]
    pub social_tariff: YesNoUnknown,
    /// H or L gas (gas only).
    #[serde(default)]
    pub gas_type: Option<GasType>,
    /// kWh per m³ (gas only); defaults by gas type.
    #[serde(default)]
    pub conversion_factor: Option<f64>,
    /// Solar panels present.
    #[serde(default)]
    pub solar_panels: bool,
    /// Main heating.
    pub main_heating: Heating,
    /// Date the meter was replaced, which allows a lower reading.
    #[serde(default)]
    pub meter_replaced_on: Option<NaiveDate>,
    /// Readings, keyed by their own id.
    #[serde(default)]
    pub readings: BTreeMap<Uuid, Reading>,
    /// Prepaid status at the visit.
    #[serde(default)]
    pub prepaid_status: Option<PrepaidStatus>,
    /// OCMW interventions, keyed by their own id.
    #[serde(default)]
    pub interventions: BTreeMap<Uuid, Intervention>,
    /// Free-text notes (merged by character).
    #[serde(default)]
    pub notes: String,
    /// The supervisor's review.
    #[serde(default)]
    pub review: Review,
}

labelled_enum! {
    /// How well a part of the building is insulated.
    Insulation {
        Yes = "yes", "ja", "yes";
        Partial = "partial", "gedeeltelijk", "partial";
        No = "no", "nee", "no";
        Unknown = "unknown", "onbekend", "unknown";
    }
}

labelled_enum! {
    /// The glazing in most windows.
    Glazing {
        Single = "single", "enkel glas", "single glazing";
        Double = "double", "dubbel glas", "double glazing";
        HighPerformance = "hr", "hoogrendementsglas", "high-performance glazing";
    }
}

labelled_enum! {
    /// The small energy-saving measures an energy scan may install.
    SmallMeasure {
        LedLamps = "led-lamps", "ledlampen", "LED lamps";
        ShowerHead = "shower-head", "spaardouchekop", "water-saving shower head";
        PipeInsulation = "pipe-insulation", "leidingisolatie", "pipe insulation";
        RadiatorFoil = "radiator-foil", "radiatorfolie", "radiator foil";
        PowerStrip = "power-strip", "schakelbare stekkerdoos", "switchable power strip";
        DraughtStrips = "draught-strips", "tochtstrips", "draught strips";
    }
}

labelled_enum! {
    /// What happened to a small measure.
    SmallMeasureStatus {
        Installed = "installed", "geplaatst", "installed";
        HandedOver = "handed-over", "meegegeven", "handed over";
        Refused = "refused", "geweigerd", "refused";
    }
}

/// An energy scan (energiescan) of the home.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnergyScan {
    /// Date of the scan.
    pub scanned_on: NaiveDate,
    /// The heating system.
    pub heating: Heating,
    /// Age of the heating system in years.
    #[serde(default)]
    pub heating_age_years: Option<u32>,
    /// Heating maintained and CO-checked.
    #[serde(default)]
    pub heating_maintained: YesNoUnknown,
    /// A thermostat present.
    #[serde(default)]
    pub thermostat: YesNoUnknown,
    /// How hot water is made.
    #[serde(default)]
    pub hot_water: Option<Heating>,
    /// Roof insulation.
    pub roof_insulation: Insulation,
    /// Wall insulation.
    pub wall_insulation: Insulation,
    /// Floor insulation.
    pub floor_insulation: Insulation,
    /// Glazing.
    pub glazing: Glazing,
    /// Ventilation grilles open.
    #[serde(default)]
    pub ventilation_open: YesNoUnknown,
    /// Damp or mould seen.
    #[serde(default)]
    pub damp_or_mould: YesNoUnknown,
    /// Lamps not yet LED.
    #[serde(default)]
    pub non_led_lamps: Option<u32>,
    /// Usual set temperature in °C.
    #[serde(default)]
    pub set_temperature: Option<f64>,
    /// Laundry dried indoors.
    #[serde(default)]
    pub drying_indoors: YesNoUnknown,
    /// Devices left on standby.
    #[serde(default)]
    pub standby: YesNoUnknown,
    /// Small measures and what happened to each.
    #[serde(default)]
    pub small_measures: BTreeMap<SmallMeasure, SmallMeasureStatus>,
    /// Free-text notes (merged by character).
    #[serde(default)]
    pub notes: String,
}
