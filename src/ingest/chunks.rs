//! Streaming, parallel reading of line-delimited files: a reader thread decompresses and
//! cuts the input into blocks of whole lines; each block is split into pieces that rayon
//! parses as they arrive, with no pause between blocks (the reader stays a few blocks
//! ahead). Each piece becomes a DataFrame at once and merges its account snapshots into a
//! shared map, so memory follows the canonical columns, never the raw JSON, and no step
//! runs on one core while the others wait.

use std::io::Read;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};

use polars::prelude::DataFrame;

use super::IngestError;
use super::record::{AccountMap, Collector, Counts, RecordFilter, SharedAccountMap};

/// Bytes of input per block handed to the parser threads.
const BLOCK_BYTES: usize = 32 << 20;

/// Blocks being read or parsed at once: bounds memory to a few blocks whatever the file
/// size, while the reader can fill one block as the parsers work through the others.
const BLOCKS_IN_FLIGHT: usize = 3;

/// What one file (or one part of it) produced.
#[derive(Default)]
pub struct FileOutput {
    pub frames: Vec<DataFrame>,
    pub accounts: AccountMap,
    pub counts: Counts,
    /// Lines that hold nothing (not records, so not in the read/kept/skipped balance).
    pub blank_lines: u64,
}

impl FileOutput {
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

/// What the reader thread sends: a block of whole lines with the number of its first
/// line, or the error that ended reading with the number of the first line not read.
type BlockMessage = Result<(Vec<u8>, u64), (std::io::Error, u64)>;

/// Calls `parse_line(line, line_number, collector)` for every non-blank line of `reader`,
/// in parallel, keeping the file's order in the output.
pub fn read_lines_parallel<F>(
    reader: Box<dyn Read + Send>,
    filter: &RecordFilter,
    file_index: u32,
    file_label: &str,
    parse_line: F,
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
    let pieces: Mutex<Vec<(usize, Result<PieceOutput, IngestError>)>> = Mutex::default();
    let mut unreadable = None;
    std::thread::scope(|threads| {
        threads.spawn(move || cut_blocks(reader, sender, recycled));
        rayon::in_place_scope(|parsers| {
            let mut sequence = 0;
            for message in receiver {
                let (bytes, first_line) = match message {
                    Ok(block) => block,
                    Err(error) => {
                        unreadable = Some(error);
                        break;
                    }
                };
                let block = Arc::new(Block {
                    bytes,
                    recycle: recycle.clone(),
                });
                let wanted = rayon::current_num_threads() * 4;
                for (start, end, lines_before) in split_at_lines(&block.bytes, wanted, 64 << 10) {
                    let block = Arc::clone(&block);
                    let (accounts, pieces, parse_line) = (&accounts, &pieces, &parse_line);
                    let piece_number = sequence;
                    sequence += 1;
                    parsers.spawn(move |_| {
                        let output = parse_piece(
                            &block.bytes[start..end],
                            first_line + lines_before,
                            filter,
                            file_index,
                            file_label,
                            parse_line,
                            accounts,
                        );
                        drop(block);
                        pieces
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .push((piece_number, output));
                    });
                }
            }
        });
    });
    let mut pieces = pieces.into_inner().unwrap_or_else(PoisonError::into_inner);
    pieces.sort_unstable_by_key(|(number, _)| *number);
    let mut output = FileOutput::default();
    for (_, piece) in pieces {
        let piece = piece?;
        output.frames.extend(piece.frame);
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

fn cut_blocks(
    mut reader: Box<dyn Read + Send>,
    sender: SyncSender<BlockMessage>,
    recycled: Receiver<Vec<u8>>,
) {
    let mut carry: Vec<u8> = Vec::new();
    let mut next_line: u64 = 1;
    // Waits for a free buffer: at most BLOCKS_IN_FLIGHT blocks exist at once.
    while let Ok(mut block) = recycled.recv() {
        block.extend_from_slice(&carry);
        carry.clear();
        block.reserve(BLOCK_BYTES);
        match reader
            .by_ref()
            .take(BLOCK_BYTES as u64)
            .read_to_end(&mut block)
        {
            Ok(0) => {
                if !block.is_empty() {
                    let _ = sender.send(Ok((block, next_line)));
                }
                return;
            }
            Ok(_) => {}
            Err(error) => {
                // Hand over what was read before the error, then the error.
                let lines = memchr::memchr_iter(b'\n', &block).count() as u64
                    + u64::from(block.last().is_some_and(|&b| b != b'\n'));
                if !block.is_empty() && sender.send(Ok((block, next_line))).is_err() {
                    return;
                }
                let _ = sender.send(Err((error, next_line + lines)));
                return;
            }
        }
        match memchr::memrchr(b'\n', &block) {
            Some(last_newline) => {
                carry.extend_from_slice(&block[last_newline + 1..]);
                block.truncate(last_newline + 1);
                let lines = memchr::memchr_iter(b'\n', &block).count() as u64;
                if sender.send(Ok((block, next_line))).is_err() {
                    return;
                }
                next_line += lines;
            }
            // One line longer than a block: keep reading until it ends.
            None => carry = std::mem::take(&mut block),
        }
    }
}

/// Parses the lines of one piece (without its final newline), numbered from `first_line`.
fn parse_piece<F>(
    piece: &[u8],
    first_line: u64,
    filter: &RecordFilter,
    file_index: u32,
    file_label: &str,
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
    let mut line_number = first_line + memchr::memchr_iter(b'\n', piece).count() as u64;
    let mut end = piece.len();
    loop {
        let start = memchr::memrchr(b'\n', &piece[..end]).map_or(0, |newline| newline + 1);
        let line = &piece[start..end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
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

/// Splits a block into up to `wanted` pieces at line boundaries, as
/// (start, end without the final newline, lines before the piece).
fn split_at_lines(block: &[u8], wanted: usize, min_piece: usize) -> Vec<(usize, usize, u64)> {
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
        pieces.push((start, content_end, lines_before));
        lines_before += memchr::memchr_iter(b'\n', &block[start..content_end]).count() as u64 + 1;
        start = end;
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_cover_every_line_once() {
        let block = b"a\nbb\n\nccc\nd\n";
        for wanted in 1..6 {
            let pieces = split_at_lines(block, wanted, 1);
            let mut lines = Vec::new();
            for &(start, end, before) in &pieces {
                assert_eq!(before as usize, lines.len());
                lines.extend(block[start..end].split(|&b| b == b'\n').map(|l| l.to_vec()));
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
        assert_eq!(pieces, vec![(0, 3, 0)]);
    }
}
