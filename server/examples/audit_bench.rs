//! Benchmarks of the audit log (issue budgets: 1,000 audited changes per second sustained on
//! SQLite and on PostgreSQL on these 2 cores; verifying an export of 1,000,000 entries in ≤ 5 s;
//! exporting it streams with ≤ 100 MB). Reports; asserts nothing. Each mode runs in a process of
//! its own, so its peak memory is its own. Run with `bench/audit.sh`.
//!
//! - `append [N]`: N changes, each appended in its own transaction (as `Changes::record` does),
//!   by one writer and by four at once, on SQLite and on PostgreSQL;
//! - `generate FILE [N]`: writes a complete export of N entries (checkpoints every 100,000) with
//!   the same code the server exports with, no database;
//! - `verify FILE`: `wheelhouse audit verify`'s check of that file;
//! - `export [N]`: N entries in a SQLite log, then a complete export streamed to /dev/null.

// The shared bench support; this bench uses its databases only.
#[allow(dead_code)]
#[path = "support/fleet.rs"]
mod fleet;
#[path = "support/measure.rs"]
mod measure;

use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use serde_json::{json, Value};
use wheelhouse::audit::checkpoint::{AuditKey, Checkpoint};
use wheelhouse::audit::entry::{canonical_text, entry_leaf, entry_value};
use wheelhouse::audit::export::{checkpoint_line, end_line, entry_line, header_line, Scope};
use wheelhouse::audit::merkle::Frontier;
use wheelhouse::clock::{ManualClock, SharedClock};
use wheelhouse::domain::change::{Actor, Change, Interface, Outcome, Source, Target};
use wheelhouse::services::audit::{AuditLog, WriterOut};
use wheelhouse::store::audit::EntryFilter;

fn change(n: usize) -> Change {
    Change {
        actor: Actor::ApiKey {
            access_key: "SCWBENCHBENCHBENCH00".into(),
        },
        source: Source {
            interface: Interface::ScalewayApi,
            address: Some("192.0.2.10".into()),
            user_agent: Some("scaleway-sdk-python/2.10".into()),
            request_id: Some(format!("00000000-0000-4000-8000-{n:012}")),
        },
        action: "pool.update",
        target: Target {
            organization_id: "org-bench".into(),
            project_id: Some("project-bench".into()),
            kind: "pool",
            id: format!("pool-{}", n % 1000),
            cluster_id: Some(format!("cluster-{}", n % 100)),
        },
        before: Some(json!({ "size": 3, "min_size": 1, "max_size": 5, "autoscaling": false })),
        after: Some(json!({ "size": 4, "min_size": 1, "max_size": 5, "autoscaling": true })),
        outcome: Outcome::Done,
    }
}

fn clock() -> SharedClock {
    Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 11, 25, 1, 0, 0).unwrap(),
    ))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |at: usize, default: usize| {
        args.get(at)
            .and_then(|text| text.parse().ok())
            .unwrap_or(default)
    };
    match args.first().map(String::as_str) {
        Some("append") => append(number(1, 5_000)).await,
        Some("generate") => generate(&args[1], number(2, 1_000_000)),
        Some("verify") => verify(&args[1]),
        Some("export") => export(number(1, 200_000)).await,
        _ => eprintln!(
            "usage: audit_bench append [N] | generate FILE [N] | verify FILE | export [N]"
        ),
    }
}

async fn append(n: usize) {
    let mut databases = vec![fleet::BenchDatabase::sqlite().await];
    if let Some(postgres) = fleet::BenchDatabase::postgres().await {
        databases.push(postgres);
    }
    for bench in databases {
        let audit = AuditLog::new(
            bench.database.clone(),
            clock(),
            AuditKey::from_seed([1; 32]),
        );
        let started = Instant::now();
        for i in 0..n {
            audit.record(&change(i)).await.expect("appended");
        }
        let one = n as f64 / started.elapsed().as_secs_f64();
        let started = Instant::now();
        let writers: Vec<_> = (0..4)
            .map(|w| {
                let audit = audit.clone();
                tokio::spawn(async move {
                    for i in 0..n / 4 {
                        audit.record(&change(w * n + i)).await.expect("appended");
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.await.expect("writer");
        }
        let four = (n / 4 * 4) as f64 / started.elapsed().as_secs_f64();
        let verified = audit.verify("org-bench").await.expect("verifies");
        println!(
            "{}: {one:.0} audited changes/s by one writer, {four:.0}/s by four at once ({} entries, verified)",
            bench.name, verified.entries
        );
        bench.drop().await;
    }
}

fn generate(path: &str, n: usize) {
    let started = Instant::now();
    let key = AuditKey::from_seed([1; 32]);
    let file = std::fs::File::create(path).expect("export file");
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    let time = Utc.with_ymd_and_hms(2026, 11, 25, 1, 0, 0).unwrap();
    writeln!(
        out,
        "{}",
        header_line(
            "org-bench",
            "2026-11-25T01:00:00.000Z",
            &key.public(),
            Scope::Complete,
            Value::Null
        )
    )
    .unwrap();
    let mut frontier = Frontier::default();
    let mut checkpoints = 0;
    for seq in 0..n {
        let value = entry_value(
            seq as u64,
            time + Duration::milliseconds(seq as i64),
            &change(seq),
        );
        let leaf = entry_leaf(&value);
        frontier.push(leaf);
        writeln!(out, "{}", entry_line(&canonical_text(&value), &leaf, None)).unwrap();
        if (seq + 1) % 100_000 == 0 || seq + 1 == n {
            let signed = key.sign(Checkpoint {
                organization_id: "org-bench".into(),
                tree_size: frontier.size(),
                root_hash: frontier.root(),
                time,
                key_id: key.public().key_id(),
            });
            // Each checkpoint's tree rebuilds from the complete export's entries, which proves
            // it extends the one before; the generator writes no consistency proofs.
            writeln!(out, "{}", checkpoint_line(&signed, None)).unwrap();
            checkpoints += 1;
        }
    }
    writeln!(out, "{}", end_line(n as u64, checkpoints)).unwrap();
    out.flush().unwrap();
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    println!(
        "generated {n} entries, {checkpoints} checkpoints, {:.0} MB in {:.1} s",
        size as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
}

fn verify(path: &str) {
    let started = Instant::now();
    let file = std::fs::File::open(path).expect("export file");
    let verified = wheelhouse::audit::verify::verify_export(
        std::io::BufReader::with_capacity(1 << 20, file),
        Some(AuditKey::from_seed([1; 32]).public()),
    )
    .expect("the export verifies");
    println!(
        "verified {} entries and {} checkpoints in {:.2} s, peak memory {:.0} MB",
        verified.entries,
        verified.checkpoints,
        started.elapsed().as_secs_f64(),
        measure::peak_mb()
    );
}

async fn export(n: usize) {
    let bench = fleet::BenchDatabase::sqlite().await;
    let audit = AuditLog::new(
        bench.database.clone(),
        clock(),
        AuditKey::from_seed([1; 32]),
    );
    let started = Instant::now();
    // Seeded in batches of 10,000 appends per transaction (the appends are the server's own).
    for batch in 0..n.div_ceil(10_000) {
        let mut transaction = bench.database.begin().await.expect("transaction");
        for i in batch * 10_000..((batch + 1) * 10_000).min(n) {
            audit
                .append(&mut transaction, &change(i))
                .await
                .expect("appended");
        }
        transaction.commit().await.expect("commit");
    }
    let seeded_mb = measure::peak_mb();
    eprintln!(
        "seeded {n} entries in {:.1} s (peak {seeded_mb:.0} MB so far)",
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let mut out = WriterOut::new(std::io::sink());
    let written = audit
        .export_jsonl("org-bench", &EntryFilter::default(), Value::Null, &mut out)
        .await
        .expect("exported");
    println!(
        "exported {written} entries (complete, JSON Lines) from SQLite in {:.1} s, peak memory {:.0} MB (seeding included)",
        started.elapsed().as_secs_f64(),
        measure::peak_mb()
    );
    bench.drop().await;
}
