//! Background work, in one place: the loops a server runs beside its HTTP listener — the
//! sandbox's reconciler (the simulated provider's own work, when it is the provider) and
//! Wheelhouse's maintenance pass (node lifespans, autohealing, patch auto-upgrade), the alerts
//! pass (every rule over every cluster) and audit checkpoints; the notices and webhook
//! deliveries of later issues start here too. Each loop runs every
//! interval until stopped and is steppable one pass at a time in tests (`run_pass`, `pass`).
//! Work on a shared subject happens only under its lease (`store::leases`, table `job_leases`),
//! so with several replicas on one database exactly one acts on each subject.

use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::backend::sandbox::reconciler::Reconciler;
use crate::state::AppState;

/// How often each loop runs.
#[derive(Clone, Copy, Debug)]
pub struct Intervals {
    pub reconcile: Duration,
    pub maintenance: Duration,
    /// How often every audit log that grew gets a signed checkpoint (at most an hour).
    pub checkpoint: Duration,
    /// How often the alert rules are evaluated over every cluster.
    pub alerts: Duration,
}

/// The loops started, and how to stop them.
pub struct Running {
    stop: Vec<oneshot::Sender<()>>,
    tasks: Vec<JoinHandle<()>>,
}

/// Starts every background loop of this server. `sandbox`: the sandbox is the provider here, so
/// its reconciler runs too.
pub fn start(state: &AppState, intervals: Intervals, sandbox: bool) -> Running {
    let mut running = Running {
        stop: Vec::new(),
        tasks: Vec::new(),
    };
    if sandbox {
        let (stop, stopped) = oneshot::channel::<()>();
        let reconciler = Reconciler::new(state.provisioning.clone(), state.replica.clone());
        running.stop.push(stop);
        running.tasks.push(tokio::spawn(reconciler.run_until(
            intervals.reconcile,
            async {
                let _ = stopped.await;
            },
        )));
    }
    // A maintenance lease outlives three passes (at least ten seconds): a server that stops
    // hands its clusters over that soon, and a cluster's read-then-act (well under a second)
    // fits in it.
    let lease = (intervals.maintenance * 3).max(Duration::from_secs(10));
    let (stop, stopped) = oneshot::channel::<()>();
    running.stop.push(stop);
    running.tasks.push(tokio::spawn(
        state
            .freshness()
            .with_lease(chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(60)))
            .run_until(intervals.maintenance, async {
                let _ = stopped.await;
            }),
    ));
    // Checkpoints need no lease: each takes its log's lock, and a second replica finding the
    // log unchanged since the last checkpoint signs nothing new.
    let (stop, stopped) = oneshot::channel::<()>();
    running.stop.push(stop);
    running
        .tasks
        .push(tokio::spawn(state.audit.clone().run_until(
            intervals.checkpoint,
            async {
                let _ = stopped.await;
            },
        )));
    // One replica evaluates the alerts at a time: the lease outlives three passes.
    let lease = (intervals.alerts * 3).max(Duration::from_secs(10));
    let (stop, stopped) = oneshot::channel::<()>();
    running.stop.push(stop);
    running.tasks.push(tokio::spawn(
        state
            .alerts()
            .with_lease(chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(60)))
            .run_until(intervals.alerts, async {
                let _ = stopped.await;
            }),
    ));
    running
}

impl Running {
    /// Asks every loop to stop after its pass under way, and waits for them.
    pub async fn stop(self) {
        for stop in self.stop {
            let _ = stop.send(());
        }
        for task in self.tasks {
            let _ = task.await;
        }
    }
}
