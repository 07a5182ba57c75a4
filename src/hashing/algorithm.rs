//! The digest algorithms Ferret computes, and sets of them.

use std::fmt;
use std::str::FromStr;

/// A digest algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    /// MD5 (128-bit): still the key of most law-enforcement hash sets.
    Md5,
    /// SHA-1 (160-bit): NSRL and VICS carry it.
    Sha1,
    /// SHA-256.
    Sha256,
    /// BLAKE3 (256-bit): fast; not representable in hashdeep files.
    Blake3,
}

impl Algorithm {
    /// All algorithms, in output column order.
    pub const ALL: [Algorithm; 4] = [
        Algorithm::Md5,
        Algorithm::Sha1,
        Algorithm::Sha256,
        Algorithm::Blake3,
    ];

    /// Lower-case name (`md5`, `sha1`, `sha256`, `blake3`).
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Md5 => "md5",
            Algorithm::Sha1 => "sha1",
            Algorithm::Sha256 => "sha256",
            Algorithm::Blake3 => "blake3",
        }
    }

    /// Digest length in bytes.
    pub fn digest_len(self) -> usize {
        match self {
            Algorithm::Md5 => 16,
            Algorithm::Sha1 => 20,
            Algorithm::Sha256 | Algorithm::Blake3 => 32,
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An algorithm name Ferret does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown algorithm '{0}' (expected md5, sha1, sha256 or blake3)")]
pub struct ParseAlgorithmError(pub String);

impl FromStr for Algorithm {
    type Err = ParseAlgorithmError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "md5" => Ok(Algorithm::Md5),
            "sha1" | "sha-1" => Ok(Algorithm::Sha1),
            "sha256" | "sha-256" => Ok(Algorithm::Sha256),
            "blake3" | "b3" => Ok(Algorithm::Blake3),
            _ => Err(ParseAlgorithmError(s.to_string())),
        }
    }
}

/// A set of algorithms (a bit set; iteration is in [`Algorithm::ALL`] order).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AlgorithmSet(u8);

impl AlgorithmSet {
    /// No algorithm.
    pub const EMPTY: AlgorithmSet = AlgorithmSet(0);
    /// All four algorithms (the default).
    pub const ALL: AlgorithmSet = AlgorithmSet(0b1111);

    /// A set of the given algorithms.
    pub fn of(algorithms: &[Algorithm]) -> Self {
        AlgorithmSet(algorithms.iter().fold(0, |acc, a| acc | a.bit()))
    }

    /// True if `a` is in the set.
    pub fn contains(self, a: Algorithm) -> bool {
        self.0 & a.bit() != 0
    }

    /// The set with `a` added.
    pub fn with(self, a: Algorithm) -> Self {
        AlgorithmSet(self.0 | a.bit())
    }

    /// True if the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Number of algorithms in the set.
    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    /// The algorithms, in [`Algorithm::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Algorithm> {
        Algorithm::ALL
            .into_iter()
            .filter(move |a| self.contains(*a))
    }
}

impl Default for AlgorithmSet {
    fn default() -> Self {
        AlgorithmSet::ALL
    }
}

impl fmt::Debug for AlgorithmSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl fmt::Display for AlgorithmSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.iter().map(Algorithm::name).collect();
        f.write_str(&names.join(","))
    }
}

impl AlgorithmSet {
    /// Both sets' algorithms.
    pub fn union(self, other: AlgorithmSet) -> Self {
        AlgorithmSet(self.0 | other.0)
    }

    /// The algorithms of `self` that `other` lacks.
    pub fn minus(self, other: AlgorithmSet) -> Self {
        AlgorithmSet(self.0 & !other.0)
    }
}

/// Stored as a list of names (`["md5","sha256"]`).
impl serde::Serialize for AlgorithmSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter().map(Algorithm::name))
    }
}

impl<'de> serde::Deserialize<'de> for AlgorithmSet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let names: Vec<String> = serde::Deserialize::deserialize(d)?;
        let mut set = AlgorithmSet::EMPTY;
        for n in names {
            set = set.with(n.parse().map_err(serde::de::Error::custom)?);
        }
        Ok(set)
    }
}

impl FromStr for AlgorithmSet {
    type Err = ParseAlgorithmError;

    /// Parses a comma-separated list such as `md5,sha1`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut set = AlgorithmSet::EMPTY;
        for part in s.split(',').filter(|p| !p.trim().is_empty()) {
            set = set.with(part.parse()?);
        }
        if set.is_empty() {
            return Err(ParseAlgorithmError(s.to_string()));
        }
        Ok(set)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn parses_lists() {
        let s: AlgorithmSet = "md5, SHA-256".parse().unwrap();
        assert_eq!(
            s.iter().collect::<Vec<_>>(),
            [Algorithm::Md5, Algorithm::Sha256]
        );
        assert_eq!(s.to_string(), "md5,sha256");
        assert!("md4".parse::<AlgorithmSet>().is_err());
        assert!("".parse::<AlgorithmSet>().is_err());
        assert_eq!(AlgorithmSet::default().len(), 4);
    }
}
