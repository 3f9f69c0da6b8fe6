//! A cluster's maintenance timeline for the next 30 days (the window's openings, exclusions,
//! planned node replacements, the next patch auto-upgrade) and its iCalendar form (RFC 5545),
//! so owners can put it in their own calendars.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::lifespan::PREVIEW_DAYS;
use super::FreshnessReport;

#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TimelineEntry {
    /// window, exclusion, replacement or auto_upgrade.
    pub kind: &'static str,
    /// What the event is about, the same on every render: the kind and the window's opening,
    /// the exclusion's id, the replaced node's id or the patch's version (with the cluster's
    /// id, its calendar UID).
    pub id: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub summary: String,
}

/// Everything planned from `now` for the next 30 days, in time order.
pub fn timeline(report: &FreshnessReport, now: DateTime<Utc>) -> Vec<TimelineEntry> {
    let until = now + Duration::days(PREVIEW_DAYS);
    let length = Duration::hours(report.window.duration_hours.into());
    let mut entries: Vec<TimelineEntry> = report
        .window
        .openings(now, until)
        .into_iter()
        .map(|start| TimelineEntry {
            kind: "window",
            id: format!("window-{}", stamp(start)),
            starts_at: start,
            ends_at: start + length,
            summary: format!("Maintenance window ({})", report.window.describe()),
        })
        .collect();
    entries.extend(
        report
            .exclusions
            .iter()
            .filter(|e| e.starts_at < until)
            .map(|e| TimelineEntry {
                kind: "exclusion",
                id: format!("exclusion-{}", e.id),
                starts_at: e.starts_at,
                ends_at: e.ends_at,
                summary: format!("Maintenance exclusion: {}", e.scope.words())
                    + &if e.reason.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", e.reason)
                    },
            }),
    );
    entries.extend(report.planned.iter().map(|r| TimelineEntry {
        kind: "replacement",
        id: format!("replacement-{}", r.node_id),
        starts_at: r.replaced_from,
        ends_at: r.replaced_until,
        summary: format!(
            "Replace node {} of pool {} ({})",
            r.node_name, r.pool_name, r.reason
        ),
    }));
    if let (true, Some(next)) = (report.auto_upgrade.enabled, &report.auto_upgrade.next_patch) {
        let mut at = report.window.next_open(now);
        while let Some(hold) = report
            .exclusions
            .iter()
            .find(|e| e.in_force(at) && e.scope.holds_upgrade(false))
        {
            at = report.window.next_open(hold.ends_at);
        }
        if at < until {
            entries.push(TimelineEntry {
                kind: "auto_upgrade",
                id: format!("auto-upgrade-{next}"),
                starts_at: at,
                ends_at: at + Duration::hours(1),
                summary: format!("Patch auto-upgrade to {next} (if its pre-flight passes)"),
            });
        }
    }
    entries.sort_by(|a, b| {
        a.starts_at
            .cmp(&b.starts_at)
            .then(a.kind.cmp(b.kind))
            .then(a.id.cmp(&b.id))
    });
    entries
}

/// Text as an iCalendar value: backslash, semicolon, comma and newlines escaped.
fn escaped(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace('\n', "\\n")
}

fn stamp(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

/// Long lines folded at 75 octets, as RFC 5545 asks (continuations start with a space).
fn folded(line: &str) -> String {
    let mut out = String::new();
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
    out
}

/// The timeline as an iCalendar file for one cluster.
pub fn to_ical(
    cluster_id: &str,
    cluster_name: &str,
    entries: &[TimelineEntry],
    now: DateTime<Utc>,
) -> String {
    let mut out = String::new();
    for line in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Wheelhouse//Maintenance timeline//EN",
        "CALSCALE:GREGORIAN",
    ] {
        out.push_str(&folded(line));
    }
    out.push_str(&folded(&format!(
        "X-WR-CALNAME:{}",
        escaped(&format!("Maintenance of {cluster_name}"))
    )));
    for entry in entries {
        out.push_str(&folded("BEGIN:VEVENT"));
        // Unique per event and kept across renders (RFC 5545 § 3.8.4.7), so a calendar that
        // subscribes updates an event when its time moves instead of merging two into one.
        out.push_str(&folded(&format!(
            "UID:{}-{}@wheelhouse",
            cluster_id,
            escaped(&entry.id)
        )));
        out.push_str(&folded(&format!("DTSTAMP:{}", stamp(now))));
        out.push_str(&folded(&format!("DTSTART:{}", stamp(entry.starts_at))));
        out.push_str(&folded(&format!("DTEND:{}", stamp(entry.ends_at))));
        out.push_str(&folded(&format!(
            "SUMMARY:{}",
            escaped(&format!("{cluster_name}: {}", entry.summary))
        )));
        out.push_str(&folded(&format!(
            "CATEGORIES:{}",
            entry.kind.to_uppercase()
        )));
        out.push_str(&folded("END:VEVENT"));
    }
    out.push_str(&folded("END:VCALENDAR"));
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::services::freshness::lifespan::{preview, FreshnessSubject};
    use crate::services::freshness::AutoUpgrade;
    use crate::services::maintenance::{Exclusion, ExclusionScope, MaintenanceWindow};
    use crate::services::upgrade::synthetic::{cluster, epoch, node, pool};

    #[test]
    fn ical_lines_are_escaped_folded_and_end_with_crlf() {
        let at: DateTime<Utc> = "2026-12-01T02:00:00Z".parse().unwrap();
        let entries = vec![TimelineEntry {
            kind: "replacement",
            id: "replacement-n1".into(),
            starts_at: at,
            ends_at: at + Duration::minutes(15),
            summary: format!("Replace node a, b; c {}", "x".repeat(120)),
        }];
        let ics = to_ical("c1", "shop", &entries, at);
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"));
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
        assert!(ics.contains("DTSTART:20261201T020000Z\r\n"));
        assert!(ics.contains("Replace node a\\, b\\; c"));
        for line in ics.split("\r\n") {
            assert!(line.len() <= 75, "{line}");
        }
        assert!(!ics.replace("\r\n", "").contains('\n'));
    }

    /// A report for cluster "c" from what a preview plans over these pools and nodes.
    fn report_of(
        pools: &[crate::domain::model::Pool],
        nodes: &[crate::domain::model::Node],
        exclusions: Vec<Exclusion>,
        now: DateTime<Utc>,
    ) -> FreshnessReport {
        let lifespans: HashMap<String, Duration> = pools
            .iter()
            .map(|p| (p.id.clone(), Duration::days(1)))
            .collect();
        let cluster = cluster("1.34.2");
        let window = MaintenanceWindow::default();
        let subject = FreshnessSubject {
            now,
            cluster: &cluster,
            pools,
            nodes,
            lifespans: &lifespans,
            window: &window,
            pdbs: &[],
            exclusions: &exclusions,
            current_image: None,
        };
        FreshnessReport {
            cluster_id: cluster.id.clone(),
            window: window.clone(),
            window_set: false,
            window_open_now: window.is_open(now),
            window_next_open: window.next_open(now),
            pools: vec![],
            nodes: vec![],
            planned: preview(&subject),
            exclusions,
            current_os_image: None,
            auto_upgrade: AutoUpgrade {
                enabled: false,
                next_patch: None,
                waiting: None,
            },
            replaced: vec![],
            autohealing_stopped: vec![],
            unhealthy: vec![],
        }
    }

    /// The UID lines of an iCalendar file, unfolded.
    fn uids(ics: &str) -> Vec<String> {
        ics.replace("\r\n ", "")
            .split("\r\n")
            .filter_map(|line| line.strip_prefix("UID:"))
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn events_that_start_together_keep_distinct_uids_across_renders() {
        // Two pools' overdue nodes, both replaced when the window opens (pools replace side by
        // side); two exclusions that start together.
        let pools = vec![pool("a", "1.34.2", 0, 1, 0), pool("b", "1.34.2", 0, 1, 1)];
        let nodes = vec![node("a0", "a", "1.34.2", 0), node("b0", "b", "1.34.2", 0)];
        let now = epoch() + Duration::days(2) + Duration::hours(12);
        let exclusion = |id: &str, scope| Exclusion {
            id: id.into(),
            starts_at: now + Duration::days(10),
            ends_at: now + Duration::days(11),
            scope,
            reason: String::new(),
        };
        let exclusions = vec![
            exclusion("x1", ExclusionScope::NoMinorUpgrades),
            exclusion("x2", ExclusionScope::NoUpgrades),
        ];
        let report = report_of(&pools, &nodes, exclusions, now);
        let entries = timeline(&report, now);
        let replacements: Vec<&TimelineEntry> =
            entries.iter().filter(|e| e.kind == "replacement").collect();
        assert_eq!(replacements.len(), 2, "{entries:?}");
        assert_eq!(replacements[0].starts_at, replacements[1].starts_at);
        let ics = to_ical("c1", "shop", &entries, now);
        let first = uids(&ics);
        assert_eq!(first.len(), entries.len());
        let distinct: std::collections::HashSet<&String> = first.iter().collect();
        assert_eq!(distinct.len(), first.len(), "{first:#?}");
        // Rendered again an hour later (a new DTSTAMP, the same plan): the same UIDs.
        let later = now + Duration::hours(1);
        let again = uids(&to_ical("c1", "shop", &timeline(&report, later), later));
        assert_eq!(again, first);
        // Another cluster's calendar never shares one.
        let other = uids(&to_ical("c2", "shop", &entries, now));
        assert!(other.iter().all(|uid| !first.contains(uid)), "{other:?}");
    }
}
