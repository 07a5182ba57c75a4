//! Opening a PDQ index in place: [`PdqIndexView::open`] checks the header
//! and places every region once (cost independent of the set's size), then
//! hands out entries and tables as slices of the caller's bytes.

use super::IndexError;
use super::layout::{HASH_LEN, Header, INLINE, LINE, Substring, regions};

/// One substring's table, as slices of the index bytes.
#[derive(Clone, Copy)]
pub(super) struct TableView<'a> {
    pub(super) sub: Substring,
    /// `2^bucket_bits` bucket lines.
    pub(super) lines: &'a [[u8; LINE]],
    /// Records that did not fit in their line, in bucket order.
    pub(super) overflow: &'a [[u8; 4]],
}

/// A bucket line read as its 16 u32: overflow start, record count, then up
/// to [`INLINE`] records.
#[inline(always)]
pub(super) fn line_words(line: &[u8; LINE]) -> [u32; LINE / 4] {
    let mut w = [0u32; LINE / 4];
    for (d, s) in w.iter_mut().zip(line.as_chunks::<4>().0) {
        *d = u32::from_le_bytes(*s);
    }
    w
}

impl<'a> TableView<'a> {
    /// The overflow records of a bucket whose line says `words` (empty when
    /// it has none, or when the table is damaged there).
    #[inline(always)]
    pub(super) fn overflow_of(&self, words: &[u32; LINE / 4]) -> &'a [[u8; 4]] {
        let [start, count, ..] = *words;
        let extra = (count as usize).saturating_sub(INLINE);
        if extra == 0 {
            return &[];
        }
        self.overflow
            .get(start as usize..)
            .and_then(|o| o.get(..extra))
            .unwrap_or_default()
    }
}

/// A PDQ index opened over bytes the caller holds (a memory map or a
/// buffer). Opening checks the header: magic, version, header checksum, the
/// substrings, and the file length against the counts, so every region lies
/// inside the bytes. The body is checked by [`verify`](Self::verify).
pub struct PdqIndexView<'a> {
    pub(super) entries: &'a [[u8; HASH_LEN]],
    pub(super) tables: Vec<TableView<'a>>,
    pub(super) body: &'a [u8],
    pub(super) body_sum: [u8; 32],
    tuned_threshold: u32,
}

impl<'a> PdqIndexView<'a> {
    /// Opens the index in `bytes` (see the type's documentation for what is
    /// checked). Costs the same at 10 M entries as at 10.
    pub fn open(bytes: &'a [u8]) -> Result<PdqIndexView<'a>, IndexError> {
        let h = Header::decode(bytes)?;
        let r = regions(h.header_len as usize, h.entries, &h.substrings)
            .ok_or_else(|| IndexError::BadHeader("region sizes overflow".into()))?;
        if r.file_len as u64 != h.file_len {
            return Err(IndexError::BadHeader(format!(
                "file length {} in the header, {} from its counts",
                h.file_len, r.file_len
            )));
        }
        if bytes.len() != r.file_len {
            return Err(IndexError::Length {
                found: bytes.len() as u64,
                expected: h.file_len,
            });
        }
        let n = h.entries as usize;
        let placed = || IndexError::BadHeader("region outside the file".into());
        let body = bytes.get(r.entries..).ok_or_else(placed)?;
        let entries = body.get(..n * HASH_LEN).ok_or_else(placed)?.as_chunks().0;
        let mut tables = Vec::with_capacity(h.substrings.len());
        for (&sub, &(lines_at, overflow_at)) in h.substrings.iter().zip(&r.tables) {
            let lines = bytes
                .get(lines_at..overflow_at)
                .ok_or_else(placed)?
                .as_chunks()
                .0;
            let overflow = bytes
                .get(overflow_at..)
                .and_then(|b| b.get(..sub.overflow as usize * 4))
                .ok_or_else(placed)?
                .as_chunks()
                .0;
            tables.push(TableView {
                sub,
                lines,
                overflow,
            });
        }
        Ok(PdqIndexView {
            entries,
            tables,
            body,
            body_sum: h.body_sum,
            tuned_threshold: h.tuned_threshold,
        })
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the index holds no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entry `i`, as given to the builder.
    pub fn entry(&self, i: u32) -> Option<[u8; HASH_LEN]> {
        self.entries.get(i as usize).copied()
    }

    /// All entries, in index order.
    pub fn entries(&self) -> &'a [[u8; HASH_LEN]] {
        self.entries
    }

    /// The threshold the index was shaped for (queries at it are fastest).
    pub fn tuned_threshold(&self) -> u32 {
        self.tuned_threshold
    }

    /// How the hash is cut: `(bits, bucket bits)` per substring, for
    /// reports and benchmarks.
    pub fn shape(&self) -> Vec<(u32, u32)> {
        self.tables
            .iter()
            .map(|t| (t.sub.bits, t.sub.bucket_bits))
            .collect()
    }
}
