//! tagscope: how a hashtag campaign spread across Twitter and 4chan exports, and who
//! pushed it. See ARCHITECTURE.md for the map of stages.
#![warn(missing_docs)]

// The pipeline's stages, data flowing one way (ARCHITECTURE.md has the map):
// ingest → account_index → graph, features, coordination, spread, languages → score →
// report, figures/plot, export (the only modules that write files).
pub mod ingest;

pub mod account_index;
pub mod coordination;
pub mod features;
pub mod graph;
pub mod languages;
pub mod population;
pub mod schedule;
pub mod spread;

pub mod calibrate;
pub mod score;

// The heavy reductions on a Ballista cluster (issue 18; `--features distributed`).
#[cfg(feature = "distributed")]
pub mod distributed;

pub mod export;
pub mod figures;
pub mod plot;
pub mod report;

// Orchestration: the whole run, many runs, atomic output folders.
pub mod batch;
pub mod pipeline;
pub mod staged;

// Helpers shared by the stages.
pub mod columns;
pub mod measure;
pub mod rounding;

// Tooling, not analysis: the synthetic campaign generator behind `tagscope simulate`
// (worlds with ground truth, for tests and for choosing defaults; no stage uses it), and
// the measures of a score file against ground truth behind `tagscope evaluate` (which
// `--calibrate` also reports with).
pub mod evaluate;
pub mod simulate;
