//! Home visits (huisbezoeken) with help requests, actions and safety signals.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{LifeDomain, Review, labelled_enum};

labelled_enum! {
    /// What kind of visit it was.
    VisitKind {
        FamilyVisit = "family-visit", "gezinsbezoek brugfiguur", "bridge-worker family visit";
        SchoolContact = "school-contact", "schoolcontact", "school contact";
        EnergyCheck = "energy-check", "energiecheck", "energy check";
        HousingAdvice = "housing-advice", "woonadvies", "housing advice";
        LacPreparation = "lac-preparation", "voorbereiding LAC", "LAC preparation";
        FollowUp = "follow-up", "opvolging", "follow-up";
    }
}

labelled_enum! {
    /// Where the visit took place.
    VisitPlace {
        Home = "home", "thuis", "at home";
        School = "school", "school", "school";
        HuisVanWelzijn = "huis-van-welzijn", "Huis van Welzijn", "Huis van Welzijn";
        Elsewhere = "elsewhere", "elders", "elsewhere";
    }
}

labelled_enum! {
    /// How the visit went.
    VisitOutcome {
        Done = "done", "doorgegaan", "done";
        NotAtHome = "not-at-home", "niet thuis", "not at home";
        Refused = "refused", "geweigerd", "refused";
        Moved = "moved", "verhuisd", "moved";
    }
}

labelled_enum! {
    /// How urgent a help request is.
    Urgency {
        Low = "low", "laag", "low";
        Normal = "normal", "normaal", "normal";
        High = "high", "hoog", "high";
        Acute = "acute", "acuut", "acute";
    }
}

labelled_enum! {
    /// Where an agreed action stands.
    ActionStatus {
        Open = "open", "open", "open";
        InProgress = "in-progress", "bezig", "in progress";
        Done = "done", "klaar", "done";
        Cancelled = "cancelled", "geannuleerd", "cancelled";
    }
}

labelled_enum! {
    /// A signal about the family's safety noticed during a visit.
    SafetySignal {
        None = "none", "geen", "none";
        ChildConcern = "child-concern", "zorg om een kind", "concern for a child";
        DomesticViolence = "domestic-violence", "partnergeweld", "domestic violence";
        DangerousDwelling = "dangerous-dwelling", "CO / gevaarlijke woning", "CO or dangerous dwelling";
        Other = "other", "andere", "other";
    }
}

/// A request for help the household made, by life domain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HelpRequest {
    /// The life domain the request belongs to.
    pub domain: LifeDomain,
    /// A short description, at most 280 characters.
    pub description: String,
    /// How urgent it is.
    pub urgency: Urgency,
}

/// Something agreed during a visit: what, who, by when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Action {
    /// What will be done.
    pub what: String,
    /// Who does it (a worker, a household member, a service).
    pub who: String,
    /// Deadline, on or after the visit date.
    #[serde(default)]
    pub deadline: Option<NaiveDate>,
    /// Where it stands.
    pub status: ActionStatus,
}

/// A home visit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Visit {
    /// Kind of visit.
    pub kind: VisitKind,
    /// When the visit was planned.
    #[serde(default)]
    pub planned_at: Option<NaiveDateTime>,
    /// When it started (local time, Europe/Brussels).
    pub start: NaiveDateTime,
    /// When it ended.
    #[serde(default)]
    pub end: Option<NaiveDateTime>,
    /// Where it took place.
    pub place: VisitPlace,
    /// How it went.
    pub outcome: VisitOutcome,
    /// Who was present: member ids and outside roles ("leerkracht").
    #[serde(default)]
    pub present: Vec<String>,
    /// Help requests, keyed by their own id.
    #[serde(default)]
    pub help_requests: BTreeMap<Uuid, HelpRequest>,
    /// Set when the household explicitly asked for no help.
    #[serde(default)]
    pub no_help_request: bool,
    /// Agreed actions, keyed by their own id.
    #[serde(default)]
    pub actions: BTreeMap<Uuid, Action>,
    /// Safety signal noticed, if any.
    #[serde(default = "no_signal")]
    pub safety_signal: SafetySignal,
    /// When a safety signal must be followed up.
    #[serde(default)]
    pub follow_up_by: Option<NaiveDateTime>,
    /// Free-text notes, at most 2000 characters (merged by character).
    #[serde(default)]
    pub notes: String,
    /// Next appointment, on or after the visit date.
    #[serde(default)]
    pub next_appointment: Option<NaiveDateTime>,
    /// The supervisor's review.
    #[serde(default)]
    pub review: Review,
}

fn no_signal() -> SafetySignal {
    SafetySignal::None
}
