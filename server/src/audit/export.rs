//! The export format (`docs/audit-export.md` is its specification, for independent verifiers):
//! JSON Lines, one object per line, each with a `type`:
//!
//! - `header` first: the organization, the time, the installation's public key, and whether the
//!   export is `complete` (every entry from seq 0) or `filtered`;
//! - `entry`: the entry's canonical JSON and its recorded leaf hash; a filtered export adds its
//!   inclusion `proof` in the final checkpoint's tree;
//! - `checkpoint`: a signed checkpoint, with the consistency proof from the previous one; in a
//!   complete export each follows the entry that completes its tree, and the last covers all;
//! - `end` last: how many entries and checkpoints came before, so a cut tail shows.

use serde::Deserialize;
use serde_json::{json, value::RawValue, Value};

use super::checkpoint::{Checkpoint, PublicKey, SignedCheckpoint};
use super::merkle::{decode_hash, Hash};

pub const EXPORT_FORMAT: &str = "wheelhouse-audit-export/1";

/// Whether an export holds the whole log or a filtered part of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Complete,
    Filtered,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Complete => "complete",
            Scope::Filtered => "filtered",
        }
    }
}

pub fn header_line(
    organization_id: &str,
    exported_at: &str,
    key: &PublicKey,
    scope: Scope,
    filter: Value,
) -> String {
    json!({
        "type": "header",
        "format": EXPORT_FORMAT,
        "organization_id": organization_id,
        "exported_at": exported_at,
        "public_key": key.base64(),
        "key_id": key.key_id(),
        "scope": scope.as_str(),
        "filter": filter,
    })
    .to_string()
}

/// An entry's line; `entry` is its canonical text, written as it is (never re-serialized).
pub fn entry_line(entry: &str, leaf: &Hash, proof: Option<(u64, &[Hash])>) -> String {
    let proof = match proof {
        Some((tree_size, path)) => format!(
            r#","proof":{{"tree_size":{tree_size},"path":{}}}"#,
            hashes_json(path)
        ),
        None => String::new(),
    };
    format!(
        r#"{{"type":"entry","leaf_hash":"{}"{proof},"entry":{entry}}}"#,
        hex::encode(leaf)
    )
}

pub fn checkpoint_line(signed: &SignedCheckpoint, consistency: Option<&[Hash]>) -> String {
    let mut line = json!({
        "type": "checkpoint",
        "checkpoint": signed.checkpoint.body(),
        "signature": signed.signature_base64(),
    });
    if let Some(proof) = consistency {
        line["consistency"] = proof.iter().map(hex::encode).collect();
    }
    line.to_string()
}

pub fn end_line(entries: u64, checkpoints: u64) -> String {
    json!({ "type": "end", "entries": entries, "checkpoints": checkpoints }).to_string()
}

fn hashes_json(hashes: &[Hash]) -> String {
    let quoted: Vec<String> = hashes
        .iter()
        .map(|hash| format!("\"{}\"", hex::encode(hash)))
        .collect();
    format!("[{}]", quoted.join(","))
}

/// One line of an export as read back.
#[derive(Debug)]
pub enum Line {
    Header {
        organization_id: String,
        public_key: Option<PublicKey>,
        scope: Scope,
    },
    Entry {
        /// The entry's text exactly as the line holds it (hashed as is).
        text: String,
        seq: Option<u64>,
        organization_id: Option<String>,
        leaf_hash: Option<Hash>,
        proof: Option<(u64, Vec<Hash>)>,
    },
    Checkpoint {
        signed: SignedCheckpoint,
        consistency: Option<Vec<Hash>>,
    },
    End {
        entries: u64,
        checkpoints: u64,
    },
}

#[derive(Deserialize)]
struct RawLine<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(borrow, default)]
    entry: Option<&'a RawValue>,
    #[serde(default)]
    leaf_hash: Option<&'a str>,
    #[serde(default)]
    proof: Option<RawProof>,
    #[serde(default)]
    checkpoint: Option<Value>,
    #[serde(default)]
    signature: Option<&'a str>,
    #[serde(default)]
    consistency: Option<Vec<String>>,
    #[serde(default)]
    organization_id: Option<String>,
    #[serde(default)]
    public_key: Option<String>,
    #[serde(default)]
    format: Option<&'a str>,
    #[serde(default)]
    scope: Option<&'a str>,
    #[serde(default)]
    entries: Option<u64>,
    #[serde(default)]
    checkpoints: Option<u64>,
}

#[derive(Deserialize)]
struct RawProof {
    tree_size: u64,
    path: Vec<String>,
}

/// The fields of an entry a verifier reads besides its bytes.
#[derive(Deserialize)]
struct EntryPlace {
    seq: Option<u64>,
    organization_id: Option<String>,
}

fn hashes(texts: &[String]) -> Result<Vec<Hash>, String> {
    texts
        .iter()
        .map(|text| decode_hash(text).ok_or_else(|| format!("not a SHA-256 hash: {text}")))
        .collect()
}

/// Reads one line; the error says what is wrong with it.
pub fn parse_line(text: &str) -> Result<Line, String> {
    let raw: RawLine = serde_json::from_str(text).map_err(|error| error.to_string())?;
    match raw.kind {
        "header" => {
            if raw.format != Some(EXPORT_FORMAT) {
                return Err(format!("not a {EXPORT_FORMAT} export"));
            }
            let public_key = match raw.public_key {
                Some(key) => Some(PublicKey::parse(&key).map_err(|error| error.to_string())?),
                None => None,
            };
            let scope = match raw.scope {
                Some("complete") => Scope::Complete,
                Some("filtered") => Scope::Filtered,
                other => return Err(format!("unknown scope {other:?}")),
            };
            Ok(Line::Header {
                organization_id: raw.organization_id.unwrap_or_default(),
                public_key,
                scope,
            })
        }
        "entry" => {
            let entry = raw.entry.ok_or("an entry line without its entry")?;
            let place: EntryPlace =
                serde_json::from_str(entry.get()).map_err(|error| error.to_string())?;
            let leaf_hash = match raw.leaf_hash {
                Some(text) => Some(decode_hash(text).ok_or("a leaf_hash that is not a hash")?),
                None => None,
            };
            let proof = match raw.proof {
                Some(proof) => Some((proof.tree_size, hashes(&proof.path)?)),
                None => None,
            };
            Ok(Line::Entry {
                text: entry.get().to_string(),
                seq: place.seq,
                organization_id: place.organization_id,
                leaf_hash,
                proof,
            })
        }
        "checkpoint" => {
            let body = raw
                .checkpoint
                .ok_or("a checkpoint line without its checkpoint")?;
            let checkpoint =
                Checkpoint::from_body(&body).ok_or("a checkpoint whose fields are unreadable")?;
            let signature = raw
                .signature
                .and_then(SignedCheckpoint::decode_signature)
                .ok_or("a checkpoint without a 64-byte base64 signature")?;
            let consistency = match raw.consistency {
                Some(texts) => Some(hashes(&texts)?),
                None => None,
            };
            Ok(Line::Checkpoint {
                signed: SignedCheckpoint {
                    checkpoint,
                    signature,
                },
                consistency,
            })
        }
        "end" => Ok(Line::End {
            entries: raw.entries.ok_or("an end line without its entry count")?,
            checkpoints: raw.checkpoints.ok_or("an end line without its count")?,
        }),
        other => Err(format!("unknown line type {other:?}")),
    }
}
