//! All time comes from a `Clock`, so rules that depend on time are testable exactly.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

pub type SharedClock = Arc<dyn Clock>;

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// The wall clock moved forward by an offset that can change while it runs: the sandbox's
/// clock, which `wheelhouse admin clock advance` moves (the server reads the offset from its
/// database every second).
#[derive(Debug, Default, Clone)]
pub struct OffsetClock {
    offset_ms: Arc<std::sync::atomic::AtomicI64>,
}

impl OffsetClock {
    pub fn set_offset(&self, offset: Duration) {
        self.offset_ms.store(
            offset.num_milliseconds(),
            std::sync::atomic::Ordering::Relaxed,
        );
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
            + Duration::milliseconds(self.offset_ms.load(std::sync::atomic::Ordering::Relaxed))
    }
}

/// "2d", "36h", "1d12h", "90m", "45s": a duration as people type it.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let mut total = Duration::zero();
    let mut digits = String::new();
    let mut any = false;
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let amount: i64 = digits.parse().ok()?;
        digits.clear();
        total += match c {
            'd' => Duration::days(amount),
            'h' => Duration::hours(amount),
            'm' => Duration::minutes(amount),
            's' => Duration::seconds(amount),
            _ => return None,
        };
        any = true;
    }
    (digits.is_empty() && any).then_some(total)
}

/// A clock that only moves when told to: for tests and for stepping the reconciler by hand.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<DateTime<Utc>>>,
}

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> ManualClock {
        ManualClock {
            now: Arc::new(Mutex::new(start)),
        }
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_advanced() {
        let start = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .expect("valid timestamp");
        let clock = ManualClock::new(start);
        assert_eq!(clock.now(), start);
        clock.advance(Duration::minutes(3));
        assert_eq!(clock.now(), start + Duration::minutes(3));
    }

    #[test]
    fn durations_parse_as_people_type_them() {
        assert_eq!(parse_duration("2d"), Some(Duration::days(2)));
        assert_eq!(parse_duration("1d12h"), Some(Duration::hours(36)));
        assert_eq!(parse_duration("90m"), Some(Duration::minutes(90)));
        assert_eq!(parse_duration(" 45s "), Some(Duration::seconds(45)));
        for bad in ["", "2", "d", "2w", "-1d", "1.5d"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn an_offset_clock_runs_ahead_by_its_offset() {
        let clock = OffsetClock::default();
        clock.set_offset(Duration::days(3));
        let ahead = clock.now() - Utc::now();
        assert!(ahead > Duration::days(3) - Duration::seconds(5) && ahead <= Duration::days(3));
    }
}
