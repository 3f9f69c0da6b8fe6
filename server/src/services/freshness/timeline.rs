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
        starts_at: r.replaced_from,
        ends_at: r.replaced_from + Duration::minutes(15),
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
                starts_at: at,
                ends_at: at + Duration::hours(1),
                summary: format!("Patch auto-upgrade to {next} (if its pre-flight passes)"),
            });
        }
    }
    entries.sort_by(|a, b| a.starts_at.cmp(&b.starts_at).then(a.kind.cmp(b.kind)));
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
        out.push_str(&folded(&format!(
            "UID:{}-{}-{}@wheelhouse",
            cluster_id,
            entry.kind,
            stamp(entry.starts_at)
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
    use super::*;

    #[test]
    fn ical_lines_are_escaped_folded_and_end_with_crlf() {
        let at: DateTime<Utc> = "2026-12-01T02:00:00Z".parse().unwrap();
        let entries = vec![TimelineEntry {
            kind: "replacement",
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
}
