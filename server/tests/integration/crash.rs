//! Crash safety with a real process: `wheelhouse serve` is killed with SIGKILL in the middle of
//! scaling a pool and in the middle of replacing a node, restarted, and the final state checked:
//! no node lost, created twice or replaced twice.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sqlx::Row;

use crate::support::TestDatabase;

pub struct Server {
    child: Child,
    pub port: u16,
    /// The TLS listener of the sandbox clusters' Kubernetes API servers.
    pub kube_port: u16,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

impl Server {
    pub fn start(url: &str, time_scale: &str) -> Server {
        Server::start_with(url, time_scale, &[])
    }

    /// A server with more `serve` flags (another provider behind the port, say).
    pub fn start_with(url: &str, time_scale: &str, extra: &[&str]) -> Server {
        let (port, kube_port) = (free_port(), free_port());
        let child = crate::support::wheelhouse_command()
            .args([
                "serve",
                "--addr",
                &format!("127.0.0.1:{port}"),
                "--database-url",
                url,
            ])
            .args(["--time-scale", time_scale, "--reconcile-interval-ms", "20"])
            .args(["--kube-api-addr", &format!("127.0.0.1:{kube_port}")])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start wheelhouse");
        let server = Server {
            child,
            port,
            kube_port,
        };
        server.wait_for(
            || {
                server
                    .request("GET", "/readyz", "", None)
                    .map(|(status, _)| status == 200)
                    .unwrap_or(false)
            },
            "start",
        );
        server
    }

    pub fn request(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> Option<(u16, Value)> {
        let (status, text) = self.request_text(method, path, token, body)?;
        Some((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
    }

    /// The status and the body as text.
    pub fn request_text(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> Option<(u16, String)> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .ok()?;
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        write!(stream, "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nX-Auth-Token: {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len()).ok()?;
        let mut response = String::new();
        stream.read_to_string(&mut response).ok()?;
        let status = response.split(' ').nth(1)?.parse().ok()?;
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, body)| body.to_string())
            .unwrap_or_default();
        Some((status, body))
    }

    pub fn wait_for(&self, mut done: impl FnMut() -> bool, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !done() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The server's process id (to kill it while other threads still talk to it).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    fn kill_9(mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn api_key(url: &str) -> String {
    api_key_for(url, "crash")["secret_key"]
        .as_str()
        .expect("secret")
        .to_string()
}

/// A new API key of `project` (made with the CLI): access_key, secret_key, project_id.
pub fn api_key_for(url: &str, project: &str) -> Value {
    let output = crate::support::wheelhouse_command()
        .args([
            "api-key",
            "create",
            "--project",
            project,
            "--database-url",
            url,
        ])
        .output()
        .expect("api-key create");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let key: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert!(key["access_key"]
        .as_str()
        .expect("access key")
        .starts_with("SCW"));
    key
}

/// (status, count) of the pool's nodes, straight from the database.
async fn node_statuses(test_db: &TestDatabase, pool_id: &str) -> Vec<String> {
    sqlx::query("SELECT status FROM nodes WHERE pool_id = $1 ORDER BY created_at")
        .bind(pool_id)
        .fetch_all(test_db.database.pool())
        .await
        .expect("nodes")
        .iter()
        .map(|row| row.try_get::<String, _>("status").expect("status"))
        .collect()
}

async fn count(test_db: &TestDatabase, sql: &str, bind: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(bind)
        .fetch_one(test_db.database.pool())
        .await
        .expect("count")
}

pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(future))
}

async fn crash_during_scaling_and_replacement(test_db: TestDatabase) {
    let url = test_db.url.clone();
    let token = api_key(&url);
    let region = "/k8s/v1/regions/fr-par";

    // 1. Scaling: kill while the nodes are booting.
    let server = Server::start(&url, "40");
    let (status, cluster) = server.request("POST", &format!("{region}/clusters"), &token, Some(json!({
        "name": "crash", "version": "1.35.1", "cni": "cilium",
        "pools": [{ "name": "workers", "node_type": "pro2_xs", "size": 3, "upgrade_policy": { "max_surge": 1, "max_unavailable": 0 } }],
    }))).expect("create");
    assert_eq!(status, 200, "{cluster}");
    let cluster_id = cluster["id"].as_str().expect("id").to_string();
    let (_, pools) = server
        .request(
            "GET",
            &format!("{region}/clusters/{cluster_id}/pools"),
            &token,
            None,
        )
        .expect("pools");
    let pool_id = pools["pools"][0]["id"].as_str().expect("pool").to_string();
    server.wait_for(
        || {
            block_on(node_statuses(&test_db, &pool_id))
                .iter()
                .any(|s| s == "creating")
        },
        "nodes booting",
    );
    server.kill_9();
    let statuses = node_statuses(&test_db, &pool_id).await;
    assert!(
        statuses.iter().any(|s| s == "creating"),
        "killed mid-scaling: {statuses:?}"
    );

    let server = Server::start(&url, "40");
    server.wait_for(
        || {
            let statuses = block_on(node_statuses(&test_db, &pool_id));
            statuses.len() == 3
                && statuses.iter().all(|s| s == "ready")
                && block_on(count(
                    &test_db,
                    "SELECT COUNT(*) FROM operations WHERE cluster_id = $1 AND state = 'pending'",
                    &cluster_id,
                )) == 0
        },
        "the pool to settle after the restart",
    );
    assert_eq!(
        count(
            &test_db,
            "SELECT COUNT(*) FROM nodes WHERE pool_id = $1",
            &pool_id
        )
        .await,
        3,
        "no node created twice"
    );
    let (_, pool) = server
        .request("GET", &format!("{region}/pools/{pool_id}"), &token, None)
        .expect("pool");
    assert_eq!(pool["status"], "ready");

    // 2. Replacement: kill while the replacement boots (surge first: 4 nodes exist then).
    let (_, nodes) = server
        .request(
            "GET",
            &format!("{region}/clusters/{cluster_id}/nodes"),
            &token,
            None,
        )
        .expect("nodes");
    let old_id = nodes["nodes"][0]["id"].as_str().expect("node").to_string();
    let (status, _) = server
        .request(
            "POST",
            &format!("{region}/nodes/{old_id}/replace"),
            &token,
            Some(json!({})),
        )
        .expect("replace");
    assert_eq!(status, 200);
    server.wait_for(
        || block_on(node_statuses(&test_db, &pool_id)).len() == 4,
        "the replacement to boot",
    );
    server.kill_9();

    let server = Server::start(&url, "40");
    server.wait_for(
        || {
            let statuses = block_on(node_statuses(&test_db, &pool_id));
            statuses.len() == 3
                && statuses.iter().all(|s| s == "ready")
                && block_on(count(
                    &test_db,
                    "SELECT COUNT(*) FROM operations WHERE cluster_id = $1 AND state = 'pending'",
                    &cluster_id,
                )) == 0
        },
        "the replacement to finish after the restart",
    );
    assert_eq!(
        count(
            &test_db,
            "SELECT COUNT(*) FROM nodes WHERE id = $1",
            &old_id
        )
        .await,
        0,
        "the old node is gone"
    );
    assert_eq!(
        count(
            &test_db,
            "SELECT COUNT(*) FROM events WHERE cluster_id = $1 AND reason = 'NodeCreating'",
            &cluster_id
        )
        .await,
        4,
        "three nodes for the pool and exactly one replacement were ever created"
    );
    assert_eq!(
        count(
            &test_db,
            "SELECT COUNT(*) FROM operations WHERE cluster_id = $1 AND state = 'failed'",
            &cluster_id
        )
        .await,
        0
    );
    drop(server);
    test_db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_rollout_resumes_without_loss_or_duplicates_sqlite() {
    crash_during_scaling_and_replacement(TestDatabase::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_rollout_resumes_without_loss_or_duplicates_postgres() {
    let Some(test_db) = TestDatabase::postgres().await else {
        return;
    };
    crash_during_scaling_and_replacement(test_db).await;
}

/// Two replicas share one PostgreSQL database and both reconcile: every node is created, settled
/// and deleted exactly once, whichever replica took each step.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_share_the_work_without_doing_it_twice() {
    let Some(test_db) = TestDatabase::postgres().await else {
        return;
    };
    let url = test_db.url.clone();
    let token = api_key(&url);
    let region = "/k8s/v1/regions/fr-par";
    let (a, b) = (Server::start(&url, "120"), Server::start(&url, "120"));
    let settled = |cluster_id: &str, pool_id: &str, size: usize| {
        let statuses = block_on(node_statuses(&test_db, pool_id));
        statuses.len() == size
            && statuses.iter().all(|s| s == "ready")
            && block_on(count(
                &test_db,
                "SELECT COUNT(*) FROM operations WHERE cluster_id = $1 AND state = 'pending'",
                cluster_id,
            )) == 0
    };

    let (status, cluster) = a.request("POST", &format!("{region}/clusters"), &token, Some(json!({
        "name": "replicas", "version": "1.34.2", "cni": "cilium",
        "pools": [{ "name": "workers", "node_type": "pro2_xs", "size": 4, "upgrade_policy": { "max_surge": 1, "max_unavailable": 0 } }],
    }))).expect("create");
    assert_eq!(status, 200, "{cluster}");
    let id = cluster["id"].as_str().expect("id").to_string();
    let (_, pools) = b
        .request(
            "GET",
            &format!("{region}/clusters/{id}/pools"),
            &token,
            None,
        )
        .expect("pools");
    let pool_id = pools["pools"][0]["id"].as_str().expect("pool").to_string();
    a.wait_for(|| settled(&id, &pool_id, 4), "4 nodes");

    let (status, _) = b
        .request(
            "PATCH",
            &format!("{region}/pools/{pool_id}"),
            &token,
            Some(json!({ "size": 6 })),
        )
        .expect("scale");
    assert_eq!(status, 200);
    a.wait_for(|| settled(&id, &pool_id, 6), "6 nodes");
    let (_, nodes) = a
        .request(
            "GET",
            &format!("{region}/clusters/{id}/nodes"),
            &token,
            None,
        )
        .expect("nodes");
    let node_id = nodes["nodes"][0]["id"].as_str().expect("node").to_string();
    let (status, _) = a
        .request(
            "POST",
            &format!("{region}/nodes/{node_id}/replace"),
            &token,
            Some(json!({})),
        )
        .expect("replace");
    assert_eq!(status, 200);
    a.wait_for(
        || {
            settled(&id, &pool_id, 6)
                && block_on(count(
                    &test_db,
                    "SELECT COUNT(*) FROM nodes WHERE id = $1",
                    &node_id,
                )) == 0
        },
        "the replacement",
    );
    let (status, body) = b
        .request(
            "POST",
            &format!("{region}/clusters/{id}/upgrade"),
            &token,
            Some(json!({ "version": "1.35.1", "upgrade_pools": true })),
        )
        .expect("upgrade");
    assert_eq!(status, 200, "{body}");
    a.wait_for(
        || {
            settled(&id, &pool_id, 6)
                && block_on(count(
                    &test_db,
                    "SELECT COUNT(*) FROM nodes WHERE pool_id = $1 AND version = '1.35.1'",
                    &pool_id,
                )) == 6
        },
        "the upgrade",
    );

    // 4 + 2 (scale) + 1 (replace) + 6 (upgrade) nodes were ever created; 7 were removed.
    let events = |reason: &'static str| {
        let test_db = &test_db;
        let id = id.clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM events WHERE cluster_id = $1 AND reason = $2",
            )
            .bind(&id)
            .bind(reason)
            .fetch_one(test_db.database.pool())
            .await
            .expect("count")
        }
    };
    assert_eq!(events("NodeCreating").await, 13);
    assert_eq!(
        events("NodeReady").await,
        13,
        "each boot settled by exactly one replica"
    );
    assert_eq!(events("NodeDeleted").await, 7);
    assert_eq!(events("ControlPlaneUpgraded").await, 1);
    drop((a, b));
    test_db.cleanup().await;
}

/// The nodes' (status, version) of a cluster, straight from the database.
async fn cluster_nodes(test_db: &TestDatabase, cluster_id: &str) -> Vec<(String, String)> {
    sqlx::query("SELECT status, version FROM nodes WHERE cluster_id = $1 ORDER BY created_at")
        .bind(cluster_id)
        .fetch_all(test_db.database.pool())
        .await
        .expect("nodes")
        .iter()
        .map(|row| {
            (
                row.try_get::<String, _>("status").expect("status"),
                row.try_get::<String, _>("version").expect("version"),
            )
        })
        .collect()
}

/// An upgrade killed mid-wave, restarted; then paused, killed while paused (the pause holds
/// across the restart), resumed: every node ends on the target, none lost, each replaced once.
async fn crash_during_upgrade(test_db: TestDatabase) {
    let url = test_db.url.clone();
    let token = api_key(&url);
    let region = "/k8s/v1/regions/fr-par";
    let extension = "/api/v1/regions/fr-par";
    let server = Server::start(&url, "40");
    let (status, cluster) = server.request("POST", &format!("{region}/clusters"), &token, Some(json!({
        "name": "crash-upgrade", "version": "1.34.2", "cni": "cilium",
        "pools": [{ "name": "workers", "node_type": "pro2_xs", "size": 3, "upgrade_policy": { "max_surge": 1, "max_unavailable": 0 } }],
    }))).expect("create");
    assert_eq!(status, 200, "{cluster}");
    let cluster_id = cluster["id"].as_str().expect("id").to_string();
    let all = |version: &'static str| {
        let (test_db, cluster_id) = (&test_db, cluster_id.clone());
        move || {
            let nodes = block_on(cluster_nodes(test_db, &cluster_id));
            nodes.len() == 3
                && nodes.iter().all(|(s, v)| s == "ready" && v == version)
                && block_on(count(
                    test_db,
                    "SELECT COUNT(*) FROM operations WHERE cluster_id = $1 AND state = 'pending'",
                    &cluster_id,
                )) == 0
        }
    };
    server.wait_for(all("1.34.2"), "the cluster to be ready");
    let (status, started) = server
        .request(
            "POST",
            &format!("{extension}/clusters/{cluster_id}/upgrades"),
            &token,
            Some(json!({ "version": "1.34.5" })),
        )
        .expect("upgrade");
    assert_eq!(status, 200, "{started}");
    server.wait_for(
        || {
            block_on(cluster_nodes(&test_db, &cluster_id))
                .iter()
                .any(|(s, v)| s == "creating" && v == "1.34.5")
        },
        "a surge node of the new version booting",
    );
    server.kill_9();

    let server = Server::start(&url, "40");
    server.wait_for(all("1.34.5"), "the upgrade to finish after the restart");
    assert_eq!(
        count(
            &test_db,
            "SELECT COUNT(*) FROM events WHERE cluster_id = $1 AND reason = 'NodeCreating'",
            &cluster_id
        )
        .await,
        6,
        "three nodes, and exactly one replacement each"
    );

    // Paused mid-rollout, killed while paused: still paused after the restart.
    let (status, _) = server
        .request(
            "POST",
            &format!("{extension}/clusters/{cluster_id}/upgrades"),
            &token,
            Some(json!({ "version": "1.35.1" })),
        )
        .expect("upgrade");
    assert_eq!(status, 200);
    server.wait_for(
        || {
            block_on(cluster_nodes(&test_db, &cluster_id))
                .iter()
                .any(|(_, v)| v == "1.35.1")
        },
        "the first wave",
    );
    let (status, paused) = server
        .request(
            "POST",
            &format!("{extension}/clusters/{cluster_id}/upgrade-pause"),
            &token,
            Some(json!({})),
        )
        .expect("pause");
    assert_eq!(status, 200, "{paused}");
    server.wait_for(
        || {
            let nodes = block_on(cluster_nodes(&test_db, &cluster_id));
            nodes.len() == 3 && nodes.iter().all(|(s, _)| s == "ready")
        },
        "the wave under way to finish",
    );
    server.kill_9();
    let moved = cluster_nodes(&test_db, &cluster_id)
        .await
        .iter()
        .filter(|(_, v)| v == "1.35.1")
        .count();
    let server = Server::start(&url, "40");
    std::thread::sleep(Duration::from_secs(3));
    let nodes = cluster_nodes(&test_db, &cluster_id).await;
    assert_eq!(
        nodes.iter().filter(|(_, v)| v == "1.35.1").count(),
        moved,
        "still paused: {nodes:?}"
    );
    let (status, _) = server
        .request(
            "POST",
            &format!("{extension}/clusters/{cluster_id}/upgrade-resume"),
            &token,
            Some(json!({})),
        )
        .expect("resume");
    assert_eq!(status, 200);
    server.wait_for(all("1.35.1"), "the resumed upgrade to finish");
    assert_eq!(
        count(
            &test_db,
            "SELECT COUNT(*) FROM events WHERE cluster_id = $1 AND reason = 'NodeCreating'",
            &cluster_id
        )
        .await,
        9,
        "each node replaced exactly once per upgrade"
    );
    assert_eq!(
        count(
            &test_db,
            "SELECT COUNT(*) FROM operations WHERE cluster_id = $1 AND state = 'failed'",
            &cluster_id
        )
        .await,
        0
    );
    drop(server);
    test_db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_upgrade_and_while_paused_resumes_sqlite() {
    crash_during_upgrade(TestDatabase::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_upgrade_and_while_paused_resumes_postgres() {
    let Some(test_db) = TestDatabase::postgres().await else {
        return;
    };
    crash_during_upgrade(test_db).await;
}

/// A rollback killed mid-wave, restarted: the pools finish going back, then the control plane;
/// every node ends on the previous version, none lost, each replaced once.
async fn crash_during_rollback(test_db: TestDatabase) {
    let url = test_db.url.clone();
    let token = api_key(&url);
    let region = "/k8s/v1/regions/fr-par";
    let extension = "/api/v1/regions/fr-par";
    let server = Server::start(&url, "40");
    let (status, cluster) = server.request("POST", &format!("{region}/clusters"), &token, Some(json!({
        "name": "crash-rollback", "version": "1.34.5", "cni": "cilium",
        "pools": [{ "name": "workers", "node_type": "pro2_xs", "size": 3, "upgrade_policy": { "max_surge": 1, "max_unavailable": 0 } }],
    }))).expect("create");
    assert_eq!(status, 200, "{cluster}");
    let cluster_id = cluster["id"].as_str().expect("id").to_string();
    let all = |version: &'static str| {
        let (test_db, cluster_id) = (&test_db, cluster_id.clone());
        move || {
            let nodes = block_on(cluster_nodes(test_db, &cluster_id));
            nodes.len() == 3
                && nodes.iter().all(|(s, v)| s == "ready" && v == version)
                && block_on(count(
                    test_db,
                    "SELECT COUNT(*) FROM operations WHERE cluster_id = $1 AND state = 'pending'",
                    &cluster_id,
                )) == 0
        }
    };
    server.wait_for(all("1.34.5"), "the cluster to be ready");
    let (status, started) = server
        .request(
            "POST",
            &format!("{extension}/clusters/{cluster_id}/upgrades"),
            &token,
            Some(json!({ "version": "1.35.1", "soak_days": 1 })),
        )
        .expect("upgrade");
    assert_eq!(status, 200, "{started}");
    server.wait_for(all("1.35.1"), "the upgrade to finish");
    let (status, run) = server
        .request(
            "POST",
            &format!("{extension}/clusters/{cluster_id}/rollbacks"),
            &token,
            Some(json!({})),
        )
        .expect("rollback");
    assert_eq!(status, 200, "{run}");
    server.wait_for(
        || {
            block_on(cluster_nodes(&test_db, &cluster_id))
                .iter()
                .any(|(s, v)| s == "creating" && v == "1.34.5")
        },
        "a surge node of the previous version booting",
    );
    server.kill_9();

    let server = Server::start(&url, "40");
    server.wait_for(all("1.34.5"), "the rollback to finish after the restart");
    let control_plane = || {
        server
            .request(
                "GET",
                &format!("{region}/clusters/{cluster_id}"),
                &token,
                None,
            )
            .expect("cluster")
            .1
    };
    server.wait_for(
        || control_plane()["status"] == "ready",
        "the control plane to go back",
    );
    assert_eq!(control_plane()["version"], "1.34.5");
    assert_eq!(
        count(
            &test_db,
            "SELECT COUNT(*) FROM events WHERE cluster_id = $1 AND reason = 'NodeCreating'",
            &cluster_id
        )
        .await,
        9,
        "three nodes, replaced exactly once by the upgrade and once by the rollback"
    );
    assert_eq!(
        count(
            &test_db,
            "SELECT COUNT(*) FROM operations WHERE cluster_id = $1 AND state = 'failed'",
            &cluster_id
        )
        .await,
        0
    );
    drop(server);
    test_db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_rollback_resumes_sqlite() {
    crash_during_rollback(TestDatabase::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_rollback_resumes_postgres() {
    let Some(test_db) = TestDatabase::postgres().await else {
        return;
    };
    crash_during_rollback(test_db).await;
}

/// A lifespan replacement killed mid-way (the sandbox clock moved past the nodes' lifespan),
/// restarted: every overdue node is replaced exactly once, none lost.
async fn crash_during_lifespan_replacement(test_db: TestDatabase) {
    let url = test_db.url.clone();
    let token = api_key(&url);
    let region = "/k8s/v1/regions/fr-par";
    let extension = "/api/v1/regions/fr-par";
    let fast = ["--maintenance-interval-ms", "100"];
    let server = Server::start_with(&url, "40", &fast);
    let (status, cluster) = server
        .request(
            "POST",
            &format!("{region}/clusters"),
            &token,
            Some(json!({
                "name": "crash-lifespan", "version": "1.34.5", "cni": "cilium",
                "pools": [{ "name": "workers", "node_type": "pro2_xs", "size": 3 }],
            })),
        )
        .expect("create");
    assert_eq!(status, 200, "{cluster}");
    let cluster_id = cluster["id"].as_str().expect("id").to_string();
    let ready = || {
        let nodes = block_on(cluster_nodes(&test_db, &cluster_id));
        nodes.len() == 3 && nodes.iter().all(|(s, _)| s == "ready")
    };
    server.wait_for(ready, "the cluster to be ready");
    let (_, pools) = server
        .request(
            "GET",
            &format!("{region}/clusters/{cluster_id}/pools"),
            &token,
            None,
        )
        .expect("pools");
    let pool_id = pools["pools"][0]["id"].as_str().expect("pool").to_string();
    let original: Vec<String> = node_ids(&test_db, &cluster_id).await;
    // A window open all day, every day; a one-day lifespan; then two days pass.
    let (status, window) = server
        .request(
            "PUT",
            &format!("{extension}/clusters/{cluster_id}/maintenance-window"),
            &token,
            Some(json!({ "days": ["any"], "start_hour": 0, "duration_hours": 24 })),
        )
        .expect("window");
    assert_eq!(status, 200, "{window}");
    let (status, _) = server
        .request(
            "PUT",
            &format!("{extension}/pools/{pool_id}/lifespan"),
            &token,
            Some(json!({ "max_node_age_days": 1 })),
        )
        .expect("lifespan");
    assert_eq!(status, 200);
    let advanced = crate::support::wheelhouse_command()
        .args(["admin", "clock", "advance", "2d", "--database-url", &url])
        .output()
        .expect("clock advance");
    assert!(
        advanced.status.success(),
        "{}",
        String::from_utf8_lossy(&advanced.stderr)
    );
    server.wait_for(
        || {
            block_on(cluster_nodes(&test_db, &cluster_id))
                .iter()
                .any(|(s, _)| s == "creating")
        },
        "a replacement node booting",
    );
    server.kill_9();

    let server = Server::start_with(&url, "40", &fast);
    server.wait_for(
        || {
            let ids = block_on(node_ids(&test_db, &cluster_id));
            ready() && ids.iter().all(|id| !original.contains(id))
        },
        "every overdue node replaced after the restart",
    );
    assert_eq!(
        count(
            &test_db,
            "SELECT COUNT(*) FROM lifespan_replacements WHERE cluster_id = $1",
            &cluster_id
        )
        .await,
        3,
        "each overdue node's replacement recorded once"
    );
    assert_eq!(
        count(
            &test_db,
            "SELECT COUNT(*) FROM events WHERE cluster_id = $1 AND reason = 'NodeCreating'",
            &cluster_id
        )
        .await,
        6,
        "three nodes, and exactly one replacement each"
    );
    drop(server);
    test_db.cleanup().await;
}

async fn node_ids(test_db: &TestDatabase, cluster_id: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT id FROM nodes WHERE cluster_id = $1 ORDER BY id")
        .bind(cluster_id)
        .fetch_all(test_db.database.pool())
        .await
        .expect("nodes")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_lifespan_replacement_replaces_each_node_once_sqlite() {
    crash_during_lifespan_replacement(TestDatabase::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_lifespan_replacement_replaces_each_node_once_postgres() {
    let Some(test_db) = TestDatabase::postgres().await else {
        return;
    };
    crash_during_lifespan_replacement(test_db).await;
}
