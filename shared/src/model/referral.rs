//! Referrals (doorverwijzingen) and the catalogue of services.

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use serde::{Deserialize, Serialize};

use super::{DataCategory, Lang, LifeDomain, Recipient, Review, labelled_enum};

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
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

impl Recurrence {
    /// In words: "elke woensdag", "elke 3de donderdag van de maand".
    pub fn label(&self, lang: Lang) -> String {
        let day = |w: Weekday| weekday_name(w, lang);
        match (self, lang) {
            (Self::Weekly(w), Lang::Nl) => format!("elke {}", day(*w)),
            (Self::Weekly(w), Lang::En) => format!("every {}", day(*w)),
            (Self::Monthly { nth, weekday }, Lang::Nl) => {
                let suffix = if matches!(nth, 1 | 8) { "ste" } else { "de" };
                format!("elke {nth}{suffix} {} van de maand", day(*weekday))
            }
            (Self::Monthly { nth, weekday }, Lang::En) => {
                let suffix = match nth {
                    1 => "st",
                    2 => "nd",
                    3 => "rd",
                    _ => "th",
                };
                format!("every {nth}{suffix} {} of the month", day(*weekday))
            }
        }
    }
}

/// The name of a weekday.
pub fn weekday_name(w: Weekday, lang: Lang) -> &'static str {
    const NL: [&str; 7] = [
        "maandag",
        "dinsdag",
        "woensdag",
        "donderdag",
        "vrijdag",
        "zaterdag",
        "zondag",
    ];
    const EN: [&str; 7] = [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ];
    let i = w.num_days_from_monday() as usize;
    match lang {
        Lang::Nl => NL[i],
        Lang::En => EN[i],
    }
}

/// A recurring session of a service: "every third Thursday 10:30–12:00,
/// Huis van Welzijn".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// When it comes back.
    pub when: Recurrence,
    /// Start time.
    pub start: NaiveTime,
    /// End time.
    pub end: NaiveTime,
    /// Where it takes place.
    #[serde(default)]
    pub place: String,
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

    /// In words: "elke woensdag 13:30–16:00, Huis van Welzijn".
    pub fn label(&self, lang: Lang) -> String {
        let mut out = format!(
            "{} {}–{}",
            self.when.label(lang),
            self.start.format("%H:%M"),
            self.end.format("%H:%M")
        );
        if !self.place.trim().is_empty() {
            out.push_str(", ");
            out.push_str(self.place.trim());
        }
        out
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

/// A service in a team's referral catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    /// Stable code: referrals name the service by it.
    pub code: String,
    /// Dutch name.
    pub nl: String,
    /// English name (the Dutch one when left empty).
    #[serde(default)]
    pub en: String,
    /// The organisation that runs it.
    #[serde(default)]
    pub organisation: String,
    /// The action of the multi-year plan it carries out, in words.
    #[serde(default)]
    pub action: String,
    /// SDGs the service serves.
    #[serde(default)]
    pub sdgs: Vec<u8>,
    /// The organisation outside the OCMW that receives data; `None` for the
    /// OCMW's own services. A recipient means a referral needs a consent
    /// (or a legal basis).
    #[serde(default)]
    pub recipient: Option<Recipient>,
    /// Where it is.
    #[serde(default)]
    pub address: String,
    /// Its recurring sessions (none: by appointment).
    #[serde(default)]
    pub sessions: Vec<Session>,
    /// The service's own closing days, beside the public holidays.
    #[serde(default)]
    pub closed: Vec<NaiveDate>,
    /// No longer offered for new referrals (old referrals keep its name).
    #[serde(default)]
    pub retired: bool,
}

impl Service {
    /// The next session of any of its kinds at or after `from`, skipping
    /// `closed` days and the service's own closing days, and which session
    /// it is.
    pub fn next_session(
        &self,
        from: NaiveDateTime,
        closed: &[NaiveDate],
    ) -> Option<(NaiveDateTime, &Session)> {
        let all: Vec<NaiveDate> = closed.iter().chain(&self.closed).copied().collect();
        self.sessions
            .iter()
            .filter_map(|s| s.next_after(from, &all).map(|at| (at, s)))
            .min_by_key(|(at, _)| *at)
    }

    /// Whether referring here shares data outside the OCMW (and so needs a
    /// consent or a legal basis).
    pub fn is_external(&self) -> bool {
        self.recipient.is_some()
    }

    /// Its name in `lang`.
    pub fn name(&self, lang: Lang) -> &str {
        match lang {
            Lang::En if !self.en.trim().is_empty() => &self.en,
            _ => &self.nl,
        }
    }

    /// What is wrong with it, in Dutch and English; `None` when it may be
    /// saved.
    pub fn problem(&self) -> Option<(String, String)> {
        let code_ok = !self.code.is_empty()
            && self.code.len() <= 64
            && self
                .code
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !code_ok {
            return Some((
                format!(
                    "De code '{}' mag alleen kleine letters, cijfers en '-' bevatten (hoogstens 64).",
                    self.code
                ),
                format!(
                    "The code '{}' may hold only lower-case letters, digits and '-' (64 at most).",
                    self.code
                ),
            ));
        }
        if self.nl.trim().is_empty() {
            return Some((
                "Geef de dienst een naam.".into(),
                "Give the service a name.".into(),
            ));
        }
        let texts = [
            &self.nl,
            &self.en,
            &self.organisation,
            &self.action,
            &self.address,
        ];
        if texts.iter().any(|t| t.len() > 500)
            || self.sessions.len() > 20
            || self.closed.len() > 400
        {
            return Some((
                "De dienst heeft te lange teksten of te veel zittingen.".into(),
                "The service has too long texts or too many sessions.".into(),
            ));
        }
        if let Some(bad) = self.sdgs.iter().find(|n| !(1..=17).contains(*n)) {
            return Some((
                format!("SDG {bad} bestaat niet (1 tot 17)."),
                format!("SDG {bad} does not exist (1 to 17)."),
            ));
        }
        for s in &self.sessions {
            if let Recurrence::Monthly { nth, .. } = s.when
                && !(1..=5).contains(&nth)
            {
                return Some((
                    format!("De {nth}de weekdag van de maand bestaat niet (1 tot 5)."),
                    format!("Weekday {nth} of the month does not exist (1 to 5)."),
                ));
            }
            if s.end <= s.start {
                return Some((
                    format!("Een zitting eindigt na ze begint ({}).", s.label(Lang::Nl)),
                    format!("A session ends after it starts ({}).", s.label(Lang::En)),
                ));
            }
        }
        None
    }
}

/// A team's referral catalogue: what workers may refer to, with the
/// sessions the referral form proposes.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Catalogue {
    /// The services, in the order they are offered.
    pub services: Vec<Service>,
}

impl Catalogue {
    /// The catalogue every team starts with (DOMAIN.md and the plan).
    pub fn builtin() -> &'static Catalogue {
        static BUILTIN: std::sync::OnceLock<Catalogue> = std::sync::OnceLock::new();
        BUILTIN.get_or_init(|| Catalogue {
            services: CATALOGUE.iter().map(Seed::to_service).collect(),
        })
    }

    /// A service by its code, retired ones too (old referrals name them).
    pub fn service(&self, code: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.code == code)
    }

    /// The services offered for a new referral: `(code, name)`.
    pub fn offered(&self, lang: Lang) -> Vec<(String, String)> {
        self.services
            .iter()
            .filter(|s| !s.retired)
            .map(|s| (s.code.clone(), s.name(lang).to_owned()))
            .collect()
    }
}

/// A session of the built-in catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedSession {
    /// When it comes back.
    pub when: Recurrence,
    /// Start time.
    pub start: NaiveTime,
    /// End time.
    pub end: NaiveTime,
    /// Where it takes place.
    pub place: &'static str,
}

/// A service of the built-in catalogue.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Seed {
    /// Stable code.
    pub code: &'static str,
    /// Dutch name.
    pub nl: &'static str,
    /// English name.
    pub en: &'static str,
    /// SDGs the service serves.
    pub sdgs: &'static [u8],
    /// The organisation outside the OCMW that receives data.
    pub recipient: Option<Recipient>,
    /// Its recurring sessions (none: by appointment).
    pub sessions: &'static [SeedSession],
}

impl Seed {
    /// As a team's service.
    pub fn to_service(&self) -> Service {
        let organisation = match self.recipient {
            None => "OCMW Harelbeke".to_owned(),
            Some(Recipient::OtherService) => String::new(),
            Some(r) => r.label(Lang::Nl).to_owned(),
        };
        Service {
            code: self.code.to_owned(),
            nl: self.nl.to_owned(),
            en: self.en.to_owned(),
            organisation,
            action: String::new(),
            sdgs: self.sdgs.to_vec(),
            recipient: self.recipient,
            address: String::new(),
            sessions: self
                .sessions
                .iter()
                .map(|s| Session {
                    when: s.when,
                    start: s.start,
                    end: s.end,
                    place: s.place.to_owned(),
                })
                .collect(),
            closed: Vec::new(),
            retired: false,
        }
    }
}

const fn hm(h: u32, m: u32) -> NaiveTime {
    match NaiveTime::from_hms_opt(h, m, 0) {
        Some(t) => t,
        None => NaiveTime::MIN,
    }
}

/// The default referral catalogue, as named in the multi-year plan: the
/// start of every team's catalogue ([`Catalogue::builtin`]), which its
/// supervisors then maintain in the app.
pub const CATALOGUE: &[Seed] = &[
    Seed {
        code: "debt-help",
        nl: "schuldhulp / budgetbegeleiding (OCMW)",
        en: "debt help / budget guidance (OCMW)",
        sdgs: &[1],
        recipient: None,
        sessions: &[],
    },
    Seed {
        code: "debt-mediation-session",
        nl: "zitdag VZW Schuldbemiddeling",
        en: "debt mediation session",
        sdgs: &[1],
        recipient: Some(Recipient::DebtMediation),
        sessions: &[SeedSession {
            when: Recurrence::Monthly {
                nth: 3,
                weekday: Weekday::Thu,
            },
            start: hm(10, 30),
            end: hm(12, 0),
            place: "Huis van Welzijn",
        }],
    },
    Seed {
        code: "legal-aid",
        nl: "juridische eerstelijnsbijstand",
        en: "first-line legal aid",
        sdgs: &[1],
        recipient: Some(Recipient::OtherService),
        sessions: &[],
    },
    Seed {
        code: "dyzo",
        nl: "DYZO (zelfstandigen in moeilijkheden)",
        en: "DYZO (self-employed in difficulty)",
        sdgs: &[1],
        recipient: Some(Recipient::OtherService),
        sessions: &[],
    },
    Seed {
        code: "budget-meter-top-up",
        nl: "oplaadpunt budgetmeter",
        en: "budget meter top-up point",
        sdgs: &[1],
        recipient: None,
        sessions: &[],
    },
    Seed {
        code: "fluvius-session",
        nl: "zitdag Fluvius",
        en: "Fluvius session",
        sdgs: &[1],
        recipient: Some(Recipient::Fluvius),
        // The hours are the team's to set; these are a starting point.
        sessions: &[SeedSession {
            when: Recurrence::Monthly {
                nth: 2,
                weekday: Weekday::Tue,
            },
            start: hm(9, 0),
            end: hm(12, 0),
            place: "Huis van Welzijn",
        }],
    },
    Seed {
        code: "energy-contribution",
        nl: "tussenkomst energiefacturen",
        en: "contribution to energy bills",
        sdgs: &[1],
        recipient: None,
        sessions: &[],
    },
    Seed {
        code: "energiehuis",
        nl: "energielening / Energiehuis",
        en: "energy loan / Energiehuis",
        sdgs: &[1],
        recipient: Some(Recipient::Energiehuis),
        sessions: &[],
    },
    Seed {
        code: "energiesnoeiers",
        nl: "Energiesnoeiers (energiescan)",
        en: "Energiesnoeiers (energy scan)",
        sdgs: &[1],
        recipient: Some(Recipient::OtherService),
        sessions: &[],
    },
    Seed {
        code: "lac",
        nl: "LAC (lokale adviescommissie)",
        en: "LAC (local advisory committee)",
        sdgs: &[1],
        recipient: None,
        sessions: &[],
    },
    Seed {
        code: "social-tariff-check",
        nl: "controle sociaal tarief",
        en: "social tariff check",
        sdgs: &[1],
        recipient: None,
        sessions: &[],
    },
    Seed {
        code: "wijkwerken",
        nl: "wijkwerken",
        en: "neighbourhood work (wijkwerken)",
        sdgs: &[1, 8],
        recipient: Some(Recipient::OtherService),
        sessions: &[],
    },
    Seed {
        code: "work-experience",
        nl: "tijdelijke werkervaring",
        en: "temporary work experience",
        sdgs: &[1, 8],
        recipient: None,
        sessions: &[],
    },
    Seed {
        code: "school-meal",
        nl: "warme schoolmaaltijd",
        en: "warm school meal",
        sdgs: &[2],
        recipient: Some(Recipient::School),
        sessions: &[],
    },
    Seed {
        code: "food-aid",
        nl: "sociale kruidenier / voedselhulp (Foodact)",
        en: "social grocery / food aid (Foodact)",
        sdgs: &[2],
        recipient: Some(Recipient::OtherService),
        sessions: &[],
    },
    Seed {
        code: "childcare",
        nl: "kinderopvang (0-3, buitenschools 3+)",
        en: "childcare (0-3, out-of-school 3+)",
        sdgs: &[3],
        recipient: Some(Recipient::OtherService),
        sessions: &[],
    },
    Seed {
        code: "huis-van-het-kind",
        nl: "Huis van het Kind / Kind en Gezin",
        en: "Huis van het Kind / Kind en Gezin",
        sdgs: &[3],
        recipient: Some(Recipient::OtherService),
        sessions: &[],
    },
    Seed {
        code: "drug-help",
        nl: "drughulp",
        en: "drug help",
        sdgs: &[3],
        recipient: Some(Recipient::OtherService),
        sessions: &[],
    },
    Seed {
        code: "trauma-care",
        nl: "traumazorg (Solentra)",
        en: "trauma care (Solentra)",
        sdgs: &[3],
        recipient: Some(Recipient::OtherService),
        sessions: &[],
    },
    Seed {
        code: "health-insurer-social",
        nl: "sociale dienst ziekenfonds",
        en: "health insurer social service",
        sdgs: &[3],
        recipient: Some(Recipient::HealthInsurer),
        sessions: &[],
    },
    Seed {
        code: "homework-support",
        nl: "huiswerkbegeleiding",
        en: "homework support",
        sdgs: &[4],
        recipient: Some(Recipient::OtherService),
        sessions: &[],
    },
    Seed {
        code: "clb",
        nl: "CLB",
        en: "CLB (pupil guidance centre)",
        sdgs: &[4],
        recipient: Some(Recipient::Clb),
        sessions: &[],
    },
    Seed {
        code: "dutch-practice",
        nl: "Nederlands oefenen (schoolbabbels, babbelcafé)",
        en: "Dutch practice (school chats, chat café)",
        sdgs: &[4],
        recipient: Some(Recipient::OtherService),
        sessions: &[
            SeedSession {
                when: Recurrence::Weekly(Weekday::Tue),
                start: hm(13, 30),
                end: hm(15, 0),
                place: "Huis van Welzijn",
            },
            SeedSession {
                when: Recurrence::Weekly(Weekday::Thu),
                start: hm(13, 30),
                end: hm(15, 0),
                place: "Huis van Welzijn",
            },
            SeedSession {
                when: Recurrence::Weekly(Weekday::Sat),
                start: hm(10, 0),
                end: hm(12, 0),
                place: "bibliotheek Harelbeke (babbelcafé)",
            },
        ],
    },
    Seed {
        code: "leisure",
        nl: "vrijetijdsparticipatie",
        en: "leisure participation",
        sdgs: &[10],
        recipient: Some(Recipient::OtherService),
        sessions: &[],
    },
    Seed {
        code: "buddy",
        nl: "buddywerking",
        en: "buddy programme",
        sdgs: &[10],
        recipient: Some(Recipient::OtherService),
        sessions: &[],
    },
    Seed {
        code: "integration",
        nl: "integratieactiviteiten",
        en: "integration activities",
        sdgs: &[10],
        recipient: Some(Recipient::OtherService),
        sessions: &[],
    },
    Seed {
        code: "woonwijs",
        nl: "Woonwijs",
        en: "Woonwijs",
        sdgs: &[11],
        recipient: Some(Recipient::Woonwijs),
        sessions: &[],
    },
    Seed {
        code: "renovatiecoach",
        nl: "RenovatieCoach",
        en: "RenovatieCoach",
        sdgs: &[11],
        recipient: Some(Recipient::OtherService),
        sessions: &[],
    },
    Seed {
        code: "renovation-premium-poverty",
        nl: "renovatiepremie voor mensen in armoede",
        en: "renovation premium for people in poverty",
        sdgs: &[11],
        recipient: None,
        sessions: &[],
    },
    Seed {
        code: "woonclub",
        nl: "woonclub (woensdagnamiddag)",
        en: "woonclub (Wednesday afternoon house hunting)",
        sdgs: &[11],
        recipient: None,
        sessions: &[SeedSession {
            when: Recurrence::Weekly(Weekday::Wed),
            start: hm(13, 30),
            end: hm(16, 0),
            place: "Huis van Welzijn",
        }],
    },
    Seed {
        code: "kracht-wonen",
        nl: "noodwoning met intensieve begeleiding (Kracht.wonen)",
        en: "emergency housing with intensive guidance (Kracht.wonen)",
        sdgs: &[11],
        recipient: None,
        sessions: &[],
    },
    Seed {
        code: "transit-housing",
        nl: "doorgangswoning",
        en: "transit housing",
        sdgs: &[11],
        recipient: None,
        sessions: &[],
    },
    Seed {
        code: "caw",
        nl: "CAW",
        en: "CAW",
        sdgs: &[],
        recipient: Some(Recipient::Caw),
        sessions: &[],
    },
    Seed {
        code: "other",
        nl: "andere (vrije tekst)",
        en: "other (free text)",
        sdgs: &[],
        recipient: Some(Recipient::OtherService),
        sessions: &[],
    },
];

/// Looks a service up in the built-in catalogue by its code.
pub fn service(code: &str) -> Option<&'static Service> {
    Catalogue::builtin().service(code)
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
