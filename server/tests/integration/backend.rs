//! The provisioning port's contract, run against both adapters: the sandbox (in-process, clock
//! and reconciler stepped by hand) and the Scaleway-compatible remote client talking to a second,
//! real Wheelhouse on loopback.

use std::future::Future;
use std::time::Duration;

use wheelhouse::backend::sandbox::SandboxBackend;
use wheelhouse::backend::scaleway_remote::ScalewayRemote;
use wheelhouse::backend::ProvisioningBackend;
use wheelhouse::domain::ids::{ClusterId, NodeId, PoolId};
use wheelhouse::domain::model::Caller;
use wheelhouse::domain::requests::{
    ClusterQuery, NewCluster, NewPool, PoolChanges, UpgradePolicyInput,
};
use wheelhouse::domain::DomainError;

use crate::crash::{api_key, Server};
use crate::support::{TestApp, TestDatabase};

const REGION: &str = "fr-par";

/// Calls `settle` until `done` holds (at most 2000 times).
async fn until<S, SF, D, DF>(settle: &S, what: &str, done: D)
where
    S: Fn() -> SF,
    SF: Future<Output = ()>,
    D: Fn() -> DF,
    DF: Future<Output = bool>,
{
    for _ in 0..2000 {
        if done().await {
            return;
        }
        settle().await;
    }
    panic!("gave up waiting for {what}");
}

async fn the_contract<S, SF>(backend: &dyn ProvisioningBackend, caller: &Caller, settle: S)
where
    S: Fn() -> SF,
    SF: Future<Output = ()>,
{
    let versions: Vec<String> = backend
        .list_versions(REGION)
        .await
        .expect("versions")
        .into_iter()
        .map(|v| v.name)
        .collect();
    assert!(versions.contains(&"1.35.1".to_string()), "{versions:?}");

    let spec = NewCluster {
        name: Some(format!("contract-{}", backend.kind())),
        version: Some("1.34.2".into()),
        cni: Some("cilium".into()),
        pools: Some(vec![NewPool {
            name: Some("workers".into()),
            node_type: Some("pro2_xs".into()),
            size: Some(2),
            upgrade_policy: Some(UpgradePolicyInput {
                max_surge: Some(1),
                max_unavailable: Some(0),
            }),
            ..NewPool::default()
        }]),
        ..NewCluster::default()
    };
    let cluster = backend
        .create_cluster(caller, REGION, spec)
        .await
        .expect("create");
    assert_eq!(cluster.status.as_str(), "creating");
    let id = ClusterId::from(cluster.id.clone());
    assert!(backend
        .list_clusters(caller, REGION, &ClusterQuery::default())
        .await
        .expect("list")
        .iter()
        .any(|c| c.id == id.as_str()));

    let settled = || async {
        let cluster = backend
            .get_cluster(caller, REGION, &id)
            .await
            .expect("cluster");
        let pools = backend
            .list_pools(caller, REGION, &id)
            .await
            .expect("pools");
        cluster.status.as_str() == "ready" && pools.iter().all(|p| p.status.as_str() == "ready")
    };
    until(&settle, "the cluster to be ready", settled).await;
    assert_eq!(
        backend
            .list_nodes(caller, REGION, &id)
            .await
            .expect("nodes")
            .len(),
        2
    );

    let pool = backend
        .list_pools(caller, REGION, &id)
        .await
        .expect("pools")
        .remove(0);
    let scaling = backend
        .update_pool(
            caller,
            REGION,
            &PoolId::from(pool.id.clone()),
            PoolChanges {
                size: Some(3),
                ..PoolChanges::default()
            },
        )
        .await
        .expect("scale");
    assert_eq!(scaling.status.as_str(), "scaling");
    until(&settle, "the pool to scale", || async {
        settled().await
            && backend
                .list_nodes(caller, REGION, &id)
                .await
                .expect("nodes")
                .len()
                == 3
    })
    .await;

    let refused = backend
        .upgrade_cluster(caller, REGION, &id, Some("1.33.7".into()), false)
        .await
        .expect_err("a downgrade");
    assert!(
        matches!(refused, DomainError::InvalidArguments(_)),
        "{refused:?}"
    );
    let upgrading = backend
        .upgrade_cluster(caller, REGION, &id, Some("1.35.1".into()), true)
        .await
        .expect("upgrade");
    assert_eq!(upgrading.status.as_str(), "updating");
    let busy = backend
        .upgrade_cluster(caller, REGION, &id, Some("1.35.1".into()), true)
        .await
        .expect_err("busy");
    assert!(
        matches!(busy, DomainError::TransientState { .. }),
        "{busy:?}"
    );
    until(&settle, "the upgrade", || async {
        settled().await
            && backend
                .get_cluster(caller, REGION, &id)
                .await
                .expect("cluster")
                .version
                == "1.35.1"
            && backend
                .list_pools(caller, REGION, &id)
                .await
                .expect("pools")
                .iter()
                .all(|p| p.version == "1.35.1")
    })
    .await;

    let old = backend
        .list_nodes(caller, REGION, &id)
        .await
        .expect("nodes")
        .remove(0);
    backend
        .replace_node(caller, REGION, &NodeId::from(old.id.clone()))
        .await
        .expect("replace");
    until(&settle, "the replacement", || async {
        let nodes = backend
            .list_nodes(caller, REGION, &id)
            .await
            .expect("nodes");
        nodes.len() == 3
            && nodes
                .iter()
                .all(|n| n.id != old.id && n.status.as_str() == "ready")
    })
    .await;

    backend
        .delete_cluster(caller, REGION, &id, true)
        .await
        .expect("delete");
    until(&settle, "the deletion", || async {
        matches!(
            backend.get_cluster(caller, REGION, &id).await,
            Err(DomainError::NotFound {
                resource: "k8s_cluster",
                ..
            })
        )
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_adapter_honours_the_contract() {
    let test_db = TestDatabase::sqlite().await;
    let app = TestApp::new(test_db.database.clone());
    let secret = app.api_key("contract").await;
    let caller = app.caller(&secret).await;
    let backend = SandboxBackend::new(app.provisioning.clone());
    let reconciler = app.reconciler();
    let settle = || async {
        app.clock.advance(chrono::Duration::seconds(5));
        reconciler.run_pass().await.expect("pass");
    };
    the_contract(&backend, &caller, settle).await;
    test_db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_remote_adapter_drives_another_wheelhouse_on_loopback() {
    let test_db = TestDatabase::sqlite().await;
    let remote = Server::start(&test_db.url, "1200");
    let secret = api_key(&test_db.url);
    let backend =
        ScalewayRemote::new(&format!("http://127.0.0.1:{}", remote.port), &secret).expect("client");
    let settle = || tokio::time::sleep(Duration::from_millis(50));
    // The remote account is the key's project: the caller is Wheelhouse's, not the remote's.
    let caller = Caller::job("local-project", "local-organization", "contract-test");
    the_contract(&backend, &caller, settle).await;

    let stranger = ScalewayRemote::new(
        &format!("http://127.0.0.1:{}", remote.port),
        "11111111-2222-4333-8444-555555555555",
    )
    .expect("client");
    let refused = stranger
        .list_clusters(&caller, REGION, &ClusterQuery::default())
        .await
        .expect_err("unknown key");
    assert!(
        matches!(refused, DomainError::Unauthenticated(_)),
        "{refused:?}"
    );
    let unreachable = ScalewayRemote::new("http://127.0.0.1:1", &secret).expect("client");
    assert!(matches!(
        unreachable.list_versions(REGION).await,
        Err(DomainError::Provider(_))
    ));
    drop(remote);
    test_db.cleanup().await;
}
