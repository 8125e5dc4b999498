//! Account profile snapshots: one per post that embeds a profile, merged field by field
//! into the latest snapshot per account (first in one chunk, then across chunks and
//! threads), and the canonical accounts table made from them.

use foldhash::HashMap;

use polars::prelude::*;
use rayon::prelude::*;

#[cfg(doc)]
use super::record::TWITTER;

/// One snapshot of an account profile, as embedded in a post (a row of `accounts` once
/// the latest snapshot per account is chosen).
#[derive(Debug, Clone, Default)]
pub struct AccountRecord {
    /// The platform (one of the constants of `record`, e.g. [`TWITTER`]).
    pub platform: &'static str,
    /// The account's id on the platform (the `author_id` of its posts).
    pub account_id: String,
    /// The account's handle (screen name, username, `acct`).
    pub handle: Option<String>,
    /// The account's display name.
    pub display_name: Option<String>,
    /// When the account was created, in ms since the Unix epoch.
    pub account_created_at_ms: Option<i64>,
    /// Followers count at the time of the snapshot.
    pub followers: Option<i64>,
    /// Accounts it follows (Twitter "friends", Mastodon `following_count`).
    pub friends: Option<i64>,
    /// Posts the account had made in all, as its profile counts them.
    pub statuses_count: Option<i64>,
    /// Posts the account had liked (Twitter v1.1 only).
    pub favourites_count: Option<i64>,
    /// Public lists the account is a member of (Twitter).
    pub listed_count: Option<i64>,
    /// Whether the platform showed the account as verified.
    pub verified: Option<bool>,
    /// Whether the profile kept the default theme (Twitter v1.1 only).
    pub default_profile: Option<bool>,
    /// Whether the profile kept the default avatar (Twitter v1.1 only).
    pub default_profile_image: Option<bool>,
    /// The profile's self-description (bio).
    pub description: Option<String>,
    /// The profile's free-text location (4chan: the flag's country name).
    pub location: Option<String>,
    /// The account's own "bot" flag (Mastodon); null where the platform has none.
    pub bot: Option<bool>,
    /// When this snapshot was taken: the time of the post that carried it.
    pub observed_at_ms: i64,
    /// Input order, to break ties between snapshots taken at the same time.
    pub input_order: (u32, u64),
    /// Whether the export format carries favourites count and default-profile flags
    /// (Twitter v1.1 does; v2 and CSVs do not).
    pub has_profile_flags: bool,
    /// Stamp of the snapshot that supplied the profile-flag fields, if any did.
    pub flags_stamp: Option<Stamp>,
    /// Only the id is known (a Bluesky DID in a Jetstream event or an `at://` URI): any
    /// snapshot with a profile replaces it, whatever the times, and it never replaces one.
    pub id_only: bool,
}

/// When and where a snapshot was seen: (post time, (file, line)). Later stamps win.
pub type Stamp = (i64, (u32, u64));

impl AccountRecord {
    pub(super) fn stamp(&self) -> Stamp {
        (self.observed_at_ms, self.input_order)
    }

    /// Merges another snapshot of the same account. The result does not depend on the
    /// order of merging nor on which older snapshots were never built: every field comes
    /// from the latest snapshot whose format carries it. So the latest snapshot wins, but
    /// a v2 snapshot (no favourites count, no default-profile flags) leaves those fields
    /// to the latest v1.1 snapshot instead of erasing them.
    pub fn merge(&mut self, other: AccountRecord) {
        match (self.id_only, other.id_only) {
            (false, true) => return,
            (true, false) => {
                *self = other;
                return;
            }
            _ => {}
        }
        let other_stamp = other.stamp();
        let other_flags = other.flags_stamp;
        let take_flags =
            other_flags.is_some_and(|stamp| self.flags_stamp.is_none_or(|mine| stamp > mine));
        if take_flags {
            self.favourites_count = other.favourites_count;
            self.default_profile = other.default_profile;
            self.default_profile_image = other.default_profile_image;
            self.flags_stamp = other_flags;
        }
        if other_stamp > self.stamp() {
            let AccountRecord {
                handle,
                display_name,
                account_created_at_ms,
                followers,
                friends,
                statuses_count,
                listed_count,
                verified,
                description,
                location,
                bot,
                observed_at_ms,
                input_order,
                ..
            } = other;
            self.handle = handle;
            self.display_name = display_name;
            self.account_created_at_ms = account_created_at_ms;
            self.followers = followers;
            self.friends = friends;
            self.statuses_count = statuses_count;
            self.listed_count = listed_count;
            self.verified = verified;
            self.description = description;
            self.location = location;
            self.bot = bot;
            self.observed_at_ms = observed_at_ms;
            self.input_order = input_order;
        }
    }

    /// Whether a snapshot stamped `stamp` (with or without profile flags) could change
    /// this record; if not, it need not be built.
    pub(super) fn would_take(&self, stamp: Stamp, has_flags: bool) -> bool {
        stamp > self.stamp() || (has_flags && self.flags_stamp.is_none_or(|mine| stamp > mine))
    }
}

/// Latest snapshot per account, merged field by field; keyed by platform, then account id
/// (so that a borrowed id can be looked up before any snapshot is built). Hashed with
/// foldhash (randomly seeded, like std's SipHash, but faster: SipHash on ids was ~4% of
/// ingest time). Records are boxed: a hash table keeps a quarter or more of its slots
/// empty, and a slot holding the ~300-byte record made the table of 2M accounts 1.4 GB,
/// twice over while it grew (10M-post ingest); a boxed slot is 32 bytes.
#[derive(Debug, Default)]
pub struct AccountMap(pub HashMap<&'static str, HashMap<String, Box<AccountRecord>>>);

/// Adds a snapshot to one platform's map, merging it into any held for the same account.
fn add_to(by_id: &mut HashMap<String, Box<AccountRecord>>, account: Box<AccountRecord>) {
    match by_id.get_mut(&account.account_id) {
        Some(existing) => existing.merge(*account),
        None => {
            by_id.insert(account.account_id.clone(), account);
        }
    }
}

impl AccountMap {
    /// Adds a snapshot, merging it into any held for the same account (see
    /// [`AccountRecord::merge`]).
    pub fn add(&mut self, account: Box<AccountRecord>) {
        let by_id = self.0.entry(account.platform).or_default();
        add_to(by_id, account);
    }

    /// Merges every account of `other` into this map. Per platform, the smaller map is
    /// merged into the larger (merging is order-independent, see [`AccountRecord::merge`]),
    /// and a platform only one side has is moved whole: the accounts of a 10M-post file
    /// going into the empty map of the run were a second copy of its table.
    pub fn absorb(&mut self, other: AccountMap) {
        for (platform, theirs) in other.0 {
            let mine = self.0.entry(platform).or_default();
            let (mut larger, smaller) = if theirs.len() > mine.len() {
                (theirs, std::mem::take(mine))
            } else {
                (std::mem::take(mine), theirs)
            };
            for (_, account) in smaller {
                add_to(&mut larger, account);
            }
            *mine = larger;
        }
    }

    /// Number of accounts held, over all platforms.
    pub fn len(&self) -> usize {
        self.0.values().map(HashMap::len).sum()
    }

    /// Whether no account is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// An [`AccountMap`] that parallel parsers merge into as each piece of input is done (so
/// merging overlaps parsing instead of following it on one thread), split into shards by
/// account id so that threads rarely wait on one lock. Merging is order-independent (see
/// [`AccountRecord::merge`]), so the result does not depend on which piece finishes first.
pub struct SharedAccountMap {
    shards: Vec<std::sync::Mutex<AccountMap>>,
    hasher: foldhash::fast::RandomState,
}

impl SharedAccountMap {
    /// An empty map split into `shards` locks (at least one).
    pub fn new(shards: usize) -> Self {
        SharedAccountMap {
            shards: (0..shards.max(1))
                .map(|_| std::sync::Mutex::default())
                .collect(),
            hasher: foldhash::fast::RandomState::default(),
        }
    }

    /// Merges every account of `other`, locking each shard once.
    pub fn absorb(&self, other: AccountMap) {
        use std::hash::BuildHasher;
        let mut by_shard: Vec<Vec<Box<AccountRecord>>> = vec![Vec::new(); self.shards.len()];
        for account in other.0.into_values().flat_map(HashMap::into_values) {
            let shard = self.hasher.hash_one(&account.account_id) as usize % self.shards.len();
            by_shard[shard].push(account);
        }
        for (shard, accounts) in self.shards.iter().zip(by_shard) {
            if accounts.is_empty() {
                continue;
            }
            let mut map = shard
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            for account in accounts {
                map.add(account);
            }
        }
    }

    /// The merged map (shards hold disjoint accounts, so they are simply joined, into maps
    /// sized once: no table is held twice while growing).
    pub fn into_map(self) -> AccountMap {
        let shards: Vec<AccountMap> = self
            .shards
            .into_iter()
            .map(|shard| {
                shard
                    .into_inner()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
            })
            .collect();
        let mut sizes: HashMap<&'static str, usize> = HashMap::default();
        for (platform, by_id) in shards.iter().flat_map(|shard| shard.0.iter()) {
            *sizes.entry(platform).or_default() += by_id.len();
        }
        let mut joined = AccountMap::default();
        for (platform, size) in sizes {
            joined.0.insert(
                platform,
                HashMap::with_capacity_and_hasher(size, Default::default()),
            );
        }
        for shard in shards {
            for (platform, by_id) in shard.0 {
                joined.0.entry(platform).or_default().extend(by_id);
            }
        }
        joined
    }
}

/// Account snapshots carried by one kept post. A snapshot is built only when it is newer
/// than the one already held for that account: readers pass a builder, and the lookup uses
/// the borrowed id. Building snapshots (handles, descriptions) for every post was a third of
/// ingest time.
pub struct AccountOffers<'m> {
    pub(super) map: &'m mut AccountMap,
    pub(super) observed_at_ms: i64,
    pub(super) input_order: (u32, u64),
}

impl AccountOffers<'_> {
    /// Offers a snapshot; `has_profile_flags` says whether the format carries favourites
    /// and default-profile flags (see [`AccountRecord::merge`]).
    pub fn offer(
        &mut self,
        platform: &'static str,
        account_id: &str,
        has_profile_flags: bool,
        build: impl FnOnce() -> AccountRecord,
    ) {
        let stamp = (self.observed_at_ms, self.input_order);
        let stamped = || {
            let mut account = build();
            account.observed_at_ms = stamp.0;
            account.input_order = stamp.1;
            account.has_profile_flags = has_profile_flags;
            account.flags_stamp = has_profile_flags.then_some(stamp);
            account
        };
        let by_id = self.map.0.entry(platform).or_default();
        match by_id.get_mut(account_id) {
            Some(existing) if existing.id_only => **existing = stamped(),
            Some(existing) if !existing.would_take(stamp, has_profile_flags) => {}
            Some(existing) => existing.merge(stamped()),
            None => {
                by_id.insert(account_id.to_string(), Box::new(stamped()));
            }
        }
    }
}

impl AccountOffers<'_> {
    /// Offers an account known only by its id: it gets a row (null profile fields) unless a
    /// snapshot with a profile is, or comes, in the map.
    pub fn offer_id_only(&mut self, platform: &'static str, account_id: &str) {
        let stamp = (self.observed_at_ms, self.input_order);
        let by_id = self.map.0.entry(platform).or_default();
        match by_id.get_mut(account_id) {
            Some(existing) if existing.id_only && stamp > existing.stamp() => {
                existing.observed_at_ms = stamp.0;
                existing.input_order = stamp.1;
            }
            Some(_) => {}
            None => {
                by_id.insert(
                    account_id.to_string(),
                    Box::new(AccountRecord {
                        platform,
                        account_id: account_id.to_string(),
                        observed_at_ms: stamp.0,
                        input_order: stamp.1,
                        id_only: true,
                        ..AccountRecord::default()
                    }),
                );
            }
        }
    }
}

/// The canonical accounts table, sorted by platform and id for stable output.
pub fn accounts_dataframe(accounts: AccountMap) -> PolarsResult<DataFrame> {
    let started = std::time::Instant::now();
    // Sorted by reference: the records are not moved (nor held twice) to be sorted.
    let mut rows: Vec<&AccountRecord> = accounts
        .0
        .values()
        .flat_map(HashMap::values)
        .map(|record| &**record)
        .collect();
    // (platform, id) is unique in the map, so an unstable sort gives one order.
    rows.par_sort_unstable_by(|a, b| (a.platform, &a.account_id).cmp(&(b.platform, &b.account_id)));
    let rows = &rows;
    // One task per column, run in parallel and collected in order. Strings are copied
    // once, into the column, not cloned first.
    type Task<'r> = Box<dyn Fn() -> PolarsResult<Column> + Send + Sync + 'r>;
    macro_rules! column {
        ($name:literal, |$r:ident| $value:expr) => {
            column!($name, |$r| $value, Ok)
        };
        ($name:literal, |$r:ident| $value:expr, $finish:expr) => {
            Box::new(move || {
                $finish(Column::new(
                    $name.into(),
                    rows.iter().map(|$r| $value).collect::<Vec<_>>(),
                ))
            }) as Task<'_>
        };
    }
    let datetime = &DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC));
    let as_time = move |column: Column| column.cast(datetime);
    let tasks: Vec<Task<'_>> = vec![
        column!("platform", |r| r.platform),
        column!("account_id", |r| r.account_id.as_str()),
        column!("handle", |r| r.handle.as_deref()),
        column!("display_name", |r| r.display_name.as_deref()),
        column!("account_created_at", |r| r.account_created_at_ms, as_time),
        column!("followers", |r| r.followers),
        column!("friends", |r| r.friends),
        column!("statuses_count", |r| r.statuses_count),
        column!("favourites_count", |r| r.favourites_count),
        column!("listed_count", |r| r.listed_count),
        column!("verified", |r| r.verified),
        column!("default_profile", |r| r.default_profile),
        column!("default_profile_image", |r| r.default_profile_image),
        column!("description", |r| r.description.as_deref()),
        column!("location", |r| r.location.as_deref()),
        column!("bot", |r| r.bot),
        column!("profile_observed_at", |r| r.observed_at_ms, as_time),
    ];
    let columns = tasks
        .into_par_iter()
        .map(|make| make())
        .collect::<PolarsResult<Vec<Column>>>()?;
    super::timing("accounts table", started);
    DataFrame::new_infer_height(columns)
}
