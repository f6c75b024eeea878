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

    pub(crate) fn events(&self) -> &[ConnectorEvent] {
        &self.events
    }

    pub(crate) fn len(&self) -> usize {
        self.events.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Forgets the events once the manager has accepted them.
    pub(crate) fn clear(&mut self) {
        self.events.clear();
        self.oldest = None;
    }
}
