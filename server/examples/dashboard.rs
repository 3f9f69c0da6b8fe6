//! Benchmark of the console's dashboard (issue budget: 1,000 clusters and 10,000 nodes render
//! on the server in ≤ 50 ms median on these 2 cores), on SQLite and on PostgreSQL: a signed-in
//! owner's `GET /clusters` through the whole router (session, the fleet read, summaries and
//! charts, server rendering), timed from request to the last byte of HTML. Reports figures
//! (it stops only if the page does not render). Run with `bench/dashboard.sh`.

#[path = "support/fleet.rs"]
mod fleet;
#[path = "support/measure.rs"]
mod measure;

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use chrono::Utc;
use http_body_util::BodyExt;
use tower::ServiceExt;
use wheelhouse::clock::ManualClock;
use wheelhouse::services::identity::{self, NewUser, Role};

const RUNS: usize = 21;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut databases = vec![fleet::BenchDatabase::sqlite().await];
    if let Some(postgres) = fleet::BenchDatabase::postgres().await {
        databases.push(postgres);
    }
    let now = Utc::now();
    for bench in databases {
        let shape = fleet::Shape {
            clusters: 1_000,
            clusters_per_project: 1_000,
            pools_per_cluster: 2,
            nodes_per_pool: 5,
            not_ready_one_in: 50,
        };
        let seeded = fleet::seed(&bench.database, &shape, now).await;
        let clock = Arc::new(ManualClock::new(now));
        let ids = Arc::new(wheelhouse::domain::ids::RandomIds);
        identity::create_user(
            &bench.database,
            ids.as_ref(),
            clock.as_ref(),
            identity::ChangePath::new(
                &wheelhouse::services::changes::Changes::logged(),
                &wheelhouse::domain::change::ChangeContext::job("bench-seed"),
            ),
            NewUser {
                email: "owner@example.com",
                password: "a long bench password",
                project_name: "bench-0",
                role: Role::Owner,
                is_operator: false,
            },
        )
        .await
        .expect("user");
        let session = identity::sign_in(
            &bench.database,
            ids.as_ref(),
            clock.as_ref(),
            "owner@example.com",
            "a long bench password",
            "127.0.0.1",
        )
        .await
        .expect("session");
        let state = wheelhouse::state::AppState::new(
            bench.database.clone(),
            clock,
            ids,
            Default::default(),
            &std::env::temp_dir().join("wheelhouse-bench-site"),
            "127.0.0.1:3000".parse().unwrap(),
        );
        let router = wheelhouse::http::router(state);
        let mut samples = Vec::new();
        let mut size = 0;
        let mut shown = 0;
        for _ in 0..RUNS {
            let request = axum::http::Request::get("/clusters")
                .header("host", "127.0.0.1:3000")
                .header(
                    "cookie",
                    format!("{}={session}", app::model::identity::SESSION_COOKIE),
                )
                .body(Body::empty())
                .expect("request");
            let started = Instant::now();
            let response = router.clone().oneshot(request).await.expect("response");
            let status = response.status();
            let body = response
                .into_body()
                .collect()
                .await
                .expect("body")
                .to_bytes();
            samples.push(started.elapsed());
            assert!(status.is_success(), "the dashboard answered {status}");
            size = body.len();
            shown = String::from_utf8_lossy(&body).matches("cluster-").count();
        }
        println!(
            "dashboard on {}: {} clusters, {} nodes; GET /clusters median {:.1} ms over {RUNS} runs (budget 50 ms); {} KB of HTML, {} cluster names on the page; peak memory {:.0} MB",
            bench.name,
            seeded.cluster_ids.len(),
            seeded.nodes,
            fleet::median_ms(samples),
            size / 1024,
            shown,
            measure::peak_mb()
        );
        bench.drop().await;
    }
}
