//! Time behind a trait, so visibility timeouts, delays, retention and the dedup window are
//! deterministic in tests (ElasticMQ `NowProvider`). This is the only file allowed to read the
//! wall clock.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

pub trait Clock: Send + Sync {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> u64;
}

/// The wall clock plus an offset that only tests move (`advance`), so an end-to-end test can
/// cross a 60 s retention period or a 5 min dedup window without waiting.
#[derive(Default)]
pub struct SystemClock {
    offset_ms: AtomicI64,
}

impl SystemClock {
    pub fn advance(&self, ms: i64) {
        self.offset_ms.fetch_add(ms, Ordering::Relaxed);
    }
}

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        wall.saturating_add_signed(self.offset_ms.load(Ordering::Relaxed))
    }
}

/// A clock that only moves when told to.
pub struct ManualClock {
    now_ms: AtomicU64,
}

impl ManualClock {
    #[must_use]
    pub fn new(start_ms: u64) -> Self {
        Self { now_ms: AtomicU64::new(start_ms) }
    }
    pub fn advance(&self, ms: u64) {
        self.now_ms.fetch_add(ms, Ordering::Relaxed);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> u64 {
        self.now_ms.load(Ordering::Relaxed)
    }
}
