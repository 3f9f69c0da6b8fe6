//! The audit log: every change reaching the one path is an entry of its organization's log;
//! the log verifies, live and exported; rows edited, removed or inserted in the database and
//! exports reordered, cut or with a forged checkpoint are caught, naming the first bad entry;
//! two writers appending at once keep one gapless sequence. Exports are also checked by the
//! independent verifier written from docs/audit-export.md alone (end2end/python).

use std::process::Command;
use std::sync::Arc;

use serde_json::{json, Value};
use wheelhouse::audit::checkpoint::AuditKey;
use wheelhouse::audit::verify::{verify_export, Problem};
use wheelhouse::clock::SharedClock;
use wheelhouse::domain::change::{Actor, Change, Interface, Outcome, Source, Target};
use wheelhouse::services::audit::{AuditLog, AuditQuery, WriterOut};
use wheelhouse::store::audit::EntryFilter;
use wheelhouse::store::{Database, DatabaseKind};

use crate::on_both_databases;
use crate::support::{test_start_time, TestApp, TestDatabase};

const R: &str = "/k8s/v1/regions/fr-par";

fn change(organization: &str, n: usize) -> Change {
    Change {
        actor: Actor::Person {
            user_id: "u1".into(),
            email: "kim@example.com".into(),
        },
        source: Source {
            interface: Interface::Console,
            address: Some("192.0.2.7".into()),
            user_agent: Some("tests".into()),
            request_id: Some(format!("req-{n}")),
        },
        action: "cluster.update",
        target: Target {
            organization_id: organization.into(),
            project_id: Some("p1".into()),
            kind: "cluster",
            id: format!("c{n}"),
            cluster_id: Some(format!("c{n}")),
        },
        before: Some(json!({ "name": format!("before-{n}") })),
        after: Some(json!({ "name": format!("after-{n}"), "ratio": 0.5 })),
        outcome: Outcome::Done,
    }
}

fn audit_log(database: &Database, seed: u8) -> AuditLog {
    let clock: SharedClock = Arc::new(wheelhouse::clock::ManualClock::new(test_start_time()));
    AuditLog::new(database.clone(), clock, AuditKey::from_seed([seed; 32]))
}

/// A log of `n` entries with checkpoints after entries 4 and `n`.
async fn log_of(audit: &AuditLog, organization: &str, n: usize) {
    for i in 0..n {
        audit
            .record(&change(organization, i))
            .await
            .expect("appended");
        if i == 3 {
            audit.checkpoint(organization).await.expect("checkpoint");
        }
    }
    audit.checkpoint(organization).await.expect("checkpoint");
}

async fn export(audit: &AuditLog, organization: &str, filter: &EntryFilter) -> String {
    let mut out = WriterOut::new(Vec::new());
    audit
        .export_jsonl(organization, filter, json!({}), &mut out)
        .await
        .expect("exported");
    String::from_utf8(out.into_inner()).expect("UTF-8")
}

/// The audit triggers off, as someone with the database's password would do first.
async fn disable_append_only(database: &Database) {
    let statements: &[&str] = match database.kind() {
        DatabaseKind::Sqlite => &[
            "DROP TRIGGER audit_entries_append_only_update",
            "DROP TRIGGER audit_entries_append_only_delete",
        ],
        DatabaseKind::Postgres => &["ALTER TABLE audit_entries DISABLE TRIGGER USER"],
    };
    for statement in statements {
        sqlx::query(statement)
            .execute(database.pool())
            .await
            .expect("trigger off");
    }
}

async fn verify_failure(audit: &AuditLog) -> Problem {
    audit
        .verify("org-t")
        .await
        .expect_err("tampering is caught")
        .problem
}

on_both_databases!(
    every_change_is_one_entry_of_its_organizations_log_and_the_log_verifies,
    |database: Database| async move {
        let app = TestApp::new(database);
        let token = app.api_key("team-a").await;
        let (status, body) = app
            .api(
                "POST",
                &format!("{R}/clusters"),
                &token,
                Some(json!({ "name": "alpha", "version": "1.35.1", "cni": "cilium", "pools": [] })),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let id = body["id"].as_str().expect("id").to_string();
        let (status, _) = app
            .api(
                "PATCH",
                &format!("{R}/clusters/{id}"),
                &token,
                Some(json!({ "description": "the first" })),
            )
            .await;
        assert_eq!(status, 200);
        // A refusal is recorded too.
        let (status, _) = app
            .api(
                "PATCH",
                &format!("{R}/clusters/{id}"),
                &token,
                Some(json!({ "name": "" })),
            )
            .await;
        assert_eq!(status, 400);
        let organization: String =
            sqlx::query_scalar("SELECT organization_id FROM projects WHERE name = 'team-a'")
                .fetch_one(app.state.database.pool())
                .await
                .expect("organization");

        // Exactly one entry per change reported, in order, with its actor, source and target.
        let reported: Vec<Change> = app
            .recorded
            .all()
            .into_iter()
            .filter(|change| change.target.organization_id == organization)
            .collect();
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT seq, entry FROM audit_entries WHERE organization_id = $1 ORDER BY seq",
        )
        .bind(&organization)
        .fetch_all(app.state.database.pool())
        .await
        .expect("entries");
        assert_eq!(rows.len(), reported.len());
        assert!(reported.len() >= 4, "key, create, update, refusal");
        for (i, ((seq, text), change)) in rows.iter().zip(&reported).enumerate() {
            assert_eq!(*seq, i as i64);
            let entry: Value = serde_json::from_str(text).expect("JSON");
            let expected = serde_json::to_value(change).expect("change");
            for field in [
                "actor", "source", "action", "target", "before", "after", "outcome",
            ] {
                assert_eq!(
                    entry.get(field),
                    expected.get(field),
                    "{field} of entry {i}"
                );
            }
            assert_eq!(entry["seq"], json!(i));
        }
        let refusal: Value = serde_json::from_str(&rows.last().expect("entries").1).expect("JSON");
        assert_eq!(refusal["outcome"], "refused");
        assert_eq!(refusal["actor"]["kind"], "api_key");
        assert_eq!(refusal["source"]["interface"], "scaleway_api");

        // The log verifies live, before and after a checkpoint, and exported.
        let audit = &app.state.audit;
        let verified = audit.verify(&organization).await.expect("verifies");
        assert_eq!(verified.entries, rows.len() as u64);
        assert_eq!(verified.checkpointed, 0);
        let signed = audit.checkpoint(&organization).await.expect("checkpoint");
        assert_eq!(signed.checkpoint.tree_size, rows.len() as u64);
        assert!(audit.public_key().verifies(&signed));
        let again = audit.checkpoint(&organization).await.expect("checkpoint");
        assert_eq!(again, signed, "nothing new, nothing signed");
        assert_eq!(
            audit
                .verify(&organization)
                .await
                .expect("verifies")
                .checkpointed,
            rows.len() as u64
        );
        let text = export(audit, &organization, &EntryFilter::default()).await;
        let verified =
            verify_export(text.as_bytes(), Some(audit.public_key())).expect("the export verifies");
        assert_eq!(verified.entries, rows.len() as u64);
        independent_verifier(&text, &audit.public_key().pem(), true, None);

        // A filtered export proves each entry it holds.
        let filter = AuditQuery {
            outcome: Some("refused".into()),
            ..AuditQuery::default()
        }
        .filter()
        .expect("filter");
        let text = export(audit, &organization, &filter).await;
        let verified = verify_export(text.as_bytes(), Some(audit.public_key())).expect("verifies");
        assert_eq!(verified.entries, 1);
        independent_verifier(&text, &audit.public_key().pem(), true, None);
    }
);

on_both_databases!(
    rows_edited_removed_or_inserted_in_the_database_are_named,
    |database: Database| async move {
        let audit = audit_log(&database, 3);
        log_of(&audit, "org-t", 10).await;
        assert_eq!(audit.verify("org-t").await.expect("verifies").entries, 10);

        // The log refuses changes to its rows while its triggers stand.
        let refused = sqlx::query("UPDATE audit_entries SET actor = 'x' WHERE seq = 1")
            .execute(database.pool())
            .await;
        assert!(refused.is_err(), "append-only");
        let refused = sqlx::query("DELETE FROM audit_entries WHERE seq = 1")
            .execute(database.pool())
            .await;
        assert!(refused.is_err(), "append-only");
        disable_append_only(&database).await;

        // Edited in place.
        let original: String = sqlx::query_scalar(
            "SELECT entry FROM audit_entries WHERE organization_id = 'org-t' AND seq = 6",
        )
        .fetch_one(database.pool())
        .await
        .expect("entry");
        set_entry(&database, 6, &original.replace("after-6", "after-X")).await;
        assert_eq!(verify_failure(&audit).await, Problem::Edited { seq: 6 });
        // Edited with its leaf hash recomputed: the checkpoint that covers it fails.
        let forged = original.replace("after-6", "after-X");
        let leaf = hex::encode(wheelhouse::audit::merkle::leaf_hash(forged.as_bytes()));
        sqlx::query(
            "UPDATE audit_entries SET leaf_hash = $1 WHERE organization_id = 'org-t' AND seq = 6",
        )
        .bind(&leaf)
        .execute(database.pool())
        .await
        .expect("leaf");
        assert_eq!(
            verify_failure(&audit).await,
            Problem::NotRebuilt {
                tree_size: 10,
                first_unproven: 4
            }
        );
        let original_leaf = hex::encode(wheelhouse::audit::merkle::leaf_hash(original.as_bytes()));
        sqlx::query("UPDATE audit_entries SET entry = $1, leaf_hash = $2 WHERE organization_id = 'org-t' AND seq = 6")
            .bind(&original)
            .bind(&original_leaf)
            .execute(database.pool())
            .await
            .expect("restored");
        audit.verify("org-t").await.expect("verifies once restored");

        // Removed.
        let second: String = sqlx::query_scalar(
            "SELECT entry FROM audit_entries WHERE organization_id = 'org-t' AND seq = 2",
        )
        .fetch_one(database.pool())
        .await
        .expect("entry");
        sqlx::query("DELETE FROM audit_entries WHERE organization_id = 'org-t' AND seq = 2")
            .execute(database.pool())
            .await
            .expect("deleted");
        assert_eq!(
            verify_failure(&audit).await,
            Problem::Missing {
                seq: 2,
                next: Some(3)
            }
        );
        // Inserted in the gap, with a made-up entry hashed correctly.
        let made_up = original
            .replace("\"seq\":6", "\"seq\":2")
            .replace("after-6", "made-up");
        insert_entry(&database, 2, &made_up).await;
        assert_eq!(
            verify_failure(&audit).await,
            Problem::NotRebuilt {
                tree_size: 4,
                first_unproven: 0
            }
        );
        // Added after the last entry, behind the log's back.
        let tail = original.replace("\"seq\":6", "\"seq\":10");
        sqlx::query("DELETE FROM audit_entries WHERE organization_id = 'org-t' AND seq = 2")
            .execute(database.pool())
            .await
            .expect("deleted");
        insert_entry(&database, 2, &second).await;
        audit.verify("org-t").await.expect("verifies once restored");
        insert_entry(&database, 10, &tail).await;
        assert_eq!(
            verify_failure(&audit).await,
            Problem::BeyondHead { seq: 10, size: 10 }
        );
    }
);

async fn set_entry(database: &Database, seq: i64, text: &str) {
    sqlx::query("UPDATE audit_entries SET entry = $1 WHERE organization_id = 'org-t' AND seq = $2")
        .bind(text)
        .bind(seq)
        .execute(database.pool())
        .await
        .expect("edited");
}

async fn insert_entry(database: &Database, seq: i64, text: &str) {
    let leaf = hex::encode(wheelhouse::audit::merkle::leaf_hash(text.as_bytes()));
    sqlx::query(
        "INSERT INTO audit_entries (organization_id, seq, time_ms, project_id, cluster_id, actor, \
         actor_kind, interface, action, target_kind, target_id, outcome, entry, leaf_hash) \
         VALUES ('org-t', $1, 0, 'p1', 'c', 'kim@example.com', 'person', 'console', \
         'cluster.update', 'cluster', 'c', 'done', $2, $3)",
    )
    .bind(seq)
    .bind(text)
    .bind(&leaf)
    .execute(database.pool())
    .await
    .expect("inserted");
}

on_both_databases!(
    exports_reordered_cut_or_with_a_forged_checkpoint_fail_offline,
    |database: Database| async move {
        let audit = audit_log(&database, 4);
        log_of(&audit, "org-t", 10).await;
        let text = export(&audit, "org-t", &EntryFilter::default()).await;
        let dir = tempfile::tempdir().expect("temporary directory");
        let key = dir.path().join("key.pem");
        std::fs::write(&key, audit.public_key().pem()).expect("key");
        let key = key.to_string_lossy().to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines
                .iter()
                .filter(|l| l.contains(r#""type":"checkpoint""#))
                .count(),
            2
        );

        let check = |name: &str, lines: &[&str]| -> (bool, String) {
            let path = dir.path().join(name);
            std::fs::write(&path, lines.join("\n") + "\n").expect("export");
            let output = crate::support::wheelhouse_command()
                .args(["audit", "verify"])
                .arg(&path)
                .args(["--public-key", &key])
                .output()
                .expect("wheelhouse runs");
            let said = String::from_utf8_lossy(&output.stdout).to_string()
                + &String::from_utf8_lossy(&output.stderr);
            (output.status.success(), said)
        };
        let (ok, said) = check("whole.jsonl", &lines);
        assert!(ok, "{said}");
        assert!(
            said.contains("OK: organization org-t: 10 entries"),
            "{said}"
        );
        independent_verifier(&text, &audit.public_key().pem(), true, None);

        // Two entries swapped: the first out of place is named.
        let entry_line = |seq: usize| {
            lines
                .iter()
                .position(|l| l.contains(&format!("\"seq\":{seq},")))
                .expect("entry line")
        };
        let mut reordered = lines.clone();
        reordered.swap(entry_line(5), entry_line(6));
        let (ok, said) = check("reordered.jsonl", &reordered);
        assert!(!ok);
        assert!(
            said.contains("entry 5 is missing where it belongs: entry 6 comes there"),
            "{said}"
        );
        let text = reordered.join("\n");
        independent_verifier(
            &text,
            &audit.public_key().pem(),
            false,
            Some(("missing", 5)),
        );

        // The tail cut after entry 7.
        let cut = &lines[..=entry_line(7)];
        let (ok, said) = check("cut.jsonl", cut);
        assert!(!ok);
        assert!(said.contains("cut: it stops after entry 7"), "{said}");
        independent_verifier(
            &cut.join("\n"),
            &audit.public_key().pem(),
            false,
            Some(("cut", 7)),
        );

        // A checkpoint that says less than was signed.
        let last = lines
            .iter()
            .rposition(|l| l.contains(r#""type":"checkpoint""#))
            .expect("checkpoint");
        let forged_line = lines[last].replace(r#""tree_size":10"#, r#""tree_size":9"#);
        let mut forged = lines.clone();
        forged[last] = &forged_line;
        let (ok, said) = check("forged.jsonl", &forged);
        assert!(!ok);
        assert!(said.contains("checkpoint 9 fails its signature"), "{said}");
        independent_verifier(
            &forged.join("\n"),
            &audit.public_key().pem(),
            false,
            Some(("bad_signature", 9)),
        );

        // Signed by another key than the installation's.
        let stranger = dir.path().join("stranger.pem");
        std::fs::write(&stranger, AuditKey::from_seed([9; 32]).public().pem()).expect("key");
        let output = crate::support::wheelhouse_command()
            .args(["audit", "verify"])
            .arg(dir.path().join("whole.jsonl"))
            .arg("--public-key")
            .arg(&stranger)
            .output()
            .expect("wheelhouse runs");
        assert!(!output.status.success());
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("checkpoint 4 fails its signature")
        );
    }
);

on_both_databases!(
    two_writers_appending_at_once_keep_one_gapless_sequence,
    |database: Database| async move {
        // Two writers, each with its own log service (two replicas: see the PostgreSQL test
        // below, with two pools).
        let first = audit_log(&database, 5);
        let second = audit_log(&database, 5);
        let write = |audit: AuditLog, from: usize| async move {
            for i in from..from + 40 {
                audit.record(&change("org-r", i)).await.expect("appended");
            }
        };
        let (a, b) = tokio::join!(
            tokio::spawn(write(first.clone(), 0)),
            tokio::spawn(write(second.clone(), 100))
        );
        a.expect("first writer");
        b.expect("second writer");
        let seqs: Vec<i64> = sqlx::query_scalar(
            "SELECT seq FROM audit_entries WHERE organization_id = 'org-r' ORDER BY seq",
        )
        .fetch_all(database.pool())
        .await
        .expect("entries");
        assert_eq!(seqs, (0..80).collect::<Vec<i64>>());
        first.checkpoint("org-r").await.expect("checkpoint");
        assert_eq!(second.verify("org-r").await.expect("verifies").entries, 80);
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_postgres_appending_at_once_keep_one_log() {
    let Some(test_database) = TestDatabase::postgres().await else {
        return;
    };
    // A second pool on the same schema: another replica.
    let other = Database::connect(&test_database.url)
        .await
        .expect("second replica");
    let first = audit_log(&test_database.database, 6);
    let second = audit_log(&other, 6);
    let write = |audit: AuditLog, from: usize| async move {
        for i in from..from + 50 {
            audit.record(&change("org-p", i)).await.expect("appended");
            if i % 10 == 0 {
                audit.checkpoint("org-p").await.expect("checkpoint");
            }
        }
    };
    let (a, b) = tokio::join!(
        tokio::spawn(write(first.clone(), 0)),
        tokio::spawn(write(second.clone(), 100))
    );
    a.expect("first replica");
    b.expect("second replica");
    let verified = first.verify("org-p").await.expect("one consistent log");
    assert_eq!(verified.entries, 100);
    assert!(verified.checkpoints >= 2);
    other.close().await;
    test_database.cleanup().await;
}

/// Runs the independent verifier (written from docs/audit-export.md alone) on an export.
fn independent_verifier(
    export: &str,
    public_key_pem: &str,
    ok: bool,
    problem: Option<(&str, u64)>,
) {
    let python =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../end2end/python/.venv/bin/python");
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../end2end/python/audit_verify.py");
    if !python.exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "the Python venv (scripts/setup.sh) is required in CI"
        );
        eprintln!(
            "SKIPPED: the independent verifier: no venv at {}",
            python.display()
        );
        return;
    }
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("export.jsonl");
    std::fs::write(&path, format!("{}\n", export.trim_end())).expect("export");
    let key = dir.path().join("key.pem");
    std::fs::write(&key, public_key_pem).expect("key");
    let output = Command::new(python)
        .arg(script)
        .arg(&path)
        .arg("--public-key")
        .arg(&key)
        .output()
        .expect("python runs");
    let said: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| {
        panic!(
            "the verifier's answer: {} {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    assert_eq!(said["ok"], json!(ok), "{said}");
    assert_eq!(output.status.success(), ok, "{said}");
    if let Some((kind, seq)) = problem {
        assert_eq!(said["problem"], json!(kind), "{said}");
        assert_eq!(said["seq"], json!(seq), "{said}");
    }
}

on_both_databases!(
    a_key_reads_and_exports_its_projects_entries_and_nothing_of_other_organizations,
    |database: Database| async move {
        let app = TestApp::new(database);
        let token = app.api_key("team-a").await;
        let other = app.api_key("team-b").await;
        let (status, _) = app
            .api(
                "POST",
                &format!("{R}/clusters"),
                &token,
                Some(json!({ "name": "alpha", "version": "1.35.1", "cni": "cilium", "pools": [] })),
            )
            .await;
        assert_eq!(status, 200);
        let organization: String =
            sqlx::query_scalar("SELECT organization_id FROM projects WHERE name = 'team-a'")
                .fetch_one(app.state.database.pool())
                .await
                .expect("organization");
        let other_organization: String =
            sqlx::query_scalar("SELECT organization_id FROM projects WHERE name = 'team-b'")
                .fetch_one(app.state.database.pool())
                .await
                .expect("organization");
        assert_ne!(organization, other_organization);
        let base = format!("/api/v1/organizations/{organization}/audit");

        let (status, body) = app
            .api(
                "GET",
                &format!("{base}/entries?action=cluster"),
                &token,
                None,
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["total_count"], 1, "{body}");
        assert_eq!(body["entries"][0]["entry"]["action"], "cluster.create");
        let seq = body["entries"][0]["seq"].as_i64().expect("seq");

        // Before a checkpoint covers it, the entry has no proof; after, a verified one.
        let (_, body) = app
            .api("GET", &format!("{base}/entries/{seq}"), &token, None)
            .await;
        assert_eq!(body["checkpoint"], Value::Null, "{body}");
        let (status, signed) = app
            .api("POST", &format!("{base}/checkpoints/latest"), &token, None)
            .await;
        assert_eq!(status, 200, "{signed}");
        let (_, body) = app
            .api("GET", &format!("{base}/entries/{seq}"), &token, None)
            .await;
        assert_eq!(body["verified"], true, "{body}");
        assert_eq!(body["checkpoint"], signed, "{body}");

        // A bad filter is refused, and recorded as refused.
        let (status, body) = app
            .api(
                "GET",
                &format!("{base}/entries?outcome=maybe"),
                &token,
                None,
            )
            .await;
        assert_eq!(status, 400, "{body}");
        let (_, body) = app
            .api(
                "GET",
                &format!("{base}/entries?action=audit&outcome=refused"),
                &token,
                None,
            )
            .await;
        assert_eq!(body["total_count"], 1, "{body}");

        // Another organization's log does not exist for this key, nor this one's for theirs.
        let (status, _) = app
            .api(
                "GET",
                &format!("/api/v1/organizations/{other_organization}/audit/entries"),
                &token,
                None,
            )
            .await;
        assert_eq!(status, 404);
        let (status, _) = app
            .api("GET", &format!("{base}/entries"), &other, None)
            .await;
        assert_eq!(status, 404);

        // The export streams the key's entries with proofs; it verifies offline, and is
        // recorded.
        let response = app
            .send(
                axum::http::Request::get(format!("{base}/export"))
                    .header("x-auth-token", &token)
                    .body(axum::body::Body::empty())
                    .expect("request"),
            )
            .await;
        assert_eq!(response.status(), 200);
        let bytes = http_body_util::BodyExt::collect(response.into_body())
            .await
            .expect("body")
            .to_bytes();
        let text = String::from_utf8(bytes.to_vec()).expect("UTF-8");
        let key = app.state.audit.public_key();
        let verified = verify_export(text.as_bytes(), Some(key.clone())).expect("verifies");
        assert_eq!(verified.scope, wheelhouse::audit::export::Scope::Filtered);
        assert!(verified.entries >= 3, "{text}");
        independent_verifier(&text, &key.pem(), true, None);
        let (_, body) = app
            .api(
                "GET",
                &format!("{base}/entries?action=audit.export"),
                &token,
                None,
            )
            .await;
        assert_eq!(body["total_count"], 1, "{body}");

        let (status, body) = app
            .api("GET", "/api/v1/audit/public-key", &token, None)
            .await;
        assert_eq!(status, 200);
        assert_eq!(body["public_key"], key.base64());
    }
);

on_both_databases!(
    a_person_filters_the_log_opens_an_entry_with_its_proof_and_exports_it_from_the_console,
    |database: Database| async move {
        use crate::identity::{page, person, session_of, sign_in, PASSWORD};
        let app = TestApp::new(database);
        person(&app, "kim@example.com", "team-k").await;
        person(&app, "lou@example.com", "team-l").await;
        let token = app.api_key("team-k").await;
        let (status, body) = app
            .api(
                "POST",
                &format!("{R}/clusters"),
                &token,
                Some(
                    json!({ "name": "audited", "version": "1.35.1", "cni": "cilium", "pools": [] }),
                ),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let cluster_id = body["id"].as_str().expect("id").to_string();
        let (_, _, cookie) = sign_in(&app, "kim@example.com", PASSWORD, None).await;
        let kim = session_of(&cookie);
        let organization: String =
            sqlx::query_scalar("SELECT organization_id FROM projects WHERE name = 'team-k'")
                .fetch_one(app.state.database.pool())
                .await
                .expect("organization");

        // The log, filtered by action.
        let (status, _, html) = page(&app, "/audit?action=cluster", Some(&kim)).await;
        assert_eq!(status, 200);
        assert_eq!(
            html.matches(r#"data-testid="audit-row""#).count(),
            1,
            "{html}"
        );
        assert!(
            html.contains("cluster.create") && html.contains("audited")
                || html.contains(&cluster_id),
            "{html}"
        );
        assert!(html.contains("1 matching entry"), "{html}");
        // A bad filter says which and why, and changes nothing.
        let (status, _, html) = page(&app, "/audit?since=yesterday", Some(&kim)).await;
        assert_eq!(status, 200);
        assert!(html.contains("is not a time"), "{html}");
        assert!(
            html.contains(r#"id="audit-since""#) && html.contains(r#"aria-invalid="true""#),
            "{html}"
        );

        // The entry, before and after a checkpoint covers it.
        let seq: i64 = sqlx::query_scalar(
            "SELECT seq FROM audit_entries WHERE organization_id = $1 AND action = 'cluster.create'",
        )
        .bind(&organization)
        .fetch_one(app.state.database.pool())
        .await
        .expect("entry");
        let entry = app::routes::AUDIT_ENTRY.url(&[organization.as_str(), &seq.to_string()]);
        let (status, _, html) = page(&app, &entry, Some(&kim)).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("Not yet under a signed checkpoint"), "{html}");
        let (status, location) = crate::forms::post(
            &app,
            app::routes::SIGN_CHECKPOINT.axum_path,
            &kim,
            &format!("organization={organization}&back=%2Faudit"),
        )
        .await;
        assert_eq!(status, 303);
        assert_eq!(location, "/audit?notice=checkpoint-signed");
        let (_, _, html) = page(&app, &entry, Some(&kim)).await;
        assert!(html.contains("Verified against checkpoint"), "{html}");
        assert!(
            html.contains("api-key SCW") || html.contains("api_key"),
            "{html}"
        );

        // The cluster's Audit tab.
        let tab = app::routes::cluster_tab("fr-par", &cluster_id, app::routes::Tab::Audit);
        let (status, _, html) = page(&app, &tab, Some(&kim)).await;
        assert_eq!(status, 200);
        assert!(html.contains("cluster.create"), "{html}");

        // The export verifies offline; the public key downloads.
        let export = format!(
            "{}?format=jsonl&action=cluster",
            app::routes::AUDIT_EXPORT.url(&[organization.as_str()])
        );
        let (status, _, text) = page(&app, &export, Some(&kim)).await;
        assert_eq!(status, 200);
        let (_, _, pem) = page(&app, app::routes::AUDIT_PUBLIC_KEY.axum_path, Some(&kim)).await;
        let key = wheelhouse::audit::checkpoint::PublicKey::parse(&pem).expect("a PEM key");
        let verified = verify_export(text.as_bytes(), Some(key)).expect("the export verifies");
        assert_eq!(verified.entries, 1);
        let (_, _, csv) = page(&app, &export.replace("jsonl", "csv"), Some(&kim)).await;
        assert!(csv.starts_with("seq,time,actor"), "{csv}");
        // An export format that does not exist is refused, in words.
        let (status, _, said) = page(&app, &export.replace("jsonl", "xml"), Some(&kim)).await;
        assert_eq!(status, 400);
        assert!(said.contains("jsonl or csv"), "{said}");

        // Another organization's person finds nothing.
        let (_, _, cookie) = sign_in(&app, "lou@example.com", PASSWORD, None).await;
        let lou = session_of(&cookie);
        let (status, _, _) = page(&app, &entry, Some(&lou)).await;
        assert_eq!(status, 404);
        let (status, _, _) = page(&app, &export, Some(&lou)).await;
        assert_eq!(status, 404);
        let (_, _, html) = page(&app, "/audit", Some(&lou)).await;
        assert!(
            !html.contains("audited") && !html.contains(&cluster_id),
            "{html}"
        );
    }
);

/// Every change the app reported so far is exactly one entry of its organization's log, in
/// order, with the same actor, source, action, target, fields and outcome (the log's own reads
/// and exports, recorded by the log, aside); and each log verifies.
pub(crate) async fn every_change_is_one_entry(app: &TestApp) {
    let reported = app.recorded.all();
    let mut organizations: Vec<String> = reported
        .iter()
        .map(|change| change.target.organization_id.clone())
        .collect();
    organizations.sort();
    organizations.dedup();
    for organization in organizations {
        let expected: Vec<Value> = reported
            .iter()
            .filter(|change| change.target.organization_id == organization)
            .map(|change| serde_json::to_value(change).expect("change"))
            .collect();
        let texts: Vec<String> = sqlx::query_scalar(
            "SELECT entry FROM audit_entries WHERE organization_id = $1 \
             AND action NOT LIKE 'audit.%' ORDER BY seq",
        )
        .bind(&organization)
        .fetch_all(app.state.database.pool())
        .await
        .expect("entries");
        let found: Vec<Value> = texts
            .iter()
            .map(|text| {
                let mut entry: Value = serde_json::from_str(text).expect("JSON");
                for field in ["seq", "time", "organization_id"] {
                    entry.as_object_mut().expect("object").remove(field);
                }
                entry
            })
            .collect();
        assert_eq!(found, expected, "the log of {organization}");
        app.state
            .audit
            .verify(&organization)
            .await
            .unwrap_or_else(|failure| panic!("the log of {organization}: {failure}"));
    }
}

on_both_databases!(
    viewers_read_the_log_until_an_owner_turns_that_off,
    |database: Database| async move {
        use crate::identity::{page, signed_in, someone};
        use wheelhouse::services::identity::Role;
        let app = TestApp::new(database);
        someone(&app, "olga@example.com", "team-v", Role::Owner).await;
        someone(&app, "vic@example.com", "team-v", Role::Viewer).await;
        let (owner, viewer) = (
            signed_in(&app, "olga@example.com").await,
            signed_in(&app, "vic@example.com").await,
        );
        let project: String = sqlx::query_scalar("SELECT id FROM projects WHERE name = 'team-v'")
            .fetch_one(app.state.database.pool())
            .await
            .expect("project");
        let (_, _, html) = page(&app, "/audit", Some(&viewer)).await;
        assert!(html.contains(r#"data-testid="audit-row""#), "{html}");

        // Only an owner turns it off; a viewer's try is refused and recorded.
        let form = format!("project_id={project}");
        let (status, location) = crate::forms::post(
            &app,
            app::routes::SET_AUDIT_VIEWERS.axum_path,
            &viewer,
            &form,
        )
        .await;
        assert_eq!(status, 303);
        assert!(location.contains("problem="), "{location}");
        let (_, location) = crate::forms::post(
            &app,
            app::routes::SET_AUDIT_VIEWERS.axum_path,
            &owner,
            &form,
        )
        .await;
        assert_eq!(location, "/settings?notice=audit-viewers-saved");
        let (_, _, html) = page(&app, "/audit", Some(&viewer)).await;
        assert!(!html.contains(r#"data-testid="audit-row""#), "{html}");
        assert!(
            html.contains("not a member of a project whose log you may read"),
            "{html}"
        );
        let (_, _, html) = page(&app, "/audit", Some(&owner)).await;
        assert!(html.contains("project.set_audit_for_viewers"), "{html}");

        let (_, location) = crate::forms::post(
            &app,
            app::routes::SET_AUDIT_VIEWERS.axum_path,
            &owner,
            &format!("{form}&allowed=yes"),
        )
        .await;
        assert_eq!(location, "/settings?notice=audit-viewers-saved");
        let (_, _, html) = page(&app, "/audit", Some(&viewer)).await;
        assert!(html.contains(r#"data-testid="audit-row""#), "{html}");
        every_change_is_one_entry(&app).await;
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operators_action_on_a_customers_cluster_is_in_the_customers_log() {
    let test_database = TestDatabase::sqlite().await;
    let app = TestApp::new(test_database.database.clone());
    let token = app.api_key("team-o").await;
    let (status, body) = app
        .api(
            "POST",
            &format!("{R}/clusters"),
            &token,
            Some(json!({ "name": "watched", "version": "1.35.1", "cni": "cilium", "pools": [] })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let cluster_id = body["id"].as_str().expect("id").to_string();
    app.run_until_idle().await;
    let output = crate::support::wheelhouse_command()
        .args([
            "admin",
            "fault",
            "component",
            &cluster_id,
            "coredns",
            "degraded",
        ])
        .args(["--database-url", &test_database.url])
        .env("USER", "ada-ops")
        .output()
        .expect("wheelhouse runs");
    assert!(output.status.success(), "{output:?}");
    let organization: String =
        sqlx::query_scalar("SELECT organization_id FROM projects WHERE name = 'team-o'")
            .fetch_one(app.state.database.pool())
            .await
            .expect("organization");
    let entry: String = sqlx::query_scalar(
        "SELECT entry FROM audit_entries WHERE organization_id = $1 AND action = 'component.set_health'",
    )
    .bind(&organization)
    .fetch_one(app.state.database.pool())
    .await
    .expect("the operator's action is in the customer's log");
    let entry: Value = serde_json::from_str(&entry).expect("JSON");
    assert_eq!(entry["actor"]["kind"], "operator", "{entry}");
    assert_eq!(entry["target"]["cluster_id"], json!(cluster_id), "{entry}");
    // An operator's action is followed by a checkpoint at once.
    let checkpoint = app
        .state
        .audit
        .latest_checkpoint(&organization)
        .await
        .expect("read")
        .expect("a checkpoint after the operator's action");
    assert_eq!(
        checkpoint.checkpoint.tree_size,
        entry["seq"].as_u64().expect("seq") + 1
    );
    test_database.cleanup().await;
}
