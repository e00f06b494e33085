//! One in-memory replica per case document, shared by all sessions, so
//! that every write goes through the same copy that was last saved.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use brug_shared::casedoc::CaseDoc;
use uuid::Uuid;

use crate::db::DbError;
use crate::storage::CaseStore;

/// Cached documents; past `capacity`, the least recently used of those no
/// session is using are let go.
#[derive(Debug)]
pub struct DocCache {
    inner: Mutex<Inner>,
    capacity: usize,
}

#[derive(Debug, Default)]
struct Inner {
    /// Each replica with the turn it was last asked for.
    docs: HashMap<Uuid, (Arc<Mutex<CaseDoc>>, u64)>,
    /// Counts every use: a later use has a higher turn.
    turn: u64,
}

impl DocCache {
    /// A cache holding about `capacity` documents.
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
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
        let mut inner = self.lock();
        inner.turn += 1;
        let turn = inner.turn;
        if let Some((doc, used)) = inner.docs.get_mut(&id) {
            *used = turn;
            return Ok(Some(Arc::clone(doc)));
        }
        let Some(doc) = db.load(id)? else {
            return Ok(None);
        };
        Ok(Some(self.put(&mut inner, id, doc)))
    }

    /// Puts a document in the cache (a case just created), returning the
    /// shared replica.
    pub fn insert(&self, id: Uuid, doc: CaseDoc) -> Arc<Mutex<CaseDoc>> {
        let mut inner = self.lock();
        inner.turn += 1;
        self.put(&mut inner, id, doc)
    }

    /// Forgets the cached copy of `id` (a new generation replaced it in
    /// the store): the next use loads it again. A session still holding the
    /// old copy cannot save from it (the store refuses a copy that lacks
    /// the stored heads).
    pub fn evict(&self, id: Uuid) {
        self.lock().docs.remove(&id);
    }

    /// Whether `id` is in memory now.
    #[cfg(test)]
    fn holds(&self, id: Uuid) -> bool {
        self.lock().docs.contains_key(&id)
    }

    fn put(&self, inner: &mut Inner, id: Uuid, doc: CaseDoc) -> Arc<Mutex<CaseDoc>> {
        if inner.docs.len() >= self.capacity && !inner.docs.contains_key(&id) {
            // Let go of the least recently used replicas no session is
            // using right now, down to three quarters of the capacity (so
            // this sort runs once per many misses, not at every one).
            let mut idle: Vec<(u64, Uuid)> = inner
                .docs
                .iter()
                .filter(|(_, (d, _))| Arc::strong_count(d) == 1)
                .map(|(id, (_, used))| (*used, *id))
                .collect();
            idle.sort_unstable();
            let keep = self.capacity * 3 / 4;
            let excess = inner.docs.len().saturating_sub(keep);
            for (_, old) in idle.into_iter().take(excess) {
                inner.docs.remove(&old);
            }
        }
        let turn = inner.turn;
        let (doc, used) = inner
            .docs
            .entry(id)
            .or_insert_with(|| (Arc::new(Mutex::new(doc)), turn));
        *used = turn;
        Arc::clone(doc)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use brug_shared::casedoc::Editor;
    use brug_shared::model::examples;

    fn case() -> (Uuid, CaseDoc) {
        let id = Uuid::now_v7();
        let editor = Editor {
            user: "u".into(),
            device: Uuid::new_v4(),
        };
        (
            id,
            CaseDoc::create(id, &examples::household(), &editor).unwrap(),
        )
    }

    #[test]
    fn the_cases_used_last_stay_in_memory_and_cases_in_use_are_never_let_go() {
        let cache = DocCache::new(4);
        let ids: Vec<Uuid> = (0..4)
            .map(|_| {
                let (id, doc) = case();
                cache.insert(id, doc);
                id
            })
            .collect();
        // The oldest is in use by a session; the second is used again.
        let in_use = cache.insert(ids[0], case().1);
        let again = cache.insert(ids[1], case().1);
        drop(again);
        let (fifth, doc) = case();
        cache.insert(fifth, doc);
        // Full: the least recently used idle one went (down to three of
        // four), the one in use and the ones used last stayed.
        assert!(cache.holds(ids[0]), "a case in use was let go");
        assert!(cache.holds(ids[1]), "the case used again was let go");
        assert!(!cache.holds(ids[2]), "the least recently used stayed");
        assert!(cache.holds(fifth));
        assert!(cache.lock().docs.len() <= 4);
        drop(in_use);
    }
}
