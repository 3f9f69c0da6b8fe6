//! JSON views in Scaleway's k8s v1 shapes: field names, enum values and RFC 3339 timestamps as
//! the official SDKs expect them. The domain types are not serialised directly.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};

use crate::domain::model::{AclRule, Cluster, ClusterOffer, KubeVersionEntry, Node, Pool, Taint};

pub fn timestamp(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub fn cluster(cluster: &Cluster) -> Value {
    let commitment_ends_at = cluster.commitment_ends_at.map(timestamp);
    json!({
        "id": cluster.id,
        "type": cluster.cluster_type,
        "name": cluster.name,
        "status": cluster.status.as_str(),
        "version": cluster.version,
        "region": cluster.region,
        "organization_id": cluster.organization_id,
        "project_id": cluster.project_id,
        "tags": cluster.tags,
        "cni": cluster.cni,
        "description": cluster.description,
        "cluster_url": cluster.cluster_url,
        "dns_wildcard": format!("*.{}.nodes.k8s.{}.scw.cloud", cluster.id, cluster.region),
        "created_at": timestamp(cluster.created_at),
        "updated_at": timestamp(cluster.updated_at),
        "autoscaler_config": cluster.autoscaler_config,
        "auto_upgrade": {
            "enabled": cluster.auto_upgrade_enabled,
            "maintenance_window": { "start_hour": cluster.maintenance_start_hour, "day": cluster.maintenance_day },
        },
        "upgrade_available": cluster.upgrade_available,
        "feature_gates": cluster.feature_gates,
        "admission_plugins": cluster.admission_plugins,
        "open_id_connect_config": oidc(&cluster.open_id_connect_config),
        "apiserver_cert_sans": cluster.apiserver_cert_sans,
        "private_network_id": cluster.private_network_id,
        "commitment_ends_at": commitment_ends_at,
        "acl_available": true,
        // Scaleway's IAM group of the nodes; the sandbox has no IAM, and the SDKs want a string.
        "iam_nodes_group_id": "",
        "new_images_enabled": true,
        "pod_cidr": cluster.pod_cidr,
        "service_cidr": cluster.service_cidr,
        "service_dns_ip": cluster.service_dns_ip,
    })
}

fn oidc(config: &Value) -> Value {
    let field = |name: &str| {
        config
            .get(name)
            .cloned()
            .unwrap_or(Value::String(String::new()))
    };
    let list = |name: &str| config.get(name).cloned().unwrap_or(json!([]));
    json!({
        "issuer_url": field("issuer_url"),
        "client_id": field("client_id"),
        "username_claim": field("username_claim"),
        "username_prefix": field("username_prefix"),
        "groups_claim": list("groups_claim"),
        "groups_prefix": field("groups_prefix"),
        "required_claim": list("required_claim"),
    })
}

pub fn pool(pool: &Pool) -> Value {
    json!({
        "id": pool.id,
        "cluster_id": pool.cluster_id,
        "created_at": timestamp(pool.created_at),
        "updated_at": timestamp(pool.updated_at),
        "name": pool.name,
        "status": pool.status.as_str(),
        "version": pool.version,
        "node_type": pool.node_type,
        "autoscaling": pool.autoscaling,
        "size": pool.size,
        "min_size": pool.min_size,
        "max_size": pool.max_size,
        "container_runtime": pool.container_runtime,
        "autohealing": pool.autohealing,
        "tags": pool.tags,
        "placement_group_id": pool.placement_group_id,
        "kubelet_args": pool.kubelet_args,
        "upgrade_policy": { "max_unavailable": pool.max_unavailable, "max_surge": pool.max_surge },
        "zone": pool.zone,
        "root_volume_type": pool.root_volume_type,
        "root_volume_size": pool.root_volume_size,
        "public_ip_disabled": pool.public_ip_disabled,
        "new_images_enabled": true,
        "security_group_id": pool.security_group_id,
        "region": pool.region,
        "labels": pool.labels,
        "taints": pool.taints.iter().map(taint).collect::<Vec<_>>(),
        "startup_taints": pool.startup_taints.iter().map(taint).collect::<Vec<_>>(),
        "error_message": Value::Null,
    })
}

fn taint(taint: &Taint) -> Value {
    json!({ "key": taint.key, "value": taint.value, "effect": taint.effect })
}

pub fn node(node: &Node) -> Value {
    json!({
        "id": node.id,
        "pool_id": node.pool_id,
        "cluster_id": node.cluster_id,
        "provider_id": node.provider_id,
        "region": node.region,
        "name": node.name,
        "public_ip_v4": node.public_ip_v4,
        "public_ip_v6": node.public_ip_v6,
        "conditions": node.conditions,
        "status": node.status.as_str(),
        "error_message": node.error_message,
        "created_at": timestamp(node.created_at),
        "updated_at": timestamp(node.updated_at),
    })
}

pub fn version(entry: &KubeVersionEntry, region: &str) -> Value {
    json!({
        "name": entry.name,
        "label": entry.label,
        "region": region,
        "available_cnis": entry.available_cnis,
        "available_container_runtimes": entry.available_runtimes,
        "available_feature_gates": entry.feature_gates,
        "available_admission_plugins": entry.admission_plugins,
        "available_kubelet_args": entry.kubelet_args,
        "additional_components": {},
        "deprecated_at": entry.deprecated_at.map(timestamp),
        "end_of_life_at": entry.end_of_life_at.map(timestamp),
        "released_at": timestamp(entry.released_at),
    })
}

pub fn cluster_type(cluster_type: &ClusterOffer, region: &str) -> Value {
    json!({
        "region": region,
        "name": cluster_type.name,
        "availability": cluster_type.availability,
        "max_nodes": cluster_type.max_nodes,
        "commitment_delay": cluster_type.commitment_delay_seconds.map(|s| format!("{s}s")),
        "sla": cluster_type.sla,
        "resiliency": cluster_type.resiliency,
        "memory": cluster_type.memory,
        "dedicated": cluster_type.dedicated,
        "audit_logs_supported": cluster_type.audit_logs_supported,
        "max_etcd_size": cluster_type.max_etcd_size,
    })
}

pub fn acl_rule(rule: &AclRule, region: &str) -> Value {
    let mut value = json!({ "id": rule.id, "description": rule.description, "region": region });
    if rule.scaleway_ranges {
        value["scaleway_ranges"] = json!(true);
    } else {
        value["ip"] = json!(rule.ip);
    }
    value
}
