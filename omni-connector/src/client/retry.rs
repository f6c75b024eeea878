//! When and how long to wait before trying a manager call again.

use std::time::Duration;

/// How the client retries calls that may succeed on a second try:
/// connection errors, timeouts, 5xx and 429 (PROTOCOL.md §3). Other 4xx
/// answers are never retried.
///
/// Waits grow exponentially from `initial_backoff` to `max_backoff`, with
/// jitter so that many connectors do not retry in step; a 429's
/// `Retry-After` is honoured instead. Retrying stops after `max_attempts`
/// attempts or once `max_elapsed` has passed since the first, whichever
/// comes first.
///
/// ```
/// use std::time::Duration;
/// use omni_connector::RetryPolicy;
/// let patient = RetryPolicy { max_elapsed: Duration::from_secs(300), ..RetryPolicy::default() };
/// assert_eq!(RetryPolicy::none().max_attempts, 1);
/// # let _ = patient;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 means no retry).
    pub max_attempts: u32,
    /// Wait before the second attempt.
    pub initial_backoff: Duration,
    /// Longest wait between two attempts (a longer `Retry-After` is still
    /// honoured while it fits in `max_elapsed`).
    pub max_backoff: Duration,
    /// No new attempt starts this long after the first one.
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    /// 10 attempts within 60 s, waits from 200 ms up to 5 s: rides out a
    /// manager restart of several seconds.
    fn default() -> Self {
        Self {
            max_attempts: 10,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            max_elapsed: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// One attempt, no retry.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The wait after failed attempt number `attempt` (1-based): the
    /// exponential step, of which a random half is jitter.
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let exponent = attempt.saturating_sub(1).min(31);
        let step = self
            .initial_backoff
            .saturating_mul(1u32 << exponent)
            .min(self.max_backoff);
        let half = step / 2;
        half + half.mul_f64(fastrand::f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let policy = RetryPolicy {
            max_attempts: 20,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
            max_elapsed: Duration::from_secs(60),
        };
        for _ in 0..100 {
            let first = policy.backoff(1);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let third = policy.backoff(3);
            assert!(third >= Duration::from_millis(200) && third <= Duration::from_millis(400));
            let late = policy.backoff(30);
            assert!(late >= Duration::from_millis(500) && late <= Duration::from_secs(1));
        }
    }
}
