//! The home visit (or school contact, phone call, ...).

use serde_json::json;

use super::{Group, Input, Spec, choices, f};
use crate::model::*;

pub(super) fn visit() -> Spec {
    use Input::*;
    Spec {
        fields: vec![
            f(
                "kind",
                "Soort contact",
                "Kind of contact",
                Choice(choices!(VisitKind)),
            ),
            f("place", "Plaats", "Place", Choice(choices!(VisitPlace))),
            f(
                "outcome",
                "Verloop",
                "Outcome",
                Choice(choices!(VisitOutcome)),
            ),
            f(
                "present",
                "Aanwezig (één per regel)",
                "Present (one per line)",
                Lines,
            ),
            f("no_help_request", "Geen hulpvraag", "No help request", Bool),
            // Times after what a worker knows first at the kitchen table.
            f("start", "Begin", "Start", DateTime),
            f("end", "Einde", "End", DateTime).opt(),
            f("planned_at", "Gepland op", "Planned at", DateTime).opt(),
            f(
                "safety_signal",
                "Veiligheidssignaal",
                "Safety signal",
                Choice(choices!(SafetySignal)),
            ),
            f("follow_up_by", "Opvolgen tegen", "Follow up by", DateTime).opt(),
            f(
                "next_appointment",
                "Volgende afspraak",
                "Next appointment",
                DateTime,
            )
            .opt(),
            f("notes", "Verslag", "Notes", LongText).opt(),
        ],
        groups: vec![
            Group {
                path: "help_requests",
                nl: "Hulpvragen",
                en: "Help requests",
                add_nl: "Hulpvraag toevoegen",
                add_en: "Add a help request",
                fields: vec![
                    f(
                        "domain",
                        "Levensdomein",
                        "Life domain",
                        Choice(choices!(LifeDomain)),
                    ),
                    f("description", "Omschrijving", "Description", LongText),
                    f(
                        "urgency",
                        "Dringendheid",
                        "Urgency",
                        Choice(choices!(Urgency)),
                    ),
                ],
                template: |_| json!({"domain": "finances", "description": "", "urgency": "normal"}),
            },
            Group {
                path: "actions",
                nl: "Afspraken en acties",
                en: "Actions",
                add_nl: "Actie toevoegen",
                add_en: "Add an action",
                fields: vec![
                    f("what", "Wat", "What", Text),
                    f("who", "Wie", "Who", Text),
                    f("deadline", "Tegen", "Deadline", Date).opt(),
                    f("status", "Stand", "Status", Choice(choices!(ActionStatus))),
                ],
                template: |_| json!({"what": "", "who": "", "deadline": null, "status": "open"}),
            },
        ],
        nullable: &[],
        sections: super::VISIT_SECTIONS,
    }
}
