//! The remote adapter: drives any endpoint speaking Scaleway's k8s v1 API with an API key's
//! secret (`X-Auth-Token`). Responses are read into domain types; Scaleway error bodies become
//! the matching domain errors.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{json, Map, Value};

use super::ProvisioningBackend;
use crate::domain::error::InvalidArgument;
use crate::domain::ids::{AclRuleId, ClusterId, NodeId, PoolId};
use crate::domain::model::{
    AclRule, Caller, Cluster, ClusterEvent, ClusterInventory, ClusterOffer, ClusterStatus,
    ExternalNodeAuth, ExternalNodeMetadata, KubeVersionEntry, Node, NodeStatus, Pool, PoolStatus,
    ProviderPrices, ProviderStats, RolloutControl,
};
use crate::domain::requests::{
    AclRuleInput, ClusterChanges, ClusterQuery, NewCluster, NewPool, NodeMetadataChange,
    PoolChanges,
};
use crate::domain::DomainError;

pub struct ScalewayRemote {
    base_url: String,
    secret_key: String,
    client: reqwest::Client,
}

impl ScalewayRemote {
    /// `base_url` without a trailing slash, e.g. `https://api.scaleway.com`.
    pub fn new(base_url: &str, secret_key: &str) -> Result<ScalewayRemote> {
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .user_agent(concat!("wheelhouse/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| {
                DomainError::Provider(format!("cannot build the HTTP client: {error}"))
            })?;
        Ok(ScalewayRemote {
            base_url: base_url.trim_end_matches('/').to_string(),
            secret_key: secret_key.to_string(),
            client,
        })
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<Value>,
    ) -> Result<Value> {
        self.call_as(&self.secret_key, method, path, query, body)
            .await
    }

    /// A call with another credential (an external node's secret).
    async fn call_as(
        &self,
        token: &str,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<Value>,
    ) -> Result<Value> {
        let url = format!("{}/k8s/v1/regions/{path}", self.base_url);
        let mut request = self
            .client
            .request(method, &url)
            .header("X-Auth-Token", token)
            .query(query);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .map_err(|error| DomainError::Provider(format!("{url}: {error}")))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|error| DomainError::Provider(format!("{url}: {error}")))?;
        let json: Value = if text.trim().is_empty() {
            json!({})
        } else {
            serde_json::from_str(&text).map_err(|_| {
                DomainError::Provider(format!(
                    "{url} answered {status} with a body that is not JSON"
                ))
            })?
        };
        if status.is_success() {
            Ok(json)
        } else {
            Err(error_from(status, &json))
        }
    }

    /// Every page of a list endpoint.
    async fn list_all(&self, path: &str, field: &str) -> Result<Vec<Value>> {
        self.list_all_with(path, field, &[]).await
    }

    /// Every page of a list endpoint, with filters.
    async fn list_all_with(
        &self,
        path: &str,
        field: &str,
        filters: &[(&str, String)],
    ) -> Result<Vec<Value>> {
        let mut items = Vec::new();
        for page in 1.. {
            let mut query = vec![("page", page.to_string()), ("page_size", "100".to_string())];
            query.extend(filters.iter().cloned());
            let body = self.call(Method::GET, path, &query, None).await?;
            let batch = body
                .get(field)
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let total = body.get("total_count").and_then(Value::as_i64).unwrap_or(0);
            let done = batch.is_empty() || (items.len() + batch.len()) as i64 >= total;
            items.extend(batch);
            if done {
                break;
            }
        }
        Ok(items)
    }
}

/// Scaleway's error body → the domain error it stands for.
fn error_from(status: StatusCode, body: &Value) -> DomainError {
    let text = |name: &str| {
        body.get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let resource = match text("resource").as_str() {
        "k8s_cluster" => "k8s_cluster",
        "k8s_pool" => "k8s_pool",
        "k8s_node" => "k8s_node",
        "k8s_version" => "k8s_version",
        "k8s_acl" => "k8s_acl",
        _ => "resource",
    };
    match text("type").as_str() {
        "invalid_arguments" => DomainError::InvalidArguments(
            body.get("details")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
                .iter()
                .map(|detail| InvalidArgument {
                    argument_name: detail
                        .get("argument_name")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    reason: match detail.get("reason").and_then(Value::as_str) {
                        Some("required") => "required",
                        Some("unknown") => "unknown",
                        _ => "constraint",
                    },
                    help_message: detail
                        .get("help_message")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                })
                .collect(),
        ),
        "not_found" => DomainError::NotFound {
            resource,
            resource_id: text("resource_id"),
        },
        "transient_state" => DomainError::TransientState {
            resource,
            resource_id: text("resource_id"),
            current_state: text("current_state"),
        },
        "precondition_failed" => DomainError::PreconditionFailed {
            precondition: text("precondition"),
            help_message: text("help_message"),
        },
        "denied_authentication" => DomainError::Unauthenticated(format!(
            "the provider refused the API key ({})",
            text("reason")
        )),
        "permissions_denied" => {
            DomainError::PermissionDenied("the provider denied the action".into())
        }
        _ if status.is_client_error() => DomainError::invalid(
            "request",
            "constraint",
            format!(
                "the provider refused the request ({status}): {}",
                text("message")
            ),
        ),
        _ => DomainError::Provider(format!(
            "the provider answered {status}: {}",
            text("message")
        )),
    }
}

fn string(value: &Value, name: &str) -> String {
    value
        .get(name)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn optional_string(value: &Value, name: &str) -> Option<String> {
    value
        .get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn strings(value: &Value, name: &str) -> Vec<String> {
    value
        .get(name)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn number(value: &Value, name: &str) -> i64 {
    value.get(name).and_then(Value::as_i64).unwrap_or_default()
}

fn flag(value: &Value, name: &str) -> bool {
    value.get(name).and_then(Value::as_bool).unwrap_or_default()
}

fn time(value: &Value, name: &str) -> Option<DateTime<Utc>> {
    value
        .get(name)
        .and_then(Value::as_str)
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
}

fn map(value: &Value, name: &str) -> Map<String, Value> {
    value
        .get(name)
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

fn unknown_status(kind: &str, status: &str) -> DomainError {
    DomainError::Provider(format!(
        "the provider reported an unknown {kind} status `{status}`"
    ))
}

fn cluster_from(value: &Value) -> Result<Cluster> {
    let status = string(value, "status");
    let window = value
        .pointer("/auto_upgrade/maintenance_window")
        .cloned()
        .unwrap_or_default();
    Ok(Cluster {
        id: string(value, "id"),
        project_id: string(value, "project_id"),
        organization_id: string(value, "organization_id"),
        region: string(value, "region"),
        name: string(value, "name"),
        description: string(value, "description"),
        cluster_type: string(value, "type"),
        version: string(value, "version"),
        target_version: None,
        cni: string(value, "cni"),
        status: ClusterStatus::parse(&status).ok_or_else(|| unknown_status("cluster", &status))?,
        tags: strings(value, "tags"),
        feature_gates: strings(value, "feature_gates"),
        admission_plugins: strings(value, "admission_plugins"),
        apiserver_cert_sans: strings(value, "apiserver_cert_sans"),
        autoscaler_config: value.get("autoscaler_config").cloned().unwrap_or_default(),
        open_id_connect_config: value
            .get("open_id_connect_config")
            .cloned()
            .unwrap_or_default(),
        auto_upgrade_enabled: value
            .pointer("/auto_upgrade/enabled")
            .and_then(Value::as_bool)
            .unwrap_or_default(),
        maintenance_day: string(&window, "day"),
        maintenance_start_hour: number(&window, "start_hour"),
        pod_cidr: string(value, "pod_cidr"),
        service_cidr: string(value, "service_cidr"),
        service_dns_ip: string(value, "service_dns_ip"),
        private_network_id: optional_string(value, "private_network_id"),
        // The admin token stays with the provider; only its kubeconfig carries it.
        admin_token: String::new(),
        created_at: time(value, "created_at").unwrap_or_default(),
        updated_at: time(value, "updated_at").unwrap_or_default(),
        cluster_url: string(value, "cluster_url"),
        upgrade_available: flag(value, "upgrade_available"),
        commitment_ends_at: time(value, "commitment_ends_at"),
    })
}

fn pool_from(value: &Value) -> Result<Pool> {
    let status = string(value, "status");
    let policy = value.get("upgrade_policy").cloned().unwrap_or_default();
    Ok(Pool {
        id: string(value, "id"),
        cluster_id: string(value, "cluster_id"),
        region: string(value, "region"),
        zone: string(value, "zone"),
        name: string(value, "name"),
        node_type: string(value, "node_type"),
        status: PoolStatus::parse(&status).ok_or_else(|| unknown_status("pool", &status))?,
        version: string(value, "version"),
        size: number(value, "size"),
        min_size: number(value, "min_size"),
        max_size: number(value, "max_size"),
        autoscaling: flag(value, "autoscaling"),
        autohealing: flag(value, "autohealing"),
        container_runtime: string(value, "container_runtime"),
        kubelet_args: map(value, "kubelet_args"),
        tags: strings(value, "tags"),
        root_volume_type: string(value, "root_volume_type"),
        root_volume_size: number(value, "root_volume_size"),
        public_ip_disabled: flag(value, "public_ip_disabled"),
        placement_group_id: optional_string(value, "placement_group_id"),
        security_group_id: string(value, "security_group_id"),
        max_surge: number(&policy, "max_surge"),
        max_unavailable: number(&policy, "max_unavailable"),
        labels: map(value, "labels"),
        taints: taints(value, "taints"),
        startup_taints: taints(value, "startup_taints"),
        // User data stays with the provider; its keys are listed on their own endpoint.
        user_data: serde_json::Map::new(),
        created_at: time(value, "created_at").unwrap_or_default(),
        updated_at: time(value, "updated_at").unwrap_or_default(),
    })
}

fn taints(value: &Value, field: &str) -> Vec<crate::domain::model::Taint> {
    value
        .get(field)
        .cloned()
        .and_then(|list| serde_json::from_value(list).ok())
        .unwrap_or_default()
}

fn node_from(value: &Value) -> Result<Node> {
    let status = string(value, "status");
    Ok(Node {
        id: string(value, "id"),
        pool_id: string(value, "pool_id"),
        cluster_id: string(value, "cluster_id"),
        region: string(value, "region"),
        name: string(value, "name"),
        provider_id: string(value, "provider_id"),
        status: NodeStatus::parse(&status).ok_or_else(|| unknown_status("node", &status))?,
        // Scaleway's node object carries neither its kubelet version nor its image.
        version: String::new(),
        os_image: String::new(),
        public_ip_v4: optional_string(value, "public_ip_v4"),
        public_ip_v6: optional_string(value, "public_ip_v6"),
        error_message: optional_string(value, "error_message"),
        conditions: map(value, "conditions"),
        transition_due_at: None,
        fault: None,
        operation_id: None,
        created_at: time(value, "created_at").unwrap_or_default(),
        updated_at: time(value, "updated_at").unwrap_or_default(),
    })
}

fn version_from(value: &Value) -> KubeVersionEntry {
    KubeVersionEntry {
        name: string(value, "name"),
        label: string(value, "label"),
        released_at: time(value, "released_at").unwrap_or_default(),
        deprecated_at: time(value, "deprecated_at"),
        end_of_life_at: time(value, "end_of_life_at"),
        available_cnis: strings(value, "available_cnis"),
        available_runtimes: strings(value, "available_container_runtimes"),
        feature_gates: strings(value, "available_feature_gates"),
        admission_plugins: strings(value, "available_admission_plugins"),
        kubelet_args: map(value, "available_kubelet_args"),
        removed_apis: Vec::new(),
        changelog: Vec::new(),
    }
}

/// The request body without its unset fields (Scaleway treats a null as a value).
fn without_nulls(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_nulls).collect()),
        other => other,
    }
}

fn body_of<T: serde::Serialize>(value: &T) -> Result<Value> {
    serde_json::to_value(value)
        .map(without_nulls)
        .map_err(|error| DomainError::Provider(format!("cannot encode the request: {error}")))
}

type Result<T> = std::result::Result<T, DomainError>;

fn items<T>(body: &Value, field: &str, read: impl Fn(&Value) -> Result<T>) -> Result<Vec<T>> {
    body.get(field)
        .and_then(Value::as_array)
        .map(|items| items.iter().map(&read).collect())
        .unwrap_or_else(|| Ok(Vec::new()))
}

fn acl_from(value: &Value) -> Result<AclRule> {
    Ok(AclRule {
        id: string(value, "id"),
        ip: optional_string(value, "ip"),
        scaleway_ranges: flag(value, "scaleway_ranges"),
        description: string(value, "description"),
    })
}

fn offer_from(value: &Value) -> Result<ClusterOffer> {
    Ok(ClusterOffer {
        name: string(value, "name"),
        availability: string(value, "availability"),
        max_nodes: number(value, "max_nodes"),
        commitment_delay_seconds: value
            .get("commitment_delay")
            .and_then(Value::as_str)
            .and_then(|text| text.trim_end_matches('s').parse::<f64>().ok())
            .map(|seconds| seconds as i64),
        sla: value.get("sla").and_then(Value::as_f64).unwrap_or_default(),
        resiliency: string(value, "resiliency"),
        memory: number(value, "memory"),
        dedicated: flag(value, "dedicated"),
        audit_logs_supported: flag(value, "audit_logs_supported"),
        max_etcd_size: number(value, "max_etcd_size"),
    })
}

/// The text of one of Scaleway's file objects (`{name, content_type, content}` in base64).
fn file_text(body: &Value) -> Result<String> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    use base64::Engine;
    // Lenient as readers of RFC 4648 text usually are: line breaks and missing padding pass.
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let content: String = string(body, "content")
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    LENIENT
        .decode(content)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| {
            DomainError::Provider("the provider sent a file that is not base64 text".into())
        })
}

#[async_trait]
impl ProvisioningBackend for ScalewayRemote {
    fn kind(&self) -> &'static str {
        "scaleway-remote"
    }

    async fn list_versions(&self, region: &str) -> Result<Vec<KubeVersionEntry>> {
        let body = self
            .call(Method::GET, &format!("{region}/versions"), &[], None)
            .await?;
        items(&body, "versions", |v| Ok(version_from(v)))
    }

    async fn get_version(&self, region: &str, name: &str) -> Result<KubeVersionEntry> {
        let body = self
            .call(Method::GET, &format!("{region}/versions/{name}"), &[], None)
            .await?;
        Ok(version_from(&body))
    }

    fn price_list(&self) -> Option<ProviderPrices> {
        None
    }

    fn regions(&self) -> &'static [&'static str] {
        // Where Scaleway offers Kapsule and Kosmos.
        &["fr-par", "nl-ams", "pl-waw"]
    }

    fn node_types(&self) -> &'static [&'static str] {
        crate::domain::model::NODE_TYPES
    }

    async fn list_cluster_types(&self, region: &str) -> Result<Vec<ClusterOffer>> {
        self.list_all(&format!("{region}/cluster-types"), "cluster_types")
            .await?
            .iter()
            .map(offer_from)
            .collect()
    }

    async fn list_clusters(
        &self,
        _caller: &Caller,
        region: &str,
        query: &ClusterQuery,
    ) -> Result<Vec<Cluster>> {
        let mut filters: Vec<(&str, String)> = Vec::new();
        for (name, value) in [
            ("name", &query.name_contains),
            ("status", &query.status),
            ("type", &query.cluster_type),
            ("private_network_id", &query.private_network_id),
            ("version", &query.version),
        ] {
            if let Some(value) = value {
                filters.push((name, value.clone()));
            }
        }
        self.list_all_with(&format!("{region}/clusters"), "clusters", &filters)
            .await?
            .iter()
            .map(cluster_from)
            .collect()
    }

    async fn get_cluster(&self, _caller: &Caller, region: &str, id: &ClusterId) -> Result<Cluster> {
        cluster_from(
            &self
                .call(Method::GET, &format!("{region}/clusters/{id}"), &[], None)
                .await?,
        )
    }

    async fn create_cluster(
        &self,
        _caller: &Caller,
        region: &str,
        spec: NewCluster,
    ) -> Result<Cluster> {
        // The remote account's own project owns it there; Wheelhouse records who owns it here.
        let mut body = body_of(&spec)?;
        if let Some(object) = body.as_object_mut() {
            object.remove("project_id");
            object.remove("organization_id");
        }
        cluster_from(
            &self
                .call(Method::POST, &format!("{region}/clusters"), &[], Some(body))
                .await?,
        )
    }

    async fn update_cluster(
        &self,
        caller: &Caller,
        region: &str,
        id: &ClusterId,
        changes: ClusterChanges,
    ) -> Result<Cluster> {
        // Scaleway's API has no conditional update: the comparison is made on a fresh read,
        // which narrows the window a concurrent change can slip through without closing it.
        if let Some(seen) = &changes.seen {
            let current = self.get_cluster(caller, region, id).await?;
            let now = (
                current.name.as_str(),
                current.description.as_str(),
                current.tags.as_slice(),
            );
            if let Some(field) = seen.clash(&changes, now) {
                return Err(DomainError::invalid(
                    field,
                    "constraint",
                    crate::domain::requests::SETTINGS_CLASH,
                ));
            }
        }
        cluster_from(
            &self
                .call(
                    Method::PATCH,
                    &format!("{region}/clusters/{id}"),
                    &[],
                    Some(body_of(&changes)?),
                )
                .await?,
        )
    }

    async fn delete_cluster(
        &self,
        _caller: &Caller,
        region: &str,
        id: &ClusterId,
        with_additional_resources: bool,
    ) -> Result<Cluster> {
        let query = [(
            "with_additional_resources",
            with_additional_resources.to_string(),
        )];
        cluster_from(
            &self
                .call(
                    Method::DELETE,
                    &format!("{region}/clusters/{id}"),
                    &query,
                    None,
                )
                .await?,
        )
    }

    async fn upgrade_cluster(
        &self,
        _caller: &Caller,
        region: &str,
        id: &ClusterId,
        version: Option<String>,
        upgrade_pools: bool,
    ) -> Result<Cluster> {
        let body = without_nulls(json!({ "version": version, "upgrade_pools": upgrade_pools }));
        cluster_from(
            &self
                .call(
                    Method::POST,
                    &format!("{region}/clusters/{id}/upgrade"),
                    &[],
                    Some(body),
                )
                .await?,
        )
    }

    async fn control_rollout(
        &self,
        _caller: &Caller,
        _region: &str,
        _id: &ClusterId,
        _control: RolloutControl,
    ) -> Result<Cluster> {
        // Scaleway's k8s v1 API runs a pool upgrade to its end: it has no pause or abort.
        Err(DomainError::precondition(
            "rollout_control",
            "this provider cannot pause, resume or abort an upgrade's rollout",
        ))
    }

    async fn rollback_cluster(
        &self,
        _caller: &Caller,
        _region: &str,
        _id: &ClusterId,
        _version: &str,
    ) -> Result<Cluster> {
        // Scaleway's k8s v1 API only moves forward: it has no downgrade.
        Err(DomainError::precondition(
            "rollback",
            "this provider cannot roll a cluster back to an earlier version",
        ))
    }

    async fn rollback_pool(
        &self,
        _caller: &Caller,
        _region: &str,
        _pool_id: &PoolId,
        _version: &str,
    ) -> Result<Pool> {
        Err(DomainError::precondition(
            "rollback",
            "this provider cannot roll a pool back to an earlier version",
        ))
    }

    async fn set_cluster_type(
        &self,
        _caller: &Caller,
        region: &str,
        id: &ClusterId,
        cluster_type: Option<String>,
    ) -> Result<Cluster> {
        let body = without_nulls(json!({ "type": cluster_type }));
        cluster_from(
            &self
                .call(
                    Method::POST,
                    &format!("{region}/clusters/{id}/set-type"),
                    &[],
                    Some(body),
                )
                .await?,
        )
    }

    async fn available_versions(
        &self,
        _caller: &Caller,
        region: &str,
        id: &ClusterId,
    ) -> Result<Vec<KubeVersionEntry>> {
        let body = self
            .call(
                Method::GET,
                &format!("{region}/clusters/{id}/available-versions"),
                &[],
                None,
            )
            .await?;
        items(&body, "versions", |v| Ok(version_from(v)))
    }

    async fn available_types(
        &self,
        _caller: &Caller,
        region: &str,
        id: &ClusterId,
    ) -> Result<Vec<ClusterOffer>> {
        let body = self
            .call(
                Method::GET,
                &format!("{region}/clusters/{id}/available-types"),
                &[],
                None,
            )
            .await?;
        items(&body, "cluster_types", offer_from)
    }

    async fn kubeconfig(
        &self,
        _caller: &Caller,
        region: &str,
        id: &ClusterId,
        redacted: bool,
    ) -> Result<String> {
        let body = self
            .call(
                Method::GET,
                &format!("{region}/clusters/{id}/kubeconfig"),
                &[("redacted", redacted.to_string())],
                None,
            )
            .await?;
        file_text(&body)
    }

    async fn reset_admin_token(
        &self,
        _caller: &Caller,
        region: &str,
        id: &ClusterId,
    ) -> Result<()> {
        self.call(
            Method::POST,
            &format!("{region}/clusters/{id}/reset-admin-token"),
            &[],
            Some(json!({})),
        )
        .await?;
        Ok(())
    }

    async fn cluster_inventory(
        &self,
        _caller: &Caller,
        _region: &str,
        _id: &ClusterId,
    ) -> Result<Option<ClusterInventory>> {
        // Scaleway's k8s v1 API has no read of components or workloads.
        Ok(None)
    }

    async fn cluster_events(
        &self,
        _caller: &Caller,
        _region: &str,
        _id: &ClusterId,
    ) -> Result<Option<Vec<ClusterEvent>>> {
        // Scaleway's k8s v1 API has no event stream of a cluster.
        Ok(None)
    }

    async fn list_acl_rules(
        &self,
        _caller: &Caller,
        region: &str,
        id: &ClusterId,
    ) -> Result<Vec<AclRule>> {
        self.list_all(&format!("{region}/clusters/{id}/acls"), "rules")
            .await?
            .iter()
            .map(acl_from)
            .collect()
    }

    async fn write_acl_rules(
        &self,
        _caller: &Caller,
        region: &str,
        id: &ClusterId,
        rules: Vec<AclRuleInput>,
        replace: bool,
    ) -> Result<Vec<AclRule>> {
        let method = if replace { Method::PUT } else { Method::POST };
        let body = self
            .call(
                method,
                &format!("{region}/clusters/{id}/acls"),
                &[],
                Some(body_of(&json!({ "acls": rules }))?),
            )
            .await?;
        items(&body, "rules", acl_from)
    }

    async fn delete_acl_rule(
        &self,
        _caller: &Caller,
        region: &str,
        acl_id: &AclRuleId,
    ) -> Result<()> {
        self.call(
            Method::DELETE,
            &format!("{region}/acls/{acl_id}"),
            &[],
            None,
        )
        .await?;
        Ok(())
    }

    async fn list_pools(
        &self,
        _caller: &Caller,
        region: &str,
        cluster_id: &ClusterId,
    ) -> Result<Vec<Pool>> {
        self.list_all(&format!("{region}/clusters/{cluster_id}/pools"), "pools")
            .await?
            .iter()
            .map(pool_from)
            .collect()
    }

    async fn get_pool(&self, _caller: &Caller, region: &str, pool_id: &PoolId) -> Result<Pool> {
        pool_from(
            &self
                .call(Method::GET, &format!("{region}/pools/{pool_id}"), &[], None)
                .await?,
        )
    }

    async fn create_pool(
        &self,
        _caller: &Caller,
        region: &str,
        cluster_id: &ClusterId,
        spec: NewPool,
    ) -> Result<Pool> {
        pool_from(
            &self
                .call(
                    Method::POST,
                    &format!("{region}/clusters/{cluster_id}/pools"),
                    &[],
                    Some(body_of(&spec)?),
                )
                .await?,
        )
    }

    async fn update_pool(
        &self,
        _caller: &Caller,
        region: &str,
        pool_id: &PoolId,
        changes: PoolChanges,
    ) -> Result<Pool> {
        pool_from(
            &self
                .call(
                    Method::PATCH,
                    &format!("{region}/pools/{pool_id}"),
                    &[],
                    Some(body_of(&changes)?),
                )
                .await?,
        )
    }

    async fn upgrade_pool(
        &self,
        _caller: &Caller,
        region: &str,
        pool_id: &PoolId,
        version: Option<String>,
    ) -> Result<Pool> {
        pool_from(
            &self
                .call(
                    Method::POST,
                    &format!("{region}/pools/{pool_id}/upgrade"),
                    &[],
                    Some(without_nulls(json!({ "version": version }))),
                )
                .await?,
        )
    }

    async fn delete_pool(&self, _caller: &Caller, region: &str, pool_id: &PoolId) -> Result<Pool> {
        pool_from(
            &self
                .call(
                    Method::DELETE,
                    &format!("{region}/pools/{pool_id}"),
                    &[],
                    None,
                )
                .await?,
        )
    }

    async fn set_pool_node_metadata(
        &self,
        _caller: &Caller,
        region: &str,
        pool_id: &PoolId,
        change: NodeMetadataChange,
    ) -> Result<Pool> {
        let (path, body) = match change {
            NodeMetadataChange::Labels(labels) => ("set-labels", json!({ "labels": labels })),
            NodeMetadataChange::Taints(taints) => ("set-taints", json!({ "taints": taints })),
            NodeMetadataChange::StartupTaints(taints) => {
                ("set-startup-taints", json!({ "startup_taints": taints }))
            }
        };
        pool_from(
            &self
                .call(
                    Method::PUT,
                    &format!("{region}/pools/{pool_id}/{path}"),
                    &[],
                    Some(without_nulls(body)),
                )
                .await?,
        )
    }

    async fn list_user_data(
        &self,
        _caller: &Caller,
        region: &str,
        pool_id: &PoolId,
    ) -> Result<Vec<String>> {
        let body = self
            .call(
                Method::GET,
                &format!("{region}/pools/{pool_id}/user-data"),
                &[],
                None,
            )
            .await?;
        items(&body, "user_data", |item| Ok(string(item, "key")))
    }

    async fn get_user_data(
        &self,
        _caller: &Caller,
        region: &str,
        pool_id: &PoolId,
        key: &str,
    ) -> Result<String> {
        let body = self
            .call(
                Method::GET,
                &format!("{region}/pools/{pool_id}/user-data/{key}"),
                &[],
                None,
            )
            .await?;
        file_text(&body)
    }

    async fn authorize_external_node(
        &self,
        _caller: &Caller,
        region: &str,
        pool_id: &PoolId,
    ) -> Result<ExternalNodeAuth> {
        let body = self
            .call(
                Method::POST,
                &format!("{region}/pools/{pool_id}/external-nodes/auth"),
                &[],
                Some(json!({})),
            )
            .await?;
        Ok(ExternalNodeAuth {
            node_secret_key: string(&body, "node_secret_key"),
            metadata_url: optional_string(&body, "metadata_url"),
        })
    }

    async fn external_node_metadata(
        &self,
        region: &str,
        node_secret: &str,
    ) -> Result<ExternalNodeMetadata> {
        let body = self
            .call_as(
                node_secret,
                Method::GET,
                &format!("{region}/node-metadata"),
                &[],
                None,
            )
            .await?;
        Ok(ExternalNodeMetadata {
            id: string(&body, "id"),
            name: string(&body, "name"),
            cluster_url: string(&body, "cluster_url"),
            cluster_ca: string(&body, "cluster_ca"),
            pool_version: string(&body, "pool_version"),
            provider_id: string(&body, "provider_id"),
            node_labels: map(&body, "node_labels"),
            node_taints: taints(&body, "node_taints"),
        })
    }

    async fn list_nodes(
        &self,
        _caller: &Caller,
        region: &str,
        cluster_id: &ClusterId,
    ) -> Result<Vec<Node>> {
        self.list_all(&format!("{region}/clusters/{cluster_id}/nodes"), "nodes")
            .await?
            .iter()
            .map(node_from)
            .collect()
    }

    async fn get_node(&self, _caller: &Caller, region: &str, node_id: &NodeId) -> Result<Node> {
        node_from(
            &self
                .call(Method::GET, &format!("{region}/nodes/{node_id}"), &[], None)
                .await?,
        )
    }

    async fn replace_node(&self, _caller: &Caller, region: &str, node_id: &NodeId) -> Result<Node> {
        node_from(
            &self
                .call(
                    Method::POST,
                    &format!("{region}/nodes/{node_id}/replace"),
                    &[],
                    Some(json!({})),
                )
                .await?,
        )
    }

    async fn reboot_node(&self, _caller: &Caller, region: &str, node_id: &NodeId) -> Result<Node> {
        node_from(
            &self
                .call(
                    Method::POST,
                    &format!("{region}/nodes/{node_id}/reboot"),
                    &[],
                    Some(json!({})),
                )
                .await?,
        )
    }

    async fn delete_node(
        &self,
        _caller: &Caller,
        region: &str,
        node_id: &NodeId,
        skip_drain: bool,
        replace: bool,
    ) -> Result<Node> {
        let query = [
            ("skip_drain", skip_drain.to_string()),
            ("replace", replace.to_string()),
        ];
        node_from(
            &self
                .call(
                    Method::DELETE,
                    &format!("{region}/nodes/{node_id}"),
                    &query,
                    None,
                )
                .await?,
        )
    }

    async fn stats(&self) -> Result<Option<ProviderStats>> {
        Ok(None)
    }

    // Scaleway's k8s v1 API has no etcd snapshots and no restore: each answers 412 with why.
    async fn list_etcd_snapshots(
        &self,
        _caller: &Caller,
        _region: &str,
        _id: &ClusterId,
    ) -> Result<Vec<crate::domain::restore::EtcdSnapshot>> {
        Err(no_restore())
    }

    async fn preview_restore(
        &self,
        _caller: &Caller,
        _region: &str,
        _id: &ClusterId,
        _request: &crate::domain::restore::RestoreRequest,
    ) -> Result<Vec<crate::domain::restore::RestoreChange>> {
        Err(no_restore())
    }

    async fn start_restore(
        &self,
        _caller: &Caller,
        _region: &str,
        _id: &ClusterId,
        _request: &crate::domain::restore::RestoreRequest,
    ) -> Result<crate::domain::restore::ProviderRestore> {
        Err(no_restore())
    }

    async fn restore_status(
        &self,
        _caller: &Caller,
        _region: &str,
        _id: &ClusterId,
        _restore_id: &str,
    ) -> Result<crate::domain::restore::ProviderRestore> {
        Err(no_restore())
    }
}

/// Scaleway restores a cluster only through its support: its API has nothing to call.
fn no_restore() -> DomainError {
    DomainError::precondition(
        "restore_unsupported",
        "Scaleway's Kubernetes API has no restore or etcd snapshot endpoint: a cluster on Scaleway is restored only by Scaleway's support (open a ticket with them); diagnostics still work with what the API reports",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaleway_error_bodies_become_domain_errors() {
        let not_found = error_from(
            StatusCode::NOT_FOUND,
            &json!({ "type": "not_found", "resource": "k8s_pool", "resource_id": "p1" }),
        );
        assert!(
            matches!(not_found, DomainError::NotFound { resource: "k8s_pool", ref resource_id } if resource_id == "p1")
        );
        let invalid = error_from(
            StatusCode::BAD_REQUEST,
            &json!({ "type": "invalid_arguments",
            "details": [{ "argument_name": "version", "reason": "constraint", "help_message": "no downgrades" }] }),
        );
        assert!(
            matches!(invalid, DomainError::InvalidArguments(ref args) if args[0].argument_name == "version")
        );
        let busy = error_from(
            StatusCode::CONFLICT,
            &json!({ "type": "transient_state", "resource": "k8s_cluster", "resource_id": "c", "current_state": "updating" }),
        );
        assert!(
            matches!(busy, DomainError::TransientState { ref current_state, .. } if current_state == "updating")
        );
        assert!(matches!(
            error_from(StatusCode::BAD_GATEWAY, &json!({})),
            DomainError::Provider(_)
        ));
        assert!(matches!(
            error_from(
                StatusCode::UNAUTHORIZED,
                &json!({ "type": "denied_authentication" })
            ),
            DomainError::Unauthenticated(_)
        ));
    }

    #[test]
    fn unset_fields_are_not_sent() {
        assert_eq!(
            without_nulls(json!({ "a": null, "b": { "c": null, "d": 1 }, "e": [ { "f": null } ] })),
            json!({ "b": { "d": 1 }, "e": [ {} ] })
        );
    }
}
