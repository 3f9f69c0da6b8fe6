//! How long the sandbox's transitions take. Realistic durations, divided by a time scale
//! (`serve --time-scale N`): 1 is real time, 60 makes a two-minute boot take two seconds.

use chrono::Duration;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timing {
    pub time_scale: f64,
}

impl Default for Timing {
    fn default() -> Self {
        Timing { time_scale: 1.0 }
    }
}

impl Timing {
    pub fn new(time_scale: f64) -> Timing {
        Timing {
            time_scale: if time_scale.is_finite() && time_scale > 0.0 {
                time_scale
            } else {
                1.0
            },
        }
    }

    fn scaled(&self, seconds: i64) -> Duration {
        Duration::milliseconds(((seconds as f64 * 1000.0) / self.time_scale).round() as i64)
    }

    /// Control plane (etcd, API server, …) provisioned for a new cluster.
    pub fn control_plane_create(&self) -> Duration {
        self.scaled(240)
    }
    /// Control plane replaced by the next version.
    pub fn control_plane_upgrade(&self) -> Duration {
        self.scaled(300)
    }
    /// A new instance boots, joins and reports Ready.
    pub fn node_boot(&self) -> Duration {
        self.scaled(120)
    }
    pub fn node_reboot(&self) -> Duration {
        self.scaled(60)
    }
    /// Cordon, drain (respecting PDBs) and delete the instance.
    pub fn node_drain_and_delete(&self) -> Duration {
        self.scaled(45)
    }
    /// How long a drain waits on a PodDisruptionBudget that allows no eviction before it
    /// evicts anyway (with an event saying so).
    pub fn drain_timeout(&self) -> Duration {
        self.scaled(600)
    }
    /// A restore puts the provider's system apps back (rolled out again on the nodes).
    pub fn restore_system_apps(&self) -> Duration {
        self.scaled(90)
    }
    /// A restore resets the control plane's configuration (API server restarted).
    pub fn restore_control_plane(&self) -> Duration {
        self.scaled(180)
    }
    /// A restore writes etcd's contents back from a snapshot.
    pub fn restore_etcd(&self) -> Duration {
        self.scaled(240)
    }
    /// After this a restore still running ends Failed, with its reason: never retried forever.
    pub fn restore_deadline(&self) -> Duration {
        self.scaled(1800)
    }
    /// Each settled cluster's etcd is snapshotted this often.
    pub fn snapshot_interval(&self) -> Duration {
        self.scaled(6 * 3600)
    }
    /// Periodic snapshots are kept this long (those taken before a change, as long as the
    /// cluster).
    pub fn snapshot_retention(&self) -> Duration {
        self.scaled(7 * 24 * 3600)
    }
    /// How long the reconciler waits before looking again at something still in progress.
    pub fn poll(&self) -> Duration {
        self.scaled(5).max(Duration::milliseconds(50))
    }
    /// Retry delay after a failed step: exponential, capped at five minutes (not scaled: it
    /// protects the database and the provider, not the simulation).
    pub fn backoff(&self, attempt: i64) -> Duration {
        let exponent = attempt.clamp(0, 8) as u32;
        Duration::seconds((1i64 << exponent).min(300))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_shrink_with_the_time_scale() {
        assert_eq!(Timing::new(1.0).node_boot(), Duration::seconds(120));
        assert_eq!(Timing::new(60.0).node_boot(), Duration::seconds(2));
        assert_eq!(
            Timing::new(0.0).node_boot(),
            Duration::seconds(120),
            "nonsense scales fall back to 1"
        );
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let timing = Timing::default();
        assert_eq!(timing.backoff(0), Duration::seconds(1));
        assert_eq!(timing.backoff(3), Duration::seconds(8));
        assert_eq!(timing.backoff(50), Duration::seconds(256));
    }
}
