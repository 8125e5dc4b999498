//! Streaming, parallel reading of line-delimited files: a reader thread decompresses and
//! cuts the input into blocks of whole lines; each block is split into pieces that rayon
//! parses as they arrive, with no pause between blocks (the reader stays a few blocks
//! ahead). Each piece becomes a DataFrame at once and merges its account snapshots into a
//! shared map, so memory follows the canonical columns, never the raw JSON, and no step
//! runs on one core while the others wait.

use std::io::Read;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TryRecvError, sync_channel};
use std::sync::{Arc, Mutex};

use polars::prelude::DataFrame;

use super::IngestError;
use super::in_order::InOrder;
use super::json::RECORD_TOO_LARGE;
use super::record::{AccountMap, Collector, Counts, RecordFilter, SharedAccountMap};

/// How input is cut: bytes per block handed to the parsers, the smallest piece of a
/// block one parser task takes, and the longest line read as a record (a longer one is
/// skipped as `record too large`, and discarded as it streams past when it runs beyond a
/// block: never held whole).
#[derive(Debug, Clone, Copy)]
struct Cutting {
    block_bytes: usize,
    min_piece_bytes: usize,
    max_record_bytes: usize,
}

/// 32 MB blocks in pieces of at least 64 KB.
const CUTTING: Cutting = Cutting {
    block_bytes: 32 << 20,
    min_piece_bytes: 64 << 10,
    max_record_bytes: super::DEFAULT_MAX_RECORD_BYTES,
};

/// Blocks being read or parsed at once: bounds memory to a few blocks whatever the file
/// size, while the reader can fill one block as the parsers work through the others.
const BLOCKS_IN_FLIGHT: usize = 3;

/// What one file (or one part of it) produced.
#[derive(Default)]
pub struct FileOutput {
    /// The kept posts in canonical columns, one DataFrame per piece, in file order.
    pub frames: Vec<DataFrame>,
    /// The account snapshots carried by the kept posts.
    pub accounts: AccountMap,
    /// How the records met were accounted for.
    pub counts: Counts,
    /// Lines that hold nothing (not records, so not in the read/kept/skipped balance).
    pub blank_lines: u64,
}

impl FileOutput {
    /// Takes over what `collector` gathered: its posts become one DataFrame after those
    /// held (none when it kept no post), its accounts and counts are merged.
    pub fn absorb_collector(&mut self, collector: Collector<'_>) -> Result<(), IngestError> {
        let Collector {
            posts,
            accounts,
            counts,
            ..
        } = collector;
        if !posts.is_empty() {
            self.frames.push(posts.into_dataframe()?);
        }
        self.accounts.absorb(accounts);
        self.counts.absorb(counts);
        Ok(())
    }
}

/// What one parsed piece hands back; its accounts have already gone to the shared map.
struct PieceOutput {
    frame: Option<DataFrame>,
    counts: Counts,
    blank_lines: u64,
}

/// A block of input lines; its buffer goes back to the reader when the last piece of it
/// is parsed (fresh 32 MB buffers cost a page fault per 4 KB page: a tenth of ingest time
/// in perf).
struct Block {
    bytes: Vec<u8>,
    recycle: SyncSender<Vec<u8>>,
}

impl Drop for Block {
    fn drop(&mut self) {
        let mut bytes = std::mem::take(&mut self.bytes);
        bytes.clear();
        let _ = self.recycle.try_send(bytes);
    }
}

/// What the reader thread sends. Lines are numbered where the block is split into pieces,
/// which counts them anyway.
enum BlockMessage {
    /// A block of whole lines.
    Lines(Vec<u8>),
    /// One line longer than the record bound, discarded as it was read: its length.
    TooLarge(u64),
    /// The error that ended reading.
    Failed(std::io::Error),
}

/// Calls `parse_line(line, line_number, collector)` for every non-blank line of `reader`,
/// in parallel, keeping the file's order in the output. A line longer than
/// `max_record_bytes` is one skipped record (`record too large`).
pub fn read_lines_parallel<F>(
    reader: Box<dyn Read + Send>,
    filter: &RecordFilter,
    file_index: u32,
    file_label: &str,
    max_record_bytes: usize,
    parse_line: F,
) -> Result<FileOutput, IngestError>
where
    F: Fn(&[u8], u64, &mut Collector<'_>) + Sync,
{
    let cutting = Cutting {
        max_record_bytes: max_record_bytes.max(1),
        ..CUTTING
    };
    read_lines_cut(reader, filter, file_index, file_label, parse_line, cutting)
}

/// The skip of a line longer than the record bound.
fn skip_too_large(collector: &mut Collector<'_>, line: u64, bytes: u64, bound: usize) {
    let detail = format!("{bytes} bytes, more than --max-record-bytes {bound}");
    collector.skip(line, RECORD_TOO_LARGE, Some(&detail));
}

fn read_lines_cut<F>(
    reader: Box<dyn Read + Send>,
    filter: &RecordFilter,
    file_index: u32,
    file_label: &str,
    parse_line: F,
    cutting: Cutting,
) -> Result<FileOutput, IngestError>
where
    F: Fn(&[u8], u64, &mut Collector<'_>) + Sync,
{
    let (sender, receiver) = sync_channel::<BlockMessage>(1);
    let (recycle, recycled) = sync_channel::<Vec<u8>>(BLOCKS_IN_FLIGHT);
    for _ in 0..BLOCKS_IN_FLIGHT {
        let _ = recycle.try_send(Vec::new());
    }
    let accounts = SharedAccountMap::new(64);
    let in_order: Mutex<InOrder<Result<PieceOutput, IngestError>>> = Mutex::default();
    let mut unreadable = None;
    std::thread::scope(|threads| {
        threads.spawn(move || cut_blocks(reader, sender, recycled, cutting));
        rayon::in_place_scope(|parsers| {
            let mut sequence = 0;
            let mut next_line = 1;
            while let Some(message) = next_block(&receiver) {
                let bytes = match message {
                    BlockMessage::Lines(bytes) => bytes,
                    BlockMessage::TooLarge(bytes) => {
                        let mut collector = Collector::new(filter, file_index, file_label);
                        skip_too_large(&mut collector, next_line, bytes, cutting.max_record_bytes);
                        next_line += 1;
                        let output = PieceOutput {
                            frame: None,
                            counts: collector.counts,
                            blank_lines: 0,
                        };
                        InOrder::push_shared(&in_order, sequence, None::<DataFrame>, Ok(output));
                        sequence += 1;
                        continue;
                    }
                    BlockMessage::Failed(error) => {
                        unreadable = Some((error, next_line));
                        break;
                    }
                };
                let block = Arc::new(Block {
                    bytes,
                    recycle: recycle.clone(),
                });
                let wanted = rayon::current_num_threads() * 4;
                let pieces = split_at_lines(&block.bytes, wanted, cutting.min_piece_bytes);
                let block_first_line = next_line;
                next_line += pieces
                    .last()
                    .map_or(0, |last| last.lines_before + last.lines);
                for piece in pieces {
                    let first_line = block_first_line + piece.lines_before;
                    let block = Arc::clone(&block);
                    let (accounts, in_order, parse_line) = (&accounts, &in_order, &parse_line);
                    let piece_number = sequence;
                    sequence += 1;
                    parsers.spawn(move |_| {
                        let parsed = parse_piece(
                            &block.bytes[piece.start..piece.end],
                            first_line..first_line + piece.lines,
                            filter,
                            (file_index, file_label),
                            cutting.max_record_bytes,
                            parse_line,
                            accounts,
                        );
                        drop(block);
                        let (frame, rest) = match parsed {
                            Ok(mut output) => (output.frame.take(), Ok(output)),
                            Err(error) => (None, Err(error)),
                        };
                        InOrder::push_shared(in_order, piece_number, frame, rest);
                    });
                }
            }
        });
    });
    let (frames, pieces) = InOrder::finish_shared(in_order)?;
    let mut output = FileOutput {
        frames,
        ..FileOutput::default()
    };
    for piece in pieces {
        let piece = piece?;
        output.counts.absorb(piece.counts);
        output.blank_lines += piece.blank_lines;
    }
    output.accounts = accounts.into_map();
    if let Some((error, line)) = unreadable {
        // The rest of the file cannot be read (e.g. a truncated gzip stream): count it,
        // keep everything read so far.
        let mut collector = Collector::new(filter, file_index, file_label);
        collector.skip(line, "unreadable rest of file", Some(&error.to_string()));
        output.absorb_collector(collector)?;
    }
    Ok(output)
}

/// The next message from the reader thread. On a rayon worker (ingest called from inside a
/// pool) the wait runs queued parse tasks: otherwise a one-thread pool would wait forever
/// for buffers that only its own queued tasks can free.
fn next_block(receiver: &Receiver<BlockMessage>) -> Option<BlockMessage> {
    if rayon::current_thread_index().is_none() {
        return receiver.recv().ok();
    }
    loop {
        match receiver.try_recv() {
            Ok(message) => return Some(message),
            Err(TryRecvError::Disconnected) => return None,
            Err(TryRecvError::Empty) => {
                if rayon::yield_now() != Some(rayon::Yield::Executed) {
                    match receiver.recv_timeout(std::time::Duration::from_millis(1)) {
                        Ok(message) => return Some(message),
                        Err(RecvTimeoutError::Disconnected) => return None,
                        Err(RecvTimeoutError::Timeout) => {}
                    }
                }
            }
        }
    }
}

fn cut_blocks(
    mut reader: Box<dyn Read + Send>,
    sender: SyncSender<BlockMessage>,
    recycled: Receiver<Vec<u8>>,
    cutting: Cutting,
) {
    let block_bytes = cutting.block_bytes;
    let mut carry: Vec<u8> = Vec::new();
    // A buffer kept back when a line runs past a block (the pool must not lose it).
    let mut spare: Option<Vec<u8>> = None;
    loop {
        // Waits for a free buffer: at most BLOCKS_IN_FLIGHT blocks exist at once.
        let mut block = match spare.take() {
            Some(block) => block,
            None => match recycled.recv() {
                Ok(block) => block,
                Err(_) => return,
            },
        };
        // A buffer grown by a long line goes back to a block's size.
        if block.capacity() > 2 * block_bytes {
            block.shrink_to(block_bytes);
        }
        // The carry is the start of a line that has not ended yet. A long one (see
        // long_line_start) becomes the block itself and is read on into, never copied;
        // reads into it stop two bytes past the record bound (room for a "\r\n"), so it
        // never holds more than that.
        let long_line = carry.len() > block_bytes / 4;
        let read_limit = if long_line {
            std::mem::swap(&mut block, &mut carry);
            (cutting.max_record_bytes.saturating_add(2))
                .saturating_sub(block.len())
                .min(block_bytes)
        } else {
            // The (empty) buffer takes the carry, at most a quarter block, and a block read
            // after it: reserved whole before the carry goes in, so that a recycled buffer
            // is never grown (a grown 32 MB buffer was copied, shrunk back above, and its
            // fresh pages faulted in again: 4% of ingest's samples in perf).
            block.reserve(block_bytes + block_bytes / 4 + 2);
            block.extend_from_slice(&carry);
            carry.clear();
            if carry.capacity() > 2 * block_bytes {
                carry.shrink_to(block_bytes);
            }
            block_bytes
        };
        let read = if read_limit == 0 {
            Ok(usize::MAX) // over the bound already: nothing more to read before skipping
        } else {
            reader
                .by_ref()
                .take(read_limit as u64)
                .read_to_end(&mut block)
        };
        match read {
            Ok(0) => {
                if !block.is_empty() {
                    let _ = sender.send(BlockMessage::Lines(block));
                }
                return;
            }
            Ok(_) => {}
            Err(error) => {
                // Hand over what was read before the error, then the error.
                if !block.is_empty() && sender.send(BlockMessage::Lines(block)).is_err() {
                    return;
                }
                let _ = sender.send(BlockMessage::Failed(error));
                return;
            }
        }
        match memchr::memrchr(b'\n', &block) {
            Some(last_newline) => {
                let tail = &block[last_newline + 1..];
                if tail.len() > block_bytes / 4 {
                    carry = long_line_start(tail, cutting.max_record_bytes);
                } else {
                    carry.extend_from_slice(tail);
                }
                block.truncate(last_newline + 1);
                if sender.send(BlockMessage::Lines(block)).is_err() {
                    return;
                }
            }
            // A line longer than the record bound: read past the rest of it without
            // keeping it, count it, and go on after it.
            None if block.len() > cutting.max_record_bytes => {
                let held = block.len() as u64;
                let discarded = discard_line(&mut reader, &mut block, &mut carry, block_bytes);
                let ended = match discarded {
                    Ok((bytes, at_end)) => {
                        if sender.send(BlockMessage::TooLarge(held + bytes)).is_err() {
                            return;
                        }
                        at_end
                    }
                    Err((bytes, error)) => {
                        if sender.send(BlockMessage::TooLarge(held + bytes)).is_err() {
                            return;
                        }
                        let _ = sender.send(BlockMessage::Failed(error));
                        return;
                    }
                };
                if ended {
                    return;
                }
                block.clear();
                spare = Some(block);
            }
            // One line longer than a block: keep reading until it ends.
            None => {
                if long_line {
                    std::mem::swap(&mut carry, &mut block);
                } else {
                    carry = long_line_start(&block, cutting.max_record_bytes);
                    block.clear();
                }
                spare = Some(block);
            }
        }
    }
}

/// The start of a line longer than a quarter block, in a buffer with room for the longest
/// record, so that reading on into it never reallocates (a grown allocation is copied:
/// the line held twice, and the 2 GB line of issue 13 peaked at 358 MB).
fn long_line_start(start: &[u8], max_record_bytes: usize) -> Vec<u8> {
    let mut room = Vec::new();
    let wanted = max_record_bytes.saturating_add(2).max(start.len());
    if room.try_reserve_exact(wanted).is_err() {
        room.reserve_exact(start.len());
    }
    room.extend_from_slice(start);
    room
}

/// Reads past the rest of the current line a block at a time, through `scratch`, leaving
/// what follows its newline in `carry`. The line's bytes read, and whether the input ended;
/// on a read error, the bytes read before it.
fn discard_line(
    reader: &mut Box<dyn Read + Send>,
    scratch: &mut Vec<u8>,
    carry: &mut Vec<u8>,
    block_bytes: usize,
) -> Result<(u64, bool), (u64, std::io::Error)> {
    let mut bytes = 0u64;
    // Within the scratch buffer's room: growing it would copy it.
    let chunk = scratch.capacity().max(64 << 10).min(block_bytes).max(1);
    loop {
        scratch.clear();
        match reader.by_ref().take(chunk as u64).read_to_end(scratch) {
            Ok(0) => return Ok((bytes, true)),
            Ok(_) => {}
            Err(error) => return Err((bytes + scratch.len() as u64, error)),
        }
        match memchr::memchr(b'\n', scratch) {
            Some(newline) => {
                carry.extend_from_slice(&scratch[newline + 1..]);
                return Ok((bytes + newline as u64, false));
            }
            None => bytes += scratch.len() as u64,
        }
    }
}

/// Parses the lines of one piece (without its final newline), whose numbers are
/// `line_numbers`.
fn parse_piece<F>(
    piece: &[u8],
    line_numbers: std::ops::Range<u64>,
    filter: &RecordFilter,
    (file_index, file_label): (u32, &str),
    max_record_bytes: usize,
    parse_line: &F,
    accounts: &SharedAccountMap,
) -> Result<PieceOutput, IngestError>
where
    F: Fn(&[u8], u64, &mut Collector<'_>) + Sync,
{
    let mut collector = Collector::new(filter, file_index, file_label);
    let mut blank_lines = 0;
    // Lines run last to first so that each account's newest snapshot (files are mostly in
    // time order) is met first and older ones are never built; the piece's rows are put
    // back in file order below.
    let mut line_number = line_numbers.end - 1;
    let mut end = piece.len();
    loop {
        let start = memchr::memrchr(b'\n', &piece[..end]).map_or(0, |newline| newline + 1);
        let line = &piece[start..end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.len() > max_record_bytes {
            skip_too_large(
                &mut collector,
                line_number,
                line.len() as u64,
                max_record_bytes,
            );
        } else if line.iter().all(u8::is_ascii_whitespace) {
            blank_lines += 1;
        } else {
            parse_line(line, line_number, &mut collector);
        }
        if start == 0 {
            break;
        }
        end = start - 1;
        line_number -= 1;
    }
    collector.posts.reverse();
    let Collector {
        posts,
        accounts: piece_accounts,
        counts,
        ..
    } = collector;
    accounts.absorb(piece_accounts);
    let frame = if posts.is_empty() {
        None
    } else {
        Some(posts.into_dataframe()?)
    };
    Ok(PieceOutput {
        frame,
        counts,
        blank_lines,
    })
}

/// A piece of a block: bytes `start..end` (without the final newline), after
/// `lines_before` lines of the block, holding `lines` lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Piece {
    start: usize,
    end: usize,
    lines_before: u64,
    lines: u64,
}

/// Splits a block into up to `wanted` pieces at line boundaries.
fn split_at_lines(block: &[u8], wanted: usize, min_piece: usize) -> Vec<Piece> {
    let target = (block.len() / wanted.max(1)).max(min_piece).max(1);
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut lines_before = 0u64;
    while start < block.len() {
        let tentative = (start + target).min(block.len());
        let end = match memchr::memchr(b'\n', &block[tentative.saturating_sub(1).max(start)..]) {
            Some(offset) => tentative.saturating_sub(1).max(start) + offset + 1,
            None => block.len(),
        };
        let content_end = if block[end - 1] == b'\n' {
            end - 1
        } else {
            end
        };
        let lines = memchr::memchr_iter(b'\n', &block[start..content_end]).count() as u64 + 1;
        pieces.push(Piece {
            start,
            end: content_end,
            lines_before,
            lines,
        });
        lines_before += lines;
        start = end;
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::record::{PostKind, PostRecord, TWITTER};

    /// Each line becomes a post whose id is the line's text (lines starting `bad` are
    /// skipped), so the output shows which lines were read, under which numbers, in order.
    fn echo(bytes: &[u8], line: u64, collector: &mut Collector<'_>) {
        let text = String::from_utf8_lossy(bytes).into_owned();
        if text.starts_with("bad") {
            return collector.skip(line, "bad", None);
        }
        let post = PostRecord::new(TWITTER, text, line as i64, PostKind::Original);
        collector.post(post, line, Vec::new());
    }

    struct FailAfter {
        data: std::io::Cursor<Vec<u8>>,
        limit: u64,
    }

    impl Read for FailAfter {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.data.position() >= self.limit {
                return Err(std::io::Error::other("stream cut"));
            }
            let room = (self.limit - self.data.position()) as usize;
            let n = room.min(buf.len());
            self.data.read(&mut buf[..n])
        }
    }

    fn read(reader: Box<dyn Read + Send>, cutting: Cutting) -> (Vec<(String, u64)>, FileOutput) {
        let filter = RecordFilter::default();
        let output = read_lines_cut(reader, &filter, 0, "test", echo, cutting).unwrap();
        let mut rows = Vec::new();
        for frame in &output.frames {
            let ids = frame.column("post_id").unwrap().str().unwrap();
            let lines = frame.column("source_line").unwrap().u64().unwrap();
            for (id, line) in ids.iter().zip(lines.iter()) {
                rows.push((id.unwrap().to_string(), line.unwrap()));
            }
        }
        (rows, output)
    }

    /// 300 lines: short, long (some longer than a small block), blank, CRLF, bad; no final
    /// newline.
    fn sample() -> (Vec<u8>, Vec<(String, u64)>) {
        let mut input = Vec::new();
        let mut expected = Vec::new();
        for number in 1..=300u64 {
            let line = match number % 7 {
                0 => String::new(),
                3 => format!("bad{number}"),
                5 => format!("{}{number}", "x".repeat(100 + number as usize)),
                _ => format!("line{number}"),
            };
            input.extend_from_slice(line.as_bytes());
            if number % 11 == 0 {
                input.push(b'\r');
            }
            if number < 300 {
                input.push(b'\n');
            }
            if !line.is_empty() && !line.starts_with("bad") {
                expected.push((line, number));
            }
        }
        (input, expected)
    }

    #[test]
    fn lines_keep_their_numbers_and_order_across_blocks_and_pieces() {
        let (input, expected) = sample();
        let cuttings = [
            (16, 1),
            (64, 8),
            (200, 1),
            (1000, 50),
            (CUTTING.block_bytes, CUTTING.min_piece_bytes),
        ];
        for (block_bytes, min_piece_bytes) in cuttings {
            let cutting = Cutting {
                block_bytes,
                min_piece_bytes,
                max_record_bytes: usize::MAX,
            };
            for threads in [1, 3] {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                let reader = Box::new(std::io::Cursor::new(input.clone()));
                let (rows, output) = pool.install(|| read(reader, cutting));
                assert_eq!(rows, expected, "{cutting:?}, {threads} threads");
                assert_eq!(output.counts.records, 300 - 300 / 7);
                assert_eq!(output.counts.skipped(), 43);
                assert_eq!(output.blank_lines, 300 / 7);
            }
        }
    }

    #[test]
    fn a_read_error_keeps_what_came_before_and_names_the_line() {
        let input: Vec<u8> = (1..=200)
            .flat_map(|n| format!("line{n}\n").into_bytes())
            .collect();
        // Cut the stream four bytes into line 151: lines 1-150 are whole, line 151 is "line".
        let line_151: usize = (1..=150).map(|n| format!("line{n}\n").len()).sum();
        let reader = Box::new(FailAfter {
            data: std::io::Cursor::new(input),
            limit: line_151 as u64 + 4,
        });
        let cutting = Cutting {
            block_bytes: 64,
            min_piece_bytes: 8,
            max_record_bytes: usize::MAX,
        };
        let (rows, output) = read(reader, cutting);
        let mut expected: Vec<(String, u64)> = (1..=150).map(|n| (format!("line{n}"), n)).collect();
        expected.push(("line".to_string(), 151));
        assert_eq!(rows, expected);
        assert_eq!(output.counts.records, 152);
        assert_eq!(
            output.counts.skipped_by_reason["unreadable rest of file"],
            1
        );
        let example = &output.counts.skip_examples[0];
        assert_eq!(example.line, 152, "the first line not read");
        assert!(example.reason.contains("stream cut"), "{}", example.reason);
    }

    /// Lines longer than the bound are skipped at their own numbers, whether they fit in a
    /// block, run over several blocks, or end the input without a newline; the lines after
    /// them keep theirs.
    #[test]
    fn lines_over_the_bound_are_skipped_at_their_line() {
        let mut input = Vec::new();
        let mut expected = Vec::new();
        let mut too_large = Vec::new();
        for number in 1..=120u64 {
            let length = match number % 10 {
                3 => 40,     // over the bound, within a block
                6 => 1000,   // over several blocks
                8 | 9 => 20, // exactly the bound (9: followed by "\r\n")
                _ => 5,
            };
            let line: String = format!("l{number:03}")
                .chars()
                .chain(std::iter::repeat('z'))
                .take(length.max(4))
                .collect();
            input.extend_from_slice(line.as_bytes());
            if number % 10 == 9 {
                input.push(b'\r');
            }
            if number < 120 {
                input.push(b'\n');
            }
            if line.len() > 20 {
                too_large.push(number);
            } else {
                expected.push((line, number));
            }
        }
        // A final line over the bound without a newline.
        input.extend_from_slice(b"\n");
        input.extend_from_slice(&[b'y'; 500]);
        too_large.push(121);
        for (block_bytes, min_piece_bytes) in [(16, 1), (21, 2), (64, 8), (300, 50), (4096, 64)] {
            let cutting = Cutting {
                block_bytes,
                min_piece_bytes,
                max_record_bytes: 20,
            };
            let reader = Box::new(std::io::Cursor::new(input.clone()));
            let (rows, output) = read(reader, cutting);
            assert_eq!(rows, expected, "{cutting:?}");
            assert_eq!(output.counts.records, 121, "{cutting:?}");
            assert_eq!(
                output.counts.skipped_by_reason[RECORD_TOO_LARGE],
                too_large.len() as u64
            );
            let lines: Vec<u64> = output.counts.skip_examples.iter().map(|e| e.line).collect();
            assert_eq!(lines, too_large[..lines.len()].to_vec(), "{cutting:?}");
        }
    }

    #[test]
    fn pieces_cover_every_line_once() {
        let block = b"a\nbb\n\nccc\nd\n";
        for wanted in 1..6 {
            let pieces = split_at_lines(block, wanted, 1);
            let mut lines = Vec::new();
            for piece in &pieces {
                assert_eq!(piece.lines_before as usize, lines.len());
                let piece_lines = block[piece.start..piece.end].split(|&b| b == b'\n');
                let before = lines.len();
                lines.extend(piece_lines.map(|l| l.to_vec()));
                assert_eq!(piece.lines as usize, lines.len() - before);
            }
            assert_eq!(
                lines,
                vec![
                    b"a".to_vec(),
                    b"bb".to_vec(),
                    b"".to_vec(),
                    b"ccc".to_vec(),
                    b"d".to_vec()
                ]
            );
        }
        let no_final_newline = b"x\ny";
        let pieces = split_at_lines(no_final_newline, 1, 1);
        assert_eq!(
            pieces,
            vec![Piece {
                start: 0,
                end: 3,
                lines_before: 0,
                lines: 2
            }]
        );
    }
}
