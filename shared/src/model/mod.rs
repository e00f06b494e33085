//! Domain types: what bridge workers, housing advisers and supervisors
//! record about one household. No I/O lives here.
//!
//! Collections inside a record (help requests, actions, readings, defects,
//! ...) are maps keyed by their own UUID, never lists: two devices adding an
//! item offline must produce two items, not an index conflict. Money is in
//! euro cents, dates are dates.

mod activity;
mod attachment;
pub mod canonical;
mod case;
mod energy;
pub mod examples;
mod flag;
mod record;
mod referral;
mod renovation;
mod review;
mod role;
mod visit;

pub use activity::*;
pub use attachment::*;
pub use case::*;
pub use energy::*;
pub use flag::*;
pub use record::*;
pub use referral::*;
pub use renovation::*;
pub use review::*;
pub use role::*;
pub use visit::*;

use serde::{Deserialize, Serialize};

/// The two languages every user-facing text comes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Dutch (nl-BE), the default.
    #[default]
    Nl,
    /// English.
    En,
}

/// Declares an enum whose variants carry a stable code (used in documents
/// and JSON) and a Dutch and English label.
macro_rules! labelled_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal, $nl:literal, $en:literal; )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $code)] $variant, )+
        }

        impl $name {
            /// Every variant, in display order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable code stored in documents and JSON.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            /// The label a user reads.
            pub fn label(self, lang: $crate::model::Lang) -> &'static str {
                match lang {
                    $crate::model::Lang::Nl => match self { $($name::$variant => $nl),+ },
                    $crate::model::Lang::En => match self { $($name::$variant => $en),+ },
                }
            }

            /// Parses a stable code back into the variant.
            pub fn from_code(code: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.code() == code)
            }
        }
    };
}
pub(crate) use labelled_enum;

labelled_enum! {
    /// A yes / no / unknown answer, for statuses nobody may have checked yet.
    YesNoUnknown {
        Yes = "yes", "ja", "yes";
        No = "no", "nee", "no";
        Unknown = "unknown", "onbekend", "unknown";
    }
}

#[allow(clippy::derivable_impls)] // the enum comes from labelled_enum!, whose derive list is fixed
impl Default for YesNoUnknown {
    fn default() -> Self {
        Self::Unknown
    }
}

labelled_enum! {
    /// Life domains used for help requests and referral reasons.
    LifeDomain {
        Finances = "finances", "financiën", "finances";
        School = "school", "school", "school";
        Parenting = "parenting", "opvoeding", "parenting";
        Health = "health", "gezondheid en welzijn", "health and mental wellbeing";
        Housing = "housing", "wonen", "housing";
        Energy = "energy", "energie", "energy";
        Work = "work", "werk", "work";
        Leisure = "leisure", "vrije tijd", "leisure";
        Paperwork = "paperwork", "administratie", "paperwork";
        Language = "language", "taal", "language";
        Legal = "legal", "juridisch", "legal";
        Food = "food", "voeding", "food";
        Childcare = "childcare", "kinderopvang", "childcare";
    }
}

labelled_enum! {
    /// The kinds of record a case holds, each in its own map in the document.
    RecordKind {
        Member = "member", "gezinslid", "household member";
        Consent = "consent", "toestemming", "consent";
        Visit = "visit", "huisbezoek", "home visit";
        MeterCheck = "meter-check", "energiecheck", "energy-meter check";
        EnergyScan = "energy-scan", "energiescan", "energy scan";
        Renovation = "renovation", "woonadvies", "renovation advice";
        Referral = "referral", "doorverwijzing", "referral";
    }
}

impl RecordKind {
    /// The key of this kind's map in the case document.
    pub fn container(self) -> &'static str {
        match self {
            Self::Member => "members",
            Self::Consent => "consents",
            Self::Visit => "visits",
            Self::MeterCheck => "meter_checks",
            Self::EnergyScan => "energy_scans",
            Self::Renovation => "renovations",
            Self::Referral => "referrals",
        }
    }

    /// Whether a supervisor reviews records of this kind.
    pub fn is_reviewed(self) -> bool {
        matches!(
            self,
            Self::Visit | Self::MeterCheck | Self::Renovation | Self::Referral
        )
    }
}
