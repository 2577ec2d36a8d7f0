//! The Merkle tree of the store-wide log, as certificate-transparency logs build theirs
//! (RFC 6962 §2.1, RFC 9162 §2.1): SHA-256, leaves hashed as `H(0x00 ‖ entry)`, inner nodes
//! as `H(0x01 ‖ left ‖ right)`, a tree of n leaves split at the largest power of two below n.
//!
//! A log head is (size, root). A consistency proof shows that the tree of `m` leaves is a
//! prefix of the tree of `n` leaves: an auditor who kept an old head checks with
//! [`verify_consistency`] that today's log still begins with everything it held then.

use sha2::{Digest, Sha256};

/// A SHA-256 hash.
pub type Hash = [u8; 32];

/// The hash of a log entry's bytes: `H(0x00 ‖ entry)`.
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(entry);
    h.finalize().into()
}

/// An inner node: `H(0x01 ‖ left ‖ right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The root of the empty tree: `H()`.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// The largest power of two smaller than `n` (n ≥ 2).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k << 1 < n {
        k <<= 1;
    }
    k
}

/// The root of the tree over these leaf hashes (RFC 6962's MTH).
pub fn root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// The root kept up to date as leaves are appended: the roots of the perfect subtrees the
/// leaves so far form, largest first. O(log n) per append.
#[derive(Debug, Clone, Default)]
pub struct Frontier {
    /// (number of leaves, root) of each perfect subtree, left to right.
    peaks: Vec<(u64, Hash)>,
    size: u64,
}

impl Frontier {
    pub fn push(&mut self, leaf: Hash) {
        let mut node = (1u64, leaf);
        while let Some(&(n, h)) = self.peaks.last() {
            if n != node.0 {
                break;
            }
            self.peaks.pop();
            node = (n * 2, node_hash(&h, &node.1));
        }
        self.peaks.push(node);
        self.size += 1;
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// The root of the tree so far (equal to [`root`] over the same leaves).
    pub fn root(&self) -> Hash {
        let mut it = self.peaks.iter().rev();
        let Some(&(_, mut acc)) = it.next() else {
            return empty_root();
        };
        for (_, h) in it {
            acc = node_hash(h, &acc);
        }
        acc
    }
}

/// The consistency proof between the tree of the first `m` leaves and the tree of all of
/// them (RFC 6962 §2.1.2's PROOF(m, D[n])). Empty when `m` is 0 or `m ≥ n`.
pub fn consistency_proof(leaves: &[Hash], m: usize) -> Vec<Hash> {
    let mut out = Vec::new();
    if m > 0 && m < leaves.len() {
        subproof(m, leaves, true, &mut out);
    }
    out
}

fn subproof(m: usize, leaves: &[Hash], whole: bool, out: &mut Vec<Hash>) {
    let n = leaves.len();
    if m == n {
        if !whole {
            out.push(root(leaves));
        }
        return;
    }
    let k = split(n);
    if m <= k {
        subproof(m, &leaves[..k], whole, out);
        out.push(root(&leaves[k..]));
    } else {
        subproof(m - k, &leaves[k..], false, out);
        out.push(root(&leaves[..k]));
    }
}

/// Whether `proof` shows that the tree (`m`, `old_root`) is a prefix of the tree (`n`,
/// `new_root`) (RFC 9162 §2.1.4.2).
pub fn verify_consistency(
    m: u64,
    n: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> bool {
    if m > n {
        return false;
    }
    if m == n {
        return proof.is_empty() && old_root == new_root;
    }
    if m == 0 {
        return proof.is_empty() && *old_root == empty_root();
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if m.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);
    let Some((first, rest)) = path.split_first() else {
        return false;
    };
    let (mut fnode, mut snode) = (m - 1, n - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if snode == 0 {
            return false;
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    fr == *old_root && sr == *new_root && snode == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    #[test]
    fn frontier_matches_the_recursive_root() {
        let all = leaves(70);
        let mut f = Frontier::default();
        assert_eq!(f.root(), root(&[]));
        for i in 0..all.len() {
            f.push(all[i]);
            assert_eq!(f.root(), root(&all[..=i]), "size {}", i + 1);
        }
    }

    #[test]
    fn every_prefix_is_consistent_and_nothing_else_is() {
        let all = leaves(40);
        for n in 1..=all.len() {
            let new_root = root(&all[..n]);
            for m in 0..=n {
                let old_root = root(&all[..m]);
                let proof = consistency_proof(&all[..n], m);
                assert!(
                    verify_consistency(m as u64, n as u64, &old_root, &new_root, &proof),
                    "{m} of {n}"
                );
                // Another old tree of the same size is not a prefix.
                if m > 0 {
                    let mut other = all[..m].to_vec();
                    other[m - 1] = leaf_hash(b"changed");
                    assert!(!verify_consistency(
                        m as u64,
                        n as u64,
                        &root(&other),
                        &new_root,
                        &proof
                    ));
                }
            }
        }
    }

    #[test]
    fn a_shorter_log_is_not_consistent_with_a_longer_head() {
        let all = leaves(5);
        let proof = consistency_proof(&all[..4], 5);
        assert!(!verify_consistency(
            5,
            4,
            &root(&all),
            &root(&all[..4]),
            &proof
        ));
    }
}
