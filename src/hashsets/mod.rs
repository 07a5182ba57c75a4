//! Hash sets: every format examiners use, compiled into a memory-mapped
//! index, kept in a library, and matched against every scanned file.
//!
//! ```text
//! source file ─► detect (sniff content) ─► formats::<one> ─► Entry stream ─► index::compile
//!   ─► <library>/<name>.fhs (sorted fixed-width digests per algorithm, prefix table,
//!      entry table, provenance header) ─► HashSetCatalog (mmap) ─► lookup(DigestSet) ─► Vec<Hit>
//! ```
//! Parsing never stops at a bad line: it is counted, the first
//! [`MAX_LISTED_REJECTS`] are kept as `file:line: reason`, and the rest loads.
// Data from a hash set or the evidence never indexes unchecked and never
// unwraps: a hostile input is an error, not a panic.
#![deny(clippy::indexing_slicing, clippy::unwrap_used)]

pub mod catalog;
pub mod detect;
pub mod formats;
pub mod index;
pub mod library;
pub mod message;
mod provenance;
mod replace;

pub use catalog::{Basis, HashSetCatalog, Hit, SetDamage};
pub use detect::{Format, sniff};
pub use index::{CompiledSet, Provenance};
pub use library::HashLibrary;

use std::fmt;
use std::path::{Path, PathBuf};

use crate::hashing::{Algorithm, DigestSet};

/// What a set's matches mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SetKind {
    /// Known-bad: a match flags the file.
    Alert,
    /// Known-good: a match alone filters the file out.
    Ignore,
    /// Informational: a match annotates the file.
    Info,
}

impl SetKind {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            SetKind::Alert => "alert",
            SetKind::Ignore => "ignore",
            SetKind::Info => "info",
        }
    }
}

impl std::str::FromStr for SetKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "alert" | "known-bad" | "notable" => Ok(SetKind::Alert),
            "ignore" | "known-good" | "known" => Ok(SetKind::Ignore),
            "info" => Ok(SetKind::Info),
            _ => Err(format!("unknown kind '{s}' (alert, ignore or info)")),
        }
    }
}

impl fmt::Display for SetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One record of a hash set, as parsed from its source.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entry {
    /// The digests the record carries (at least one).
    pub digests: DigestSet,
    /// File size, where the format has it.
    pub size: Option<u64>,
    /// File name (or path), where the format has it.
    pub name: Option<String>,
    /// Raw category number (VICS), where present; `None` is uncategorised.
    pub category: Option<i64>,
    /// Media id (VICS `MediaID`), product code (NSRL), file id (HashKeeper).
    pub media_id: Option<i64>,
    /// Other fields kept verbatim (series, victim identified, PhotoDNA,
    /// NSRL product/OS, …), as `key=value`.
    pub extra: Vec<(String, String)>,
    /// A PDQ perceptual hash, where the record carries one in a column or
    /// format that says it is PDQ (never guessed from a bare 64-hex value).
    pub pdq: Option<PdqEntry>,
}

/// The PDQ hash of a hash-set record, with its quality where the source
/// gives it (0-100; `None`: not stated, so only the file's own quality is
/// checked when matching).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PdqEntry {
    /// The 256-bit hash, in the byte order of [`crate::perceptual::PdqHash`].
    pub hash: [u8; 32],
    /// Quality 0-100, if stated.
    pub quality: Option<u8>,
}

/// How a set's PDQ entries match: a picture matches an entry within
/// `threshold` bits when both its quality and the entry's (where stated)
/// are at least `min_quality`. Kept with the set (its provenance).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PdqMatch {
    /// Largest Hamming distance that matches (default 31, Meta's
    /// recommendation).
    pub threshold: u32,
    /// Lowest quality of either side that is matched (default 50).
    pub min_quality: u8,
}

impl PdqMatch {
    /// Widest threshold accepted: past 64 of 256 bits, unrelated pictures
    /// match (Meta's own guidance stops well below), so a wider setting is
    /// refused rather than let it bury real hits in noise.
    pub const MAX_THRESHOLD: u32 = 64;
}

impl Default for PdqMatch {
    fn default() -> Self {
        PdqMatch {
            threshold: crate::perceptual::DEFAULT_THRESHOLD,
            min_quality: crate::perceptual::MIN_QUALITY,
        }
    }
}

impl Entry {
    /// An entry with one digest.
    pub fn with_digest(algorithm: Algorithm, bytes: &[u8]) -> Entry {
        let mut e = Entry::default();
        e.set_digest(algorithm, bytes);
        e
    }

    /// Sets one digest (the slice must have the algorithm's length).
    pub fn set_digest(&mut self, algorithm: Algorithm, bytes: &[u8]) {
        let d = &mut self.digests;
        match algorithm {
            Algorithm::Md5 => d.md5 = bytes.try_into().ok(),
            Algorithm::Sha1 => d.sha1 = bytes.try_into().ok(),
            Algorithm::Sha256 => d.sha256 = bytes.try_into().ok(),
            Algorithm::Blake3 => d.blake3 = bytes.try_into().ok(),
        }
    }

    /// True when no digest (cryptographic or PDQ) is set.
    pub fn is_empty(&self) -> bool {
        self.pdq.is_none()
            && Algorithm::ALL
                .iter()
                .all(|a| self.digests.get(*a).is_none())
    }
}

/// A line (or record) that could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    /// 1-based line (or record) number.
    pub line: u64,
    /// Why.
    pub reason: String,
}

/// Most rejected lines listed individually; all are counted.
pub const MAX_LISTED_REJECTS: usize = 100;

/// What a parse produced besides entries.
#[derive(Debug, Clone, Default)]
pub struct ParseReport {
    /// The source, for messages.
    pub source: PathBuf,
    /// Entries delivered.
    pub entries: u64,
    /// Lines rejected (all of them).
    pub rejected: u64,
    /// The first [`MAX_LISTED_REJECTS`] rejected lines.
    pub first_rejects: Vec<Reject>,
    /// VICS category profile (`US`, `UK`, …) from the context URL.
    pub profile: Option<String>,
    /// Set name found inside the source (EnCase, HashKeeper `.hke`).
    pub embedded_name: Option<String>,
    /// How positions are counted: `""` for lines, `"record "` for records.
    pub unit: &'static str,
    /// What the examiner should know about how the source was read (a
    /// column that may not mean what it was taken for).
    pub warnings: Vec<String>,
}

impl ParseReport {
    pub(crate) fn new(source: &Path) -> Self {
        ParseReport {
            source: source.to_path_buf(),
            ..Default::default()
        }
    }

    pub(crate) fn reject(&mut self, line: u64, reason: impl Into<String>) {
        self.rejected += 1;
        if self.first_rejects.len() < MAX_LISTED_REJECTS {
            self.first_rejects.push(Reject {
                line,
                reason: message::excerpt(&reason.into(), message::MAX_REASON_CHARS),
            });
        }
    }

    /// `file:line: reason` lines for the listed rejects.
    pub fn reject_lines(&self) -> Vec<String> {
        self.first_rejects
            .iter()
            .map(|r| {
                format!(
                    "{}:{}{}: {}",
                    message::shown_path(&self.source),
                    self.unit,
                    r.line,
                    r.reason
                )
            })
            .collect()
    }
}

/// Why a hash-set file could not be loaded at all.
#[derive(Debug, thiserror::Error)]
pub enum HashSetError {
    /// Reading the file failed.
    #[error("{}: {source}", message::shown_path(path))]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// Nothing in the file looks like a supported format.
    #[error(
        "{}: not a recognised hash-set format (tried: {tried})",
        message::shown_path(path)
    )]
    Unrecognised {
        /// The file.
        path: PathBuf,
        /// The formats tried, comma-separated.
        tried: String,
    },
    /// The format was recognised but no valid entry was found.
    #[error("{}: no valid entries ({rejected} lines rejected){}", message::shown_path(path),
            first.as_ref().map(|f| format!("; first: {}", message::escape_text(f))).unwrap_or_default())]
    Empty {
        /// The file.
        path: PathBuf,
        /// Lines rejected.
        rejected: u64,
        /// The first reject, as `file:line: reason`.
        first: Option<String>,
    },
    /// The structure is broken beyond line-level recovery (truncated JSON,
    /// corrupt database, bad zip).
    #[error("{}: {}", message::shown_path(path), message::excerpt(reason, 2 * message::MAX_REASON_CHARS))]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A compiled index is corrupt or from another version.
    #[error(
        "{}: compiled set is unusable: {}",
        message::shown_path(path),
        message::escape_text(reason)
    )]
    BadIndex {
        /// The index file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// No set of that name in the library.
    #[error("no hash set named '{}' in the library", message::escape_text(.0))]
    NotFound(String),
}

/// Parses hex of exactly `len` bytes (either case).
pub(crate) fn parse_hex(s: &str, len: usize) -> Option<Vec<u8>> {
    let s = s.trim();
    if s.len() != len * 2 {
        return None;
    }
    hex::decode(s).ok()
}

/// What a bare 64-hex-character digest is: SHA-256 and BLAKE3 have the same
/// length and a plain list or `*sum` file does not say which.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Hex64 {
    /// SHA-256 (sha256sum lists).
    Sha256,
    /// BLAKE3 (b3sum lists).
    Blake3,
    /// Unknown: index it as both. A file's SHA-256 equal to another file's
    /// BLAKE3 is a cryptographic impossibility, so this never mismatches.
    #[default]
    Either,
    /// A PDQ perceptual hash (`--algorithm pdq`): only ever when the
    /// examiner says so, never guessed.
    Pdq,
}

/// Builds an entry from a bare hex digest told apart by length.
pub(crate) fn entry_from_hex(hex: &str, hex64: Hex64) -> Result<Entry, String> {
    let algos: &[Algorithm] = match (hex.len(), hex64) {
        (32, _) => &[Algorithm::Md5],
        (40, _) => &[Algorithm::Sha1],
        (64, Hex64::Sha256) => &[Algorithm::Sha256],
        (64, Hex64::Blake3) => &[Algorithm::Blake3],
        (64, Hex64::Either) => &[Algorithm::Sha256, Algorithm::Blake3],
        (64, Hex64::Pdq) => {
            let hash = formats::pdq::pdq_hash(hex)?;
            return Ok(Entry {
                pdq: Some(PdqEntry {
                    hash,
                    quality: None,
                }),
                ..Entry::default()
            });
        }
        (n, _) => {
            return Err(format!(
                "not a digest: {n} characters (MD5 32, SHA-1 40, SHA-256/BLAKE3 64)"
            ));
        }
    };
    let bytes = hex::decode(hex).map_err(|_| format!("bad hex in '{hex}'"))?;
    let mut e = Entry::default();
    for a in algos {
        e.set_digest(*a, &bytes);
    }
    Ok(e)
}
