//! Where a compiled set came from and what its matches mean: the
//! provenance a set carries as JSON in its index header, the category
//! profile that gives a categorised (VICS) set's entries their kinds, and
//! the note of a rebuild when the library had to recompile a damaged index.
//!
//! Apart from the index because the case, the library and the CLI read and
//! write these without touching the index format; `hashsets::index`
//! re-exports both, so their paths stay where they always were.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{Format, Hex64, PdqMatch, SetKind};

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
    /// What bare 64-hex digests were taken for (`--hex64`); `None` in sets
    /// compiled before Ferret recorded it.
    #[serde(default)]
    pub hex64: Option<Hex64>,
    /// How the set's PDQ entries match (threshold, minimum quality); `None`
    /// for a set without PDQ entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pdq: Option<PdqMatch>,
}

/// A damaged index the library recompiled from its unchanged source, with
/// the import options it was first compiled with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rebuild {
    /// The set.
    pub name: String,
    /// The source it was rebuilt from.
    pub source: PathBuf,
    /// What was wrong with the index.
    pub reason: String,
    /// True when the set's record predates `--hex64` being kept, so bare
    /// 64-hex digests were indexed as both SHA-256 and BLAKE3.
    pub hex64_assumed: bool,
}

impl std::fmt::Display for Rebuild {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "rebuilt {} from {} (index damaged: {})",
            self.name,
            crate::pathfmt::escape_path(&self.source),
            self.reason
        )?;
        if self.hex64_assumed {
            f.write_str(
                "; its import predates Ferret recording --hex64, so bare 64-hex digests \
                 were indexed as both SHA-256 and BLAKE3 (re-import with --hex64 to narrow it)",
            )?;
        }
        Ok(())
    }
}
