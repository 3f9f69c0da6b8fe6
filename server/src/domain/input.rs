//! Request inputs are read strictly: every field has a type, nested objects must be JSON objects
//! (serde would otherwise accept `[1]` for a struct), and every string and list has a length
//! limit. Nothing reaches the store that a later read, or an SDK, could not decode.

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use super::error::Validation;

/// Longest free text a field takes (descriptions, claim names, prefixes).
pub const MAX_TEXT: usize = 255;
/// Most tags on one object, and the longest tag.
pub const MAX_TAGS: usize = 50;
pub const MAX_TAG_LENGTH: usize = 128;

/// Marks the path of a nested field inside a serde error message, so that [`parse_body`] can
/// name the field at fault (`autoscaler_config.expander`) although nested objects are
/// deserialised on their own (see [`object`]).
const PATH_MARK: char = '\u{1}';

/// Joins a nested field's path and its error into one message.
fn nested_error(path: &str, message: &str) -> String {
    match split_path(message) {
        Some((inner, rest)) => {
            let joined = if inner.starts_with('[') {
                format!("{path}{inner}")
            } else {
                format!("{path}.{inner}")
            };
            format!("{PATH_MARK}{joined}{PATH_MARK}{rest}")
        }
        None => format!("{PATH_MARK}{path}{PATH_MARK}{message}"),
    }
}

/// (path, message) of a message made by [`nested_error`].
fn split_path(message: &str) -> Option<(&str, &str)> {
    let rest = message.strip_prefix(PATH_MARK)?;
    rest.split_once(PATH_MARK)
}

fn deserialize_nested<T: DeserializeOwned>(value: Value) -> Result<T, String> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        let message = error.inner().to_string();
        if path == "." {
            message
        } else {
            nested_error(&path, &message)
        }
    })
}

/// A nested object (or null). Arrays, strings and numbers are refused with the found type.
pub fn object<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    match Value::deserialize(deserializer)? {
        Value::Null => Ok(None),
        value @ Value::Object(_) => deserialize_nested(value)
            .map(Some)
            .map_err(D::Error::custom),
        other => Err(D::Error::custom(format!(
            "expected a JSON object, found {}",
            json_kind(&other)
        ))),
    }
}

/// A list of nested objects (or null), each item checked as [`object`] does.
pub fn objects<'de, D, T>(deserializer: D) -> Result<Option<Vec<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    match Value::deserialize(deserializer)? {
        Value::Null => Ok(None),
        Value::Array(items) => items
            .into_iter()
            .enumerate()
            .map(|(index, item)| {
                let at = format!("[{index}]");
                match item {
                    value @ Value::Object(_) => deserialize_nested(value)
                        .map_err(|message| D::Error::custom(nested_error(&at, &message))),
                    other => Err(D::Error::custom(nested_error(
                        &at,
                        &format!("expected a JSON object, found {}", json_kind(&other)),
                    ))),
                }
            })
            .collect::<Result<Vec<T>, D::Error>>()
            .map(Some),
        other => Err(D::Error::custom(format!(
            "expected a JSON array, found {}",
            json_kind(&other)
        ))),
    }
}

pub fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Parses a request body into `T`, naming the field at fault (`pools[0].size: invalid type…`).
pub fn parse_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, super::DomainError> {
    let text: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    let value: Value = serde_json::from_slice(text).map_err(|error| {
        super::DomainError::invalid(
            "body",
            "constraint",
            format!("the request body is not valid JSON: {error}"),
        )
    })?;
    if !value.is_object() {
        return Err(super::DomainError::invalid(
            "body",
            "constraint",
            format!(
                "the request body must be a JSON object, not {}",
                json_kind(&value)
            ),
        ));
    }
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        let message = error.inner().to_string();
        let (argument, help) = match split_path(&message) {
            Some((inner, rest)) if inner.starts_with('[') => (format!("{path}{inner}"), rest),
            Some((inner, rest)) => (format!("{path}.{inner}"), rest),
            None => (path, message.as_str()),
        };
        let argument = if argument == "." {
            "body".to_string()
        } else {
            argument
        };
        // serde appends " at line 1 column N" to some messages: the field name says more.
        let help = help.split(" at line ").next().unwrap_or(help);
        super::DomainError::invalid(&argument, "constraint", help.to_string())
    })
}

/// Free text of at most `max` characters.
pub fn check_text(validation: &mut Validation, argument: &str, text: &str, max: usize) {
    validation.check(
        text.chars().count() <= max,
        argument,
        "constraint",
        format!("at most {max} characters"),
    );
}

/// Tags: at most [`MAX_TAGS`], each at most [`MAX_TAG_LENGTH`] characters, no control characters.
pub fn check_tags(validation: &mut Validation, argument: &str, tags: &[String]) {
    validation.check(
        tags.len() <= MAX_TAGS,
        argument,
        "constraint",
        format!("at most {MAX_TAGS} tags"),
    );
    for (index, tag) in tags.iter().enumerate() {
        validation.check(
            tag.chars().count() <= MAX_TAG_LENGTH && !tag.chars().any(char::is_control),
            &format!("{argument}[{index}]"),
            "constraint",
            format!("a tag is at most {MAX_TAG_LENGTH} printable characters"),
        );
    }
}

/// A list of at most `max_items` strings, each of at most `max_length` characters.
pub fn check_strings(
    validation: &mut Validation,
    argument: &str,
    items: &[String],
    max_items: usize,
    max_length: usize,
) {
    validation.check(
        items.len() <= max_items,
        argument,
        "constraint",
        format!("at most {max_items} items"),
    );
    for (index, item) in items.iter().enumerate() {
        check_text(
            validation,
            &format!("{argument}[{index}]"),
            item,
            max_length,
        );
    }
}

/// A UUID as Scaleway writes them (lower or upper case hex, with dashes).
pub fn is_uuid(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(index, byte)| {
            if matches!(index, 8 | 13 | 18 | 23) {
                *byte == b'-'
            } else {
                byte.is_ascii_hexdigit()
            }
        })
}

/// A DNS name (RFC 1123 labels) or an IP address: what a certificate SAN may hold.
pub fn is_dns_name_or_ip(text: &str) -> bool {
    if text.parse::<std::net::IpAddr>().is_ok() {
        return true;
    }
    let name = text.strip_prefix("*.").unwrap_or(text);
    !name.is_empty()
        && text.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// A Go duration such as `10m`, `1h30m` or `90s`, as the cluster autoscaler reads them.
pub fn is_go_duration(text: &str) -> bool {
    if text.is_empty() || text.len() > 32 {
        return false;
    }
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if digits == 0 || rest[..digits].parse::<f64>().is_err() {
            return false;
        }
        rest = &rest[digits..];
        let unit = ["ns", "us", "µs", "ms", "s", "m", "h"]
            .into_iter()
            .filter(|unit| rest.starts_with(unit))
            .max_by_key(|unit| unit.len());
        match unit {
            Some(unit) => rest = &rest[unit.len()..],
            None => return false,
        }
    }
    true
}

/// The cluster autoscaler's settings, Scaleway's `autoscaler_config`; every field optional in a
/// request (absent means "keep"), typed, and range-checked by [`check_autoscaler_config`].
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct AutoscalerConfigInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale_down_disabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale_down_delay_after_add: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimator: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expander: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignore_daemonsets_utilization: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub balance_similar_node_groups: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expendable_pods_priority_cutoff: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale_down_unneeded_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale_down_utilization_threshold: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_graceful_termination_sec: Option<u32>,
    /// Never scale down a node whose pods use local storage (emptyDir, hostPath).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skip_nodes_with_local_storage: Option<bool>,
    /// The autoscaler's log verbosity (its `--v`), 0 to [`MAX_AUTOSCALER_LOG_LEVEL`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_level: Option<u32>,
}

/// The most verbose log level the cluster autoscaler is run with.
pub const MAX_AUTOSCALER_LOG_LEVEL: u32 = 10;

pub const ESTIMATORS: &[&str] = &["unknown_estimator", "binpacking"];
pub const EXPANDERS: &[&str] = &[
    "unknown_expander",
    "random",
    "most_pods",
    "least_waste",
    "priority",
    "price",
];

pub fn check_autoscaler_config(validation: &mut Validation, config: &AutoscalerConfigInput) {
    for (field, value) in [
        (
            "scale_down_delay_after_add",
            &config.scale_down_delay_after_add,
        ),
        ("scale_down_unneeded_time", &config.scale_down_unneeded_time),
    ] {
        if let Some(value) = value {
            validation.check(
                is_go_duration(value),
                &format!("autoscaler_config.{field}"),
                "constraint",
                format!(
                    "`{}` is not a duration such as 10m or 1h30m",
                    shorten(value)
                ),
            );
        }
    }
    if let Some(estimator) = &config.estimator {
        validation.check(
            ESTIMATORS.contains(&estimator.as_str()),
            "autoscaler_config.estimator",
            "constraint",
            format!(
                "unknown estimator `{}`: use {}",
                shorten(estimator),
                ESTIMATORS.join(", ")
            ),
        );
    }
    if let Some(expander) = &config.expander {
        validation.check(
            EXPANDERS.contains(&expander.as_str()),
            "autoscaler_config.expander",
            "constraint",
            format!(
                "unknown expander `{}`: use {}",
                shorten(expander),
                EXPANDERS.join(", ")
            ),
        );
    }
    if let Some(threshold) = config.scale_down_utilization_threshold {
        validation.check(
            (0.0..=1.0).contains(&threshold),
            "autoscaler_config.scale_down_utilization_threshold",
            "constraint",
            "a share between 0 and 1",
        );
    }
    if let Some(seconds) = config.max_graceful_termination_sec {
        validation.check(
            seconds <= 86_400,
            "autoscaler_config.max_graceful_termination_sec",
            "constraint",
            "at most 86400 seconds (one day)",
        );
    }
    if let Some(level) = config.log_level {
        validation.check(
            level <= MAX_AUTOSCALER_LOG_LEVEL,
            "autoscaler_config.log_level",
            "constraint",
            format!("a log level from 0 to {MAX_AUTOSCALER_LOG_LEVEL}"),
        );
    }
}

/// OpenID Connect settings of the API server, Scaleway's `open_id_connect_config`.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct OidcConfigInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username_claim: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username_prefix: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups_claim: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups_prefix: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required_claim: Option<Vec<String>>,
}

pub fn check_oidc_config(validation: &mut Validation, config: &OidcConfigInput) {
    if let Some(url) = config.issuer_url.as_deref().filter(|url| !url.is_empty()) {
        validation.check(
            url.len() <= 2048
                && url::Url::parse(url).is_ok_and(|parsed| parsed.scheme() == "https"),
            "open_id_connect_config.issuer_url",
            "constraint",
            "the issuer is an https:// URL",
        );
    }
    for (field, value) in [
        ("client_id", &config.client_id),
        ("username_claim", &config.username_claim),
        ("username_prefix", &config.username_prefix),
        ("groups_prefix", &config.groups_prefix),
    ] {
        if let Some(value) = value {
            check_text(
                validation,
                &format!("open_id_connect_config.{field}"),
                value,
                MAX_TEXT,
            );
        }
    }
    for (field, value) in [
        ("groups_claim", &config.groups_claim),
        ("required_claim", &config.required_claim),
    ] {
        if let Some(items) = value {
            check_strings(
                validation,
                &format!("open_id_connect_config.{field}"),
                items,
                20,
                MAX_TEXT,
            );
        }
    }
}

/// The first characters of a user's value, for an error message that stays short.
pub fn shorten(text: &str) -> String {
    if text.chars().count() <= 40 {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(40).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Outer {
        #[serde(default, deserialize_with = "object")]
        inner: Option<AutoscalerConfigInput>,
    }

    #[test]
    fn nested_objects_refuse_arrays_and_strings() {
        assert!(parse_body::<Outer>(br#"{"inner": [1]}"#).is_err());
        assert!(parse_body::<Outer>(br#"{"inner": "x"}"#).is_err());
        assert!(parse_body::<Outer>(br#"[1]"#).is_err());
        assert!(parse_body::<Outer>(br#"{"inner": null}"#).is_ok_and(|o| o.inner.is_none()));
        assert!(parse_body::<Outer>(b"").is_ok());
    }

    #[test]
    fn the_field_at_fault_is_named() {
        let error = parse_body::<Outer>(br#"{"inner": {"expander": 3}}"#).unwrap_err();
        let super::super::DomainError::InvalidArguments(arguments) = error else {
            panic!("expected invalid arguments");
        };
        assert_eq!(arguments[0].argument_name, "inner.expander");
        assert!(arguments[0].help_message.contains("expected a string"));
        assert!(!arguments[0].help_message.contains('\u{1}'));
    }

    #[test]
    fn durations_uuids_and_names_are_recognised() {
        assert!(is_go_duration("10m"));
        assert!(is_go_duration("1h30m"));
        assert!(is_go_duration("1.5s"));
        assert!(!is_go_duration("x"));
        assert!(!is_go_duration("10"));
        assert!(!is_go_duration(""));
        assert!(is_uuid("0b3e4c4a-7a8b-4c5d-9e0f-1a2b3c4d5e6f"));
        assert!(!is_uuid("0b3e4c4a7a8b4c5d9e0f1a2b3c4d5e6f"));
        assert!(is_dns_name_or_ip("api.example.com"));
        assert!(is_dns_name_or_ip("10.0.0.1"));
        assert!(is_dns_name_or_ip("*.example.com"));
        assert!(!is_dns_name_or_ip("-bad-.example"));
        assert!(!is_dns_name_or_ip("with space"));
    }
}
