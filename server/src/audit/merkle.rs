//! The Merkle tree of RFC 6962 (section 2.1) over an organization's log: a leaf is
//! `SHA-256(0x00 || entry)`, an inner node `SHA-256(0x01 || left || right)`, and a tree of `n`
//! leaves splits at the largest power of two below `n`. Inclusion proofs (2.1.1) show an entry is
//! in a signed tree; consistency proofs (2.1.2) show a later tree extends an earlier one.

use sha2::{Digest, Sha256};

pub type Hash = [u8; 32];

/// The hash of an empty tree: SHA-256 of nothing.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0u8]);
    hasher.update(entry);
    hasher.finalize().into()
}

pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([1u8]);
    hasher.update(left);
    hasher.update(right);
    hasher.finalize().into()
}

/// The largest power of two smaller than `n` (for `n > 1`).
fn split(n: u64) -> u64 {
    debug_assert!(n > 1);
    1 << (63 - (n - 1).leading_zeros())
}

/// The root of the tree over `leaves` (leaf hashes).
pub fn root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split(n as u64) as usize;
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// The right edge of a growing tree: the roots of its perfect subtrees, largest first, enough to
/// append a leaf and to compute the root in O(log n) without the earlier leaves. The log keeps
/// one per organization, so a checkpoint never rereads the whole log.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    /// `(height, root)` of each perfect subtree, left to right (heights strictly decreasing).
    subtrees: Vec<(u32, Hash)>,
}

impl Frontier {
    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn push(&mut self, leaf: Hash) {
        let mut carry = (0u32, leaf);
        while let Some(&(height, left)) = self.subtrees.last() {
            if height != carry.0 {
                break;
            }
            self.subtrees.pop();
            carry = (height + 1, node_hash(&left, &carry.1));
        }
        self.subtrees.push(carry);
        self.size += 1;
    }

    /// The tree's root: the perfect subtrees folded from the right, as RFC 6962 splits.
    pub fn root(&self) -> Hash {
        let mut subtrees = self.subtrees.iter().rev();
        let Some(&(_, mut acc)) = subtrees.next() else {
            return empty_root();
        };
        for (_, left) in subtrees {
            acc = node_hash(left, &acc);
        }
        acc
    }

    /// As stored: the size, then each subtree's height and hash in hex, e.g. `5;2:ab…,0:cd…`.
    pub fn encode(&self) -> String {
        let parts: Vec<String> = self
            .subtrees
            .iter()
            .map(|(height, hash)| format!("{height}:{}", hex::encode(hash)))
            .collect();
        format!("{};{}", self.size, parts.join(","))
    }

    pub fn decode(text: &str) -> Option<Frontier> {
        let (size, parts) = text.split_once(';')?;
        let size: u64 = size.parse().ok()?;
        let mut subtrees = Vec::new();
        for part in parts.split(',').filter(|part| !part.is_empty()) {
            let (height, hash) = part.split_once(':')?;
            subtrees.push((height.parse().ok()?, decode_hash(hash)?));
        }
        // The heights are the set bits of the size, largest first.
        let expected: Vec<u32> = (0..64).rev().filter(|bit| size >> bit & 1 == 1).collect();
        let heights: Vec<u32> = subtrees.iter().map(|(height, _)| *height).collect();
        (heights == expected).then_some(Frontier { size, subtrees })
    }
}

pub fn decode_hash(text: &str) -> Option<Hash> {
    hex::decode(text).ok()?.try_into().ok()
}

/// The audit path of leaf `index` in the tree over `leaves` (RFC 6962 2.1.1).
pub fn inclusion_proof(leaves: &[Hash], index: usize) -> Vec<Hash> {
    inclusion_in(&|a, b| root(&leaves[a..b]), 0, leaves.len(), index)
}

/// The audit path of leaf `index` in the subtree `[start, end)`, with `root_of` giving the
/// hash of any subtree the recursion meets.
fn inclusion_in(
    root_of: &dyn Fn(usize, usize) -> Hash,
    start: usize,
    end: usize,
    index: usize,
) -> Vec<Hash> {
    let n = end - start;
    if n <= 1 || index >= n {
        return Vec::new();
    }
    let k = split(n as u64) as usize;
    if index < k {
        let mut path = inclusion_in(root_of, start, start + k, index);
        path.push(root_of(start + k, end));
        path
    } else {
        let mut path = inclusion_in(root_of, start + k, end, index - k);
        path.push(root_of(start, start + k));
        path
    }
}

/// Whether `leaf` sits at `index` of a tree of `size` leaves with root `root`, by its `path`
/// (RFC 9162 2.1.3.2, which computes the same trees as RFC 6962).
pub fn verify_inclusion(leaf: &Hash, index: u64, size: u64, path: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut f_n, mut s_n) = (index, size - 1);
    let mut r = *leaf;
    for p in path {
        if s_n == 0 {
            return false;
        }
        if f_n & 1 == 1 || f_n == s_n {
            r = node_hash(p, &r);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    s_n == 0 && r == *root
}

/// The proof that the tree over `leaves[..m]` is a prefix of the tree over `leaves`
/// (RFC 6962 2.1.2).
pub fn consistency_proof(leaves: &[Hash], m: usize) -> Vec<Hash> {
    consistency_in(&|a, b| root(&leaves[a..b]), leaves.len(), m)
}

fn consistency_in(root_of: &dyn Fn(usize, usize) -> Hash, n: usize, m: usize) -> Vec<Hash> {
    if m == 0 || m >= n {
        return Vec::new();
    }
    subproof(root_of, 0, n, m, true)
}

fn subproof(
    root_of: &dyn Fn(usize, usize) -> Hash,
    start: usize,
    end: usize,
    m: usize,
    complete: bool,
) -> Vec<Hash> {
    let n = end - start;
    if m == n {
        return if complete {
            Vec::new()
        } else {
            vec![root_of(start, end)]
        };
    }
    let k = split(n as u64) as usize;
    if m <= k {
        let mut proof = subproof(root_of, start, start + k, m, complete);
        proof.push(root_of(start + k, end));
        proof
    } else {
        let mut proof = subproof(root_of, start + k, end, m - k, false);
        proof.push(root_of(start, start + k));
        proof
    }
}

/// Every level of a tree's perfect subtrees (leaves, their pairs, …): about twice the leaves'
/// memory, and then any subtree the proofs need in O(log n), so an export proves each entry
/// and each checkpoint without rehashing the log for every proof.
pub struct Levels(Vec<Vec<Hash>>);

impl Levels {
    pub fn build(leaves: Vec<Hash>) -> Levels {
        let mut levels = vec![leaves];
        while let Some(below) = levels.last().filter(|level| level.len() > 1) {
            let above: Vec<Hash> = below
                .chunks_exact(2)
                .map(|pair| node_hash(&pair[0], &pair[1]))
                .collect();
            levels.push(above);
        }
        Levels(levels)
    }

    pub fn size(&self) -> usize {
        self.0.first().map_or(0, Vec::len)
    }

    /// The hash of the subtree over leaves `[start, end)`, as RFC 6962's recursion meets it
    /// (`start` a multiple of the largest power of two not above `end - start`).
    pub fn root_of(&self, start: usize, end: usize) -> Hash {
        let mut chunks = Vec::new();
        let mut at = start;
        for height in (0..usize::BITS).rev() {
            let size = 1usize << height;
            if (end - at) >= size && (end - start) & size != 0 {
                chunks.push(self.0[height as usize][at >> height]);
                at += size;
            }
        }
        let mut chunks = chunks.into_iter().rev();
        let Some(mut acc) = chunks.next() else {
            return empty_root();
        };
        for left in chunks {
            acc = node_hash(&left, &acc);
        }
        acc
    }

    /// The audit path of leaf `index` in the tree of the first `size` leaves.
    pub fn inclusion_proof(&self, index: usize, size: usize) -> Vec<Hash> {
        inclusion_in(&|a, b| self.root_of(a, b), 0, size, index)
    }

    /// The proof that the tree of the first `m` leaves is a prefix of that of the first `n`.
    pub fn consistency_proof(&self, m: usize, n: usize) -> Vec<Hash> {
        consistency_in(&|a, b| self.root_of(a, b), n, m)
    }
}

/// Whether a tree of `size2` leaves with `root2` extends one of `size1` leaves with `root1`
/// (RFC 9162 2.1.4.2).
pub fn verify_consistency(
    size1: u64,
    size2: u64,
    root1: &Hash,
    root2: &Hash,
    proof: &[Hash],
) -> bool {
    if size1 > size2 {
        return false;
    }
    if size1 == size2 {
        return proof.is_empty() && root1 == root2;
    }
    if size1 == 0 {
        return proof.is_empty();
    }
    let mut proof: Vec<Hash> = proof.to_vec();
    if size1.is_power_of_two() {
        proof.insert(0, *root1);
    }
    let Some((first, rest)) = proof.split_first() else {
        return false;
    };
    let (mut f_n, mut s_n) = (size1 - 1, size2 - 1);
    while f_n & 1 == 1 {
        f_n >>= 1;
        s_n >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if s_n == 0 {
            return false;
        }
        if f_n & 1 == 1 || f_n == s_n {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    fr == *root1 && sr == *root2 && s_n == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n)
            .map(|i| leaf_hash(format!("entry {i}").as_bytes()))
            .collect()
    }

    #[test]
    fn levels_give_the_same_roots_and_proofs_as_the_leaves() {
        let all = leaves(37);
        let levels = Levels::build(all.clone());
        for n in 1..=all.len() {
            assert_eq!(levels.root_of(0, n), root(&all[..n]), "size {n}");
            for i in 0..n {
                assert_eq!(levels.inclusion_proof(i, n), inclusion_proof(&all[..n], i));
            }
            for m in 1..=n {
                assert_eq!(
                    levels.consistency_proof(m, n),
                    consistency_proof(&all[..n], m)
                );
            }
        }
    }

    #[test]
    fn the_empty_tree_and_a_single_leaf_are_as_rfc_6962_defines() {
        assert_eq!(
            hex::encode(empty_root()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        // RFC 6962's test vector: the leaf hash of the empty entry.
        assert_eq!(
            hex::encode(leaf_hash(b"")),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
    }

    #[test]
    fn the_frontier_computes_the_same_root_as_the_whole_tree_at_every_size() {
        let all = leaves(70);
        let mut frontier = Frontier::default();
        assert_eq!(frontier.root(), root(&[]));
        for n in 1..=all.len() {
            frontier.push(all[n - 1]);
            assert_eq!(frontier.root(), root(&all[..n]), "size {n}");
            assert_eq!(Frontier::decode(&frontier.encode()), Some(frontier.clone()));
        }
    }

    #[test]
    fn every_inclusion_proof_verifies_and_a_wrong_leaf_or_index_does_not() {
        for n in 1..=33 {
            let all = leaves(n);
            let top = root(&all);
            for i in 0..n {
                let path = inclusion_proof(&all, i);
                assert!(verify_inclusion(&all[i], i as u64, n as u64, &path, &top));
                assert!(!verify_inclusion(
                    &leaf_hash(b"x"),
                    i as u64,
                    n as u64,
                    &path,
                    &top
                ));
                if n > 1 {
                    let other = (i + 1) % n;
                    assert!(!verify_inclusion(
                        &all[i],
                        other as u64,
                        n as u64,
                        &path,
                        &top
                    ));
                }
            }
        }
    }

    #[test]
    fn every_consistency_proof_verifies_and_a_rewritten_history_does_not() {
        for n in 1..=33 {
            let all = leaves(n);
            for m in 1..=n {
                let proof = consistency_proof(&all, m);
                assert!(
                    verify_consistency(m as u64, n as u64, &root(&all[..m]), &root(&all), &proof),
                    "{m} of {n}"
                );
                let mut rewritten = all.clone();
                rewritten[m - 1] = leaf_hash(b"rewritten");
                let proof = consistency_proof(&rewritten, m);
                assert!(
                    !verify_consistency(
                        m as u64,
                        n as u64,
                        &root(&all[..m]),
                        &root(&rewritten),
                        &proof
                    ),
                    "{m} of {n}"
                );
            }
        }
    }
}
