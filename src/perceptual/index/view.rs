//! Opening a PDQ index in place: [`PdqIndexView::open`] checks the header
//! and places every region once (cost independent of the set's size), then
//! hands out entries and tables as slices of the caller's bytes.

use super::IndexError;
use super::layout::{HASH_LEN, Header, RECORD_LEN, Substring, regions};

/// One substring's table, as slices of the index bytes.
#[derive(Clone, Copy)]
pub(super) struct TableView<'a> {
    pub(super) sub: Substring,
    /// `2^bucket_bits + 1` little-endian u32 record offsets.
    pub(super) starts: &'a [[u8; 4]],
    pub(super) records: &'a [[u8; RECORD_LEN]],
}

impl<'a> TableView<'a> {
    /// The records of bucket `b` (empty when the table is damaged there).
    #[inline(always)]
    pub(super) fn bucket(&self, b: u32) -> &'a [[u8; RECORD_LEN]] {
        let at = |i: usize| self.starts.get(i).map(|x| u32::from_le_bytes(*x) as usize);
        match (at(b as usize), at(b as usize + 1)) {
            (Some(lo), Some(hi)) => self.records.get(lo..hi).unwrap_or_default(),
            _ => &[],
        }
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
        for (&sub, &(starts_at, records_at)) in h.substrings.iter().zip(&r.tables) {
            let starts = bytes
                .get(starts_at..records_at)
                .ok_or_else(placed)?
                .as_chunks()
                .0;
            let records = bytes
                .get(records_at..)
                .and_then(|b| b.get(..n * RECORD_LEN))
                .ok_or_else(placed)?
                .as_chunks()
                .0;
            tables.push(TableView {
                sub,
                starts,
                records,
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
