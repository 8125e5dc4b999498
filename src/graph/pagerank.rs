//! Weighted PageRank of a layer by power iteration.

use rayon::prelude::*;

use super::network::LayerGraph;

/// Result of [`pagerank`].
#[derive(Clone, Debug, PartialEq)]
pub struct PageRank {
    /// Score per account; sums to 1.
    pub scores: Vec<f64>,
    /// Iterations run.
    pub iterations: u32,
    /// Whether the L1 change fell below the tolerance.
    pub converged: bool,
}

/// Weighted PageRank (Brin & Page 1998) by power iteration.
///
/// Rank flows along edges, amplifier → amplified, in proportion to the interaction count,
/// so an account ranks high when it is amplified a lot, especially by accounts that are
/// themselves amplified. Accounts with no out-edges (dangling: they amplify no one) spread
/// their rank uniformly over all accounts, as does the `1 - damping` teleport; this keeps
/// the scores a probability distribution. Stops when the L1 change is below `tolerance` or
/// after `max_iterations`.
pub fn pagerank(layer: &LayerGraph, damping: f64, tolerance: f64, max_iterations: u32) -> PageRank {
    let n = layer.n_accounts();
    if n == 0 {
        return PageRank {
            scores: Vec::new(),
            iterations: 0,
            converged: true,
        };
    }
    // Incoming-edge CSR, so each account's new score is an independent (parallel) pull.
    let mut out_weight = vec![0.0f64; n];
    let mut in_offsets = vec![0usize; n + 1];
    for (s, t, e) in layer.edges() {
        out_weight[s] += f64::from(e.count);
        in_offsets[t + 1] += 1;
    }
    for i in 0..n {
        in_offsets[i + 1] += in_offsets[i];
    }
    let mut fill = in_offsets.clone();
    let mut in_sources = vec![0u32; layer.graph.edge_count()];
    let mut in_weights = vec![0.0f64; layer.graph.edge_count()];
    for (s, t, e) in layer.edges() {
        in_sources[fill[t]] = s as u32;
        in_weights[fill[t]] = f64::from(e.count);
        fill[t] += 1;
    }

    let n_f = n as f64;
    let mut rank = vec![1.0 / n_f; n];
    let mut next = vec![0.0f64; n];
    let mut share = vec![0.0f64; n];
    let mut iterations = 0;
    let mut converged = false;
    while iterations < max_iterations {
        iterations += 1;
        // Sequential sums keep results bit-identical whatever the thread count.
        let mut dangling = 0.0;
        for u in 0..n {
            if out_weight[u] > 0.0 {
                share[u] = rank[u] / out_weight[u];
            } else {
                share[u] = 0.0;
                dangling += rank[u];
            }
        }
        let base = (1.0 - damping) / n_f + damping * dangling / n_f;
        next.par_iter_mut()
            .enumerate()
            .with_min_len(4096)
            .for_each(|(v, score)| {
                let range = in_offsets[v]..in_offsets[v + 1];
                let pulled: f64 = in_sources[range.clone()]
                    .iter()
                    .zip(&in_weights[range])
                    .map(|(&u, &w)| w * share[u as usize])
                    .sum();
                *score = base + damping * pulled;
            });
        let change: f64 = rank.iter().zip(&next).map(|(a, b)| (a - b).abs()).sum();
        std::mem::swap(&mut rank, &mut next);
        if change < tolerance {
            converged = true;
            break;
        }
    }
    PageRank {
        scores: rank,
        iterations,
        converged,
    }
}
