//! Collective activities: a group session or an information moment of the
//! plan, not tied to one household (Dutch practice, the Huis van het
//! Kind's talks, financial education in groups, the woonclub).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Review, labelled_enum};

labelled_enum! {
    /// What kind of collective activity it was.
    ActivityKind {
        /// A group session (groepssessie) with a programme.
        GroupSession = "group-session", "groepssessie", "group session";
        /// An information moment (infomoment) open to all.
        InformationMoment = "information-moment", "infomoment", "information moment";
    }
}

/// One collective activity, recorded by the team that organised it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    /// Its id (UUIDv7, made where it was first recorded).
    pub id: Uuid,
    /// The day it was held.
    pub held_on: NaiveDate,
    /// Group session or information moment.
    pub kind: ActivityKind,
    /// The plan's action it carries out (its code, from the plan).
    pub action: String,
    /// A short title ("Praatcafé Nederlands").
    pub title: String,
    /// Where it was held.
    pub place: String,
    /// Who organised it (a service or partner, not a person's name).
    pub organiser: String,
    /// How many people took part, households with a case included.
    pub participants: u32,
    /// The households with a case that took part: they count as reached.
    #[serde(default)]
    pub households: Vec<Uuid>,
    /// The user who recorded it (reports break down by worker with it).
    #[serde(default)]
    pub recorded_by: String,
    /// The supervisor's review.
    #[serde(default)]
    pub review: Review,
}

/// The most participants one activity may count (a typo guard, not a rule
/// of the plan).
pub const MAX_PARTICIPANTS: u32 = 10_000;

impl Activity {
    /// Why the activity may not be saved (Dutch, English), if it may not.
    pub fn problem(&self) -> Option<(String, String)> {
        let blank = |t: &str| t.trim().is_empty();
        if blank(&self.action) {
            return Some((
                "kies de actie van het plan".into(),
                "choose the plan's action".into(),
            ));
        }
        if blank(&self.title) || blank(&self.place) || blank(&self.organiser) {
            return Some((
                "titel, plaats en organisator zijn verplicht".into(),
                "title, place and organiser are required".into(),
            ));
        }
        if self.participants == 0 || self.participants > MAX_PARTICIPANTS {
            return Some((
                format!("het aantal deelnemers moet tussen 1 en {MAX_PARTICIPANTS} liggen"),
                format!("the number of participants must be between 1 and {MAX_PARTICIPANTS}"),
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        if self.households.iter().any(|h| !seen.insert(*h)) {
            return Some((
                "een gezin staat er twee keer bij".into(),
                "a household is listed twice".into(),
            ));
        }
        if self.households.len() > self.participants as usize {
            return Some((
                "er zijn meer gezinnen dan deelnemers".into(),
                "there are more households than participants".into(),
            ));
        }
        None
    }
}
