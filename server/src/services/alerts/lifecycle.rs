//! An alert's lifecycle, pure: what becomes of one occurrence (open or not) given whether its
//! condition holds now. A condition opens an alert pending; it fires once the condition has
//! held for its rule's `for` (at once for rules without one); a pending alert whose condition
//! clears leaves no trace, a firing one resolves. As Prometheus evaluates its rules.

use chrono::{DateTime, Duration, Utc};

use super::rules::{Condition, Severity};

/// An open occurrence, as the lifecycle needs it.
#[derive(Clone, Debug, PartialEq)]
pub struct Open {
    pub firing: bool,
    pub active_since: DateTime<Utc>,
    pub severity: Severity,
    pub summary: String,
}

/// What to do with one occurrence now.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    Nothing,
    /// Open it, pending since `since`, or already firing.
    Open {
        since: DateTime<Utc>,
        firing: bool,
    },
    Fire,
    /// Its severity or words changed while open.
    Restate,
    /// Pending, and its condition cleared.
    Drop,
    Resolve,
}

pub fn step(open: Option<&Open>, condition: Option<&Condition>, now: DateTime<Utc>) -> Step {
    match (open, condition) {
        (None, None) => Step::Nothing,
        (None, Some(condition)) => {
            let since = condition.since.unwrap_or(now).min(now);
            Step::Open {
                since,
                firing: now - since >= Duration::minutes(condition.rule.for_minutes),
            }
        }
        (Some(open), None) if open.firing => Step::Resolve,
        (Some(_), None) => Step::Drop,
        (Some(open), Some(condition)) => {
            if !open.firing
                && now - open.active_since >= Duration::minutes(condition.rule.for_minutes)
            {
                Step::Fire
            } else if open.severity != condition.severity || open.summary != condition.summary {
                Step::Restate
            } else {
                Step::Nothing
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::alerts::rules::{
        AlertTarget, Owner, Recommendation, END_OF_SUPPORT, NODE_NOT_READY,
    };
    use crate::services::upgrade::synthetic::epoch;

    fn not_ready(since: Option<DateTime<Utc>>) -> Condition {
        Condition {
            rule: &NODE_NOT_READY,
            severity: Severity::Warning,
            owner: Owner::Provider,
            target: AlertTarget {
                kind: "node".into(),
                id: "n".into(),
                name: "n".into(),
            },
            summary: "node n is NotReady".into(),
            since,
            recommendation: Recommendation {
                text: String::new(),
                console_path: None,
                command: None,
            },
        }
    }

    fn open(firing: bool, minutes_ago: i64) -> Open {
        Open {
            firing,
            active_since: epoch() - Duration::minutes(minutes_ago),
            severity: Severity::Warning,
            summary: "node n is NotReady".into(),
        }
    }

    #[test]
    fn pending_for_fifteen_minutes_then_firing_then_resolved() {
        let now = epoch();
        let condition = not_ready(None);
        assert_eq!(
            step(None, Some(&condition), now),
            Step::Open {
                since: now,
                firing: false
            }
        );
        assert_eq!(
            step(Some(&open(false, 14)), Some(&condition), now),
            Step::Nothing
        );
        assert_eq!(
            step(Some(&open(false, 15)), Some(&condition), now),
            Step::Fire
        );
        assert_eq!(
            step(Some(&open(true, 30)), Some(&condition), now),
            Step::Nothing
        );
        assert_eq!(step(Some(&open(true, 30)), None, now), Step::Resolve);
        assert_eq!(step(Some(&open(false, 3)), None, now), Step::Drop);
        assert_eq!(step(None, None, now), Step::Nothing);
    }

    #[test]
    fn a_condition_known_to_hold_for_long_fires_at_once() {
        let now = epoch();
        let condition = not_ready(Some(now - Duration::minutes(20)));
        assert_eq!(
            step(None, Some(&condition), now),
            Step::Open {
                since: now - Duration::minutes(20),
                firing: true
            }
        );
        // A provider clock ahead of ours does not start an alert in the future.
        let ahead = not_ready(Some(now + Duration::minutes(5)));
        assert_eq!(
            step(None, Some(&ahead), now),
            Step::Open {
                since: now,
                firing: false
            }
        );
    }

    #[test]
    fn rules_without_a_wait_fire_at_once_and_restate_as_they_worsen() {
        let now = epoch();
        let mut condition = not_ready(None);
        condition.rule = &END_OF_SUPPORT;
        condition.severity = Severity::Info;
        assert_eq!(
            step(None, Some(&condition), now),
            Step::Open {
                since: now,
                firing: true
            }
        );
        let mut firing = open(true, 60);
        firing.severity = Severity::Info;
        condition.severity = Severity::Critical;
        assert_eq!(step(Some(&firing), Some(&condition), now), Step::Restate);
    }
}
