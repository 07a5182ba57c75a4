//! Opening a compiled set: [`CompiledSet`] validates the header and every
//! offset once (cost independent of the set's size), then answers what the
//! set holds: its provenance, entries, digests and kinds. Lookups by digest
//! are in `lookup.rs`.

use std::fs::File;
use std::path::{Path, PathBuf};

use memmap2::Mmap;

use super::layout::{
    ENTRY_LEN, FIXED, MAGIC, MAX_BITS, MIN_BITS, NONE_I64, NONE_U64, VERSION, u32_at, u64_at,
};
use super::{Provenance, raw};
use crate::hashing::Algorithm;
use crate::hashsets::{HashSetError, SetKind};

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

/// A compiled set, memory-mapped.
pub struct CompiledSet {
    path: PathBuf,
    pub(super) map: Mmap,
    provenance: Provenance,
    pub(super) tables: [Option<Table>; 4],
    /// Big prefix tables copied into anonymous memory backed by huge pages.
    pub(super) prefix_copy: Option<Mmap>,
    entries: u64,
    entry_table: Option<(usize, usize, usize)>, // (entries_off, strings_off, strings_len)
}

/// Prefix tables at least this big are copied into huge pages.
const COPY_PREFIX_MIN: usize = 8 << 20;

/// Copies the big prefix tables into one anonymous map advised to use
/// transparent huge pages: a random lookup then finds its bucket bounds
/// without a TLB miss (a file mapping stays on 4 KiB pages). `None` when no
/// table is that big or the memory cannot be had (lookups then read the
/// file mapping, as before).
fn copy_prefix_tables(b: &[u8], tables: &mut [Option<Table>; 4], min_bytes: usize) -> Option<Mmap> {
    let big = |t: &Table| ((1usize << t.bits) + 1) * 4 >= min_bytes;
    let total: usize = tables
        .iter()
        .flatten()
        .filter(|t| big(t))
        .map(|t| ((1usize << t.bits) + 1) * 4)
        .sum();
    if total == 0 {
        return None;
    }
    let mut copy = memmap2::MmapMut::map_anon(total).ok()?;
    let _ = copy.advise(memmap2::Advice::HugePage);
    let mut at = 0;
    for t in tables.iter_mut().flatten().filter(|t| big(t)) {
        let n = ((1usize << t.bits) + 1) * 4;
        copy[at..at + n].copy_from_slice(&b[t.prefix..t.prefix + n]);
        t.copy = Some(at);
        at += n;
    }
    copy.make_read_only().ok()
}

impl CompiledSet {
    /// Opens and validates a compiled set.
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
        let _ = map.advise(memmap2::Advice::HugePage);
        let b: &[u8] = &map;
        if b.len() < FIXED + 32 || &b[..8] != MAGIC {
            return Err(bad(
                "not a Ferret compiled set (bad magic or too short)".into()
            ));
        }
        let version = u32_at(b, 8);
        if version != VERSION {
            return Err(bad(format!(
                "format version {version}, this Ferret reads {VERSION}"
            )));
        }
        let header_len = u32_at(b, 12) as usize;
        if header_len < FIXED || header_len + 32 > b.len() {
            return Err(bad("header length out of range".into()));
        }
        if blake3::hash(&b[..header_len]).as_bytes() != &b[header_len..header_len + 32] {
            return Err(bad("header checksum mismatch".into()));
        }
        let file_len = u64_at(b, 16);
        if file_len != b.len() as u64 {
            return Err(bad(format!(
                "truncated or padded: {} bytes, header says {file_len}",
                b.len()
            )));
        }
        let entries = u64_at(b, 24);
        let plen = u32_at(b, 152) as usize;
        let provenance: Provenance = b
            .get(FIXED..FIXED + plen)
            .and_then(|p| serde_json::from_slice(p).ok())
            .ok_or_else(|| bad("unreadable provenance".into()))?;
        let mut tables = [None; 4];
        for (i, a) in Algorithm::ALL.iter().enumerate() {
            let base = 32 + i * 24;
            let count = u64_at(b, base) as usize;
            if count == 0 {
                continue;
            }
            let (p, r) = (u64_at(b, base + 8) as usize, u64_at(b, base + 16) as usize);
            let bits = u32::from(b[156 + i]);
            if !(MIN_BITS..=MAX_BITS).contains(&bits) {
                return Err(bad(format!("{a} prefix width {bits} out of range")));
            }
            let buckets = 1usize << bits;
            let end = count
                .checked_mul(a.digest_len() + 2)
                .and_then(|n| n.checked_add(r));
            if p.checked_add((buckets + 1) * 4) != Some(r) || end.is_none_or(|e| e > b.len()) {
                return Err(bad(format!("{a} table out of range")));
            }
            if u32_at(b, p + buckets * 4) as usize != count {
                return Err(bad(format!("{a} prefix table does not add up")));
            }
            tables[i] = Some(Table {
                prefix: p,
                copy: None,
                records: r,
                count,
                bits,
            });
        }
        let eo = u64_at(b, 128) as usize;
        let entry_table = if eo == 0 {
            None
        } else {
            let (so, sl) = (u64_at(b, 136) as usize, u64_at(b, 144) as usize);
            let ok = (entries as usize)
                .checked_mul(ENTRY_LEN)
                .is_some_and(|n| eo + n == so)
                && so.checked_add(sl).is_some_and(|e| e == b.len());
            if !ok {
                return Err(bad("entry table out of range".into()));
            }
            Some((eo, so, sl))
        };
        let prefix_copy = copy_prefix_tables(b, &mut tables, min_bytes);
        Ok(CompiledSet {
            path: path.to_path_buf(),
            map,
            provenance,
            tables,
            prefix_copy,
            entries,
            entry_table,
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

    /// Every `algorithm` digest in the set with its entry id, in digest order.
    pub fn digests(&self, algorithm: Algorithm) -> impl Iterator<Item = (Vec<u8>, u32)> + '_ {
        let t = self.tables[algorithm as usize].unwrap_or(Table {
            prefix: 0,
            copy: None,
            records: 0,
            count: 0,
            bits: MIN_BITS,
        });
        let b: &[u8] = &self.map;
        let width = algorithm.digest_len() + 2;
        let buckets = 1usize << t.bits;
        let mut bucket = 0usize;
        (0..t.count).map(move |i| {
            while bucket + 1 < buckets && u32_at(b, t.prefix + (bucket + 1) * 4) as usize <= i {
                bucket += 1;
            }
            let rec = &b[t.records + i * width..t.records + (i + 1) * width];
            let mut d = ((bucket >> (t.bits - 16)) as u16).to_be_bytes().to_vec();
            d.extend_from_slice(&rec[..width - 4]);
            (d, u32_at(rec, width - 4))
        })
    }

    /// Metadata of entry `id` (empty when the set carries none).
    pub fn entry(&self, id: u32) -> EntryInfo {
        let Some((eo, so, sl)) = self.entry_table else {
            return EntryInfo::default();
        };
        if u64::from(id) >= self.entries {
            return EntryInfo::default();
        }
        let b: &[u8] = &self.map;
        let at = eo + id as usize * ENTRY_LEN;
        let i64_at = |o: usize| u64_at(b, at + o) as i64;
        let strings = &b[so..so + sl];
        let string = |off: u64, len: u32| -> Option<&[u8]> {
            let off = usize::try_from(off).ok()?;
            strings.get(off..off.checked_add(len as usize)?)
        };
        let name = match u32_at(b, at + 32) {
            u32::MAX => None,
            len => string(u64_at(b, at + 24), len).map(|s| String::from_utf8_lossy(s).into_owned()),
        };
        let extra = string(u64_at(b, at + 36), u32_at(b, at + 44))
            .map(|s| {
                s.split(|&c| c == 0x1e)
                    .filter(|kv| !kv.is_empty())
                    .filter_map(|kv| {
                        let i = kv.iter().position(|&c| c == 0x1f)?;
                        Some((
                            String::from_utf8_lossy(&kv[..i]).into_owned(),
                            String::from_utf8_lossy(&kv[i + 1..]).into_owned(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let opt = |v: i64| (v != NONE_I64).then_some(v);
        let size = u64_at(b, at + 16);
        EntryInfo {
            category: opt(i64_at(0)),
            media_id: opt(i64_at(8)),
            size: (size != NONE_U64).then_some(size),
            name,
            extra,
        }
    }

    /// The kind a match on entry `id` carries (category profile applied).
    pub fn kind_of(&self, id: u32) -> SetKind {
        match &self.provenance.categories {
            Some(profile) => profile.kind_of(self.entry(id).category),
            None => self.provenance.kind,
        }
    }
}
