//! The compiled, memory-mapped index of one hash set.
//!
//! Layout (little-endian): a header (magic `FERRETHS`, version, lengths,
//! per-algorithm counts and offsets, provenance JSON) closed by the BLAKE3
//! of everything before it; then, per algorithm, a prefix table of
//! `2^bits + 1` record offsets (the first `bits` bits of a digest → its
//! record range; `bits` grows with the set, 16 to 26, so that a bucket
//! holds about three records and one cache line usually answers) and the
//! records sorted by digest, each the digest *without* its first two bytes
//! plus a `u32` entry id (SHA-1: 22 bytes for 20 digest bytes; MD5: 18 for
//! 16; the prefix table adds ~1.3 bytes per digest);
//! then an optional entry table (48 bytes per entry: category, media id,
//! size, name and extra-field offsets) and its string heap.
//!
//! Opening checks the magic, the version, the header checksum, the file
//! length and every offset against it, and nothing else: opening costs the
//! same at 50 M entries as at 5. A file that fails any check is refused (and
//! the library rebuilds it from its source) — never trusted.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use memmap2::Mmap;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{Entry, Format, HashSetError, SetKind};
use crate::hashing::Algorithm;

const MAGIC: &[u8; 8] = b"FERRETHS";
const VERSION: u32 = 2;
const FIXED: usize = 160;
const MIN_BITS: u32 = 16;
const MAX_BITS: u32 = 26;
const ENTRY_LEN: usize = 48;
const NONE_I64: i64 = i64::MIN;
const NONE_U64: u64 = u64::MAX;

/// How categories map to kinds for a categorised (VICS) set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryProfile {
    /// Profile name (`US`, `UK`, …).
    pub name: String,
    /// Kind per raw category number.
    pub kinds: BTreeMap<i64, SetKind>,
    /// Kind of an uncategorised entry or an unlisted category.
    pub otherwise: SetKind,
}

impl CategoryProfile {
    /// The US Project VIC default: 1, 2, 3 alert; 0 (non-pertinent) ignore;
    /// 4 (comparison) and uncategorised info.
    pub fn us() -> Self {
        CategoryProfile {
            name: "US".into(),
            kinds: BTreeMap::from([
                (0, SetKind::Ignore),
                (1, SetKind::Alert),
                (2, SetKind::Alert),
                (3, SetKind::Alert),
                (4, SetKind::Info),
            ]),
            otherwise: SetKind::Info,
        }
    }

    /// A category's label in this profile, where known: the US Project VIC
    /// labels (their number-to-label pairing is not confirmed by a public
    /// specification, so the number is always shown too).
    pub fn label(&self, category: i64) -> Option<&'static str> {
        if self.name != "US" {
            return None;
        }
        Some(match category {
            0 => "Non-pertinent",
            1 => "Child abuse material",
            2 => "Child exploitive (non-CAM)",
            3 => "CGI / animation",
            4 => "Comparison images",
            _ => return None,
        })
    }

    /// The kind for an entry's category.
    pub fn kind_of(&self, category: Option<i64>) -> SetKind {
        category
            .and_then(|c| self.kinds.get(&c).copied())
            .unwrap_or(self.otherwise)
    }
}

/// Where a compiled set came from, carried in its header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// Set name (unique in a library).
    pub name: String,
    /// What matches mean (for categorised sets: the kind of the set as a whole).
    pub kind: SetKind,
    /// Source format.
    pub format: Format,
    /// Source file as given at import.
    pub source_path: PathBuf,
    /// SHA-256 of the source file (hex).
    pub source_sha256: String,
    /// Source size in bytes.
    pub source_len: u64,
    /// Digests per algorithm (`md5`, `sha1`, `sha256`, `blake3`).
    pub counts: BTreeMap<String, u64>,
    /// Entries.
    pub entries: u64,
    /// Source lines/records rejected.
    pub rejected: u64,
    /// Import time, UTC ISO 8601.
    pub imported_at: String,
    /// Ferret version that compiled it.
    pub tool_version: String,
    /// VICS profile named by the source, if any.
    pub source_profile: Option<String>,
    /// Category → kind mapping for categorised sets.
    pub categories: Option<CategoryProfile>,
    /// Set name embedded in the source (EnCase, HashKeeper).
    pub embedded_name: Option<String>,
}

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

/// Collects entries and writes a compiled set.
#[derive(Default)]
pub struct IndexBuilder {
    md5: Vec<([u8; 16], u32)>,
    sha1: Vec<([u8; 20], u32)>,
    sha256: Vec<([u8; 32], u32)>,
    blake3: Vec<([u8; 32], u32)>,
    table: Vec<u8>,
    strings: Vec<u8>,
    entries: u32,
    rich: bool,
}

impl IndexBuilder {
    /// Adds one entry. Fails past `u32::MAX` entries.
    pub fn add(&mut self, e: &Entry) -> Result<(), String> {
        let id = self.entries;
        self.entries = id.checked_add(1).ok_or("more than 4,294,967,295 entries")?;
        let d = &e.digests;
        if let Some(x) = d.md5 {
            self.md5.push((x, id));
        }
        if let Some(x) = d.sha1 {
            self.sha1.push((x, id));
        }
        if let Some(x) = d.sha256 {
            self.sha256.push((x, id));
        }
        if let Some(x) = d.blake3 {
            self.blake3.push((x, id));
        }
        let bare = e.size.is_none()
            && e.name.is_none()
            && e.category.is_none()
            && e.media_id.is_none()
            && e.extra.is_empty();
        self.rich |= !bare;
        let mut put = |s: &[u8]| {
            let off = self.strings.len() as u64;
            self.strings.extend_from_slice(s);
            (off, s.len() as u32)
        };
        let (name_off, name_len) = match &e.name {
            Some(n) => put(n.as_bytes()),
            None => (0, u32::MAX),
        };
        let extra: Vec<u8> = e
            .extra
            .iter()
            .flat_map(|(k, v)| [k.as_bytes(), b"\x1f", v.as_bytes(), b"\x1e"].concat())
            .collect();
        let (extra_off, extra_len) = put(&extra);
        let t = &mut self.table;
        t.extend_from_slice(&e.category.unwrap_or(NONE_I64).to_le_bytes());
        t.extend_from_slice(&e.media_id.unwrap_or(NONE_I64).to_le_bytes());
        t.extend_from_slice(&e.size.unwrap_or(NONE_U64).to_le_bytes());
        t.extend_from_slice(&name_off.to_le_bytes());
        t.extend_from_slice(&name_len.to_le_bytes());
        t.extend_from_slice(&extra_off.to_le_bytes());
        t.extend_from_slice(&extra_len.to_le_bytes());
        Ok(())
    }

    /// Entries added so far.
    pub fn len(&self) -> u64 {
        u64::from(self.entries)
    }

    /// True when nothing was added.
    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }

    /// Digests per algorithm.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        let mut m = BTreeMap::new();
        for (a, n) in [
            (Algorithm::Md5, self.md5.len()),
            (Algorithm::Sha1, self.sha1.len()),
            (Algorithm::Sha256, self.sha256.len()),
            (Algorithm::Blake3, self.blake3.len()),
        ] {
            if n > 0 {
                m.insert(a.name().to_string(), n as u64);
            }
        }
        m
    }

    /// Sorts and writes the set to `path` (through a temporary file renamed
    /// into place, so a crash never leaves a half-written index).
    pub fn write(mut self, path: &Path, provenance: &Provenance) -> io::Result<()> {
        self.md5.par_sort_unstable();
        self.sha1.par_sort_unstable();
        self.sha256.par_sort_unstable();
        self.blake3.par_sort_unstable();
        let prov = serde_json::to_vec(provenance).map_err(io::Error::other)?;
        let header_len = (FIXED + prov.len()).div_ceil(8) * 8;
        let body_start = header_len + 32;
        let counts = [
            self.md5.len(),
            self.sha1.len(),
            self.sha256.len(),
            self.blake3.len(),
        ];
        let mut offsets = [(0u64, 0u64); 4];
        let mut at = body_start as u64;
        for (i, a) in Algorithm::ALL.iter().enumerate() {
            if counts[i] == 0 {
                continue;
            }
            let prefix_off = at;
            let records_off = prefix_off + (((1usize << prefix_bits(counts[i])) + 1) * 4) as u64;
            offsets[i] = (prefix_off, records_off);
            at = records_off + (counts[i] * (a.digest_len() - 2 + 4)) as u64;
        }
        let (entries_off, strings_off) = if self.rich {
            let e = at;
            let s = e + self.table.len() as u64;
            at = s + self.strings.len() as u64;
            (e, s)
        } else {
            (0, 0)
        };
        let file_len = at;

        let mut h = vec![0u8; header_len];
        h[..8].copy_from_slice(MAGIC);
        h[8..12].copy_from_slice(&VERSION.to_le_bytes());
        h[12..16].copy_from_slice(&(header_len as u32).to_le_bytes());
        h[16..24].copy_from_slice(&file_len.to_le_bytes());
        h[24..32].copy_from_slice(&u64::from(self.entries).to_le_bytes());
        for i in 0..4 {
            let b = 32 + i * 24;
            h[b..b + 8].copy_from_slice(&(counts[i] as u64).to_le_bytes());
            h[b + 8..b + 16].copy_from_slice(&offsets[i].0.to_le_bytes());
            h[b + 16..b + 24].copy_from_slice(&offsets[i].1.to_le_bytes());
        }
        h[128..136].copy_from_slice(&entries_off.to_le_bytes());
        h[136..144].copy_from_slice(&strings_off.to_le_bytes());
        h[144..152].copy_from_slice(&(self.strings.len() as u64).to_le_bytes());
        h[152..156].copy_from_slice(&(prov.len() as u32).to_le_bytes());
        for i in 0..4 {
            h[156 + i] = prefix_bits(counts[i]) as u8;
        }
        h[FIXED..FIXED + prov.len()].copy_from_slice(&prov);
        let sum = blake3::hash(&h);

        let tmp = path.with_extension("fhs.tmp");
        let mut w = BufWriter::with_capacity(1 << 20, File::create(&tmp)?);
        w.write_all(&h)?;
        w.write_all(sum.as_bytes())?;
        write_records(&mut w, &self.md5)?;
        write_records(&mut w, &self.sha1)?;
        write_records(&mut w, &self.sha256)?;
        write_records(&mut w, &self.blake3)?;
        if self.rich {
            w.write_all(&self.table)?;
            w.write_all(&self.strings)?;
        }
        let f = w.into_inner().map_err(|e| e.into_error())?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)
    }
}

fn write_records<const N: usize>(w: &mut impl Write, recs: &[([u8; N], u32)]) -> io::Result<()> {
    if recs.is_empty() {
        return Ok(());
    }
    let bits = prefix_bits(recs.len());
    let buckets = 1usize << bits;
    let mut prefix = vec![0u32; buckets + 1];
    for (d, _) in recs {
        prefix[bucket_of(d, bits) + 1] += 1;
    }
    for i in 1..=buckets {
        prefix[i] += prefix[i - 1];
    }
    for p in &prefix {
        w.write_all(&p.to_le_bytes())?;
    }
    for (d, id) in recs {
        w.write_all(&d[2..])?;
        w.write_all(&id.to_le_bytes())?;
    }
    Ok(())
}

/// Prefix bits for a table of `count` digests: about four records per
/// bucket, within 16..=26 bits.
fn prefix_bits(count: usize) -> u32 {
    (usize::BITS - (count / 4).leading_zeros()).clamp(MIN_BITS, MAX_BITS)
}

/// The bucket of a digest (at least 16 bytes): its first `bits` bits.
fn bucket_of(d: &[u8], bits: u32) -> usize {
    (u32::from_be_bytes([d[0], d[1], d[2], d[3]]) >> (32 - bits)) as usize
}

/// One algorithm's table in the map.
#[derive(Clone, Copy)]
struct Table {
    prefix: usize,
    /// Offset of this table's prefix table in the huge-page copy, if any.
    copy: Option<usize>,
    records: usize,
    count: usize,
    bits: u32,
}

/// A compiled set, memory-mapped.
pub struct CompiledSet {
    path: PathBuf,
    map: Mmap,
    provenance: Provenance,
    tables: [Option<Table>; 4],
    /// Big prefix tables copied into anonymous memory backed by huge pages.
    prefix_copy: Option<Mmap>,
    entries: u64,
    entry_table: Option<(usize, usize, usize)>, // (entries_off, strings_off, strings_len)
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut x = [0u8; 4];
    x.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(x)
}

/// The first 8 bytes of `b` (at least 8 long) as a big-endian integer.
fn be64(b: &[u8]) -> u64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[..8]);
    u64::from_be_bytes(x)
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(x)
}

/// Hints the CPU to fetch the cache line holding `b[at]` (nothing when
/// `at` is out of range or on other architectures).
#[inline(always)]
fn prefetch(b: &[u8], at: usize) {
    #[cfg(target_arch = "x86_64")]
    if let Some(x) = b.get(at) {
        // SAFETY: a prefetch is only a hint: it reads nothing into the
        // program, cannot fault, and `x` is a live reference into `b`. This
        // is the index module's second audited `unsafe` (see `open`).
        #[allow(unsafe_code)]
        unsafe {
            core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(
                std::ptr::from_ref(x).cast::<i8>(),
            );
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (b, at);
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
        // SAFETY: the map is read-only and every access below is bounds-checked
        // against the validated length, so malformed contents cannot cause UB.
        // The library writes index files once (temp file + rename) and never
        // modifies them in place; the remaining hazard, another process
        // truncating the file while mapped, is the documented mmap caveat.
        #[allow(unsafe_code)]
        let map = unsafe { Mmap::map(&file) }.map_err(|e| bad(format!("cannot map: {e}")))?;
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

    /// Entry ids whose `algorithm` digest equals `digest`.
    pub fn lookup(&self, algorithm: Algorithm, digest: &[u8], out: &mut Vec<u32>) {
        let Some(t) = self.tables[algorithm as usize] else {
            return;
        };
        if digest.len() != algorithm.digest_len() {
            return;
        }
        let (lo, hi) = self.bucket_range(&t, digest);
        self.search(&t, lo, hi, digest, |id| out.push(id));
    }

    /// Searches records `lo..hi` of table `t` for `digest`, calling `found`
    /// with the entry id of every equal record.
    fn search(&self, t: &Table, lo: usize, hi: usize, digest: &[u8], mut found: impl FnMut(u32)) {
        let b: &[u8] = &self.map;
        let width = digest.len() + 2;
        let key = &digest[2..];
        let kl = key.len();
        let rec = |i: usize| &b[t.records + i * width..t.records + i * width + width];
        // Ordering against a record: its first 8 bytes as one big-endian
        // integer decide all but equal-prefix cases (no memcmp call).
        let k8 = be64(key);
        let less = |i: usize| {
            let r = rec(i);
            match be64(r).cmp(&k8) {
                std::cmp::Ordering::Equal => r[8..kl] < key[8..],
                o => o.is_lt(),
            }
        };
        // Buckets hold about four records, so a linear scan reads one or two
        // cache lines: one bounds check for the bucket, then each record's
        // first 8 bytes as one integer (profiled: the closure-per-record form
        // cost a third more per lookup). A bucket made big by a skewed set
        // (many digests sharing a prefix) is searched by interpolation on the
        // key's next 32 bits, then galloping, then binary search.
        if hi - lo <= 16 {
            let Some(bucket) = b.get(t.records + lo * width..t.records + hi * width) else {
                return;
            };
            for r in bucket.chunks_exact(width) {
                match be64(r).cmp(&k8) {
                    std::cmp::Ordering::Less => continue,
                    std::cmp::Ordering::Greater => return,
                    std::cmp::Ordering::Equal => match r[8..kl].cmp(&key[8..]) {
                        std::cmp::Ordering::Less => continue,
                        std::cmp::Ordering::Greater => return,
                        std::cmp::Ordering::Equal => found(u32_at(r, kl)),
                    },
                }
            }
            return;
        }
        let (mut a, mut z);
        {
            let k = ((be64(digest) << t.bits) >> 32) as u32;
            let est = lo + ((u64::from(k) * (hi - lo) as u64) >> 32) as usize;
            let est = est.min(hi - 1);
            if less(est) {
                let mut step = 1;
                a = est + 1;
                while a + step < hi && less(a + step) {
                    a += step + 1;
                    step *= 2;
                }
                z = (a + step + 1).min(hi);
            } else {
                let mut step = 1;
                z = est;
                while z > lo + step && !less(z - step - 1) {
                    z -= step + 1;
                    step *= 2;
                }
                a = z.saturating_sub(step + 1).max(lo);
            }
            while a < z {
                let mid = a + (z - a) / 2;
                if less(mid) {
                    a = mid + 1;
                } else {
                    z = mid;
                }
            }
        }
        while a < hi && be64(rec(a)) == k8 && rec(a)[8..kl] == key[8..] {
            found(u32_at(rec(a), kl));
            a += 1;
        }
    }

    /// The record range of `digest`'s bucket. Clamped: the body is not
    /// checksummed, and a damaged prefix table must give wrong answers at
    /// worst, never an out-of-range read.
    fn bucket_range(&self, t: &Table, digest: &[u8]) -> (usize, usize) {
        let (b, at): (&[u8], usize) = match (t.copy, &self.prefix_copy) {
            (Some(off), Some(c)) => (c, off),
            _ => (&self.map, t.prefix),
        };
        let at = at + bucket_of(digest, t.bits) * 4;
        let hi = (u32_at(b, at + 4) as usize).min(t.count);
        let lo = (u32_at(b, at) as usize).min(hi);
        (lo, hi)
    }

    /// Looks up many digests at once: `out` receives `(key index, entry id)`
    /// for every match, in key order. Faster than one
    /// [`lookup`](Self::lookup) per key on big sets: the loads of many keys
    /// are in flight at once (software prefetch, a pipeline 32 keys deep)
    /// instead of each key waiting for its own cache and TLB misses.
    pub fn lookup_batch(&self, algorithm: Algorithm, keys: &[&[u8]], out: &mut Vec<(usize, u32)>) {
        // A three-stage software pipeline: prefetch key i's prefix entry,
        // then (RECORDS keys later) read it and prefetch its bucket's first
        // and last line, then (SEARCH keys later) search the bucket.
        const RECORDS: usize = 16;
        const SEARCH: usize = 32;
        const RING: usize = 32;
        let Some(t) = self.tables[algorithm as usize] else {
            return;
        };
        let b: &[u8] = &self.map;
        let width = algorithm.digest_len() + 2;
        let len = algorithm.digest_len();
        let (pb, pbase): (&[u8], usize) = match (t.copy, &self.prefix_copy) {
            (Some(off), Some(c)) => (c, off),
            _ => (b, t.prefix),
        };
        let n = keys.len();
        let mut ranges = [(0usize, 0usize); RING];
        for i in 0..n + SEARCH {
            if let Some(k) = keys.get(i).filter(|k| k.len() == len) {
                prefetch(pb, pbase + bucket_of(k, t.bits) * 4);
            }
            if let Some(j) = i.checked_sub(RECORDS).filter(|&j| j < n) {
                let r = if keys[j].len() == len {
                    self.bucket_range(&t, keys[j])
                } else {
                    (0, 0)
                };
                if r.1 > r.0 {
                    prefetch(b, t.records + r.0 * width);
                    prefetch(b, t.records + r.1 * width - 1);
                }
                ranges[j % RING] = r;
            }
            if let Some(j) = i.checked_sub(SEARCH).filter(|&j| j < n) {
                let (lo, hi) = ranges[j % RING];
                if hi > lo {
                    self.search(&t, lo, hi, keys[j], |id| out.push((j, id)));
                }
            }
        }
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
