//! A seeded fleet for the benchmarks that read from a database: sandbox clusters (with their
//! pools and nodes, as the sandbox provider stores them) owned by Wheelhouse projects, on
//! SQLite (a temporary file) and on PostgreSQL (a schema of its own in the database named by
//! `WHEELHOUSE_TEST_POSTGRES_URL`, dropped afterwards).

use chrono::{DateTime, Duration, Utc};
use wheelhouse::backend::sandbox::store::{clusters, nodes, pools};
use wheelhouse::domain::model::NodeStatus;
use wheelhouse::services::upgrade::synthetic;
use wheelhouse::store::{cluster_owners, projects, rows::millis, Database};

pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// The shape of a fleet.
pub struct Shape {
    pub clusters: usize,
    pub clusters_per_project: usize,
    pub pools_per_cluster: usize,
    pub nodes_per_pool: usize,
    /// One node in this many is NotReady.
    pub not_ready_one_in: usize,
}

/// A database to bench on, and what to drop afterwards.
pub struct BenchDatabase {
    pub name: &'static str,
    pub database: Database,
    schema: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl BenchDatabase {
    pub async fn sqlite() -> BenchDatabase {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = format!("sqlite://{}", dir.path().join("bench.db").display());
        BenchDatabase {
            name: "SQLite",
            database: wheelhouse::serve::prepare_database(&url)
                .await
                .expect("SQLite database"),
            schema: None,
            _dir: Some(dir),
        }
    }

    /// `None` (with a message) when no PostgreSQL answers.
    pub async fn postgres() -> Option<BenchDatabase> {
        let base = std::env::var("WHEELHOUSE_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_string());
        let admin = match Database::connect(&base).await {
            Ok(admin) => admin,
            Err(error) => {
                eprintln!(
                    "PostgreSQL at {base} did not answer ({error}): its figures are left out"
                );
                return None;
            }
        };
        let schema = format!("wh_bench_{}", uuid::Uuid::new_v4().simple());
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(admin.pool())
            .await
            .expect("create the bench schema");
        admin.close().await;
        let separator = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{separator}options=-c%20search_path%3D{schema}");
        Some(BenchDatabase {
            name: "PostgreSQL",
            database: wheelhouse::serve::prepare_database(&url)
                .await
                .expect("PostgreSQL bench schema"),
            schema: Some(schema),
            _dir: None,
        })
    }

    pub async fn drop(self) {
        self.database.close().await;
        if let Some(schema) = self.schema {
            let base = std::env::var("WHEELHOUSE_TEST_POSTGRES_URL")
                .unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_string());
            if let Ok(admin) = Database::connect(&base).await {
                let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                    .execute(admin.pool())
                    .await;
            }
        }
    }
}

/// What was seeded: cluster ids (in order) and the projects' (id, organization id).
pub struct Seeded {
    pub cluster_ids: Vec<String>,
    pub projects: Vec<(String, String)>,
    pub nodes: usize,
}

/// Seeds the fleet in one transaction: clusters created over the last 40 days before `now`,
/// on 1.34.2 in fr-par, each node's age spread by a fixed rule (no randomness: runs compare).
pub async fn seed(database: &Database, shape: &Shape, now: DateTime<Utc>) -> Seeded {
    let mut transaction = database.begin().await.expect("transaction");
    let mut seeded = Seeded {
        cluster_ids: Vec::new(),
        projects: Vec::new(),
        nodes: 0,
    };
    let projects_needed = shape.clusters.div_ceil(shape.clusters_per_project.max(1));
    for p in 0..projects_needed {
        let ids = projects::ensure_project(
            &mut transaction,
            &format!("bench-{p}"),
            &uuid::Uuid::new_v4().to_string(),
            &uuid::Uuid::new_v4().to_string(),
            now,
        )
        .await
        .expect("project");
        seeded.projects.push(ids);
    }
    for c in 0..shape.clusters {
        let (project_id, organization_id) =
            seeded.projects[c / shape.clusters_per_project.max(1)].clone();
        let cluster_id = uuid::Uuid::new_v4().to_string();
        let created = now - Duration::seconds((c as i64 * 3_331) % (40 * 86_400));
        let cluster = wheelhouse::domain::model::Cluster {
            id: cluster_id.clone(),
            project_id: project_id.clone(),
            organization_id,
            name: format!("cluster-{c}"),
            created_at: created,
            updated_at: created,
            ..synthetic::cluster("1.34.2")
        };
        clusters::insert(&mut transaction, &cluster)
            .await
            .expect("cluster");
        cluster_owners::record(
            &mut transaction,
            &cluster_id,
            &project_id,
            "fr-par",
            millis(created),
        )
        .await
        .expect("owner");
        for p in 0..shape.pools_per_cluster {
            let pool_id = uuid::Uuid::new_v4().to_string();
            let pool = wheelhouse::domain::model::Pool {
                id: pool_id.clone(),
                cluster_id: cluster_id.clone(),
                name: format!("pool-{p}"),
                size: shape.nodes_per_pool as i64,
                autohealing: true,
                created_at: created,
                ..synthetic::pool("p", "1.34.2", 1, 0, 0)
            };
            pools::insert(&mut transaction, &pool).await.expect("pool");
            for n in 0..shape.nodes_per_pool {
                let index = seeded.nodes;
                let age =
                    ((c * 3_331 + (p * shape.nodes_per_pool + n) * 7_919) as i64) % (40 * 86_400);
                let mut node =
                    synthetic::node(&uuid::Uuid::new_v4().to_string(), &pool_id, "1.34.2", 0);
                node.cluster_id = cluster_id.clone();
                node.name = format!("c{c}-p{p}-n{n}");
                node.created_at = now - Duration::seconds(age);
                node.updated_at = node.created_at;
                if index.is_multiple_of(shape.not_ready_one_in.max(1)) {
                    node.status = NodeStatus::NotReady;
                }
                nodes::insert(&mut transaction, &node).await.expect("node");
                seeded.nodes += 1;
            }
        }
        seeded.cluster_ids.push(cluster_id);
    }
    transaction.commit().await.expect("commit");
    seeded
}

/// The median of some durations, in milliseconds.
pub fn median_ms(mut samples: Vec<std::time::Duration>) -> f64 {
    samples.sort();
    samples[samples.len() / 2].as_secs_f64() * 1000.0
}
