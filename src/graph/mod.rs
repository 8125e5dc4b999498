//! Stage 2: the amplification network. Accounts are nodes; an edge goes FROM the amplifier
//! TO the amplified (A retweets B's post: A → B; likewise quote, reply and mention), one
//! layer per interaction kind, the retweet layer by default. Metrics are in [`network`], the
//! node attributes of the Gephi files in [`attributes`] (their writers are in
//! `export::gephi`); this module turns the posts table into interactions and the metrics
//! into tables.

pub mod attributes;
pub mod components;
pub mod kcore;
pub mod louvain;
pub mod network;
pub mod pagerank;
mod undirected;

use std::collections::HashMap;

use anyhow::Result;
use polars::prelude::*;
use rayon::prelude::*;

use crate::ingest::record::PostKind;
use attributes::{AttrColumn, AttrType, AttrValue, NodeAttributes};
use network::{Interaction, Layer, LayerGraph, NodeMetrics};

/// Settings of the graph stage.
#[derive(Debug, Clone, serde::Serialize)]
pub struct GraphOptions {
    /// Seed of the Louvain community detection.
    pub seed: u64,
    /// Gephi files only: drop edges with fewer interactions.
    pub min_weight: u32,
    /// Gephi files only: keep the N accounts with the highest PageRank when the retweet
    /// layer has more (`None`: every account).
    pub top_n: Option<usize>,
}

/// Accounts in the Gephi files by default: a graph Gephi lays out and a person can read on a
/// laptop (10 M posts gave 2.9 GB of GraphML and 3.3 GB of GEXF for 1.97 M accounts, which
/// Gephi cannot open there). The full graph is in `graph/edges.csv` and `graph/nodes.csv`.
pub const DEFAULT_GEPHI_MAX_NODES: usize = 5_000;

impl Default for GraphOptions {
    fn default() -> Self {
        GraphOptions {
            seed: 1,
            min_weight: 1,
            top_n: Some(DEFAULT_GEPHI_MAX_NODES),
        }
    }
}

/// What the Gephi files hold.
#[derive(Debug, Clone, serde::Serialize)]
pub struct GephiSummary {
    /// The limit asked for (`--gephi-max-nodes`; `None`: no limit).
    pub max_nodes: Option<usize>,
    /// Accounts of the retweet layer.
    pub layer_nodes: usize,
    /// Accounts and edges written.
    pub nodes: usize,
    /// Edges written (the retweet layer's, after `min_weight` and the limit).
    pub edges: usize,
    /// Whether the limit cut the graph (the top `max_nodes` accounts by PageRank and the
    /// edges among them, isolated ones dropped).
    pub limited: bool,
}

/// The network with its nodes named.
pub struct AmplificationGraph {
    /// `platform:account_id` per node; mentioned handles with no known account are
    /// `platform:@handle`.
    pub node_ids: Vec<String>,
    /// `(platform, account_id)` per node (`account_id` is `@handle` for a mentioned handle
    /// with no known account).
    pub keys: Vec<crate::account_index::AccountKey>,
    /// The first handle seen for each node (on its posts, or as mentioned); null when none
    /// was.
    pub handles: Vec<Option<String>>,
    /// Posts each account made in the data.
    pub posts: Vec<u32>,
    /// One directed graph per interaction kind (retweet, quote, reply, mention), amplifier
    /// → amplified.
    pub layers: Vec<LayerGraph>,
    /// Per-node metrics: degrees, PageRank, k-core, components, communities.
    pub metrics: NodeMetrics,
}

/// Nodes interned in order of first sight, looked up by `platform\0id` in a reused buffer
/// (no allocation per post).
#[derive(Default)]
struct Nodes {
    index: foldhash::HashMap<String, u32>,
    keys: Vec<crate::account_index::AccountKey>,
    handles: Vec<Option<String>>,
    posts: Vec<u32>,
    lookup: String,
}

/// `platform\0id` in `buffer`.
fn joined_key<'b>(buffer: &'b mut String, platform: &str, id: &str) -> &'b str {
    buffer.clear();
    buffer.push_str(platform);
    buffer.push('\0');
    buffer.push_str(id);
    buffer
}

impl Nodes {
    /// Gives node `i` the handle when it has none yet.
    fn name_if_unnamed(&mut self, i: u32, handle: Option<&str>) {
        if self.handles[i as usize].is_none() {
            self.handles[i as usize] = handle.map(str::to_string);
        }
    }

    fn intern(&mut self, platform: &str, id: &str, handle: Option<&str>) -> u32 {
        let key = joined_key(&mut self.lookup, platform, id);
        if let Some(&i) = self.index.get(key) {
            self.name_if_unnamed(i, handle);
            return i;
        }
        let i = self.keys.len() as u32;
        self.index.insert(key.to_string(), i);
        self.keys
            .push(crate::account_index::AccountKey::new(platform, id));
        self.handles.push(handle.map(str::to_string));
        self.posts.push(0);
        i
    }
}

/// Builds the layers and computes the metrics.
pub fn build(
    posts: &DataFrame,
    accounts: &DataFrame,
    options: &GraphOptions,
) -> Result<AmplificationGraph> {
    let authors = posts.select(["platform", "author_id"])?;
    let index = crate::account_index::AccountIndex::build(&authors)?;
    build_indexed(posts, accounts, &index, options)
}

/// [`build`] with the posts' authors already numbered (`index` of these `posts`): each
/// author's node is found by its number, its strings hashed once rather than once a post.
pub fn build_indexed(
    posts: &DataFrame,
    accounts: &DataFrame,
    index: &crate::account_index::AccountIndex<'_>,
    options: &GraphOptions,
) -> Result<AmplificationGraph> {
    anyhow::ensure!(
        index.rank_of_row.len() == posts.height(),
        "the account index has {} rows, the posts {}",
        index.rank_of_row.len(),
        posts.height()
    );
    let phase = |name: &str, since| crate::measure::stage_timing("graph", name, since);
    let began = std::time::Instant::now();
    // Handles (lower case) to account ids, for mentions.
    let mut by_handle: foldhash::HashMap<String, String> = Default::default();
    let mut handle_key = String::new();
    {
        let platform = accounts.column("platform")?.str()?;
        let id = accounts.column("account_id")?.str()?;
        let handle = accounts.column("handle")?.str()?;
        for i in 0..accounts.height() {
            if let (Some(p), Some(a), Some(h)) = (platform.get(i), id.get(i), handle.get(i)) {
                by_handle.insert(format!("{p}\0{}", h.to_lowercase()), a.to_string());
            }
        }
    }
    let platform = posts.column("platform")?.str()?;
    let author = posts.column("author_id")?.str()?;
    let author_handle = posts.column("author_handle")?.str()?;
    let kind = posts.column("kind")?.str()?;
    let parent_author = posts.column("parent_author_id")?.str()?;
    let mentions = crate::columns::StringLists::new(posts.column("mentions")?)?;
    let times = crate::columns::times_ms(posts, "created_at")?;
    let mut nodes = Nodes::default();
    let mut node_of_rank = vec![u32::MAX; index.len()];
    let mut interactions = Vec::new();
    for (i, &time) in times.iter().enumerate() {
        let (Some(p), Some(a), Some(t)) = (platform.get(i), author.get(i), time) else {
            continue;
        };
        let source = match index.rank_of_row[i].map(|rank| rank as usize) {
            Some(rank) if node_of_rank[rank] != u32::MAX => {
                let source = node_of_rank[rank];
                nodes.name_if_unnamed(source, author_handle.get(i));
                source
            }
            rank => {
                let source = nodes.intern(p, a, author_handle.get(i));
                if let Some(rank) = rank {
                    node_of_rank[rank] = source;
                }
                source
            }
        };
        nodes.posts[source as usize] += 1;
        let layer = match kind.get(i).and_then(PostKind::parse) {
            Some(PostKind::Retweet) => Some(Layer::Retweet),
            Some(PostKind::Quote) => Some(Layer::Quote),
            Some(PostKind::Reply) => Some(Layer::Reply),
            _ => None,
        };
        if let (Some(layer), Some(target)) = (layer, parent_author.get(i)) {
            let target = nodes.intern(p, target, None);
            interactions.push(Interaction {
                source,
                target,
                layer,
                time_ms: t,
            });
        }
        // A retweet's mentions are the original's: the retweeter did not write them.
        if layer == Some(Layer::Retweet) {
            continue;
        }
        {
            for handle in mentions.row(i).iter().copied() {
                let lower = handle.to_lowercase();
                let target = match by_handle.get(joined_key(&mut handle_key, p, &lower)) {
                    Some(id) => nodes.intern(p, id, Some(handle)),
                    None => nodes.intern(p, &format!("@{handle}"), Some(handle)),
                };
                interactions.push(Interaction {
                    source,
                    target,
                    layer: Layer::Mention,
                    time_ms: t,
                });
            }
        }
    }
    phase("interactions", began);
    let since = std::time::Instant::now();
    let n = nodes.keys.len();
    let layers = network::build_layers(n, &interactions)?;
    drop(interactions);
    phase("layers", since);
    let since = std::time::Instant::now();
    let metrics = network::node_metrics(n, &layers, options.seed)?;
    phase("metrics", since);
    Ok(AmplificationGraph {
        node_ids: nodes
            .keys
            .iter()
            .map(|k| format!("{}:{}", k.platform, k.account_id))
            .collect(),
        keys: nodes.keys,
        handles: nodes.handles,
        posts: nodes.posts,
        layers,
        metrics,
    })
}

fn rounded(value: f64) -> f64 {
    crate::rounding::rounded(value, crate::rounding::NANO)
}

/// `graph/nodes.csv`: one row per node with every metric; joinable to the account tables
/// on (platform, account_id).
pub fn nodes_table(graph: &AmplificationGraph) -> Result<DataFrame> {
    let m = &graph.metrics;
    let n = graph.keys.len();
    let mut columns = vec![
        Column::new(
            "platform".into(),
            graph
                .keys
                .iter()
                .map(|k| k.platform.as_str())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "account_id".into(),
            graph
                .keys
                .iter()
                .map(|k| k.account_id.as_str())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "handle".into(),
            graph
                .handles
                .iter()
                .map(|h| h.as_deref())
                .collect::<Vec<_>>(),
        ),
        Column::new("posts".into(), graph.posts.clone()),
    ];
    for degrees in &m.degrees {
        let layer = degrees.layer.as_str();
        columns.push(Column::new(
            format!("{layer}_in_degree").into(),
            degrees.in_degree.clone(),
        ));
        columns.push(Column::new(
            format!("{layer}_out_degree").into(),
            degrees.out_degree.clone(),
        ));
        columns.push(Column::new(
            format!("{layer}_weighted_in").into(),
            degrees.weighted_in_degree.clone(),
        ));
        columns.push(Column::new(
            format!("{layer}_weighted_out").into(),
            degrees.weighted_out_degree.clone(),
        ));
    }
    columns.extend([
        Column::new(
            "pagerank".into(),
            m.pagerank.iter().map(|&p| rounded(p)).collect::<Vec<_>>(),
        ),
        Column::new("core_number".into(), m.core_number.clone()),
        Column::new("component".into(), m.component.clone()),
        Column::new("community".into(), m.community.clone()),
        Column::new(
            "top_source_share".into(),
            m.top_source_share
                .iter()
                .map(|v| v.map(rounded))
                .collect::<Vec<_>>(),
        ),
    ]);
    Ok(DataFrame::new(n, columns)?)
}

/// Extra per-account values for the Gephi files (e.g. suspicion score and cluster).
pub struct ExtraAttributes {
    /// Combined suspicion score (0–1) per `(platform, account_id)`.
    pub score: HashMap<crate::account_index::AccountKey, f64>,
    /// Coordination cluster id per `(platform, account_id)`, for accounts in a cluster.
    pub cluster: HashMap<crate::account_index::AccountKey, u32>,
}

/// Node attributes for the Gephi files.
pub fn node_attributes(
    graph: &AmplificationGraph,
    extra: Option<&ExtraAttributes>,
) -> NodeAttributes {
    let m = &graph.metrics;
    let retweet = m.degrees(Layer::Retweet);
    let mut columns = vec![
        AttrColumn::new("handle", AttrType::String),
        AttrColumn::new("platform", AttrType::String),
        AttrColumn::new("posts", AttrType::Long),
        AttrColumn::new("retweets_made", AttrType::Long),
        AttrColumn::new("retweets_received", AttrType::Long),
        AttrColumn::new("core_number", AttrType::Long),
        AttrColumn::new("component", AttrType::Long),
        AttrColumn::new("community", AttrType::Long),
    ];
    if extra.is_some() {
        columns.push(AttrColumn::new("score", AttrType::Double));
        columns.push(AttrColumn::new("cluster_id", AttrType::Long));
    }
    let rows = (0..graph.keys.len())
        .into_par_iter()
        .map(|i| {
            let mut row = vec![
                graph.handles[i]
                    .clone()
                    .map_or(AttrValue::Null, AttrValue::Str),
                AttrValue::Str(graph.keys[i].platform.clone()),
                AttrValue::Int(i64::from(graph.posts[i])),
                retweet.map_or(AttrValue::Null, |d| {
                    AttrValue::Int(d.weighted_out_degree[i] as i64)
                }),
                retweet.map_or(AttrValue::Null, |d| {
                    AttrValue::Int(d.weighted_in_degree[i] as i64)
                }),
                AttrValue::Int(i64::from(m.core_number[i])),
                AttrValue::Int(i64::from(m.component[i])),
                AttrValue::Int(i64::from(m.community[i])),
            ];
            if let Some(extra) = extra {
                row.push(
                    extra
                        .score
                        .get(&graph.keys[i])
                        .map_or(AttrValue::Null, |&s| AttrValue::Float(s)),
                );
                row.push(
                    extra
                        .cluster
                        .get(&graph.keys[i])
                        .map_or(AttrValue::Null, |&c| AttrValue::Int(i64::from(c))),
                );
            }
            row
        })
        .collect();
    NodeAttributes { columns, rows }
}

/// An account in a top list of `summary.json`, with the value it is ranked by.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RankedNode {
    /// The account's platform.
    pub platform: String,
    /// The account's id on the platform.
    pub account_id: String,
    /// Its handle, where known.
    pub handle: Option<String>,
    /// The ranking value: retweets made or received (weighted degree), or PageRank.
    pub value: f64,
}

/// One layer of the network in `summary.json`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LayerSummary {
    /// The interaction kind (`retweet`, `quote`, `reply`, `mention`).
    pub layer: &'static str,
    /// Distinct directed account pairs (self-loops dropped).
    pub edges: usize,
    /// Interactions in all (the sum of edge weights).
    pub interactions: u64,
}

/// Graph facts for `summary.json`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct GraphSummary {
    /// What an edge means: amplifier → amplified.
    pub edge_direction: &'static str,
    /// Accounts in the network (authors, and accounts retweeted, quoted, replied to or
    /// mentioned).
    pub nodes: usize,
    /// One entry per interaction kind.
    pub layers: Vec<LayerSummary>,
    /// Weakly connected components of the retweet layer with two or more accounts.
    pub retweet_components: usize,
    /// Accounts in the largest weakly connected component of the retweet layer.
    pub largest_retweet_component: u32,
    /// Louvain communities with two or more accounts.
    pub communities: usize,
    /// Modularity of the Louvain partition (0 when the retweet layer has no edges).
    pub modularity: f64,
    /// How communities were found, in words.
    pub community_method: &'static str,
    /// Accounts that retweeted most (weighted out-degree, retweet layer).
    pub top_amplifiers: Vec<RankedNode>,
    /// Accounts retweeted most (weighted in-degree, retweet layer).
    pub top_amplified: Vec<RankedNode>,
    /// Highest PageRank on the retweet layer.
    pub top_pagerank: Vec<RankedNode>,
    /// The Gephi files, when they were written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gephi: Option<GephiSummary>,
}

/// The graph's facts for `summary.json`, with the `limit` top accounts of each ranking; the
/// Gephi part is left to the caller (`gephi: None`).
pub fn summary(graph: &AmplificationGraph, limit: usize) -> GraphSummary {
    let m = &graph.metrics;
    let named = |ranked: Vec<network::RankedAccount>| {
        ranked
            .into_iter()
            .map(|r| {
                let i = r.account as usize;
                RankedNode {
                    platform: graph.keys[i].platform.clone(),
                    account_id: graph.keys[i].account_id.clone(),
                    handle: graph.handles[i].clone(),
                    value: rounded(r.score),
                }
            })
            .collect()
    };
    GraphSummary {
        edge_direction: network::EDGE_DIRECTION,
        nodes: graph.keys.len(),
        layers: graph
            .layers
            .iter()
            .map(|l| LayerSummary {
                layer: l.layer.as_str(),
                edges: l.graph.edge_count(),
                interactions: l.edges().map(|(_, _, e)| u64::from(e.count)).sum(),
            })
            .collect(),
        retweet_components: m.component_sizes.iter().filter(|&&s| s > 1).count(),
        largest_retweet_component: m.component_sizes.first().copied().unwrap_or(0),
        communities: m.community_sizes.iter().filter(|&&s| s > 1).count(),
        modularity: rounded(m.modularity),
        community_method: "Louvain (Blondel et al. 2008) on the undirected weighted retweet layer, seeded",
        top_amplifiers: named(network::top_amplifiers(m, limit)),
        top_amplified: named(network::top_amplified(m, limit)),
        top_pagerank: named(network::top_accounts(m, network::Ranking::PageRank, limit)),
        gephi: None,
    }
}
