//! The CSV record splitter shared by the CSV readers: one thread finds where records end
//! (csv-core's rules, quoted newlines stay inside a record) and hands whole records' bytes on in
//! ~4 MB batches; rayon workers parse each batch into rows for the reader's row handler,
//! and the pieces are put back in file order, so outputs and counts are those of one pass.

use foldhash::HashMap;
use std::io::{BufRead, Read};
use std::sync::Mutex;

use super::IngestError;
use super::chunks::FileOutput;
use super::in_order::InOrder;
use super::json::RECORD_TOO_LARGE;
use super::record::{Collector, RecordFilter};

/// Column positions by name.
#[derive(Clone)]
pub(super) struct Header(HashMap<String, usize>);

impl Header {
    fn new(record: &csv::StringRecord) -> Self {
        Header(
            record
                .iter()
                .enumerate()
                .map(|(i, name)| (name.trim().to_string(), i))
                .collect(),
        )
    }

    /// The position of the column named `name`.
    pub(super) fn position(&self, name: &str) -> Option<usize> {
        self.0.get(name).copied()
    }

    pub(super) fn get<'r>(&self, row: &'r csv::StringRecord, name: &str) -> Option<&'r str> {
        let value = row.get(*self.0.get(name)?)?.trim();
        (!value.is_empty()).then_some(value)
    }
}

/// A batch of whole records as the splitter hands it on: their raw bytes, cut into parts
/// that are runs of records or skips the splitter found (over the record bound, an
/// unreadable rest of file), in file order, so that every batch's counts come out as one
/// pass would give.
#[derive(Default)]
struct Batch {
    bytes: Vec<u8>,
    parts: Vec<Part>,
    /// The first line of the records run not closed yet.
    open_line: Option<u64>,
}

enum Part {
    /// Records from the previous part's end to `end` in `bytes`, the first at `first_line`.
    Records {
        end: usize,
        first_line: u64,
    },
    Skip(u64, &'static str, String),
}

impl Batch {
    fn close_records(&mut self) {
        if let Some(first_line) = self.open_line.take() {
            let end = self.bytes.len();
            self.parts.push(Part::Records { end, first_line });
        }
    }

    fn skip(&mut self, line: u64, reason: &'static str, detail: String) {
        self.close_records();
        self.parts.push(Part::Skip(line, reason, detail));
    }
}

/// Records handed to a worker at once: about this many bytes of input (or a record more).
const BATCH_BYTES: u64 = 4 << 20;
/// Batches waiting for a worker: bounds the raw text held in memory.
const BATCHES_IN_FLIGHT: usize = 4;

/// Reads a CSV file's rows in parallel. One thread finds where records end with a
/// [`RecordScanner`] (the rules of csv-core, the `csv` crate's parser, with its defaults:
/// quoted fields may hold newlines, so records cannot be cut at line ends) and sends their
/// bytes on in batches of about [`BATCH_BYTES`]; rayon workers cut each batch's records
/// into fields by the same rules and turn them into a piece with its own collector; pieces
/// are put back in file order, so outputs and counts are those of one pass. (The splitter only scans: building
/// every record there held CSV reading to one core's speed.) A record longer than
/// `max_record_bytes` is discarded as it streams past and counted as `record too large`,
/// never held whole; rows with bad UTF-8 are counted as skipped. `on_header` checks the
/// header before any row is read and returns what `handle` reads rows with (e.g. the
/// column of each field, resolved once).
pub(super) fn read_rows_parallel<C: Send + Sync>(
    reader: Box<dyn Read + Send>,
    path_label: &str,
    max_record_bytes: usize,
    filter: &RecordFilter,
    file_index: u32,
    on_header: impl FnOnce(&Header) -> Result<C, IngestError> + Send,
    handle: impl Fn(&C, &csv::StringRecord, u64, &mut Collector<'_>) + Sync,
) -> Result<FileOutput, IngestError> {
    let limits = (max_record_bytes, BATCH_BYTES);
    read_rows_batched(
        reader, path_label, limits, filter, file_index, on_header, handle,
    )
}

/// [`read_rows_parallel`] with the batch size as a parameter (tests cut tiny batches).
pub(super) fn read_rows_batched<C: Send + Sync>(
    reader: Box<dyn Read + Send>,
    path_label: &str,
    (max_record_bytes, batch_bytes): (usize, u64),
    filter: &RecordFilter,
    file_index: u32,
    on_header: impl FnOnce(&Header) -> Result<C, IngestError> + Send,
    handle: impl Fn(&C, &csv::StringRecord, u64, &mut Collector<'_>) + Sync,
) -> Result<FileOutput, IngestError> {
    use rayon::iter::{ParallelBridge, ParallelIterator};
    let (sender, receiver) = std::sync::mpsc::sync_channel::<(usize, Batch)>(BATCHES_IN_FLIGHT);
    let columns: std::sync::OnceLock<C> = std::sync::OnceLock::new();
    let (split, pieces) = std::thread::scope(|scope| {
        let columns = &columns;
        let splitter = scope.spawn(move || {
            let limits = (max_record_bytes, batch_bytes);
            split_records(reader, path_label, limits, columns, on_header, sender)
        });
        // Put back in file order as they finish, their frames concatenated into runs
        // during the read (see `in_order`: 545 MB more at the end of a 459 MB CSV's
        // ingest when they were concatenated only at the end).
        let in_order: Mutex<InOrder<Result<FileOutput, IngestError>>> = Mutex::default();
        receiver
            .into_iter()
            .par_bridge()
            .for_each(|(index, batch)| {
                let columns = columns.get().expect("rows come after the header");
                let mut collector = Collector::new(filter, file_index, path_label);
                let mut rows = RowParser::default();
                let mut start = 0;
                for part in batch.parts {
                    match part {
                        Part::Records { end, first_line } => {
                            let records = &batch.bytes[start..end];
                            rows.parse(records, first_line, &mut |row, line| match row {
                                Ok(row) => handle(columns, row, line, &mut collector),
                                Err(detail) => {
                                    collector.skip(line, "invalid UTF-8", Some(&detail));
                                }
                            });
                            start = end;
                        }
                        Part::Skip(line, reason, detail) => {
                            collector.skip(line, reason, Some(&detail));
                        }
                    }
                }
                let mut piece = FileOutput::default();
                let (frames, rest) = match piece.absorb_collector(collector) {
                    Ok(()) => (std::mem::take(&mut piece.frames), Ok(piece)),
                    Err(error) => (Vec::new(), Err(error)),
                };
                InOrder::push_shared(&in_order, index, frames, rest);
            });
        let split = splitter.join().unwrap_or_else(|_| {
            Err(IngestError::Format {
                path: path_label.to_string(),
                reason: "the CSV reader thread failed".to_string(),
            })
        });
        (split, in_order)
    });
    split?;
    let (frames, pieces) = InOrder::finish_shared(pieces)?;
    let mut output = FileOutput {
        frames,
        ..FileOutput::default()
    };
    for piece in pieces {
        let piece = piece?;
        output.accounts.absorb(piece.accounts);
        output.counts.absorb(piece.counts);
    }
    Ok(output)
}

/// The reader's buffered bytes, refilled when empty (empty at the end of the input);
/// interrupted reads are retried.
fn fill<R: Read>(input: &mut std::io::BufReader<R>) -> std::io::Result<&[u8]> {
    loop {
        match input.fill_buf() {
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
            Ok(_) => break,
        }
    }
    // Buffered now: this returns it without reading again.
    input.fill_buf()
}

/// The number of line ends in `bytes`.
pub(super) fn newlines(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

/// How many bytes at the start of `bytes` are line ends (`\r`, `\n`): empty lines, and the
/// `\n` of a `\r\n` after the record before. csv-core skips them too; cutting them off
/// first gives every record the line its first cell is on.
fn line_ends(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(bytes.len())
}

/// Where a record ends, found by scanning with the quoting rules of csv-core (the parser of
/// the `csv` crate, with its defaults: `,` between fields, `"` quotes a field that starts
/// with it, `""` inside quotes is a quote, a `"` inside an unquoted field is text, `\r` or
/// `\n` outside quotes ends the record), but jumping between the bytes that matter with
/// memchr instead of stepping through every byte. csv-core has no such scanner: its
/// byte-at-a-time automaton, run once to split and once to parse, was a quarter of CSV
/// reading's CPU time. csv-core stays the reference: `tests::scanner_and_fields_agree_with_csv_core`
/// holds the two equal on random inputs made of exactly the bytes that matter.
#[derive(Default)]
pub(super) struct RecordScanner {
    state: ScanState,
}

#[derive(Default, Clone, Copy)]
enum ScanState {
    #[default]
    StartField,
    InField,
    InQuoted,
    QuoteInQuoted,
}

impl RecordScanner {
    /// Scans `bytes`, which continue the record where the last call stopped (a record
    /// starts with no line end before it, see [`line_ends`]): `Some(n)` when the record
    /// ends after `n` bytes (its line end included, the scanner ready for the next
    /// record), `None` when all of `bytes` belong to it.
    pub(super) fn scan(&mut self, bytes: &[u8]) -> Option<usize> {
        let mut at = 0;
        loop {
            match self.state {
                ScanState::StartField => {
                    let &byte = bytes.get(at)?;
                    if byte == b'"' {
                        self.state = ScanState::InQuoted;
                        at += 1;
                    } else {
                        self.state = ScanState::InField;
                    }
                }
                ScanState::InField => {
                    let found = at + memchr::memchr3(b',', b'\n', b'\r', &bytes[at..])?;
                    self.state = ScanState::StartField;
                    if bytes[found] != b',' {
                        return Some(found + 1);
                    }
                    at = found + 1;
                }
                ScanState::InQuoted => {
                    at += memchr::memchr(b'"', &bytes[at..])? + 1;
                    self.state = ScanState::QuoteInQuoted;
                }
                ScanState::QuoteInQuoted => {
                    let &byte = bytes.get(at)?;
                    at += 1;
                    self.state = match byte {
                        b'"' => ScanState::InQuoted,
                        b',' => ScanState::StartField,
                        b'\n' | b'\r' => {
                            self.state = ScanState::StartField;
                            return Some(at);
                        }
                        _ => ScanState::InField,
                    };
                }
            }
        }
    }
}

/// Where a field of a record is: in the input (unquoted) or in the scratch buffer (quoted,
/// unescaped).
enum Span {
    Input(usize, usize),
    Scratch(usize, usize),
}

/// Where the field from `at` ends (its comma or line end, or the end of `input`), and
/// whether the record ends there too.
fn field_end(input: &[u8], at: usize) -> (usize, bool) {
    match memchr::memchr3(b',', b'\n', b'\r', &input[at..]) {
        Some(length) => (at + length, input[at + length] != b','),
        None => (input.len(), true),
    }
}

/// Cuts the record at the start of `input` (no line end before it, see [`line_ends`]) into
/// fields, as csv-core reads them: quotes around a field removed, `""` inside them read as
/// `"`, text after a closing quote kept. Returns how many bytes the record took (its line
/// end included; all of `input` when it has none). Unquoted fields are spans of `input`;
/// quoted ones are unescaped into `scratch`. One pass: fields and the record's end are
/// found together.
fn next_record(input: &[u8], scratch: &mut Vec<u8>, spans: &mut Vec<Span>) -> usize {
    scratch.clear();
    spans.clear();
    let mut at = 0;
    loop {
        let (stop, last) = if input.get(at) != Some(&b'"') {
            let (stop, last) = field_end(input, at);
            spans.push(Span::Input(at, stop));
            (stop, last)
        } else {
            let start = scratch.len();
            at += 1;
            // Inside quotes: up to each quote; `""` is a quote, any other ends the quoting.
            let closed = loop {
                let Some(length) = memchr::memchr(b'"', &input[at..]) else {
                    break false;
                };
                scratch.extend_from_slice(&input[at..at + length]);
                at += length + 1;
                if input.get(at) != Some(&b'"') {
                    break true;
                }
                scratch.push(b'"');
                at += 1;
            };
            // After the closing quote, text up to the field's end is the field's too; a
            // quote never closed runs to the end of the input.
            let (stop, last) = if closed {
                field_end(input, at)
            } else {
                (input.len(), true)
            };
            scratch.extend_from_slice(&input[at..stop]);
            spans.push(Span::Scratch(start, scratch.len()));
            (stop, last)
        };
        if last {
            return (stop + 1).min(input.len());
        }
        at = stop + 1;
    }
}

/// Parses whole records into a reused row, reporting each record's line.
#[derive(Default)]
struct RowParser {
    scratch: Vec<u8>,
    spans: Vec<Span>,
    row: csv::StringRecord,
}

impl RowParser {
    /// Calls `on_row` with each record of `records` (whole records, the first on
    /// `first_line`) and its line: the row, or why it is not one (bad UTF-8). Rows whose
    /// cells are all blank are not records and are passed over.
    fn parse(
        &mut self,
        mut records: &[u8],
        first_line: u64,
        on_row: &mut dyn FnMut(Result<&csv::StringRecord, String>, u64),
    ) {
        let mut line = first_line;
        loop {
            let skipped = line_ends(records);
            line += newlines(&records[..skipped]);
            records = &records[skipped..];
            if records.is_empty() {
                return;
            }
            let record_line = line;
            let length = next_record(records, &mut self.scratch, &mut self.spans);
            let record = &records[..length];
            line += newlines(record);
            records = &records[length..];
            self.row.clear();
            let mut bad = None;
            for (field, span) in self.spans.iter().enumerate() {
                let bytes = match *span {
                    Span::Input(start, end) => &record[start..end],
                    Span::Scratch(start, end) => &self.scratch[start..end],
                };
                match std::str::from_utf8(bytes) {
                    Ok(cell) => self.row.push_field(cell),
                    Err(error) => {
                        bad = Some(format!(
                            "field {}: invalid utf-8: invalid UTF-8 in field {field} near \
                             byte index {}",
                            field + 1,
                            error.valid_up_to()
                        ));
                        break;
                    }
                }
            }
            match bad {
                Some(detail) => on_row(Err(detail), record_line),
                None if self.row.iter().all(|cell| cell.trim().is_empty()) => {}
                None => on_row(Ok(&self.row), record_line),
            }
        }
    }
}

/// The splitter of [`read_rows_parallel`]: the header (checked by `on_header`, whose
/// result goes into `columns`), then every record's bytes, in batches, to `sender`.
fn split_records<C>(
    reader: Box<dyn Read + Send>,
    path_label: &str,
    (max_record_bytes, batch_bytes_limit): (usize, u64),
    columns: &std::sync::OnceLock<C>,
    on_header: impl FnOnce(&Header) -> Result<C, IngestError>,
    sender: std::sync::mpsc::SyncSender<(usize, Batch)>,
) -> Result<(), IngestError> {
    let mut input = std::io::BufReader::with_capacity(1 << 16, reader);
    let mut on_header = Some(on_header);
    let header_error = |reason: String| IngestError::Format {
        path: path_label.to_string(),
        reason: format!("unreadable CSV header: {reason}"),
    };
    let mut batch = Batch::default();
    let mut batches = 0usize;
    let mut send = |batch: &mut Batch| {
        batch.close_records();
        if !batch.parts.is_empty() {
            // A closed channel means the workers are gone; the scope reports why.
            let _ = sender.send((batches, std::mem::take(batch)));
            batches += 1;
        } else {
            batch.bytes.clear();
        }
    };
    let mut line = 1u64;
    // As csv-core does on its first read: a UTF-8 byte-order mark at the very start (what
    // Excel's "CSV UTF-8" writes) is not part of the header; its bytes count toward the
    // header's size.
    let mut bom_bytes = 0u64;
    if fill(&mut input).is_ok_and(|start| start.starts_with(b"\xef\xbb\xbf")) {
        input.consume(3);
        bom_bytes = 3;
    }
    loop {
        // Line ends before the record are not part of it (see line_ends): they start no
        // run of records.
        let mut read_error = None;
        loop {
            let buffer = match fill(&mut input) {
                Ok(buffer) => buffer,
                Err(error) => {
                    read_error = Some(error);
                    break;
                }
            };
            let skipped = line_ends(buffer);
            let whole = skipped == buffer.len() && !buffer.is_empty();
            line += newlines(&buffer[..skipped]);
            if batch.open_line.is_some() {
                // Inside a run of records the worker counts these lines itself.
                batch.bytes.extend_from_slice(&buffer[..skipped]);
            }
            input.consume(skipped);
            if !whole {
                break;
            }
        }
        let record_line = line;
        let record_start = batch.bytes.len();
        let mut record_bytes = std::mem::take(&mut bom_bytes);
        let mut too_large = false;
        let mut scanner = RecordScanner::default();
        while read_error.is_none() {
            let buffer = match fill(&mut input) {
                Ok(buffer) => buffer,
                Err(error) => {
                    read_error = Some(error);
                    break;
                }
            };
            if buffer.is_empty() {
                // The end of the input ends a record begun (a last line without a line
                // end); with none begun, the file is done.
                if record_bytes > 0 {
                    break;
                }
                batch.bytes.truncate(record_start);
                send(&mut batch);
                return Ok(());
            }
            let end = scanner.scan(buffer);
            let read = end.unwrap_or(buffer.len());
            line += newlines(&buffer[..read]);
            record_bytes += read as u64;
            if record_bytes > max_record_bytes as u64 {
                // Keep scanning to find where the record ends, but keep none of it.
                too_large = true;
                batch.bytes.truncate(record_start);
            } else {
                batch.bytes.extend_from_slice(&buffer[..read]);
            }
            input.consume(read);
            if end.is_some() {
                break;
            }
        }
        if let Some(error) = read_error {
            batch.bytes.truncate(record_start);
            if columns.get().is_none() {
                return Err(header_error(error.to_string()));
            }
            batch.skip(record_line, "unreadable rest of file", error.to_string());
            send(&mut batch);
            return Ok(());
        }
        if too_large {
            if columns.get().is_none() {
                return Err(header_error(format!(
                    "longer than --max-record-bytes {max_record_bytes}"
                )));
            }
            let detail =
                format!("{record_bytes} bytes, more than --max-record-bytes {max_record_bytes}");
            batch.skip(record_line, RECORD_TOO_LARGE, detail);
        } else if columns.get().is_none() {
            let header_bytes = std::mem::take(&mut batch.bytes);
            let mut header = None;
            let mut bad = None;
            RowParser::default().parse(&header_bytes, record_line, &mut |row, _| match row {
                Ok(row) => header = Some(Header::new(row)),
                Err(detail) => bad = Some(detail),
            });
            if let Some(detail) = bad {
                return Err(header_error(format!("invalid UTF-8 in {detail}")));
            }
            // A header of blank cells is a header all the same: no column has a name.
            let header = header.unwrap_or_else(|| Header::new(&csv::StringRecord::new()));
            let check = on_header.take().expect("one header");
            let _ = columns.set(check(&header)?);
        } else if batch.open_line.is_none() {
            batch.open_line = Some(record_line);
        }
        if batch.bytes.len() as u64 >= batch_bytes_limit {
            send(&mut batch);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// Records and fields as csv-core reads them (records as lists of fields).
    fn with_csv_core(input: &[u8]) -> Vec<Vec<Vec<u8>>> {
        use csv_core::ReadRecordResult;
        let mut core = csv_core::Reader::new();
        let (mut fields, mut ends) = (vec![0u8; 1 << 16], vec![0usize; 1 << 12]);
        let (mut records, mut rest) = (Vec::new(), input);
        // Output across calls: the last record's final field end comes with the call on
        // empty input, after its bytes came with the calls before.
        let (mut outlen, mut endlen) = (0, 0);
        loop {
            let (result, read, written, ended) =
                core.read_record(rest, &mut fields[outlen..], &mut ends[endlen..]);
            rest = &rest[read..];
            outlen += written;
            endlen += ended;
            match result {
                ReadRecordResult::Record => {
                    let mut start = 0;
                    let record = ends[..endlen]
                        .iter()
                        .map(|&end| {
                            let field = fields[start..end].to_vec();
                            start = end;
                            field
                        })
                        .collect();
                    records.push(record);
                    (outlen, endlen) = (0, 0);
                }
                ReadRecordResult::End => return records,
                ReadRecordResult::InputEmpty => {}
                other => panic!("test buffers too small: {other:?}"),
            }
        }
    }

    /// The same through [`RecordScanner`] (the input fed to it in pieces of `piece` bytes,
    /// as the splitter's buffer refills would) and [`next_record`], which must agree on
    /// where each record ends.
    fn with_scanner(input: &[u8], piece: usize) -> Vec<Vec<Vec<u8>>> {
        let mut records = Vec::new();
        let mut rest = input;
        loop {
            rest = &rest[line_ends(rest)..];
            if rest.is_empty() {
                return records;
            }
            let mut scanner = RecordScanner::default();
            let mut at = 0;
            let end = loop {
                let stop = (at + piece).min(rest.len());
                match scanner.scan(&rest[at..stop]) {
                    Some(length) => break at + length,
                    None if stop == rest.len() => break rest.len() + 1,
                    None => at = stop,
                }
            };
            // The fields of the record the scanner found, cut in one pass.
            let (mut scratch, mut spans) = (Vec::new(), Vec::new());
            let length = next_record(rest, &mut scratch, &mut spans);
            assert_eq!(length, end.min(rest.len()), "record ends disagree");
            let fields = spans
                .iter()
                .map(|span| match *span {
                    Span::Input(start, end) => rest[start..end].to_vec(),
                    Span::Scratch(start, end) => scratch[start..end].to_vec(),
                })
                .collect();
            records.push(fields);
            rest = &rest[length..];
        }
    }

    #[test]
    fn scanner_and_fields_agree_with_csv_core() {
        let alphabet = [
            &b","[..],
            b"\"",
            b"\n",
            b"\r",
            b"\r\n",
            b"a",
            b"bc",
            b" ",
            "é".as_bytes(),
        ];
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(20);
        for case in 0..20_000 {
            let length = rng.random_range(0..40);
            let mut input = Vec::new();
            for _ in 0..length {
                input.extend_from_slice(alphabet[rng.random_range(0..alphabet.len())]);
            }
            let expected = with_csv_core(&input);
            for piece in [1, 3, usize::MAX / 2] {
                assert_eq!(
                    with_scanner(&input, piece),
                    expected,
                    "case {case}, pieces of {piece}: {:?}",
                    String::from_utf8_lossy(&input)
                );
            }
        }
    }

    #[test]
    fn quoted_fields_are_unescaped() {
        let input = b"\"a,\"\"b\"\"\",c\"d\"e,\"x\"y,\"open\r\nquote";
        let records = with_scanner(input, usize::MAX / 2);
        let expected: Vec<Vec<Vec<u8>>> = vec![vec![
            b"a,\"b\"".to_vec(),
            b"c\"d\"e".to_vec(),
            b"xy".to_vec(),
            b"open\r\nquote".to_vec(),
        ]];
        assert_eq!(records, expected);
    }
}
