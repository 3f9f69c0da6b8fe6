//! `serve --demo`: a project with a cluster and an API key, so that a first start has something
//! to show. Created once; later starts leave the demo project as its users left it.

use crate::domain::access::new_api_key;
use crate::domain::clusters::NewCluster;
use crate::domain::model::Caller;
use crate::domain::pools::{NewPool, UpgradePolicyInput};
use crate::domain::{DomainError, Provisioning};

pub const DEMO_PROJECT: &str = "demo";

/// Returns the new API key's (access_key, secret_key) when the demo was created just now.
pub async fn seed(provisioning: &Provisioning) -> Result<Option<(String, String)>, DomainError> {
    let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM projects WHERE name = $1")
        .bind(DEMO_PROJECT)
        .fetch_one(provisioning.database.pool())
        .await?;
    if existing > 0 {
        return Ok(None);
    }
    let key = new_api_key(
        &provisioning.database,
        provisioning.ids.as_ref(),
        provisioning.clock.as_ref(),
        DEMO_PROJECT,
        "created by serve --demo",
    )
    .await?;
    let caller = Caller {
        project_id: key.project_id.clone(),
        organization_id: key.organization_id.clone(),
        access_key: key.access_key.clone(),
    };
    let version = provisioning
        .list_versions()
        .await?
        .into_iter()
        .find(|entry| {
            !entry.is_deprecated_at(provisioning.now())
                && !entry.is_end_of_life_at(provisioning.now())
        })
        .map(|entry| entry.name);
    provisioning
        .create_cluster(
            &caller,
            "fr-par",
            NewCluster {
                name: Some("demo-cluster".into()),
                description: Some("created by serve --demo".into()),
                version,
                cni: Some("cilium".into()),
                pools: Some(vec![NewPool {
                    name: Some("default".into()),
                    node_type: Some("pro2_xs".into()),
                    size: Some(3),
                    autohealing: Some(true),
                    upgrade_policy: Some(UpgradePolicyInput {
                        max_surge: Some(1),
                        max_unavailable: Some(0),
                    }),
                    ..NewPool::default()
                }]),
                ..NewCluster::default()
            },
        )
        .await?;
    Ok(Some((key.access_key, key.secret_key)))
}
