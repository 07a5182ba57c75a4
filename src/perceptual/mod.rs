//! Perceptual hashes: fingerprints of what a picture looks like rather than
//! of its bytes, so that a re-encoded, resized or lightly edited copy of a
//! known picture still matches its entry in a hash list. Exact digests
//! ([`crate::hashing`]) miss every such copy.
//!
//! [`pdq`] is Meta's PDQ (the hash ThreatExchange and NCMEC lists carry),
//! ported from the C++ reference so that hashes agree bit for bit on the
//! same pixels.

pub mod pdq;

pub use pdq::{
    Dihedral, DihedralHashes, HashAndQuality, PdqHash, dihedral_luma, dihedral_rgb8, hash_luma,
    hash_rgb8,
};
