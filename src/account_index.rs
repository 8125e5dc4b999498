//! Dense account ids, computed once from the posts table and shared by the stages that
//! group or intern posts by author (features, coordination).
//!
//! Each stage used to hash every post's (platform, author_id) strings itself. At 10M posts
//! that hashing, scattered over gigabytes of string data, grew 17× for 10× the posts (issue
//! 15); done once, the stages work on integers.

use anyhow::Result;
use polars::prelude::*;
use rayon::prelude::*;

/// An account: ids are unique only within a platform, so an account is always named by
/// both. Ordered by platform, then id (byte order), as every per-account table is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct AccountKey {
    /// The account's platform (`twitter`, `4chan`, ...).
    pub platform: String,
    /// The account's id on its platform.
    pub account_id: String,
}

impl AccountKey {
    /// The account `account_id` of `platform`.
    pub fn new(platform: impl Into<String>, account_id: impl Into<String>) -> Self {
        AccountKey {
            platform: platform.into(),
            account_id: account_id.into(),
        }
    }
}

/// Every author of the posts table, ranked by (platform, author_id) in byte order.
pub struct AccountIndex<'a> {
    /// Per row of `posts`: its author's rank; `None` for a post without an author.
    pub rank_of_row: Vec<Option<u32>>,
    /// (platform, author_id) of each rank, in rank order, borrowed from `posts`. A post
    /// without a platform is counted under the empty platform.
    pub keys: Vec<(&'a str, &'a str)>,
}

impl<'a> AccountIndex<'a> {
    /// One hash lookup per row (accounts numbered by first post), then a sort of the
    /// distinct accounts only.
    pub fn build(posts: &'a DataFrame) -> Result<Self> {
        let platform = posts.column("platform")?.str()?;
        let author = posts.column("author_id")?.str()?;
        let mut first_seen: foldhash::HashMap<(&str, &str), u32> = Default::default();
        let seen: Vec<Option<u32>> = platform
            .iter()
            .zip(author.iter())
            .map(|(p, a)| {
                let next = first_seen.len() as u32;
                a.map(|a| *first_seen.entry((p.unwrap_or_default(), a)).or_insert(next))
            })
            .collect();
        let mut distinct: Vec<((&str, &str), u32)> = first_seen.into_iter().collect();
        distinct.par_sort_unstable();
        let mut rank = vec![0u32; distinct.len()];
        for (sorted, (_, id)) in distinct.iter().enumerate() {
            rank[*id as usize] = sorted as u32;
        }
        Ok(AccountIndex {
            rank_of_row: seen
                .into_iter()
                .map(|id| id.map(|id| rank[id as usize]))
                .collect(),
            keys: distinct.into_iter().map(|(key, _)| key).collect(),
        })
    }

    /// Number of distinct accounts.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the posts table has no post with an author.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_follow_platform_then_id_and_skip_missing_authors() {
        let posts = df! {
            "platform" => ["twitter", "4chan", "twitter", "twitter", "4chan"],
            "author_id" => [Some("b"), Some("z"), None, Some("a"), Some("z")],
        }
        .unwrap();
        let index = AccountIndex::build(&posts).unwrap();
        assert_eq!(
            index.keys,
            vec![("4chan", "z"), ("twitter", "a"), ("twitter", "b")]
        );
        assert_eq!(
            index.rank_of_row,
            vec![Some(2), Some(0), None, Some(1), Some(0)]
        );
        assert_eq!(index.len(), 3);
    }
}
