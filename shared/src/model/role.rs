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
    }
}

impl Role {
    /// Whether the role reviews records (approves, returns) and may reopen
    /// a closed case.
    pub fn reviews(self) -> bool {
        self == Self::Supervisor
    }
}
