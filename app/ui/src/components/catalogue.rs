//! The team's referral catalogue: every service with its organisation, the
//! plan's action, whether a referral needs consent, the address and the
//! sessions; a supervisor adds a service or changes one (a session day, a
//! closing day) in the editor below the list.

use std::sync::Arc;

use brug_device::shared::model::{
    Catalogue, Recipient, Recurrence, Service, Session, weekday_name,
};
use chrono::{NaiveDate, NaiveTime, Weekday};
use dioxus::prelude::*;

use super::TextBox;

use crate::format;
use crate::i18n::{Lang, Text, t};

/// What the add buttons say they add (`data-add`).
const ADD_SERVICE: &str = "service";
const ADD_SESSION: &str = "session";

/// The SDGs of the multi-year plan, offered as boxes to tick.
const PLAN_SDGS: &[u8] = &[1, 2, 3, 4, 8, 10, 11];

const WEEKDAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

/// The catalogue, and the editor of one service for a supervisor.
#[component]
pub fn CatalogueScreen(
    lang: Lang,
    catalogue: Option<Arc<Catalogue>>,
    /// Whether this user may change it (a supervisor).
    editable: bool,
    /// The service being edited (a new one has an empty code).
    editing: Option<Service>,
    /// What went wrong with the last save, in plain words.
    error: Option<String>,
    on_edit: EventHandler<Option<Service>>,
    on_save: EventHandler<Service>,
) -> Element {
    let Some(catalogue) = catalogue else {
        return rsx! { p { role: "status", "{t(lang, Text::Loading)}" } };
    };
    let taken: Vec<String> = catalogue.services.iter().map(|s| s.code.clone()).collect();
    rsx! {
        section { class: "catalogue",
            h1 { "{t(lang, Text::CatalogueTitle)}" }
            p { class: "intro", "{t(lang, Text::CatalogueIntro)}" }
            if !editable {
                p { class: "intro", "{t(lang, Text::ReadOnlyCatalogue)}" }
            }
            if let Some(e) = error {
                p { class: "finding error", role: "alert", "{e}" }
            }
            if let Some(service) = editing {
                ServiceEditor {
                    key: "{service.code}",
                    lang,
                    service,
                    taken: taken.clone(),
                    on_save: move |s| on_save.call(s),
                    on_cancel: move |_| on_edit.call(None),
                }
            } else if editable {
                button {
                    class: "primary add-service",
                    "data-add": "{ADD_SERVICE}",
                    onclick: move |_| on_edit.call(Some(blank_service())),
                    "{t(lang, Text::AddService)}"
                }
            }
            ul { class: "services",
                for s in catalogue.services.iter().filter(|s| s.code != "other") {
                    li { key: "{s.code}", class: if s.retired { "service retired" } else { "service" },
                        "data-code": "{s.code}",
                        h2 { "{s.name(lang)}" }
                        if s.retired {
                            span { class: "badge", "{t(lang, Text::RetiredBadge)}" }
                        }
                        p { class: "meta", {describe(lang, s)} }
                        if s.sessions.is_empty() {
                            p { class: "sessions", "{t(lang, Text::ByAppointment)}" }
                        } else {
                            ul { class: "sessions",
                                for (i, session) in s.sessions.iter().enumerate() {
                                    li { key: "{i}", "{session.label(lang)}" }
                                }
                            }
                        }
                        if !s.closed.is_empty() {
                            p { class: "closed",
                                "{t(lang, Text::ClosedDays)}: "
                                {s.closed.iter().map(|d| format::date(*d)).collect::<Vec<_>>().join(", ")}
                            }
                        }
                        if editable {
                            button {
                                r#type: "button",
                                "aria-label": "{t(lang, Text::Edit)}: {s.name(lang)}",
                                onclick: {
                                    let s = s.clone();
                                    move |_| on_edit.call(Some(s.clone()))
                                },
                                "{t(lang, Text::Edit)}"
                            }
                        }
                    }
                }
            }
        }
    }
}

/// One line about a service: organisation, plan action, SDGs, consent,
/// address.
fn describe(lang: Lang, s: &Service) -> String {
    let mut parts: Vec<String> = Vec::new();
    if !s.organisation.trim().is_empty() {
        parts.push(s.organisation.trim().to_owned());
    }
    if !s.action.trim().is_empty() {
        parts.push(s.action.trim().to_owned());
    }
    if !s.sdgs.is_empty() {
        let sdgs: Vec<String> = s.sdgs.iter().map(|n| format!("SDG {n}")).collect();
        parts.push(sdgs.join(", "));
    }
    parts.push(
        if s.is_external() {
            t(lang, Text::ConsentNeeded)
        } else {
            t(lang, Text::NoConsentNeeded)
        }
        .to_owned(),
    );
    if !s.address.trim().is_empty() {
        parts.push(s.address.trim().to_owned());
    }
    parts.join(" · ")
}

fn blank_service() -> Service {
    Service {
        code: String::new(),
        nl: String::new(),
        en: String::new(),
        organisation: String::new(),
        action: String::new(),
        sdgs: Vec::new(),
        recipient: None,
        address: String::new(),
        sessions: Vec::new(),
        closed: Vec::new(),
        retired: false,
    }
}

/// A code for a new service from its name: "Repair Café" → "repair-cafe",
/// made unique among `taken`.
pub fn code_for(name: &str, taken: &[String]) -> String {
    let mut code = String::new();
    for c in name.to_lowercase().chars() {
        let c = match c {
            'à' | 'á' | 'â' | 'ä' => 'a',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ò' | 'ó' | 'ô' | 'ö' => 'o',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            c => c,
        };
        if c.is_ascii_alphanumeric() {
            code.push(c);
        } else if !code.ends_with('-') && !code.is_empty() {
            code.push('-');
        }
    }
    let mut code: String = code.trim_end_matches('-').chars().take(48).collect();
    if code.is_empty() {
        code = "dienst".into();
    }
    let base = code.clone();
    let mut n = 2;
    while taken.contains(&code) {
        code = format!("{base}-{n}");
        n += 1;
    }
    code
}

/// A session as the editor holds it: text as typed.
#[derive(Debug, Clone, PartialEq)]
struct SessionRow {
    monthly: bool,
    nth: String,
    weekday: Weekday,
    start: String,
    end: String,
    place: String,
}

impl SessionRow {
    fn of(s: &Session) -> Self {
        let (monthly, nth, weekday) = match s.when {
            Recurrence::Weekly(w) => (false, "1".to_owned(), w),
            Recurrence::Monthly { nth, weekday } => (true, nth.to_string(), weekday),
        };
        Self {
            monthly,
            nth,
            weekday,
            start: s.start.format("%H:%M").to_string(),
            end: s.end.format("%H:%M").to_string(),
            place: s.place.clone(),
        }
    }

    fn session(&self) -> Option<Session> {
        let time = |t: &str| NaiveTime::parse_from_str(t.trim(), "%H:%M").ok();
        let when = if self.monthly {
            Recurrence::Monthly {
                nth: self.nth.trim().parse().ok()?,
                weekday: self.weekday,
            }
        } else {
            Recurrence::Weekly(self.weekday)
        };
        Some(Session {
            when,
            start: time(&self.start)?,
            end: time(&self.end)?,
            place: self.place.trim().to_owned(),
        })
    }
}

fn parse_day(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    NaiveDate::parse_from_str(text, "%d/%m/%Y")
        .or_else(|_| NaiveDate::parse_from_str(text, "%Y-%m-%d"))
        .ok()
}

/// The editor of one service.
#[component]
fn ServiceEditor(
    lang: Lang,
    service: Service,
    /// Codes in use (a new service gets one of its own).
    taken: Vec<String>,
    on_save: EventHandler<Service>,
    on_cancel: EventHandler<()>,
) -> Element {
    let original = service.clone();
    let is_new = original.code.is_empty();
    let mut s = use_signal(|| service.clone());
    let mut rows = use_signal(|| {
        service
            .sessions
            .iter()
            .map(SessionRow::of)
            .collect::<Vec<_>>()
    });
    let mut closed = use_signal(|| {
        service
            .closed
            .iter()
            .map(|d| format::date(*d))
            .collect::<Vec<_>>()
            .join("\n")
    });
    let mut problem = use_signal(|| None::<String>);
    let recipient_code = s
        .read()
        .recipient
        .map(|r| r.code().to_owned())
        .unwrap_or_default();
    let mut save = move |_: ()| {
        let mut out = s.read().clone();
        let mut sessions = Vec::new();
        for row in rows.read().iter() {
            match row.session() {
                Some(session) => sessions.push(session),
                None => {
                    problem.set(Some(t(lang, Text::BadTime).to_owned()));
                    return;
                }
            }
        }
        out.sessions = sessions;
        let mut days = Vec::new();
        for line in closed.read().lines().filter(|l| !l.trim().is_empty()) {
            match parse_day(line) {
                Some(d) => days.push(d),
                None => {
                    problem.set(Some(format!("{} {}", t(lang, Text::BadDay), line.trim())));
                    return;
                }
            }
        }
        days.sort();
        days.dedup();
        out.closed = days;
        if is_new {
            out.code = code_for(&out.nl, &taken);
        }
        if let Some((nl, en)) = out.problem() {
            problem.set(Some(if lang == Lang::Nl { nl } else { en }));
            return;
        }
        problem.set(None);
        on_save.call(out);
    };
    let consent = if s.read().recipient.is_some() {
        t(lang, Text::ConsentNeeded)
    } else {
        t(lang, Text::NoConsentNeeded)
    };
    rsx! {
        form { class: "service-editor",
            onsubmit: move |e: FormEvent| { e.prevent_default(); save(()) },
            h2 { if original.code.is_empty() { "{t(lang, Text::AddService)}" } else { "{original.name(lang)}" } }
            if let Some(p) = problem() {
                p { class: "finding error", role: "alert", "{p}" }
            }
            label { r#for: "svc-nl", "{t(lang, Text::ServiceName)} *" }
            TextBox { id: "svc-nl", text: s.read().nl.clone(), on_input: move |t| s.write().nl = t }
            label { r#for: "svc-en", "{t(lang, Text::ServiceNameEn)}" }
            TextBox { id: "svc-en", text: s.read().en.clone(), on_input: move |t| s.write().en = t }
            label { r#for: "svc-org", "{t(lang, Text::Organisation)}" }
            TextBox { id: "svc-org", text: s.read().organisation.clone(), on_input: move |t| s.write().organisation = t }
            label { r#for: "svc-action", "{t(lang, Text::PlanAction)}" }
            TextBox { id: "svc-action", text: s.read().action.clone(), on_input: move |t| s.write().action = t }
            fieldset { class: "codes",
                legend { "{t(lang, Text::Sdgs)}" }
                for n in PLAN_SDGS.iter().copied() {
                    label { class: "code", key: "{n}",
                        input {
                            r#type: "checkbox",
                            name: "sdg",
                            value: "{n}",
                            checked: s.read().sdgs.contains(&n),
                            onchange: move |e: Event<FormData>| {
                                let v = e.value();
                                let on = if v == "true" || v == "false" { v == "true" } else { e.checked() };
                                let mut w = s.write();
                                w.sdgs.retain(|x| *x != n);
                                if on {
                                    w.sdgs.push(n);
                                    w.sdgs.sort_unstable();
                                }
                            },
                        }
                        " SDG {n}"
                    }
                }
            }
            label { r#for: "svc-recipient", "{t(lang, Text::DataRecipient)}" }
            select { id: "svc-recipient",
                onchange: move |e| s.write().recipient = Recipient::from_code(&e.value()),
                option { value: "", selected: recipient_code.is_empty(), "{t(lang, Text::OwnService)}" }
                for (code, label) in Recipient::ALL.iter().map(|r| (r.code(), r.label(lang))) {
                    option { key: "{code}", value: "{code}", selected: recipient_code == code, "{label}" }
                }
            }
            p { class: "hint", "{consent}" }
            label { r#for: "svc-address", "{t(lang, Text::Address)}" }
            TextBox { id: "svc-address", text: s.read().address.clone(), on_input: move |t| s.write().address = t }
            fieldset { class: "group sessions",
                legend { "{t(lang, Text::Sessions)}" }
                if rows.read().is_empty() {
                    p { class: "hint", "{t(lang, Text::ByAppointment)}" }
                }
                for (i, row) in rows.read().iter().cloned().enumerate() {
                    div { class: "item session-row", key: "{i}",
                        label { r#for: "ses-{i}-kind", "{t(lang, Text::Sessions)} {i + 1}" }
                        select { id: "ses-{i}-kind",
                            onchange: move |e| rows.write()[i].monthly = e.value() == "monthly",
                            option { value: "weekly", selected: !row.monthly, "{t(lang, Text::Weekly)}" }
                            option { value: "monthly", selected: row.monthly, "{t(lang, Text::MonthlyNth)}" }
                        }
                        if row.monthly {
                            label { r#for: "ses-{i}-nth", "{t(lang, Text::NthInMonth)}" }
                            TextBox { id: "ses-{i}-nth", inputmode: "numeric", text: row.nth.clone(),
                                on_input: move |t| rows.write()[i].nth = t }
                        }
                        label { r#for: "ses-{i}-day", "{t(lang, Text::Weekday)}" }
                        select { id: "ses-{i}-day",
                            onchange: move |e| {
                                if let Some(w) = WEEKDAYS.iter().find(|w| weekday_name(**w, Lang::En) == e.value()) {
                                    rows.write()[i].weekday = *w;
                                }
                            },
                            for w in WEEKDAYS {
                                option { key: "{w}", value: "{weekday_name(w, Lang::En)}", selected: row.weekday == w, "{weekday_name(w, lang)}" }
                            }
                        }
                        label { r#for: "ses-{i}-from", "{t(lang, Text::TimeFrom)}" }
                        TextBox { id: "ses-{i}-from", inputmode: "decimal", text: row.start.clone(),
                            on_input: move |t| rows.write()[i].start = t }
                        label { r#for: "ses-{i}-until", "{t(lang, Text::TimeUntil)}" }
                        TextBox { id: "ses-{i}-until", inputmode: "decimal", text: row.end.clone(),
                            on_input: move |t| rows.write()[i].end = t }
                        label { r#for: "ses-{i}-place", "{t(lang, Text::Place)}" }
                        TextBox { id: "ses-{i}-place", text: row.place.clone(),
                            on_input: move |t| rows.write()[i].place = t }
                        button { r#type: "button", class: "remove-item",
                            onclick: move |_| { rows.write().remove(i); },
                            "{t(lang, Text::Remove)}"
                        }
                    }
                }
                button { r#type: "button", class: "add-item", "data-add": "{ADD_SESSION}",
                    onclick: move |_| rows.write().push(SessionRow {
                        monthly: false,
                        nth: "1".into(),
                        weekday: Weekday::Mon,
                        start: "09:00".into(),
                        end: "12:00".into(),
                        place: String::new(),
                    }),
                    "{t(lang, Text::AddSession)}"
                }
            }
            label { r#for: "svc-closed", "{t(lang, Text::ClosedDays)}" }
            TextBox { id: "svc-closed", rows: 3, text: closed(), on_input: move |t| closed.set(t) }
            label { class: "check",
                input {
                    r#type: "checkbox",
                    checked: s.read().retired,
                    onchange: move |e: Event<FormData>| {
                        let v = e.value();
                        s.write().retired = if v == "true" || v == "false" { v == "true" } else { e.checked() };
                    },
                }
                " {t(lang, Text::Retired)}"
            }
            div { class: "save-bar",
                button { r#type: "submit", class: "save primary", "{t(lang, Text::Save)}" }
                button { r#type: "button", class: "cancel", onclick: move |_| on_cancel.call(()), "{t(lang, Text::Back)}" }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_service_gets_a_code_of_its_own_from_its_name() {
        let taken = vec!["repair-cafe".to_owned()];
        assert_eq!(code_for("Repair Café", &[]), "repair-cafe");
        assert_eq!(code_for("Repair Café", &taken), "repair-cafe-2");
        assert_eq!(code_for("  !! ", &[]), "dienst");
    }
}
