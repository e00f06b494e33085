//! Why a case needs attention: the flags the case index derives from the
//! rules and the review states, shown as badges, as a filter of the case
//! list and as the lines of the supervisor's queue, in this order.

use super::{Lang, labelled_enum};

labelled_enum! {
    /// A case flag, in the order of the supervisor's queue.
    CaseFlag {
        Submitted = "submitted", "ter nazicht", "submitted";
        SafetySignal = "safety-signal", "veiligheidssignaal", "safety signal";
        Conflicts = "conflicts", "tegenstrijdige wijzigingen", "conflicting edits";
        Override = "override", "controle overschreven", "check overridden";
        OverdueFollowUp = "overdue-follow-up", "opvolging te laat", "overdue follow-up";
        OverdueAction = "overdue-action", "actie over tijd", "overdue action";
        SelfDisconnectionRisk = "self-disconnection-risk", "risico zelfafsluiting", "self-disconnection risk";
        UnfitDwelling = "unfit-dwelling", "ongeschikte woning", "unfit dwelling";
        CategoryIii = "category-iii", "gebrek categorie III", "category III defect";
        Returned = "returned", "teruggestuurd", "returned";
    }
}

impl CaseFlag {
    /// What the flag means and what to do, in one sentence.
    pub fn explained(self, lang: Lang) -> &'static str {
        match (lang, self) {
            (Lang::Nl, Self::SafetySignal) => {
                "Er werd een veiligheidssignaal genoteerd; volg het op binnen 48 uur."
            }
            (Lang::En, Self::SafetySignal) => {
                "A safety signal was recorded; follow it up within 48 hours."
            }
            (Lang::Nl, Self::SelfDisconnectionRisk) => {
                "Budgetmeter met laag saldo of gestopte opladingen: het gezin dreigt zonder energie te vallen."
            }
            (Lang::En, Self::SelfDisconnectionRisk) => {
                "Prepaid meter with a low balance or stopped top-ups: the household may end up without energy."
            }
            (Lang::Nl, Self::UnfitDwelling) => {
                "Het indicatief oordeel is ongeschikt of onbewoonbaar; bespreek verdere stappen."
            }
            (Lang::En, Self::UnfitDwelling) => {
                "The indicative verdict is unfit or uninhabitable; discuss next steps."
            }
            (Lang::Nl, Self::CategoryIii) => {
                "Er is een gebrek van categorie III (ernstig risico voor veiligheid of gezondheid)."
            }
            (Lang::En, Self::CategoryIii) => {
                "There is a category III defect (serious risk to safety or health)."
            }
            (Lang::Nl, Self::OverdueFollowUp) => {
                "Een afgesproken opvolging is voorbij zonder nieuw contact."
            }
            (Lang::En, Self::OverdueFollowUp) => {
                "An agreed follow-up date has passed without a new contact."
            }
            (Lang::Nl, Self::OverdueAction) => {
                "De deadline van een afgesproken actie is voorbij en ze is niet klaar."
            }
            (Lang::En, Self::OverdueAction) => {
                "An agreed action is past its deadline and not done."
            }
            (Lang::Nl, Self::Override) => {
                "Een controle werd overschreven met een reden; de teamverantwoordelijke kijkt mee."
            }
            (Lang::En, Self::Override) => {
                "A check was overridden with a reason; the supervisor takes a look."
            }
            (Lang::Nl, Self::Conflicts) => {
                "Twee mensen schreven tegelijk iets anders; kies welke waarde blijft."
            }
            (Lang::En, Self::Conflicts) => {
                "Two people wrote different values at once; choose which stays."
            }
            (Lang::Nl, Self::Returned) => {
                "De teamverantwoordelijke stuurde een record terug met een opmerking."
            }
            (Lang::En, Self::Returned) => "The supervisor returned a record with a comment.",
            (Lang::Nl, Self::Submitted) => "Er wacht een record op nazicht.",
            (Lang::En, Self::Submitted) => "A record waits for review.",
        }
    }
}
