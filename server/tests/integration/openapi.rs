//! The extension API's OpenAPI document (`/api/openapi.json`): no `default` that its own schema
//! refuses, and schemas as strict as the API. Each bound the document states is the service's
//! constant where there is one, and the API accepts the bound and refuses one past it.
//! (end2end/tests/openapi.spec.ts runs an independent OpenAPI validator on the served document.)

use serde_json::{json, Value};
use wheelhouse::services::freshness::{
    autoheal::DEFAULT_CAP_PERCENT, lifespan::MIN_MAX_NODE_AGE_DAYS, MAX_MAX_NODE_AGE_DAYS,
};
use wheelhouse::services::maintenance::window::{Exclusion, ExclusionScope, MIN_DURATION_HOURS};
use wheelhouse::services::maintenance::MaintenanceWindow;
use wheelhouse::services::upgrade::{OVERRIDE_REASON_MAX, SOAK_DAYS_MAX};

use crate::support::{test_start_time, TestApp, TestDatabase};

const REGION: &str = "/api/v1/regions/fr-par";
/// Ids nothing has: a request that passes validation ends in 404.
const NO_CLUSTER: &str = "00000000-0000-4000-8000-000000000001";
const NO_POOL: &str = "00000000-0000-4000-8000-000000000002";

async fn document(app: &TestApp) -> Value {
    let (response, body) = app.get("/api/openapi.json").await;
    assert_eq!(response.status(), 200);
    serde_json::from_str(&body).expect("json")
}

fn property<'a>(document: &'a Value, schema: &str, name: &str) -> &'a Value {
    let property = &document["components"]["schemas"][schema]["properties"][name];
    assert!(property.is_object(), "{schema}.{name} in {document}");
    property
}

/// A numeric keyword of a property (`minimum`, `maxLength`…).
fn bound(document: &Value, schema: &str, name: &str, keyword: &str) -> i64 {
    property(document, schema, name)[keyword]
        .as_i64()
        .unwrap_or_else(|| panic!("{schema}.{name} has no {keyword}"))
}

/// Every schema object in the document, with where it is.
fn schemas(at: String, value: &Value, found: &mut Vec<(String, Value)>) {
    let Some(object) = value.as_object() else {
        return;
    };
    found.push((at.clone(), value.clone()));
    for (key, child) in object {
        match key.as_str() {
            "properties" => {
                for (name, property) in child.as_object().into_iter().flatten() {
                    schemas(format!("{at}.{name}"), property, found);
                }
            }
            "items" | "additionalProperties" => schemas(format!("{at}[]"), child, found),
            "allOf" | "oneOf" | "anyOf" => {
                for (i, branch) in child.as_array().into_iter().flatten().enumerate() {
                    schemas(format!("{at}/{key}/{i}"), branch, found);
                }
            }
            _ => {}
        }
    }
}

/// Whether a value is one a schema's `type`, `enum` and bounds allow (the keywords the
/// document uses; `$ref`s are not followed).
fn allows(schema: &Value, value: &Value) -> bool {
    let kind = match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    let typed = match &schema["type"] {
        Value::String(t) => t == kind || (t == "number" && kind == "integer"),
        Value::Array(types) => types
            .iter()
            .any(|t| t == kind || (t == "number" && kind == "integer")),
        _ => true,
    };
    let listed = schema["enum"]
        .as_array()
        .is_none_or(|values| values.contains(value));
    let number = value.as_f64();
    let in_range = number.is_none_or(|n| {
        schema["minimum"].as_f64().is_none_or(|min| n >= min)
            && schema["maximum"].as_f64().is_none_or(|max| n <= max)
    });
    let length = value.as_str().map(|s| s.chars().count() as u64);
    let in_length = length.is_none_or(|n| {
        schema["minLength"].as_u64().is_none_or(|min| n >= min)
            && schema["maxLength"].as_u64().is_none_or(|max| n <= max)
    });
    typed && listed && in_range && in_length
}

/// `WHEELHOUSE_OPENAPI_DUMP=/path/openapi.json cargo test -p wheelhouse --test integration
/// openapi::` also writes the document there, for a validator to read.
#[tokio::test]
async fn start_body_version_is_required_without_a_default() {
    let test_database = TestDatabase::sqlite().await;
    let app = TestApp::new(test_database.database.clone());
    let document = document(&app).await;
    if let Ok(path) = std::env::var("WHEELHOUSE_OPENAPI_DUMP") {
        let text = serde_json::to_string_pretty(&document).expect("json");
        std::fs::write(&path, text).expect("write the document");
    }
    assert!(document["openapi"]
        .as_str()
        .is_some_and(|v| v.starts_with("3.")));

    let start = &document["components"]["schemas"]["StartBody"];
    assert_eq!(start["required"], json!(["version"]), "{start}");
    let version = property(&document, "StartBody", "version");
    assert_eq!(version["type"], "string", "{version}");
    assert!(version.get("default").is_none(), "{version}");
    assert_eq!(version["minLength"], 1, "{version}");
    // The defaults the handler applies, not `null`.
    assert_eq!(
        property(&document, "StartBody", "upgrade_pools")["default"],
        true
    );
    assert_eq!(property(&document, "StartBody", "soak_days")["default"], 0);
    test_database.cleanup().await;
}

#[tokio::test]
async fn no_default_contradicts_its_schema() {
    let test_database = TestDatabase::sqlite().await;
    let app = TestApp::new(test_database.database.clone());
    let document = document(&app).await;
    let mut found = Vec::new();
    for (name, schema) in document["components"]["schemas"]
        .as_object()
        .expect("schemas")
    {
        schemas(name.clone(), schema, &mut found);
    }
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (verb, operation) in item.as_object().expect("path item") {
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                let at = format!("{verb} {path} ?{}", parameter["name"]);
                schemas(at, &parameter["schema"], &mut found);
            }
        }
    }
    assert!(found.len() > 50, "{} schemas", found.len());
    let mut problems = Vec::new();
    for (at, schema) in &found {
        if let Some(default) = schema.get("default") {
            if !allows(schema, default) {
                problems.push(format!("{at}: default {default} outside {schema}"));
            }
        }
        for required in schema["required"].as_array().into_iter().flatten() {
            let name = required.as_str().expect("a property name");
            if schema["properties"][name].get("default").is_some() {
                problems.push(format!("{at}.{name}: required, with a default"));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
    test_database.cleanup().await;
}

#[tokio::test]
async fn the_bounds_are_the_services_constants() {
    let test_database = TestDatabase::sqlite().await;
    let app = TestApp::new(test_database.database.clone());
    let d = document(&app).await;
    let int = |v: u32| i64::from(v);
    assert_eq!(bound(&d, "StartBody", "soak_days", "minimum"), 0);
    assert_eq!(
        bound(&d, "StartBody", "soak_days", "maximum"),
        int(SOAK_DAYS_MAX)
    );
    for body in ["StartBody", "RollbackBody"] {
        assert_eq!(
            bound(&d, body, "override_reason", "maxLength"),
            OVERRIDE_REASON_MAX as i64
        );
    }
    assert_eq!(
        bound(&d, "LifespanBody", "max_node_age_days", "minimum"),
        int(MIN_MAX_NODE_AGE_DAYS)
    );
    assert_eq!(
        bound(&d, "LifespanBody", "max_node_age_days", "maximum"),
        int(MAX_MAX_NODE_AGE_DAYS)
    );
    assert_eq!(
        bound(&d, "WindowBody", "duration_hours", "minimum"),
        int(MIN_DURATION_HOURS)
    );
    assert_eq!(
        property(&d, "AutohealingBody", "cap_percent")["default"],
        DEFAULT_CAP_PERCENT
    );
    assert_eq!(
        d["components"]["schemas"]["ExclusionScope"]["enum"],
        json!(["no_upgrades", "no_minor_upgrades", "no_node_replacement"])
    );
    for scope in [
        ExclusionScope::NoUpgrades,
        ExclusionScope::NoMinorUpgrades,
        ExclusionScope::NoNodeReplacement,
    ] {
        let listed = d["components"]["schemas"]["ExclusionScope"]["enum"]
            .as_array()
            .expect("enum")
            .contains(&json!(scope.as_str()));
        assert!(listed, "{}", scope.as_str());
    }

    // The window's rules, from the service's own check.
    let window = |days: Vec<String>, start_hour: i64, duration_hours: i64| MaintenanceWindow {
        days,
        start_hour: u32::try_from(start_hour).expect("hour"),
        duration_hours: u32::try_from(duration_hours).expect("hours"),
    };
    let days = d["components"]["schemas"]["WindowDay"]["enum"]
        .as_array()
        .expect("WindowDay enum")
        .iter()
        .map(|day| day.as_str().expect("a day").to_string())
        .collect::<Vec<_>>();
    assert_eq!(days.len(), 8, "{days:?}");
    for day in &days {
        assert!(window(vec![day.clone()], 0, 4).validated().is_ok(), "{day}");
    }
    assert!(window(vec!["funday".into()], 0, 4).validated().is_err());
    assert_eq!(property(&d, "WindowBody", "days")["minItems"], 1);
    assert!(window(vec![], 0, 4).validated().is_err());
    let monday = || vec!["monday".to_string()];
    let hour = |k| bound(&d, "WindowBody", "start_hour", k);
    let hours = |k| bound(&d, "WindowBody", "duration_hours", k);
    assert!(window(monday(), hour("minimum"), 4).validated().is_ok());
    assert!(window(monday(), hour("maximum"), 4).validated().is_ok());
    assert!(window(monday(), hour("maximum") + 1, 4)
        .validated()
        .is_err());
    assert!(window(monday(), 0, hours("minimum")).validated().is_ok());
    assert!(window(monday(), 0, hours("minimum") - 1)
        .validated()
        .is_err());
    assert!(window(monday(), 0, hours("maximum")).validated().is_ok());
    assert!(window(monday(), 0, hours("maximum") + 1)
        .validated()
        .is_err());

    // The exclusion's reason, likewise.
    let reason = bound(&d, "ExclusionBody", "reason", "maxLength") as usize;
    let exclusion = |reason: String| Exclusion {
        id: "x".into(),
        starts_at: test_start_time() + chrono::Duration::days(1),
        ends_at: test_start_time() + chrono::Duration::days(2),
        scope: ExclusionScope::NoUpgrades,
        reason,
    };
    let now = test_start_time();
    assert!(exclusion("é".repeat(reason)).validated(now).is_ok());
    assert!(exclusion("é".repeat(reason + 1)).validated(now).is_err());
    test_database.cleanup().await;
}

/// The API refuses `body` with 400 naming `field`.
async fn refused(app: &TestApp, token: &str, method: &str, path: &str, body: Value, field: &str) {
    let (status, answer) = app.api(method, path, token, Some(body.clone())).await;
    assert_eq!(status, 400, "{method} {path} {body}: {answer}");
    assert_eq!(
        answer["details"][0]["argument_name"], field,
        "{method} {path} {body}: {answer}"
    );
}

/// The API takes `body` past validation (and then finds no such cluster or pool).
async fn accepted(app: &TestApp, token: &str, method: &str, path: &str, body: Value) {
    let (status, answer) = app.api(method, path, token, Some(body.clone())).await;
    assert_eq!(status, 404, "{method} {path} {body}: {answer}");
}

#[tokio::test]
async fn the_api_takes_each_bound_and_refuses_past_it() {
    let test_database = TestDatabase::sqlite().await;
    let app = TestApp::new(test_database.database.clone());
    let token = app.api_key("openapi").await;
    let d = document(&app).await;
    let t = token.as_str();
    let app = &app;

    // Numbers: the bound is accepted, one past it refused, for each bound the schema states.
    let numbers = [
        (
            "AutohealingBody",
            "cap_percent",
            "PUT",
            format!("{REGION}/pools/{NO_POOL}/autohealing"),
            json!({ "enabled": true }),
        ),
        (
            "LifespanBody",
            "max_node_age_days",
            "PUT",
            format!("{REGION}/pools/{NO_POOL}/lifespan"),
            json!({}),
        ),
        (
            "StartBody",
            "soak_days",
            "POST",
            format!("{REGION}/clusters/{NO_CLUSTER}/upgrades"),
            json!({ "version": "1.35.1" }),
        ),
        (
            "WindowBody",
            "start_hour",
            "PUT",
            format!("{REGION}/clusters/{NO_CLUSTER}/maintenance-window"),
            json!({ "days": ["monday"], "duration_hours": 4 }),
        ),
        (
            "WindowBody",
            "duration_hours",
            "PUT",
            format!("{REGION}/clusters/{NO_CLUSTER}/maintenance-window"),
            json!({ "days": ["monday"], "start_hour": 2 }),
        ),
    ];
    for (schema, field, method, path, base) in &numbers {
        let with = |value: i64| {
            let mut body = base.clone();
            body[*field] = json!(value);
            body
        };
        let min = bound(&d, schema, field, "minimum");
        let max = bound(&d, schema, field, "maximum");
        accepted(app, t, method, path, with(min)).await;
        accepted(app, t, method, path, with(max)).await;
        refused(app, t, method, path, with(min - 1), field).await;
        refused(app, t, method, path, with(max + 1), field).await;
    }

    // Lengths.
    let exclusion = json!({
        "starts_at": "2026-12-01T00:00:00Z",
        "ends_at": "2026-12-02T00:00:00Z",
        "scope": "no_upgrades",
    });
    let lengths = [
        (
            "StartBody",
            "override_reason",
            "POST",
            format!("{REGION}/clusters/{NO_CLUSTER}/upgrades"),
            json!({ "version": "1.35.1" }),
        ),
        (
            "RollbackBody",
            "override_reason",
            "POST",
            format!("{REGION}/clusters/{NO_CLUSTER}/rollbacks"),
            json!({}),
        ),
        (
            "ExclusionBody",
            "reason",
            "POST",
            format!("{REGION}/clusters/{NO_CLUSTER}/maintenance-exclusions"),
            exclusion,
        ),
    ];
    for (schema, field, method, path, base) in &lengths {
        let with = |length: usize| {
            let mut body = base.clone();
            body[*field] = json!("x".repeat(length));
            body
        };
        let max = bound(&d, schema, field, "maxLength") as usize;
        accepted(app, t, method, path, with(max)).await;
        refused(app, t, method, path, with(max + 1), field).await;
    }

    // The version an upgrade starts: required, not blank.
    let upgrades = format!("{REGION}/clusters/{NO_CLUSTER}/upgrades");
    for body in [
        json!({}),
        json!({ "version": null }),
        json!({ "version": "" }),
        json!({ "version": "  " }),
    ] {
        refused(app, t, "POST", &upgrades, body, "version").await;
    }

    // The window's days: any value of the enum, at least one, nothing else.
    let window = format!("{REGION}/clusters/{NO_CLUSTER}/maintenance-window");
    let days = |days: Value| json!({ "days": days, "start_hour": 2, "duration_hours": 4 });
    for day in d["components"]["schemas"]["WindowDay"]["enum"]
        .as_array()
        .expect("WindowDay enum")
    {
        accepted(app, t, "PUT", &window, days(json!([day]))).await;
    }
    refused(app, t, "PUT", &window, days(json!([])), "days").await;
    refused(app, t, "PUT", &window, days(json!(["funday"])), "days").await;
    test_database.cleanup().await;
}
