//! [`CaseStore`] on the embedded SQLite database: the functions the sync
//! session has always used, behind the trait.

use automerge::ChangeHash;
use brug_shared::casedoc::CaseDoc;
use brug_shared::store::{self, Saved};
use rusqlite::params;
use uuid::Uuid;

use super::{CaseStore, FeedEntry, Stored};
use crate::db::{self, Db, DbError, User};

impl CaseStore for Db {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn merge_save(&self, doc: &mut CaseDoc, by: &User) -> Result<Stored, DbError> {
        let mut conn = self.lock();
        // IMMEDIATE: the write lock is held from the first read, so nothing
        // is stored between the merge and the write (SQLite has one writer).
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let is_new = store::heads(&tx, doc.id())?.is_none();
        let saved = store::merge_and_save_in(&tx, doc)?;
        let seq = match saved {
            Saved::Unchanged => None,
            _ => Some(db::record_change(&tx, doc.id(), by, is_new)?),
        };
        tx.commit()?;
        Ok(Stored { saved, seq })
    }

    fn load(&self, id: Uuid) -> Result<Option<CaseDoc>, DbError> {
        Ok(store::load(&self.reader(), id)?)
    }

    fn heads(&self, id: Uuid) -> Result<Option<Vec<ChangeHash>>, DbError> {
        Ok(store::heads(&self.reader(), id)?)
    }

    fn current_seq(&self) -> Result<i64, DbError> {
        db::current_seq(&self.reader())
    }

    fn changed_since(&self, seq: i64, limit: usize) -> Result<Vec<FeedEntry>, DbError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT doc_id, seq FROM doc_feed WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )?;
        let rows = stmt
            .query_map(
                params![seq, i64::try_from(limit).unwrap_or(i64::MAX)],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)),
            )?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, seq)| {
                Some(FeedEntry {
                    seq,
                    id: Uuid::parse_str(&id).ok()?,
                })
            })
            .collect())
    }

    fn ids(&self) -> Result<Vec<Uuid>, DbError> {
        Ok(store::ids(&self.reader())?)
    }
}
