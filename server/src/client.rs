//! `wheelhouse k8s cluster …`: the CLI for cluster owners, a client of a Wheelhouse server's
//! extension API (`/api/v1/`) with a project's API key. It prints what the console shows: the
//! pre-flight verdict with its evidence, (with `--wait`) the progress until the end, and a
//! cluster's alerts with whose each is and what to do.

use std::time::Duration;

use serde_json::{json, Value};

use crate::cli::{ClusterCommand, ServerOptions};
use crate::serve::StartError;

struct Api {
    http: reqwest::Client,
    base: String,
    secret_key: String,
}

impl Api {
    fn new(server: &ServerOptions, cluster_id: &str) -> Api {
        Api {
            http: reqwest::Client::new(),
            base: format!(
                "{}/api/v1/regions/{}/clusters/{cluster_id}",
                server.url.trim_end_matches('/'),
                server.region
            ),
            secret_key: server.secret_key.clone(),
        }
    }

    async fn call(&self, request: reqwest::RequestBuilder) -> Result<Value, StartError> {
        let response = request
            .header("x-auth-token", &self.secret_key)
            .send()
            .await
            .map_err(|error| {
                StartError::Invalid(format!("the server could not be reached: {error}"))
            })?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if status.is_success() {
            return Ok(body);
        }
        let message = body["help_message"]
            .as_str()
            .or(body["message"].as_str())
            .unwrap_or("no explanation")
            .to_string();
        let details = body["details"]
            .as_array()
            .map(|details| {
                details
                    .iter()
                    .filter_map(|d| d["help_message"].as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .filter(|d| !d.is_empty())
            .map(|d| format!(" ({d})"))
            .unwrap_or_default();
        Err(StartError::Invalid(format!("{status}: {message}{details}")))
    }

    async fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<Value, StartError> {
        self.call(self.http.get(format!("{}/{path}", self.base)).query(query))
            .await
    }
}

fn print_report(report: &Value) {
    let verdict = match report["verdict"].as_str() {
        Some("go") => "GO",
        Some("go_with_warnings") => "GO with warnings",
        _ => "NO-GO",
    };
    println!(
        "Pre-flight {} → {}: {verdict}",
        report["from_version"].as_str().unwrap_or("?"),
        report["to_version"].as_str().unwrap_or("?")
    );
    for check in report["checks"].as_array().into_iter().flatten() {
        let mark = match check["status"].as_str() {
            Some("pass") => "pass",
            Some("warning") => "WARN",
            _ => "FAIL",
        };
        println!(
            "  [{mark}] {}: {}",
            check["title"].as_str().unwrap_or("?"),
            check["summary"].as_str().unwrap_or("")
        );
        for line in check["evidence"].as_array().into_iter().flatten() {
            println!("         - {}", line.as_str().unwrap_or(""));
        }
        if let Some(advice) = check["recommendation"].as_str() {
            if mark != "pass" {
                println!("         what to do: {advice}");
            }
        }
    }
}

fn progress_line(progress: &Value) -> String {
    let pools: Vec<String> = progress["pools"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|pool| {
            format!(
                "{} {} {}/{}",
                pool["name"].as_str().unwrap_or("?"),
                pool["stage"].as_str().unwrap_or("?"),
                pool["nodes_on_target"],
                pool["nodes_total"]
            )
        })
        .collect();
    format!(
        "control plane {} ({}); pools: {}",
        progress["control_plane_version"].as_str().unwrap_or("?"),
        progress["cluster_status"].as_str().unwrap_or("?"),
        if pools.is_empty() {
            "none".to_string()
        } else {
            pools.join(", ")
        }
    )
}

pub async fn run(command: ClusterCommand) -> Result<(), StartError> {
    match command {
        ClusterCommand::Preflight {
            cluster_id,
            version,
            server,
        } => {
            let api = Api::new(&server, &cluster_id);
            let report = api
                .get("upgrade-preflight", &[("version", version.as_str())])
                .await?;
            print_report(&report);
            if report["verdict"] == "no_go" {
                return Err(StartError::Invalid(
                    "NO-GO: the upgrade would break something (see above)".to_string(),
                ));
            }
            Ok(())
        }
        ClusterCommand::Upgrade {
            cluster_id,
            version,
            override_reason,
            soak_days,
            wait,
            server,
        } => {
            let api = Api::new(&server, &cluster_id);
            let report = api
                .get("upgrade-preflight", &[("version", version.as_str())])
                .await?;
            print_report(&report);
            let started = api
                .call(
                    api.http
                        .post(format!("{}/upgrades", api.base))
                        .json(&json!({
                            "version": version,
                            "override_reason": override_reason,
                            "soak_days": soak_days,
                        })),
                )
                .await?;
            println!(
                "Upgrade to {} started (verdict {}).",
                started["upgrade"]["to_version"]
                    .as_str()
                    .unwrap_or(&version),
                started["upgrade"]["verdict"].as_str().unwrap_or("?")
            );
            if let Some(until) = started["upgrade"]["soak_until"].as_str() {
                println!("Soaking until {until}: `wheelhouse k8s cluster rollback {cluster_id}` takes it back until then.");
            }
            if wait {
                follow(&api, "Upgrade", &version).await?;
            }
            Ok(())
        }
        ClusterCommand::Rollback {
            cluster_id,
            pool,
            override_reason,
            wait,
            server,
        } => {
            let api = Api::new(&server, &cluster_id);
            let scope: Vec<(&str, &str)> = pool.iter().map(|id| ("pool_id", id.as_str())).collect();
            let assessment = api.get("rollback-preflight", &scope).await?;
            print_report(&assessment["preflight"]);
            let run = api
                .call(
                    api.http
                        .post(format!("{}/rollbacks", api.base))
                        .json(&json!({
                            "pool_id": pool,
                            "override_reason": override_reason,
                        })),
                )
                .await?;
            let target = run["to_version"].as_str().unwrap_or("?").to_string();
            println!(
                "Rollback to {target} started (verdict {}).",
                run["verdict"].as_str().unwrap_or("?")
            );
            if wait {
                follow(&api, "Rollback", &target).await?;
            }
            Ok(())
        }
        ClusterCommand::Alerts {
            cluster_id,
            state,
            check,
            acknowledge,
            note,
            server,
        } => {
            let api = Api::new(&server, &cluster_id);
            if let Some(alert) = acknowledge {
                let root = server.url.trim_end_matches('/');
                let done = api
                    .call(
                        api.http
                            .post(format!("{root}/api/v1/alerts/{alert}/acknowledge"))
                            .json(&json!({ "note": note.unwrap_or_default() })),
                    )
                    .await?;
                println!(
                    "Acknowledged {} ({}).",
                    done["title"].as_str().unwrap_or("the alert"),
                    done["summary"].as_str().unwrap_or("")
                );
                return Ok(());
            }
            if check {
                api.call(api.http.post(format!("{}/alerts/check", api.base)))
                    .await?;
            }
            let query: Vec<(&str, &str)> = state.iter().map(|s| ("state", s.as_str())).collect();
            let list = api.get("alerts", &query).await?;
            print_alerts(&list);
            Ok(())
        }
    }
}

/// One block per alert: its line, whose it is and what to do.
fn print_alerts(list: &Value) {
    let alerts = list["alerts"].as_array().cloned().unwrap_or_default();
    if alerts.is_empty() {
        println!("No alert.");
        return;
    }
    for alert in alerts {
        let text = |key: &str| alert[key].as_str().unwrap_or("").to_string();
        let state = match alert["silenced_by"].as_str() {
            Some(_) if text("state") != "resolved" => format!("{}, silenced", text("state")),
            _ => text("state"),
        };
        let owner = if text("owner") == "provider" {
            "the provider's"
        } else {
            "yours"
        };
        println!(
            "{:<8} {:<18} {} — {} [{owner}] id {}",
            text("severity").to_uppercase(),
            state,
            text("title"),
            text("summary"),
            text("id")
        );
        let recommendation = &alert["recommendation"];
        if let Some(words) = recommendation["text"].as_str() {
            println!("         {words}");
        }
        if let Some(command) = recommendation["command"].as_str() {
            println!("         $ {command}");
        }
        if let Some(acknowledgement) = alert["acknowledgement"].as_object() {
            println!(
                "         acknowledged by {}: {}",
                acknowledgement["by"].as_str().unwrap_or("?"),
                acknowledgement["note"].as_str().unwrap_or("")
            );
        }
    }
}

/// Prints the progress as it changes, until the latest run finishes.
async fn follow(api: &Api, what: &str, target: &str) -> Result<(), StartError> {
    let mut last = String::new();
    loop {
        let progress = api.get("upgrade-progress", &[]).await?;
        let line = progress_line(&progress);
        if line != last {
            println!("{line}");
            last = line;
        }
        if progress["finished"] == true {
            println!("{what} to {target} finished.");
            return Ok(());
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}
