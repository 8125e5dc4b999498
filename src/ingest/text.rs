//! Text normalisation shared by every reader: hashtags, HTML, client names, timestamps.

use std::sync::LazyLock;

use chrono::format::{Item, Parsed, StrftimeItems};
use chrono::{DateTime, NaiveDate};
use unicode_normalization::UnicodeNormalization;

/// Canonical form of a hashtag: NFKC (so full-width `＃ＭａｃｒｏｎＬｅａｋｓ` folds to ASCII),
/// lower case, without the leading `#`. One campaign tag then has one spelling.
pub fn normalise_hashtag(tag: &str) -> String {
    // ASCII is its own NFKC form and lower-cases byte by byte: most tags, and NFKC of
    // every tag was 5% of the ingest of simulated v1.1 tweets.
    if tag.is_ascii() {
        return tag.trim_start_matches('#').to_ascii_lowercase();
    }
    let folded: String = tag.nfkc().collect::<String>().to_lowercase();
    folded.trim_start_matches('#').to_string()
}

/// Hashtags written in free text (4chan posts, CSVs without entities): `#` followed by
/// letters, digits or underscores, as Twitter's own tokenizer does for the common case.
pub fn hashtags_in_text(text: &str) -> Vec<String> {
    // NFKC makes `#` only from itself, the full-width `＃` and the small `﹟`: without any of
    // them there is no tag, and ASCII text is its own NFKC form (both were most of the cost
    // of reading CSV text).
    if text.is_ascii() {
        return ascii_hashtags(text.as_bytes());
    }
    if !text.contains(['#', '＃', '﹟']) {
        return Vec::new();
    }
    char_hashtags(&text.nfkc().collect::<String>())
}

/// The tags of NFKC-folded text, character by character.
fn char_hashtags(folded: &str) -> Vec<String> {
    let mut tags = Vec::new();
    let mut chars = folded.char_indices().peekable();
    let mut previous: Option<char> = None;
    while let Some((start, c)) = chars.next() {
        let at_word_start = previous.is_none_or(|p| !(p.is_alphanumeric() || p == '_' || p == '&'));
        if c == '#' && at_word_start {
            let body_start = start + 1;
            let mut end = body_start;
            while let Some(&(i, next)) = chars.peek() {
                if next.is_alphanumeric() || next == '_' {
                    end = i + next.len_utf8();
                    chars.next();
                } else {
                    break;
                }
            }
            let body = &folded[body_start..end];
            if body.chars().any(|ch| !ch.is_ascii_digit()) {
                tags.push(body.to_lowercase());
            }
            previous = folded[..end].chars().next_back();
            continue;
        }
        previous = Some(c);
    }
    tags
}

/// [`hashtags_in_text`] for ASCII text (its own NFKC form): jumps from `#` to `#` instead
/// of walking every character, with the same rules (a tag starts where the byte before is
/// not a letter, digit, `_` or `&`, runs over letters, digits and `_`, and is not all
/// digits).
fn ascii_hashtags(text: &[u8]) -> Vec<String> {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut tags = Vec::new();
    for at in memchr::memchr_iter(b'#', text) {
        if at > 0 && (word(text[at - 1]) || text[at - 1] == b'&') {
            continue;
        }
        let body = &text[at + 1..];
        let length = body.iter().position(|&b| !word(b)).unwrap_or(body.len());
        let body = &body[..length];
        if body.iter().any(|b| !b.is_ascii_digit()) {
            let tag = String::from_utf8_lossy(body).to_ascii_lowercase();
            tags.push(tag);
        }
    }
    tags
}

/// A URL in a form where trivial variants meet: lower-case scheme and host, no `www.`,
/// no fragment, no `utm_*` tracking parameters, no trailing slash.
pub fn normalise_url(url: &str) -> String {
    let url = url.trim();
    let without_fragment = url.split('#').next().unwrap_or(url);
    let (base, query) = match without_fragment.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (without_fragment, None),
    };
    let (scheme, rest) = base.split_once("://").unwrap_or(("http", base));
    let (host, path) = match rest.split_once('/') {
        Some((host, path)) => (host, format!("/{path}")),
        None => (rest, String::new()),
    };
    let host = host.to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host);
    let scheme = if scheme.eq_ignore_ascii_case("https") {
        "http"
    } else {
        scheme
    };
    let mut normal = format!(
        "{}://{host}{}",
        scheme.to_ascii_lowercase(),
        path.trim_end_matches('/')
    );
    if let Some(query) = query {
        let kept: Vec<&str> = query
            .split('&')
            .filter(|p| !p.is_empty() && !p.starts_with("utm_"))
            .collect();
        if !kept.is_empty() {
            normal.push('?');
            normal.push_str(&kept.join("&"));
        }
    }
    normal
}

/// Text in a form where copies meet: lower case, words starting `http://`, `https://` or `@`
/// removed, white space collapsed to single spaces; `None` with fewer than `min_words`
/// words left (too short to be telling).
pub fn normalise_text(text: &str, min_words: usize) -> Option<String> {
    let words: Vec<String> = text
        .split_whitespace()
        .filter(|w| !w.starts_with("http://") && !w.starts_with("https://") && !w.starts_with('@'))
        .map(str::to_lowercase)
        .collect();
    (words.len() >= min_words).then(|| words.join(" "))
}

/// URLs written in free text: tokens starting with `http://` or `https://`, trailing
/// punctuation removed.
/// Tokens are separated by whitespace, `<`, `>` and `"`; the text is searched for `http`
/// (memchr's memmem) rather than cut at every separator.
pub fn urls_in_text(text: &str) -> Vec<String> {
    let separator = |c: char| c.is_whitespace() || c == '<' || c == '>' || c == '"';
    let mut urls = Vec::new();
    let mut from = 0;
    while let Some(found) = memchr::memmem::find(&text.as_bytes()[from..], b"http") {
        let start = from + found;
        // A token starts here only after a separator or at the start of the text.
        let token_start = text[..start].chars().next_back().is_none_or(separator);
        let end = text[start..]
            .find(separator)
            .map_or(text.len(), |length| start + length);
        let token = &text[start..end];
        if token_start && (token.starts_with("http://") || token.starts_with("https://")) {
            let url = token.trim_end_matches(['.', ',', ';', ':', ')', '!', '?', '\'']);
            if url.len() > "https://".len() {
                urls.push(url.to_string());
            }
        }
        // The rest of this token holds no token start.
        from = end.max(start + 1);
    }
    urls
}

/// Plain text of 4chan's comment HTML: `<br>` becomes a newline, `<wbr>` (inserted inside
/// long URLs) disappears, other tags are stripped and entities (`&gt;`, `&#039;`) decoded.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('>') else {
            out.push_str(&rest[open..]);
            rest = "";
            break;
        };
        let tag = rest[open + 1..open + close].trim().to_ascii_lowercase();
        if tag == "br" || tag == "br/" || tag == "br /" {
            out.push('\n');
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    html_escape::decode_html_entities(&out).into_owned()
}

/// Twitter v1.1 `source` is an HTML anchor (`<a href="...">Twitter for iPhone</a>`):
/// keep the client name only.
pub fn client_name(source: &str) -> String {
    if source.contains('<') {
        html_to_text(source).trim().to_string()
    } else {
        source.trim().to_string()
    }
}

/// Twitter v1.1 timestamps, e.g. `Fri May 05 18:49:12 +0000 2017`, to Unix milliseconds.
pub fn parse_twitter_v1_time(value: &str) -> Option<i64> {
    let mut parts = value.split_ascii_whitespace();
    let _weekday = parts.next()?;
    let month = match parts.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let day: u32 = parts.next()?.parse().ok()?;
    let clock = parts.next()?;
    let offset = parts.next()?;
    let year: i32 = parts.next()?.parse().ok()?;
    let mut hms = clock.split(':');
    let hour: u32 = hms.next()?.parse().ok()?;
    let minute: u32 = hms.next()?.parse().ok()?;
    let second: u32 = hms.next()?.parse().ok()?;
    let naive = NaiveDate::from_ymd_opt(year, month, day)?.and_hms_opt(hour, minute, second)?;
    let offset_seconds = parse_utc_offset(offset)?;
    Some(naive.and_utc().timestamp_millis() - offset_seconds * 1000)
}

fn parse_utc_offset(offset: &str) -> Option<i64> {
    let (sign, digits) = match offset.as_bytes().first()? {
        b'+' => (1, &offset[1..]),
        b'-' => (-1, &offset[1..]),
        _ => return None,
    };
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hours: i64 = digits[..2].parse().ok()?;
    let minutes: i64 = digits[2..].parse().ok()?;
    Some(sign * (hours * 3600 + minutes * 60))
}

/// ISO 8601 / RFC 3339 timestamps (Twitter v2: `2021-04-01T15:52:32.000Z`) to Unix ms.
pub fn parse_iso_time(value: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(value.trim())
        .ok()
        .map(|t| t.timestamp_millis())
}

/// Unix ms as ISO 8601 UTC to the second (`2017-05-05T18:49:00Z`), the form every summary
/// and report uses; `None` outside chrono's range (±262,000 years: only a damaged input).
pub fn iso_seconds(ms: i64) -> Option<String> {
    // Parsed once: `format(layout)` parses the layout again on every call (a fifth of the
    // graph stage's samples on a million posts).
    static LAYOUT: LazyLock<Vec<Vec<Item<'static>>>> =
        LazyLock::new(|| layouts(&["%Y-%m-%dT%H:%M:%SZ"]));
    iso_utc(ms, chrono::SecondsFormat::Secs, &LAYOUT[0])
}

/// Unix ms in UTC as `layout` writes it, which for years 0000–9999 is chrono's RFC 3339
/// form to `precision` (written several times faster than a layout: the edge lists and
/// Gephi files format millions of times); other years keep the layout's signed form.
fn iso_utc(ms: i64, precision: chrono::SecondsFormat, layout: &[Item<'static>]) -> Option<String> {
    use chrono::Datelike;
    let time = chrono::DateTime::from_timestamp_millis(ms)?;
    Some(if (0..=9999).contains(&time.year()) {
        time.to_rfc3339_opts(precision, true)
    } else {
        time.format_with_items(layout.iter()).to_string()
    })
}

/// The UTC day of Unix ms as ISO 8601 (`2017-05-05`); `None` outside chrono's range.
pub fn iso_date(ms: i64) -> Option<String> {
    static LAYOUT: LazyLock<Vec<Vec<Item<'static>>>> = LazyLock::new(|| layouts(&["%Y-%m-%d"]));
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format_with_items(LAYOUT[0].iter()).to_string())
}

/// Unix ms as ISO 8601 UTC to the millisecond (`2017-05-05T18:49:00.123Z`), as the Gephi
/// files and edge lists carry times; years beyond 0000–9999 signed, as ISO 8601 extends
/// them; `None` outside chrono's range.
pub fn iso_millis(ms: i64) -> Option<String> {
    static LAYOUT: LazyLock<Vec<Vec<Item<'static>>>> =
        LazyLock::new(|| layouts(&["%Y-%m-%dT%H:%M:%S%.3fZ"]));
    iso_utc(ms, chrono::SecondsFormat::Millis, &LAYOUT[0])
}

/// Layouts of [`parse_any_time`] with dashes, parsed once (what
/// `NaiveDateTime::parse_from_str` does on every call).
static DASHED_LAYOUTS: LazyLock<Vec<Vec<Item<'static>>>> = LazyLock::new(|| {
    layouts(&[
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ])
});

/// Month first, as FiveThirtyEight's release of the IRA tweets ("1/2/2017 14:39").
static SLASHED_LAYOUTS: LazyLock<Vec<Vec<Item<'static>>>> =
    LazyLock::new(|| layouts(&["%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M"]));

/// A local time without offset as Telegram Desktop writes `date` (`2020-11-12T12:53:52`,
/// or with a space), what `NaiveDateTime::parse_from_str` gives with either layout, the
/// layouts read once (reading them on every call was a twentieth of a Telegram ingest).
pub fn parse_local_seconds(value: &str) -> Option<chrono::NaiveDateTime> {
    static LAYOUTS: LazyLock<Vec<Vec<Item<'static>>>> =
        LazyLock::new(|| layouts(&["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]));
    LAYOUTS.iter().find_map(|layout| {
        let mut parsed = Parsed::new();
        chrono::format::parse(&mut parsed, value, layout.iter()).ok()?;
        parsed.to_naive_datetime_with_offset(0).ok()
    })
}

fn layouts(formats: &[&str]) -> Vec<Vec<Item<'static>>> {
    formats
        .iter()
        .map(|format| {
            StrftimeItems::new(format)
                .parse_to_owned()
                .expect("a valid time layout")
        })
        .collect()
}

/// A `--since`/`--until` bound: a date (`2017-05-05`, midnight UTC), an ISO 8601 time, or
/// any layout [`parse_any_time`] reads; Unix ms.
pub fn parse_time_bound(value: &str) -> Option<i64> {
    let with_time = if value.len() == 10 {
        format!("{value}T00:00:00Z")
    } else {
        value.to_string()
    };
    parse_iso_time(&with_time).or_else(|| parse_any_time(value))
}

/// Timestamps in generic CSVs: Unix seconds or milliseconds, ISO 8601, `YYYY-MM-DD HH:MM:SS`
/// or `M/D/YYYY HH:MM` (taken as UTC) or the Twitter v1.1 layout.
pub fn parse_any_time(value: &str) -> Option<i64> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if let Ok(number) = value.parse::<f64>() {
        if !number.is_finite() {
            return None;
        }
        // Unix seconds stay below 1e11 until the year 5138; larger values are milliseconds.
        return Some(if number.abs() < 1e11 {
            (number * 1000.0).round() as i64
        } else {
            number.round() as i64
        });
    }
    if let Some(ms) = parse_iso_time(value) {
        return Some(ms);
    }
    // Each layout is tried only on values that have its separator (a failed chrono parse
    // of every layout on every row was a tenth of CSV reading), and each is read from its
    // format string once.
    let layouts: &[Vec<Item<'static>>] = if value.contains('-') {
        &DASHED_LAYOUTS
    } else if value.contains('/') {
        &SLASHED_LAYOUTS
    } else {
        &[]
    };
    for layout in layouts {
        let mut parsed = Parsed::new();
        if chrono::format::parse(&mut parsed, value, layout.iter()).is_ok()
            && let Ok(naive) = parsed.to_naive_datetime_with_offset(0)
        {
            return Some(naive.and_utc().timestamp_millis());
        }
    }
    parse_twitter_v1_time(value)
}

#[cfg(test)]
mod tests {

    /// The RFC 3339 writer gives what the layouts give, for ms across years 0000–9999 (and
    /// the layouts keep the years outside), to the millisecond and to the second.
    #[test]
    fn iso_times_as_the_layouts_write_them() {
        use rand::{Rng, SeedableRng};
        let layout = |ms: i64, format: &str| {
            chrono::DateTime::from_timestamp_millis(ms).map(|t| t.format(format).to_string())
        };
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let year_0 = -62_167_219_200_000i64; // 0000-01-01T00:00:00Z
        let year_10000 = 253_402_300_800_000i64; // 10000-01-01T00:00:00Z
        let mut times: Vec<i64> = (0..20_000)
            .map(|_| rng.random_range(year_0 - 1_000_000..year_10000 + 1_000_000))
            .collect();
        times.extend([
            0,
            -1,
            1,
            999,
            1_000,
            year_0,
            year_0 - 1,
            year_10000,
            year_10000 - 1,
        ]);
        times.extend([
            i64::MIN,
            i64::MAX,
            8_210_266_876_799_999,
            -8_334_632_851_200_000,
        ]);
        for ms in times {
            assert_eq!(iso_millis(ms), layout(ms, "%Y-%m-%dT%H:%M:%S%.3fZ"), "{ms}");
            assert_eq!(iso_seconds(ms), layout(ms, "%Y-%m-%dT%H:%M:%SZ"), "{ms}");
        }
    }

    use super::*;

    /// The ASCII shortcut finds what the character walk finds, on text made of the
    /// characters that matter to it.
    #[test]
    fn urls_normalise() {
        assert_eq!(
            normalise_url("https://www.Pastebin.com/Kp3Dx8z1/"),
            "http://pastebin.com/Kp3Dx8z1"
        );
        assert_eq!(
            normalise_url("http://lemonde.fr/a?utm_source=tw&id=3#top"),
            "http://lemonde.fr/a?id=3"
        );
    }

    /// The memmem search finds the tokens that cutting at every separator finds.
    #[test]
    fn urls_match_cutting_at_separators() {
        fn by_cutting(text: &str) -> Vec<String> {
            text.split(|c: char| c.is_whitespace() || c == '<' || c == '>' || c == '"')
                .filter(|token| token.starts_with("http://") || token.starts_with("https://"))
                .map(|token| {
                    token
                        .trim_end_matches(['.', ',', ';', ':', ')', '!', '?', '\''])
                        .to_string()
                })
                .filter(|url| url.len() > "https://".len())
                .collect()
        }
        let pieces = [
            "http://",
            "https://",
            "http",
            "x",
            "a.b/c",
            " ",
            "<",
            ">",
            "\"",
            "\u{a0}",
            ".",
            ")",
            "é",
            "\n",
            "https://t.co/x",
        ];
        let mut state = 11u64;
        for _ in 0..20_000 {
            let count = (state >> 61) as usize + 1;
            let text: String = (0..count * 2)
                .map(|_| {
                    state = state
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    pieces[(state >> 33) as usize % pieces.len()]
                })
                .collect();
            assert_eq!(urls_in_text(&text), by_cutting(&text), "{text:?}");
        }
    }

    #[test]
    fn ascii_hashtags_match_the_character_walk() {
        let alphabet = b"#a_&1 .Z9";
        let mut state = 7u64;
        for _ in 0..20_000 {
            let length = (state >> 60) as usize + 1;
            let text: String = (0..length)
                .map(|_| {
                    state = state
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    alphabet[(state >> 33) as usize % alphabet.len()] as char
                })
                .collect();
            assert_eq!(
                ascii_hashtags(text.as_bytes()),
                char_hashtags(&text),
                "{text:?}"
            );
        }
    }

    #[test]
    fn month_first_times_as_in_the_ira_release() {
        let t = parse_any_time("1/2/2017 14:39").unwrap();
        assert_eq!(t, parse_any_time("2017-01-02 14:39:00").unwrap());
        assert_eq!(
            parse_any_time("05/06/2017 00:48:58").unwrap(),
            parse_any_time("2017-05-06T00:48:58Z").unwrap()
        );
        assert_eq!(parse_any_time("13/01/2017 10:00"), None);
    }

    #[test]
    fn hashtag_variants_fold_to_one() {
        for variant in [
            "#MacronLeaks",
            "macronleaks",
            "＃ＭａｃｒｏｎＬｅａｋｓ",
            "MACRONLEAKS",
        ] {
            assert_eq!(normalise_hashtag(variant), "macronleaks", "{variant}");
        }
    }

    /// The ASCII fast path gives what NFKC, lower case and trimming give.
    #[test]
    fn ascii_hashtags_fold_as_nfkc_does() {
        let every_ascii: String = (0u8..128).map(char::from).collect();
        for tag in [
            "#MacronLeaks",
            "##Two#Hashes",
            "",
            "#",
            "MiXeD_123",
            " #spaced ",
            every_ascii.as_str(),
        ] {
            let slow: String = tag.nfkc().collect::<String>().to_lowercase();
            assert_eq!(
                normalise_hashtag(tag),
                slow.trim_start_matches('#'),
                "{tag:?}"
            );
        }
    }

    #[test]
    fn hashtags_are_the_same_before_and_after_nfkc() {
        // The fast paths (no `#` at all; ASCII text) must give what folding first gives.
        for text in [
            "no tags here at all",
            "plain #ascii_tag and #two",
            "café #Élection2017 ﹟small ＃ＷＩＤＥ",
            "&#039; #1234 #a1",
        ] {
            let folded: String = text.nfkc().collect();
            assert_eq!(hashtags_in_text(text), hashtags_in_text(&folded), "{text}");
        }
        assert_eq!(
            hashtags_in_text("x ＃ＷＩＤＥ ﹟small"),
            vec!["wide".to_string(), "small".to_string()]
        );
    }

    #[test]
    fn hashtags_found_in_free_text() {
        let tags =
            hashtags_in_text("Leak is out #MacronLeaks! see ＃Ｆｒａｎｃｅ and #2017 a#b &#039;");
        assert_eq!(tags, vec!["macronleaks", "france"]);
    }

    #[test]
    fn fourchan_html_becomes_text() {
        let html = "<a href=\"#p123\" class=\"quotelink\">&gt;&gt;123</a><br><span class=\"quote\">&gt;implying</span><br>https://paste<wbr>bin.com/abc isn&#039;t";
        assert_eq!(
            html_to_text(html),
            ">>123\n>implying\nhttps://pastebin.com/abc isn't"
        );
    }

    #[test]
    fn v1_time_parses_with_offsets() {
        let utc = parse_twitter_v1_time("Fri May 05 18:49:12 +0000 2017").unwrap();
        assert_eq!(utc, 1_494_010_152_000);
        let paris = parse_twitter_v1_time("Fri May 05 20:49:12 +0200 2017").unwrap();
        assert_eq!(paris, utc);
        assert!(parse_twitter_v1_time("Fri Foo 05 18:49:12 +0000 2017").is_none());
        assert!(parse_twitter_v1_time("garbage").is_none());
    }

    #[test]
    fn generic_times() {
        assert_eq!(parse_any_time("1494010152"), Some(1_494_010_152_000));
        assert_eq!(parse_any_time("1494010152000"), Some(1_494_010_152_000));
        assert_eq!(
            parse_any_time("2017-05-05T18:49:12Z"),
            Some(1_494_010_152_000)
        );
        assert_eq!(
            parse_any_time("2017-05-05 18:49:12"),
            Some(1_494_010_152_000)
        );
        assert_eq!(parse_any_time("soon"), None);
    }

    #[test]
    fn client_names_lose_html() {
        assert_eq!(
            client_name(
                "<a href=\"http://twitter.com/download/iphone\" rel=\"nofollow\">Twitter for iPhone</a>"
            ),
            "Twitter for iPhone"
        );
        assert_eq!(client_name("Twitter Web App"), "Twitter Web App");
    }

    #[test]
    fn urls_from_text() {
        assert_eq!(
            urls_in_text("see https://pastebin.com/abc. and http://x.org/a)"),
            vec!["https://pastebin.com/abc", "http://x.org/a"]
        );
    }
}
