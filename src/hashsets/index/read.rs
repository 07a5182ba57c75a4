//! Opening a compiled set: [`CompiledSet`] validates the header and places
//! every region once (cost independent of the set's size), then answers
//! what the set holds: its provenance, entries, digests and kinds. Lookups
//! by digest are in `lookup.rs`, the full check of the body in `verify.rs`.
//!
//! Every read is bounds-checked (`get`, never indexing): a damaged file
//! gives an error or `None`, never a panic, and an entry id the set does not
//! have is `None`, never a default entry or kind.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use memmap2::Mmap;

use super::layout::{
    ENTRY_LEN, FIXED, Header, MAGIC, MAX_BITS, MIN_BITS, NONE_I64, NONE_U64, PDQ_COUNT, SUM_LEN,
    VERSION, prefix_table_len, record_width, regions, u32_at, u64_at,
};
use super::{Provenance, Rebuild, raw};
use crate::hashing::Algorithm;
use crate::hashsets::{HashSetError, SetKind};
use crate::perceptual::index::PdqIndexView;

/// Metadata of one entry, read from the entry table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntryInfo {
    /// Raw category.
    pub category: Option<i64>,
    /// Media id / product code / file id.
    pub media_id: Option<i64>,
    /// Size.
    pub size: Option<u64>,
    /// Name.
    pub name: Option<String>,
    /// Other fields.
    pub extra: Vec<(String, String)>,
}

/// One algorithm's table in the map.
#[derive(Clone, Copy)]
pub(super) struct Table {
    pub(super) prefix: usize,
    /// Offset of this table's prefix table in the huge-page copy, if any.
    pub(super) copy: Option<usize>,
    pub(super) records: usize,
    pub(super) count: usize,
    pub(super) bits: u32,
}

/// Where the entry table and its string heap lie in the map.
#[derive(Clone, Copy)]
pub(super) struct EntryTable {
    pub(super) rows: usize,
    pub(super) strings: usize,
    pub(super) strings_len: usize,
}

/// Where the PDQ index and its rows lie in the map.
#[derive(Clone, Copy)]
pub(super) struct PdqRegion {
    pub(super) index: usize,
    pub(super) index_len: usize,
    pub(super) rows: usize,
    pub(super) count: usize,
}

/// A compiled set, memory-mapped.
pub struct CompiledSet {
    path: PathBuf,
    pub(super) map: Mmap,
    provenance: Provenance,
    pub(super) tables: [Option<Table>; 4],
    /// Big prefix tables copied into anonymous memory backed by huge pages.
    pub(super) prefix_copy: Option<Mmap>,
    pub(super) entries: u64,
    pub(super) entry_table: Option<EntryTable>,
    pub(super) pdq: Option<PdqRegion>,
    pub(super) header_len: usize,
    pub(super) file_sum: [u8; SUM_LEN],
    /// The outcome of a finished [`verify`](Self::verify), kept: a set is
    /// hashed once however many times it is asked.
    pub(super) verified: OnceLock<Result<(), String>>,
    rebuilt: Option<Rebuild>,
}

/// Prefix tables at least this big are copied into huge pages.
const COPY_PREFIX_MIN: usize = 8 << 20;

/// Copies the big prefix tables into one anonymous map advised to use
/// transparent huge pages: a random lookup then finds its bucket bounds
/// without a TLB miss (a file mapping stays on 4 KiB pages). `None` when no
/// table is that big or the memory cannot be had (lookups then read the
/// file mapping, as before).
fn copy_prefix_tables(b: &[u8], tables: &mut [Option<Table>; 4], min_bytes: usize) -> Option<Mmap> {
    let len = |t: &Table| prefix_table_len(t.bits).unwrap_or(0);
    let total: usize = tables
        .iter()
        .flatten()
        .map(len)
        .filter(|&n| n >= min_bytes)
        .sum();
    if total == 0 {
        return None;
    }
    let mut copy = memmap2::MmapMut::map_anon(total).ok()?;
    // Advice only, and only where the OS has it (memmap2 offers it on Unix).
    #[cfg(unix)]
    let _ = copy.advise(memmap2::Advice::HugePage);
    let mut at = 0;
    for t in tables.iter_mut().flatten() {
        let n = len(t);
        if n < min_bytes {
            continue;
        }
        let from = b.get(t.prefix..)?.get(..n)?;
        copy.get_mut(at..)?.get_mut(..n)?.copy_from_slice(from);
        t.copy = Some(at);
        at += n;
    }
    copy.make_read_only().ok()
}

impl CompiledSet {
    /// Opens and validates a compiled set: magic, version, header checksum,
    /// file length, and the place of every region (each must lie where the
    /// counts put it, so all of them lie inside the file). Costs the same at
    /// 50 M entries as at 5; the body is checked by [`verify`](Self::verify).
    pub fn open(path: &Path) -> Result<CompiledSet, HashSetError> {
        Self::open_copying_prefix(path, COPY_PREFIX_MIN)
    }

    /// [`open`](Self::open), copying prefix tables of at least `min_bytes`
    /// into huge pages (the default is 8 MiB, sets of about 8M digests and
    /// up; tests use 0 to check lookups through the copy).
    pub fn open_copying_prefix(path: &Path, min_bytes: usize) -> Result<CompiledSet, HashSetError> {
        let bad = |reason: String| HashSetError::BadIndex {
            path: path.to_path_buf(),
            reason,
        };
        let file = File::open(path).map_err(|source| HashSetError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        // The index's one file mapping; why it is sound is in `raw.rs`.
        let map = raw::map_index(&file).map_err(|e| bad(format!("cannot map: {e}")))?;
        // Huge pages for the file mapping too, where the kernel can (Linux
        // 6.16+ on ext4 builds the page cache of such a mapping from 2 MiB
        // folios when it reads it in): a random lookup then skips most TLB
        // misses, which a virtual machine pays for twice. Advice only.
        #[cfg(unix)]
        let _ = map.advise(memmap2::Advice::HugePage);
        let b: &[u8] = &map;
        let h = match Header::decode(b) {
            Some(h) if b.get(..MAGIC.len()) == Some(MAGIC.as_slice()) => h,
            _ => {
                return Err(bad(
                    "not a Ferret compiled set (bad magic or too short)".into()
                ));
            }
        };
        if h.version != VERSION {
            return Err(bad(format!(
                "format version {}, this Ferret reads {VERSION}",
                h.version
            )));
        }
        let header_len = h.header_len as usize;
        let plen = h.provenance_len as usize;
        let (header, header_sum) = match (
            b.get(..header_len),
            b.get(header_len..).and_then(|s| s.get(..SUM_LEN)),
        ) {
            (Some(hd), Some(sum)) if FIXED.saturating_add(plen) <= header_len => (hd, sum),
            _ => return Err(bad("header length out of range".into())),
        };
        if blake3::hash(header).as_bytes().as_slice() != header_sum {
            return Err(bad("header checksum mismatch".into()));
        }
        if h.file_len != b.len() as u64 {
            return Err(bad(format!(
                "truncated or padded: {} bytes, header says {}",
                b.len(),
                h.file_len
            )));
        }
        let entries = h.entries;
        if entries > u64::from(u32::MAX) {
            return Err(bad(format!("entry count {entries} out of range")));
        }
        let provenance: Provenance = header
            .get(FIXED..FIXED + plen)
            .and_then(|p| serde_json::from_slice(p).ok())
            .ok_or_else(|| bad("unreadable provenance".into()))?;
        if provenance.entries != entries {
            return Err(bad(format!(
                "provenance says {} entries, header {entries}",
                provenance.entries
            )));
        }
        let counts = h.tables.map(|(count, _, _)| count);
        for (a, (&count, &bits)) in Algorithm::ALL.iter().zip(counts.iter().zip(&h.bits)) {
            if count == 0 {
                continue;
            }
            if !(MIN_BITS..=MAX_BITS).contains(&u32::from(bits)) {
                return Err(bad(format!("{a} prefix width {bits} out of range")));
            }
            if count > entries {
                return Err(bad(format!("{a}: {count} digests for {entries} entries")));
            }
            if provenance.counts.get(a.name()).copied().unwrap_or(0) != count {
                return Err(bad(format!(
                    "{a}: provenance and table disagree on the count"
                )));
            }
        }
        let entry_table = (h.entries_off != 0).then_some((entries, h.strings_len));
        let (pdq_count, pdq_off, pdq_len) = h.pdq;
        if pdq_count > entries {
            return Err(bad(format!("{pdq_count} PDQ hashes for {entries} entries")));
        }
        if provenance.counts.get(PDQ_COUNT).copied().unwrap_or(0) != pdq_count
            || provenance.pdq.is_some() != (pdq_count > 0)
        {
            return Err(bad("PDQ: provenance and header disagree".into()));
        }
        // The bounds an import enforces: a forged threshold past them would
        // match unrelated pictures, a minimum quality past 100 none at all.
        if let Some(m) = provenance.pdq
            && (m.threshold > crate::hashsets::PdqMatch::MAX_THRESHOLD || m.min_quality > 100)
        {
            return Err(bad(format!(
                "PDQ threshold {} / minimum quality {} outside 0-{} / 0-100",
                m.threshold,
                m.min_quality,
                crate::hashsets::PdqMatch::MAX_THRESHOLD
            )));
        }
        let pdq_region = (pdq_count > 0).then_some((pdq_count, pdq_len));
        let places = regions(h.header_len.into(), counts, h.bits, entry_table, pdq_region)
            .ok_or_else(|| bad("table sizes overflow".into()))?;
        let off = |x: u64| usize::try_from(x).unwrap_or(usize::MAX);
        let mut tables = [None; 4];
        for (i, a) in Algorithm::ALL.iter().enumerate() {
            let (count, prefix, records) = h.tables.get(i).copied().unwrap_or_default();
            let placed = places.tables.get(i).copied().unwrap_or_default();
            if (prefix, records) != placed {
                return Err(bad(format!("{a} table out of place")));
            }
            if count == 0 {
                continue;
            }
            let bits = u32::from(h.bits.get(i).copied().unwrap_or_default());
            let (prefix, count) = (off(prefix), off(count));
            let last = prefix + (1usize << bits) * 4;
            if u32_at(b, prefix) != Some(0) || u32_at(b, last).map(|n| n as usize) != Some(count) {
                return Err(bad(format!("{a} prefix table does not add up")));
            }
            if let Some(t) = tables.get_mut(i) {
                *t = Some(Table {
                    prefix,
                    copy: None,
                    records: off(records),
                    count,
                    bits,
                });
            }
        }
        let entry_table = match entry_table {
            Some(_)
                if (h.entries_off, h.strings_off) == (places.entries_off, places.strings_off) =>
            {
                Some(EntryTable {
                    rows: off(h.entries_off),
                    strings: off(h.strings_off),
                    strings_len: off(h.strings_len),
                })
            }
            None if (h.strings_off, h.strings_len) == (0, 0) => None,
            _ => return Err(bad("entry table out of place".into())),
        };
        let pdq = match pdq_region {
            Some(_) if pdq_off == places.pdq_off => {
                let region = PdqRegion {
                    index: off(pdq_off),
                    index_len: off(pdq_len),
                    rows: off(pdq_off).saturating_add(off(pdq_len)),
                    count: off(pdq_count),
                };
                // Its own header (checksummed) and length are checked now;
                // its body by `verify`.
                let view = b
                    .get(region.index..)
                    .and_then(|r| r.get(..region.index_len))
                    .ok_or_else(|| bad("PDQ index out of place".into()))
                    .and_then(|bytes| {
                        PdqIndexView::open(bytes).map_err(|e| bad(format!("PDQ index: {e}")))
                    })?;
                if view.len() != region.count {
                    return Err(bad(format!(
                        "PDQ index holds {} hashes, the header says {}",
                        view.len(),
                        region.count
                    )));
                }
                Some(region)
            }
            None if (pdq_off, pdq_len) == (0, 0) => None,
            _ => return Err(bad("PDQ index out of place".into())),
        };
        if places.file_len != h.file_len {
            return Err(bad(format!(
                "tables end at byte {}, the file at {}",
                places.file_len, h.file_len
            )));
        }
        let prefix_copy = copy_prefix_tables(b, &mut tables, min_bytes);
        Ok(CompiledSet {
            path: path.to_path_buf(),
            map,
            provenance,
            tables,
            prefix_copy,
            entries,
            entry_table,
            pdq,
            header_len,
            file_sum: h.file_sum,
            verified: OnceLock::new(),
            rebuilt: None,
        })
    }

    /// Whether lookups read prefix tables from the huge-page copy.
    pub fn prefix_copied(&self) -> bool {
        self.prefix_copy.is_some()
    }

    /// The set's provenance.
    pub fn provenance(&self) -> &Provenance {
        &self.provenance
    }

    /// The index file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Entries in the set.
    pub fn entry_count(&self) -> u64 {
        self.entries
    }

    /// How many `algorithm` digests the set holds (from its validated
    /// header: no record is read).
    pub fn digest_count(&self, algorithm: Algorithm) -> u64 {
        self.table(algorithm).map_or(0, |t| t.count as u64)
    }

    /// The index file's length in bytes.
    pub fn file_len(&self) -> u64 {
        self.map.len() as u64
    }

    /// How the library rebuilt this set's index from its source when it
    /// loaded it, if it had to (front ends say so).
    pub fn rebuilt(&self) -> Option<&Rebuild> {
        self.rebuilt.as_ref()
    }

    /// This set, marked as rebuilt by the library.
    pub(crate) fn with_rebuild(mut self, rebuild: Rebuild) -> Self {
        self.rebuilt = Some(rebuild);
        self
    }

    /// `algorithm`'s table, if the set has digests of it.
    pub(super) fn table(&self, algorithm: Algorithm) -> Option<&Table> {
        self.tables.get(algorithm as usize)?.as_ref()
    }

    /// Every `algorithm` digest in the set with its entry id, in digest
    /// order. Stops early (short) at a record it cannot read or whose entry
    /// id is out of range, which only a damaged set has: [`verify`] finds it.
    ///
    /// [`verify`]: Self::verify
    pub fn digests(&self, algorithm: Algorithm) -> impl Iterator<Item = (Vec<u8>, u32)> + '_ {
        let (count, bits, prefix, records) =
            self.table(algorithm).map_or((0, MIN_BITS, 0, 0), |t| {
                (t.count, t.bits, t.prefix, t.records)
            });
        let b: &[u8] = &self.map;
        let width = record_width(algorithm.digest_len());
        let buckets = 1usize << bits;
        let entries = self.entries;
        let mut bucket = 0usize;
        (0..count).map_while(move |i| {
            while bucket + 1 < buckets && u32_at(b, prefix + (bucket + 1) * 4)? as usize <= i {
                bucket += 1;
            }
            let rec = b.get(records + i * width..)?.get(..width)?;
            let (key, id) = rec.split_at_checked(width - 4)?;
            let id = u32_at(id, 0).filter(|&id| u64::from(id) < entries)?;
            let mut d = ((bucket >> (bits - 16)) as u16).to_be_bytes().to_vec();
            d.extend_from_slice(key);
            Some((d, id))
        })
    }

    /// Metadata of entry `id`: empty when the set carries none, `None` when
    /// the set has no entry `id` (a damaged set: never a default).
    pub fn entry(&self, id: u32) -> Option<EntryInfo> {
        if u64::from(id) >= self.entries {
            return None;
        }
        let Some(t) = self.entry_table else {
            return Some(EntryInfo::default());
        };
        let b: &[u8] = &self.map;
        let row = b
            .get(t.rows + id as usize * ENTRY_LEN..)?
            .get(..ENTRY_LEN)?;
        let strings = b.get(t.strings..)?.get(..t.strings_len)?;
        let string = |off: u64, len: u32| -> Option<&[u8]> {
            let off = usize::try_from(off).ok()?;
            strings.get(off..off.checked_add(len as usize)?)
        };
        let name = match u32_at(row, 32)? {
            u32::MAX => None,
            len => string(u64_at(row, 24)?, len).map(|s| String::from_utf8_lossy(s).into_owned()),
        };
        let extra = string(u64_at(row, 36)?, u32_at(row, 44)?)
            .map(|s| {
                s.split(|&c| c == 0x1e)
                    .filter_map(|kv| {
                        let i = kv.iter().position(|&c| c == 0x1f)?;
                        let (k, v) = (kv.get(..i)?, kv.get(i + 1..)?);
                        Some((
                            String::from_utf8_lossy(k).into_owned(),
                            String::from_utf8_lossy(v).into_owned(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let opt = |v: u64| (v as i64 != NONE_I64).then_some(v as i64);
        let size = u64_at(row, 16)?;
        Some(EntryInfo {
            category: opt(u64_at(row, 0)?),
            media_id: opt(u64_at(row, 8)?),
            size: (size != NONE_U64).then_some(size),
            name,
            extra,
        })
    }

    /// The kind a match on entry `id` carries (category profile applied);
    /// `None` when the set has no entry `id` (a damaged set).
    pub fn kind_of(&self, id: u32) -> Option<SetKind> {
        match &self.provenance.categories {
            Some(profile) => Some(profile.kind_of(self.entry(id)?.category)),
            None => (u64::from(id) < self.entries).then_some(self.provenance.kind),
        }
    }
}
