//! What the examiner chose for a scan, as one typed value: stored whole in
//! the case (`scans.options`, JSON) and read back whole on resume, so a
//! resumed scan repeats exactly what the first one asked for.
//!
//! The digests here are the ones *asked for*. The engine always computes
//! more when a selected hash set needs it (see
//! [`ScanOptions::computed_algorithms`](super::ScanOptions::computed_algorithms)):
//! a set of MD5s is matched even when only SHA-256 was asked for.

use serde::{Deserialize, Serialize};

use super::{DeviceKind, Order};
use crate::hashing::AlgorithmSet;

/// A scan's settings, as stored in the case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanSettings {
    /// Digests asked for (the engine adds what the hash sets need).
    pub digests: AlgorithmSet,
    /// Names of the hash-library sets matched, in catalog order.
    pub hash_sets: Vec<String>,
    /// Hashing order.
    pub order: Order,
    /// Device kind chosen by the examiner; `None`: detected at scan time.
    pub device: Option<DeviceKind>,
    /// Descend into other filesystems mounted below the root.
    pub cross_filesystems: bool,
    /// Read symbolic link targets: `None` only where the mount keeps their
    /// access times (read-only or `noatime`), `Some(true)` always.
    pub read_link_targets: Option<bool>,
    /// Look inside archives (ZIP, TAR, 7z, RAR, compressed streams). A scan
    /// stored before archives were read had none: absent means off, so a
    /// resume repeats it.
    #[serde(default)]
    pub archives: bool,
    /// The limits inside each archive (absent: the defaults).
    #[serde(default)]
    pub archive_limits: crate::archive::Limits,
    /// Perceptual hashes (PDQ) of still pictures. A scan stored before
    /// they existed had none: absent means off, so a resume repeats it.
    #[serde(default)]
    pub pdq: bool,
}

impl Default for ScanSettings {
    fn default() -> Self {
        ScanSettings {
            digests: AlgorithmSet::ALL,
            hash_sets: Vec::new(),
            order: Order::HitsFirst,
            device: None,
            cross_filesystems: false,
            read_link_targets: None,
            archives: true,
            archive_limits: crate::archive::Limits::default(),
            pdq: true,
        }
    }
}

/// Why stored settings could not be read back.
#[derive(Debug, thiserror::Error)]
#[error("the scan's stored settings cannot be read: {0}")]
pub struct SettingsError(String);

/// The form Ferret 0.1 cases stored before [`ScanSettings`]: strings that
/// were parsed back with defaults. Read strictly now: a value that does not
/// parse is an error, never a silent default.
#[derive(Deserialize)]
struct Legacy {
    algorithms: String,
    hash_sets: Vec<String>,
    cross_filesystems: bool,
    #[serde(default)]
    order: String,
    #[serde(default)]
    device: String,
}

impl ScanSettings {
    /// The JSON stored in the case.
    pub fn to_json(&self) -> String {
        // A struct of plain fields: serialising cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads stored settings (this version's, or a 0.1 case's).
    pub fn from_json(text: &str) -> Result<ScanSettings, SettingsError> {
        match serde_json::from_str::<ScanSettings>(text) {
            Ok(s) => Ok(s),
            Err(new_err) => {
                let old: Legacy =
                    serde_json::from_str(text).map_err(|_| SettingsError(new_err.to_string()))?;
                let digests = old
                    .algorithms
                    .parse()
                    .map_err(|e| SettingsError(format!("digests: {e}")))?;
                let order = match old.order.as_str() {
                    "" => Order::HitsFirst,
                    o => o.parse().map_err(SettingsError)?,
                };
                let device = match old.device.as_str() {
                    "" | "auto" => None,
                    d => Some(d.parse().map_err(SettingsError)?),
                };
                Ok(ScanSettings {
                    digests,
                    hash_sets: old.hash_sets,
                    order,
                    device,
                    cross_filesystems: old.cross_filesystems,
                    read_link_targets: None,
                    archives: false,
                    archive_limits: crate::archive::Limits::default(),
                    pdq: false,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hashing::Algorithm;

    #[test]
    fn round_trips_and_reads_legacy() {
        let s = ScanSettings {
            digests: AlgorithmSet::of(&[Algorithm::Md5]),
            hash_sets: vec!["a".into()],
            order: Order::Walk,
            device: Some(DeviceKind::Rotational),
            cross_filesystems: true,
            read_link_targets: Some(true),
            archives: true,
            archive_limits: crate::archive::Limits {
                max_depth: 3,
                ..Default::default()
            },
            pdq: true,
        };
        assert_eq!(
            s.to_json(),
            r#"{"digests":["md5"],"hash_sets":["a"],"order":"walk","device":"hdd","cross_filesystems":true,"read_link_targets":true,"archives":true,"archive_limits":{"max_depth":3,"max_expanded":1099511627776,"max_ratio":250,"ratio_floor":16777216,"max_members":1000000,"time_budget_secs":600,"max_in_memory":268435456},"pdq":true}"#
        );
        // A scan stored before archives were read resumes without them.
        let before = r#"{"digests":["md5"],"hash_sets":[],"order":"walk","device":null,"cross_filesystems":false,"read_link_targets":null}"#;
        assert!(!ScanSettings::from_json(before).unwrap().archives);
        assert_eq!(ScanSettings::from_json(&s.to_json()).unwrap(), s);
        let old = r#"{"algorithms":"md5,sha1","hash_sets":["x"],"cross_filesystems":false,"order":"walk","device":"ssd"}"#;
        let o = ScanSettings::from_json(old).unwrap();
        assert_eq!(
            o.digests,
            AlgorithmSet::of(&[Algorithm::Md5, Algorithm::Sha1])
        );
        assert_eq!(
            (o.order, o.device),
            (Order::Walk, Some(DeviceKind::SolidState))
        );
        // No silent default: a damaged value is an error.
        assert!(
            ScanSettings::from_json(
                r#"{"algorithms":"md4","hash_sets":[],"cross_filesystems":false}"#
            )
            .is_err()
        );
        assert!(ScanSettings::from_json("{}").is_err());
    }
}
