//! One in-memory replica per case document, shared by all sessions, so
//! that every write goes through the same copy that was last saved.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use brug_shared::casedoc::CaseDoc;
use uuid::Uuid;

use crate::db::DbError;
use crate::storage::CaseStore;

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
    ///
    /// The load happens while the cache is held, so it cannot race a
    /// commit: a case is written only through its replica, which stays
    /// cached while in use; a replica loaded here is read after every
    /// commit made through an earlier one (never a stale copy put back).
    pub fn get(
        &self,
        db: &dyn CaseStore,
        id: Uuid,
    ) -> Result<Option<Arc<Mutex<CaseDoc>>>, DbError> {
        let mut docs = self.lock();
        if let Some(doc) = docs.get(&id) {
            return Ok(Some(Arc::clone(doc)));
        }
        let Some(doc) = db.load(id)? else {
            return Ok(None);
        };
        Ok(Some(self.put(&mut docs, id, doc)))
    }

    /// Puts a document in the cache (a case just created), returning the
    /// shared replica.
    pub fn insert(&self, id: Uuid, doc: CaseDoc) -> Arc<Mutex<CaseDoc>> {
        let mut docs = self.lock();
        self.put(&mut docs, id, doc)
    }

    /// Forgets the cached copy of `id` (a new generation replaced it in
    /// the store): the next use loads it again. A session still holding the
    /// old copy cannot save from it (the store refuses a copy that lacks
    /// the stored heads).
    pub fn evict(&self, id: Uuid) {
        self.lock().remove(&id);
    }

    fn put(
        &self,
        docs: &mut HashMap<Uuid, Arc<Mutex<CaseDoc>>>,
        id: Uuid,
        doc: CaseDoc,
    ) -> Arc<Mutex<CaseDoc>> {
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
