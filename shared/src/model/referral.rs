//! Referrals (doorverwijzingen) and the catalogue of services.

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use serde::{Deserialize, Serialize};

use super::{DataCategory, LifeDomain, Recipient, Review, labelled_enum};

labelled_enum! {
    /// How the household was handed over.
    Handover {
        Warm = "warm", "warme overdracht", "warm hand-over";
        RegisteredByWorker = "registered-by-worker", "aangemeld door medewerker", "registered by the worker";
        InformationGiven = "information-given", "informatie meegegeven", "information given";
    }
}

labelled_enum! {
    /// Where a referral stands. It only moves forward.
    ReferralStatus {
        Proposed = "proposed", "voorgesteld", "proposed";
        Registered = "registered", "aangemeld", "registered";
        InProgress = "in-progress", "lopend", "in progress";
        Done = "done", "afgerond", "done";
        NotTakenUp = "not-taken-up", "niet opgenomen", "not taken up";
        Refused = "refused", "geweigerd", "refused";
    }
}

impl ReferralStatus {
    /// Position in the forward order; the three end states share the last.
    pub fn rank(self) -> u8 {
        match self {
            Self::Proposed => 0,
            Self::Registered => 1,
            Self::InProgress => 2,
            Self::Done | Self::NotTakenUp | Self::Refused => 3,
        }
    }
}

/// When a session comes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recurrence {
    /// Every week on this day.
    Weekly(Weekday),
    /// The `nth` (1 = first) such weekday of every month: "every third
    /// Thursday".
    Monthly {
        /// Which one in the month.
        nth: u8,
        /// The weekday.
        weekday: Weekday,
    },
}

/// A recurring session of a service: "every third Thursday 10:30–12:00,
/// Huis van Welzijn".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Session {
    /// When it comes back.
    pub when: Recurrence,
    /// Start time.
    pub start: NaiveTime,
    /// End time.
    pub end: NaiveTime,
    /// Where it takes place.
    pub place: &'static str,
}

impl Session {
    /// Whether the session is held on `day` (closed days aside).
    pub fn falls_on(&self, day: NaiveDate) -> bool {
        match self.when {
            Recurrence::Weekly(w) => day.weekday() == w,
            Recurrence::Monthly { nth, weekday } => {
                day.weekday() == weekday && (day.day() - 1) / 7 + 1 == u32::from(nth)
            }
        }
    }

    /// The next session starting at or after `from`, skipping the days in
    /// `closed` (a public holiday, the team's closing days). Looks a year
    /// and a bit ahead at most.
    pub fn next_after(&self, from: NaiveDateTime, closed: &[NaiveDate]) -> Option<NaiveDateTime> {
        let mut day = from.date();
        for _ in 0..400 {
            if self.falls_on(day) && !closed.contains(&day) {
                let at = day.and_time(self.start);
                if at >= from {
                    return Some(at);
                }
            }
            day = day.succ_opt()?;
        }
        None
    }
}

const fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(y, m, d) {
        Some(d) => d,
        None => NaiveDate::MIN,
    }
}

/// Days no session is held: the Belgian public holidays and the Flemish
/// community's holiday (11 July), 2026 and 2027.
pub const CLOSED: &[NaiveDate] = &[
    day(2026, 1, 1),
    day(2026, 4, 6),
    day(2026, 5, 1),
    day(2026, 5, 14),
    day(2026, 5, 25),
    day(2026, 7, 11),
    day(2026, 7, 21),
    day(2026, 8, 15),
    day(2026, 11, 1),
    day(2026, 11, 11),
    day(2026, 12, 25),
    day(2027, 1, 1),
    day(2027, 3, 29),
    day(2027, 5, 1),
    day(2027, 5, 6),
    day(2027, 5, 17),
    day(2027, 7, 11),
    day(2027, 7, 21),
    day(2027, 8, 15),
    day(2027, 11, 1),
    day(2027, 11, 11),
    day(2027, 12, 25),
];

/// A service in the referral catalogue.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Service {
    /// Stable code.
    pub code: &'static str,
    /// Dutch name.
    pub nl: &'static str,
    /// English name.
    pub en: &'static str,
    /// SDGs the service serves.
    pub sdgs: &'static [u8],
    /// The organisation outside the OCMW that receives data; `None` for the
    /// OCMW's own services.
    pub recipient: Option<Recipient>,
    /// Its recurring sessions (none: by appointment).
    pub sessions: &'static [Session],
}

impl Service {
    /// The next session of any of its kinds at or after `from`, skipping
    /// `closed` days, and which session it is.
    pub fn next_session(
        &self,
        from: NaiveDateTime,
        closed: &[NaiveDate],
    ) -> Option<(NaiveDateTime, &'static Session)> {
        self.sessions
            .iter()
            .filter_map(|s| s.next_after(from, closed).map(|at| (at, s)))
            .min_by_key(|(at, _)| *at)
    }

    /// Whether referring here shares data outside the OCMW.
    pub fn is_external(&self) -> bool {
        self.recipient.is_some()
    }
}

const fn hm(h: u32, m: u32) -> NaiveTime {
    match NaiveTime::from_hms_opt(h, m, 0) {
        Some(t) => t,
        None => NaiveTime::MIN,
    }
}

/// The default referral catalogue, as named in the multi-year plan. The
/// admin will maintain it; this is the starting set.
pub const CATALOGUE: &[Service] = &[
    Service {
        code: "debt-help",
        nl: "schuldhulp / budgetbegeleiding (OCMW)",
        en: "debt help / budget guidance (OCMW)",
        sdgs: &[1],
        recipient: None,
        sessions: &[],
    },
    Service {
        code: "debt-mediation-session",
        nl: "zitdag VZW Schuldbemiddeling",
        en: "debt mediation session",
        sdgs: &[1],
        recipient: Some(Recipient::DebtMediation),
        sessions: &[Session {
            when: Recurrence::Monthly {
                nth: 3,
                weekday: Weekday::Thu,
            },
            start: hm(10, 30),
            end: hm(12, 0),
            place: "Huis van Welzijn",
        }],
    },
    Service {
        code: "legal-aid",
        nl: "juridische eerstelijnsbijstand",
        en: "first-line legal aid",
        sdgs: &[1],
        recipient: Some(Recipient::OtherService),
        sessions: &[],
    },
    Service {
        code: "dyzo",
        nl: "DYZO (zelfstandigen in moeilijkheden)",
        en: "DYZO (self-employed in difficulty)",
        sdgs: &[1],
        recipient: Some(Recipient::OtherService),
        sessions: &[],
    },
    Service {
        code: "budget-meter-top-up",
        nl: "oplaadpunt budgetmeter",
        en: "budget meter top-up point",
        sdgs: &[1],
        recipient: None,
        sessions: &[],
    },
    Service {
        code: "fluvius-session",
        nl: "zitdag Fluvius",
        en: "Fluvius session",
        sdgs: &[1],
        recipient: Some(Recipient::Fluvius),
        // The hours are the team's to set; these are a starting point.
        sessions: &[Session {
            when: Recurrence::Monthly {
                nth: 2,
                weekday: Weekday::Tue,
            },
            start: hm(9, 0),
            end: hm(12, 0),
            place: "Huis van Welzijn",
        }],
    },
    Service {
        code: "energy-contribution",
        nl: "tussenkomst energiefacturen",
        en: "contribution to energy bills",
        sdgs: &[1],
        recipient: None,
        sessions: &[],
    },
    Service {
        code: "energiehuis",
        nl: "energielening / Energiehuis",
        en: "energy loan / Energiehuis",
        sdgs: &[1],
        recipient: Some(Recipient::Energiehuis),
        sessions: &[],
    },
    Service {
        code: "energiesnoeiers",
        nl: "Energiesnoeiers (energiescan)",
        en: "Energiesnoeiers (energy scan)",
        sdgs: &[1],
        recipient: Some(Recipient::OtherService),
        sessions: &[],
    },
    Service {
        code: "lac",
        nl: "LAC (lokale adviescommissie)",
        en: "LAC (local advisory committee)",
        sdgs: &[1],
        recipient: None,
        sessions: &[],
    },
    Service {
        code: "social-tariff-check",
        nl: "controle sociaal tarief",
        en: "social tariff check",
        sdgs: &[1],
        recipient: None,
        sessions: &[],
    },
    Service {
        code: "wijkwerken",
        nl: "wijkwerken",
        en: "neighbourhood work (wijkwerken)",
        sdgs: &[1, 8],
        recipient: Some(Recipient::OtherService),
        sessions: &[],
    },
    Service {
        code: "work-experience",
        nl: "tijdelijke werkervaring",
        en: "temporary work experience",
        sdgs: &[1, 8],
        recipient: None,
        sessions: &[],
    },
    Service {
        code: "school-meal",
        nl: "warme schoolmaaltijd",
        en: "warm school meal",
        sdgs: &[2],
        recipient: Some(Recipient::School),
        sessions: &[],
    },
    Service {
        code: "food-aid",
        nl: "sociale kruidenier / voedselhulp (Foodact)",
        en: "social grocery / food aid (Foodact)",
        sdgs: &[2],
        recipient: Some(Recipient::OtherService),
        sessions: &[],
    },
    Service {
        code: "childcare",
        nl: "kinderopvang (0-3, buitenschools 3+)",
        en: "childcare (0-3, out-of-school 3+)",
        sdgs: &[3],
        recipient: Some(Recipient::OtherService),
        sessions: &[],
    },
    Service {
        code: "huis-van-het-kind",
        nl: "Huis van het Kind / Kind en Gezin",
        en: "Huis van het Kind / Kind en Gezin",
        sdgs: &[3],
        recipient: Some(Recipient::OtherService),
        sessions: &[],
    },
    Service {
        code: "drug-help",
        nl: "drughulp",
        en: "drug help",
        sdgs: &[3],
        recipient: Some(Recipient::OtherService),
        sessions: &[],
    },
    Service {
        code: "trauma-care",
        nl: "traumazorg (Solentra)",
        en: "trauma care (Solentra)",
        sdgs: &[3],
        recipient: Some(Recipient::OtherService),
        sessions: &[],
    },
    Service {
        code: "health-insurer-social",
        nl: "sociale dienst ziekenfonds",
        en: "health insurer social service",
        sdgs: &[3],
        recipient: Some(Recipient::HealthInsurer),
        sessions: &[],
    },
    Service {
        code: "homework-support",
        nl: "huiswerkbegeleiding",
        en: "homework support",
        sdgs: &[4],
        recipient: Some(Recipient::OtherService),
        sessions: &[],
    },
    Service {
        code: "clb",
        nl: "CLB",
        en: "CLB (pupil guidance centre)",
        sdgs: &[4],
        recipient: Some(Recipient::Clb),
        sessions: &[],
    },
    Service {
        code: "dutch-practice",
        nl: "Nederlands oefenen (schoolbabbels, babbelcafé)",
        en: "Dutch practice (school chats, chat café)",
        sdgs: &[4],
        recipient: Some(Recipient::OtherService),
        sessions: &[
            Session {
                when: Recurrence::Weekly(Weekday::Tue),
                start: hm(13, 30),
                end: hm(15, 0),
                place: "Huis van Welzijn",
            },
            Session {
                when: Recurrence::Weekly(Weekday::Thu),
                start: hm(13, 30),
                end: hm(15, 0),
                place: "Huis van Welzijn",
            },
            Session {
                when: Recurrence::Weekly(Weekday::Sat),
                start: hm(10, 0),
                end: hm(12, 0),
                place: "bibliotheek Harelbeke (babbelcafé)",
            },
        ],
    },
    Service {
        code: "leisure",
        nl: "vrijetijdsparticipatie",
        en: "leisure participation",
        sdgs: &[10],
        recipient: Some(Recipient::OtherService),
        sessions: &[],
    },
    Service {
        code: "buddy",
        nl: "buddywerking",
        en: "buddy programme",
        sdgs: &[10],
        recipient: Some(Recipient::OtherService),
        sessions: &[],
    },
    Service {
        code: "integration",
        nl: "integratieactiviteiten",
        en: "integration activities",
        sdgs: &[10],
        recipient: Some(Recipient::OtherService),
        sessions: &[],
    },
    Service {
        code: "woonwijs",
        nl: "Woonwijs",
        en: "Woonwijs",
        sdgs: &[11],
        recipient: Some(Recipient::Woonwijs),
        sessions: &[],
    },
    Service {
        code: "renovatiecoach",
        nl: "RenovatieCoach",
        en: "RenovatieCoach",
        sdgs: &[11],
        recipient: Some(Recipient::OtherService),
        sessions: &[],
    },
    Service {
        code: "renovation-premium-poverty",
        nl: "renovatiepremie voor mensen in armoede",
        en: "renovation premium for people in poverty",
        sdgs: &[11],
        recipient: None,
        sessions: &[],
    },
    Service {
        code: "woonclub",
        nl: "woonclub (woensdagnamiddag)",
        en: "woonclub (Wednesday afternoon house hunting)",
        sdgs: &[11],
        recipient: None,
        sessions: &[Session {
            when: Recurrence::Weekly(Weekday::Wed),
            start: hm(13, 30),
            end: hm(16, 0),
            place: "Huis van Welzijn",
        }],
    },
    Service {
        code: "kracht-wonen",
        nl: "noodwoning met intensieve begeleiding (Kracht.wonen)",
        en: "emergency housing with intensive guidance (Kracht.wonen)",
        sdgs: &[11],
        recipient: None,
        sessions: &[],
    },
    Service {
        code: "transit-housing",
        nl: "doorgangswoning",
        en: "transit housing",
        sdgs: &[11],
        recipient: None,
        sessions: &[],
    },
    Service {
        code: "caw",
        nl: "CAW",
        en: "CAW",
        sdgs: &[],
        recipient: Some(Recipient::Caw),
        sessions: &[],
    },
    Service {
        code: "other",
        nl: "andere (vrije tekst)",
        en: "other (free text)",
        sdgs: &[],
        recipient: Some(Recipient::OtherService),
        sessions: &[],
    },
];

/// Looks a service up in the catalogue by its code.
pub fn service(code: &str) -> Option<&'static Service> {
    CATALOGUE.iter().find(|s| s.code == code)
}

/// A referral to a service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Referral {
    /// Catalogue code of the service.
    pub service: String,
    /// Name of the service when the code is "other".
    #[serde(default)]
    pub other_service: Option<String>,
    /// The life domain the referral is about.
    pub reason: LifeDomain,
    /// Date of the referral.
    pub referred_on: NaiveDate,
    /// How the household was handed over.
    pub handover: Handover,
    /// Which data categories were shared.
    #[serde(default)]
    pub data_shared: Vec<DataCategory>,
    /// A legal basis for sharing, when there is no consent.
    #[serde(default)]
    pub legal_basis: Option<String>,
    /// Where the referral stands.
    pub status: ReferralStatus,
    /// Result, required once done or not taken up.
    #[serde(default)]
    pub result: Option<String>,
    /// Appointment with the service, if any.
    #[serde(default)]
    pub appointment: Option<NaiveDateTime>,
    /// Follow-up date; past due puts it in the supervisor's queue.
    #[serde(default)]
    pub follow_up_on: Option<NaiveDate>,
    /// Free-text notes (merged by character).
    #[serde(default)]
    pub notes: String,
    /// The supervisor's review.
    #[serde(default)]
    pub review: Review,
}
