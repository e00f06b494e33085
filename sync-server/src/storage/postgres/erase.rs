//! GDPR erasure on PostgreSQL: the same steps as on SQLite
//! (`crate::erase`, docs/gdpr.md) in one transaction, with the case's row
//! locked so no server merges into the old generation meanwhile. Every
//! server hears of it through the admin events (it drops its cached copy)
//! and the feed (devices replace their copy at their next sync).
//!
//! PostgreSQL keeps replaced rows in its files until vacuum reuses the
//! space; docs/operations.md says how to make that happen at once.

use brug_shared::model::BlobHash;
use chrono::{DateTime, Utc};
use postgres::Transaction;
use uuid::Uuid;

use super::reports::write_series;
use super::{PgDb, load_in, push_admin_event_in, record_change};
use crate::db::{self, AdminEvent, DbError, Projected, User};
use crate::erase::{self, EraseRequest, Erased};

impl PgDb {
    pub(super) fn erase_pg(
        &self,
        request: &EraseRequest,
        by: &User,
        now: DateTime<Utc>,
    ) -> Result<Erased, DbError> {
        let reason = erase::given_reason(request)?;
        let erased = self.retried(request.case, || {
            let mut conn = self.conn()?;
            let mut tx = conn.transaction()?;
            let done = erase_in(&mut tx, request, by, reason, now)?;
            tx.commit()?;
            Ok(Some(done))
        })?;
        tracing::info!(case = %request.case, generation = ?erased.generation, paths = erased.erased.len(), "erased");
        Ok(erased)
    }
}

fn erase_in(
    tx: &mut Transaction<'_>,
    request: &EraseRequest,
    by: &User,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Erased, DbError> {
    let case = request.case;
    let key = case.to_string();
    let now_ms = now.timestamp_millis();
    let no_case = || DbError::NotFound(format!("dossier {case} bestaat niet / no such case"));
    // Every writer of this case waits for the erasure.
    let team: String = tx
        .query_opt(
            "SELECT f.team_id FROM documents d JOIN doc_feed f ON f.doc_id = d.id
             WHERE d.id = $1 FOR UPDATE OF d",
            &[&key],
        )?
        .map(|r| r.get(0))
        .ok_or_else(no_case)?;
    let mut old = load_in(tx, &key)?.ok_or_else(no_case)?;
    let before = old.blob_hashes();
    let (generation, erased, after, quarantine) = if request.targets.is_empty() {
        // The whole case: document, feed row (cascade), access and
        // quarantined work. What reports count stays, as numbers, under
        // an id that leads nowhere.
        let assignees: Vec<String> = tx
            .query(
                "SELECT user_id FROM case_access WHERE case_id = $1 ORDER BY user_id",
                &[&key],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect();
        // The case's report mark first, as a projector takes it (mark,
        // then series): the two never wait for each other in a circle.
        tx.execute(
            "SELECT 1 FROM report_dirty WHERE source = $1 FOR UPDATE",
            &[&key],
        )?;
        match Projected::of_case(team, &old) {
            Ok(made) => write_series(tx, &key, Some(made))?,
            // A case that no longer reads keeps the series it had.
            Err(e) => tracing::warn!(case = %case, error = %e,
                "an erased case's report series could not be brought up to date"),
        }
        let anonymous = Uuid::new_v4().to_string();
        tx.execute(
            "UPDATE report_series SET source = 'erased:' || $2, case_id = $2 WHERE source = $1",
            &[&key, &anonymous],
        )?;
        tx.execute("DELETE FROM report_dirty WHERE source = $1", &[&key])?;
        tx.execute("DELETE FROM documents WHERE id = $1", &[&key])?;
        tx.execute("DELETE FROM case_access WHERE case_id = $1", &[&key])?;
        let quarantined = tx.execute("DELETE FROM quarantine WHERE case_id = $1", &[&key])?;
        for user in assignees {
            push_admin_event_in(tx, &AdminEvent::Unassign { user, case })?;
        }
        (
            None,
            vec!["*".to_owned()],
            Vec::new(),
            usize::try_from(quarantined).unwrap_or(usize::MAX),
        )
    } else {
        let editor = brug_shared::casedoc::Editor {
            user: by.id.clone(),
            device: Uuid::nil(),
        };
        let (mut fresh, erasure) = old
            .regenerate(&request.targets, &editor, reason, now)
            .map_err(|e| DbError::Invalid(e.to_string()))?;
        let snapshot = fresh.save();
        let heads = brug_shared::store::encode_heads(&fresh.heads());
        tx.execute("DELETE FROM document_chunks WHERE doc_id = $1", &[&key])?;
        tx.execute(
            "UPDATE documents SET snapshot = $2, snapshot_bytes = $3, chunk_bytes = 0,
                 heads = $4, updated_at = $5, generation = $6
             WHERE id = $1",
            &[
                &key,
                &snapshot,
                &(snapshot.len() as i64),
                &heads,
                &now_ms,
                &i64::try_from(erasure.generation).unwrap_or(i64::MAX),
            ],
        )?;
        tx.execute("DELETE FROM sync_states WHERE doc_id = $1", &[&key])?;
        let carried = carry_quarantine(tx, &key, &mut old, &mut fresh)?;
        // Last: the feed counter's row stays locked until the commit.
        record_change(tx, &key, by, false)?;
        (
            Some(erasure.generation),
            erasure.erased,
            fresh.blob_hashes(),
            carried,
        )
    };
    PgDb::put_case_blobs(tx, &key, &after, now_ms)?;
    let attachments = delete_unreferenced(tx, &before, &after)?;
    let paths = serde_json::to_string(&erased).unwrap_or_else(|_| "[]".into());
    tx.execute(
        "INSERT INTO erasures (case_id, generation, at, by_user, reason, erased)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &key,
            &generation.map_or(0, |g| i64::try_from(g).unwrap_or(i64::MAX)),
            &now_ms,
            &by.id,
            &reason,
            &paths,
        ],
    )?;
    tx.execute(
        "INSERT INTO audit (at, user_id, device_id, action, cases, detail)
         VALUES ($1, $2, NULL, 'erase', $3, $4)",
        &[
            &db::now_ms(),
            &by.id,
            &db::cases_json(&[case]),
            &erase::audit_detail(generation, &erased, attachments, reason),
        ],
    )?;
    push_admin_event_in(tx, &AdminEvent::Erase { case })?;
    Ok(Erased {
        generation,
        erased,
        attachments,
        quarantine,
        // No write-ahead log of Brug's to empty on PostgreSQL.
        log_emptied: true,
    })
}

/// Quarantined work of the case made again on the new generation; decided
/// entries keep their decision and lose their changes.
fn carry_quarantine(
    tx: &mut Transaction<'_>,
    key: &str,
    old: &mut brug_shared::casedoc::CaseDoc,
    fresh: &mut brug_shared::casedoc::CaseDoc,
) -> Result<usize, DbError> {
    let rows: Vec<(i64, Vec<u8>, bool)> = tx
        .query(
            "SELECT id, changes, decided_at IS NOT NULL FROM quarantine WHERE case_id = $1",
            &[&key],
        )?
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    let mut carried = 0;
    for (id, changes, decided) in rows {
        let bytes = if decided {
            Vec::new()
        } else {
            carried += 1;
            erase::carry_over(old, fresh, &changes)?
        };
        tx.execute(
            "UPDATE quarantine SET changes = $2 WHERE id = $1",
            &[&id, &bytes],
        )?;
    }
    Ok(carried)
}

/// Deletes the attachments in `before` no case references any more (the
/// erased part's): at once, not after the grace period.
fn delete_unreferenced(
    tx: &mut Transaction<'_>,
    before: &[BlobHash],
    after: &[BlobHash],
) -> Result<usize, DbError> {
    let mut gone = 0;
    for hash in before.iter().filter(|h| !after.contains(h)) {
        let h = hash.as_str();
        if tx
            .query_opt("SELECT 1 FROM case_blobs WHERE hash = $1 LIMIT 1", &[&h])?
            .is_some()
        {
            continue;
        }
        gone += tx.execute("DELETE FROM blobs WHERE hash = $1", &[&h])?;
        tx.execute("DELETE FROM blob_parts WHERE hash = $1", &[&h])?;
        tx.execute("DELETE FROM blob_orphans WHERE hash = $1", &[&h])?;
    }
    Ok(usize::try_from(gone).unwrap_or(usize::MAX))
}
