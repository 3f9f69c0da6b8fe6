//! The audit log's tables (migration 0018): each organization's head (`audit_logs`), its entries
//! and its signed checkpoints. Appends run inside the caller's transaction.

use sqlx::{AnyConnection, Row};

/// A log's head as stored: how many entries, its encoded Merkle frontier, and the size at its
/// last checkpoint.
pub struct Head {
    pub size: i64,
    pub frontier: String,
    pub checkpointed: i64,
}

/// Takes the organization's log lock (creating its head on first use) and reads the head; held
/// until the transaction ends, so appends of one organization queue one behind another.
pub async fn lock_head(
    conn: &mut AnyConnection,
    organization_id: &str,
) -> Result<Head, sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_logs (organization_id, size, frontier, checkpointed) \
         VALUES ($1, 0, '0;', 0) ON CONFLICT (organization_id) DO NOTHING",
    )
    .bind(organization_id)
    .execute(&mut *conn)
    .await?;
    // A write to the row is the lock on both databases (SQLite has no FOR UPDATE).
    sqlx::query("UPDATE audit_logs SET size = size WHERE organization_id = $1")
        .bind(organization_id)
        .execute(&mut *conn)
        .await?;
    head(conn, organization_id).await.map(|head| {
        head.unwrap_or(Head {
            size: 0,
            frontier: "0;".into(),
            checkpointed: 0,
        })
    })
}

pub async fn head(
    conn: &mut AnyConnection,
    organization_id: &str,
) -> Result<Option<Head>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT size, frontier, checkpointed FROM audit_logs WHERE organization_id = $1",
    )
    .bind(organization_id)
    .fetch_optional(conn)
    .await?;
    row.map(|row| {
        Ok(Head {
            size: row.try_get("size")?,
            frontier: row.try_get("frontier")?,
            checkpointed: row.try_get("checkpointed")?,
        })
    })
    .transpose()
}

/// The organizations whose log grew since its last checkpoint.
pub async fn unchecked(conn: &mut AnyConnection) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT organization_id FROM audit_logs WHERE size > checkpointed ORDER BY organization_id",
    )
    .fetch_all(conn)
    .await
}

/// Every organization that has a log.
pub async fn organizations(conn: &mut AnyConnection) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT organization_id FROM audit_logs ORDER BY organization_id")
        .fetch_all(conn)
        .await
}

/// An entry's row: its canonical text, its leaf hash and the fields copied for filtering.
pub struct NewEntry<'a> {
    pub organization_id: &'a str,
    pub seq: i64,
    pub time_ms: i64,
    pub project_id: Option<&'a str>,
    pub cluster_id: Option<&'a str>,
    pub actor: &'a str,
    pub actor_kind: &'a str,
    pub interface: &'a str,
    pub action: &'a str,
    pub target_kind: &'a str,
    pub target_id: &'a str,
    pub outcome: &'a str,
    pub entry: &'a str,
    pub leaf_hash: &'a str,
}

/// Writes an entry and moves the head past it (the head's lock must be held).
pub async fn append(
    conn: &mut AnyConnection,
    entry: &NewEntry<'_>,
    frontier: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_entries (organization_id, seq, time_ms, project_id, cluster_id, actor, \
         actor_kind, interface, action, target_kind, target_id, outcome, entry, leaf_hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(entry.organization_id)
    .bind(entry.seq)
    .bind(entry.time_ms)
    .bind(entry.project_id)
    .bind(entry.cluster_id)
    .bind(entry.actor)
    .bind(entry.actor_kind)
    .bind(entry.interface)
    .bind(entry.action)
    .bind(entry.target_kind)
    .bind(entry.target_id)
    .bind(entry.outcome)
    .bind(entry.entry)
    .bind(entry.leaf_hash)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE audit_logs SET size = $2, frontier = $3 WHERE organization_id = $1")
        .bind(entry.organization_id)
        .bind(entry.seq + 1)
        .bind(frontier)
        .execute(conn)
        .await?;
    Ok(())
}

/// A checkpoint as stored: its signed body (canonical JSON) and signature (base64).
pub struct CheckpointRow {
    pub tree_size: i64,
    pub time_ms: i64,
    pub body: String,
    pub signature: String,
}

pub async fn insert_checkpoint(
    conn: &mut AnyConnection,
    organization_id: &str,
    root_hash: &str,
    key_id: &str,
    row: &CheckpointRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_checkpoints (organization_id, tree_size, root_hash, time_ms, key_id, \
         body, signature) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(organization_id)
    .bind(row.tree_size)
    .bind(root_hash)
    .bind(row.time_ms)
    .bind(key_id)
    .bind(&row.body)
    .bind(&row.signature)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE audit_logs SET checkpointed = $2 WHERE organization_id = $1")
        .bind(organization_id)
        .bind(row.tree_size)
        .execute(conn)
        .await?;
    Ok(())
}

fn checkpoint_row(row: &sqlx::any::AnyRow) -> Result<CheckpointRow, sqlx::Error> {
    Ok(CheckpointRow {
        tree_size: row.try_get("tree_size")?,
        time_ms: row.try_get("time_ms")?,
        body: row.try_get("body")?,
        signature: row.try_get("signature")?,
    })
}

/// The organization's checkpoints, oldest first.
pub async fn checkpoints(
    conn: &mut AnyConnection,
    organization_id: &str,
) -> Result<Vec<CheckpointRow>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT tree_size, time_ms, body, signature FROM audit_checkpoints \
         WHERE organization_id = $1 ORDER BY tree_size",
    )
    .bind(organization_id)
    .fetch_all(conn)
    .await?;
    rows.iter().map(checkpoint_row).collect()
}

/// The first checkpoint whose tree holds entry `seq` (what "verified against checkpoint N"
/// names), else none yet.
pub async fn checkpoint_covering(
    conn: &mut AnyConnection,
    organization_id: &str,
    seq: i64,
) -> Result<Option<CheckpointRow>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT tree_size, time_ms, body, signature FROM audit_checkpoints \
         WHERE organization_id = $1 AND tree_size > $2 ORDER BY tree_size LIMIT 1",
    )
    .bind(organization_id)
    .bind(seq)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(checkpoint_row).transpose()
}

pub async fn latest_checkpoint(
    conn: &mut AnyConnection,
    organization_id: &str,
) -> Result<Option<CheckpointRow>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT tree_size, time_ms, body, signature FROM audit_checkpoints \
         WHERE organization_id = $1 ORDER BY tree_size DESC LIMIT 1",
    )
    .bind(organization_id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(checkpoint_row).transpose()
}

/// Which entries a reader asks for, within what they may see.
#[derive(Clone, Debug, Default)]
pub struct EntryFilter {
    /// The projects whose entries the reader sees; `None`: all of the organization's.
    pub projects: Option<Vec<String>>,
    /// Whether entries outside any project (people, the organization) are shown too.
    pub unscoped: bool,
    pub cluster_id: Option<String>,
    /// Part of the actor's name (an email, `api-key SCW…`, `operator …`, `system …`).
    pub actor: Option<String>,
    /// An action (`cluster.update`) or its object's part (`cluster`).
    pub action: Option<String>,
    /// The target's id (a cluster, pool, node, key or person).
    pub target: Option<String>,
    /// `done` or `refused`.
    pub outcome: Option<String>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
}

/// An entry as read for listing, exporting and verifying.
pub struct EntryRow {
    pub seq: i64,
    pub time_ms: i64,
    pub project_id: Option<String>,
    pub actor: String,
    pub interface: String,
    pub action: String,
    pub target_kind: String,
    pub target_id: String,
    pub outcome: String,
    pub entry: String,
    pub leaf_hash: String,
}

const ENTRY_COLUMNS: &str = "seq, time_ms, project_id, actor, interface, action, target_kind, \
                             target_id, outcome, entry, leaf_hash";

fn entry_row(row: &sqlx::any::AnyRow) -> Result<EntryRow, sqlx::Error> {
    Ok(EntryRow {
        seq: row.try_get("seq")?,
        time_ms: row.try_get("time_ms")?,
        project_id: row.try_get("project_id")?,
        actor: row.try_get("actor")?,
        interface: row.try_get("interface")?,
        action: row.try_get("action")?,
        target_kind: row.try_get("target_kind")?,
        target_id: row.try_get("target_id")?,
        outcome: row.try_get("outcome")?,
        entry: row.try_get("entry")?,
        leaf_hash: row.try_get("leaf_hash")?,
    })
}

/// The WHERE clause of a filter (organization first, `$1`) and its arguments, in order.
fn filter_clause(filter: &EntryFilter) -> (String, Vec<Argument>) {
    let mut clause = String::from("organization_id = $1");
    let mut arguments = Vec::new();
    let next = |arguments: &mut Vec<Argument>, argument: Argument| {
        arguments.push(argument);
        format!("${}", arguments.len() + 1)
    };
    if let Some(projects) = &filter.projects {
        let mut alternatives: Vec<String> = projects
            .iter()
            .map(|project| {
                format!(
                    "project_id = {}",
                    next(&mut arguments, Argument::Text(project.clone()))
                )
            })
            .collect();
        if filter.unscoped {
            alternatives.push("project_id IS NULL".into());
        }
        if alternatives.is_empty() {
            alternatives.push("1 = 0".into());
        }
        clause.push_str(&format!(" AND ({})", alternatives.join(" OR ")));
    }
    if let Some(cluster) = &filter.cluster_id {
        let at = next(&mut arguments, Argument::Text(cluster.clone()));
        clause.push_str(&format!(" AND cluster_id = {at}"));
    }
    if let Some(actor) = &filter.actor {
        let at = next(
            &mut arguments,
            Argument::Text(format!("%{}%", like_escaped(actor))),
        );
        clause.push_str(&format!(" AND LOWER(actor) LIKE LOWER({at}) ESCAPE '\\'"));
    }
    if let Some(action) = &filter.action {
        let exact = next(&mut arguments, Argument::Text(action.clone()));
        let prefix = next(
            &mut arguments,
            Argument::Text(format!("{}.%", like_escaped(action))),
        );
        clause.push_str(&format!(
            " AND (action = {exact} OR action LIKE {prefix} ESCAPE '\\')"
        ));
    }
    if let Some(target) = &filter.target {
        let at = next(&mut arguments, Argument::Text(target.clone()));
        clause.push_str(&format!(" AND target_id = {at}"));
    }
    if let Some(outcome) = &filter.outcome {
        let at = next(&mut arguments, Argument::Text(outcome.clone()));
        clause.push_str(&format!(" AND outcome = {at}"));
    }
    if let Some(from) = filter.from_ms {
        let at = next(&mut arguments, Argument::Int(from));
        clause.push_str(&format!(" AND time_ms >= {at}"));
    }
    if let Some(to) = filter.to_ms {
        let at = next(&mut arguments, Argument::Int(to));
        clause.push_str(&format!(" AND time_ms < {at}"));
    }
    (clause, arguments)
}

fn like_escaped(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

enum Argument {
    Text(String),
    Int(i64),
}

fn bind_all<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    organization_id: &'q str,
    arguments: &'q [Argument],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    query = query.bind(organization_id);
    for argument in arguments {
        query = match argument {
            Argument::Text(text) => query.bind(text.as_str()),
            Argument::Int(number) => query.bind(*number),
        };
    }
    query
}

/// How many entries match.
pub async fn count(
    conn: &mut AnyConnection,
    organization_id: &str,
    filter: &EntryFilter,
) -> Result<i64, sqlx::Error> {
    let (clause, arguments) = filter_clause(filter);
    let sql = format!("SELECT COUNT(*) AS n FROM audit_entries WHERE {clause}");
    let row = bind_all(sqlx::query(&sql), organization_id, &arguments)
        .fetch_one(conn)
        .await?;
    row.try_get("n")
}

/// A page of matching entries, newest first.
pub async fn newest_first(
    conn: &mut AnyConnection,
    organization_id: &str,
    filter: &EntryFilter,
    limit: i64,
    offset: i64,
) -> Result<Vec<EntryRow>, sqlx::Error> {
    let (clause, arguments) = filter_clause(filter);
    let sql = format!(
        "SELECT {ENTRY_COLUMNS} FROM audit_entries WHERE {clause} \
         ORDER BY seq DESC LIMIT {limit} OFFSET {offset}"
    );
    let rows = bind_all(sqlx::query(&sql), organization_id, &arguments)
        .fetch_all(conn)
        .await?;
    rows.iter().map(entry_row).collect()
}

/// Matching entries after `after_seq` (exclusive; -1 for the start) up to `before` (exclusive),
/// oldest first, at most `limit`: an export reads the log in such batches.
pub async fn batch(
    conn: &mut AnyConnection,
    organization_id: &str,
    filter: &EntryFilter,
    after_seq: i64,
    before: i64,
    limit: i64,
) -> Result<Vec<EntryRow>, sqlx::Error> {
    let (clause, arguments) = filter_clause(filter);
    let sql = format!(
        "SELECT {ENTRY_COLUMNS} FROM audit_entries WHERE {clause} \
         AND seq > {after_seq} AND seq < {before} ORDER BY seq LIMIT {limit}"
    );
    let rows = bind_all(sqlx::query(&sql), organization_id, &arguments)
        .fetch_all(conn)
        .await?;
    rows.iter().map(entry_row).collect()
}

/// The leaf hashes of entries `from..to`, in order (for proofs; read in batches).
pub async fn leaf_hashes(
    conn: &mut AnyConnection,
    organization_id: &str,
    from: i64,
    to: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT leaf_hash FROM audit_entries WHERE organization_id = $1 AND seq >= $2 \
         AND seq < $3 ORDER BY seq",
    )
    .bind(organization_id)
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await
}

pub async fn entry(
    conn: &mut AnyConnection,
    organization_id: &str,
    seq: i64,
) -> Result<Option<EntryRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {ENTRY_COLUMNS} FROM audit_entries WHERE organization_id = $1 AND seq = $2"
    );
    let row = sqlx::query(&sql)
        .bind(organization_id)
        .bind(seq)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(entry_row).transpose()
}

/// Of these projects, those whose viewers may read their audit entries (an owner may turn it
/// off).
pub async fn open_to_viewers(
    conn: &mut AnyConnection,
    project_ids: &[String],
) -> Result<Vec<String>, sqlx::Error> {
    let mut open = Vec::new();
    for project_id in project_ids {
        let row = sqlx::query("SELECT audit_for_viewers FROM projects WHERE id = $1")
            .bind(project_id)
            .fetch_optional(&mut *conn)
            .await?;
        if let Some(row) = row {
            if super::rows::get_bool(&row, "audit_for_viewers")? {
                open.push(project_id.clone());
            }
        }
    }
    Ok(open)
}
