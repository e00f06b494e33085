//! A person's own data (GDPR art. 15 and 20): everything Brug holds about
//! one household member, across cases, as a readable Dutch HTML page and
//! as JSON (docs/gdpr.md).
//!
//! Per case: the household the person belongs to, their own member record,
//! the household's records (visits, meter checks, scans, advice, consents,
//! referrals), who changed each and when, which organisations received
//! data through referrals and on which consent, and the erasures made.
//! Other members of the household are left out, and their names and
//! national numbers are blanked wherever they occur in what is exported.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use brug_shared::casedoc::CaseDoc;
use brug_shared::model::{Case, Lang, RecordKind};
use brug_shared::rules::types::NationalNumber;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value as Json};
use uuid::Uuid;

use crate::db::DbError;
use crate::storage::ServerStore;

/// Whose data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// Everyone with this national register number, in every case.
    NationalNumber(String),
    /// One member of one case.
    Member {
        /// The case.
        case: Uuid,
        /// The member.
        member: Uuid,
    },
}

/// What another person's data reads as in an export.
pub const OTHER_PERSON: &str = "[andere persoon]";

/// The export.
#[derive(Debug, Clone, Serialize)]
pub struct SubjectExport {
    /// When it was made.
    pub made_at: DateTime<Utc>,
    /// Who asked for it.
    pub made_by: String,
    /// One entry per case the person is a member of.
    pub cases: Vec<SubjectCase>,
}

/// The person's data in one case.
#[derive(Debug, Clone, Serialize)]
pub struct SubjectCase {
    /// The case.
    pub case: Uuid,
    /// The team that works it.
    pub team: String,
    /// The case's generation (erasures so far).
    pub generation: u64,
    /// The member record's id.
    pub member_id: Uuid,
    /// The person's own member record.
    pub member: Json,
    /// The household's fields.
    pub household: Json,
    /// The household's records, by kind (`visits`, `referrals`, ...).
    pub records: Map<String, Json>,
    /// Every change to what is exported: who, on which device, when, what.
    pub history: Vec<Change>,
    /// Data that left the OCMW: per referral, to whom, what, and on which
    /// consent or legal basis.
    pub shared: Vec<Shared>,
    /// Attachments on the exported records (references; the bytes stay).
    pub attachments: Vec<Json>,
    /// Erasures made in this case (what, when, by whom, why).
    pub erasures: Vec<Json>,
}

/// One change in the history.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    /// When.
    pub at: Option<DateTime<Utc>>,
    /// Who.
    pub author: Option<String>,
    /// On which device.
    pub device: Option<Uuid>,
    /// What happened.
    pub message: String,
    /// The record it was about.
    pub record: Option<Uuid>,
    /// The fields it changed.
    pub fields: Vec<String>,
}

/// Data shared outside the OCMW through one referral.
#[derive(Debug, Clone, Serialize)]
pub struct Shared {
    /// The referral.
    pub referral: Uuid,
    /// The service referred to.
    pub service: String,
    /// The organisation that runs it.
    pub organisation: String,
    /// When.
    pub referred_on: chrono::NaiveDate,
    /// The categories of data shared.
    pub data: Vec<String>,
    /// The legal basis, when there was one.
    pub legal_basis: Option<String>,
    /// The consent it rested on: purpose, given on, withdrawn on.
    pub consent: Option<Json>,
}

/// Writes `brug-gegevens.html` and `brug-gegevens.json` into `out` (made
/// if missing; existing exports are not overwritten) and audits the export
/// by case and member ids. `progress` hears (done, total) cases searched.
pub fn export(
    store: &dyn ServerStore,
    subject: &Subject,
    by: &str,
    out: &Path,
    now: DateTime<Utc>,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<(SubjectExport, Vec<PathBuf>), DbError> {
    let export = collect(store, subject, by, now, progress)?;
    if export.cases.is_empty() {
        return Err(DbError::NotFound(
            "niemand met deze gegevens in Brug / nobody with these details in Brug".into(),
        ));
    }
    let html_path = out.join("brug-gegevens.html");
    let json_path = out.join("brug-gegevens.json");
    for p in [&html_path, &json_path] {
        if p.exists() {
            return Err(DbError::Invalid(format!(
                "{} bestaat al; kies een andere map / already exists",
                p.display()
            )));
        }
    }
    let io = |e: std::io::Error| {
        DbError::Invalid(format!("kan niet schrijven in {}: {e}", out.display()))
    };
    crate::files::private_dir(out).map_err(io)?;
    let json = serde_json::to_vec_pretty(&export).map_err(|e| DbError::Invalid(e.to_string()))?;
    std::fs::write(&json_path, json).map_err(io)?;
    std::fs::write(&html_path, html(&export)).map_err(io)?;
    let cases: Vec<Uuid> = export.cases.iter().map(|c| c.case).collect();
    let members: Vec<String> = export
        .cases
        .iter()
        .map(|c| c.member_id.to_string())
        .collect();
    store.audit(
        Some(by),
        None,
        "subject-export",
        &cases,
        &format!("lid {} in {} dossier(s)", members.join(", "), cases.len()),
    )?;
    Ok((export, vec![html_path, json_path]))
}

/// Gathers the export without writing it.
pub fn collect(
    store: &dyn ServerStore,
    subject: &Subject,
    by: &str,
    now: DateTime<Utc>,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<SubjectExport, DbError> {
    let wanted = match subject {
        Subject::NationalNumber(n) => Some(
            NationalNumber::parse(n)
                .map_err(|e| DbError::Invalid(format!("ongeldig rijksregisternummer: {e}")))?
                .digits()
                .to_owned(),
        ),
        Subject::Member { .. } => None,
    };
    let ids = match subject {
        Subject::Member { case, .. } => vec![*case],
        Subject::NationalNumber(_) => store.ids()?,
    };
    let mut cases = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        progress(i, ids.len());
        let Some(mut doc) = store.load(*id)? else {
            continue;
        };
        let Ok(case) = doc.case() else {
            tracing::warn!(case = %id, "a case that does not read is left out of the export");
            continue;
        };
        let members: Vec<Uuid> = case
            .members
            .iter()
            .filter(|(mid, m)| match (subject, &wanted) {
                (Subject::Member { member, .. }, _) => *mid == member,
                (_, Some(n)) => m.national_number.as_ref().is_some_and(|x| x.digits() == n),
                _ => false,
            })
            .map(|(mid, _)| *mid)
            .collect();
        let team = store.audience(*id)?.team.unwrap_or_default();
        for member in members {
            cases.push(one_case(&mut doc, &case, member, &team)?);
        }
    }
    progress(ids.len(), ids.len());
    Ok(SubjectExport {
        made_at: now,
        made_by: by.to_owned(),
        cases,
    })
}

fn to_json<T: Serialize>(v: &T) -> Json {
    serde_json::to_value(v).unwrap_or(Json::Null)
}

/// Blanks every other person's name and national number in `value`.
fn blank_others(value: &mut Json, others: &[String]) {
    match value {
        Json::String(s) => {
            for o in others {
                if s.contains(o.as_str()) {
                    *s = s.replace(o.as_str(), OTHER_PERSON);
                }
            }
        }
        Json::Array(items) => items.iter_mut().for_each(|v| blank_others(v, others)),
        Json::Object(map) => map.values_mut().for_each(|v| blank_others(v, others)),
        _ => {}
    }
}

fn one_case(
    doc: &mut CaseDoc,
    case: &Case,
    member: Uuid,
    team: &str,
) -> Result<SubjectCase, DbError> {
    // Other members: their full names, their names alone when longer than
    // a short word, their national numbers (as stored and as digits).
    let mut others: Vec<String> = Vec::new();
    for (id, m) in &case.members {
        if *id == member {
            continue;
        }
        others.push(format!("{} {}", m.first_name, m.last_name));
        for part in [&m.first_name, &m.last_name] {
            if part.chars().count() > 3 {
                others.push(part.clone());
            }
        }
        if let Some(n) = &m.national_number {
            others.push(n.digits().to_owned());
            if let Json::String(s) = to_json(n) {
                others.push(s);
            }
        }
    }
    others.sort_by_key(|o| std::cmp::Reverse(o.len()));
    others.dedup();
    let mut tree = to_json(case);
    let mut records = Map::new();
    let mut included: Vec<Uuid> = vec![member];
    if let Json::Object(root) = &mut tree {
        for kind in RecordKind::ALL {
            if *kind == RecordKind::Member {
                continue;
            }
            if let Some(Json::Object(recs)) = root.remove(kind.container()) {
                included.extend(recs.keys().filter_map(|k| Uuid::parse_str(k).ok()));
                records.insert(kind.container().to_owned(), Json::Object(recs));
            }
        }
    }
    let mut member_json = case.members.get(&member).map(to_json).unwrap_or(Json::Null);
    let mut household = to_json(&case.household);
    let mut records = Json::Object(records);
    for v in [&mut member_json, &mut household, &mut records] {
        blank_others(v, &others);
    }
    let Json::Object(records) = records else {
        return Err(DbError::Invalid("records".into()));
    };
    let history = doc
        .history(None)
        .into_iter()
        .filter(|h| h.note.record.is_none_or(|r| included.contains(&r)))
        .map(|h| Change {
            at: h.at,
            author: h.author,
            device: h.device,
            message: h.note.message,
            record: h.note.record,
            fields: h.note.fields,
        })
        .collect();
    let shared = case
        .referrals
        .iter()
        .filter_map(|(id, r)| {
            let service = brug_shared::model::service(&r.service);
            let recipient = service.and_then(|s| s.recipient)?;
            let consent = case
                .consents
                .values()
                .find(|c| {
                    brug_shared::rules::consent_covers(c, recipient, &r.data_shared, r.referred_on)
                })
                .map(|c| {
                    serde_json::json!({
                        "purpose": c.purpose,
                        "recipient": c.recipient.label(Lang::Nl),
                        "given_on": c.given_on,
                        "form": to_json(&c.form),
                        "withdrawn_on": c.withdrawn_on,
                    })
                });
            Some(Shared {
                referral: *id,
                service: service.map_or_else(|| r.service.clone(), |s| s.nl.to_owned()),
                organisation: service.map(|s| s.organisation.clone()).unwrap_or_default(),
                referred_on: r.referred_on,
                data: r
                    .data_shared
                    .iter()
                    .map(|d| d.label(Lang::Nl).to_owned())
                    .collect(),
                legal_basis: r.legal_basis.clone(),
                consent,
            })
        })
        .collect();
    let owners = case.item_owners();
    let attachments = case
        .attachments
        .values()
        .filter(|a| {
            included.contains(&a.on)
                || owners
                    .get(&a.on)
                    .is_some_and(|(_, owner)| included.contains(owner))
        })
        .map(|a| {
            serde_json::json!({
                "on": a.on,
                "type": to_json(&a.stored),
                "bytes": a.size,
                "caption": a.caption,
                "by": a.by,
                "at": a.at,
            })
        })
        .collect();
    Ok(SubjectCase {
        case: case.id,
        team: team.to_owned(),
        generation: doc.generation(),
        member_id: member,
        member: member_json,
        household,
        records,
        history,
        shared,
        attachments,
        erasures: doc.erasures().iter().map(to_json).collect(),
    })
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A JSON value as nested definition lists.
fn value_html(out: &mut String, v: &Json) {
    match v {
        Json::Object(map) if map.is_empty() => out.push_str("<em>(leeg)</em>"),
        Json::Object(map) => {
            out.push_str("<dl>");
            for (k, v) in map {
                let _ = write!(out, "<dt>{}</dt><dd>", esc(&k.replace('_', " ")));
                value_html(out, v);
                out.push_str("</dd>");
            }
            out.push_str("</dl>");
        }
        Json::Array(items) if items.is_empty() => out.push_str("<em>(geen)</em>"),
        Json::Array(items) => {
            out.push_str("<ul>");
            for v in items {
                out.push_str("<li>");
                value_html(out, v);
                out.push_str("</li>");
            }
            out.push_str("</ul>");
        }
        Json::Null => out.push_str("<em>(niet ingevuld)</em>"),
        Json::String(s) => out.push_str(&esc(s)),
        other => out.push_str(&esc(&other.to_string())),
    }
}

/// The export as a readable page in Dutch.
pub fn html(export: &SubjectExport) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"nl\"><head><meta charset=\"utf-8\"><title>Uw gegevens in Brug</title>\
         <style>body{{font-family:sans-serif;max-width:60rem;margin:2rem auto;line-height:1.4}}\
         dt{{font-weight:bold}}dd{{margin:0 0 .4rem 1.2rem}}table{{border-collapse:collapse}}\
         td,th{{border:1px solid #999;padding:.2rem .4rem;text-align:left}}</style></head><body>\
         <h1>Uw gegevens in Brug</h1>\
         <p>Alles wat Brug (Huis van Welzijn Harelbeke) over u bewaart, opgemaakt op {} op vraag van {}. \
         Gegevens van andere personen in uw gezin zijn weggelaten of vervangen door \u{201c}{}\u{201d}.</p>",
        export.made_at.format("%d/%m/%Y %H:%M"),
        esc(&export.made_by),
        OTHER_PERSON
    );
    for c in &export.cases {
        let _ = write!(
            out,
            "<section><h2>Dossier {}</h2><p>Team {}.</p><h3>Uzelf</h3>",
            esc(&c.case.to_string()),
            esc(&c.team)
        );
        value_html(&mut out, &c.member);
        out.push_str("<h3>Uw gezin</h3>");
        value_html(&mut out, &c.household);
        out.push_str("<h3>Wat we met u deden</h3>");
        value_html(&mut out, &Json::Object(c.records.clone()));
        out.push_str("<h3>Met wie gegevens gedeeld werden</h3>");
        if c.shared.is_empty() {
            out.push_str("<p>Met niemand buiten het OCMW.</p>");
        } else {
            out.push_str("<table><tr><th>Wanneer</th><th>Aan</th><th>Welke gegevens</th><th>Op grond van</th></tr>");
            for s in &c.shared {
                let ground = match (&s.consent, &s.legal_basis) {
                    (Some(consent), _) => format!(
                        "toestemming van {} ({}){}",
                        consent["given_on"].as_str().unwrap_or_default(),
                        consent["purpose"].as_str().unwrap_or_default(),
                        consent["withdrawn_on"]
                            .as_str()
                            .map(|w| format!(", ingetrokken op {w}"))
                            .unwrap_or_default()
                    ),
                    (None, Some(basis)) => format!("wettelijke grond: {basis}"),
                    (None, None) => "niet geregistreerd".to_owned(),
                };
                let _ = write!(
                    out,
                    "<tr><td>{}</td><td>{} ({})</td><td>{}</td><td>{}</td></tr>",
                    s.referred_on.format("%d/%m/%Y"),
                    esc(&s.service),
                    esc(&s.organisation),
                    esc(&s.data.join(", ")),
                    esc(&ground)
                );
            }
            out.push_str("</table>");
        }
        out.push_str("<h3>Wie wat veranderde, en wanneer</h3><table><tr><th>Wanneer</th><th>Wie</th><th>Wat</th></tr>");
        for h in &c.history {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}{}</td></tr>",
                h.at.map(|a| a.format("%d/%m/%Y %H:%M").to_string())
                    .unwrap_or_default(),
                esc(h.author.as_deref().unwrap_or("?")),
                esc(&h.message),
                if h.fields.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", esc(&h.fields.join(", ")))
                }
            );
        }
        out.push_str("</table>");
        if !c.erasures.is_empty() {
            out.push_str("<h3>Gewiste gegevens</h3>");
            value_html(&mut out, &Json::Array(c.erasures.clone()));
        }
        out.push_str("</section>");
    }
    out.push_str("</body></html>\n");
    out
}
