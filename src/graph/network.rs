//! Amplification graph: who amplified whom, one layer per interaction kind.
//!
//! **Edge direction, everywhere in this module and in every export: from the amplifier to
//! the amplified account.** If account A retweets (quotes, replies to, mentions) a post by
//! account B, the edge is A → B. Weighted out-degree therefore measures how much an account
//! pushes others; weighted in-degree and PageRank measure how much it is pushed.
//!
//! Each [`Layer`] (interaction kind) is its own graph, because a retweet is a much stronger
//! amplification signal than a reply or a mention and mixing them hides that. The retweet
//! layer is the default one: the global metrics (PageRank, k-core, components, communities)
//! are computed on it.
//!
//! Everything is deterministic: same input (and seed) → same metrics and same exported bytes.
//!
//! The layers' files (GraphML, GEXF, edge CSV) are written by `export::gephi`.

use std::collections::VecDeque;
use std::fmt;
use std::str::FromStr;

use anyhow::{Context, Result, bail, ensure};
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::unionfind::UnionFind;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;

// ---------------------------------------------------------------------------------------
// Layers and graph construction
// ---------------------------------------------------------------------------------------

/// Kind of interaction; one graph layer per kind. Serialises as its lowercase name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Layer {
    /// A retweeted B: the strongest amplification signal, and the default layer.
    #[default]
    Retweet,
    /// A quoted B.
    Quote,
    /// A replied to B (on 4chan: A's post quotes-links B's post, `>>123`).
    Reply,
    /// A mentioned B.
    Mention,
}

impl Layer {
    /// All layers, in the order [`build_layers`] returns them.
    pub const ALL: [Layer; 4] = [Layer::Retweet, Layer::Quote, Layer::Reply, Layer::Mention];

    /// Lowercase name used in files and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Retweet => "retweet",
            Layer::Quote => "quote",
            Layer::Reply => "reply",
            Layer::Mention => "mention",
        }
    }

    /// Position in [`Layer::ALL`] (and in the output of [`build_layers`]).
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Layer {
    type Err = anyhow::Error;

    /// Parses `retweet`, `quote`, `reply`, `mention` (case-insensitive).
    fn from_str(s: &str) -> Result<Self> {
        Layer::ALL
            .into_iter()
            .find(|layer| layer.as_str().eq_ignore_ascii_case(s.trim()))
            .with_context(|| {
                format!("unknown layer {s:?} (expected retweet, quote, reply or mention)")
            })
    }
}

/// One observed interaction: `source` amplified `target` (e.g. `source` retweeted `target`).
/// Both are account indices in `0..n_accounts`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Interaction {
    /// The amplifier (the account that retweeted / quoted / replied / mentioned).
    pub source: u32,
    /// The amplified account.
    pub target: u32,
    /// Kind of interaction.
    pub layer: Layer,
    /// When it happened, milliseconds since the Unix epoch (UTC).
    pub time_ms: i64,
}

/// Aggregate of all interactions of one kind from one amplifier to one amplified account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct EdgeData {
    /// Number of interactions (the edge weight); saturates at `u32::MAX`.
    pub count: u32,
    /// Earliest interaction, ms since the Unix epoch (UTC).
    pub first_ms: i64,
    /// Latest interaction, ms since the Unix epoch (UTC).
    pub last_ms: i64,
}

/// One layer of the amplification graph. Edges point from amplifier to amplified.
///
/// Node `i` is account `i` (its weight is `i` too), for every `i < n_accounts`, so node and
/// account indices can be used interchangeably. Edges are sorted by `(source, target)`.
#[derive(Clone, Debug)]
pub struct LayerGraph {
    /// Interaction kind of this layer.
    pub layer: Layer,
    /// Directed graph, amplifier → amplified; node weight = account index.
    pub graph: DiGraph<u32, EdgeData>,
}

impl LayerGraph {
    /// A layer with `n_accounts` nodes and no edges.
    pub fn empty(layer: Layer, n_accounts: usize) -> Self {
        let mut graph = DiGraph::with_capacity(n_accounts, 0);
        for account in 0..n_accounts {
            graph.add_node(account as u32);
        }
        LayerGraph { layer, graph }
    }

    /// Number of accounts (nodes).
    pub fn n_accounts(&self) -> usize {
        self.graph.node_count()
    }

    /// Edges as `(amplifier, amplified, data)`, in `(source, target)` order.
    pub fn edges(&self) -> impl ExactSizeIterator<Item = (usize, usize, &EdgeData)> + '_ {
        self.graph
            .raw_edges()
            .iter()
            .map(|e| (e.source().index(), e.target().index(), &e.weight))
    }
}

/// Finds the layer of the given kind in a slice of layers.
pub fn find_layer(layers: &[LayerGraph], layer: Layer) -> Option<&LayerGraph> {
    layers.iter().find(|g| g.layer == layer)
}

/// Builds one graph per layer (always all four, in [`Layer::ALL`] order, possibly empty).
///
/// Repeated `(source, target, layer)` interactions are aggregated into one edge (count,
/// first and last time). Self-loops are dropped: retweeting yourself is not amplification by
/// someone else. Edges are inserted sorted by `(source, target)`, so the result does not
/// depend on the order of `interactions`.
///
/// Errors if an index is `>= n_accounts` or `n_accounts` does not fit petgraph's `u32` index.
pub fn build_layers(n_accounts: usize, interactions: &[Interaction]) -> Result<Vec<LayerGraph>> {
    ensure!(
        n_accounts < u32::MAX as usize,
        "too many accounts for a u32-indexed graph: {n_accounts}"
    );
    if let Some(bad) = interactions
        .iter()
        .find(|i| i.source as usize >= n_accounts || i.target as usize >= n_accounts)
    {
        bail!("interaction {bad:?} refers to an account index >= n_accounts ({n_accounts})");
    }

    let mut keyed: Vec<(Layer, u32, u32, i64)> = interactions
        .iter()
        .filter(|i| i.source != i.target)
        .map(|i| (i.layer, i.source, i.target, i.time_ms))
        .collect();
    // Full-key sort: equal keys are identical, so the result is deterministic.
    keyed.par_sort_unstable();

    let mut layers: Vec<LayerGraph> = Layer::ALL
        .iter()
        .map(|&layer| LayerGraph::empty(layer, n_accounts))
        .collect();
    for group in keyed.chunk_by(|a, b| a.0 == b.0 && a.1 == b.1 && a.2 == b.2) {
        let (layer, source, target, first_ms) = group[0];
        let last_ms = group[group.len() - 1].3;
        let count = u32::try_from(group.len()).unwrap_or(u32::MAX);
        layers[layer.index()].graph.add_edge(
            NodeIndex::new(source as usize),
            NodeIndex::new(target as usize),
            EdgeData {
                count,
                first_ms,
                last_ms,
            },
        );
    }
    Ok(layers)
}

// ---------------------------------------------------------------------------------------
// Node metrics
// ---------------------------------------------------------------------------------------

/// Damping factor for PageRank (Brin & Page 1998).
pub const PAGERANK_DAMPING: f64 = 0.85;
/// PageRank stops when the L1 change between iterations drops below this.
pub const PAGERANK_TOLERANCE: f64 = 1e-10;
/// PageRank stops after this many iterations even if not converged.
pub const PAGERANK_MAX_ITERATIONS: u32 = 100;

/// Degrees of every account in one layer; each vector is indexed by account.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LayerDegrees {
    /// Layer these degrees are for.
    pub layer: Layer,
    /// Number of distinct accounts that amplified this account.
    pub in_degree: Vec<u32>,
    /// Number of distinct accounts this account amplified.
    pub out_degree: Vec<u32>,
    /// Number of times this account was amplified.
    pub weighted_in_degree: Vec<u64>,
    /// Number of times this account amplified someone.
    pub weighted_out_degree: Vec<u64>,
}

/// Per-account metrics; every vector is indexed by account. Computed on the full graph, never
/// on an export-filtered one.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NodeMetrics {
    /// Degrees per layer, in the order of the `layers` given to [`node_metrics`].
    pub degrees: Vec<LayerDegrees>,
    /// Weighted PageRank on the retweet layer (sums to 1): how much an account is amplified,
    /// counting amplification by well-amplified accounts more. See [`pagerank`].
    pub pagerank: Vec<f64>,
    /// PageRank iterations run.
    pub pagerank_iterations: u32,
    /// Whether PageRank reached [`PAGERANK_TOLERANCE`] within [`PAGERANK_MAX_ITERATIONS`].
    pub pagerank_converged: bool,
    /// k-core number on the undirected, unweighted retweet graph. See [`core_numbers`].
    pub core_number: Vec<u32>,
    /// Weakly connected component of the retweet layer; 0 is the largest. See
    /// [`weak_components`].
    pub component: Vec<u32>,
    /// Size of each component, indexed by component id (non-increasing).
    pub component_sizes: Vec<u32>,
    /// Louvain community on the undirected weighted retweet graph; 0 is the largest. See
    /// [`louvain_communities`].
    pub community: Vec<u32>,
    /// Size of each community, indexed by community id (non-increasing).
    pub community_sizes: Vec<u32>,
    /// Modularity of the `community` partition (0 when the retweet layer has no edges).
    pub modularity: f64,
    /// Share of an account's outgoing retweets that go to its single most-retweeted target;
    /// `None` if it retweeted no one. Near 1 with many retweets is a single-account booster.
    pub top_source_share: Vec<Option<f64>>,
}

impl NodeMetrics {
    /// Number of accounts.
    pub fn n_accounts(&self) -> usize {
        self.pagerank.len()
    }

    /// Degrees for one layer, if it was among the layers given to [`node_metrics`].
    pub fn degrees(&self, layer: Layer) -> Option<&LayerDegrees> {
        self.degrees.iter().find(|d| d.layer == layer)
    }
}

/// Computes all per-account metrics. Degrees for every given layer; everything else on the
/// retweet layer (treated as empty if absent). `seed` drives Louvain's node order only.
///
/// Errors if a layer does not have exactly `n_accounts` nodes.
pub fn node_metrics(n_accounts: usize, layers: &[LayerGraph], seed: u64) -> Result<NodeMetrics> {
    for layer in layers {
        ensure!(
            layer.n_accounts() == n_accounts,
            "layer {} has {} nodes, expected {n_accounts}",
            layer.layer,
            layer.n_accounts()
        );
    }
    let empty_retweets;
    let retweets = match find_layer(layers, Layer::Retweet) {
        Some(g) => g,
        None => {
            empty_retweets = LayerGraph::empty(Layer::Retweet, n_accounts);
            &empty_retweets
        }
    };

    let degrees = layers.iter().map(layer_degrees).collect();
    let rank = pagerank(
        retweets,
        PAGERANK_DAMPING,
        PAGERANK_TOLERANCE,
        PAGERANK_MAX_ITERATIONS,
    );
    let components = weak_components(retweets);
    let communities = louvain_communities(retweets, seed);
    Ok(NodeMetrics {
        degrees,
        pagerank: rank.scores,
        pagerank_iterations: rank.iterations,
        pagerank_converged: rank.converged,
        core_number: core_numbers(retweets),
        component: components.membership,
        component_sizes: components.sizes,
        community: communities.partition.membership,
        community_sizes: communities.partition.sizes,
        modularity: communities.modularity,
        top_source_share: top_source_share(retweets),
    })
}

/// In/out degree and weighted in/out degree of every account in one layer.
pub fn layer_degrees(layer: &LayerGraph) -> LayerDegrees {
    let n = layer.n_accounts();
    let mut d = LayerDegrees {
        layer: layer.layer,
        in_degree: vec![0; n],
        out_degree: vec![0; n],
        weighted_in_degree: vec![0; n],
        weighted_out_degree: vec![0; n],
    };
    for (s, t, e) in layer.edges() {
        d.out_degree[s] += 1;
        d.in_degree[t] += 1;
        d.weighted_out_degree[s] += u64::from(e.count);
        d.weighted_in_degree[t] += u64::from(e.count);
    }
    d
}

/// See [`NodeMetrics::top_source_share`].
pub fn top_source_share(layer: &LayerGraph) -> Vec<Option<f64>> {
    let n = layer.n_accounts();
    let mut total = vec![0u64; n];
    let mut top = vec![0u64; n];
    for (s, _, e) in layer.edges() {
        total[s] += u64::from(e.count);
        top[s] = top[s].max(u64::from(e.count));
    }
    total
        .iter()
        .zip(&top)
        .map(|(&t, &m)| (t > 0).then(|| m as f64 / t as f64))
        .collect()
}

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

/// Simple undirected graph in CSR form (neighbours sorted), with separate self-loop
/// weights (used by Louvain's aggregated levels; always 0 on the input graph).
#[derive(Clone, Debug)]
struct UndirectedGraph {
    offsets: Vec<usize>,
    neighbors: Vec<u32>,
    weights: Vec<f64>,
    self_loops: Vec<f64>,
}

impl UndirectedGraph {
    /// Direction dropped, reciprocal edges merged (weights summed).
    fn from_layer(layer: &LayerGraph) -> Self {
        let mut pairs: Vec<(u32, u32, f64)> = layer
            .edges()
            .map(|(s, t, e)| (s.min(t) as u32, s.max(t) as u32, f64::from(e.count)))
            .collect();
        pairs.sort_unstable_by_key(|p| (p.0, p.1));
        let n = layer.n_accounts();
        Self::from_sorted_pairs(n, &pairs, vec![0.0; n])
    }

    /// `pairs` must be sorted by `(a, b)` with `a < b`; duplicates are merged.
    fn from_sorted_pairs(n: usize, pairs: &[(u32, u32, f64)], self_loops: Vec<f64>) -> Self {
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

    fn len(&self) -> usize {
        self.self_loops.len()
    }

    fn neighbors(&self, v: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let range = self.offsets[v]..self.offsets[v + 1];
        self.neighbors[range.clone()]
            .iter()
            .zip(&self.weights[range])
            .map(|(&u, &w)| (u as usize, w))
    }

    fn degree(&self, v: usize) -> usize {
        self.offsets[v + 1] - self.offsets[v]
    }

    /// Weighted degree; a self-loop counts twice, as in Blondel et al. 2008.
    fn strengths(&self) -> Vec<f64> {
        (0..self.len())
            .map(|v| self.neighbors(v).map(|(_, w)| w).sum::<f64>() + 2.0 * self.self_loops[v])
            .collect()
    }
}

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
    fn canonical(labels: &[usize]) -> Self {
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

/// Result of [`louvain_communities`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Communities {
    /// Community per account, canonically numbered (0 = largest).
    pub partition: Partition,
    /// Newman–Girvan modularity of the partition (0 for a graph without edges).
    pub modularity: f64,
}

/// Safety caps against floating-point ping-pong: node evaluations per level (in units of
/// the node count) and levels.
const LOUVAIN_MAX_SWEEPS: usize = 100;
const LOUVAIN_MAX_LEVELS: usize = 32;

/// Louvain modularity communities (Blondel et al. 2008) on the retweet layer as an
/// undirected weighted graph (weight of {A, B} = retweets A→B plus B→A), resolution 1.
///
/// Louvain rather than label propagation (Raghavan et al. 2007) because it optimises an
/// explicit objective and is far less prone to one giant community on hub-dominated
/// retweet graphs. Local moves use the fast local moving queue of Ozaki et al. 2016.
/// Node visiting order is shuffled per level with `ChaCha8Rng` seeded by `seed`; ties go to
/// the current community, then to the first candidate found. The whole run is sequential,
/// so the result depends only on the graph and the seed (not on the thread count).
/// Accounts with no retweet edge stay singleton communities.
pub fn louvain_communities(layer: &LayerGraph, seed: u64) -> Communities {
    let base = UndirectedGraph::from_layer(layer);
    let n = base.len();
    let base_strength = base.strengths();
    let total_weight = base_strength.iter().sum::<f64>() / 2.0;
    let mut membership: Vec<usize> = (0..n).collect();
    if total_weight > 0.0 {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut aggregated: Option<UndirectedGraph> = None;
        for _level in 0..LOUVAIN_MAX_LEVELS {
            let g = aggregated.as_ref().unwrap_or(&base);
            let strength = g.strengths();
            let Some(community) = louvain_level(g, &strength, total_weight, &mut rng) else {
                break;
            };
            let (next, node_to_community) = louvain_aggregate(g, &community);
            for m in membership.iter_mut() {
                *m = node_to_community[*m];
            }
            if next.len() == g.len() {
                break;
            }
            aggregated = Some(next);
        }
    }
    let modularity = modularity(&base, &base_strength, total_weight, &membership);
    Communities {
        partition: Partition::canonical(&membership),
        modularity,
    }
}

/// One Louvain level: local moves until no node can improve modularity. Returns the
/// community of each node of `g`, or `None` if no node moved.
///
/// Uses the queue-based "fast local moving" of Ozaki et al. 2016 (also used by Leiden,
/// Traag et al. 2019): after the first pass over all nodes (in shuffled order) only
/// neighbours of nodes that moved are revisited. Same fixed points as repeated full sweeps,
/// far fewer evaluations on large sparse graphs.
fn louvain_level(
    g: &UndirectedGraph,
    strength: &[f64],
    total_weight: f64,
    rng: &mut ChaCha8Rng,
) -> Option<Vec<usize>> {
    let n = g.len();
    let two_m = 2.0 * total_weight;
    let mut community: Vec<u32> = (0..n as u32).collect();
    let mut community_strength = strength.to_vec();
    let mut queue: VecDeque<u32> = (0..n as u32).collect();
    queue.make_contiguous().shuffle(rng);
    let mut queued = vec![true; n];
    // Weight from the current node to each neighbouring community; < 0 means "not touched".
    let mut link_weight = vec![-1.0f64; n];
    let mut touched: Vec<usize> = Vec::new();
    let mut any_move = false;
    // Safety cap against floating-point ping-pong; never reached in practice.
    let mut budget = LOUVAIN_MAX_SWEEPS.saturating_mul(n);
    while let Some(v) = queue.pop_front() {
        let v = v as usize;
        queued[v] = false;
        budget -= 1;
        if budget == 0 {
            break;
        }
        let k_v = strength[v];
        if k_v == 0.0 {
            continue;
        }
        let current = community[v] as usize;
        touched.clear();
        link_weight[current] = 0.0;
        touched.push(current);
        for (u, w) in g.neighbors(v) {
            let c = community[u] as usize;
            if link_weight[c] < 0.0 {
                link_weight[c] = 0.0;
                touched.push(c);
            }
            link_weight[c] += w;
        }
        community_strength[current] -= k_v;
        // Modularity gain of joining c, up to the positive factor 1/m (Blondel et al.).
        let stay = link_weight[current] - community_strength[current] * k_v / two_m;
        let (mut best, mut best_gain) = (current, stay);
        for &c in &touched[1..] {
            let candidate = link_weight[c] - community_strength[c] * k_v / two_m;
            if candidate > best_gain {
                best = c;
                best_gain = candidate;
            }
        }
        community_strength[best] += k_v;
        for &c in &touched {
            link_weight[c] = -1.0;
        }
        if best != current {
            community[v] = best as u32;
            any_move = true;
            for (u, _) in g.neighbors(v) {
                if !queued[u] && community[u] as usize != best {
                    queued[u] = true;
                    queue.push_back(u as u32);
                }
            }
        }
    }
    any_move.then(|| community.into_iter().map(|c| c as usize).collect())
}

/// Collapses each community into one node; returns the new graph and node → new node map.
fn louvain_aggregate(g: &UndirectedGraph, community: &[usize]) -> (UndirectedGraph, Vec<usize>) {
    let n = g.len();
    let mut new_id = vec![usize::MAX; n];
    let mut next_id = 0;
    for &c in community {
        if new_id[c] == usize::MAX {
            new_id[c] = next_id;
            next_id += 1;
        }
    }
    let mapped: Vec<usize> = community.iter().map(|&c| new_id[c]).collect();
    let mut self_loops = vec![0.0f64; next_id];
    let mut pairs: Vec<(u32, u32, f64)> = Vec::new();
    for v in 0..n {
        let cv = mapped[v];
        self_loops[cv] += g.self_loops[v];
        for (u, w) in g.neighbors(v) {
            if u > v {
                let cu = mapped[u];
                if cu == cv {
                    self_loops[cv] += w;
                } else {
                    pairs.push((cv.min(cu) as u32, cv.max(cu) as u32, w));
                }
            }
        }
    }
    pairs.sort_by_key(|p| (p.0, p.1));
    (
        UndirectedGraph::from_sorted_pairs(next_id, &pairs, self_loops),
        mapped,
    )
}

/// Q = Σ_c [ in_c / m − (tot_c / 2m)² ], with in_c the weight inside c (Newman & Girvan 2004).
fn modularity(
    g: &UndirectedGraph,
    strength: &[f64],
    total_weight: f64,
    membership: &[usize],
) -> f64 {
    if total_weight <= 0.0 {
        return 0.0;
    }
    let n = g.len();
    let mut inside = vec![0.0f64; n];
    let mut total = vec![0.0f64; n];
    for v in 0..n {
        let c = membership[v];
        total[c] += strength[v];
        inside[c] += g.self_loops[v];
        for (u, w) in g.neighbors(v) {
            if u > v && membership[u] == c {
                inside[c] += w;
            }
        }
    }
    inside
        .iter()
        .zip(&total)
        .map(|(&i, &t)| i / total_weight - (t / (2.0 * total_weight)).powi(2))
        .sum()
}

// ---------------------------------------------------------------------------------------
// Rankings
// ---------------------------------------------------------------------------------------

/// What to rank accounts by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ranking {
    /// Times the account amplified others in the layer ("top amplifiers").
    WeightedOutDegree(Layer),
    /// Times the account was amplified in the layer ("top amplified").
    WeightedInDegree(Layer),
    /// Retweet-layer PageRank ("top amplified", weighting who amplified).
    PageRank,
}

/// One row of a ranking.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct RankedAccount {
    /// Account index.
    pub account: u32,
    /// Score it was ranked by.
    pub score: f64,
}

/// The `limit` highest-scoring accounts, ties broken by smaller account index. Accounts with
/// score 0 are left out (an account that never retweeted is not a "top amplifier"); empty if
/// the layer was not in the metrics.
pub fn top_accounts(metrics: &NodeMetrics, ranking: Ranking, limit: usize) -> Vec<RankedAccount> {
    let scores: Vec<f64> = match ranking {
        Ranking::WeightedOutDegree(layer) => match metrics.degrees(layer) {
            Some(d) => d.weighted_out_degree.iter().map(|&x| x as f64).collect(),
            None => return Vec::new(),
        },
        Ranking::WeightedInDegree(layer) => match metrics.degrees(layer) {
            Some(d) => d.weighted_in_degree.iter().map(|&x| x as f64).collect(),
            None => return Vec::new(),
        },
        Ranking::PageRank => metrics.pagerank.clone(),
    };
    top_by_score(&scores, limit)
        .into_iter()
        .map(|account| RankedAccount {
            account: account as u32,
            score: scores[account],
        })
        .collect()
}

/// Top amplifiers: largest weighted out-degree on the retweet layer.
pub fn top_amplifiers(metrics: &NodeMetrics, limit: usize) -> Vec<RankedAccount> {
    top_accounts(metrics, Ranking::WeightedOutDegree(Layer::Retweet), limit)
}

/// Top amplified: largest weighted in-degree on the retweet layer (see also
/// [`Ranking::PageRank`]).
pub fn top_amplified(metrics: &NodeMetrics, limit: usize) -> Vec<RankedAccount> {
    top_accounts(metrics, Ranking::WeightedInDegree(Layer::Retweet), limit)
}

/// Indices of the `limit` largest finite, positive scores; ties by smaller index.
fn top_by_score(scores: &[f64], limit: usize) -> Vec<usize> {
    let mut candidates: Vec<usize> = (0..scores.len())
        .filter(|&i| scores[i].is_finite() && scores[i] > 0.0)
        .collect();
    let order = |a: &usize, b: &usize| scores[*b].total_cmp(&scores[*a]).then(a.cmp(b));
    if candidates.len() > limit && limit > 0 {
        candidates.select_nth_unstable_by(limit - 1, order);
    }
    candidates.truncate(limit);
    candidates.sort_unstable_by(order);
    candidates
}

/// Text stating the edge direction; written into every Gephi file.
pub const EDGE_DIRECTION: &str = "source = amplifier, target = amplified: an edge A -> B means \
     account A retweeted/quoted/replied to/mentioned account B";

// ---------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    fn rt(source: u32, target: u32) -> Interaction {
        Interaction {
            source,
            target,
            layer: Layer::Retweet,
            time_ms: 0,
        }
    }

    fn retweet_layer(n: usize, edges: &[(u32, u32)]) -> LayerGraph {
        let interactions: Vec<Interaction> = edges.iter().map(|&(s, t)| rt(s, t)).collect();
        build_layers(n, &interactions).unwrap().swap_remove(0)
    }

    fn assert_close(a: f64, b: f64, tol: f64) {
        assert!((a - b).abs() < tol, "{a} vs {b}");
    }

    #[test]
    fn layer_names_round_trip() {
        for layer in Layer::ALL {
            assert_eq!(layer.as_str().parse::<Layer>().unwrap(), layer);
            assert_eq!(Layer::ALL[layer.index()], layer);
        }
        assert_eq!("ReTweet".parse::<Layer>().unwrap(), Layer::Retweet);
        assert!("like".parse::<Layer>().is_err());
        assert_eq!(serde_json::to_string(&Layer::Quote).unwrap(), "\"quote\"");
    }

    #[test]
    fn build_layers_aggregates_repeats_and_drops_self_loops() {
        let at = |source, target, layer, time_ms| Interaction {
            source,
            target,
            layer,
            time_ms,
        };
        let interactions = [
            at(2, 0, Layer::Retweet, 3),
            at(0, 1, Layer::Retweet, 5),
            at(0, 1, Layer::Retweet, 2),
            at(1, 1, Layer::Retweet, 4),
            at(0, 1, Layer::Retweet, 9),
            at(0, 1, Layer::Quote, 1),
        ];
        let layers = build_layers(4, &interactions).unwrap();
        assert_eq!(layers.len(), 4);
        assert_eq!(
            layers.iter().map(|l| l.layer).collect::<Vec<_>>(),
            Layer::ALL
        );
        for l in &layers {
            assert_eq!(l.n_accounts(), 4);
            for (i, node) in l.graph.node_indices().enumerate() {
                assert_eq!(l.graph[node] as usize, i);
            }
        }
        let edges: Vec<_> = layers[0].edges().map(|(s, t, e)| (s, t, *e)).collect();
        let data = |count, first_ms, last_ms| EdgeData {
            count,
            first_ms,
            last_ms,
        };
        assert_eq!(edges, vec![(0, 1, data(3, 2, 9)), (2, 0, data(1, 3, 3))]);
        let quotes: Vec<_> = layers[1].edges().map(|(s, t, e)| (s, t, *e)).collect();
        assert_eq!(quotes, vec![(0, 1, data(1, 1, 1))]);
        assert_eq!(layers[2].graph.edge_count(), 0);
        assert_eq!(layers[3].graph.edge_count(), 0);

        // Input order does not matter.
        let mut reversed = interactions;
        reversed.reverse();
        let again = build_layers(4, &reversed).unwrap();
        let again_edges: Vec<_> = again[0].edges().map(|(s, t, e)| (s, t, *e)).collect();
        assert_eq!(again_edges, edges);
    }

    #[test]
    fn build_layers_rejects_out_of_range_accounts() {
        assert!(build_layers(2, &[rt(0, 2)]).is_err());
        assert!(
            build_layers(0, &[])
                .unwrap()
                .iter()
                .all(|l| l.n_accounts() == 0)
        );
    }

    #[test]
    fn pagerank_of_a_cycle_is_uniform() {
        let g = retweet_layer(3, &[(0, 1), (1, 2), (2, 0)]);
        let pr = pagerank(&g, 0.85, 1e-12, 100);
        assert!(pr.converged);
        for p in &pr.scores {
            assert_close(*p, 1.0 / 3.0, 1e-9);
        }
    }

    #[test]
    fn pagerank_of_a_star_matches_closed_form() {
        // Leaves 1..=3 all retweet hub 0; the hub is dangling. With n = 4, d = 0.85:
        //   leaf = (1-d)/n + d*hub/n
        //   hub  = (1-d)/n + d*hub/n + d*3*leaf
        // => hub = 0.133125 / 0.245625, leaf = (1 - hub) / 3.
        let g = retweet_layer(4, &[(1, 0), (2, 0), (3, 0)]);
        let pr = pagerank(&g, 0.85, 1e-12, 1000);
        assert!(pr.converged);
        let hub = 0.133125 / 0.245625;
        assert_close(pr.scores[0], hub, 1e-9);
        for leaf in 1..4 {
            assert_close(pr.scores[leaf], (1.0 - hub) / 3.0, 1e-9);
        }
    }

    /// Independent dense reference: x ← d·(Mᵀx + dangling/n) + (1-d)/n, M row-normalised.
    fn dense_pagerank(n: usize, edges: &[(usize, usize, f64)], d: f64) -> Vec<f64> {
        let mut m = vec![vec![0.0; n]; n];
        for &(s, t, w) in edges {
            m[s][t] += w;
        }
        for row in m.iter_mut() {
            let total: f64 = row.iter().sum();
            if total > 0.0 {
                row.iter_mut().for_each(|x| *x /= total);
            } else {
                row.iter_mut().for_each(|x| *x = 1.0 / n as f64);
            }
        }
        let mut x = vec![1.0 / n as f64; n];
        for _ in 0..2000 {
            x = (0..n)
                .map(|j| (1.0 - d) / n as f64 + d * (0..n).map(|i| m[i][j] * x[i]).sum::<f64>())
                .collect();
        }
        x
    }

    #[test]
    fn weighted_pagerank_matches_dense_reference() {
        // 0 retweets 1 three times and 2 once; 1 -> 2 twice; 2 -> 0; 3 -> 2; 4 isolated.
        let mut interactions = vec![rt(0, 1), rt(0, 1), rt(0, 1), rt(0, 2)];
        interactions.extend([rt(1, 2), rt(1, 2), rt(2, 0), rt(3, 2)]);
        let g = build_layers(5, &interactions).unwrap().swap_remove(0);
        let pr = pagerank(&g, 0.85, 1e-13, 1000);
        let weighted: Vec<(usize, usize, f64)> = g
            .edges()
            .map(|(s, t, e)| (s, t, f64::from(e.count)))
            .collect();
        let reference = dense_pagerank(5, &weighted, 0.85);
        for (a, b) in pr.scores.iter().zip(&reference) {
            assert_close(*a, *b, 1e-9);
        }
        assert_close(pr.scores.iter().sum(), 1.0, 1e-12);
    }

    #[test]
    fn core_numbers_of_clique_with_pendant() {
        // 4-clique 0..4 (some edges reciprocal, directions mixed), pendant 4 on 0, 5 isolated.
        let g = retweet_layer(
            6,
            &[
                (0, 1),
                (1, 0),
                (2, 0),
                (0, 3),
                (1, 2),
                (3, 1),
                (2, 3),
                (3, 2),
                (4, 0),
            ],
        );
        assert_eq!(core_numbers(&g), vec![3, 3, 3, 3, 1, 0]);
        // A path and a triangle.
        let g = retweet_layer(6, &[(0, 1), (1, 2), (3, 4), (4, 5), (5, 3)]);
        assert_eq!(core_numbers(&g), vec![1, 1, 1, 2, 2, 2]);
    }

    #[test]
    fn components_are_numbered_by_size_then_smallest_member() {
        // {5,6,7} size 3; {0,1} and {2,3} size 2; singletons 4 and 8.
        let g = retweet_layer(9, &[(1, 0), (3, 2), (5, 6), (7, 6)]);
        let c = weak_components(&g);
        assert_eq!(c.membership, vec![1, 1, 2, 2, 3, 0, 0, 0, 4]);
        assert_eq!(c.sizes, vec![3, 2, 2, 1, 1]);
    }

    fn two_cliques() -> LayerGraph {
        let mut edges = Vec::new();
        for base in [0u32, 5] {
            for a in base..base + 5 {
                for b in base..base + 5 {
                    if a != b {
                        edges.push((a, b));
                    }
                }
            }
        }
        edges.push((4, 5));
        retweet_layer(11, &edges) // account 10 is isolated
    }

    #[test]
    fn louvain_separates_two_cliques_joined_by_one_edge() {
        let g = two_cliques();
        for seed in 0..20 {
            let c = louvain_communities(&g, seed);
            let m = &c.partition.membership;
            assert!(m[..5].iter().all(|&x| x == m[0]), "seed {seed}: {m:?}");
            assert!(m[5..10].iter().all(|&x| x == m[5]), "seed {seed}: {m:?}");
            assert_ne!(m[0], m[5]);
            assert_eq!(c.partition.sizes, vec![5, 5, 1]);
            assert_eq!((m[0], m[5], m[10]), (0, 1, 2));
            // Each clique: 10 reciprocal pairs = 20 weight units; plus the bridge: m = 41,
            // each clique's strength is 41, so Q = 2 * (20/41 - (41/82)^2).
            assert_close(c.modularity, 2.0 * (20.0 / 41.0 - 0.25), 1e-12);
            assert_eq!(c, louvain_communities(&g, seed));
        }
    }

    #[test]
    fn louvain_is_deterministic_on_a_random_graph() {
        use rand::Rng;
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let interactions: Vec<Interaction> = (0..3000)
            .map(|_| rt(rng.random_range(0..500), rng.random_range(0..500)))
            .collect();
        let g = build_layers(500, &interactions).unwrap().swap_remove(0);
        let a = louvain_communities(&g, 42);
        assert_eq!(a, louvain_communities(&g, 42));
        assert!(a.modularity > 0.2, "modularity {}", a.modularity);
        assert!(a.partition.sizes.windows(2).all(|w| w[0] >= w[1]));
    }

    #[test]
    fn metrics_do_not_depend_on_thread_count() {
        use rand::Rng;
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        // Enough accounts for PageRank's parallel pull to split into several chunks.
        let n = 20_000;
        let interactions: Vec<Interaction> = (0..60_000)
            .map(|_| rt(rng.random_range(0..n), rng.random_range(0..n) % 500))
            .collect();
        let layers = build_layers(n as usize, &interactions).unwrap();
        let run = |threads| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| node_metrics(n as usize, &layers, 3).unwrap())
        };
        let (one, four) = (run(1), run(4));
        assert_eq!(one, four);
        let bits = |m: &NodeMetrics| m.pagerank.iter().map(|p| p.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&one), bits(&four));
        let empty = node_metrics(0, &build_layers(0, &[]).unwrap(), 0).unwrap();
        assert!(empty.pagerank.is_empty() && empty.community_sizes.is_empty());
    }

    #[test]
    fn node_metrics_degrees_and_top_source_share() {
        let mut interactions = vec![rt(0, 1), rt(0, 1), rt(0, 1), rt(0, 2), rt(2, 1)];
        interactions.push(Interaction {
            source: 3,
            target: 1,
            layer: Layer::Mention,
            time_ms: 0,
        });
        let layers = build_layers(4, &interactions).unwrap();
        let m = node_metrics(4, &layers, 1).unwrap();
        let rt_deg = m.degrees(Layer::Retweet).unwrap();
        assert_eq!(rt_deg.out_degree, vec![2, 0, 1, 0]);
        assert_eq!(rt_deg.weighted_out_degree, vec![4, 0, 1, 0]);
        assert_eq!(rt_deg.in_degree, vec![0, 2, 1, 0]);
        assert_eq!(rt_deg.weighted_in_degree, vec![0, 4, 1, 0]);
        assert_eq!(
            m.degrees(Layer::Mention).unwrap().in_degree,
            vec![0, 1, 0, 0]
        );
        assert_eq!(m.top_source_share, vec![Some(0.75), None, Some(1.0), None]);
        assert_eq!(m.component_sizes, vec![3, 1]);
        assert_eq!(m.core_number, vec![2, 2, 2, 0]);
        assert!(m.pagerank_converged);
        let json = serde_json::to_value(&m).unwrap();
        assert_eq!(json["top_source_share"][1], serde_json::Value::Null);
        assert_eq!(json["degrees"][0]["layer"], "retweet");

        let top = top_amplifiers(&m, 10);
        assert_eq!(
            top.iter().map(|r| r.account).collect::<Vec<_>>(),
            vec![0, 2]
        );
        let amplified = top_amplified(&m, 1);
        assert_eq!(
            amplified,
            vec![RankedAccount {
                account: 1,
                score: 4.0
            }]
        );
        let by_pr = top_accounts(&m, Ranking::PageRank, 2);
        assert_eq!(by_pr[0].account, 1);
        assert!(top_accounts(&m, Ranking::WeightedInDegree(Layer::Quote), 3).len() <= 3);
    }

    #[test]
    fn rankings_break_ties_by_index() {
        assert_eq!(
            top_by_score(&[1.0, 3.0, 3.0, 0.0, 3.0, 2.0], 3),
            vec![1, 2, 4]
        );
        assert_eq!(
            top_by_score(&[1.0, 3.0, 3.0, 0.0, 3.0, 2.0], 10),
            vec![1, 2, 4, 5, 0]
        );
        assert_eq!(top_by_score(&[f64::NAN, 1.0], 5), vec![1]);
        assert!(top_by_score(&[1.0], 0).is_empty());
    }
}
