//! The FIFO deduplication window: a send whose deduplication id was seen in the last 5 minutes is
//! accepted but not enqueued again, and answers with the original message id. A map for lookup
//! plus a time-ordered ring for expiry (the NATS ddmap/ddarr shape), so cleaning is O(expired).

use std::collections::{HashMap, VecDeque};

use crate::limits::DEDUP_WINDOW_MS;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Original {
    pub message_id: [u8; 16],
    pub sequence_number: u64,
}

#[derive(Default)]
pub struct DedupWindow {
    seen: HashMap<Box<str>, (Original, u64)>,
    by_time: VecDeque<(u64, Box<str>)>,
}

impl DedupWindow {
    /// The original send for `key`, if it is still inside the window at `now_ms`.
    pub fn lookup(&mut self, key: &str, now_ms: u64) -> Option<Original> {
        self.expire(now_ms);
        self.seen.get(key).map(|(o, _)| *o)
    }

    pub fn record(&mut self, key: &str, original: Original, now_ms: u64) {
        let expires_ms = now_ms + DEDUP_WINDOW_MS;
        let boxed: Box<str> = key.into();
        assert!(self.seen.insert(boxed.clone(), (original, expires_ms)).is_none(), "recorded twice");
        self.by_time.push_back((expires_ms, boxed));
    }

    fn expire(&mut self, now_ms: u64) {
        while let Some((expires_ms, _)) = self.by_time.front() {
            if *expires_ms > now_ms {
                break;
            }
            let (_, key) = self.by_time.pop_front().expect("front exists");
            self.seen.remove(&key);
        }
    }

    /// Every live entry, for snapshots: (key, original, expiry ms).
    pub fn entries(&self) -> impl Iterator<Item = (&str, Original, u64)> {
        self.by_time.iter().filter_map(|(_, k)| self.seen.get(k).map(|(o, e)| (&**k, *o, *e)))
    }

    /// Restores one entry during recovery with its original expiry.
    pub fn restore(&mut self, key: &str, original: Original, expires_ms: u64) {
        let boxed: Box<str> = key.into();
        if self.seen.insert(boxed.clone(), (original, expires_ms)).is_none() {
            self.by_time.push_back((expires_ms, boxed));
        }
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_is_five_minutes() {
        let mut w = DedupWindow::default();
        let o = Original { message_id: [1; 16], sequence_number: 9 };
        w.record("a", o, 1_000);
        assert_eq!(w.lookup("a", 1_000 + DEDUP_WINDOW_MS - 1), Some(o));
        assert_eq!(w.lookup("a", 1_000 + DEDUP_WINDOW_MS), None);
        assert!(w.is_empty());
        w.record("a", o, 1_000 + DEDUP_WINDOW_MS);
        assert_eq!(w.len(), 1);
    }
}
