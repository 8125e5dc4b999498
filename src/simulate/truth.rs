//! Writer: the ground-truth CSV.

use super::*;

pub(super) fn write_truth(
    world: &World,
    chan: &ChanPlan,
    others: &[platforms::PlatformPlan],
    path: &Path,
) -> Result<()> {
    let mut rows: Vec<(&str, String, String, bool, &str)> = Vec::new();
    for (a, acct) in world.accounts.iter().enumerate() {
        if world.tallies.posts_by_account[a] > 0 {
            rows.push((
                "twitter",
                acct.id.to_string(),
                world.profile(a).handle,
                acct.kind.is_bot(),
                acct.kind.name(),
            ));
        }
    }
    for thread in &chan.threads {
        let posters: std::collections::BTreeSet<usize> =
            thread.posts.iter().map(|&p| chan.posts[p].poster).collect();
        for p in posters {
            let id = &thread.poster_ids[p];
            rows.push((
                "4chan",
                format!("pol/{}/{id}", thread.no),
                id.clone(),
                false,
                "human",
            ));
        }
    }
    for other in others {
        for (acct, posting) in other.accounts.iter().zip(other.posting()) {
            if posting {
                rows.push((
                    other.platform.name(),
                    acct.key.clone(),
                    acct.handle.clone(),
                    acct.is_bot,
                    acct.kind,
                ));
            }
        }
    }
    rows.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    let mut writer = csv::Writer::from_path(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    writer.write_record(["platform", "account_id", "handle", "is_bot", "kind"])?;
    for (platform, id, handle, is_bot, kind) in rows {
        writer.write_record([
            platform,
            &id,
            &handle,
            if is_bot { "true" } else { "false" },
            kind,
        ])?;
    }
    writer.flush()?;
    Ok(())
}
