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
        ClusterCommand::Restore {
            cluster_id,
            scope,
            snapshot,
            undo,
            list_snapshots,
            confirm,
            wait,
            server,
        } => {
            let api = Api::new(&server, &cluster_id);
            let ask = RestoreAsk {
                scope,
                snapshot,
                undo,
                list_snapshots,
                confirm,
                wait,
            };
            restore(&api, ask).await
        }
        ClusterCommand::Diagnose { cluster_id, server } => {
            let api = Api::new(&server, &cluster_id);
            diagnose(&api).await
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

/// What `restore` was asked.
struct RestoreAsk {
    scope: String,
    snapshot: Option<String>,
    undo: bool,
    list_snapshots: bool,
    confirm: Option<String>,
    wait: bool,
}

async fn restore(api: &Api, ask: RestoreAsk) -> Result<(), StartError> {
    if ask.list_snapshots {
        let snapshots = api.get("etcd-snapshots", &[]).await?;
        for snapshot in snapshots.as_array().into_iter().flatten() {
            println!(
                "{}  {}  {:>9} bytes  {:<12} {}",
                snapshot["id"].as_str().unwrap_or("?"),
                snapshot["taken_at"].as_str().unwrap_or("?"),
                snapshot["size_bytes"].as_i64().unwrap_or(0),
                snapshot["reason"].as_str().unwrap_or("?"),
                snapshot["state"].as_str().unwrap_or("?"),
            );
        }
        return Ok(());
    }
    let preview = if ask.undo {
        api.get("restore-undo-preview", &[]).await?
    } else {
        let mut query = vec![("scope", ask.scope.as_str())];
        if let Some(snapshot) = &ask.snapshot {
            query.push(("snapshot_id", snapshot.as_str()));
        }
        api.get("restore-preview", &query).await?
    };
    print_preview(&preview);
    if let Some(why) = preview["blocked_by"].as_str() {
        return Err(StartError::Invalid(format!(
            "a restore cannot start now: {why}"
        )));
    }
    let name = preview["confirm_with"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let typed = match ask.confirm {
        Some(typed) => typed,
        None => {
            println!("Type the cluster's name ({name}) to confirm:");
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .map_err(|error| StartError::Invalid(format!("no confirmation read: {error}")))?;
            line.trim().to_string()
        }
    };
    let run = if ask.undo {
        api.call(
            api.http
                .post(format!("{}/restore-undo", api.base))
                .json(&json!({ "confirm_name": typed })),
        )
        .await?
    } else {
        api.call(api.http.post(format!("{}/restores", api.base)).json(
            &json!({ "scope": ask.scope, "snapshot_id": ask.snapshot, "confirm_name": typed }),
        ))
        .await?
    };
    println!(
        "{} started ({}); deadline {}. Undo for 7 days: wheelhouse k8s cluster restore {} --undo",
        if ask.undo { "Undo" } else { "Restore" },
        run["scope"].as_str().unwrap_or("?"),
        run["progress"]["deadline_at"].as_str().unwrap_or("?"),
        run["cluster_id"].as_str().unwrap_or("?"),
    );
    if !ask.wait {
        return Ok(());
    }
    let mut last = String::new();
    let ended = loop {
        let progress = api.get("restore-progress", &[]).await?;
        let restore = &progress["run"]["progress"];
        let line = restore["steps"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|step| {
                let waiting = step["waiting_on"]
                    .as_str()
                    .map(|why| format!(" (waiting: {why})"))
                    .unwrap_or_default();
                format!(
                    "{} {}{waiting}",
                    step["name"].as_str().unwrap_or("?"),
                    step["state"].as_str().unwrap_or("?")
                )
            })
            .collect::<Vec<_>>()
            .join(" · ");
        if line != last {
            println!("{line}");
            last = line;
        }
        if progress["active"] != true {
            break restore.clone();
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    };
    let outcome = if ended["state"] == "failed" {
        Err(StartError::Invalid(format!(
            "the restore failed: {}",
            ended["failure_reason"]
                .as_str()
                .unwrap_or("no reason given")
        )))
    } else {
        println!("The restore finished.");
        Ok(())
    };
    // Whatever the outcome, what still fails and whose it is.
    let _ = diagnose(api).await;
    outcome
}

fn print_preview(preview: &Value) {
    println!(
        "{} of {} ({}):",
        if preview["kind"] == "undo" {
            "Undo"
        } else {
            "Restore"
        },
        preview["cluster_name"].as_str().unwrap_or("?"),
        preview["scope"].as_str().unwrap_or("?")
    );
    let changes = preview["changes"].as_array().cloned().unwrap_or_default();
    if changes.is_empty() {
        println!("  nothing differs from what it restores");
    }
    for change in &changes {
        println!(
            "  {} {}: {} -> {}",
            change["name"].as_str().unwrap_or("?"),
            change["field"].as_str().unwrap_or("?"),
            change["from"],
            change["to"]
        );
    }
    let untouched = preview["not_touched"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if !untouched.is_empty() {
        println!("Not touched:");
        for item in &untouched {
            println!(
                "  {} {} ({})",
                item["kind"].as_str().unwrap_or("?"),
                item["name"].as_str().unwrap_or("?"),
                item["why"].as_str().unwrap_or("")
            );
        }
    }
    for warning in preview["warnings"].as_array().into_iter().flatten() {
        println!("! {}", warning.as_str().unwrap_or_default());
    }
}

async fn diagnose(api: &Api) -> Result<(), StartError> {
    let diagnostics = api.get("diagnostics", &[]).await?;
    for check in diagnostics["checks"].as_array().into_iter().flatten() {
        println!(
            "[{}] {} — {} (owner: {})",
            check["finding"].as_str().unwrap_or("?"),
            check["title"].as_str().unwrap_or("?"),
            check["summary"].as_str().unwrap_or(""),
            check["owner"].as_str().unwrap_or("?")
        );
        for evidence in check["evidence"].as_array().into_iter().flatten() {
            println!("    - {}", evidence.as_str().unwrap_or_default());
        }
        if check["finding"] == "fails" {
            println!(
                "    => {}",
                check["recommendation"].as_str().unwrap_or_default()
            );
        }
    }
    let fails = diagnostics["fails"].as_u64().unwrap_or(0);
    if fails > 0 {
        return Err(StartError::Invalid(format!(
            "{fails} check(s) still fail (see above)"
        )));
    }
    Ok(())
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
