//! The reconciler: a level-triggered loop over operation rows. Each pass first lets the sandbox
//! settle transitions whose time has come (nodes finishing boot, reboot, drain), then advances
//! every due operation by one step. A step and the record of its progress commit together, so a
//! crash at any point resumes at the recorded step: nothing is created, replaced or lost twice.
//! Workers claim operations with leases, so several replicas can share one database.

pub mod kinds;
mod physics;
pub(crate) mod steps;

use std::time::Duration as StdDuration;

use chrono::Duration;

use crate::backend::sandbox::store::operations::{self, Operation};
use crate::backend::sandbox::Provisioning;
use crate::domain::DomainError;

pub use physics::inject_fault;

/// After this many failed attempts an operation is marked failed and left for a person.
pub const MAX_ATTEMPTS: i64 = 8;

/// What one pass did (for tests and logs).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PassReport {
    pub nodes_settled: usize,
    pub steps_run: usize,
    pub steps_failed: usize,
}

pub struct Reconciler {
    provisioning: Provisioning,
    owner: String,
    lease: Duration,
}

/// What a step decided.
pub(crate) enum Next {
    /// Go on with `step`, not before `after` from now.
    Continue {
        step: kinds::Step,
        after: Duration,
    },
    Done,
    /// Ends the operation Failed with its reason, at once (a deadline passed): never retried.
    Fail {
        reason: String,
    },
}

impl Reconciler {
    pub fn new(provisioning: Provisioning, owner: impl Into<String>) -> Reconciler {
        Reconciler {
            provisioning,
            owner: owner.into(),
            lease: Duration::seconds(30),
        }
    }

    /// One full pass; call it repeatedly (tests step it by hand with a manual clock).
    pub async fn run_pass(&self) -> Result<PassReport, DomainError> {
        let mut report = PassReport {
            nodes_settled: physics::settle_due_nodes(&self.provisioning).await?,
            ..PassReport::default()
        };
        // Periodic etcd snapshots, taken by the pass as a provider's backup schedule would.
        self.provisioning.take_due_snapshots().await?;
        let now = self.provisioning.now();
        let claimed = {
            let mut conn = self.provisioning.database.pool().acquire().await?;
            operations::claim_due(
                &mut conn,
                self.provisioning.database.kind(),
                &self.owner,
                now,
                now + self.lease,
                1000,
            )
            .await?
        };
        for id in claimed {
            match self.advance(&id).await {
                Ok(true) => report.steps_run += 1,
                Ok(false) => {}
                Err(error) => {
                    report.steps_failed += 1;
                    tracing::warn!(operation = %id, %error, "operation step failed; will retry");
                    self.record_failure(&id, &error).await?;
                }
            }
        }
        Ok(report)
    }

    /// Runs one step of a claimed operation in one transaction. Returns false if the lease was
    /// lost meanwhile (the step is then rolled back and left to the new owner).
    async fn advance(&self, id: &str) -> Result<bool, DomainError> {
        let mut transaction = self.provisioning.database.begin().await?;
        let Some(mut operation) = operations::get(&mut transaction, id).await? else {
            return Ok(false);
        };
        // Steps on one cluster take its row lock, as requests do: one change at a time, across
        // requests and replicas.
        crate::backend::sandbox::store::clusters::lock(&mut transaction, &operation.cluster_id)
            .await?;
        let next = steps::run(&self.provisioning, &mut transaction, &mut operation).await?;
        let now = self.provisioning.now();
        match next {
            Next::Continue { step, after } => {
                operation.step = step.as_str().to_string();
                operation.next_run_at = now + after;
            }
            Next::Done => {
                operation.step = kinds::Step::Done.as_str().to_string();
                operation.state = operations::DONE.to_string();
                operation.next_run_at = now;
                operation.last_error = None;
            }
            Next::Fail { reason } => {
                operation.state = operations::FAILED.to_string();
                operation.next_run_at = now;
                operation.last_error = Some(reason);
            }
        }
        operation.attempt = 0;
        if operation.state == operations::PENDING {
            operation.last_error = None;
        }
        if !operations::record_step(&mut transaction, &operation, &self.owner, now).await? {
            transaction.rollback().await?;
            return Ok(false);
        }
        transaction.commit().await?;
        Ok(true)
    }

    async fn record_failure(&self, id: &str, error: &DomainError) -> Result<(), DomainError> {
        let mut conn = self.provisioning.database.pool().acquire().await?;
        let Some(mut operation) = operations::get(&mut conn, id).await? else {
            return Ok(());
        };
        let now = self.provisioning.now();
        operation.attempt += 1;
        operation.last_error = Some(error.to_string());
        operation.next_run_at = now + self.provisioning.timing.backoff(operation.attempt);
        if operation.attempt >= MAX_ATTEMPTS {
            operation.state = operations::FAILED.to_string();
        }
        operations::record_step(&mut conn, &operation, &self.owner, now).await?;
        Ok(())
    }

    /// Runs passes until `shutdown` resolves, pausing `interval` (real time) between passes.
    pub async fn run_until(
        self,
        interval: StdDuration,
        shutdown: impl std::future::Future<Output = ()>,
    ) {
        tokio::pin!(shutdown);
        loop {
            if let Err(error) = self.run_pass().await {
                tracing::error!(%error, "reconciler pass failed");
            }
            tokio::select! {
                _ = &mut shutdown => break,
                _ = tokio::time::sleep(interval) => {}
            }
        }
    }
}

/// Helper for tests and tools: the operation as stored.
pub async fn operation(
    provisioning: &Provisioning,
    id: &str,
) -> Result<Option<Operation>, DomainError> {
    let mut conn = provisioning.database.pool().acquire().await?;
    Ok(operations::get(&mut conn, id).await?)
}
