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
//! The algorithms are one per file beside this one (`pagerank`, `kcore`, `components`,
//! `louvain`, on `undirected` where direction is dropped); the layers' files (GraphML, GEXF,
//! edge CSV) are written by `export::gephi`.

use std::fmt;
use std::str::FromStr;

use anyhow::{Context, Result, bail, ensure};
use petgraph::graph::{DiGraph, NodeIndex};
use rayon::prelude::*;
use serde::Serialize;

use super::components::weak_components;
use super::kcore::core_numbers;
use super::louvain::louvain_communities;
use super::pagerank::pagerank;

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

    // Louvain, the longest, runs beside the others; each is deterministic on its own.
    let (communities, (degrees, rank, components, core_number, top_source_share)) = rayon::join(
        || louvain_communities(retweets, seed),
        || {
            (
                layers.iter().map(layer_degrees).collect::<Vec<_>>(),
                pagerank(
                    retweets,
                    PAGERANK_DAMPING,
                    PAGERANK_TOLERANCE,
                    PAGERANK_MAX_ITERATIONS,
                ),
                weak_components(retweets),
                core_numbers(retweets),
                top_source_share(retweets),
            )
        },
    );
    Ok(NodeMetrics {
        degrees,
        pagerank: rank.scores,
        pagerank_iterations: rank.iterations,
        pagerank_converged: rank.converged,
        core_number,
        component: components.membership,
        component_sizes: components.sizes,
        community: communities.partition.membership,
        community_sizes: communities.partition.sizes,
        modularity: communities.modularity,
        top_source_share,
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
pub(crate) mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    /// A retweet interaction at time 0 (shared with the Gephi writer tests).
    pub(crate) fn rt(source: u32, target: u32) -> Interaction {
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
