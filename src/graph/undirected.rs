//! A layer as a simple undirected graph in CSR form, for k-cores and Louvain.

use super::network::LayerGraph;

/// Simple undirected graph in CSR form (neighbours sorted), with separate self-loop
/// weights (used by Louvain's aggregated levels; always 0 on the input graph).
#[derive(Clone, Debug)]
pub(crate) struct UndirectedGraph {
    pub(crate) offsets: Vec<usize>,
    pub(crate) neighbors: Vec<u32>,
    pub(crate) weights: Vec<f64>,
    pub(crate) self_loops: Vec<f64>,
}

impl UndirectedGraph {
    /// Direction dropped, reciprocal edges merged (weights summed).
    pub(crate) fn from_layer(layer: &LayerGraph) -> Self {
        let mut pairs: Vec<(u32, u32, f64)> = layer
            .edges()
            .map(|(s, t, e)| (s.min(t) as u32, s.max(t) as u32, f64::from(e.count)))
            .collect();
        pairs.sort_unstable_by_key(|p| (p.0, p.1));
        let n = layer.n_accounts();
        Self::from_sorted_pairs(n, &pairs, vec![0.0; n])
    }

    /// `pairs` must be sorted by `(a, b)` with `a < b`; duplicates are merged.
    pub(crate) fn from_sorted_pairs(
        n: usize,
        pairs: &[(u32, u32, f64)],
        self_loops: Vec<f64>,
    ) -> Self {
        let mut merged: Vec<(u32, u32, f64)> = Vec::with_capacity(pairs.len());
        for &(a, b, w) in pairs {
            match merged.last_mut() {
                Some(last) if last.0 == a && last.1 == b => last.2 += w,
                _ => merged.push((a, b, w)),
            }
        }
        let mut offsets = vec![0usize; n + 1];
        for &(a, b, _) in &merged {
            offsets[a as usize + 1] += 1;
            offsets[b as usize + 1] += 1;
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        let mut fill = offsets.clone();
        let mut neighbors = vec![0u32; offsets[n]];
        let mut weights = vec![0.0f64; offsets[n]];
        // Processing pairs in (a, b) order leaves every adjacency list sorted.
        for &(a, b, w) in &merged {
            let (a, b) = (a as usize, b as usize);
            neighbors[fill[a]] = b as u32;
            weights[fill[a]] = w;
            fill[a] += 1;
            neighbors[fill[b]] = a as u32;
            weights[fill[b]] = w;
            fill[b] += 1;
        }
        UndirectedGraph {
            offsets,
            neighbors,
            weights,
            self_loops,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.self_loops.len()
    }

    pub(crate) fn neighbors(&self, v: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let range = self.offsets[v]..self.offsets[v + 1];
        self.neighbors[range.clone()]
            .iter()
            .zip(&self.weights[range])
            .map(|(&u, &w)| (u as usize, w))
    }

    pub(crate) fn degree(&self, v: usize) -> usize {
        self.offsets[v + 1] - self.offsets[v]
    }

    /// Weighted degree; a self-loop counts twice, as in Blondel et al. 2008.
    pub(crate) fn strengths(&self) -> Vec<f64> {
        (0..self.len())
            .map(|v| self.neighbors(v).map(|(_, w)| w).sum::<f64>() + 2.0 * self.self_loops[v])
            .collect()
    }
}
