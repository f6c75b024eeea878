//! Which syncs run, in which slots: one `full`/`incremental` and one
//! `realtime` sync per source (PROTOCOL.md §2).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::task::AbortHandle;
use tokio_util::sync::CancellationToken;

use crate::context::Run;

/// A source's slot: realtime syncs have their own.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Slot {
    pub(crate) source_id: String,
    pub(crate) realtime: bool,
}

/// A sync the connector is running (or has reserved a slot for).
pub(crate) struct Entry {
    pub(crate) slot: Slot,
    pub(crate) cancel: CancellationToken,
    /// Set once the sync's task is spawned.
    pub(crate) run: Option<Arc<Run>>,
    pub(crate) abort: Option<AbortHandle>,
}

#[derive(Default)]
struct Tables {
    by_run: HashMap<String, Entry>,
    by_slot: HashMap<Slot, String>,
}

/// The running syncs, by run id and by slot.
#[derive(Default, Clone)]
pub(crate) struct Registry {
    tables: Arc<Mutex<Tables>>,
}

/// Why a slot could not be reserved.
pub(crate) struct Busy;

impl Registry {
    fn tables(&self) -> std::sync::MutexGuard<'_, Tables> {
        // Poisoning cannot leave the tables inconsistent: every change is a
        // single insert or remove.
        self.tables.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Reserves the slot for a run, or says it is taken (by another run of
    /// the same slot, or by this very run id).
    pub(crate) fn reserve(&self, sync_run_id: &str, slot: Slot) -> Result<CancellationToken, Busy> {
        let mut tables = self.tables();
        if tables.by_slot.contains_key(&slot) || tables.by_run.contains_key(sync_run_id) {
            return Err(Busy);
        }
        let cancel = CancellationToken::new();
        tables.by_slot.insert(slot.clone(), sync_run_id.to_owned());
        tables.by_run.insert(
            sync_run_id.to_owned(),
            Entry {
                slot,
                cancel: cancel.clone(),
                run: None,
                abort: None,
            },
        );
        Ok(cancel)
    }

    /// Records the running task of a reserved run.
    pub(crate) fn started(&self, sync_run_id: &str, run: Arc<Run>, abort: AbortHandle) {
        if let Some(entry) = self.tables().by_run.get_mut(sync_run_id) {
            entry.run = Some(run);
            entry.abort = Some(abort);
        }
    }

    /// Frees a run's slot. Idempotent: the supervisor and the cancel grace
    /// timer may both call it.
    pub(crate) fn release(&self, sync_run_id: &str) -> Option<Entry> {
        let mut tables = self.tables();
        let entry = tables.by_run.remove(sync_run_id)?;
        if tables.by_slot.get(&entry.slot).map(String::as_str) == Some(sync_run_id) {
            tables.by_slot.remove(&entry.slot);
        }
        Some(entry)
    }

    /// Whether a run is in the registry.
    pub(crate) fn is_running(&self, sync_run_id: &str) -> bool {
        self.tables().by_run.contains_key(sync_run_id)
    }

    /// The run's cancellation token and state, if it is running.
    pub(crate) fn get(&self, sync_run_id: &str) -> Option<(CancellationToken, Option<Arc<Run>>)> {
        self.tables()
            .by_run
            .get(sync_run_id)
            .map(|e| (e.cancel.clone(), e.run.clone()))
    }

    /// Ids of every running sync.
    pub(crate) fn running(&self) -> Vec<String> {
        self.tables().by_run.keys().cloned().collect()
    }

    /// How many syncs run.
    pub(crate) fn len(&self) -> usize {
        self.tables().by_run.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(source: &str, realtime: bool) -> Slot {
        Slot {
            source_id: source.into(),
            realtime,
        }
    }

    #[test]
    fn slots_are_per_source_and_kind() {
        let registry = Registry::default();
        assert!(registry.reserve("r1", slot("s1", false)).is_ok());
        assert!(registry.reserve("r2", slot("s1", false)).is_err());
        assert!(
            registry.reserve("r1", slot("s2", false)).is_err(),
            "same run id twice"
        );
        assert!(registry.reserve("r3", slot("s1", true)).is_ok());
        assert!(registry.reserve("r4", slot("s2", false)).is_ok());
        assert!(registry.release("r1").is_some());
        assert!(registry.release("r1").is_none());
        assert!(registry.reserve("r5", slot("s1", false)).is_ok());
        assert_eq!(registry.len(), 3);
    }
}
