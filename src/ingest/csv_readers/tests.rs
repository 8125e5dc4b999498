//! Unit tests of `src/ingest/csv_readers.rs`.

use super::*;
use crate::ingest::csv_split::read_rows_batched;
use crate::ingest::json::RECORD_TOO_LARGE;

#[test]
fn list_cells_in_every_encoding() {
    assert_eq!(
        list_cell(Some(r##"["#MacronLeaks", "#France"]"##), &["tag"]),
        vec!["#MacronLeaks", "#France"]
    );
    assert_eq!(
        list_cell(Some(r#"[{"start": 1, "tag": "a"}]"#), &["tag"]),
        vec!["a"]
    );
    assert_eq!(list_cell(Some("a b,c"), &[]), vec!["a", "b", "c"]);
    assert!(list_cell(None, &[]).is_empty());
}

/// A UTF-8 byte-order mark before the header (Excel's "CSV UTF-8") is not part of the first
/// column's name, and a quoted first name is still quoted; a BOM inside the data is text.
#[test]
fn byte_order_mark_before_the_header_is_skipped() {
    let csv = "\u{feff}\"id\",text\n1,\"a\nb\"\n\u{feff}2,c\n";
    let filter = RecordFilter::new(&[], None, None);
    for batch in [1, u64::MAX] {
        let seen = std::sync::Mutex::new(Vec::new());
        read_rows_batched(
            Box::new(std::io::Cursor::new(csv.as_bytes().to_vec())),
            "t.csv",
            (1 << 20, batch),
            &filter,
            0,
            |header| Ok(header.clone()),
            |header, row, line, _| {
                let id = header.get(row, "id").unwrap().to_string();
                let text = header.get(row, "text").unwrap().to_string();
                seen.lock().unwrap().push((id, text, line));
            },
        )
        .unwrap();
        let mut seen = seen.into_inner().unwrap();
        seen.sort_by_key(|(_, _, line)| *line);
        let expected = [
            ("1".to_string(), "a\nb".to_string(), 2),
            ("\u{feff}2".to_string(), "c".to_string(), 4),
        ];
        assert_eq!(seen, expected, "batch {batch}");
    }
}

/// Each row is reported on the line its first cell is on, whatever ends the lines
/// before it (`\r\n`, `\n`, a lone `\r`, empty lines, quoted cells with line ends),
/// with any batch size. (Rows after a `\r\n` used to be one line early.)
#[test]
fn rows_are_on_the_line_their_first_cell_is_on() {
    let mut csv = b"id,text\r\n".to_vec();
    let mut line = 2u64;
    let mut expected = Vec::new();
    for i in 0..200u64 {
        match i % 6 {
            0 => {
                csv.extend_from_slice(b"\r\n\n");
                line += 2;
            }
            1 => {
                csv.extend_from_slice(format!("{line},\"two\r\nlines\"\r\n").as_bytes());
                expected.push(line);
                line += 2;
                continue;
            }
            2 => {
                csv.extend_from_slice(format!("{line},cr only\r").as_bytes());
                expected.push(line);
                continue; // a lone \r ends a record without ending a line
            }
            _ => {}
        }
        csv.extend_from_slice(format!("{line},t\n").as_bytes());
        expected.push(line);
        line += 1;
    }
    csv.extend_from_slice(format!("{line},last without a line end").as_bytes());
    expected.push(line);
    let filter = RecordFilter::new(&[], None, None);
    for batch in [1, 7, 100, u64::MAX] {
        let seen = std::sync::Mutex::new(Vec::new());
        read_rows_batched(
            Box::new(std::io::Cursor::new(csv.clone())),
            "t.csv",
            (1 << 20, batch),
            &filter,
            0,
            |header| Ok(header.clone()),
            |header, row, line, _| {
                let id: u64 = header.get(row, "id").unwrap().parse().unwrap();
                seen.lock().unwrap().push((id, line));
            },
        )
        .unwrap();
        let mut seen = seen.into_inner().unwrap();
        seen.sort_unstable();
        let ids: Vec<u64> = seen.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, expected, "batch {batch}");
        for (id, line) in seen {
            assert_eq!(id, line, "batch {batch}");
        }
    }
}

#[test]
fn fields_name_their_map_keys() {
    let fields = [
        (Field::Id, "id"),
        (Field::Time, "time"),
        (Field::Author, "author"),
        (Field::Handle, "handle"),
        (Field::Text, "text"),
        (Field::Parent, "parent"),
        (Field::RetweetOf, "retweet_of"),
        (Field::QuoteOf, "quote_of"),
        (Field::ParentAuthor, "parent_author"),
        (Field::Kind, "kind"),
        (Field::Hashtags, "hashtags"),
        (Field::Urls, "urls"),
        (Field::Mentions, "mentions"),
        (Field::Lang, "lang"),
        (Field::Thread, "thread"),
        (Field::Platform, "platform"),
    ];
    for (field, key) in fields {
        assert_eq!(MAP_KEYS[field as usize].0, key, "{field:?}");
    }
}

#[test]
fn column_maps_are_checked() {
    let map = parse_column_map("id=message_id, time=timestamp,author=user_id").unwrap();
    assert_eq!(map["author"], "user_id");
    assert!(parse_column_map("id=a").unwrap_err().contains("time"));
    assert!(
        parse_column_map("id=a,time=b,colour=c")
            .unwrap_err()
            .contains("unknown field")
    );
    assert!(parse_column_map("id").is_err());
}

#[test]
fn twarc_text_decodes() {
    assert_eq!(twarc_text("\"a\\nb\""), "a\nb");
    assert_eq!(twarc_text("a\\nb"), "a\nb");
}

#[test]
fn batches_of_any_size_give_one_pass_results() {
    // Quoted newlines, a bad UTF-8 row, an over-long row, blank rows, a bad time.
    let mut csv: Vec<u8> = b"id,time,author,text\n".to_vec();
    for i in 0..300 {
        match i % 50 {
            7 => {
                csv.extend_from_slice(format!("{i},1494009300,a{i},\"bad ").as_bytes());
                csv.extend_from_slice(b"\xff\"\n");
            }
            13 => csv.extend_from_slice(
                format!("{i},1494009300,a{i},\"{}\"\n", "x".repeat(400)).as_bytes(),
            ),
            21 => csv.extend_from_slice(b",,,\n"),
            33 => csv.extend_from_slice(format!("{i},not-a-time,a{i},t\n").as_bytes()),
            _ => csv.extend_from_slice(
                format!(
                    "{i},{},a{},\"line one\nline two #MacronLeaks\"\n",
                    1494009300 + i,
                    i % 17
                )
                .as_bytes(),
            ),
        }
    }
    let map = parse_column_map("id=id,time=time,author=author,text=text").unwrap();
    let filter = RecordFilter::new(&[], None, None);
    let read = |batch: u64, threads: usize| {
        let bytes = csv.clone();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let map = &map;
            read_rows_batched(
                Box::new(std::io::Cursor::new(bytes)),
                "t.csv",
                (200, batch),
                &filter,
                0,
                |header| Ok(header.clone()),
                |header, row, line, collector| {
                    let get = |f: &str| map.get(f).and_then(|c| header.get(row, c));
                    match (get("id"), get("time").and_then(parse_any_time)) {
                        (Some(id), Some(t)) => {
                            let mut post =
                                PostRecord::new(TWITTER, id.into(), t, PostKind::Original);
                            post.text = get("text").map(str::to_string);
                            collector.post(post, line, Vec::new());
                        }
                        _ => collector.skip(line, "bad or missing created_at", get("time")),
                    }
                },
            )
            .unwrap()
        })
    };
    let whole = read(u64::MAX, 1);
    let frame = |o: &FileOutput| {
        let mut frames = o.frames.iter();
        let mut df = frames.next().unwrap().clone();
        for f in frames {
            df.vstack_mut(f).unwrap();
        }
        df
    };
    assert_eq!(whole.counts.records, 294, "6 blank rows are not records");
    assert_eq!(
        whole.counts.skipped_by_reason.get("invalid UTF-8"),
        Some(&6)
    );
    assert_eq!(
        whole.counts.skipped_by_reason.get(RECORD_TOO_LARGE),
        Some(&6)
    );
    for (batch, threads) in [(1, 3), (64, 2), (1000, 3), (u64::MAX, 2)] {
        let cut = read(batch, threads);
        assert!(frame(&cut).equals_missing(&frame(&whole)), "batch {batch}");
        assert_eq!(
            format!("{:?}", cut.counts),
            format!("{:?}", whole.counts),
            "batch {batch}"
        );
    }
    let lines: Vec<u64> = whole.counts.skip_examples.iter().map(|e| e.line).collect();
    assert!(
        lines.windows(2).all(|w| w[0] < w[1]) && lines[0] == 16,
        "{lines:?}"
    );
}
