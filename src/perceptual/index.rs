//! The near-neighbour index of a PDQ hash set: every entry within a
//! Hamming distance of a file's 256-bit PDQ hash, exactly (the same set a
//! comparison with every entry gives), fast at ten million entries, read in
//! place from a memory map like the exact-digest sets (`hashsets::index`).
//!
//! Method: multi-index hashing (Norouzi, Punjani, Fleet, 2012). The 256
//! bits are cut into `m` substrings (11 of 23-24 bits at 10 M entries); by
//! pigeonhole an entry within the threshold has some substring within a
//! small radius of the query's, so probing each substring's table around
//! the query's key and measuring the full distance of what is found misses
//! nothing (`plan.rs` gives the argument and the radii for any threshold).
//! Each table is a counting sort of the entries by key into buckets by the
//! key's top bits; a bucket is one 64-byte line holding its first 14
//! records (entry index and the key's low bits in a u32), so a probe reads
//! one cache line and keys that differ only in their low bits share it.
//! When probing would cost more than comparing every entry (a wide
//! threshold, a small set) the query scans instead; both are exact.
//!
//! Measured (`examples/pdq_index_bench.rs`, one thread, KVM guest, index
//! on huge pages): 10 M random entries, threshold 31: 5,600 queries/s
//! (4,700 on 4 KiB pages), 1,015 MiB, built in 15 s; clustered: 4,100.
//! A query reads ~2,100 bucket lines and ~2,900 candidate entries at
//! random, ~35 ns each here: memory latency, not computation, is the limit.
//!
//! Files: `layout.rs` (the format, byte helpers, the distance), `plan.rs`
//! (the cost model: the builder's cut and each query's radii), `build.rs`,
//! `view.rs` (opening), `query.rs`, `verify.rs` (the full check).
//!
//! No read can panic or run out of range, damaged file or not: every access
//! is `get`, and this module denies the lints that would let one slip in.
//! Opening checks the header (checksummed) and the file length; a damaged
//! body can at worst hide a match, never invent one (every hit is measured
//! on the stored entry), and [`PdqIndexView::verify`] finds any damage.
#![deny(clippy::indexing_slicing, clippy::unwrap_used)]

mod build;
mod layout;
mod plan;
mod query;
mod verify;
mod view;

#[cfg(test)]
mod tests;

pub use build::PdqIndex;
pub use layout::HASH_LEN;
pub use query::{PdqSearcher, Strategy};
pub use view::PdqIndexView;

/// Distance at or under which a file matches a PDQ entry unless the set
/// says otherwise (the value ThreatExchange recommends for PDQ).
pub const DEFAULT_THRESHOLD: u32 = 31;

/// Why a PDQ index cannot be built, opened or trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IndexError {
    /// The bytes do not start with the PDQ index magic.
    #[error("not a Ferret PDQ index (no FERRETPQ magic)")]
    NotAnIndex,
    /// Written by another format version.
    #[error("PDQ index format version {found}; this build reads version {supported}")]
    Version {
        /// Version in the file.
        found: u32,
        /// Version this build reads.
        supported: u32,
    },
    /// Shorter than its header.
    #[error("PDQ index truncated: {len} bytes, its header needs {needed}")]
    Truncated {
        /// Bytes present.
        len: u64,
        /// Bytes the header needs.
        needed: u64,
    },
    /// The header does not match its checksum.
    #[error("PDQ index header damaged (checksum mismatch)")]
    HeaderChecksum,
    /// The header is consistent with its checksum but not valid.
    #[error("PDQ index header invalid: {0}")]
    BadHeader(String),
    /// The file is not as long as its header says.
    #[error("PDQ index is {found} bytes, its header says {expected}")]
    Length {
        /// Bytes present.
        found: u64,
        /// Bytes the header describes.
        expected: u64,
    },
    /// The body does not match its checksum.
    #[error("PDQ index damaged: body checksum mismatch (the file changed after Ferret wrote it)")]
    BodyChecksum,
    /// A bucket line does not fit its neighbours or the table.
    #[error("PDQ index table {table}, bucket {bucket}: {reason}")]
    BadBucket {
        /// Substring table.
        table: u32,
        /// Bucket.
        bucket: u64,
        /// What is wrong.
        reason: &'static str,
    },
    /// A record is not where its entry's key puts it.
    #[error("PDQ index table {table}, bucket {bucket}, record {record}: {reason}")]
    BadRecord {
        /// Substring table.
        table: u32,
        /// Bucket.
        bucket: u64,
        /// Record, counted from the bucket's first.
        record: u64,
        /// What is wrong.
        reason: &'static str,
    },
    /// More entries than an entry index (u32) can name, or than memory holds.
    #[error("{entries} PDQ entries: an index holds at most {max}")]
    TooManyEntries {
        /// Entries given.
        entries: usize,
        /// Most an index holds.
        max: u32,
    },
}
