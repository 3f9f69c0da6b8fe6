//! The audit log's rules, apart from any database: entries in canonical JSON ([`entry`]), the
//! RFC 6962 Merkle tree over them ([`merkle`]), checkpoints signed by the installation's Ed25519
//! key ([`checkpoint`]), the export format ([`export`], specified in `docs/audit-export.md`) and
//! its verification ([`verify`]), which runs with no server and no database. Storing and
//! reading the log is `store::audit`; appending and checkpointing is `services::audit`;
//! `wheelhouse audit …` is [`command_line`].

pub mod checkpoint;
pub mod command_line;
pub mod entry;
pub mod export;
pub mod merkle;
pub mod verify;

#[cfg(test)]
mod tests {
    use super::checkpoint::{AuditKey, Checkpoint};
    use super::entry::{canonical_text, entry_value};
    use super::export::{checkpoint_line, end_line, entry_line, header_line, Scope};
    use super::merkle::{consistency_proof, inclusion_proof, leaf_hash, root, Hash};
    use super::verify::{verify_export, Problem};
    use crate::domain::change::{Actor, Change, Interface, Outcome, Source, Target};
    use chrono::{DateTime, Duration, Utc};
    use serde_json::{json, Value};

    fn start() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-01T08:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn entries(n: u64) -> Vec<String> {
        (0..n)
            .map(|seq| {
                let change = Change {
                    actor: Actor::system("lifespan"),
                    source: Source::of(Interface::Job),
                    action: "node.replace",
                    target: Target {
                        organization_id: "org-1".into(),
                        project_id: Some("p1".into()),
                        kind: "node",
                        id: format!("n{seq}"),
                        cluster_id: Some("c1".into()),
                    },
                    before: Some(json!({ "status": "ready" })),
                    after: None,
                    outcome: Outcome::Done,
                };
                canonical_text(&entry_value(
                    seq,
                    start() + Duration::seconds(seq as i64),
                    &change,
                ))
            })
            .collect()
    }

    /// A complete export of `texts` with checkpoints at `sizes` (the last covering all).
    fn export(key: &AuditKey, texts: &[String], sizes: &[u64]) -> Vec<String> {
        let leaves: Vec<Hash> = texts.iter().map(|t| leaf_hash(t.as_bytes())).collect();
        let mut lines = vec![header_line(
            "org-1",
            "2026-11-02T00:00:00.000Z",
            &key.public(),
            Scope::Complete,
            Value::Null,
        )];
        let mut previous: Option<u64> = None;
        let mut sizes = sizes.iter().peekable();
        for seq in 0..=texts.len() {
            while sizes.peek().is_some_and(|size| **size == seq as u64) {
                let size = *sizes.next().unwrap();
                let signed = key.sign(Checkpoint {
                    organization_id: "org-1".into(),
                    tree_size: size,
                    root_hash: root(&leaves[..size as usize]),
                    time: start(),
                    key_id: key.public().key_id(),
                });
                let proof =
                    previous.map(|m| consistency_proof(&leaves[..size as usize], m as usize));
                lines.push(checkpoint_line(&signed, proof.as_deref()));
                previous = Some(size);
            }
            if seq < texts.len() {
                lines.push(entry_line(&texts[seq], &leaves[seq], None));
            }
        }
        let checkpoints = count(&lines);
        lines.push(end_line(texts.len() as u64, checkpoints));
        lines
    }

    fn count(lines: &[String]) -> u64 {
        lines
            .iter()
            .filter(|l| l.contains(r#""type":"checkpoint""#))
            .count() as u64
    }

    fn check(lines: &[String], key: &AuditKey) -> Result<u64, Problem> {
        let text = lines.join("\n");
        verify_export(text.as_bytes(), Some(key.public()))
            .map(|verified| verified.entries)
            .map_err(|failure| failure.problem)
    }

    #[test]
    fn an_untouched_export_verifies() {
        let key = AuditKey::from_seed([1; 32]);
        let lines = export(&key, &entries(20), &[0, 7, 8, 20]);
        assert_eq!(check(&lines, &key), Ok(20));
    }

    #[test]
    fn an_edited_entry_is_named() {
        let key = AuditKey::from_seed([1; 32]);
        let mut lines = export(&key, &entries(20), &[7, 20]);
        // Line 0 is the header, line 1 entry 0; checkpoint 7 sits after entry 6.
        let at = lines
            .iter()
            .position(|l| l.contains(r#""id":"n12""#))
            .unwrap();
        lines[at] = lines[at].replace(r#""status":"ready""#, r#""status":"gone""#);
        assert_eq!(check(&lines, &key), Err(Problem::Edited { seq: 12 }));
    }

    #[test]
    fn an_edit_with_its_leaf_hash_rewritten_fails_the_checkpoint_that_covers_it() {
        let key = AuditKey::from_seed([1; 32]);
        let texts = entries(20);
        let mut lines = export(&key, &texts, &[7, 20]);
        let at = lines
            .iter()
            .position(|l| l.contains(r#""id":"n12""#))
            .unwrap();
        let edited = texts[12].replace("ready", "gone");
        lines[at] = entry_line(&edited, &leaf_hash(edited.as_bytes()), None);
        assert_eq!(
            check(&lines, &key),
            Err(Problem::NotRebuilt {
                tree_size: 20,
                first_unproven: 7
            })
        );
    }

    #[test]
    fn a_removed_a_reordered_and_an_inserted_entry_are_named() {
        let key = AuditKey::from_seed([1; 32]);
        let lines = export(&key, &entries(20), &[20]);
        let removed: Vec<String> = lines
            .iter()
            .filter(|l| !l.contains(r#""id":"n5""#))
            .cloned()
            .collect();
        assert_eq!(
            check(&removed, &key),
            Err(Problem::Missing {
                seq: 5,
                next: Some(6)
            })
        );

        let mut reordered = lines.clone();
        reordered.swap(4, 5); // entries 3 and 4
        assert_eq!(
            check(&reordered, &key),
            Err(Problem::Missing {
                seq: 3,
                next: Some(4)
            })
        );

        let mut inserted = lines.clone();
        inserted.insert(6, lines[3].clone()); // entry 2 again, after entry 4
        assert_eq!(
            check(&inserted, &key),
            Err(Problem::OutOfPlace {
                seq: Some(2),
                expected: 5
            })
        );
    }

    #[test]
    fn a_cut_tail_and_a_forged_checkpoint_are_reported() {
        let key = AuditKey::from_seed([1; 32]);
        let lines = export(&key, &entries(20), &[10, 20]);
        let cut = &lines[..lines.len() - 4];
        assert_eq!(check(cut, &key), Err(Problem::Cut { last_seq: Some(17) }));

        let mut forged = lines.clone();
        let at = forged
            .iter()
            .rposition(|l| l.contains(r#""type":"checkpoint""#))
            .unwrap();
        forged[at] = forged[at].replace(r#""tree_size":20"#, r#""tree_size":19"#);
        assert_eq!(
            check(&forged, &key),
            Err(Problem::BadSignature { tree_size: 19 })
        );

        let stranger = AuditKey::from_seed([2; 32]);
        assert_eq!(
            check(&lines, &stranger),
            Err(Problem::BadSignature { tree_size: 10 })
        );
    }

    #[test]
    fn a_filtered_export_proves_each_entry_in_the_last_checkpoint() {
        let key = AuditKey::from_seed([1; 32]);
        let texts = entries(20);
        let leaves: Vec<Hash> = texts.iter().map(|t| leaf_hash(t.as_bytes())).collect();
        let signed = key.sign(Checkpoint {
            organization_id: "org-1".into(),
            tree_size: 20,
            root_hash: root(&leaves),
            time: start(),
            key_id: key.public().key_id(),
        });
        let mut lines = vec![header_line(
            "org-1",
            "t",
            &key.public(),
            Scope::Filtered,
            json!({"action": "node.replace"}),
        )];
        for seq in [3usize, 9, 15] {
            let path = inclusion_proof(&leaves, seq);
            lines.push(entry_line(&texts[seq], &leaves[seq], Some((20, &path))));
        }
        lines.push(checkpoint_line(&signed, None));
        lines.push(end_line(3, 1));
        assert_eq!(check(&lines, &key), Ok(3));

        let mut edited = lines.clone();
        let text = texts[9].replace("ready", "gone");
        let path = inclusion_proof(&leaves, 9);
        edited[2] = entry_line(&text, &leaf_hash(text.as_bytes()), Some((20, &path)));
        assert_eq!(check(&edited, &key), Err(Problem::NotIncluded { seq: 9 }));
    }
}
