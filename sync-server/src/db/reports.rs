//! The report projection: each case's and each team's activities' facts,
//! kept in `report_series` and refreshed from the documents whenever they
//! change. Storing a change marks its source out of date in the same
//! transaction ([`mark_dirty`]); [`project_pending`] catches up, and every
//! report catches up first, so a report never misses a change that was
//! acknowledged before it was asked for.

use brug_shared::report::{Counter, FactKind, Query, SeriesRef, activity_facts, series};
use brug_shared::store;
use brug_shared::teamdoc::ActivitiesDoc;
use rusqlite::{Connection, params};
use uuid::Uuid;

use super::DbError;

/// The projection's source name for a team's collective activities.
pub fn activities_source(team: &str) -> String {
    format!("activities:{team}")
}

/// Marks a source (a case id, or [`activities_source`]) out of date; a
/// source already marked gets a new version (see [`project_beside`]).
pub fn mark_dirty(conn: &Connection, source: &str) -> Result<(), DbError> {
    conn.prepare_cached(
        "INSERT INTO report_dirty (source) VALUES (?1)
         ON CONFLICT(source) DO UPDATE SET version = version + 1",
    )?
    .execute(params![source])?;
    Ok(())
}

/// Brings the projection up to date: every source marked out of date is
/// read again and its facts replaced, one transaction per source. Returns
/// how many sources were projected.
pub fn project_pending(conn: &mut Connection) -> Result<usize, DbError> {
    project_some(conn, i64::MAX)
}

/// Projects at most `limit` of the sources marked out of date; returns how
/// many. The running server calls it a few at a time, so sync sessions
/// waiting for the database are not held up by a long catch-up.
pub fn project_some(conn: &mut Connection, limit: i64) -> Result<usize, DbError> {
    let sources: Vec<String> = {
        let mut stmt = conn.prepare_cached("SELECT source FROM report_dirty LIMIT ?1")?;
        stmt.query_map([limit], |r| r.get(0))?
            .collect::<Result<_, _>>()?
    };
    for source in &sources {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        project(&tx, source)?;
        tx.execute(
            "DELETE FROM report_dirty WHERE source = ?1",
            params![source],
        )?;
        tx.commit()?;
    }
    Ok(sources.len())
}

/// What one source yields: its team, the household's postcode (empty for
/// a team's activities) and its series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Projected {
    /// The team the source belongs to.
    pub team: String,
    /// The household's postcode.
    pub postcode: String,
    /// Its series, grouped.
    pub series: Vec<series::Series>,
}

/// One row of `report_series`, as both backends store it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesRow {
    /// The household, if any.
    pub case: Option<String>,
    /// Who recorded the facts.
    pub worker: String,
    /// The kind's code.
    pub kind: &'static str,
    /// The detail code.
    pub detail: String,
    /// The outcome code.
    pub outcome: String,
    /// The first day (`YYYY-MM-DD`).
    pub first_day: String,
    /// The last day.
    pub last_day: String,
    /// How many facts.
    pub facts: i64,
    /// The days, packed ([`series::Series::pack`]).
    pub days: Vec<u8>,
}

impl Projected {
    /// The series of a case document of `team`.
    pub fn of_case(team: String, doc: &brug_shared::casedoc::CaseDoc) -> Result<Self, DbError> {
        let case = doc.case().map_err(|e| DbError::Invalid(e.to_string()))?;
        let facts = doc.facts().map_err(|e| DbError::Invalid(e.to_string()))?;
        Ok(Projected {
            team,
            postcode: case.household.address.postcode.to_string(),
            series: series::group(&facts),
        })
    }

    /// The series of `team`'s activities document (`bytes` as saved): a
    /// household counts when it is a case of this team (`case_team` looks
    /// that up); one not on the server yet counts once it arrives (see
    /// `record_change`).
    pub fn of_activities(
        team: &str,
        bytes: &[u8],
        mut case_team: impl FnMut(Uuid) -> Result<Option<String>, DbError>,
    ) -> Result<Self, DbError> {
        let doc = ActivitiesDoc::load(bytes)
            .map_err(|e| DbError::Invalid(format!("stored activities of {team}: {e}")))?;
        let mut facts = Vec::new();
        for f in doc.activities().iter().flat_map(activity_facts) {
            match f.case {
                Some(case) if case_team(case)?.as_deref() != Some(team) => {}
                _ => facts.push(f),
            }
        }
        Ok(Projected {
            team: team.to_owned(),
            postcode: String::new(),
            series: series::group(&facts),
        })
    }

    /// The rows to store (a series without days has none).
    pub fn rows(&self) -> Vec<SeriesRow> {
        self.series
            .iter()
            .filter_map(|s| {
                let (first, last) = s.span()?;
                Some(SeriesRow {
                    case: s.case.map(|c| c.to_string()),
                    worker: s.worker.clone(),
                    kind: s.kind.code(),
                    detail: s.detail.clone(),
                    outcome: s.outcome.clone(),
                    first_day: first.format("%Y-%m-%d").to_string(),
                    last_day: last.format("%Y-%m-%d").to_string(),
                    facts: s.facts(),
                    days: s.pack(),
                })
            })
            .collect()
    }
}

/// A source's case id, when it is a case (not a team's activities).
pub fn source_case(source: &str) -> Option<Uuid> {
    Uuid::parse_str(source).ok()
}

/// The series one source yields now: read from its document (nothing is
/// written). `None` when the source counts for nothing (erased, never
/// stored, not a source).
fn series_of(conn: &Connection, source: &str) -> Result<Option<Projected>, DbError> {
    if let Some(team) = source.strip_prefix("activities:") {
        let Some(bytes) = super::team_doc::<brug_shared::model::Activity>(conn, team)? else {
            return Ok(None);
        };
        return Projected::of_activities(team, &bytes, |case| super::case_team(conn, case))
            .map(Some);
    }
    let Some(id) = source_case(source) else {
        return Ok(None);
    };
    let (Some(team), Some(doc)) = (super::case_team(conn, id)?, store::load(conn, id)?) else {
        // A case erased or never stored counts for nothing.
        return Ok(None);
    };
    Projected::of_case(team, &doc).map(Some)
}

/// Replaces the stored series of `source` with `made`.
fn write_series(conn: &Connection, source: &str, made: Option<Projected>) -> Result<(), DbError> {
    conn.execute(
        "DELETE FROM report_series WHERE source = ?1",
        params![source],
    )?;
    let Some(made) = made else {
        return Ok(());
    };
    let mut insert = conn.prepare_cached(
        "INSERT INTO report_series (source, team_id, case_id, postcode, worker, kind, detail,
             outcome, first_day, last_day, facts, days)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?;
    for row in made.rows() {
        insert.execute(params![
            source,
            made.team,
            row.case,
            made.postcode,
            row.worker,
            row.kind,
            row.detail,
            row.outcome,
            row.first_day,
            row.last_day,
            row.facts,
            row.days,
        ])?;
    }
    Ok(())
}

/// Replaces the series of one source with what its document says now.
pub fn project(conn: &Connection, source: &str) -> Result<(), DbError> {
    let made = series_of(conn, source)?;
    write_series(conn, source, made)
}

/// Projects at most `limit` sources marked out of date, reading each
/// beside the writer ([`Db::reader`]: loading a case and counting its
/// facts takes tens of milliseconds for a five-year case) and taking the
/// writer only to store its series. A source marked again meanwhile (its
/// version moved) stays marked and is projected again next time, so no
/// stored change is ever missing from the projection for long, and a
/// report (which catches up under the writer, [`project_pending`]) never
/// misses one. Returns how many sources were projected.
pub fn project_beside(db: &super::Db, limit: i64) -> Result<usize, DbError> {
    let marked: Vec<(String, i64)> = {
        let conn = db.reader();
        let mut stmt = conn.prepare_cached("SELECT source, version FROM report_dirty LIMIT ?1")?;
        stmt.query_map([limit], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?
    };
    for (source, version) in &marked {
        let made = series_of(&db.reader(), source)?;
        let mut conn = db.lock();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        write_series(&tx, source, made)?;
        tx.execute(
            "DELETE FROM report_dirty WHERE source = ?1 AND version = ?2",
            params![source, version],
        )?;
        tx.commit()?;
    }
    Ok(marked.len())
}

/// Counts the projection's series within `query`'s period and team into
/// `counter`, row by row as SQLite reads them, household by household
/// (nothing is held but the tallies).
pub fn count_facts(
    conn: &Connection,
    query: &Query,
    counter: &mut Counter<'_>,
) -> Result<(), DbError> {
    const COLUMNS: &str = SERIES_COLUMNS;
    let from = query.from.format("%Y-%m-%d").to_string();
    let to = query.to.format("%Y-%m-%d").to_string();
    // Two statements, so each uses its index for the household order.
    let (mut stmt, mut rows);
    if let Some(team) = &query.team {
        stmt = conn.prepare_cached(&format!(
            "{COLUMNS} WHERE team_id = ?3 AND last_day >= ?1 AND first_day <= ?2
             ORDER BY team_id, case_id"
        ))?;
        rows = stmt.query(params![from, to, team])?;
    } else {
        stmt = conn.prepare_cached(&format!(
            "{COLUMNS} WHERE last_day >= ?1 AND first_day <= ?2 ORDER BY case_id"
        ))?;
        rows = stmt.query(params![from, to])?;
    }
    while let Some(r) = rows.next()? {
        count_row(
            counter,
            &StoredSeries {
                kind: r.get_ref(0)?.as_str().unwrap_or_default(),
                detail: r.get_ref(1)?.as_str().unwrap_or_default(),
                outcome: r.get_ref(2)?.as_str().unwrap_or_default(),
                case: r.get_ref(3)?.as_str_or_null().ok().flatten(),
                worker: r.get_ref(4)?.as_str().unwrap_or_default(),
                postcode: r.get_ref(5)?.as_str().unwrap_or_default(),
                team: r.get_ref(6)?.as_str().unwrap_or_default(),
                days: r.get_ref(7)?.as_blob().unwrap_or_default(),
            },
        )?;
    }
    Ok(())
}

/// One row of `report_series` as read back, borrowed from the backend's
/// row.
#[derive(Debug, Clone, Copy)]
pub struct StoredSeries<'a> {
    /// The kind's code.
    pub kind: &'a str,
    /// The detail code.
    pub detail: &'a str,
    /// The outcome code.
    pub outcome: &'a str,
    /// The household's id, if any.
    pub case: Option<&'a str>,
    /// Who recorded the facts.
    pub worker: &'a str,
    /// The household's postcode.
    pub postcode: &'a str,
    /// The team.
    pub team: &'a str,
    /// The packed days.
    pub days: &'a [u8],
}

/// The query for the columns [`StoredSeries`] reads, in its order; a
/// backend adds its conditions and orders the rows household by
/// household (by case id, the rows without one together).
pub const SERIES_COLUMNS: &str =
    "SELECT kind, detail, outcome, case_id, worker, postcode, team_id, days FROM report_series";

/// Counts one stored row into `counter`. A kind a newer server wrote that
/// this one does not know counts for nothing here, and is no error.
pub fn count_row(counter: &mut Counter<'_>, r: &StoredSeries<'_>) -> Result<(), DbError> {
    let Some(kind) = FactKind::from_code(r.kind) else {
        return Ok(());
    };
    counter
        .add_series(SeriesRef {
            kind,
            detail: r.detail,
            outcome: r.outcome,
            case: r.case.and_then(|c| Uuid::parse_str(c).ok()),
            worker: r.worker,
            postcode: r.postcode,
            team: r.team,
            days: r.days,
        })
        .map_err(|e| DbError::Invalid(e.to_string()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_catch_up_in_small_turns_projects_each_source_once() {
        let dir = tempfile::tempdir().unwrap();
        let db = super::super::Db::open(dir.path()).unwrap();
        let mut conn = db.lock();
        for _ in 0..3 {
            mark_dirty(&conn, &Uuid::now_v7().to_string()).unwrap();
        }
        mark_dirty(&conn, &activities_source("harelbeke")).unwrap();
        assert_eq!(project_some(&mut conn, 3).unwrap(), 3);
        assert_eq!(project_pending(&mut conn).unwrap(), 1);
        assert_eq!(project_pending(&mut conn).unwrap(), 0);
    }

    #[test]
    fn a_change_stored_while_the_projector_reads_keeps_its_mark() {
        let dir = tempfile::tempdir().unwrap();
        let db = super::super::Db::open(dir.path()).unwrap();
        let source = Uuid::now_v7().to_string();
        let version = |db: &super::super::Db| -> Option<i64> {
            db.lock()
                .query_row(
                    "SELECT version FROM report_dirty WHERE source = ?1",
                    [&source],
                    |r| r.get(0),
                )
                .ok()
        };
        mark_dirty(&db.lock(), &source).unwrap();
        let seen = version(&db).unwrap();
        // The projector has read the case; a change is stored meanwhile.
        mark_dirty(&db.lock(), &source).unwrap();
        // What the projector clears is only the mark it saw.
        let cleared = db
            .lock()
            .execute(
                "DELETE FROM report_dirty WHERE source = ?1 AND version = ?2",
                params![source, seen],
            )
            .unwrap();
        assert_eq!(cleared, 0);
        assert_eq!(version(&db), Some(seen + 1), "still marked");
        // The next turn projects it and clears the mark.
        assert_eq!(project_beside(&db, 10).unwrap(), 1);
        assert_eq!(version(&db), None);
    }
}
