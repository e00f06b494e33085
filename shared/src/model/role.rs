//! A user's one role: what the server and the device let that user do.

use super::labelled_enum;

labelled_enum! {
    /// A user's one role.
    Role {
        /// Brugfiguur.
        BridgeWorker = "bridge-worker", "brugfiguur", "bridge worker";
        /// Woonadviseur / energiemedewerker.
        HousingAdviser = "housing-adviser", "woonadviseur", "housing adviser";
        /// Teamverantwoordelijke: reviews, assigns, resolves.
        Supervisor = "supervisor", "teamverantwoordelijke", "supervisor";
        /// Beheerder.
        Admin = "admin", "beheerder", "administrator";
        /// Diensthoofd / beleid: every team's report figures, no case or
        /// personal data at all.
        Policy = "policy", "beleidsverantwoordelijke", "policy lead";
    }
}

impl Role {
    /// Whether the role reviews records (approves, returns) and may reopen
    /// a closed case.
    pub fn reviews(self) -> bool {
        self == Self::Supervisor
    }

    /// Whether the role sees report figures: a supervisor its own team's,
    /// the policy lead every team's (public view only).
    pub fn reads_reports(self) -> bool {
        matches!(self, Self::Supervisor | Self::Policy)
    }

    /// Whether the role works with case documents at all (the policy lead
    /// never holds one).
    pub fn holds_cases(self) -> bool {
        self != Self::Policy
    }
}
