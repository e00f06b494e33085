//! Bringing the existing caseload in: `brug-sync-server import` reads the
//! OCMW's sheet (CSV and XLSX), says per row what it would do and why a row
//! is refused, makes the rest on `--apply`, nothing more the second time,
//! and the assigned worker's device holds the cases after a sync.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they set up

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use brug_sync_server::auth::Role;
use brug_tests::Stack;
use chrono::{Datelike, NaiveDate};

/// A valid national number for a birth date before 2000 and a counter.
fn national_number(born: NaiveDate, counter: u32) -> String {
    let base = format!(
        "{:02}{:02}{:02}{:03}",
        born.year() % 100,
        born.month(),
        born.day(),
        counter % 1000
    );
    let check = 97 - base.parse::<u64>().unwrap() % 97;
    format!("{base}{check:02}")
}

struct Row {
    cells: Vec<String>,
    born: NaiveDate,
}

/// 500 households of one to three members, with three broken rows: a
/// national number whose check fails, a household without a name, and a
/// member listed twice. Returns the rows and the sheet row numbers at fault.
fn caseload(prefix: &str) -> (Vec<Row>, BTreeSet<usize>) {
    let mut rows = Vec::new();
    let mut broken = BTreeSet::new();
    for h in 0..500u32 {
        let members = 1 + h % 3;
        for m in 0..members {
            let born =
                NaiveDate::from_ymd_opt(1950 + (h % 45) as i32, 1 + m % 12, 1 + h % 28).unwrap();
            let mut nn = national_number(born, h * 3 + m);
            let sheet_row = rows.len() + 2;
            let mut name = format!("Gezin {prefix}{h}");
            if h == 10 && m == 1 {
                // A typing error in the check digits.
                let check: u32 = nn[9..].parse().unwrap();
                nn = format!("{}{:02}", &nn[..9], (check + 1) % 97);
                broken.insert(sheet_row);
            }
            if h == 20 && m == 0 {
                name.clear();
                broken.insert(sheet_row);
            }
            let cells = vec![
                format!("{prefix}{h:04}"),
                name,
                "Marktstraat".into(),
                format!("{}", 1 + h),
                "8530".into(),
                "Harelbeke".into(),
                if m == 0 {
                    "+32 470 12 34 56".into()
                } else {
                    String::new()
                },
                "private huur".into(),
                format!("Voornaam{m}"),
                format!("Familie{h}"),
                born.format("%d/%m/%Y").to_string(),
                nn,
                if m == 0 {
                    "referentiepersoon".into()
                } else {
                    "kind".into()
                },
            ];
            rows.push(Row { cells, born });
            if h == 30 && m == 0 {
                // The same member twice.
                let again = Row {
                    cells: rows.last().unwrap().cells.clone(),
                    born,
                };
                broken.insert(rows.len() + 2);
                rows.push(again);
            }
        }
    }
    (rows, broken)
}

const HEADER: [&str; 13] = [
    "Dossier",
    "Gezin",
    "Straat",
    "Nummer",
    "Postcode",
    "Gemeente",
    "Telefoon",
    "Woonsituatie",
    "Voornaam",
    "Familienaam",
    "Geboortedatum",
    "Rijksregisternummer",
    "Rol",
];

fn write_csv(path: &Path, rows: &[Row]) {
    let mut text = HEADER.join(";") + "\n";
    for r in rows {
        text += &r.cells.join(";");
        text += "\n";
    }
    std::fs::write(path, text).unwrap();
}

/// The same as an XLSX sheet, birth dates as real date cells.
fn write_xlsx(path: &Path, rows: &[Row]) {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let date = rust_xlsxwriter::Format::new().set_num_format("dd/mm/yyyy");
    for (c, h) in HEADER.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for (i, r) in rows.iter().enumerate() {
        let row = (i + 1) as u32;
        for (c, cell) in r.cells.iter().enumerate() {
            if c == 10 {
                let d = rust_xlsxwriter::ExcelDateTime::from_ymd(
                    r.born.year() as u16,
                    r.born.month() as u8,
                    r.born.day() as u8,
                )
                .unwrap();
                sheet
                    .write_datetime_with_format(row, c as u16, &d, &date)
                    .unwrap();
            } else if c == 3 {
                // House numbers as numbers, as spreadsheets keep them.
                sheet
                    .write_number(row, c as u16, cell.parse::<f64>().unwrap())
                    .unwrap();
            } else {
                sheet.write_string(row, c as u16, cell).unwrap();
            }
        }
    }
    book.save(path).unwrap();
}

/// `brug-sync-server import` against the stack's database (its data
/// folder, or its PostgreSQL database).
fn import(stack: &Stack, file: &Path, apply: bool) -> serde_json::Value {
    let mut cmd = Command::new(brug_tests::bin("brug-sync-server"));
    cmd.arg("--data").arg(stack.data.path());
    if let Some((_, cluster)) = &stack.postgres {
        cmd.args(["--database", &cluster.url("postgres")]);
    }
    cmd.arg("--json").args([
        "import",
        "--team",
        "harelbeke",
        "--assign-to",
        "ann.peeters",
    ]);
    if apply {
        cmd.arg("--apply");
    }
    let out = cmd.arg(file).env("BRUG_LOG", "warn").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn rows_of(outcome: &serde_json::Value, list: &str) -> BTreeSet<usize> {
    outcome[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["row"].as_u64().unwrap() as usize)
        .collect()
}

fn documents(stack: &Stack) -> i64 {
    stack.count("SELECT count(*) FROM documents")
}

brug_tests::on_both_stacks!(
    a_caseload_sheet_is_checked_row_by_row_then_imported_once_and_reaches_the_worker
);

async fn a_caseload_sheet_is_checked_row_by_row_then_imported_once_and_reaches_the_worker(
    stack: Stack,
) {
    let ann = stack.user("Ann Peeters", Role::BridgeWorker);
    assert_eq!(ann, "ann.peeters");
    let mut worker = stack.enrol(&ann).await;
    let dir = tempfile::tempdir().unwrap();
    let mut made = 0;
    for (prefix, file) in [("C", "caseload.csv"), ("X", "caseload.xlsx")] {
        let (rows, broken) = caseload(prefix);
        let path = dir.path().join(file);
        if file.ends_with(".csv") {
            write_csv(&path, &rows);
        } else {
            write_xlsx(&path, &rows);
        }
        // Dry run: exactly the broken rows, each with its reason; nothing
        // written.
        let dry = import(&stack, &path, false);
        assert_eq!(
            rows_of(&dry, "refused"),
            broken,
            "{file}: {}",
            dry["refused"]
        );
        let reasons: Vec<&str> = dry["refused"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["reason"].as_str().unwrap())
            .collect();
        assert!(
            reasons.iter().any(|r| r.contains("rijksregisternummer")),
            "{reasons:?}"
        );
        assert!(
            reasons
                .iter()
                .any(|r| r.contains("naam van het gezin ontbreekt")),
            "{reasons:?}"
        );
        assert!(
            reasons.iter().any(|r| r.contains("dubbele rij")),
            "{reasons:?}"
        );
        assert_eq!(dry["made"].as_array().unwrap().len(), 497, "{file}");
        assert_eq!(dry["applied"], false);
        assert_eq!(documents(&stack), made as i64, "a dry run writes nothing");
        // Apply: the 497 others; again: nothing new.
        let applied = import(&stack, &path, true);
        assert_eq!(applied["made"].as_array().unwrap().len(), 497);
        made += 497;
        assert_eq!(documents(&stack), made as i64);
        let again = import(&stack, &path, true);
        assert!(
            again["made"].as_array().unwrap().is_empty(),
            "{}",
            again["made"]
        );
        assert_eq!(again["existing"].as_array().unwrap().len(), 497);
        assert_eq!(documents(&stack), made as i64);
    }
    // Ann's device holds them all after its next sync, members and canonical
    // phone numbers included.
    worker.device.sync(&mut |_| {}).await.unwrap();
    let list = worker.device.list(&Default::default()).unwrap();
    assert_eq!(list.len(), made);
    let one = list.iter().find(|r| r.name == "Gezin X3").unwrap();
    let case = worker.device.case(one.id).unwrap();
    assert_eq!(case.members.len(), 1);
    // Opened on the day of the import (not some default date).
    assert!(case.household.opened_on > NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
    assert_eq!(case.household.phone.as_deref(), Some("0470 12 34 56"));
    let three = list.iter().find(|r| r.name == "Gezin C2").unwrap();
    assert_eq!(worker.device.case(three.id).unwrap().members.len(), 3);
}

#[test]
fn a_sheet_without_a_needed_column_or_of_another_kind_is_refused_whole() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("server");
    let run = |file: &Path| {
        Command::new(brug_tests::bin("brug-sync-server"))
            .arg("--data")
            .arg(&data)
            .args([
                "import",
                "--team",
                "harelbeke",
                "--assign-to",
                "ann.peeters",
            ])
            .arg(file)
            .env("BRUG_LOG", "warn")
            .output()
            .unwrap()
    };
    let add = Command::new(brug_tests::bin("brug-sync-server"))
        .arg("--data")
        .arg(&data)
        .args([
            "user",
            "add",
            "--name",
            "Ann Peeters",
            "--role",
            "bridge-worker",
            "--team",
            "harelbeke",
        ])
        .output()
        .unwrap();
    assert!(add.status.success());
    let no_housing = dir.path().join("zonder.csv");
    std::fs::write(
        &no_housing,
        "dossier;gezin;straat;nummer;postcode;gemeente\nD1;Gezin A;Markt;1;8530;Harelbeke\n",
    )
    .unwrap();
    let out = run(&no_housing);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("woonsituatie"),
        "{out:?}"
    );
    let pdf = dir.path().join("lijst.pdf");
    std::fs::write(&pdf, b"%PDF-1.4").unwrap();
    let out = run(&pdf);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(".csv"),
        "{out:?}"
    );
}
