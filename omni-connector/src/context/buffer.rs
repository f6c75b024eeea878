//! The event buffer and when it is flushed (PROTOCOL.md §6).

use std::time::{Duration, Instant};

use crate::models::{ConnectorEvent, SyncMode};

/// When buffered events are sent: as soon as `max_events` are waiting, or
/// once the oldest has waited `max_age`.
///
/// The defaults per mode are the seed's: 500 events or 300 s for `full`,
/// 100 or 60 s for `incremental`, every event for `realtime`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlushPolicy {
    /// Flush once this many events are buffered (at least 1).
    pub max_events: usize,
    /// Flush once the oldest buffered event is this old.
    pub max_age: Duration,
}

impl FlushPolicy {
    /// The seed's thresholds for a sync mode; a mode this SDK does not know
    /// gets `incremental`'s.
    pub fn for_mode(mode: &SyncMode) -> Self {
        match mode {
            SyncMode::Full => Self {
                max_events: 500,
                max_age: Duration::from_secs(300),
            },
            SyncMode::Realtime => Self {
                max_events: 1,
                max_age: Duration::ZERO,
            },
            SyncMode::Incremental | SyncMode::Other(_) => Self {
                max_events: 100,
                max_age: Duration::from_secs(60),
            },
        }
    }
}

/// Events waiting to be sent, oldest first.
#[derive(Debug, Default)]
pub(crate) struct EventBuffer {
    events: Vec<ConnectorEvent>,
    oldest: Option<Instant>,
    /// The allocation of the last batch sent, kept for the next one: a
    /// full batch is a few hundred KiB, and allocating it anew each time
    /// lets glibc keep such blocks in every worker thread's arena.
    spare: Vec<ConnectorEvent>,
}

/// Events taken from the buffer to be sent as one batch.
#[derive(Debug)]
pub(crate) struct Batch {
    pub(crate) events: Vec<ConnectorEvent>,
    oldest: Option<Instant>,
}

impl EventBuffer {
    pub(crate) fn push(&mut self, event: ConnectorEvent) {
        if self.events.is_empty() {
            self.oldest = Some(Instant::now());
        }
        self.events.push(event);
    }

    pub(crate) fn is_due(&self, policy: &FlushPolicy) -> bool {
        self.events.len() >= policy.max_events.max(1) || self.is_old(policy)
    }

    pub(crate) fn is_old(&self, policy: &FlushPolicy) -> bool {
        self.oldest.is_some_and(|t| t.elapsed() >= policy.max_age)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Takes every buffered event for sending; new events go into a fresh
    /// buffer meanwhile.
    pub(crate) fn take(&mut self) -> Batch {
        let spare = std::mem::take(&mut self.spare);
        Batch {
            events: std::mem::replace(&mut self.events, spare),
            oldest: self.oldest.take(),
        }
    }

    /// Gives back a batch the manager did not take: its events are older
    /// than any buffered since, so they go first.
    pub(crate) fn put_back(&mut self, mut batch: Batch) {
        batch.events.append(&mut self.events);
        let emptied = std::mem::replace(&mut self.events, batch.events);
        self.recycle(emptied);
        self.oldest = match (batch.oldest, self.oldest) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }

    /// Keeps the allocation of a batch the manager took.
    pub(crate) fn recycle(&mut self, mut events: Vec<ConnectorEvent>) {
        events.clear();
        if events.capacity() > self.spare.capacity() {
            self.spare = events;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deleted(id: &str) -> ConnectorEvent {
        ConnectorEvent::DocumentDeleted {
            sync_run_id: "r".into(),
            source_id: "s".into(),
            document_id: id.into(),
        }
    }

    fn ids(events: &[ConnectorEvent]) -> Vec<&str> {
        events
            .iter()
            .filter_map(ConnectorEvent::document_id)
            .collect()
    }

    #[test]
    fn a_batch_put_back_goes_before_what_came_after() {
        let mut buffer = EventBuffer::default();
        buffer.push(deleted("a"));
        buffer.push(deleted("b"));
        let first = buffer.take();
        assert!(buffer.is_empty());
        buffer.push(deleted("c"));
        buffer.put_back(first);
        let all = buffer.take();
        assert_eq!(ids(&all.events), ["a", "b", "c"]);
        assert!(all.oldest.is_some());
    }

    #[test]
    fn the_oldest_event_decides_the_age() {
        let policy = FlushPolicy {
            max_events: 100,
            max_age: Duration::from_millis(30),
        };
        let mut buffer = EventBuffer::default();
        buffer.push(deleted("a"));
        let first = buffer.take();
        std::thread::sleep(Duration::from_millis(40));
        buffer.push(deleted("b"));
        assert!(!buffer.is_old(&policy));
        buffer.put_back(first);
        assert!(buffer.is_old(&policy), "the returned event is 40 ms old");
    }

    #[test]
    fn a_sent_batch_lends_its_allocation_to_the_next() {
        let mut buffer = EventBuffer::default();
        for i in 0..64 {
            buffer.push(deleted(&i.to_string()));
        }
        let sent = buffer.take();
        let capacity = sent.events.capacity();
        buffer.recycle(sent.events);
        // The next batch fills while this one is away; the one after it
        // reuses the sent batch's allocation.
        buffer.push(deleted("x"));
        let next = buffer.take();
        buffer.recycle(next.events);
        buffer.push(deleted("y"));
        assert!(buffer.take().events.capacity() >= capacity);
    }
}
