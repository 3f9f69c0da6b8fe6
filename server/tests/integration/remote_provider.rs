//! `serve --provider scaleway`: a Wheelhouse in front of another one, reached through the
//! remote adapter. The official Python SDK drives a cluster's whole life through the front, and
//! the front's projects stay apart although the back is one account.

use std::path::PathBuf;
use std::process::Command;

use serde_json::json;

use crate::crash::{api_key_for, Server};
use crate::support::TestDatabase;

const R: &str = "/k8s/v1/regions/fr-par";

fn python() -> PathBuf {
    let python =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../end2end/python/.venv/bin/python");
    assert!(
        python.exists(),
        "the Python SDK's virtual environment is missing ({}): run scripts/setup.sh",
        python.display()
    );
    python
}

async fn a_wheelhouse_in_front_of_another(front_db: TestDatabase) {
    let back_db = TestDatabase::sqlite().await;
    let back = Server::start(&back_db.url, "1200");
    let back_key = api_key_for(&back_db.url, "front-account");
    let back_secret = back_key["secret_key"].as_str().expect("secret").to_string();
    let back_url = format!("http://127.0.0.1:{}", back.port);
    let front = Server::start_with(
        &front_db.url,
        "1200",
        &[
            "--provider",
            "scaleway",
            "--provider-url",
            &back_url,
            "--provider-secret-key",
            &back_secret,
        ],
    );
    let front_url = format!("http://127.0.0.1:{}", front.port);

    // The official Python SDK, unchanged, against the front.
    let key = api_key_for(&front_db.url, "through-the-front");
    let output = Command::new(python())
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../end2end/python/sdk_lifecycle.py"))
        .env("WHEELHOUSE_URL", &front_url)
        .env(
            "SCW_ACCESS_KEY",
            key["access_key"].as_str().expect("access"),
        )
        .env(
            "SCW_SECRET_KEY",
            key["secret_key"].as_str().expect("secret"),
        )
        .env(
            "SCW_DEFAULT_PROJECT_ID",
            key["project_id"].as_str().expect("project"),
        )
        .output()
        .expect("run the Python SDK");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "the SDK through the front:\n{printed}"
    );
    assert!(printed.contains("PASS"), "{printed}");

    // Tenancy above the port: two projects of the front share the back's one account.
    let secret = key["secret_key"].as_str().expect("secret").to_string();
    let (status, cluster) = front
        .request(
            "POST",
            &format!("{R}/clusters"),
            &secret,
            Some(json!({
            "name": "mine", "version": "1.35.1", "cni": "cilium",
            "pools": [{ "name": "p", "node_type": "PRO2-XS", "size": 1 }] })),
        )
        .expect("create");
    assert_eq!(status, 200, "{cluster}");
    let id = cluster["id"].as_str().expect("id").to_string();
    let (_, on_back) = back
        .request("GET", &format!("{R}/clusters/{id}"), &back_secret, None)
        .expect("back");
    assert_eq!(
        on_back["name"], "mine",
        "the cluster lives at the back: {on_back}"
    );
    let other = api_key_for(&front_db.url, "someone-else");
    let other_secret = other["secret_key"].as_str().expect("secret");
    let (status, _) = front
        .request("GET", &format!("{R}/clusters/{id}"), other_secret, None)
        .expect("get");
    assert_eq!(status, 404, "another project of the front cannot see it");
    let (status, listed) = front
        .request("GET", &format!("{R}/clusters"), other_secret, None)
        .expect("list");
    assert_eq!(status, 200);
    assert_eq!(listed["total_count"], 0, "{listed}");
    let (status, _) = front
        .request("DELETE", &format!("{R}/clusters/{id}"), other_secret, None)
        .expect("delete");
    assert_eq!(status, 404, "nor delete it");
    let (status, listed) = front
        .request("GET", &format!("{R}/clusters"), &secret, None)
        .expect("list");
    assert_eq!(status, 200);
    assert_eq!(listed["total_count"], 1, "the owner sees it: {listed}");

    // Soak and rollback need a provider that can go back: Scaleway's API cannot, so a
    // soaking upgrade through the front is refused a rollback with 412, and nothing moves.
    let x = "/api/v1/regions/fr-par";
    let status_of = |path: String| {
        let front = &front;
        let secret = secret.clone();
        move || {
            front
                .request("GET", &path, &secret, None)
                .map(|(_, body)| body)
                .unwrap_or_default()
        }
    };
    let cluster_now = status_of(format!("{R}/clusters/{id}"));
    let pools_now = status_of(format!("{R}/clusters/{id}/pools"));
    front.wait_for(
        || cluster_now()["status"] == "ready" && pools_now()["pools"][0]["status"] == "ready",
        "the cluster and its pool to be ready",
    );
    let (status, started) = front
        .request(
            "POST",
            &format!("{x}/clusters/{id}/upgrades"),
            &secret,
            Some(json!({ "version": "1.36.0", "soak_days": 3 })),
        )
        .expect("upgrade");
    assert_eq!(status, 200, "{started}");
    let progress = status_of(format!("{x}/clusters/{id}/upgrade-progress"));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while progress()["finished"] != true {
        assert!(
            std::time::Instant::now() < deadline,
            "the upgrade never finished: {}",
            progress()
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let (status, refused) = front
        .request(
            "POST",
            &format!("{x}/clusters/{id}/rollbacks"),
            &secret,
            Some(json!({})),
        )
        .expect("rollback");
    assert_eq!(status, 412, "{refused}");
    assert!(
        refused.to_string().contains("cannot roll a cluster back"),
        "{refused}"
    );
    assert_eq!(cluster_now()["version"], "1.36.0", "nothing moved");

    drop(front);
    drop(back);
    back_db.cleanup().await;
    front_db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wheelhouse_in_front_of_another_sqlite() {
    a_wheelhouse_in_front_of_another(TestDatabase::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wheelhouse_in_front_of_another_postgres() {
    let Some(front_db) = TestDatabase::postgres().await else {
        return;
    };
    a_wheelhouse_in_front_of_another(front_db).await;
}
