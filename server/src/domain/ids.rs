//! Identifiers: random UUIDs in service, a predictable sequence in tests that need exact ids.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

pub trait IdGenerator: Send + Sync + 'static {
    fn uuid(&self) -> String;
    /// A random token of `bytes` bytes, hex-encoded (secrets, admin tokens).
    fn token(&self, bytes: usize) -> String;
}

pub type SharedIds = Arc<dyn IdGenerator>;

/// Hex SHA-256 of a secret (API key secrets, node secrets, session tokens), as stored: a
/// secret itself is shown once and never kept.
pub fn secret_hash(secret: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[derive(Debug, Default)]
pub struct RandomIds;

impl IdGenerator for RandomIds {
    fn uuid(&self) -> String {
        uuid::Uuid::new_v4().to_string()
    }

    fn token(&self, bytes: usize) -> String {
        let mut out = String::with_capacity(bytes * 2);
        while out.len() < bytes * 2 {
            out.push_str(&uuid::Uuid::new_v4().simple().to_string());
        }
        out.truncate(bytes * 2);
        out
    }
}

/// `00000000-0000-4000-8000-000000000001`, `…0002`, …: valid UUIDs in creation order.
#[derive(Debug, Default)]
pub struct SequentialIds {
    next: AtomicU64,
}

impl IdGenerator for SequentialIds {
    fn uuid(&self) -> String {
        let n = self.next.fetch_add(1, Ordering::SeqCst) + 1;
        format!("00000000-0000-4000-8000-{n:012x}")
    }

    fn token(&self, bytes: usize) -> String {
        let n = self.next.fetch_add(1, Ordering::SeqCst) + 1;
        format!("{n:0width$x}", width = bytes * 2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequential_ids_are_valid_uuids_in_order() {
        let ids = SequentialIds::default();
        let first = ids.uuid();
        let second = ids.uuid();
        assert_eq!(first, "00000000-0000-4000-8000-000000000001");
        assert!(uuid::Uuid::parse_str(&second).is_ok());
    }

    #[test]
    fn random_tokens_have_the_requested_length() {
        assert_eq!(RandomIds.token(32).len(), 64);
        assert_ne!(RandomIds.token(16), RandomIds.token(16));
    }
}

/// Identifier types: a pool id cannot be passed where a cluster id is expected. They read as
/// `&str` (so stores and formats take them as they are) and travel as plain JSON strings.
macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                $name(id)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                $name(id.to_string())
            }
        }
    };
}

id_type!(
    /// A cluster's id (a UUID).
    ClusterId
);
id_type!(
    /// A pool's id (a UUID).
    PoolId
);
id_type!(
    /// A node's id (a UUID).
    NodeId
);
id_type!(
    /// The id of an ACL rule of a cluster's API server.
    AclRuleId
);
