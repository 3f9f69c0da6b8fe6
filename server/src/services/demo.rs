//! `serve --demo`: a project with a cluster and an API key, so that a first start has something
//! to show. Each step checks whether it is already done, and the whole seed is recorded as done
//! only at the end, so a crash at any point is completed by the next start; once done, later
//! starts leave the demo project as its users left it.

use crate::domain::change::ChangeContext;
use crate::domain::ids::{ClusterId, PoolId};
use crate::domain::listing::ListOrder;
use crate::domain::model::Caller;
use crate::domain::requests::{ClusterQuery, NewCluster, NewPool, UpgradePolicyInput};
use crate::domain::version::KubeVersion;
use crate::domain::DomainError;
use chrono::Duration;

use crate::services::freshness::lifespan::{earliest_expiry_age, RECOMMENDED_MAX_NODE_AGE_DAYS};
use crate::services::identity::{ensure_project, new_api_key, ChangePath};
use crate::state::AppState;
use crate::store::setup;

pub const DEMO_PROJECT: &str = "demo";
pub const DEMO_CLUSTER: &str = "demo-cluster";
const SEED_STEP: &str = "demo_seed";
const REGION: &str = "fr-par";

/// Returns the new API key's (access_key, secret_key) when the demo was completed just now.
pub async fn seed(state: &AppState) -> Result<Option<(String, String)>, DomainError> {
    let database = &state.database;
    {
        let mut conn = database.pool().acquire().await?;
        if setup::setup_step_done(&mut conn, SEED_STEP).await? {
            return Ok(None);
        }
    }
    let context = ChangeContext::job("demo-seed");
    let path = ChangePath::new(&state.recorded, &context);
    let (project_id, organization_id) = ensure_project(
        database,
        state.ids.as_ref(),
        state.clock.as_ref(),
        path,
        DEMO_PROJECT,
    )
    .await?;
    let caller = Caller::job(project_id, organization_id, "demo-seed");
    let existing = state
        .service
        .list_clusters(
            &caller,
            REGION,
            &ClusterQuery {
                name_contains: Some(DEMO_CLUSTER.into()),
                ..ClusterQuery::default()
            },
            ListOrder::default(),
            1,
            1,
        )
        .await?;
    if existing.total_count == 0 {
        let now = state.clock.now();
        let supported: Vec<String> = state
            .service
            .list_versions(REGION)
            .await?
            .into_iter()
            .filter(|entry| !entry.is_deprecated_at(now) && !entry.is_end_of_life_at(now))
            .map(|entry| entry.name)
            .collect();
        let version = a_minor_behind(&supported);
        let cluster = state
            .service
            .create_cluster(
                &caller,
                REGION,
                NewCluster {
                    name: Some(DEMO_CLUSTER.into()),
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
        // The recommended lifespan, so the maintenance tab shows each node's expiry and the
        // replacements the window will make.
        let pools = state
            .service
            .list_pools(&caller, REGION, &ClusterId::from(cluster.id.clone()))
            .await?;
        for pool in pools {
            let pool_id = PoolId::from(pool.id);
            state
                .freshness()
                .set_lifespan(
                    &caller,
                    REGION,
                    &pool_id,
                    Some(RECOMMENDED_MAX_NODE_AGE_DAYS),
                )
                .await?;
            // A new cluster's nodes are all made at once; the demo's look like nodes replaced
            // at different times, so their expiries spread over the lifespan. A provider that
            // cannot make them older (a remote one) makes them as they are.
            let lifespan = Duration::days(RECOMMENDED_MAX_NODE_AGE_DAYS.into());
            let ages = staggered_ages(pool.size, lifespan);
            if let Err(error) = state
                .service
                .age_new_nodes(&caller, REGION, &pool_id, &ages)
                .await
            {
                tracing::warn!(%error, "the demo's nodes are all made now");
            }
        }
    }
    // A key is printed once: made last, just before the seed is recorded as done (a crash in
    // between makes a second key next time; the unprinted first one is never used).
    let key = new_api_key(
        database,
        state.ids.as_ref(),
        state.clock.as_ref(),
        path,
        DEMO_PROJECT,
        "created by serve --demo",
    )
    .await?;
    let mut conn = database.pool().acquire().await?;
    setup::complete_setup_step(&mut conn, SEED_STEP, state.clock.now().timestamp_millis()).await?;
    Ok(Some((key.access_key, key.secret_key)))
}

/// Ages for a pool's `count` new nodes, as if one had been replaced every so often: evenly
/// spread below the age at which the lifespan may first replace a node, so the demo does not
/// start by replacing nodes.
fn staggered_ages(count: i64, max_age: Duration) -> Vec<Duration> {
    let youngest_due = earliest_expiry_age(max_age);
    let parts = i32::try_from(count).unwrap_or(0).max(0) + 1;
    (1..parts).map(|part| youngest_due * part / parts).collect()
}

/// The newest supported patch of the minor before the newest supported one: the demo's cluster
/// then has an upgrade to offer, so a newcomer can try the upgrade wizard at once. With a single
/// supported minor, its newest patch.
fn a_minor_behind(supported: &[String]) -> Option<String> {
    let mut versions: Vec<KubeVersion> = supported
        .iter()
        .filter_map(|name| name.parse().ok())
        .collect();
    versions.sort();
    let newest = *versions.last()?;
    versions
        .iter()
        .rev()
        .find(|version| newest.is_next_minor_of(version))
        .or(Some(&newest))
        .map(ToString::to_string)
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::{a_minor_behind, staggered_ages};

    #[test]
    fn a_pools_demo_nodes_are_spread_below_the_lifespans_first_expiry() {
        // A 30-day lifespan may replace a node from 24 days on (its stagger).
        assert_eq!(
            staggered_ages(3, Duration::days(30)),
            [6, 12, 18].map(Duration::days)
        );
        assert_eq!(staggered_ages(1, Duration::days(30)), [Duration::days(12)]);
        assert!(staggered_ages(0, Duration::days(30)).is_empty());
    }

    #[test]
    fn the_demo_cluster_runs_the_newest_patch_a_minor_behind() {
        let names = ["1.34.2", "1.35.1", "1.33.9", "1.34.6", "1.35.0"].map(String::from);
        assert_eq!(a_minor_behind(&names).as_deref(), Some("1.34.6"));
        assert_eq!(
            a_minor_behind(&["1.35.1".to_string()]).as_deref(),
            Some("1.35.1")
        );
        assert_eq!(a_minor_behind(&[]), None);
    }
}
