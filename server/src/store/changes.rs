//! Change notifications between replicas. On PostgreSQL every write to a sandbox cluster, pool
//! or node (from any replica: a request, the reconciler, a maintenance pass) sends the cluster's
//! id on the `wheelhouse_changes` channel (triggers of migration 0016); each server listens and
//! wakes its live views (Server-Sent Events) at once instead of at their next poll. The views
//! stay level-triggered (they read the truth from the database when woken), so a missed or
//! duplicate notification costs nothing but a second. SQLite has one server: its views poll.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;

/// The PostgreSQL channel the triggers notify.
pub const CHANNEL: &str = "wheelhouse_changes";

/// The clusters that changed, as this server hears of them.
#[derive(Clone)]
pub struct ChangeFeed {
    sender: broadcast::Sender<String>,
    listening: Arc<AtomicBool>,
}

impl Default for ChangeFeed {
    fn default() -> Self {
        ChangeFeed {
            sender: broadcast::channel(1024).0,
            listening: Arc::new(AtomicBool::new(false)),
        }
    }
}

impl ChangeFeed {
    pub fn subscribe(&self) -> broadcast::Receiver<String> {
        self.sender.subscribe()
    }

    /// Whether notifications arrive now (a PostgreSQL listener is connected).
    pub fn is_listening(&self) -> bool {
        self.listening.load(Ordering::Relaxed)
    }

    /// Tells this server's views that a cluster changed (also used by tests).
    pub fn announce(&self, cluster_id: &str) {
        let _ = self.sender.send(cluster_id.to_string());
    }

    /// Listens on PostgreSQL until the process ends, reconnecting a second after a failure.
    pub async fn listen_postgres(self, url: String) {
        loop {
            match sqlx::postgres::PgListener::connect(&url).await {
                Ok(mut listener) => match listener.listen(CHANNEL).await {
                    Ok(()) => {
                        self.listening.store(true, Ordering::Relaxed);
                        while let Ok(notification) = listener.recv().await {
                            self.announce(notification.payload());
                        }
                        tracing::warn!("the change listener lost PostgreSQL; reconnecting");
                    }
                    Err(error) => tracing::warn!(%error, "could not listen for changes"),
                },
                Err(error) => tracing::warn!(%error, "could not connect the change listener"),
            }
            self.listening.store(false, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    /// Waits until a change is heard or `fallback` passes, then lets a burst of changes (one
    /// write touching many nodes) settle for a moment, so a view reads once per burst.
    pub async fn wait(receiver: &mut broadcast::Receiver<String>, fallback: Duration) {
        let heard = tokio::time::timeout(fallback, receiver.recv())
            .await
            .is_ok();
        if heard {
            tokio::time::sleep(Duration::from_millis(100)).await;
            while receiver.try_recv().is_ok() {}
        }
    }
}
