//! Signed checkpoints: the installation's Ed25519 key signs an organization's tree size, root
//! hash and time. The signed message is the canonical JSON (RFC 8785) of the checkpoint's body,
//! which names its own format, so a signature can never be read as one over something else.

use std::path::Path;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Utc};
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::entry::{canonical, format_time};
use super::merkle::{decode_hash, Hash};

/// Names the body's format inside the signed message.
pub const CHECKPOINT_FORMAT: &str = "wheelhouse-audit-checkpoint/1";

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the audit signing key {path} could not be read: {reason}")]
    Read { path: String, reason: String },
    #[error("the audit signing key {path} could not be written: {reason}")]
    Write { path: String, reason: String },
    #[error("not an Ed25519 public key (expected PEM or 32 bytes in base64): {0}")]
    PublicKey(String),
}

/// The installation's signing key.
#[derive(Clone)]
pub struct AuditKey {
    signing: SigningKey,
}

impl AuditKey {
    /// A key from 32 secret bytes (tests use fixed ones).
    pub fn from_seed(seed: [u8; 32]) -> AuditKey {
        AuditKey {
            signing: SigningKey::from_bytes(&seed),
        }
    }

    /// A fresh key that lives as long as the process (tests, and a server until it has loaded
    /// the installation's).
    pub fn ephemeral() -> AuditKey {
        let mut seed = [0u8; 32];
        // Without the system's randomness nothing here can run safely; a fixed seed would
        // make every such key the same, so that failure is loud.
        getrandom::getrandom(&mut seed).expect("the operating system's random numbers");
        AuditKey::from_seed(seed)
    }

    /// The key in `path` (PKCS#8 PEM), made there on first use, readable by its owner only.
    pub fn load_or_create(path: &Path) -> Result<AuditKey, KeyError> {
        let shown = path.display().to_string();
        if path.exists() {
            let pem = std::fs::read_to_string(path).map_err(|error| KeyError::Read {
                path: shown.clone(),
                reason: error.to_string(),
            })?;
            let signing = SigningKey::from_pkcs8_pem(&pem).map_err(|error| KeyError::Read {
                path: shown,
                reason: error.to_string(),
            })?;
            return Ok(AuditKey { signing });
        }
        let mut seed = [0u8; 32];
        getrandom::getrandom(&mut seed).map_err(|error| KeyError::Write {
            path: shown.clone(),
            reason: error.to_string(),
        })?;
        let key = AuditKey::from_seed(seed);
        let write_error = |reason: String| KeyError::Write {
            path: shown.clone(),
            reason,
        };
        let pem = key
            .signing
            .to_pkcs8_pem(Default::default())
            .map_err(|error| write_error(error.to_string()))?;
        if let Some(folder) = path
            .parent()
            .filter(|folder| !folder.as_os_str().is_empty())
        {
            std::fs::create_dir_all(folder).map_err(|error| write_error(error.to_string()))?;
        }
        write_private(path, pem.as_bytes()).map_err(|error| write_error(error.to_string()))?;
        Ok(key)
    }

    pub fn public(&self) -> PublicKey {
        PublicKey(self.signing.verifying_key())
    }

    pub fn sign(&self, checkpoint: Checkpoint) -> SignedCheckpoint {
        let signature = self.signing.sign(&checkpoint.message()).to_bytes();
        SignedCheckpoint {
            checkpoint,
            signature,
        }
    }
}

#[cfg(unix)]
fn write_private(path: &Path, content: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(content)
}

#[cfg(not(unix))]
fn write_private(path: &Path, content: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, content)
}

/// A public key that checks checkpoints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    /// Reads a key given as PEM (SubjectPublicKeyInfo) or as its 32 bytes in base64.
    pub fn parse(text: &str) -> Result<PublicKey, KeyError> {
        let text = text.trim();
        if text.starts_with("-----BEGIN") {
            return VerifyingKey::from_public_key_pem(text)
                .map(PublicKey)
                .map_err(|error| KeyError::PublicKey(error.to_string()));
        }
        let bytes: [u8; 32] = STANDARD
            .decode(text)
            .map_err(|error| KeyError::PublicKey(error.to_string()))?
            .try_into()
            .map_err(|_| KeyError::PublicKey("not 32 bytes".into()))?;
        VerifyingKey::from_bytes(&bytes)
            .map(PublicKey)
            .map_err(|error| KeyError::PublicKey(error.to_string()))
    }

    pub fn base64(&self) -> String {
        STANDARD.encode(self.0.as_bytes())
    }

    pub fn pem(&self) -> String {
        self.0
            .to_public_key_pem(Default::default())
            .unwrap_or_default()
    }

    /// A short name of the key: the first 8 bytes of SHA-256 of its 32 bytes, in hex.
    pub fn key_id(&self) -> String {
        hex::encode(&Sha256::digest(self.0.as_bytes())[..8])
    }

    pub fn verifies(&self, signed: &SignedCheckpoint) -> bool {
        self.0
            .verify(
                &signed.checkpoint.message(),
                &Signature::from_bytes(&signed.signature),
            )
            .is_ok()
    }
}

/// What a checkpoint states: the organization's log had `tree_size` entries with this root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    pub organization_id: String,
    pub tree_size: u64,
    pub root_hash: Hash,
    pub time: DateTime<Utc>,
    pub key_id: String,
}

impl Checkpoint {
    pub fn body(&self) -> Value {
        json!({
            "format": CHECKPOINT_FORMAT,
            "organization_id": self.organization_id,
            "tree_size": self.tree_size,
            "root_hash": hex::encode(self.root_hash),
            "time": format_time(self.time),
            "key_id": self.key_id,
        })
    }

    /// The signed bytes.
    pub fn message(&self) -> Vec<u8> {
        canonical(&self.body())
    }

    pub fn from_body(body: &Value) -> Option<Checkpoint> {
        if body.get("format")?.as_str()? != CHECKPOINT_FORMAT {
            return None;
        }
        Some(Checkpoint {
            organization_id: body.get("organization_id")?.as_str()?.to_string(),
            tree_size: body.get("tree_size")?.as_u64()?,
            root_hash: decode_hash(body.get("root_hash")?.as_str()?)?,
            time: DateTime::parse_from_rfc3339(body.get("time")?.as_str()?)
                .ok()?
                .with_timezone(&Utc),
            key_id: body.get("key_id")?.as_str()?.to_string(),
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedCheckpoint {
    pub checkpoint: Checkpoint,
    pub signature: [u8; 64],
}

impl SignedCheckpoint {
    pub fn signature_base64(&self) -> String {
        STANDARD.encode(self.signature)
    }

    pub fn decode_signature(text: &str) -> Option<[u8; 64]> {
        STANDARD.decode(text).ok()?.try_into().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::merkle::leaf_hash;

    fn checkpoint(key: &AuditKey, size: u64) -> Checkpoint {
        Checkpoint {
            organization_id: "org-1".into(),
            tree_size: size,
            root_hash: leaf_hash(b"root"),
            time: DateTime::parse_from_rfc3339("2026-11-01T08:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
            key_id: key.public().key_id(),
        }
    }

    #[test]
    fn a_signed_checkpoint_verifies_and_a_changed_or_foreign_one_does_not() {
        let key = AuditKey::from_seed([7; 32]);
        let signed = key.sign(checkpoint(&key, 5));
        assert!(key.public().verifies(&signed));
        let mut forged = signed.clone();
        forged.checkpoint.tree_size = 4;
        assert!(!key.public().verifies(&forged));
        let stranger = AuditKey::from_seed([8; 32]);
        assert!(!stranger.public().verifies(&signed));
        let reread = Checkpoint::from_body(&signed.checkpoint.body()).unwrap();
        assert_eq!(reread, signed.checkpoint);
    }

    #[test]
    fn the_public_key_reads_back_from_pem_and_from_base64() {
        let key = AuditKey::from_seed([9; 32]).public();
        assert_eq!(PublicKey::parse(&key.pem()).unwrap(), key);
        assert_eq!(PublicKey::parse(&key.base64()).unwrap(), key);
        assert!(PublicKey::parse("not a key").is_err());
    }

    #[test]
    fn a_key_file_is_made_once_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/audit.pem");
        let made = AuditKey::load_or_create(&path).unwrap();
        let again = AuditKey::load_or_create(&path).unwrap();
        assert_eq!(made.public(), again.public());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
