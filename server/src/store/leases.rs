//! Leases of background jobs on their subjects (`job_leases`): the one mechanism by which
//! replicas sharing a database agree which of them acts.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use super::rows::millis;

/// Takes or renews `holder`'s lease on `job`'s `subject` until `until`, only if the lease is
/// free, lapsed by `now` or already its own (a conditional upsert): true when it holds it.
pub async fn take(
    conn: &mut AnyConnection,
    job: &str,
    subject: &str,
    holder: &str,
    until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let taken = sqlx::query(
        "INSERT INTO job_leases (job, subject, holder, until) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (job, subject) DO UPDATE SET holder = excluded.holder, until = excluded.until \
         WHERE job_leases.until <= $5 OR job_leases.holder = excluded.holder",
    )
    .bind(job)
    .bind(subject)
    .bind(holder)
    .bind(millis(until))
    .bind(millis(now))
    .execute(conn)
    .await?
    .rows_affected();
    Ok(taken == 1)
}

/// Forgets the leases of a subject that is gone.
pub async fn forget(conn: &mut AnyConnection, job: &str, subject: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM job_leases WHERE job = $1 AND subject = $2")
        .bind(job)
        .bind(subject)
        .execute(conn)
        .await?;
    Ok(())
}
