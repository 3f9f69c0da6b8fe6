//! The downloaded kubeconfig works with the real kubectl (1.32 on these machines): the sandbox
//! cluster's API server speaks TLS with the installation's CA, accepts the admin token, answers
//! the everyday commands, and refuses the old token after reset-admin-token.

use std::process::{Command, Output};

use serde_json::{json, Value};

use crate::crash::{api_key, Server};
use crate::support::TestDatabase;

const R: &str = "/k8s/v1/regions/fr-par";

fn kubectl(kubeconfig: &std::path::Path, cache: &std::path::Path, args: &[&str]) -> Output {
    Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .arg("--cache-dir")
        .arg(cache)
        .args(["--request-timeout", "20s"])
        .args(args)
        .output()
        .expect("kubectl must be installed (these machines' image has 1.32): see scripts/setup.sh")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

async fn kubectl_uses_the_downloaded_kubeconfig(test_db: TestDatabase) {
    let url = test_db.url.clone();
    let token = api_key(&url);
    let server = Server::start(&url, "1200");
    let (status, cluster) = server
        .request(
            "POST",
            &format!("{R}/clusters"),
            &token,
            Some(
                json!({ "name": "kubectl", "version": "1.35.1", "cni": "cilium",
                         "pools": [{ "name": "workers", "node_type": "PRO2-XS", "size": 2 }] }),
            ),
        )
        .expect("create");
    assert_eq!(status, 200, "{cluster}");
    let id = cluster["id"].as_str().expect("id").to_string();
    server.wait_for(
        || {
            let nodes = server
                .request("GET", &format!("{R}/clusters/{id}/nodes"), &token, None)
                .map(|(_, body)| body)
                .unwrap_or(Value::Null);
            let cluster = server
                .request("GET", &format!("{R}/clusters/{id}"), &token, None)
                .map(|(_, body)| body)
                .unwrap_or(Value::Null);
            cluster["status"] == "ready"
                && nodes["nodes"]
                    .as_array()
                    .is_some_and(|n| n.len() == 2 && n.iter().all(|n| n["status"] == "ready"))
        },
        "the cluster and its nodes to be ready",
    );
    let (_, cluster) = server
        .request("GET", &format!("{R}/clusters/{id}"), &token, None)
        .expect("cluster");
    let cluster_url = cluster["cluster_url"].as_str().expect("cluster_url");
    assert_eq!(
        cluster_url,
        format!("https://127.0.0.1:{}/clusters/{id}", server.kube_port)
    );

    let (status, yaml) = server
        .request_text(
            "GET",
            &format!("{R}/clusters/{id}/kubeconfig?dl=1"),
            &token,
            None,
        )
        .expect("kubeconfig");
    assert_eq!(status, 200, "{yaml}");
    assert!(
        yaml.contains(&format!("server: \"{cluster_url}\"")),
        "the kubeconfig's server is the cluster_url: {yaml}"
    );
    assert!(yaml.contains("certificate-authority-data: "), "{yaml}");
    let dir = tempfile::tempdir().expect("temporary directory");
    let kubeconfig = dir.path().join("kubeconfig.yaml");
    std::fs::write(&kubeconfig, &yaml).expect("write kubeconfig");
    let cache = dir.path().join("cache");

    let version = kubectl(&kubeconfig, &cache, &["version", "-o", "json"]);
    assert!(version.status.success(), "{}", text(&version));
    let version: Value = serde_json::from_slice(&version.stdout).expect("kubectl version JSON");
    assert_eq!(version["serverVersion"]["gitVersion"], "v1.35.1");

    let nodes = kubectl(&kubeconfig, &cache, &["get", "nodes", "-o", "wide"]);
    let nodes_text = text(&nodes);
    assert!(nodes.status.success(), "{nodes_text}");
    let header = nodes_text.lines().next().unwrap_or_default();
    for column in ["NAME", "STATUS", "VERSION", "INTERNAL-IP", "OS-IMAGE"] {
        assert!(header.contains(column), "{column} in {nodes_text}");
    }
    assert_eq!(
        nodes_text
            .lines()
            .filter(|line| line.contains(" Ready ") && line.contains("v1.35.1"))
            .count(),
        2,
        "{nodes_text}"
    );

    let namespaces = kubectl(&kubeconfig, &cache, &["get", "namespaces"]);
    let namespaces_text = text(&namespaces);
    assert!(namespaces.status.success(), "{namespaces_text}");
    for namespace in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        assert!(
            namespaces_text
                .lines()
                .any(|line| line.starts_with(namespace) && line.contains("Active")),
            "{namespace} in {namespaces_text}"
        );
    }

    let pods = kubectl(&kubeconfig, &cache, &["get", "pods", "-n", "kube-system"]);
    let pods_text = text(&pods);
    assert!(pods.status.success(), "{pods_text}");
    for app in ["coredns-", "kube-proxy-", "cilium-", "konnectivity-agent-"] {
        assert!(
            pods_text
                .lines()
                .any(|line| line.starts_with(app) && line.contains("Running")),
            "{app} in {pods_text}"
        );
    }
    // kube-proxy runs on every node.
    assert_eq!(
        pods_text
            .lines()
            .filter(|line| line.starts_with("kube-proxy-"))
            .count(),
        2,
        "{pods_text}"
    );

    let (status, _) = server
        .request(
            "POST",
            &format!("{R}/clusters/{id}/reset-admin-token"),
            &token,
            Some(json!({})),
        )
        .expect("reset");
    assert_eq!(status, 200);
    let refused = kubectl(&kubeconfig, &cache, &["get", "nodes"]);
    let refused_text = text(&refused);
    assert!(!refused.status.success(), "{refused_text}");
    assert!(
        refused_text.contains("Unauthorized") || refused_text.contains("provide credentials"),
        "the old token gets 401: {refused_text}"
    );
    test_db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_uses_the_downloaded_kubeconfig_sqlite() {
    kubectl_uses_the_downloaded_kubeconfig(TestDatabase::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_uses_the_downloaded_kubeconfig_postgres() {
    let Some(test_db) = TestDatabase::postgres().await else {
        return;
    };
    kubectl_uses_the_downloaded_kubeconfig(test_db).await;
}
