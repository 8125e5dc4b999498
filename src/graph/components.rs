//! Weakly connected components, and the canonical numbering of any partition.

use petgraph::unionfind::UnionFind;
use serde::Serialize;

use super::network::LayerGraph;

/// A partition of the accounts into numbered groups.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Partition {
    /// Group id per account.
    pub membership: Vec<u32>,
    /// Size per group id. Ids are numbered by decreasing size, ties broken by the smallest
    /// member index, so they are deterministic and id 0 is the largest group.
    pub sizes: Vec<u32>,
}

impl Partition {
    /// Renumbers arbitrary labels (each `< labels.len()`) canonically.
    pub(crate) fn canonical(labels: &[usize]) -> Self {
        let n = labels.len();
        let mut size = vec![0u32; n];
        let mut first_member = vec![usize::MAX; n];
        for (v, &label) in labels.iter().enumerate() {
            size[label] += 1;
            if first_member[label] == usize::MAX {
                first_member[label] = v;
            }
        }
        let mut used: Vec<usize> = (0..n).filter(|&l| size[l] > 0).collect();
        used.sort_unstable_by_key(|&l| (std::cmp::Reverse(size[l]), first_member[l]));
        let mut new_id = vec![0u32; n];
        for (id, &l) in used.iter().enumerate() {
            new_id[l] = id as u32;
        }
        Partition {
            membership: labels.iter().map(|&l| new_id[l]).collect(),
            sizes: used.iter().map(|&l| size[l]).collect(),
        }
    }
}

/// Weakly connected components of a layer (direction ignored), by union–find. Accounts
/// with no edge in the layer are singleton components.
pub fn weak_components(layer: &LayerGraph) -> Partition {
    let n = layer.n_accounts();
    let mut components = UnionFind::<usize>::new(n);
    for (s, t, _) in layer.edges() {
        components.union(s, t);
    }
    let roots: Vec<usize> = (0..n).map(|v| components.find_mut(v)).collect();
    Partition::canonical(&roots)
}
