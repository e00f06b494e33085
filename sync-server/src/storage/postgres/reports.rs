//! The report projection on PostgreSQL: the same `report_series` rows as
//! on SQLite (`db::reports`), kept up to date by every server.
//!
//! Storing a change marks its source out of date in the same transaction
//! (`record_change`, and a team's activities in `update_team_doc`). A
//! projector reads a marked source's document beside the writers and
//! stores its series only if the mark still has the version it saw, with
//! the mark's row locked: a change stored meanwhile (a newer version) or
//! another server that projected it first (no mark) means its reading is
//! not the newest, and it writes nothing. So two servers projecting at
//! once never leave an older reading over a newer one, and a source stays
//! marked until a reading at least as new as its last change is stored.

use brug_shared::model::Activity;
use brug_shared::report::{Counter, Query};
use brug_shared::teamdoc::TeamEntry;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::ToSql;
use uuid::Uuid;

use super::PgDb;
use crate::db::{self, DbError, Projected, StoredSeries};
use crate::storage::{CaseStore, ServerStore};

/// How often a report tries again to project a source that keeps changing
/// under it before it gives up (and says so) rather than count without it.
const CATCH_UP_TRIES: usize = 50;

impl PgDb {
    /// Projects up to `limit` marked sources; how many it looked at.
    pub(super) fn project_some(&self, limit: i64) -> Result<usize, DbError> {
        let marked = self.marks(Some(limit))?;
        for (source, version) in &marked {
            self.project_source(source, *version)?;
        }
        Ok(marked.len())
    }

    /// Projects every source marked now, each with a reading at least as
    /// new as its mark, so a report counts every change stored before it
    /// was asked for.
    pub(super) fn catch_up_reports(&self) -> Result<(), DbError> {
        for (source, mut version) in self.marks(None)? {
            let mut tries = 0;
            while !self.project_source(&source, version)? {
                tries += 1;
                if tries >= CATCH_UP_TRIES {
                    return Err(DbError::Invalid(format!(
                        "het rapport kon {source} niet bijwerken: het verandert te snel; \
                         probeer opnieuw"
                    )));
                }
                match self.mark_of(&source)? {
                    Some(v) => version = v,
                    // Another server stored a reading as new as the mark.
                    None => break,
                }
            }
        }
        Ok(())
    }

    /// The marks: (source, version), at most `limit`. Each server takes
    /// them in an order of its own (a hash of the source and the handle's
    /// name), so servers projecting at once mostly take different ones.
    fn marks(&self, limit: Option<i64>) -> Result<Vec<(String, i64)>, DbError> {
        let rows = self.conn()?.query(
            "SELECT source, version FROM report_dirty
             ORDER BY md5(source || current_setting('application_name')) LIMIT $1",
            &[&limit],
        )?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    /// The version of `source`'s mark (`None`: not out of date).
    pub fn mark_of(&self, source: &str) -> Result<Option<i64>, DbError> {
        Ok(self
            .conn()?
            .query_opt(
                "SELECT version FROM report_dirty WHERE source = $1",
                &[&source],
            )?
            .map(|r| r.get(0)))
    }

    /// What `source` yields now (nothing is written).
    fn series_of(&self, source: &str) -> Result<Option<Projected>, DbError> {
        if let Some(team) = source.strip_prefix("activities:") {
            let Some(bytes) = self.team_doc(<Activity as TeamEntry>::NAME, team)? else {
                return Ok(None);
            };
            let mut conn = self.conn()?;
            return Projected::of_activities(team, &bytes, |case| case_team(&mut conn, case))
                .map(Some);
        }
        let Some(id) = db::source_case(source) else {
            return Ok(None);
        };
        let team = case_team(&mut *self.conn()?, id)?;
        let (Some(team), Some(doc)) = (team, self.load(id)?) else {
            return Ok(None);
        };
        Projected::of_case(team, &doc).map(Some)
    }

    /// Reads `source` and stores its series if its mark is still at
    /// `version` (the version the caller saw before reading); whether it
    /// stored them.
    pub fn project_source(&self, source: &str, version: i64) -> Result<bool, DbError> {
        let made = self.series_of(source)?;
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        let now: Option<i64> = tx
            .query_opt(
                "SELECT version FROM report_dirty WHERE source = $1 FOR UPDATE",
                &[&source],
            )?
            .map(|r| r.get(0));
        if now != Some(version) {
            return Ok(false);
        }
        write_series(&mut tx, source, made)?;
        tx.execute("DELETE FROM report_dirty WHERE source = $1", &[&source])?;
        tx.commit()?;
        Ok(true)
    }

    /// Counts the projection's series within `query`'s period and team,
    /// row by row as they arrive, household by household.
    pub(super) fn count_facts(
        &self,
        query: &Query,
        counter: &mut Counter<'_>,
    ) -> Result<(), DbError> {
        let from = query.from.format("%Y-%m-%d").to_string();
        let to = query.to.format("%Y-%m-%d").to_string();
        let mut conn = self.conn()?;
        let (sql, params): (String, Vec<&(dyn ToSql + Sync)>) = match &query.team {
            Some(team) => (
                format!(
                    "{} WHERE team_id = $3 AND last_day >= $1 AND first_day <= $2
                     ORDER BY team_id, case_id NULLS FIRST",
                    db::SERIES_COLUMNS
                ),
                vec![&from, &to, team],
            ),
            None => (
                format!(
                    "{} WHERE last_day >= $1 AND first_day <= $2 ORDER BY case_id NULLS FIRST",
                    db::SERIES_COLUMNS
                ),
                vec![&from, &to],
            ),
        };
        let mut rows = conn.query_raw(sql.as_str(), params)?;
        while let Some(r) = rows.next()? {
            db::count_row(
                counter,
                &StoredSeries {
                    kind: r.try_get(0)?,
                    detail: r.try_get(1)?,
                    outcome: r.try_get(2)?,
                    case: r.try_get(3)?,
                    worker: r.try_get(4)?,
                    postcode: r.try_get(5)?,
                    team: r.try_get(6)?,
                    days: r.try_get(7)?,
                },
            )?;
        }
        Ok(())
    }
}

/// Replaces the stored series of `source` with `made`, in `tx`.
pub(super) fn write_series(
    tx: &mut postgres::Transaction<'_>,
    source: &str,
    made: Option<Projected>,
) -> Result<(), DbError> {
    tx.execute("DELETE FROM report_series WHERE source = $1", &[&source])?;
    let Some(made) = made else {
        return Ok(());
    };
    let insert = tx.prepare(
        "INSERT INTO report_series (source, team_id, case_id, postcode, worker, kind,
             detail, outcome, first_day, last_day, facts, days)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )?;
    for row in made.rows() {
        tx.execute(
            &insert,
            &[
                &source,
                &made.team,
                &row.case,
                &made.postcode,
                &row.worker,
                &row.kind,
                &row.detail,
                &row.outcome,
                &row.first_day,
                &row.last_day,
                &row.facts,
                &row.days,
            ],
        )?;
    }
    Ok(())
}

/// The team of a stored case.
fn case_team(conn: &mut postgres::Client, case: Uuid) -> Result<Option<String>, DbError> {
    Ok(conn
        .query_opt(
            "SELECT team_id FROM doc_feed WHERE doc_id = $1",
            &[&case.to_string()],
        )?
        .map(|r| r.get(0)))
}
