//! Helpers shared by the JSON readers: error classification and whole-document files
//! (JSON arrays, search responses, pretty-printed 4chan threads).

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde_json::error::Category;
use serde_json::value::RawValue;

use super::record::Collector;

/// A JSON string, borrowed from the input when it holds no escapes. Readers use
/// `Option<JsonStr>` rather than `Option<Cow<str>>`: serde's `borrow` does not reach
/// through the `Option`, so every `Option<Cow<str>>` field was copied into a fresh `String`
/// (allocation was 9% of ingest samples, half of it here).
#[derive(Debug, serde::Deserialize)]
pub struct JsonStr<'a>(#[serde(borrow)] pub Cow<'a, str>);

impl std::ops::Deref for JsonStr<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

/// Deserialises one record. UTF-8 is checked once for the whole record so that serde_json
/// need not check every string it borrows (per-string checks were 5% of ingest time); a
/// record with invalid bytes goes to the checking parser, which names the error, and
/// which still reads a record whose invalid bytes sit only in fields tagscope skips.
pub fn from_record<'a, T: serde::Deserialize<'a>>(bytes: &'a [u8]) -> serde_json::Result<T> {
    match std::str::from_utf8(bytes) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(bytes),
    }
}

/// The deepest nesting of arrays and objects serde_json reads (its recursion limit is 128:
/// the 128th level is an error); a record nested deeper cannot be read.
pub const MAX_NESTING: usize = 127;

/// Skip reason for a record nested deeper than [`MAX_NESTING`].
pub const NESTING_TOO_DEEP: &str = "nesting too deep";

/// Skip reason for a record longer than `--max-record-bytes`.
pub const RECORD_TOO_LARGE: &str = "record too large";

/// Whether the arrays and objects of `bytes` nest deeper than `limit` (brackets inside
/// strings do not count). A loop, never recursion: any depth is safe to measure. Only run
/// on records that failed to parse, to name the reason.
pub fn nesting_exceeds(bytes: &[u8], limit: usize) -> bool {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &byte in bytes {
        if in_string {
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_string = false;
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// Counts a record serde_json could not read, under a reason that groups well.
pub fn skip_json_error(
    bytes: &[u8],
    line: u64,
    error: &serde_json::Error,
    collector: &mut Collector<'_>,
) {
    let too_deep = error.classify() == Category::Syntax
        && error.to_string().starts_with("recursion limit exceeded");
    if too_deep || nesting_exceeds(bytes, MAX_NESTING) {
        let detail = format!("arrays/objects nested more than {MAX_NESTING} deep ({error})");
        return collector.skip(line, NESTING_TOO_DEEP, Some(&detail));
    }
    let reason = if std::str::from_utf8(bytes).is_err() {
        "invalid UTF-8"
    } else {
        match error.classify() {
            Category::Eof => "truncated JSON",
            Category::Syntax => "invalid JSON",
            Category::Data => "wrong field type",
            Category::Io => "read error",
        }
    };
    collector.skip(line, reason, Some(&error.to_string()));
}

/// A whole JSON document held in memory. Only used for shapes that are one document by
/// nature (API responses, thread files), which are small; line-delimited files stream.
pub struct JsonDocument {
    /// The document's bytes, as read (decompressed).
    pub bytes: Vec<u8>,
}

impl JsonDocument {
    /// The items of the document: the elements of a top-level array, or of the array under
    /// the first of `keys` that the top-level object has, or the object itself. Each comes
    /// with the line it starts on.
    ///
    /// A broken document (an export cut short, a stray byte) still gives the complete items
    /// before the break, with the error: a download interrupted at 90% keeps 90% of its
    /// records instead of none.
    pub fn items<'a>(
        &'a self,
        keys: &[&str],
    ) -> (Vec<(&'a RawValue, u64)>, Option<serde_json::Error>) {
        let (items, error) = match self.whole_items(keys) {
            Ok(items) => (items, None),
            Err(error) => (items_before_break(&self.bytes, keys), Some(error)),
        };
        (self.with_lines(items), error)
    }

    fn whole_items<'a>(&'a self, keys: &[&str]) -> Result<Vec<&'a RawValue>, serde_json::Error> {
        let root: &RawValue = serde_json::from_slice(&self.bytes)?;
        let text = root.get().trim_start();
        if text.starts_with('[') {
            serde_json::from_str(root.get())
        } else if text.starts_with('{') {
            let object: BTreeMap<Cow<'a, str>, &'a RawValue> = serde_json::from_str(root.get())?;
            match keys.iter().find_map(|k| object.get(*k)) {
                Some(array) if array.get().trim_start().starts_with('[') => {
                    serde_json::from_str(array.get())
                }
                _ => Ok(vec![root]),
            }
        } else {
            Ok(vec![root])
        }
    }

    fn with_lines<'a>(&'a self, items: Vec<&'a RawValue>) -> Vec<(&'a RawValue, u64)> {
        let mut lines = LineCounter::new(&self.bytes);
        items
            .into_iter()
            .map(|item| (item, lines.line_of(item.get())))
            .collect()
    }

    /// Calls `parse` on every item; the error of a broken document counts as one skipped
    /// record at the line serde_json names, after the items before it.
    pub fn for_each_item(
        &self,
        keys: &[&str],
        collector: &mut Collector<'_>,
        parse: fn(&[u8], u64, &mut Collector<'_>),
    ) {
        let (items, error) = self.items(keys);
        for (item, line) in items {
            parse(item.get().as_bytes(), line, collector);
        }
        if let Some(error) = error {
            skip_json_error(&self.bytes, error.line() as u64, &error, collector);
        }
    }
}

/// Line numbers of values borrowed from one buffer (a document), counted incrementally:
/// values met in document order cost one pass over the document in all.
pub struct LineCounter<'a> {
    bytes: &'a [u8],
    line: u64,
    scanned: usize,
}

impl<'a> LineCounter<'a> {
    /// A counter over `bytes`, starting at line 1.
    pub fn new(bytes: &'a [u8]) -> Self {
        LineCounter {
            bytes,
            line: 1,
            scanned: 0,
        }
    }

    /// The line `value` (a slice of the buffer) starts on; a value outside the buffer is on
    /// the last line counted.
    pub fn line_of(&mut self, value: &str) -> u64 {
        let base = self.bytes.as_ptr() as usize;
        let offset = (value.as_ptr() as usize)
            .saturating_sub(base)
            .min(self.bytes.len());
        if offset < self.scanned {
            // Out of order: count again from the start.
            self.line = 1;
            self.scanned = 0;
        }
        if offset > self.scanned {
            self.line +=
                memchr::memchr_iter(b'\n', &self.bytes[self.scanned..offset]).count() as u64;
            self.scanned = offset;
        }
        self.line
    }
}

/// An id written as a JSON string or number (Mastodon 1.x integers, 4.x strings; Telegram
/// `from_id` as `"user123"` or, in old exports, an integer), as its decimal text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlexId(pub String);

impl<'de> serde::Deserialize<'de> for FlexId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = FlexId;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an id as a string or an integer")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<FlexId, E> {
                Ok(FlexId(v.to_string()))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<FlexId, E> {
                Ok(FlexId(v.to_string()))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<FlexId, E> {
                Ok(FlexId(v.to_string()))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl FlexId {
    /// The id, unless empty.
    pub fn text(&self) -> Option<&str> {
        Some(self.0.as_str()).filter(|s| !s.is_empty())
    }
}

/// A number written as a JSON number or a string of one (Reddit `created_utc` is an
/// integer, a float or a string depending on the dump; Telegram `date_unixtime` a string).
/// A string that is not a number reads as `None`, not as an error: the reader names it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FlexNumber(pub Option<f64>);

impl<'de> serde::Deserialize<'de> for FlexNumber {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = FlexNumber;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number or a string of one")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<FlexNumber, E> {
                Ok(FlexNumber(
                    v.trim().parse::<f64>().ok().filter(|n| n.is_finite()),
                ))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<FlexNumber, E> {
                Ok(FlexNumber(Some(v as f64)))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<FlexNumber, E> {
                Ok(FlexNumber(Some(v as f64)))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<FlexNumber, E> {
                Ok(FlexNumber(Some(v).filter(|n| n.is_finite())))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl FlexNumber {
    /// Unix seconds (as written) to Unix ms, if in chrono's range.
    pub fn seconds_to_ms(self) -> Option<i64> {
        let seconds = self.0?;
        let ms = (seconds * 1000.0).round();
        // chrono's DateTime covers about ±262,000 years: ±8.2e15 ms.
        (ms.abs() < 8.0e15).then_some(ms as i64)
    }
}

/// Where a streamed array stands.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ArrayPhase {
    Before,
    Between,
    InItem,
    After,
}

/// The items of a top-level JSON array too large to hold whole, read as a stream one item
/// at a time (each with the line it starts on) and handed to `parse`; an item longer than
/// `max_record_bytes` is skipped as `record too large` while it streams past. The array is
/// cut into items by bracket depth outside strings (a loop, never recursion); each item is
/// then parsed on its own, so a broken item costs only itself. Input that ends early or a
/// read error is one more skipped record at the line where it happened, after the items
/// before it.
pub fn stream_array_items(
    reader: &mut dyn std::io::Read,
    max_record_bytes: usize,
    collector: &mut Collector<'_>,
    parse: &mut dyn FnMut(&[u8], u64, &mut Collector<'_>),
) {
    let mut buffer = vec![0u8; 1 << 20];
    let mut phase = ArrayPhase::Before;
    let mut line = 1u64;
    let mut item: Vec<u8> = Vec::new();
    let mut item_bytes = 0u64;
    let mut item_line = 1u64;
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut at_start = true;
    let mut finish =
        |item: &mut Vec<u8>, item_bytes: &mut u64, line: u64, c: &mut Collector<'_>| {
            if *item_bytes > max_record_bytes as u64 {
                let detail =
                    format!("{item_bytes} bytes, more than --max-record-bytes {max_record_bytes}");
                c.skip(line, RECORD_TOO_LARGE, Some(&detail));
            } else {
                parse(item, line, c);
            }
            item.clear();
            *item_bytes = 0;
        };
    loop {
        let filled = match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => {
                if phase == ArrayPhase::InItem {
                    collector.skip(
                        item_line,
                        "truncated JSON",
                        Some("input ends inside an item"),
                    );
                }
                collector.skip(line, "unreadable rest of file", Some(&error.to_string()));
                return;
            }
        };
        let mut chunk = &buffer[..filled];
        if at_start {
            chunk = chunk.strip_prefix(b"\xef\xbb\xbf").unwrap_or(chunk);
            at_start = false;
        }
        for &byte in chunk {
            if byte == b'\n' {
                line += 1;
            }
            match phase {
                ArrayPhase::Before | ArrayPhase::After => {
                    if byte.is_ascii_whitespace() {
                        continue;
                    }
                    if phase == ArrayPhase::Before && byte == b'[' {
                        phase = ArrayPhase::Between;
                        continue;
                    }
                    let detail = format!("unexpected byte {byte:#04x} outside the array");
                    collector.skip(line, "invalid JSON", Some(&detail));
                    return;
                }
                ArrayPhase::Between => {
                    if byte.is_ascii_whitespace() || byte == b',' {
                        continue;
                    }
                    if byte == b']' {
                        phase = ArrayPhase::After;
                        continue;
                    }
                    phase = ArrayPhase::InItem;
                    item_line = line;
                    depth = 0;
                    in_string = false;
                    escaped = false;
                }
                ArrayPhase::InItem => {}
            }
            // Inside an item.
            let mut ends = false;
            if in_string {
                if escaped {
                    escaped = false;
                } else if byte == b'\\' {
                    escaped = true;
                } else if byte == b'"' {
                    in_string = false;
                }
            } else {
                match byte {
                    b'"' => in_string = true,
                    b'[' | b'{' => depth += 1,
                    b']' | b'}' if depth == 0 => {
                        // A scalar item closed by the end of the array.
                        finish(&mut item, &mut item_bytes, item_line, collector);
                        phase = ArrayPhase::After;
                        continue;
                    }
                    b']' | b'}' => {
                        depth -= 1;
                        ends = depth == 0;
                    }
                    b',' if depth == 0 => {
                        finish(&mut item, &mut item_bytes, item_line, collector);
                        phase = ArrayPhase::Between;
                        continue;
                    }
                    _ => {}
                }
            }
            item_bytes += 1;
            if item.len() < max_record_bytes {
                item.push(byte);
            }
            if ends {
                finish(&mut item, &mut item_bytes, item_line, collector);
                phase = ArrayPhase::Between;
            }
        }
    }
    match phase {
        ArrayPhase::After => {}
        ArrayPhase::InItem if depth == 0 && !in_string => {
            // A scalar item at the very end: the array is still unclosed.
            finish(&mut item, &mut item_bytes, item_line, collector);
            collector.skip(line, "truncated JSON", Some("the array is not closed"));
        }
        ArrayPhase::InItem => collector.skip(
            item_line,
            "truncated JSON",
            Some("input ends inside an item"),
        ),
        ArrayPhase::Before | ArrayPhase::Between => {
            collector.skip(line, "truncated JSON", Some("the array is not closed"))
        }
    }
}

/// The complete items of a broken JSON document up to its first error, read as a stream:
/// the elements of a top-level array, or of the array under the first of `keys` that the
/// top-level object has. Nothing for anything else.
pub fn items_before_break<'a>(bytes: &'a [u8], keys: &[&str]) -> Vec<&'a RawValue> {
    let mut items = Vec::new();
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let opening = bytes.iter().find(|b| !b.is_ascii_whitespace());
    // The error is the caller's already: what matters is what came before it.
    let _ = match opening {
        Some(b'[') => serde::Deserializer::deserialize_seq(&mut deserializer, Elements(&mut items)),
        Some(b'{') => serde::Deserializer::deserialize_map(
            &mut deserializer,
            ElementsUnder {
                keys,
                items: &mut items,
            },
        ),
        _ => Ok(()),
    };
    items
}

/// Streams the elements of a JSON array into `items` until the array ends or breaks (the
/// items before a break are kept: the caller's vector holds them).
pub struct Elements<'v, 'de>(pub &'v mut Vec<&'de RawValue>);

impl<'de> serde::de::Visitor<'de> for Elements<'_, 'de> {
    type Value = ();

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("a JSON array")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(item) = seq.next_element::<&'de RawValue>()? {
            self.0.push(item);
        }
        Ok(())
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for Elements<'_, 'de> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

/// Streams the elements of the array under the first of `keys` met in a JSON object.
struct ElementsUnder<'v, 'k, 'de> {
    keys: &'k [&'k str],
    items: &'v mut Vec<&'de RawValue>,
}

impl<'de> serde::de::Visitor<'de> for ElementsUnder<'_, '_, 'de> {
    type Value = ();

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("a JSON object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if self.keys.contains(&key.as_ref()) {
                return map.next_value_seed(Elements(self.items));
            }
            map.next_value::<serde::de::IgnoredAny>()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_borrowed_unless_escaped() {
        #[derive(serde::Deserialize)]
        struct Record<'a> {
            #[serde(borrow)]
            plain: Option<JsonStr<'a>>,
            #[serde(borrow)]
            escaped: Option<JsonStr<'a>>,
            #[serde(borrow)]
            missing: Option<JsonStr<'a>>,
        }
        let record: Record =
            from_record(br#"{"plain":"abc","escaped":"a\nb \u00e9","extra":1}"#).unwrap();
        assert!(matches!(
            record.plain.as_ref().unwrap().0,
            Cow::Borrowed("abc")
        ));
        assert!(matches!(record.escaped.as_ref().unwrap().0, Cow::Owned(_)));
        assert_eq!(record.escaped.as_deref(), Some("a\nb é"));
        assert!(record.missing.is_none());
        assert!(from_record::<Record>(br#"{"plain":1}"#).is_err());
    }
}
