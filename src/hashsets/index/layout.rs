//! The on-disk layout of a compiled set: its constants, the fixed header
//! fields, and the byte helpers the writer and the reader share, so both
//! agree on one definition.
//!
//! Fixed header (little-endian; byte offsets):
//!
//! ```text
//!   0..8    magic `FERRETHS`
//!   8..12   format version (u32)
//!  12..16   header length (u32): FIXED + provenance, rounded up to 8
//!  16..24   file length (u64)
//!  24..32   entries (u64)
//!  32..128  per algorithm, in `Algorithm::ALL` order, 24 bytes each:
//!           digest count, prefix table offset, records offset (u64 each)
//! 128..136  entry table offset (u64; 0 when the set carries no entry table)
//! 136..144  string heap offset (u64)
//! 144..152  string heap length (u64)
//! 152..156  provenance JSON length (u32)
//! 156..160  prefix bits per algorithm (u8 each)
//! 160..     provenance JSON, zero-padded to the header length
//! then      BLAKE3 of the header (32 bytes)
//! ```
//!
//! An entry-table row ([`ENTRY_LEN`] bytes): category (i64), media id
//! (i64), size (u64), name offset (u64), name length (u32, `u32::MAX` for
//! none), extra offset (u64), extra length (u32); extra fields are
//! `key 0x1f value 0x1e` pairs in the string heap.

/// First eight bytes of every compiled set.
pub(super) const MAGIC: &[u8; 8] = b"FERRETHS";
/// Format version this build writes and reads.
pub(super) const VERSION: u32 = 2;
/// Length of the fixed header fields, before the provenance JSON.
pub(super) const FIXED: usize = 160;
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

/// Prefix bits for a table of `count` digests: about four records per
/// bucket, within 16..=26 bits.
pub(super) fn prefix_bits(count: usize) -> u32 {
    (usize::BITS - (count / 4).leading_zeros()).clamp(MIN_BITS, MAX_BITS)
}

/// The bucket of a digest (at least 16 bytes): its first `bits` bits.
pub(super) fn bucket_of(d: &[u8], bits: u32) -> usize {
    (u32::from_be_bytes([d[0], d[1], d[2], d[3]]) >> (32 - bits)) as usize
}

/// The little-endian `u32` at `b[at..at + 4]`.
pub(super) fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut x = [0u8; 4];
    x.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(x)
}

/// The first 8 bytes of `b` (at least 8 long) as a big-endian integer.
pub(super) fn be64(b: &[u8]) -> u64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[..8]);
    u64::from_be_bytes(x)
}

/// The little-endian `u64` at `b[at..at + 8]`.
pub(super) fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(x)
}
