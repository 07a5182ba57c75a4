//! The on-disk layout of a compiled set: its constants, the fixed header
//! fields, where each region lies, and the byte helpers the writer and the
//! reader share, so both agree on one definition.
//!
//! Fixed header (little-endian; byte offsets):
//!
//! ```text
//!   0..8    magic `FERRETHS`
//!   8..12   format version (u32)
//!  12..16   header length (u32): FIXED + provenance, rounded up to 8
//!  16..24   file length (u64)
//!  24..32   entries (u64, at most u32::MAX: entry ids are u32)
//!  32..128  per algorithm, in `Algorithm::ALL` order, 24 bytes each:
//!           digest count, prefix table offset, records offset (u64 each)
//! 128..136  entry table offset (u64; 0 when the set carries no entry table)
//! 136..144  string heap offset (u64)
//! 144..152  string heap length (u64)
//! 152..156  provenance JSON length (u32)
//! 156..160  prefix bits per algorithm (u8 each)
//! 160..192  file checksum: BLAKE3 of the whole file with this field and
//!           the header checksum read as zeros (see [`file_sum`])
//! 192..200  PDQ entries (u64; 0 when the set has none)
//! 200..208  PDQ region offset (u64; 0 when none)
//! 208..216  PDQ index length (u64)
//! 216..224  reserved, zero
//! 224..     provenance JSON, zero-padded to the header length
//! then      header checksum: BLAKE3 of the header (32 bytes)
//! ```
//!
//! The regions after the header follow each other with no gap, in this
//! order, and end at the file length: per algorithm with digests, its prefix
//! table then its records; then the entry table and the string heap; then,
//! for a set with PDQ entries, zeros to the next 64-byte boundary, the PDQ
//! near-neighbour index (`perceptual::index`, its own checksummed format,
//! entries in entry order) and one 8-byte row per PDQ entry: the set's
//! entry id (u32) and the quality (u32, [`NONE_U32`] when not stated). Their
//! offsets are therefore a function of the counts ([`regions`]): the writer
//! places them with it and the reader refuses a header whose offsets differ.
//!
//! An entry-table row ([`ENTRY_LEN`] bytes): category (i64), media id
//! (i64), size (u64), name offset (u64), name length (u32, `u32::MAX` for
//! none), extra offset (u64), extra length (u32); extra fields are
//! `key 0x1f value 0x1e` pairs in the string heap.

/// First eight bytes of every compiled set.
pub(super) const MAGIC: &[u8; 8] = b"FERRETHS";
/// Format version this build writes and reads (3: the file checksum; 4:
/// the PDQ region).
pub(super) const VERSION: u32 = 4;
/// Length of the fixed header fields, before the provenance JSON.
pub(super) const FIXED: usize = 224;
/// Where the file checksum lies in the header.
pub(super) const FILE_SUM_AT: usize = 160;
/// Length of a BLAKE3 checksum.
pub(super) const SUM_LEN: usize = 32;
/// Narrowest prefix table, in bits (see [`prefix_bits`]).
pub(super) const MIN_BITS: u32 = 16;
/// Widest prefix table, in bits.
pub(super) const MAX_BITS: u32 = 26;
/// Bytes per entry-table row.
pub(super) const ENTRY_LEN: usize = 48;
/// What the entry table stores for an absent category or media id.
pub(super) const NONE_I64: i64 = i64::MIN;
/// What the entry table stores for an absent size.
pub(super) const NONE_U64: u64 = u64::MAX;
/// The key of the PDQ hashes in a provenance's counts.
pub(crate) const PDQ_COUNT: &str = "pdq";
/// What a PDQ row stores for an unstated quality.
pub(super) const NONE_U32: u32 = u32::MAX;
/// Bytes per PDQ row (entry id, quality).
pub(super) const PDQ_ROW: usize = 8;
/// Alignment of the PDQ index in the file (a cache line: its bucket lines
/// are read one line per probe).
pub(super) const PDQ_ALIGN: u64 = 64;

/// The fixed header fields (everything but the provenance JSON and the
/// header checksum).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Header {
    pub(super) version: u32,
    pub(super) header_len: u32,
    pub(super) file_len: u64,
    pub(super) entries: u64,
    /// Per algorithm: digest count, prefix table offset, records offset.
    pub(super) tables: [(u64, u64, u64); 4],
    pub(super) entries_off: u64,
    pub(super) strings_off: u64,
    pub(super) strings_len: u64,
    pub(super) provenance_len: u32,
    pub(super) bits: [u8; 4],
    pub(super) file_sum: [u8; SUM_LEN],
    /// PDQ entries, the PDQ region's offset and its index's length.
    pub(super) pdq: (u64, u64, u64),
}

impl Header {
    /// The header bytes: the fixed fields, then `provenance`, zero-padded to
    /// `header_len` (which must be at least `FIXED + provenance.len()`).
    pub(super) fn encode(&self, provenance: &[u8]) -> Vec<u8> {
        let mut h = Vec::with_capacity(self.header_len as usize);
        h.extend_from_slice(MAGIC);
        h.extend_from_slice(&self.version.to_le_bytes());
        h.extend_from_slice(&self.header_len.to_le_bytes());
        h.extend_from_slice(&self.file_len.to_le_bytes());
        h.extend_from_slice(&self.entries.to_le_bytes());
        for (count, prefix, records) in self.tables {
            h.extend_from_slice(&count.to_le_bytes());
            h.extend_from_slice(&prefix.to_le_bytes());
            h.extend_from_slice(&records.to_le_bytes());
        }
        h.extend_from_slice(&self.entries_off.to_le_bytes());
        h.extend_from_slice(&self.strings_off.to_le_bytes());
        h.extend_from_slice(&self.strings_len.to_le_bytes());
        h.extend_from_slice(&self.provenance_len.to_le_bytes());
        h.extend_from_slice(&self.bits);
        h.extend_from_slice(&self.file_sum);
        h.extend_from_slice(&self.pdq.0.to_le_bytes());
        h.extend_from_slice(&self.pdq.1.to_le_bytes());
        h.extend_from_slice(&self.pdq.2.to_le_bytes());
        h.extend_from_slice(&[0; 8]);
        debug_assert_eq!(h.len(), FIXED);
        h.extend_from_slice(provenance);
        h.resize((self.header_len as usize).max(h.len()), 0);
        h
    }

    /// The fixed fields of `b`, or `None` when `b` is shorter than them.
    /// Checks nothing else: [`CompiledSet::open`](super::CompiledSet::open)
    /// does.
    pub(super) fn decode(b: &[u8]) -> Option<Header> {
        let mut tables = [(0, 0, 0); 4];
        for (i, t) in tables.iter_mut().enumerate() {
            let at = 32 + i * 24;
            *t = (u64_at(b, at)?, u64_at(b, at + 8)?, u64_at(b, at + 16)?);
        }
        Some(Header {
            version: u32_at(b, 8)?,
            header_len: u32_at(b, 12)?,
            file_len: u64_at(b, 16)?,
            entries: u64_at(b, 24)?,
            tables,
            entries_off: u64_at(b, 128)?,
            strings_off: u64_at(b, 136)?,
            strings_len: u64_at(b, 144)?,
            provenance_len: u32_at(b, 152)?,
            bits: *b.get(156..)?.first_chunk::<4>()?,
            file_sum: *b.get(FILE_SUM_AT..)?.first_chunk::<SUM_LEN>()?,
            pdq: (u64_at(b, 192)?, u64_at(b, 200)?, u64_at(b, 208)?),
        })
    }
}

/// Where the regions after a header lie (see the module header): per
/// algorithm `(prefix table offset, records offset)` (zeros when it has no
/// digests), the entry table and string heap offsets (zeros when the set
/// carries no entry table), and the file length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Regions {
    pub(super) tables: [(u64, u64); 4],
    pub(super) entries_off: u64,
    pub(super) strings_off: u64,
    /// The PDQ region (its index, then its rows); 0 when none.
    pub(super) pdq_off: u64,
    pub(super) file_len: u64,
}

/// The regions of a set with `counts` digests per algorithm (prefix tables
/// `bits` wide), after a header of `header_len` bytes, with an entry table
/// of `(entries, string heap length)` if it has one, and a PDQ region of
/// `(PDQ entries, PDQ index length)` if it has one. `None` when a size
/// overflows (a damaged header; never a set that was written).
pub(super) fn regions(
    header_len: u64,
    counts: [u64; 4],
    bits: [u8; 4],
    entry_table: Option<(u64, u64)>,
    pdq: Option<(u64, u64)>,
) -> Option<Regions> {
    let mut at = header_len.checked_add(SUM_LEN as u64)?;
    let mut tables = [(0, 0); 4];
    for (i, a) in crate::hashing::Algorithm::ALL.iter().enumerate() {
        let count = *counts.get(i)?;
        if count == 0 {
            continue;
        }
        let prefix = at;
        let records = prefix.checked_add(prefix_table_len(u32::from(*bits.get(i)?))? as u64)?;
        at = records.checked_add(count.checked_mul(record_width(a.digest_len()) as u64)?)?;
        *tables.get_mut(i)? = (prefix, records);
    }
    let (entries_off, strings_off) = match entry_table {
        Some((entries, strings_len)) => {
            let e = at;
            let s = e.checked_add(entries.checked_mul(ENTRY_LEN as u64)?)?;
            at = s.checked_add(strings_len)?;
            (e, s)
        }
        None => (0, 0),
    };
    let pdq_off = match pdq {
        Some((count, index_len)) => {
            let start = at.checked_next_multiple_of(PDQ_ALIGN)?;
            at = start
                .checked_add(index_len)?
                .checked_add(count.checked_mul(PDQ_ROW as u64)?)?;
            start
        }
        None => 0,
    };
    Some(Regions {
        tables,
        entries_off,
        strings_off,
        pdq_off,
        file_len: at,
    })
}

/// Bytes of a prefix table `bits` wide (`2^bits + 1` u32 offsets), or
/// `None` outside [`MIN_BITS`]..=[`MAX_BITS`].
pub(super) fn prefix_table_len(bits: u32) -> Option<usize> {
    (MIN_BITS..=MAX_BITS)
        .contains(&bits)
        .then(|| ((1usize << bits) + 1) * 4)
}

/// Bytes per record of a digest `digest_len` long: the digest without its
/// first two bytes (the prefix table holds them) and a u32 entry id.
pub(super) const fn record_width(digest_len: usize) -> usize {
    digest_len - 2 + 4
}

/// Prefix bits for a table of `count` digests: about four records per
/// bucket, within 16..=26 bits.
pub(super) fn prefix_bits(count: usize) -> u32 {
    (usize::BITS - (count / 4).leading_zeros()).clamp(MIN_BITS, MAX_BITS)
}

/// The bucket of a digest: its first `bits` bits (`None` when it is shorter
/// than four bytes, which no digest is).
#[inline(always)]
pub(super) fn bucket_of(d: &[u8], bits: u32) -> Option<usize> {
    let top = u32::from_be_bytes(*d.first_chunk::<4>()?);
    Some((top >> (32 - bits)) as usize)
}

/// The file checksum of a whole compiled set `b` whose header is
/// `header_len` bytes: BLAKE3 of `b` with the file checksum field and the
/// header checksum read as zeros. Hashes in pieces of [`SUM_PIECE`] bytes
/// and asks `stop` between them; `None` when it said stop (or when `b` is
/// shorter than its header).
pub(super) fn file_sum(
    b: &[u8],
    header_len: usize,
    stop: &dyn Fn() -> bool,
) -> Option<[u8; SUM_LEN]> {
    let zeros = [0u8; SUM_LEN];
    let body_start = header_len.checked_add(SUM_LEN)?;
    let mut h = blake3::Hasher::new();
    h.update(b.get(..FILE_SUM_AT)?);
    h.update(&zeros);
    h.update(b.get(FILE_SUM_AT + SUM_LEN..header_len)?);
    h.update(&zeros);
    for piece in b.get(body_start..)?.chunks(SUM_PIECE) {
        if stop() {
            return None;
        }
        h.update(piece);
    }
    Some(*h.finalize().as_bytes())
}

/// How much of a set is hashed between two looks at the stop flag: 16 MiB,
/// about 10 ms at BLAKE3's single-thread rate, so a cancel is quick.
const SUM_PIECE: usize = 16 << 20;

/// The little-endian `u32` at `b[at..at + 4]`.
#[inline(always)]
pub(super) fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(*b.get(at..)?.first_chunk::<4>()?))
}

/// The first 8 bytes of `b` as a big-endian integer.
#[inline(always)]
pub(super) fn be64(b: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(*b.first_chunk::<8>()?))
}

/// The little-endian `u64` at `b[at..at + 8]`.
#[inline(always)]
pub(super) fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(*b.get(at..)?.first_chunk::<8>()?))
}
