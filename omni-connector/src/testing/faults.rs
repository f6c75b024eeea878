//! Fault injection for the in-process manager.

use std::time::Duration;

/// Faults the manager injects into `/sdk/*` requests, before routing. All
/// knobs are off by default; counters restart whenever faults are set.
///
/// ```
/// use omni_connector::testing::Faults;
/// let faults = Faults { fail_every_nth: Some(3), ..Faults::default() };
/// # let _ = faults;
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faults {
    /// Answer every Nth request with 503 `{"error":"injected fault"}`.
    pub fail_every_nth: Option<u64>,
    /// Answer this fraction (0.0–1.0) of requests with 503, chosen by a
    /// PRNG seeded with [`seed`](Self::seed).
    pub fail_fraction: f64,
    /// Answer every Nth request with 429 and a `Retry-After` header.
    pub rate_limit_every_nth: Option<u64>,
    /// The `Retry-After` value, in seconds, of injected 429s.
    pub retry_after_secs: u64,
    /// Answer the next N `extract-content`/`extract-text` calls with 429
    /// ("extractor busy").
    pub extractor_busy_calls: u64,
    /// Wait this long before answering each request.
    pub delay: Option<Duration>,
    /// Drop the connection without answering every Nth request.
    pub drop_every_nth: Option<u64>,
    /// Drop the connection without answering this fraction of requests.
    pub drop_fraction: f64,
    /// Carry out this fraction of requests, then drop the connection
    /// without sending the answer: the request took effect but the client
    /// cannot know it (a reset after the manager committed a batch). A
    /// client that retries such a request sends it twice. Drawn from the
    /// PRNG only when above zero, so it leaves the other knobs' sequences
    /// for a seed unchanged when off.
    pub lose_answer_fraction: f64,
    /// Seed of the PRNG behind the fractions.
    pub seed: u64,
}

/// What to do with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Route it normally.
    Pass,
    /// Close the connection without an answer.
    Drop,
    /// 503 `injected fault`.
    Fail,
    /// 429 with `Retry-After: secs`.
    RateLimit(u64),
    /// 429 "extractor busy" with `Retry-After: secs`.
    ExtractorBusy(u64),
    /// Route it, then close the connection without the answer.
    LoseAnswer,
}

/// Faults plus their running counters.
#[derive(Debug, Default)]
pub(crate) struct FaultState {
    faults: Faults,
    active: bool,
    count: u64,
    rng: SplitMix64,
    busy_left: u64,
}

impl FaultState {
    /// Installs new faults, restarting the counters.
    pub fn set(&mut self, faults: Faults) {
        self.rng = SplitMix64::new(faults.seed);
        self.busy_left = faults.extractor_busy_calls;
        self.count = 0;
        self.active = faults != Faults::default();
        self.faults = faults;
    }

    /// Whether any knob is on (lets the hot path skip everything else).
    pub fn active(&self) -> bool {
        self.active
    }

    /// The configured delay.
    pub fn delay(&self) -> Option<Duration> {
        self.faults.delay
    }

    /// Decides the fate of the next `/sdk/*` request.
    pub fn decide(&mut self, is_extract: bool) -> Verdict {
        if !self.active {
            return Verdict::Pass;
        }
        self.count += 1;
        let n = self.count;
        let every = |k: Option<u64>| matches!(k, Some(k) if k > 0 && n % k == 0);
        // Draw both numbers every time so one knob does not shift the other's
        // sequence.
        let drop_draw = self.rng.next_f64();
        let fail_draw = self.rng.next_f64();
        let lose_draw = if self.faults.lose_answer_fraction > 0.0 {
            self.rng.next_f64()
        } else {
            1.0
        };
        let f = &self.faults;
        if every(f.drop_every_nth) || drop_draw < f.drop_fraction {
            return Verdict::Drop;
        }
        if every(f.fail_every_nth) || fail_draw < f.fail_fraction {
            return Verdict::Fail;
        }
        if every(f.rate_limit_every_nth) {
            return Verdict::RateLimit(f.retry_after_secs);
        }
        if is_extract && self.busy_left > 0 {
            self.busy_left -= 1;
            return Verdict::ExtractorBusy(self.faults.retry_after_secs);
        }
        if lose_draw < self.faults.lose_answer_fraction {
            return Verdict::LoseAnswer;
        }
        Verdict::Pass
    }
}

/// SplitMix64: tiny, fast and deterministic for a seed.
#[derive(Debug, Default, Clone)]
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform float in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn prng_is_deterministic_and_uniform() {
        let mut a = SplitMix64::new(7);
        let mut b = SplitMix64::new(7);
        let xs: Vec<u64> = (0..10).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..10).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        assert_ne!(SplitMix64::new(8).next_u64(), xs[0]);
        let mut r = SplitMix64::new(1);
        let n = 100_000;
        let below = (0..n).filter(|_| r.next_f64() < 0.25).count();
        assert!((below as f64 / n as f64 - 0.25).abs() < 0.01);
        let mut r = SplitMix64::new(2);
        assert!((0..1000)
            .map(|_| r.next_f64())
            .all(|x| (0.0..1.0).contains(&x)));
    }

    #[test]
    fn every_nth_and_fractions() {
        let mut s = FaultState::default();
        assert_eq!(s.decide(false), Verdict::Pass);
        s.set(Faults {
            fail_every_nth: Some(3),
            ..Faults::default()
        });
        let v: Vec<_> = (0..6).map(|_| s.decide(false)).collect();
        assert_eq!(v[2], Verdict::Fail);
        assert_eq!(v[5], Verdict::Fail);
        assert_eq!(v.iter().filter(|v| **v == Verdict::Fail).count(), 2);

        s.set(Faults {
            fail_fraction: 1.0,
            ..Faults::default()
        });
        assert!((0..10).all(|_| s.decide(false) == Verdict::Fail));

        let run = |seed| {
            let mut s = FaultState::default();
            s.set(Faults {
                drop_fraction: 0.5,
                seed,
                ..Faults::default()
            });
            (0..64).map(|_| s.decide(false)).collect::<Vec<_>>()
        };
        assert_eq!(run(3), run(3));
        assert_ne!(run(3), run(4));
    }

    #[test]
    fn lost_answers_leave_other_sequences_alone() {
        let run = |lose| {
            let mut s = FaultState::default();
            s.set(Faults {
                fail_fraction: 0.3,
                lose_answer_fraction: lose,
                seed: 5,
                ..Faults::default()
            });
            (0..200).map(|_| s.decide(false)).collect::<Vec<_>>()
        };
        let without = run(0.0);
        assert!(!without.contains(&Verdict::LoseAnswer));
        let all = run(1.0);
        assert!(all
            .iter()
            .all(|v| matches!(v, Verdict::Fail | Verdict::LoseAnswer)));
        let some = run(0.1);
        let lost = some.iter().filter(|v| **v == Verdict::LoseAnswer).count();
        assert!((5..=40).contains(&lost), "{lost}");
    }

    #[test]
    fn extractor_busy_counts_down() {
        let mut s = FaultState::default();
        s.set(Faults {
            extractor_busy_calls: 2,
            retry_after_secs: 1,
            ..Faults::default()
        });
        assert_eq!(s.decide(false), Verdict::Pass);
        assert_eq!(s.decide(true), Verdict::ExtractorBusy(1));
        assert_eq!(s.decide(true), Verdict::ExtractorBusy(1));
        assert_eq!(s.decide(true), Verdict::Pass);
    }
}
