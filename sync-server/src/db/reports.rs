//! The report projection: each case's and each team's activities' facts,
//! kept in `report_facts` and refreshed from the documents whenever they
//! change. Storing a change marks its source out of date in the same
//! transaction ([`mark_dirty`]); [`project_pending`] catches up, and every
//! report catches up first, so a report never misses a change that was
//! acknowledged before it was asked for.

use brug_shared::report::{Fact, FactKind, Row, activity_facts};
use brug_shared::store;
use brug_shared::teamdoc::ActivitiesDoc;
use chrono::NaiveDate;
use rusqlite::{Connection, params};
use uuid::Uuid;

use super::DbError;

/// The projection's source name for a team's collective activities.
pub fn activities_source(team: &str) -> String {
    format!("activities:{team}")
}

/// Marks a source (a case id, or [`activities_source`]) out of date.
pub fn mark_dirty(conn: &Connection, source: &str) -> Result<(), DbError> {
    conn.execute(
        "INSERT OR IGNORE INTO report_dirty (source) VALUES (?1)",
        params![source],
    )?;
    Ok(())
}

/// How many sources wait to be projected.
pub fn pending_projection(conn: &Connection) -> Result<i64, DbError> {
    Ok(conn.query_row("SELECT count(*) FROM report_dirty", [], |r| r.get(0))?)
}

/// Brings the projection up to date: every source marked out of date is
/// read again and its facts replaced, one transaction per source. Returns
/// how many sources were projected.
pub fn project_pending(conn: &mut Connection) -> Result<usize, DbError> {
    let sources: Vec<String> = {
        let mut stmt = conn.prepare_cached("SELECT source FROM report_dirty")?;
        stmt.query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?
    };
    for source in &sources {
        let tx = conn.transaction()?;
        project(&tx, source)?;
        tx.execute(
            "DELETE FROM report_dirty WHERE source = ?1",
            params![source],
        )?;
        tx.commit()?;
    }
    Ok(sources.len())
}

/// Replaces the facts of one source with what its document says now.
pub fn project(conn: &Connection, source: &str) -> Result<(), DbError> {
    conn.execute(
        "DELETE FROM report_facts WHERE source = ?1",
        params![source],
    )?;
    let (team, postcode, facts) = if let Some(team) = source.strip_prefix("activities:") {
        let Some(bytes) = super::team_doc::<brug_shared::model::Activity>(conn, team)? else {
            return Ok(());
        };
        let doc = ActivitiesDoc::load(&bytes)
            .map_err(|e| DbError::Invalid(format!("stored activities of {team}: {e}")))?;
        let facts = doc.activities().iter().flat_map(activity_facts).collect();
        (team.to_owned(), String::new(), facts)
    } else {
        let Ok(id) = Uuid::parse_str(source) else {
            return Ok(());
        };
        let (Some(team), Some(doc)) = (super::case_team(conn, id)?, store::load(conn, id)?) else {
            // A case erased or never stored counts for nothing.
            return Ok(());
        };
        let case = doc.case().map_err(|e| DbError::Invalid(e.to_string()))?;
        let facts = doc.facts().map_err(|e| DbError::Invalid(e.to_string()))?;
        (team, case.household.address.postcode.to_string(), facts)
    };
    let mut insert = conn.prepare_cached(
        "INSERT INTO report_facts (source, team_id, case_id, postcode, worker, kind, day,
             detail, outcome, amount_cents, participants)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?;
    for f in facts {
        insert.execute(params![
            source,
            team,
            f.case.map(|c| c.to_string()),
            postcode,
            f.worker,
            f.kind.code(),
            f.day.format("%Y-%m-%d").to_string(),
            f.detail,
            f.outcome,
            f.amount_cents,
            f.participants,
        ])?;
    }
    Ok(())
}

/// The projection's rows from `from` to `to`, of one team or all.
pub fn report_rows(
    conn: &Connection,
    from: NaiveDate,
    to: NaiveDate,
    team: Option<&str>,
) -> Result<Vec<Row>, DbError> {
    let mut stmt = conn.prepare_cached(
        "SELECT team_id, case_id, postcode, worker, kind, day, detail, outcome,
                amount_cents, participants
         FROM report_facts
         WHERE day BETWEEN ?1 AND ?2 AND (?3 IS NULL OR team_id = ?3)",
    )?;
    let rows = stmt.query_map(
        params![
            from.format("%Y-%m-%d").to_string(),
            to.format("%Y-%m-%d").to_string(),
            team
        ],
        |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, String>(7)?,
                r.get::<_, i64>(8)?,
                r.get::<_, i64>(9)?,
            ))
        },
    )?;
    let mut out = Vec::new();
    for row in rows {
        let (team, case, postcode, worker, kind, day, detail, outcome, amount, participants) = row?;
        // A row written by a newer server with a kind this one does not
        // know is left out, not an error.
        let (Some(kind), Ok(day)) = (
            FactKind::from_code(&kind),
            NaiveDate::parse_from_str(&day, "%Y-%m-%d"),
        ) else {
            continue;
        };
        out.push(Row {
            fact: Fact {
                kind,
                day,
                detail,
                outcome,
                worker,
                case: case.and_then(|c| Uuid::parse_str(&c).ok()),
                amount_cents: amount,
                participants,
            },
            team,
            postcode,
        });
    }
    Ok(out)
}
