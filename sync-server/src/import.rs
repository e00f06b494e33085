//! Bringing an existing caseload in: the sheet an OCMW keeps (CSV or XLSX),
//! one row per household member, rows of one household sharing its file
//! number. Every household is checked with the same rules as on a device;
//! a household with any refused row is not made at all (fix the sheet and
//! import again). Nothing is written unless asked (`apply`); importing the
//! same sheet twice makes nothing new: a household's case id follows from
//! the team and its file number.
//!
//! Columns (first row; Dutch or English, any case, in any order):
//! `dossier` (file number), `gezin` (household name), `straat`, `nummer`,
//! `bus`, `postcode`, `gemeente`, `telefoon`, `woonsituatie` (code or
//! label), `voornaam`, `familienaam`, `geboortedatum` (26/11/2026 or
//! 2026-11-26), `rijksregisternummer`, `rol` (code or label; the first
//! member is the reference person when none is named), `referentiewerker`
//! (a user of the team, assigned besides `--assign-to`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use brug_shared::casedoc::{CaseDoc, Editor};
use brug_shared::model::{
    Address, CaseStatus, Household, HousingSituation, IntakeChannel, Lang, Member, MemberRole,
    Record, SocialStatuses,
};
use brug_shared::rules::types::{NationalNumber, Postcode};
use brug_shared::rules::{self, RuleContext, Severity};
use chrono::NaiveDate;
use serde::Serialize;
use uuid::Uuid;

use crate::db::DbError;
use crate::storage::ServerStore;

/// Most rows one import reads.
pub const MAX_ROWS: usize = 50_000;

/// Why a sheet could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file could not be opened or read.
    #[error("het bestand {0} kan niet gelezen worden: {1}")]
    Read(String, String),
    /// Neither CSV nor XLSX.
    #[error("kies een .csv- of .xlsx-bestand (niet {0})")]
    Format(String),
    /// A column every household needs is missing.
    #[error("de kolom '{0}' ontbreekt in de eerste rij")]
    Column(&'static str),
    /// More rows than one import takes.
    #[error("meer dan {MAX_ROWS} rijen: splits het bestand")]
    TooManyRows,
    /// The team or the user to assign is wrong.
    #[error("{0}")]
    Setup(String),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

/// One line of the outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refused {
    /// The row in the sheet (the header is row 1).
    pub row: usize,
    /// The household's file number.
    pub dossier: String,
    /// The column at fault, if one.
    pub column: Option<String>,
    /// Why, in Dutch.
    pub reason: String,
}

/// A household the import makes (or made).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Made {
    /// Its rows in the sheet.
    pub rows: Vec<usize>,
    /// Its file number.
    pub dossier: String,
    /// The case id.
    pub case: Uuid,
    /// The household's name.
    pub name: String,
    /// How many members.
    pub members: usize,
    /// Who gets it.
    pub assigned: Vec<String>,
}

/// What an import does (dry run) or did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// Whether it was written.
    pub applied: bool,
    /// Households made (or to make).
    pub made: Vec<Made>,
    /// Households there already (by file number).
    pub existing: Vec<String>,
    /// Rows refused, each with why.
    pub refused: Vec<Refused>,
    /// Households not made because one of their rows was refused.
    pub not_made: Vec<String>,
}

/// What to import for whom.
#[derive(Debug, Clone)]
pub struct Plan<'a> {
    /// The team the cases belong to.
    pub team: &'a str,
    /// The user every case is assigned to.
    pub assign_to: &'a str,
    /// Write (else a dry run).
    pub apply: bool,
    /// The day the cases open.
    pub today: NaiveDate,
}

/// A sheet: its header and rows of text, as read from CSV or XLSX.
struct Sheet {
    columns: BTreeMap<&'static str, usize>,
    rows: Vec<Vec<String>>,
}

/// The columns, each with the names a sheet may give it.
const COLUMNS: &[(&str, &[&str])] = &[
    (
        "dossier",
        &["dossier", "dossiernummer", "dossiernr", "file", "case"],
    ),
    (
        "gezin",
        &[
            "gezin",
            "naam gezin",
            "gezinsnaam",
            "household",
            "household name",
        ],
    ),
    ("straat", &["straat", "street"]),
    (
        "nummer",
        &["nummer", "huisnummer", "number", "house number"],
    ),
    ("bus", &["bus", "busnummer", "box"]),
    ("postcode", &["postcode", "postal code"]),
    (
        "gemeente",
        &["gemeente", "woonplaats", "municipality", "city"],
    ),
    ("telefoon", &["telefoon", "telefoonnummer", "gsm", "phone"]),
    (
        "woonsituatie",
        &["woonsituatie", "housing", "housing situation"],
    ),
    ("voornaam", &["voornaam", "first name"]),
    (
        "familienaam",
        &["familienaam", "achternaam", "naam", "last name"],
    ),
    (
        "geboortedatum",
        &["geboortedatum", "birth date", "date of birth"],
    ),
    (
        "rijksregisternummer",
        &["rijksregisternummer", "rrn", "national number"],
    ),
    ("rol", &["rol", "role"]),
    (
        "referentiewerker",
        &["referentiewerker", "reference worker"],
    ),
];

/// The columns a household cannot do without.
const REQUIRED: &[&str] = &[
    "dossier",
    "gezin",
    "straat",
    "nummer",
    "postcode",
    "gemeente",
    "woonsituatie",
];

fn header_of(name: &str) -> Option<&'static str> {
    let name = name.trim().to_lowercase();
    COLUMNS
        .iter()
        .find(|(_, names)| names.contains(&name.as_str()))
        .map(|(key, _)| *key)
}

fn sheet(header: Vec<String>, rows: Vec<Vec<String>>) -> Result<Sheet, ImportError> {
    let mut columns = BTreeMap::new();
    for (i, name) in header.iter().enumerate() {
        if let Some(key) = header_of(name) {
            columns.entry(key).or_insert(i);
        }
    }
    for key in REQUIRED {
        if !columns.contains_key(key) {
            return Err(ImportError::Column(key));
        }
    }
    Ok(Sheet { columns, rows })
}

/// Reads a CSV (comma or semicolon, as Belgian spreadsheets write it) or
/// an XLSX file's first sheet.
fn read(path: &Path) -> Result<Sheet, ImportError> {
    let shown = path.display().to_string();
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_lowercase();
    let mut all: Vec<Vec<String>> = match ext.as_str() {
        "csv" => {
            let bytes =
                std::fs::read(path).map_err(|e| ImportError::Read(shown.clone(), e.to_string()))?;
            let text = String::from_utf8_lossy(&bytes);
            let text = text.trim_start_matches('\u{feff}');
            let first = text.lines().next().unwrap_or_default();
            let delimiter = if first.matches(';').count() > first.matches(',').count() {
                b';'
            } else {
                b','
            };
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .delimiter(delimiter)
                .from_reader(text.as_bytes());
            let mut rows = Vec::new();
            for record in reader.records() {
                let record = record.map_err(|e| ImportError::Read(shown.clone(), e.to_string()))?;
                rows.push(record.iter().map(str::to_owned).collect());
                if rows.len() > MAX_ROWS + 1 {
                    return Err(ImportError::TooManyRows);
                }
            }
            rows
        }
        "xlsx" => {
            use calamine::Reader;
            let mut book: calamine::Xlsx<_> =
                calamine::open_workbook(path).map_err(|e: calamine::XlsxError| {
                    ImportError::Read(shown.clone(), e.to_string())
                })?;
            let range = book
                .worksheet_range_at(0)
                .ok_or_else(|| ImportError::Read(shown.clone(), "geen werkblad".into()))?
                .map_err(|e| ImportError::Read(shown.clone(), e.to_string()))?;
            if range.height() > MAX_ROWS + 1 {
                return Err(ImportError::TooManyRows);
            }
            range
                .rows()
                .map(|row| row.iter().map(cell_text).collect())
                .collect()
        }
        other => return Err(ImportError::Format(other.to_owned())),
    };
    if all.is_empty() {
        return Err(ImportError::Column("dossier"));
    }
    let header = all.remove(0);
    sheet(header, all)
}

/// A cell as text; a date cell as 2026-11-26, a whole number without ".0".
fn cell_text(cell: &calamine::Data) -> String {
    use calamine::{Data, DataType};
    match cell {
        Data::Empty => String::new(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::DateTime(_) | Data::DateTimeIso(_) => cell
            .as_date()
            .map(|d| d.to_string())
            .unwrap_or_else(|| cell.to_string()),
        other => other.to_string(),
    }
}

impl Sheet {
    fn get(&self, row: &[String], key: &str) -> String {
        self.columns
            .get(key)
            .and_then(|i| row.get(*i))
            .map(|s| s.trim().to_owned())
            .unwrap_or_default()
    }
}

fn date(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    ["%d/%m/%Y", "%Y-%m-%d", "%d.%m.%Y", "%d-%m-%Y"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(t, f).ok())
}

fn by_code_or_label<T: Copy>(
    all: &[T],
    text: &str,
    code: fn(T) -> &'static str,
    label: fn(T, Lang) -> &'static str,
) -> Option<T> {
    let t = text.trim().to_lowercase();
    all.iter().copied().find(|v| {
        code(*v) == t
            || label(*v, Lang::Nl).to_lowercase() == t
            || label(*v, Lang::En).to_lowercase() == t
    })
}

/// A household read from its rows, or why not.
struct Read {
    rows: Vec<usize>,
    dossier: String,
    household: Household,
    members: Vec<Member>,
    workers: BTreeSet<String>,
}

/// The case id of a household imported into `team` under file number
/// `dossier`: the same every time, so importing twice makes nothing new.
pub fn case_id(team: &str, dossier: &str) -> Uuid {
    const NAMESPACE: Uuid = Uuid::from_u128(0x6272_7567_2d69_6d70_6f72_7400_0000_0001);
    Uuid::new_v5(&NAMESPACE, format!("{team}/{}", dossier.trim()).as_bytes())
}

/// A case an import makes, with who gets it (the first: the user every
/// case is assigned to, who counts as its creator).
#[derive(Debug)]
pub struct NewCase {
    /// The case.
    pub doc: CaseDoc,
    /// Its users.
    pub assigned: Vec<String>,
}

/// Reads `path` and imports (or, without `apply`, checks) its households,
/// on either backend: every case made in one transaction with the audit
/// entry.
pub fn import(
    store: &dyn ServerStore,
    path: &Path,
    plan: &Plan<'_>,
) -> Result<Outcome, ImportError> {
    let assignee = store.user(plan.assign_to)?.ok_or_else(|| {
        DbError::NotFound(format!(
            "gebruiker '{}' bestaat niet (zie: user list)",
            plan.assign_to
        ))
    })?;
    if assignee.team != plan.team {
        return Err(ImportError::Setup(format!(
            "{} hoort niet bij team {} / is not in team {}",
            assignee.id, plan.team, plan.team
        )));
    }
    let sheet = read(path)?;
    let ctx = RuleContext::at(plan.today.and_hms_opt(12, 0, 0).unwrap_or_default());
    let mut outcome = Outcome {
        applied: plan.apply,
        ..Outcome::default()
    };

    // Rows by household, in the sheet's order.
    let mut order: Vec<String> = Vec::new();
    let mut groups: BTreeMap<String, Vec<(usize, &Vec<String>)>> = BTreeMap::new();
    for (i, row) in sheet.rows.iter().enumerate() {
        let number = i + 2;
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let dossier = sheet.get(row, "dossier");
        if dossier.is_empty() {
            outcome.refused.push(Refused {
                row: number,
                dossier,
                column: Some("dossier".into()),
                reason: "geen dossiernummer".into(),
            });
            continue;
        }
        if !groups.contains_key(&dossier) {
            order.push(dossier.clone());
        }
        groups.entry(dossier).or_default().push((number, row));
    }

    // Each national number once in the whole sheet.
    let mut seen_numbers: BTreeMap<String, usize> = BTreeMap::new();
    let mut households = Vec::new();
    for dossier in order {
        let rows = &groups[&dossier];
        let before = outcome.refused.len();
        let read = read_household(
            &sheet,
            &dossier,
            rows,
            plan.today,
            &mut seen_numbers,
            &mut outcome.refused,
        );
        let refused_here = outcome.refused.len() > before;
        match read {
            Some(h) if !refused_here => households.push(h),
            // All or nothing: a household with a refused row waits until
            // the sheet is put right.
            _ => outcome.not_made.push(dossier),
        }
    }

    let mut new = Vec::new();
    for h in households {
        let id = case_id(plan.team, &h.dossier);
        if store.heads(id)?.is_some() {
            outcome.existing.push(h.dossier);
            continue;
        }
        let first = h.rows.first().copied().unwrap_or_default();
        let refuse = |reason: String, outcome: &mut Outcome| {
            outcome.refused.push(Refused {
                row: first,
                dossier: h.dossier.clone(),
                column: None,
                reason,
            });
            outcome.not_made.push(h.dossier.clone());
        };
        let findings = rules::check_household(&h.household, None, &ctx);
        if rules::blocks(&findings) {
            refuse(messages(&findings), &mut outcome);
            continue;
        }
        let editor = Editor {
            user: assignee.id.clone(),
            device: Uuid::nil(),
        };
        let mut doc = match CaseDoc::create(id, &h.household, &editor) {
            Ok(doc) => doc,
            Err(e) => {
                refuse(e.to_string(), &mut outcome);
                continue;
            }
        };
        let mut member_refused = false;
        for m in &h.members {
            let case = match doc.case() {
                Ok(c) => c,
                Err(e) => {
                    refuse(e.to_string(), &mut outcome);
                    member_refused = true;
                    break;
                }
            };
            let findings = rules::check_member(m, Uuid::nil(), &case, &ctx);
            if rules::blocks(&findings) {
                refuse(
                    format!("{} {}: {}", m.first_name, m.last_name, messages(&findings)),
                    &mut outcome,
                );
                member_refused = true;
                break;
            }
            if let Err(e) = doc.add_record(&Record::Member(m.clone()), "member imported") {
                refuse(e.to_string(), &mut outcome);
                member_refused = true;
                break;
            }
        }
        if member_refused {
            continue;
        }
        let mut assigned = vec![assignee.id.clone()];
        for worker in &h.workers {
            match store.user(worker)? {
                Some(u) if u.team == plan.team => {
                    if !assigned.contains(&u.id) {
                        assigned.push(u.id);
                    }
                }
                _ => {
                    outcome.refused.push(Refused {
                        row: first,
                        dossier: h.dossier.clone(),
                        column: Some("referentiewerker".into()),
                        reason: format!("'{worker}' is geen gebruiker van team {}", plan.team),
                    });
                    outcome.not_made.push(h.dossier.clone());
                    member_refused = true;
                }
            }
        }
        if member_refused {
            continue;
        }
        outcome.made.push(Made {
            rows: h.rows.clone(),
            dossier: h.dossier,
            case: id,
            name: h.household.name,
            members: h.members.len(),
            assigned: assigned.clone(),
        });
        new.push(NewCase { doc, assigned });
    }
    outcome.refused.sort_by_key(|r| r.row);
    outcome.not_made.dedup();
    if plan.apply {
        let refused = outcome.refused.len();
        let existing = outcome.existing.len();
        let made = new.len();
        let there = store.import_cases(&mut new, &assignee, &|there: usize| {
            format!(
                "{} households imported for team {}, assigned to {}; {refused} rows refused, {} there already",
                made - there,
                plan.team,
                assignee.id,
                existing + there
            )
        })?;
        // Made by someone else between the check and the write: there
        // already, not made by this import.
        for id in there {
            if let Some(at) = outcome.made.iter().position(|m| m.case == id) {
                let m = outcome.made.remove(at);
                outcome.existing.push(m.dossier);
            }
        }
    }
    Ok(outcome)
}

fn messages(findings: &[rules::Finding]) -> String {
    findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| f.nl.clone())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The household of one file number from its rows; refusals go to
/// `refused` (row and column named).
fn read_household(
    sheet: &Sheet,
    dossier: &str,
    rows: &[(usize, &Vec<String>)],
    opened_on: NaiveDate,
    seen_numbers: &mut BTreeMap<String, usize>,
    refused: &mut Vec<Refused>,
) -> Option<Read> {
    let mut refuse = |row: usize, column: &str, reason: String| {
        refused.push(Refused {
            row,
            dossier: dossier.to_owned(),
            column: (!column.is_empty()).then(|| column.to_owned()),
            reason,
        });
    };
    let &(first, head) = rows.first()?;
    let get = |key: &str| sheet.get(head, key);
    let name = get("gezin");
    if name.is_empty() {
        refuse(first, "gezin", "de naam van het gezin ontbreekt".into());
    }
    let postcode = match Postcode::parse(&get("postcode")) {
        Ok(p) => Some(p),
        Err(_) => {
            refuse(
                first,
                "postcode",
                format!(
                    "'{}' is geen Belgische postcode (4 cijfers)",
                    get("postcode")
                ),
            );
            None
        }
    };
    for key in ["straat", "nummer", "gemeente"] {
        if get(key).is_empty() {
            refuse(first, key, format!("de kolom {key} is leeg"));
        }
    }
    let housing = by_code_or_label(
        HousingSituation::ALL,
        &get("woonsituatie"),
        HousingSituation::code,
        HousingSituation::label,
    );
    if housing.is_none() {
        refuse(
            first,
            "woonsituatie",
            format!(
                "'{}' is geen woonsituatie (kies uit: {})",
                get("woonsituatie"),
                HousingSituation::ALL
                    .iter()
                    .map(|h| h.label(Lang::Nl))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }
    let mut members = Vec::new();
    let mut workers = BTreeSet::new();
    let mut seen_rows: BTreeSet<(String, String, String)> = BTreeSet::new();
    for (number, row) in rows {
        let get = |key: &str| sheet.get(row, key);
        // Household fields on later rows must agree with the first.
        for key in ["gezin", "straat", "nummer", "postcode"] {
            let (here, there) = (get(key), sheet.get(head, key));
            if *number != first && !here.is_empty() && !there.is_empty() && here != there {
                refuse(
                    *number,
                    key,
                    format!("anders dan in rij {first} van hetzelfde dossier"),
                );
            }
        }
        let worker = get("referentiewerker");
        if !worker.is_empty() {
            workers.insert(worker);
        }
        let (first_name, last_name) = (get("voornaam"), get("familienaam"));
        let national = get("rijksregisternummer");
        let born = get("geboortedatum");
        if first_name.is_empty() && last_name.is_empty() && national.is_empty() && born.is_empty() {
            continue; // a row with household fields only
        }
        if !seen_rows.insert((
            first_name.to_lowercase(),
            last_name.to_lowercase(),
            born.clone(),
        )) {
            refuse(
                *number,
                "",
                "dubbele rij: dit gezinslid staat al in dit dossier".into(),
            );
            continue;
        }
        if first_name.is_empty() {
            refuse(
                *number,
                "voornaam",
                "de voornaam van het gezinslid ontbreekt".into(),
            );
        }
        let birth_date = if born.is_empty() {
            None
        } else {
            let d = date(&born);
            if d.is_none() {
                refuse(
                    *number,
                    "geboortedatum",
                    format!("'{born}' is geen datum (dd/mm/jjjj)"),
                );
            }
            d
        };
        let national_number = if national.is_empty() {
            None
        } else {
            match NationalNumber::parse(&national) {
                Ok(n) => {
                    if let Some(earlier) = seen_numbers.insert(n.digits().to_owned(), *number) {
                        refuse(
                            *number,
                            "rijksregisternummer",
                            format!("dit rijksregisternummer staat al in rij {earlier}"),
                        );
                    }
                    Some(n)
                }
                Err(_) => {
                    refuse(
                        *number,
                        "rijksregisternummer",
                        format!(
                            "'{national}' is geen geldig rijksregisternummer: 11 cijfers, de laatste twee kloppen met de controle"
                        ),
                    );
                    None
                }
            }
        };
        let role_text = get("rol");
        let role = if role_text.is_empty() {
            if members.is_empty() {
                MemberRole::Reference
            } else {
                MemberRole::Other
            }
        } else {
            match by_code_or_label(
                MemberRole::ALL,
                &role_text,
                MemberRole::code,
                MemberRole::label,
            ) {
                Some(r) => r,
                None => {
                    refuse(
                        *number,
                        "rol",
                        format!(
                            "'{role_text}' is geen rol (referentiepersoon, partner, kind, andere)"
                        ),
                    );
                    MemberRole::Other
                }
            }
        };
        members.push(Member {
            first_name,
            last_name,
            birth_year: None,
            birth_date,
            role,
            school: None,
            class: None,
            national_number,
        });
    }
    let household = Household {
        name,
        status: CaseStatus::Active,
        opened_on,
        closed_on: None,
        close_reason: None,
        intake_channel: IntakeChannel::Other,
        address: Address {
            street: get("straat"),
            number: get("nummer"),
            box_number: Some(get("bus")).filter(|b| !b.is_empty()),
            postcode: postcode?,
            municipality: get("gemeente"),
        },
        housing: housing?,
        phone: Some(get("telefoon")).filter(|p| !p.is_empty()),
        income_sources: Vec::new(),
        statuses: SocialStatuses::default(),
        next_appointment: None,
        notes: String::new(),
    };
    Some(Read {
        rows: rows.iter().map(|(n, _)| *n).collect(),
        dossier: dossier.to_owned(),
        household,
        members,
        workers,
    })
}
