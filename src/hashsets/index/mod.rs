//! The compiled, memory-mapped index of one hash set.
//!
//! Layout (little-endian): a header (magic `FERRETHS`, version, lengths,
//! per-algorithm counts and offsets, the file checksum, provenance JSON)
//! closed by the BLAKE3 of everything before it; then, per algorithm, a prefix table of
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
//! length and the place of every region, and nothing else: opening costs
//! the same at 50 M entries as at 5. The body is checked by
//! [`CompiledSet::verify`]: the file checksum (BLAKE3 of the whole file),
//! then every record (sorted, in its bucket, entry id in range) and every
//! entry row. A scan runs it on a worker while it walks and joins it before
//! the first hit is used; the library runs it when it loads a small set.
//! A file that fails any check is refused (and the library rebuilds it from
//! its source) — never trusted.
//!
//! No read of the file can panic or run out of range, damaged or not: every
//! access is `get`, never indexing, and this module denies the lints that
//! would let one slip in (`clippy::indexing_slicing`, `clippy::unwrap_used`).
//! An entry id the set does not have is `None` to every caller, never a
//! default kind.
//!
//! One concern per file: `layout.rs` (constants, header fields, region
//! placement, the checksum, byte helpers), `build.rs` (writing), `read.rs`
//! (opening, entries, digests), `lookup.rs` (search by digest), `verify.rs`
//! (the full check), and `raw.rs`, the only `unsafe` in Ferret (the file
//! mapping and the prefetch hint), audited there.
#![deny(clippy::indexing_slicing, clippy::unwrap_used)]

mod build;
mod layout;
mod lookup;
mod pdq;
mod raw;
mod read;
mod verify;

pub use super::provenance::{CategoryProfile, Provenance, Rebuild};
pub use build::IndexBuilder;
pub use pdq::PdqFound;
pub use read::{CompiledSet, EntryInfo};
