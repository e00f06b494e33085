//! One in-memory replica per case document, shared by all sessions, so
//! that every write goes through the same copy that was last saved.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use brug_shared::casedoc::CaseDoc;
use brug_shared::store;
use rusqlite::Connection;
use uuid::Uuid;

use crate::db::DbError;

/// Cached documents; evicts idle ones past `capacity`.
#[derive(Debug)]
pub struct DocCache {
    docs: Mutex<HashMap<Uuid, Arc<Mutex<CaseDoc>>>>,
    capacity: usize,
}

impl DocCache {
    /// A cache holding about `capacity` documents.
    pub fn new(capacity: usize) -> Self {
        Self {
            docs: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    /// The shared replica of `id`, loaded from the store on a miss.
    pub fn get(&self, conn: &Connection, id: Uuid) -> Result<Option<Arc<Mutex<CaseDoc>>>, DbError> {
        if let Some(doc) = self.lock().get(&id) {
            return Ok(Some(Arc::clone(doc)));
        }
        let Some(doc) = store::load(conn, id)? else {
            return Ok(None);
        };
        Ok(Some(self.insert(id, doc)))
    }

    /// Puts a document in the cache (a case just created), returning the
    /// shared replica.
    pub fn insert(&self, id: Uuid, doc: CaseDoc) -> Arc<Mutex<CaseDoc>> {
        let mut docs = self.lock();
        if docs.len() >= self.capacity {
            // Evict documents no session is using right now.
            docs.retain(|_, d| Arc::strong_count(d) > 1);
        }
        Arc::clone(docs.entry(id).or_insert_with(|| Arc::new(Mutex::new(doc))))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, Arc<Mutex<CaseDoc>>>> {
        self.docs.lock().unwrap_or_else(|p| p.into_inner())
    }
}
