//! tagscope: how a hashtag campaign spread across Twitter and 4chan exports, and who
//! pushed it. See ARCHITECTURE.md for the map of stages.
#![warn(missing_docs)]

pub mod account_index;
pub mod batch;
pub mod calibrate;
pub mod columns;
pub mod coordination;
pub mod evaluate;
pub mod export;
pub mod features;
pub mod figures;
pub mod graph;
pub mod ingest;
pub mod languages;
pub mod measure;
pub mod pipeline;
pub mod plot;
pub mod population;
pub mod report;
pub mod rounding;
pub mod schedule;
pub mod score;
pub mod simulate;
pub mod spread;
pub mod staged;
