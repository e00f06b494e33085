//! The catalogue: every text a user reads, in Dutch (nl-BE) and English.
//! Labels of domain values (statuses, record kinds, flags) come from
//! `brug_shared::model`'s labelled enums; this file holds the rest.

pub use brug_shared::model::Lang;

/// A text of the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Text {
    /// Title of the case list.
    Cases,
    /// Placeholder and label of the search field.
    SearchLabel,
    /// Label of the flag filter.
    FilterLabel,
    /// "all" in a filter.
    All,
    /// Shown when no case matches.
    NoCases,
    /// Column: next appointment.
    NextAppointment,
    /// Sync state: offline.
    Offline,
    /// Sync state: online.
    Online,
    /// Sync state: syncing.
    Syncing,
    /// Changes not yet on the server.
    Pending,
    /// Last successful sync.
    LastSync,
    /// Never synced.
    Never,
    /// The sync-now button.
    SyncNow,
    /// Title of the lock screen.
    Locked,
    /// Label of the PIN field.
    Pin,
    /// The unlock button.
    Unlock,
    /// A wrong PIN.
    WrongPin,
    /// Too many wrong PINs.
    WaitPin,
    /// The offline lease ran out.
    LeaseExpired,
    /// The device was revoked.
    Revoked,
}

/// The text in a language.
pub fn t(lang: Lang, text: Text) -> &'static str {
    use Text::*;
    match (lang, text) {
        (Lang::Nl, Cases) => "Dossiers",
        (Lang::En, Cases) => "Cases",
        (Lang::Nl, SearchLabel) => "Zoek op naam, adres of school",
        (Lang::En, SearchLabel) => "Search by name, address or school",
        (Lang::Nl, FilterLabel) => "Toon",
        (Lang::En, FilterLabel) => "Show",
        (Lang::Nl, All) => "alle dossiers",
        (Lang::En, All) => "all cases",
        (Lang::Nl, NoCases) => "Geen dossiers gevonden.",
        (Lang::En, NoCases) => "No cases found.",
        (Lang::Nl, NextAppointment) => "Volgende afspraak",
        (Lang::En, NextAppointment) => "Next appointment",
        (Lang::Nl, Offline) => "Offline",
        (Lang::En, Offline) => "Offline",
        (Lang::Nl, Online) => "Online",
        (Lang::En, Online) => "Online",
        (Lang::Nl, Syncing) => "Synchroniseren",
        (Lang::En, Syncing) => "Syncing",
        (Lang::Nl, Pending) => "nog te versturen",
        (Lang::En, Pending) => "waiting to be sent",
        (Lang::Nl, LastSync) => "Laatst gesynchroniseerd",
        (Lang::En, LastSync) => "Last synced",
        (Lang::Nl, Never) => "nog nooit",
        (Lang::En, Never) => "never",
        (Lang::Nl, SyncNow) => "Nu synchroniseren",
        (Lang::En, SyncNow) => "Sync now",
        (Lang::Nl, Locked) => "Brug is vergrendeld",
        (Lang::En, Locked) => "Brug is locked",
        (Lang::Nl, Pin) => "Pincode",
        (Lang::En, Pin) => "PIN",
        (Lang::Nl, Unlock) => "Ontgrendelen",
        (Lang::En, Unlock) => "Unlock",
        (Lang::Nl, WrongPin) => "Verkeerde pincode. Probeer opnieuw",
        (Lang::En, WrongPin) => "Wrong PIN. Try again",
        (Lang::Nl, WaitPin) => "Te veel verkeerde pincodes. Wacht nog",
        (Lang::En, WaitPin) => "Too many wrong PINs. Wait",
        (Lang::Nl, LeaseExpired) => {
            "Dit toestel werd te lang niet gesynchroniseerd; de dossiers blijven dicht tot u synchroniseert. Dagen zonder synchronisatie"
        }
        (Lang::En, LeaseExpired) => {
            "This device has not synced for too long; cases stay locked until you sync. Days without a sync"
        }
        (Lang::Nl, Revoked) => {
            "Dit toestel werd ingetrokken en de gegevens werden gewist. Vraag uw teamverantwoordelijke om een nieuwe inschrijving."
        }
        (Lang::En, Revoked) => {
            "This device was revoked and its data wiped. Ask your supervisor for a new enrolment."
        }
    }
}

/// A case flag (`brug_device::index::FLAGS`) as a user reads it.
pub fn flag(lang: Lang, code: &str) -> &'static str {
    match (lang, code) {
        (Lang::Nl, "safety-signal") => "veiligheidssignaal",
        (Lang::En, "safety-signal") => "safety signal",
        (Lang::Nl, "self-disconnection-risk") => "risico zelfafsluiting",
        (Lang::En, "self-disconnection-risk") => "self-disconnection risk",
        (Lang::Nl, "unfit-dwelling") => "ongeschikte woning",
        (Lang::En, "unfit-dwelling") => "unfit dwelling",
        (Lang::Nl, "category-iii") => "gebrek categorie III",
        (Lang::En, "category-iii") => "category III defect",
        (Lang::Nl, "overdue-follow-up") => "opvolging te laat",
        (Lang::En, "overdue-follow-up") => "overdue follow-up",
        (Lang::Nl, "override") => "controle overschreven",
        (Lang::En, "override") => "check overridden",
        (Lang::Nl, "conflicts") => "tegenstrijdige wijzigingen",
        (Lang::En, "conflicts") => "conflicting edits",
        (Lang::Nl, "returned") => "teruggestuurd",
        (Lang::En, "returned") => "returned",
        (Lang::Nl, "submitted") => "ter nazicht",
        (Lang::En, "submitted") => "submitted",
        (Lang::Nl, _) => "signaal",
        (Lang::En, _) => "flag",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_flag_has_its_own_words_in_both_languages() {
        for code in brug_device::index::FLAGS {
            assert_ne!(flag(Lang::Nl, code), "signaal", "{code}");
            assert_ne!(flag(Lang::En, code), "flag", "{code}");
        }
    }
}
