//! The byte layout of a PDQ index: its constants, the header, where each
//! region lies, how a hash is cut into substrings, and the Hamming
//! distance, so that the writer, the reader and the check agree on one
//! definition.
//!
//! Header (little-endian; byte offsets):
//!
//! ```text
//!   0..8    magic `FERRETPQ`
//!   8..12   format version (u32)
//!  12..16   header length (u32): 72 + 8 per substring, padded so that the
//!           body starts on a 64-byte boundary
//!  16..24   file length (u64)
//!  24..28   entries (u32)
//!  28..32   the threshold the shape was chosen for (u32; information only)
//!  32..36   substrings (u32)
//!  36..40   reserved, zero
//!  40..72   body checksum: BLAKE3 of every byte after the header checksum
//!  72..     per substring, 8 bytes: first bit (u16), length in bits (u8),
//!           bucket bits (u8), overflow records (u32)
//!  then     zeros to the header length, then the header checksum
//!           (BLAKE3 of the header, 32 bytes)
//! ```
//!
//! The body follows, every region starting on a 64-byte boundary (zero
//! padding between): the entries (32 bytes each, in entry order), then per
//! substring its bucket lines and its overflow records.
//!
//! A record is a u32: the entry index shifted left by the substring's
//! record bits (its length minus its bucket bits), or'ed with the key's low
//! record bits. A bucket line (64 bytes, one cache line; `2^bucket_bits` of
//! them) is 16 u32: where the bucket's overflow starts in the overflow
//! records, how many records the bucket holds, then its first 14 records;
//! the rest are in the overflow records, which follow the bucket order. A
//! bucket's records are sorted by (key, entry index).
//!
//! Every offset is a function of the counts ([`regions`]): the reader
//! refuses a file whose length differs.

use super::IndexError;

/// First eight bytes of every PDQ index.
pub(super) const MAGIC: &[u8; 8] = b"FERRETPQ";
/// Format version this build writes and reads.
pub(super) const VERSION: u32 = 1;
/// Length of the fixed header fields, before the substring rows.
pub(super) const FIXED: usize = 72;
/// Bytes per substring row in the header.
pub(super) const ROW: usize = 8;
/// Where the body checksum lies in the header.
pub(super) const BODY_SUM_AT: usize = 40;
/// Length of a BLAKE3 checksum.
pub(super) const SUM_LEN: usize = 32;
/// Bytes of a PDQ hash.
pub const HASH_LEN: usize = 32;
/// Bytes per bucket line: one cache line.
pub(super) const LINE: usize = 64;
/// Records held in a bucket line (after the overflow start and the count).
pub(super) const INLINE: usize = LINE / 4 - 2;
/// Widest bucket table: 2^28 lines are 16 GiB, more than any set needs.
pub(super) const MAX_BUCKET_BITS: u32 = 28;
/// Longest substring: a key is a u32.
pub(super) const MAX_SUBSTRING_BITS: u32 = 32;

/// One substring of the 256 bits (bit 0 is the top bit of byte 0) and how
/// its table is cut: the key's top `bucket_bits` bits pick the bucket, the
/// rest are kept in each record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Substring {
    pub(super) start: u32,
    pub(super) bits: u32,
    pub(super) bucket_bits: u32,
    /// Records that do not fit in their bucket's line (0 until built).
    pub(super) overflow: u32,
}

impl Substring {
    /// Key bits kept in each record.
    #[inline(always)]
    pub(super) fn rem_bits(self) -> u32 {
        self.bits - self.bucket_bits
    }

    /// This substring of `h`, as the low `bits` bits of a u32.
    #[inline(always)]
    pub(super) fn key(self, h: &Padded) -> u32 {
        let at = (self.start / 8) as usize;
        let w =
            h.0.get(at..)
                .and_then(|b| b.first_chunk::<8>())
                .map_or(0, |b| u64::from_be_bytes(*b));
        ((w << (self.start % 8)) >> (64 - self.bits)) as u32
    }
}

/// A hash followed by 8 zero bytes, so a substring is read with one 8-byte
/// load wherever it starts.
pub(super) struct Padded([u8; HASH_LEN + 8]);

impl Padded {
    pub(super) fn new(h: &[u8; HASH_LEN]) -> Padded {
        let mut p = [0u8; HASH_LEN + 8];
        for (d, s) in p.iter_mut().zip(h) {
            *d = *s;
        }
        Padded(p)
    }
}

/// The Hamming distance of two hashes.
#[cfg(test)]
pub(super) fn distance(a: &[u8; HASH_LEN], b: &[u8; HASH_LEN]) -> u32 {
    distance_within(a, b, 8 * HASH_LEN as u32).unwrap_or(u32::MAX)
}

/// The Hamming distance of two hashes if it is at most `r`: the first 128
/// bits decide most candidates (two random hashes differ in ~64 of them).
#[inline(always)]
pub(super) fn distance_within(a: &[u8; HASH_LEN], b: &[u8; HASH_LEN], r: u32) -> Option<u32> {
    let (a0, a1) = a.split_at(16);
    let (b0, b1) = b.split_at(16);
    let half = |x: &[u8], y: &[u8]| {
        let w = |h: &[u8]| h.first_chunk::<16>().map_or(0, |c| u128::from_le_bytes(*c));
        popcount128(w(x) ^ w(y))
    };
    let first = half(a0, b0);
    if first > r {
        return None;
    }
    Some(first + half(a1, b1)).filter(|&d| d <= r)
}

/// Set bits of a u128.
#[inline(always)]
fn popcount128(x: u128) -> u32 {
    if cfg!(target_feature = "popcnt") {
        x.count_ones()
    } else {
        // Without the popcnt instruction (the default x86-64 target) each
        // count_ones is a SWAR sequence ending in a multiply; the two words
        // share one here: byte counts (at most 8 each) are summed first.
        let mut bytes = 0u64;
        for mut v in [x as u64, (x >> 64) as u64] {
            v -= (v >> 1) & 0x5555_5555_5555_5555;
            v = (v & 0x3333_3333_3333_3333) + ((v >> 2) & 0x3333_3333_3333_3333);
            bytes += (v + (v >> 4)) & 0x0f0f_0f0f_0f0f_0f0f;
        }
        // At most 128: fits the top byte.
        (bytes.wrapping_mul(0x0101_0101_0101_0101) >> 56) as u32
    }
}

/// The header fields (everything but the padding and the header checksum).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Header {
    pub(super) header_len: u32,
    pub(super) file_len: u64,
    pub(super) entries: u32,
    pub(super) tuned_threshold: u32,
    pub(super) substrings: Vec<Substring>,
    pub(super) body_sum: [u8; SUM_LEN],
}

/// The header length for `m` substrings: the body (after the header
/// checksum) starts on a 64-byte boundary, so no entry straddles two cache
/// lines in a mapped file.
pub(super) fn header_len_for(m: usize) -> usize {
    (FIXED + ROW * m + SUM_LEN).div_ceil(64) * 64 - SUM_LEN
}

impl Header {
    /// The header bytes, zero-padded to its length.
    pub(super) fn encode(&self) -> Vec<u8> {
        let mut h = Vec::with_capacity(self.header_len as usize);
        h.extend_from_slice(MAGIC);
        h.extend_from_slice(&VERSION.to_le_bytes());
        h.extend_from_slice(&self.header_len.to_le_bytes());
        h.extend_from_slice(&self.file_len.to_le_bytes());
        h.extend_from_slice(&self.entries.to_le_bytes());
        h.extend_from_slice(&self.tuned_threshold.to_le_bytes());
        h.extend_from_slice(&(self.substrings.len() as u32).to_le_bytes());
        h.extend_from_slice(&[0; 4]);
        h.extend_from_slice(&self.body_sum);
        for s in &self.substrings {
            h.extend_from_slice(&(s.start as u16).to_le_bytes());
            h.push(s.bits as u8);
            h.push(s.bucket_bits as u8);
            h.extend_from_slice(&s.overflow.to_le_bytes());
        }
        h.resize((self.header_len as usize).max(h.len()), 0);
        h
    }

    /// Reads and checks the header of `b`: magic, version, header checksum,
    /// the substring rows (see [`check_substrings`]). The file length is
    /// checked by the caller against [`regions`].
    pub(super) fn decode(b: &[u8]) -> Result<Header, IndexError> {
        let truncated = |needed: usize| IndexError::Truncated {
            len: b.len() as u64,
            needed: needed as u64,
        };
        if b.get(..MAGIC.len()).ok_or(truncated(FIXED + SUM_LEN))? != MAGIC {
            return Err(IndexError::NotAnIndex);
        }
        let version = u32_at(b, 8).ok_or(truncated(FIXED + SUM_LEN))?;
        if version != VERSION {
            return Err(IndexError::Version {
                found: version,
                supported: VERSION,
            });
        }
        let fixed = b.get(..FIXED).ok_or(truncated(FIXED + SUM_LEN))?;
        let header_len = u32_at(fixed, 12).unwrap_or(0);
        let m = u32_at(fixed, 32).unwrap_or(0);
        // 256 one-bit substrings is the most a hash can be cut into.
        if m == 0 || m > 256 {
            return Err(IndexError::BadHeader(format!("{m} substrings")));
        }
        let expected_len = header_len_for(m as usize);
        if header_len as usize != expected_len {
            return Err(IndexError::BadHeader(format!(
                "header length {header_len}, {expected_len} expected for {m} substrings"
            )));
        }
        let hl = header_len as usize;
        let (Some(head), Some(sum)) = (b.get(..hl), b.get(hl..hl + SUM_LEN)) else {
            return Err(truncated(hl + SUM_LEN));
        };
        if blake3::hash(head).as_bytes().as_slice() != sum {
            return Err(IndexError::HeaderChecksum);
        }
        if u32_at(head, 36) != Some(0) {
            return Err(IndexError::BadHeader("reserved field not zero".into()));
        }
        let mut substrings = Vec::with_capacity(m as usize);
        for i in 0..m as usize {
            let row = head
                .get(FIXED + i * ROW..FIXED + (i + 1) * ROW)
                .ok_or(truncated(hl))?;
            let (Some(&[s0, s1, bits, bucket_bits]), Some(overflow)) =
                (row.first_chunk::<4>(), u32_at(row, 4))
            else {
                return Err(truncated(hl));
            };
            substrings.push(Substring {
                start: u32::from(u16::from_le_bytes([s0, s1])),
                bits: u32::from(bits),
                bucket_bits: u32::from(bucket_bits),
                overflow,
            });
        }
        let entries = u32_at(head, 24).unwrap_or(0);
        check_substrings(&substrings, entries)?;
        Ok(Header {
            header_len,
            file_len: u64_at(head, 16).unwrap_or(0),
            entries,
            tuned_threshold: u32_at(head, 28).unwrap_or(0),
            substrings,
            body_sum: head
                .get(BODY_SUM_AT..)
                .and_then(|s| s.first_chunk::<SUM_LEN>())
                .copied()
                .unwrap_or([0; SUM_LEN]),
        })
    }
}

/// Bits an entry index of a set of `n` entries needs.
pub(super) fn id_bits(n: u32) -> u32 {
    u32::BITS - n.saturating_sub(1).leading_zeros()
}

/// Most record bits a set of `n` entries leaves beside the entry index in
/// a u32 record (at most 31, so a shift by them is defined).
pub(super) fn max_rem_bits(n: u32) -> u32 {
    (u32::BITS - id_bits(n)).min(31)
}

/// The substrings cut the 256 bits in order, without gap or overlap; each
/// is 1 to 32 bits long, with at most 28 bucket bits, leaves room for the
/// entry index of a set of `n` entries in its records, and overflows by at
/// most `n` records.
pub(super) fn check_substrings(subs: &[Substring], n: u32) -> Result<(), IndexError> {
    let mut next = 0u32;
    for (i, s) in subs.iter().enumerate() {
        let bad = |what: &str| Err(IndexError::BadHeader(format!("substring {i}: {what}")));
        if s.start != next {
            return bad("does not follow the previous one");
        }
        if s.bits == 0 || s.bits > MAX_SUBSTRING_BITS {
            return bad("length outside 1..=32 bits");
        }
        if s.bucket_bits > s.bits || s.bucket_bits > MAX_BUCKET_BITS {
            return bad("too many bucket bits");
        }
        if s.rem_bits() > max_rem_bits(n) {
            return bad("no room for the entry index in its records");
        }
        if s.overflow > n {
            return bad("more overflow records than entries");
        }
        next = s.start + s.bits;
    }
    if next != 8 * HASH_LEN as u32 {
        return Err(IndexError::BadHeader(
            "substrings do not cover the 256 bits".into(),
        ));
    }
    Ok(())
}

/// Where the regions of the body lie, as byte offsets in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Regions {
    pub(super) entries: usize,
    /// Per substring: bucket lines offset, overflow records offset.
    pub(super) tables: Vec<(usize, usize)>,
    pub(super) file_len: usize,
}

/// The regions of an index of `n` entries cut into `subs`, after a header
/// of `header_len` bytes. `None` when a size overflows (a damaged header,
/// or a set too big for this machine's address space).
pub(super) fn regions(header_len: usize, n: u32, subs: &[Substring]) -> Option<Regions> {
    let to = |v: u64| usize::try_from(v).ok();
    let align = |v: u64| v.checked_next_multiple_of(LINE as u64);
    let entries = align((header_len as u64).checked_add(SUM_LEN as u64)?)?;
    let mut at = align(entries.checked_add(u64::from(n).checked_mul(HASH_LEN as u64)?)?)?;
    let mut tables = Vec::with_capacity(subs.len());
    for s in subs {
        let lines = 1u64.checked_shl(s.bucket_bits)?.checked_mul(LINE as u64)?;
        let overflow = at.checked_add(lines)?;
        tables.push((to(at)?, to(overflow)?));
        at = align(overflow.checked_add(u64::from(s.overflow).checked_mul(4)?)?)?;
    }
    Some(Regions {
        entries: to(entries)?,
        tables,
        file_len: to(at)?,
    })
}

/// The little-endian `u32` at `b[at..at + 4]`.
#[inline(always)]
pub(super) fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(*b.get(at..)?.first_chunk::<4>()?))
}

/// The little-endian `u64` at `b[at..at + 8]`.
pub(super) fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(*b.get(at..)?.first_chunk::<8>()?))
}
