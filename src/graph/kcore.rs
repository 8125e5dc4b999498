//! k-core numbers (Batagelj & Zaversnik 2003).

use super::network::LayerGraph;
use super::undirected::UndirectedGraph;

/// k-core number of every account on the retweet layer taken as a simple undirected,
/// unweighted graph: the largest k such that the account belongs to a subgraph where every
/// account has at least k distinct retweet partners. A dense core of mutual retweeters is a
/// classic sign of coordinated amplification. Batagelj & Zaversnik 2003, O(n + m).
pub fn core_numbers(layer: &LayerGraph) -> Vec<u32> {
    let g = UndirectedGraph::from_layer(layer);
    let n = g.len();
    let mut degree: Vec<usize> = (0..n).map(|v| g.degree(v)).collect();
    let max_degree = degree.iter().copied().max().unwrap_or(0);
    // Bucket sort of vertices by degree.
    let mut bin = vec![0usize; max_degree + 1];
    for &d in &degree {
        bin[d] += 1;
    }
    let mut start = 0;
    for slot in bin.iter_mut() {
        let count = *slot;
        *slot = start;
        start += count;
    }
    let mut pos = vec![0usize; n];
    let mut vert = vec![0usize; n];
    for v in 0..n {
        pos[v] = bin[degree[v]];
        vert[pos[v]] = v;
        bin[degree[v]] += 1;
    }
    for d in (1..=max_degree).rev() {
        bin[d] = bin[d - 1];
    }
    bin[0] = 0;
    for i in 0..n {
        let v = vert[i];
        for (u, _) in g.neighbors(v) {
            if degree[u] > degree[v] {
                let du = degree[u];
                let pu = pos[u];
                let pw = bin[du];
                let w = vert[pw];
                if u != w {
                    pos[u] = pw;
                    vert[pu] = w;
                    pos[w] = pu;
                    vert[pw] = u;
                }
                bin[du] += 1;
                degree[u] -= 1;
            }
        }
    }
    degree.into_iter().map(|d| d as u32).collect()
}
