//! The real `wheelhouse` binary: it starts, answers, stops on SIGTERM, and refuses bad
//! configuration with one clear line and a non-zero exit.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn run(args: &[&str]) -> Output {
    crate::support::wheelhouse_command()
        .args(args)
        .env_remove("WHEELHOUSE_DATABASE_URL")
        .env_remove("WHEELHOUSE_ADDR")
        .output()
        .expect("run wheelhouse")
}

fn stderr_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free port")
}

/// A minimal HTTP/1.0 GET, so the test needs no HTTP client crate.
fn http_get(port: u16, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    Some(response)
}

#[test]
fn a_bad_address_fails_with_one_line() {
    let output = run(&["serve", "--addr", "not-an-address"]);
    assert!(!output.status.success());
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains("invalid value 'not-an-address' for '--addr"),
        "{stderr}"
    );
}

#[test]
fn an_address_in_use_fails_with_one_line() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}", dir.path().join("w.db").display());
    let output = run(&[
        "serve",
        "--addr",
        &addr,
        "--database-url",
        &url,
        "--kube-api-addr",
        "127.0.0.1:0",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = stderr_of(&output);
    let line = stderr.lines().last().unwrap_or_default();
    assert!(
        line.starts_with(&format!("wheelhouse: error: cannot listen on {addr}:")),
        "{stderr}"
    );
}

#[test]
fn an_unreachable_database_fails_with_one_line() {
    let output = run(&[
        "migrate",
        "--database-url",
        "postgres://postgres@127.0.0.1:1/test",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = stderr_of(&output);
    assert!(
        stderr.trim_end().ends_with("connection refused")
            || stderr.to_lowercase().contains("connection refused"),
        "{stderr}"
    );
    assert!(stderr.contains("wheelhouse: error: cannot connect to the database at postgres://postgres@127.0.0.1:1/test"), "{stderr}");
}

#[test]
fn a_database_file_that_cannot_be_written_fails_with_one_line() {
    let file = tempfile::NamedTempFile::new().expect("temporary file");
    let url = format!("sqlite://{}/wheelhouse.db", file.path().display());
    let output = run(&["migrate", "--database-url", &url]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains("wheelhouse: error: the database file"),
        "{stderr}"
    );
    assert!(stderr.contains("cannot be created or written"), "{stderr}");
}

#[test]
fn migrate_reports_the_schema_is_up_to_date() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}", dir.path().join("w.db").display());
    let output = run(&["migrate", "--database-url", &url]);
    assert!(output.status.success(), "{}", stderr_of(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("is up to date"), "{stdout}");
}

#[test]
fn serve_answers_probes_and_stops_gracefully_on_sigterm() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let port = free_port();
    let mut child = crate::support::wheelhouse_command()
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .args(["--kube-api-addr", "127.0.0.1:0"])
        .env(
            "WHEELHOUSE_DATABASE_URL",
            format!("sqlite://{}", dir.path().join("w.db").display()),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start wheelhouse");

    let deadline = Instant::now() + Duration::from_secs(30);
    let ready = loop {
        if let Some(response) = http_get(port, "/readyz") {
            break response;
        }
        assert!(
            Instant::now() < deadline,
            "wheelhouse did not start within 30 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(ready.starts_with("HTTP/1.0 200"), "{ready}");

    let pid = child.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(Instant::now() < deadline, "wheelhouse ignored SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "a graceful stop exits 0: {status:?}");
}

/// The owner's CLI against a real server: the pre-flight's NO-GO with the workload named (and
/// a failing exit), the operator's inventory tool to change what the cluster uses, then an
/// upgrade followed to its end with `--wait`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_cli_runs_the_preflight_and_follows_an_upgrade() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let database_url = format!("sqlite://{}", dir.path().join("w.db").display());
    let port = free_port();
    let key = run(&[
        "api-key",
        "create",
        "--project",
        "shop",
        "--database-url",
        &database_url,
    ]);
    assert!(key.status.success(), "{}", stderr_of(&key));
    let key: serde_json::Value = serde_json::from_slice(&key.stdout).expect("key json");
    let secret = key["secret_key"].as_str().expect("secret").to_string();
    let mut child = crate::support::wheelhouse_command()
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .args(["--kube-api-addr", "127.0.0.1:0", "--time-scale", "3000"])
        .args([
            "--reconcile-interval-ms",
            "20",
            "--database-url",
            &database_url,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start wheelhouse");
    let url = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while http_get(port, "/readyz").is_none_or(|r| !r.starts_with("HTTP/1.0 200")) {
        assert!(Instant::now() < deadline, "wheelhouse did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    let created: serde_json::Value = http
        .post(format!("{url}/k8s/v1/regions/fr-par/clusters"))
        .header("x-auth-token", &secret)
        .json(&serde_json::json!({
            "name": "shop", "version": "1.34.2", "cni": "cilium",
            "pools": [{ "name": "default", "node_type": "pro2_xs", "size": 2 }],
        }))
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("json");
    let id = created["id"].as_str().expect("id").to_string();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let pools: serde_json::Value = http
            .get(format!("{url}/k8s/v1/regions/fr-par/clusters/{id}/pools"))
            .header("x-auth-token", &secret)
            .send()
            .await
            .expect("pools")
            .json()
            .await
            .expect("json");
        if pools["pools"][0]["status"] == "ready" {
            break;
        }
        assert!(Instant::now() < deadline, "the cluster never became ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let owner = |args: &[&str]| {
        crate::support::wheelhouse_command()
            .args(args)
            .env("WHEELHOUSE_URL", &url)
            .env("WHEELHOUSE_SECRET_KEY", &secret)
            .output()
            .expect("run wheelhouse")
    };
    let inventory = run(&[
        "admin",
        "inventory",
        "workload",
        "add",
        &id,
        "resource.k8s.io/v1beta1",
        "DeviceClass",
        "ml/gpu",
        "--database-url",
        &database_url,
    ]);
    assert!(inventory.status.success(), "{}", stderr_of(&inventory));
    let preflight = owner(&["k8s", "cluster", "preflight", &id, "--version", "1.35.1"]);
    let stdout = String::from_utf8_lossy(&preflight.stdout).into_owned();
    assert!(!preflight.status.success(), "NO-GO fails: {stdout}");
    assert!(
        stdout.contains("NO-GO") && stdout.contains("ml/gpu"),
        "{stdout}"
    );
    assert!(stderr_of(&preflight).contains("NO-GO"));
    let refused = owner(&["k8s", "cluster", "upgrade", &id, "--version", "1.35.1"]);
    assert!(!refused.status.success());
    assert!(
        stderr_of(&refused).contains("412"),
        "{}",
        stderr_of(&refused)
    );

    let fixed = run(&[
        "admin",
        "inventory",
        "workload",
        "remove",
        &id,
        "resource.k8s.io/v1beta1",
        "DeviceClass",
        "ml/gpu",
        "--database-url",
        &database_url,
    ]);
    assert!(fixed.status.success(), "{}", stderr_of(&fixed));
    let bad_object = run(&[
        "admin",
        "inventory",
        "pdb",
        "set",
        &id,
        "no-slash",
        "--database-url",
        &database_url,
    ]);
    assert!(!bad_object.status.success());
    assert!(stderr_of(&bad_object).contains("NAMESPACE/NAME"));

    let upgrade = owner(&[
        "k8s",
        "cluster",
        "upgrade",
        &id,
        "--version",
        "1.35.1",
        "--soak-days",
        "2",
        "--wait",
    ]);
    let stdout = String::from_utf8_lossy(&upgrade.stdout).into_owned();
    assert!(upgrade.status.success(), "{stdout}{}", stderr_of(&upgrade));
    assert!(
        stdout.contains("Pre-flight 1.34.2 → 1.35.1: GO"),
        "{stdout}"
    );
    assert!(stdout.contains("Soaking until"), "{stdout}");
    assert!(stdout.contains("Upgrade to 1.35.1 finished."), "{stdout}");

    // During the soak, one command takes it back: the pools, then the control plane.
    let rollback = owner(&["k8s", "cluster", "rollback", &id, "--wait"]);
    let stdout = String::from_utf8_lossy(&rollback.stdout).into_owned();
    assert!(
        rollback.status.success(),
        "{stdout}{}",
        stderr_of(&rollback)
    );
    assert!(
        stdout.contains("Pre-flight 1.35.1 → 1.34.2: GO"),
        "{stdout}"
    );
    assert!(stdout.contains("Rollback to 1.34.2 finished."), "{stdout}");
    let again = owner(&["k8s", "cluster", "rollback", &id]);
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("[FAIL] Rollback possible"),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );
    assert!(stderr_of(&again).contains("412"), "{}", stderr_of(&again));

    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
}
