//! The sandbox clusters' Kubernetes API servers, as far as a kubeconfig's everyday commands need
//! them: served over TLS on their own listener (`--kube-api-addr`), one path prefix per cluster
//! (`/clusters/{id}`, the cluster's `cluster_url`). Only the cluster's current admin token is
//! accepted. `kubectl version`, `get nodes [-o wide]`, `get namespaces` and `get pods -n
//! kube-system` (the system apps the provider runs) answer from the sandbox's state, as tables
//! when kubectl asks for them; everything else is refused as a real API server would.

pub mod tls;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::Provisioning;
use crate::backend::sandbox::components::SYSTEM_APP;
use crate::backend::sandbox::store::inventory::Component;
use crate::backend::sandbox::store::{clusters, inventory, nodes};
use crate::domain::model::{Cluster, Node, NodeStatus};

/// The path under which a cluster's API server answers; `cluster_url` ends with it.
pub const CLUSTER_PATH: &str = "/clusters";

pub fn router(state: Provisioning) -> Router {
    Router::new()
        .route("/clusters/{cluster_id}/version", get(version))
        .route("/clusters/{cluster_id}/api", get(core_versions))
        .route("/clusters/{cluster_id}/apis", get(groups))
        .route("/clusters/{cluster_id}/api/v1", get(core_resources))
        .route("/clusters/{cluster_id}/api/v1/nodes", get(node_list))
        .route("/clusters/{cluster_id}/api/v1/nodes/{name}", get(node_one))
        .route(
            "/clusters/{cluster_id}/api/v1/namespaces",
            get(namespace_list),
        )
        .route(
            "/clusters/{cluster_id}/api/v1/namespaces/{namespace}",
            get(namespace_one),
        )
        .route(
            "/clusters/{cluster_id}/api/v1/namespaces/{namespace}/pods",
            get(pods_in_namespace),
        )
        .route("/clusters/{cluster_id}/api/v1/pods", get(all_pods))
        .fallback(not_found)
        .with_state(state)
}

fn status(code: StatusCode, reason: &str, message: &str) -> Response {
    let body = json!({ "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                       "message": message, "reason": reason, "code": code.as_u16() });
    (code, Json(body)).into_response()
}

fn unavailable() -> Response {
    status(
        StatusCode::SERVICE_UNAVAILABLE,
        "ServiceUnavailable",
        "the API server is unavailable, try again",
    )
}

async fn not_found() -> Response {
    status(
        StatusCode::NOT_FOUND,
        "NotFound",
        "the server could not find the requested resource",
    )
}

/// Compares without stopping at the first differing byte.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The cluster, if the bearer token is its current admin token.
async fn authorized(
    state: &Provisioning,
    headers: &HeaderMap,
    cluster_id: &str,
) -> Result<Cluster, Response> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default();
    let mut conn = state
        .database
        .pool()
        .acquire()
        .await
        .map_err(|_| unavailable())?;
    match clusters::get(&mut conn, cluster_id).await {
        Ok(Some(cluster)) if !token.is_empty() && same_secret(token, &cluster.admin_token) => {
            Ok(cluster)
        }
        Ok(_) => Err(status(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "Unauthorized",
        )),
        Err(_) => Err(unavailable()),
    }
}

/// kubectl asks for `application/json;as=Table;…` when it prints; other clients get lists.
fn wants_table(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("as=Table"))
}

fn timestamp(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Ages as kubectl prints them: `45s`, `12m`, `5h`, `3d`.
fn age(since: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (now - since).num_seconds().max(0);
    match seconds {
        s if s < 120 => format!("{s}s"),
        s if s < 7_200 => format!("{}m", s / 60),
        s if s < 172_800 => format!("{}h", s / 3_600),
        s => format!("{}d", s / 86_400),
    }
}

/// A short, stable suffix for generated names (like a ReplicaSet's pod-template hash).
fn suffix(seed: &str, length: usize) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    Sha256::digest(seed.as_bytes())
        .iter()
        .take(length)
        .map(|byte| ALPHABET[*byte as usize % ALPHABET.len()] as char)
        .collect()
}

/// A node's address inside the cluster's private network, stable for the node's life.
fn internal_ip(node: &Node) -> String {
    let hash = Sha256::digest(node.id.as_bytes());
    format!("172.16.{}.{}", hash[0] % 64, 2 + hash[1] % 250)
}

/// A list in Kubernetes' shape, or a table with its columns when kubectl asks for one.
struct Listing {
    kind: &'static str,
    /// (name, type, priority): priority 1 columns appear with `-o wide`.
    columns: &'static [(&'static str, &'static str, u8)],
    rows: Vec<(Value, Vec<Value>)>,
}

impl Listing {
    fn respond(self, headers: &HeaderMap) -> Response {
        if wants_table(headers) {
            let columns: Vec<Value> = self
                .columns
                .iter()
                .map(|(name, kind, priority)| {
                    json!({ "name": name, "type": kind, "format": if *name == "Name" { "name" } else { "" },
                            "description": "", "priority": priority })
                })
                .collect();
            let rows: Vec<Value> = self
                .rows
                .into_iter()
                .map(|(object, cells)| {
                    json!({ "cells": cells, "object": {
                        "kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                        "metadata": object["metadata"].clone() } })
                })
                .collect();
            return Json(json!({ "kind": "Table", "apiVersion": "meta.k8s.io/v1",
                                "metadata": { "resourceVersion": "1" },
                                "columnDefinitions": columns, "rows": rows }))
            .into_response();
        }
        let items: Vec<Value> = self.rows.into_iter().map(|(object, _)| object).collect();
        Json(
            json!({ "kind": format!("{}List", self.kind), "apiVersion": "v1",
                     "metadata": { "resourceVersion": "1" }, "items": items }),
        )
        .into_response()
    }
}

async fn version(
    State(state): State<Provisioning>,
    headers: HeaderMap,
    Path(cluster_id): Path<String>,
) -> Response {
    let cluster = match authorized(&state, &headers, &cluster_id).await {
        Ok(cluster) => cluster,
        Err(response) => return response,
    };
    let mut parts = cluster.version.split('.');
    let (major, minor) = (parts.next().unwrap_or("1"), parts.next().unwrap_or("0"));
    Json(
        json!({ "major": major, "minor": minor, "gitVersion": format!("v{}", cluster.version),
                 "goVersion": "go1.24.4", "compiler": "gc", "platform": "linux/amd64" }),
    )
    .into_response()
}

async fn core_versions(
    State(state): State<Provisioning>,
    headers: HeaderMap,
    Path(cluster_id): Path<String>,
) -> Response {
    if let Err(response) = authorized(&state, &headers, &cluster_id).await {
        return response;
    }
    Json(json!({ "kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [] }))
        .into_response()
}

async fn groups(
    State(state): State<Provisioning>,
    headers: HeaderMap,
    Path(cluster_id): Path<String>,
) -> Response {
    if let Err(response) = authorized(&state, &headers, &cluster_id).await {
        return response;
    }
    Json(json!({ "kind": "APIGroupList", "apiVersion": "v1", "groups": [] })).into_response()
}

async fn core_resources(
    State(state): State<Provisioning>,
    headers: HeaderMap,
    Path(cluster_id): Path<String>,
) -> Response {
    if let Err(response) = authorized(&state, &headers, &cluster_id).await {
        return response;
    }
    let resource = |name: &str, singular: &str, kind: &str, namespaced: bool, short: &str| {
        json!({ "name": name, "singularName": singular, "namespaced": namespaced, "kind": kind,
                "verbs": ["get", "list"], "shortNames": [short] })
    };
    Json(
        json!({ "kind": "APIResourceList", "groupVersion": "v1", "resources": [
        resource("nodes", "node", "Node", false, "no"),
        resource("namespaces", "namespace", "Namespace", false, "ns"),
        resource("pods", "pod", "Pod", true, "po"),
    ] }),
    )
    .into_response()
}

// ---- nodes ---------------------------------------------------------------------------------

const NODE_COLUMNS: &[(&str, &str, u8)] = &[
    ("Name", "string", 0),
    ("Status", "string", 0),
    ("Roles", "string", 0),
    ("Age", "string", 0),
    ("Version", "string", 0),
    ("Internal-IP", "string", 1),
    ("External-IP", "string", 1),
    ("OS-Image", "string", 1),
    ("Kernel-Version", "string", 1),
    ("Container-Runtime", "string", 1),
];

/// Nodes the cluster's API server knows: those whose kubelet has registered.
fn registered(node: &Node) -> bool {
    !matches!(
        node.status,
        NodeStatus::Creating | NodeStatus::CreationError | NodeStatus::Starting
    )
}

fn node_row(node: &Node, now: DateTime<Utc>) -> (Value, Vec<Value>) {
    let ready = node
        .conditions
        .get("Ready")
        .and_then(Value::as_str)
        .unwrap_or("Unknown");
    let cordoned = node.status == NodeStatus::Deleting;
    let mut status_text = if ready == "True" { "Ready" } else { "NotReady" }.to_string();
    if cordoned {
        status_text.push_str(",SchedulingDisabled");
    }
    let internal = internal_ip(node);
    let mut addresses = vec![
        json!({ "type": "InternalIP", "address": internal }),
        json!({ "type": "Hostname", "address": node.name }),
    ];
    if let Some(ip) = &node.public_ip_v4 {
        addresses.push(json!({ "type": "ExternalIP", "address": ip }));
    }
    let object = json!({
        "kind": "Node", "apiVersion": "v1",
        "metadata": { "name": node.name, "uid": node.id, "creationTimestamp": timestamp(node.created_at),
                      "labels": { "k8s.scaleway.com/pool": node.pool_id, "kubernetes.io/hostname": node.name,
                                  "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64" } },
        "spec": { "providerID": node.provider_id, "unschedulable": cordoned },
        "status": {
            "conditions": [{ "type": "Ready", "status": ready }],
            "addresses": addresses,
            "nodeInfo": { "kubeletVersion": format!("v{}", node.version), "osImage": node.os_image,
                          "kernelVersion": "6.8.0-48-generic", "containerRuntimeVersion": "containerd://2.0.5",
                          "operatingSystem": "linux", "architecture": "amd64" },
        },
    });
    let cells = vec![
        json!(node.name),
        json!(status_text),
        json!("<none>"),
        json!(age(node.created_at, now)),
        json!(format!("v{}", node.version)),
        json!(internal),
        json!(node.public_ip_v4.clone().unwrap_or_else(|| "<none>".into())),
        json!(node.os_image),
        json!("6.8.0-48-generic"),
        json!("containerd://2.0.5"),
    ];
    (object, cells)
}

async fn cluster_nodes(state: &Provisioning, cluster_id: &str) -> Result<Vec<Node>, Response> {
    let mut conn = state
        .database
        .pool()
        .acquire()
        .await
        .map_err(|_| unavailable())?;
    let list = nodes::of_cluster(&mut conn, cluster_id)
        .await
        .map_err(|_| unavailable())?;
    Ok(list.into_iter().filter(registered).collect())
}

async fn node_list(
    State(state): State<Provisioning>,
    headers: HeaderMap,
    Path(cluster_id): Path<String>,
) -> Response {
    if let Err(response) = authorized(&state, &headers, &cluster_id).await {
        return response;
    }
    let now = state.clock.now();
    match cluster_nodes(&state, &cluster_id).await {
        Ok(list) => Listing {
            kind: "Node",
            columns: NODE_COLUMNS,
            rows: list.iter().map(|node| node_row(node, now)).collect(),
        }
        .respond(&headers),
        Err(response) => response,
    }
}

async fn node_one(
    State(state): State<Provisioning>,
    headers: HeaderMap,
    Path((cluster_id, name)): Path<(String, String)>,
) -> Response {
    if let Err(response) = authorized(&state, &headers, &cluster_id).await {
        return response;
    }
    let now = state.clock.now();
    match cluster_nodes(&state, &cluster_id).await {
        Ok(list) => match list.iter().find(|node| node.name == name) {
            Some(node) => one(&headers, NODE_COLUMNS, node_row(node, now)),
            None => status(
                StatusCode::NOT_FOUND,
                "NotFound",
                &format!("nodes \"{name}\" not found"),
            ),
        },
        Err(response) => response,
    }
}

/// One object, or a one-row table.
fn one(
    headers: &HeaderMap,
    columns: &'static [(&'static str, &'static str, u8)],
    row: (Value, Vec<Value>),
) -> Response {
    if wants_table(headers) {
        return Listing {
            kind: "",
            columns,
            rows: vec![row],
        }
        .respond(headers);
    }
    Json(row.0).into_response()
}

// ---- namespaces ----------------------------------------------------------------------------

const NAMESPACES: &[&str] = &["default", "kube-node-lease", "kube-public", "kube-system"];
const NAMESPACE_COLUMNS: &[(&str, &str, u8)] = &[
    ("Name", "string", 0),
    ("Status", "string", 0),
    ("Age", "string", 0),
];

fn namespace_row(name: &str, cluster: &Cluster, now: DateTime<Utc>) -> (Value, Vec<Value>) {
    let object = json!({ "kind": "Namespace", "apiVersion": "v1",
        "metadata": { "name": name, "uid": format!("{}-{name}", cluster.id),
                      "creationTimestamp": timestamp(cluster.created_at),
                      "labels": { "kubernetes.io/metadata.name": name } },
        "spec": { "finalizers": ["kubernetes"] }, "status": { "phase": "Active" } });
    (
        object,
        vec![
            json!(name),
            json!("Active"),
            json!(age(cluster.created_at, now)),
        ],
    )
}

async fn namespace_list(
    State(state): State<Provisioning>,
    headers: HeaderMap,
    Path(cluster_id): Path<String>,
) -> Response {
    let cluster = match authorized(&state, &headers, &cluster_id).await {
        Ok(cluster) => cluster,
        Err(response) => return response,
    };
    let now = state.clock.now();
    Listing {
        kind: "Namespace",
        columns: NAMESPACE_COLUMNS,
        rows: NAMESPACES
            .iter()
            .map(|name| namespace_row(name, &cluster, now))
            .collect(),
    }
    .respond(&headers)
}

async fn namespace_one(
    State(state): State<Provisioning>,
    headers: HeaderMap,
    Path((cluster_id, namespace)): Path<(String, String)>,
) -> Response {
    let cluster = match authorized(&state, &headers, &cluster_id).await {
        Ok(cluster) => cluster,
        Err(response) => return response,
    };
    if !NAMESPACES.contains(&namespace.as_str()) {
        return status(
            StatusCode::NOT_FOUND,
            "NotFound",
            &format!("namespaces \"{namespace}\" not found"),
        );
    }
    one(
        &headers,
        NAMESPACE_COLUMNS,
        namespace_row(&namespace, &cluster, state.clock.now()),
    )
}

// ---- pods: the system apps the provider runs in kube-system ---------------------------------

const POD_COLUMNS: &[(&str, &str, u8)] = &[
    ("Name", "string", 0),
    ("Ready", "string", 0),
    ("Status", "string", 0),
    ("Restarts", "string", 0),
    ("Age", "string", 0),
    ("IP", "string", 1),
    ("Node", "string", 1),
    ("Nominated Node", "string", 1),
    ("Readiness Gates", "string", 1),
];

/// How a system app runs: one pod per node (a DaemonSet) or a fixed number of replicas.
fn replicas_of(component: &str) -> Option<usize> {
    match component {
        "coredns" => Some(2),
        "metrics-server" => Some(1),
        // kube-proxy, konnectivity-agent, the CNI and the CSI node plugin run on every node.
        _ => None,
    }
}

struct SystemPod<'a> {
    name: String,
    component: &'a Component,
    node: &'a Node,
}

/// The system apps' pods, placed on the cluster's ready nodes.
fn system_pods<'a>(
    cluster: &Cluster,
    components: &'a [Component],
    nodes: &'a [Node],
) -> Vec<SystemPod<'a>> {
    let ready: Vec<&Node> = nodes
        .iter()
        .filter(|node| node.status == NodeStatus::Ready)
        .collect();
    let mut pods = Vec::new();
    if ready.is_empty() {
        return pods;
    }
    for component in components.iter().filter(|c| c.kind == SYSTEM_APP) {
        match replicas_of(&component.name) {
            Some(count) => {
                let template = suffix(&format!("{}/{}", cluster.id, component.name), 10);
                for index in 0..count {
                    let node = ready[index % ready.len()];
                    pods.push(SystemPod {
                        name: format!(
                            "{}-{template}-{}",
                            component.name,
                            suffix(&format!("{template}/{index}"), 5)
                        ),
                        component,
                        node,
                    });
                }
            }
            None => {
                for node in &ready {
                    pods.push(SystemPod {
                        name: format!(
                            "{}-{}",
                            component.name,
                            suffix(&format!("{}/{}", component.name, node.id), 5)
                        ),
                        component,
                        node,
                    });
                }
            }
        }
    }
    pods.sort_by(|a, b| a.name.cmp(&b.name));
    pods
}

fn pod_row(pod: &SystemPod, now: DateTime<Utc>) -> (Value, Vec<Value>) {
    let (phase, reason, ready, restarts) = match pod.component.health.as_str() {
        "crash_loop" => ("Running", "CrashLoopBackOff", false, 12),
        "degraded" => ("Running", "Running", false, 1),
        _ => ("Running", "Running", true, 0),
    };
    let ip = internal_ip(pod.node);
    let started = pod.node.created_at;
    let object = json!({
        "kind": "Pod", "apiVersion": "v1",
        "metadata": { "name": pod.name, "namespace": "kube-system", "uid": suffix(&pod.name, 16),
                      "creationTimestamp": timestamp(started),
                      "labels": { "k8s-app": pod.component.name } },
        "spec": { "nodeName": pod.node.name,
                  "containers": [{ "name": pod.component.name,
                                   "image": format!("registry.k8s.io/{}:{}", pod.component.name, pod.component.version) }] },
        "status": { "phase": phase, "podIP": ip, "hostIP": ip, "startTime": timestamp(started),
                    "conditions": [{ "type": "Ready", "status": if ready { "True" } else { "False" } }],
                    "containerStatuses": [{ "name": pod.component.name, "ready": ready, "restartCount": restarts }] },
    });
    let cells = vec![
        json!(pod.name),
        json!(if ready { "1/1" } else { "0/1" }),
        json!(reason),
        json!(restarts.to_string()),
        json!(age(started, now)),
        json!(ip),
        json!(pod.node.name),
        json!("<none>"),
        json!("<none>"),
    ];
    (object, cells)
}

async fn pod_listing(state: &Provisioning, cluster: &Cluster, namespace: Option<&str>) -> Listing {
    let mut rows = Vec::new();
    if namespace.is_none_or(|namespace| namespace == "kube-system") {
        let now = state.clock.now();
        let loaded = async {
            let mut conn = state.database.pool().acquire().await?;
            let components = inventory::components(&mut conn, &cluster.id).await?;
            let nodes = nodes::of_cluster(&mut conn, &cluster.id).await?;
            Ok::<_, sqlx::Error>((components, nodes))
        };
        if let Ok((components, nodes)) = loaded.await {
            rows = system_pods(cluster, &components, &nodes)
                .iter()
                .map(|pod| pod_row(pod, now))
                .collect();
        }
    }
    Listing {
        kind: "Pod",
        columns: POD_COLUMNS,
        rows,
    }
}

async fn pods_in_namespace(
    State(state): State<Provisioning>,
    headers: HeaderMap,
    Path((cluster_id, namespace)): Path<(String, String)>,
) -> Response {
    let cluster = match authorized(&state, &headers, &cluster_id).await {
        Ok(cluster) => cluster,
        Err(response) => return response,
    };
    pod_listing(&state, &cluster, Some(&namespace))
        .await
        .respond(&headers)
}

async fn all_pods(
    State(state): State<Provisioning>,
    headers: HeaderMap,
    Path(cluster_id): Path<String>,
    Query(_): Query<std::collections::HashMap<String, String>>,
) -> Response {
    let cluster = match authorized(&state, &headers, &cluster_id).await {
        Ok(cluster) => cluster,
        Err(response) => return response,
    };
    pod_listing(&state, &cluster, None).await.respond(&headers)
}
