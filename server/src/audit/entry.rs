//! An entry of an organization's audit log: a [`Change`] with its place in the log (`seq`, from
//! 0, one sequence per organization) and its time. Its canonical form (RFC 8785, JSON
//! Canonicalization Scheme) is what is stored, exported and hashed as the Merkle leaf, so any
//! verifier that canonicalizes the same JSON the same way gets the same hash.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};

use super::merkle::{leaf_hash, Hash};
use crate::domain::change::Change;

/// The fields every entry has (the change's own fields follow them in the object).
pub const SEQ: &str = "seq";
pub const TIME: &str = "time";
pub const ORGANIZATION: &str = "organization_id";

/// The entry's JSON object: `seq`, `time`, `organization_id`, then the change's fields
/// (`actor`, `source`, `action`, `target`, `before`, `after`, `outcome`, `reason`).
pub fn entry_value(seq: u64, time: DateTime<Utc>, change: &Change) -> Value {
    let mut object = match serde_json::to_value(change) {
        Ok(Value::Object(object)) => object,
        // A Change always serializes to an object; nothing else can reach here.
        _ => Map::new(),
    };
    object.insert(SEQ.into(), Value::from(seq));
    object.insert(TIME.into(), Value::from(format_time(time)));
    object.insert(
        ORGANIZATION.into(),
        Value::from(change.target.organization_id.clone()),
    );
    Value::Object(object)
}

/// Times as entries and checkpoints write them: RFC 3339, UTC, milliseconds.
pub fn format_time(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The canonical bytes of any JSON value (RFC 8785).
pub fn canonical(value: &Value) -> Vec<u8> {
    // Serializing a `Value` cannot fail: its keys are strings and its numbers are finite.
    serde_jcs::to_vec(value).unwrap_or_default()
}

/// The canonical text of an entry, as stored and exported.
pub fn canonical_text(value: &Value) -> String {
    String::from_utf8(canonical(value)).unwrap_or_default()
}

/// The entry's Merkle leaf hash: over its canonical form.
pub fn entry_leaf(value: &Value) -> Hash {
    leaf_hash(&canonical(value))
}

/// The log position an entry claims, if it claims one.
pub fn seq_of(value: &Value) -> Option<u64> {
    value.get(SEQ)?.as_u64()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::change::{Actor, ChangeContext, Interface, Outcome, Source, Target};
    use serde_json::json;

    #[test]
    fn an_entry_is_canonical_json_with_its_place_and_time_first_class() {
        let context = ChangeContext::new(
            Actor::Person {
                user_id: "u1".into(),
                email: "kim@example.com".into(),
            },
            Source::of(Interface::Console),
        );
        let change = Change {
            actor: context.actor,
            source: context.source,
            action: "cluster.update",
            target: Target {
                organization_id: "org-1".into(),
                project_id: Some("p1".into()),
                kind: "cluster",
                id: "c1".into(),
                cluster_id: Some("c1".into()),
            },
            before: Some(json!({ "name": "a", "ratio": 0.5 })),
            after: Some(json!({ "name": "b", "ratio": 1e21 })),
            outcome: Outcome::Done,
        };
        let time = DateTime::parse_from_rfc3339("2026-11-01T08:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let text = canonical_text(&entry_value(7, time, &change));
        assert_eq!(
            text,
            r#"{"action":"cluster.update","actor":{"email":"kim@example.com","kind":"person","user_id":"u1"},"after":{"name":"b","ratio":1e+21},"before":{"name":"a","ratio":0.5},"organization_id":"org-1","outcome":"done","seq":7,"source":{"interface":"console"},"target":{"cluster_id":"c1","id":"c1","kind":"cluster","organization_id":"org-1","project_id":"p1"},"time":"2026-11-01T08:00:00.000Z"}"#
        );
        let reparsed: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            canonical_text(&reparsed),
            text,
            "canonical is a fixed point"
        );
        assert_eq!(seq_of(&reparsed), Some(7));
    }
}
