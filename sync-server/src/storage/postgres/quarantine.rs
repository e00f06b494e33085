//! The quarantine on PostgreSQL: the same rules as on SQLite
//! (`crate::quarantine`), each step one transaction. A hand-over locks its
//! device's row, so two hand-overs from one device cannot both slip under
//! the limit of waiting entries; a decision locks its entry, so two
//! supervisors (on two servers) deciding at once decide it once, and the
//! merge goes through the same locked write as a sync (what another
//! server stored meanwhile is merged, nothing lost).

use brug_shared::casedoc::CaseDoc;
use brug_shared::protocol::quarantine::{Entry, MAX_QUARANTINE_PER_DEVICE};
use postgres::Transaction;
use uuid::Uuid;

use super::{PgDb, load_in, user_from_row, write_case};
use crate::db::{self, DbError, Device, Quarantined, User, now_ms};
use crate::docs::DocCache;
use crate::quarantine::{self, QuarantineError};

const COLUMNS: &str =
    "id, case_id, user_id, device_id, at, octet_length(changes)::BIGINT, decision";

fn quarantined(r: &postgres::Row) -> Result<Quarantined, DbError> {
    let case: &str = r.try_get(1)?;
    Ok(Quarantined {
        id: r.try_get(0)?,
        case: Uuid::parse_str(case).unwrap_or_default(),
        user: r.try_get(2)?,
        device: r.try_get(3)?,
        at: r.try_get(4)?,
        bytes: usize::try_from(r.try_get::<_, i64>(5)?).unwrap_or(0),
        decision: r.try_get(6)?,
    })
}

fn audit_in(
    tx: &mut Transaction<'_>,
    user: &str,
    device: &str,
    action: &str,
    case: Uuid,
    detail: &str,
) -> Result<(), DbError> {
    tx.execute(
        "INSERT INTO audit (at, user_id, device_id, action, cases, detail)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &now_ms(),
            &user,
            &device,
            &action,
            &db::cases_json(&[case]),
            &detail,
        ],
    )?;
    Ok(())
}

impl PgDb {
    pub(super) fn hand_over_pg(
        &self,
        device: &Device,
        user: &User,
        case: Uuid,
        changes: &[u8],
    ) -> Result<i64, QuarantineError> {
        quarantine::check_hand_over(changes)?;
        let key = case.to_string();
        let mut conn = self.conn()?;
        let mut tx = conn.transaction().map_err(DbError::from)?;
        // One hand-over of this device at a time.
        tx.execute(
            "SELECT 1 FROM devices WHERE id = $1 FOR UPDATE",
            &[&device.id],
        )
        .map_err(DbError::from)?;
        let waiting: i64 = tx
            .query_one(
                "SELECT COUNT(*) FROM quarantine WHERE device_id = $1 AND decided_at IS NULL",
                &[&device.id],
            )
            .map_err(DbError::from)?
            .get(0);
        if waiting >= MAX_QUARANTINE_PER_DEVICE {
            return Err(QuarantineError::TooLarge);
        }
        // Work on a case erased whole is not kept: the erasure covers it.
        let erased = tx
            .query_opt(
                "SELECT 1 FROM erasures WHERE case_id = $1 AND generation = 0",
                &[&key],
            )
            .map_err(DbError::from)?
            .is_some();
        if erased {
            audit_in(
                &mut tx,
                &user.id,
                &device.id,
                "quarantine-erased",
                case,
                &format!(
                    "{} bytes of unsynced work on a case erased whole: not kept",
                    changes.len()
                ),
            )?;
            tx.commit().map_err(DbError::from)?;
            return Ok(0);
        }
        let team: String = tx
            .query_opt("SELECT team_id FROM doc_feed WHERE doc_id = $1", &[&key])
            .map_err(DbError::from)?
            .map_or_else(|| user.team.clone(), |r| r.get(0));
        let id: i64 = tx
            .query_one(
                "INSERT INTO quarantine (case_id, team_id, user_id, device_id, changes, at)
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                &[&key, &team, &user.id, &device.id, &changes, &now_ms()],
            )
            .map_err(DbError::from)?
            .get(0);
        audit_in(
            &mut tx,
            &user.id,
            &device.id,
            "quarantine-in",
            case,
            &format!(
                "entry {id}: {} bytes of unsynced work handed over",
                changes.len()
            ),
        )?;
        tx.commit().map_err(DbError::from)?;
        Ok(id)
    }

    pub(super) fn quarantine_pg(&self, supervisor: &User) -> Result<Vec<Entry>, QuarantineError> {
        let rows = self
            .conn()?
            .query(
                &format!(
                    "SELECT {COLUMNS} FROM quarantine WHERE team_id = $1
                     ORDER BY decided_at IS NOT NULL, id"
                ),
                &[&supervisor.team],
            )
            .map_err(DbError::from)?;
        rows.iter()
            .map(|r| Ok(quarantine::entry(quarantined(r)?)))
            .collect()
    }

    pub(super) fn decide_pg(
        &self,
        cache: &DocCache,
        supervisor: &User,
        supervisor_device: &str,
        id: i64,
        merge: bool,
    ) -> Result<(Entry, Option<Uuid>), QuarantineError> {
        let case: Option<String> = self
            .conn()?
            .query_opt("SELECT case_id FROM quarantine WHERE id = $1", &[&id])
            .map_err(DbError::from)?
            .map(|r| r.get(0));
        let Some(case) = case.and_then(|c| Uuid::parse_str(&c).ok()) else {
            return Err(QuarantineError::NotFound);
        };
        let decided = self.retried(case, || {
            let mut conn = self.conn()?;
            let mut tx = conn.transaction()?;
            let row = tx.query_opt(
                &format!(
                    "SELECT {COLUMNS}, team_id, changes FROM quarantine
                     WHERE id = $1 AND decided_at IS NULL FOR UPDATE"
                ),
                &[&id],
            )?;
            let Some(row) = row else {
                return Ok(Some(Err(QuarantineError::NotFound)));
            };
            let found = quarantined(&row)?;
            let team: String = row.try_get(7)?;
            let changes: Vec<u8> = row.try_get(8)?;
            if team != supervisor.team || found.case != case {
                return Ok(Some(Err(QuarantineError::NotFound)));
            }
            let mut changed = None;
            if merge {
                let author = tx
                    .query_opt(
                        "SELECT id, name, role, team_id FROM users WHERE id = $1",
                        &[&found.user],
                    )?
                    .map(|r| user_from_row(&r, 0))
                    .transpose()?;
                let Some(author) = author else {
                    return Ok(Some(Err(QuarantineError::NotFound)));
                };
                let device = Uuid::parse_str(&found.device).unwrap_or(Uuid::nil());
                let key = case.to_string();
                let mut doc = load_in(&mut tx, &key)?.unwrap_or_else(|| CaseDoc::empty(case));
                match quarantine::apply(&mut doc, &author, device, &changes) {
                    Err(refused) => return Ok(Some(Err(refused))),
                    Ok(false) => {}
                    Ok(true) => {
                        // Merged with what is stored, under the case's
                        // row lock, as a sync writes.
                        if write_case(&mut tx, &mut doc, &author)?.is_none() {
                            return Ok(None);
                        }
                        Self::put_case_blobs(&mut tx, &key, &doc.blob_hashes(), now_ms())?;
                        changed = Some(case);
                    }
                }
            }
            tx.execute(
                "UPDATE quarantine SET decided_at = $2, decided_by = $3, decision = $4
                 WHERE id = $1",
                &[
                    &id,
                    &now_ms(),
                    &supervisor.id,
                    &if merge { "merged" } else { "discarded" },
                ],
            )?;
            audit_in(
                &mut tx,
                &supervisor.id,
                supervisor_device,
                if merge {
                    "quarantine-merged"
                } else {
                    "quarantine-discarded"
                },
                case,
                &format!("entry {id} of {} ({} bytes)", found.user, found.bytes),
            )?;
            let row = tx.query_one(
                &format!("SELECT {COLUMNS} FROM quarantine WHERE id = $1"),
                &[&id],
            )?;
            let entry = quarantine::entry(quarantined(&row)?);
            tx.commit()?;
            Ok(Some(Ok((entry, changed))))
        })??;
        if decided.1.is_some() {
            // The stored case moved on; this server's copy is loaded again.
            cache.evict(case);
        }
        Ok(decided)
    }
}
