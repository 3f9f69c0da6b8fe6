//! A cluster's maintenance window: the weekdays and the hour (UTC) it opens, and how long it
//! stays open (2 h at least). Node replacements for freshness happen only while it is open.

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc, Weekday};
use serde::{Deserialize, Serialize};

use crate::domain::DomainError;

pub const MIN_DURATION_HOURS: u32 = 2;
const DAYS: [(Weekday, &str); 7] = [
    (Weekday::Mon, "monday"),
    (Weekday::Tue, "tuesday"),
    (Weekday::Wed, "wednesday"),
    (Weekday::Thu, "thursday"),
    (Weekday::Fri, "friday"),
    (Weekday::Sat, "saturday"),
    (Weekday::Sun, "sunday"),
];

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MaintenanceWindow {
    /// Lower-case weekday names ("monday" … "sunday"), at least one.
    pub days: Vec<String>,
    /// The hour it opens, 0–23 UTC.
    pub start_hour: u32,
    /// How long it stays open, 2–24 hours.
    pub duration_hours: u32,
}

impl Default for MaintenanceWindow {
    /// Scaleway's default (any day, from midnight UTC), open for four hours.
    fn default() -> Self {
        MaintenanceWindow {
            days: DAYS.iter().map(|(_, name)| name.to_string()).collect(),
            start_hour: 0,
            duration_hours: 4,
        }
    }
}

impl MaintenanceWindow {
    /// The window as given, or why not (every field named).
    pub fn validated(mut self) -> Result<Self, DomainError> {
        let mut problems = Vec::new();
        self.days = self
            .days
            .iter()
            .map(|d| d.trim().to_lowercase())
            .filter(|d| !d.is_empty())
            .collect();
        if self.days.iter().any(|d| d == "any") {
            self.days = DAYS.iter().map(|(_, name)| name.to_string()).collect();
        }
        if self.days.is_empty() {
            problems.push(("days", "choose at least one day".to_string()));
        }
        if let Some(bad) = self.days.iter().find(|d| !DAYS.iter().any(|(_, n)| n == d)) {
            problems.push((
                "days",
                format!("`{bad}` is not a weekday: use monday … sunday"),
            ));
        }
        if self.start_hour > 23 {
            problems.push((
                "start_hour",
                "an hour of the day, 0 to 23 (UTC)".to_string(),
            ));
        }
        if !(MIN_DURATION_HOURS..=24).contains(&self.duration_hours) {
            problems.push((
                "duration_hours",
                format!("{MIN_DURATION_HOURS} to 24 hours"),
            ));
        }
        if let Some((field, help)) = problems.into_iter().next() {
            return Err(DomainError::invalid(field, "constraint", help));
        }
        // Stored in week order, once each.
        self.days = DAYS
            .iter()
            .filter(|(_, name)| self.days.iter().any(|d| d == name))
            .map(|(_, name)| name.to_string())
            .collect();
        Ok(self)
    }

    fn opens_on(&self, day: Weekday) -> bool {
        DAYS.iter()
            .any(|(weekday, name)| *weekday == day && self.days.iter().any(|d| d == name))
    }

    /// The opening on the calendar day of `at` (whether or not the window opens that day).
    fn opening_on(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(at.year(), at.month(), at.day(), self.start_hour, 0, 0)
            .single()
            .unwrap_or(at)
    }

    /// The opening of the window that is open at `at`, if one is.
    pub fn open_since(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let length = Duration::hours(self.duration_hours.into());
        // An opening up to a day earlier may still be open (a window past midnight).
        [at - Duration::days(1), at]
            .into_iter()
            .map(|day| self.opening_on(day))
            .filter(|start| self.opens_on(start.weekday()))
            .filter(|start| *start <= at && at < *start + length)
            .max()
    }

    pub fn is_open(&self, at: DateTime<Utc>) -> bool {
        self.open_since(at).is_some()
    }

    /// The first moment at or after `at` when the window is open: `at` itself when it is.
    pub fn next_open(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        if self.is_open(at) {
            return at;
        }
        (0..=7)
            .map(|days| self.opening_on(at + Duration::days(days)))
            .filter(|start| *start > at && self.opens_on(start.weekday()))
            .min()
            .unwrap_or(at)
    }

    /// Every opening from `from` (one open then counts from its start) until `until`.
    pub fn openings(&self, from: DateTime<Utc>, until: DateTime<Utc>) -> Vec<DateTime<Utc>> {
        let mut starts = Vec::new();
        let mut day = from - Duration::days(1);
        while day <= until {
            let start = self.opening_on(day);
            let length = Duration::hours(self.duration_hours.into());
            if self.opens_on(start.weekday()) && start + length > from && start <= until {
                starts.push(start);
            }
            day += Duration::days(1);
        }
        starts
    }

    /// "monday, thursday 02:00–06:00 UTC", for people.
    pub fn describe(&self) -> String {
        let days = if self.days.len() == 7 {
            "every day".to_string()
        } else {
            self.days.join(", ")
        };
        let end = (self.start_hour + self.duration_hours) % 24;
        format!("{days} {:02}:00–{end:02}:00 UTC", self.start_hour)
    }
}

/// What a maintenance exclusion keeps from happening while it is in force.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExclusionScope {
    /// No upgrade at all (patch or minor, started by anyone or automatically).
    NoUpgrades,
    /// No minor upgrade (patches still may).
    NoMinorUpgrades,
    /// Nothing that replaces nodes: lifespan replacements and upgrades.
    NoNodeReplacement,
}

impl ExclusionScope {
    pub fn as_str(self) -> &'static str {
        match self {
            ExclusionScope::NoUpgrades => "no_upgrades",
            ExclusionScope::NoMinorUpgrades => "no_minor_upgrades",
            ExclusionScope::NoNodeReplacement => "no_node_replacement",
        }
    }

    pub fn parse(text: &str) -> Option<ExclusionScope> {
        [
            ExclusionScope::NoUpgrades,
            ExclusionScope::NoMinorUpgrades,
            ExclusionScope::NoNodeReplacement,
        ]
        .into_iter()
        .find(|scope| scope.as_str() == text)
    }

    /// "no upgrades", for people.
    pub fn words(self) -> &'static str {
        match self {
            ExclusionScope::NoUpgrades => "no upgrades",
            ExclusionScope::NoMinorUpgrades => "no minor upgrades",
            ExclusionScope::NoNodeReplacement => "no node replacement",
        }
    }

    /// Whether it holds node replacements for lifespan.
    pub fn holds_replacements(self) -> bool {
        self == ExclusionScope::NoNodeReplacement
    }

    /// Whether it holds an upgrade (a minor one when `minor`).
    pub fn holds_upgrade(self, minor: bool) -> bool {
        match self {
            ExclusionScope::NoUpgrades | ExclusionScope::NoNodeReplacement => true,
            ExclusionScope::NoMinorUpgrades => minor,
        }
    }
}

/// The longest exclusion, in days.
pub const MAX_EXCLUSION_DAYS: i64 = 90;

/// A date range during which a cluster is left alone, in part.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Exclusion {
    pub id: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub scope: ExclusionScope,
    pub reason: String,
}

impl Exclusion {
    pub fn in_force(&self, at: DateTime<Utc>) -> bool {
        self.starts_at <= at && at < self.ends_at
    }

    /// "no node replacement until 2026-12-24 00:00 UTC (code freeze)".
    pub fn describe(&self) -> String {
        let reason = if self.reason.is_empty() {
            String::new()
        } else {
            format!(" ({})", self.reason)
        };
        format!(
            "maintenance exclusion: {} from {} until {}{reason}",
            self.scope.words(),
            self.starts_at.format("%Y-%m-%d %H:%M UTC"),
            self.ends_at.format("%Y-%m-%d %H:%M UTC")
        )
    }

    /// The exclusion as given, or why not: it ends after it starts, in the future, and lasts
    /// at most 90 days.
    pub fn validated(self, now: DateTime<Utc>) -> Result<Self, DomainError> {
        if self.ends_at <= self.starts_at {
            return Err(DomainError::invalid(
                "ends_at",
                "constraint",
                "an exclusion ends after it starts",
            ));
        }
        if self.ends_at <= now {
            return Err(DomainError::invalid(
                "ends_at",
                "constraint",
                "an exclusion that has already ended would exclude nothing",
            ));
        }
        if self.ends_at - self.starts_at > Duration::days(MAX_EXCLUSION_DAYS) {
            return Err(DomainError::invalid(
                "ends_at",
                "constraint",
                format!("an exclusion lasts at most {MAX_EXCLUSION_DAYS} days: keeping a cluster from its updates longer leaves it behind"),
            ));
        }
        if self.reason.chars().count() > 200 {
            return Err(DomainError::invalid(
                "reason",
                "constraint",
                "the reason is at most 200 characters",
            ));
        }
        Ok(self)
    }
}

/// The first exclusion in force at `at` that holds node replacements, if any.
pub fn replacement_hold(exclusions: &[Exclusion], at: DateTime<Utc>) -> Option<&Exclusion> {
    exclusions
        .iter()
        .find(|e| e.scope.holds_replacements() && e.in_force(at))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().expect("time")
    }

    fn window(days: &[&str], start_hour: u32, duration_hours: u32) -> MaintenanceWindow {
        MaintenanceWindow {
            days: days.iter().map(|d| d.to_string()).collect(),
            start_hour,
            duration_hours,
        }
        .validated()
        .expect("valid")
    }

    #[test]
    fn a_window_is_open_from_its_hour_for_its_duration_on_its_days() {
        // 2026-11-30 is a Monday.
        let w = window(&["monday"], 2, 3);
        assert!(!w.is_open(at("2026-11-30T01:59:59Z")));
        assert!(w.is_open(at("2026-11-30T02:00:00Z")));
        assert!(w.is_open(at("2026-11-30T04:59:59Z")));
        assert!(!w.is_open(at("2026-11-30T05:00:00Z")));
        assert!(!w.is_open(at("2026-12-01T03:00:00Z")), "not on tuesday");
        assert_eq!(
            w.next_open(at("2026-11-30T05:00:00Z")),
            at("2026-12-07T02:00:00Z")
        );
        assert_eq!(
            w.next_open(at("2026-11-30T03:00:00Z")),
            at("2026-11-30T03:00:00Z")
        );
    }

    #[test]
    fn a_window_past_midnight_stays_open_into_the_next_day() {
        let w = window(&["sunday"], 22, 4);
        // Sunday 2026-11-29 22:00 → Monday 02:00.
        assert!(w.is_open(at("2026-11-30T01:00:00Z")));
        assert_eq!(
            w.open_since(at("2026-11-30T01:00:00Z")),
            Some(at("2026-11-29T22:00:00Z"))
        );
        assert!(!w.is_open(at("2026-11-30T02:00:00Z")));
        assert_eq!(w.describe(), "sunday 22:00–02:00 UTC");
    }

    #[test]
    fn bad_windows_are_refused_with_the_field_named() {
        for (bad, field) in [
            (
                MaintenanceWindow {
                    days: vec![],
                    start_hour: 1,
                    duration_hours: 3,
                },
                "days",
            ),
            (
                MaintenanceWindow {
                    days: vec!["funday".into()],
                    start_hour: 1,
                    duration_hours: 3,
                },
                "days",
            ),
            (
                MaintenanceWindow {
                    days: vec!["monday".into()],
                    start_hour: 24,
                    duration_hours: 3,
                },
                "start_hour",
            ),
            (
                MaintenanceWindow {
                    days: vec!["monday".into()],
                    start_hour: 1,
                    duration_hours: 1,
                },
                "duration_hours",
            ),
        ] {
            let error = bad.validated().expect_err("refused");
            assert!(
                error.to_string().contains(field) || format!("{error:?}").contains(field),
                "{error:?}"
            );
        }
        assert_eq!(window(&["any"], 0, 4), MaintenanceWindow::default());
    }

    #[test]
    fn openings_list_every_window_in_a_range() {
        let w = window(&["monday", "thursday"], 2, 2);
        let starts = w.openings(at("2026-11-30T00:00:00Z"), at("2026-12-07T23:00:00Z"));
        assert_eq!(
            starts,
            vec![
                at("2026-11-30T02:00:00Z"),
                at("2026-12-03T02:00:00Z"),
                at("2026-12-07T02:00:00Z")
            ]
        );
    }
}
