//! Scan options: built once, frozen when the job is spawned.

use std::path::{Path, PathBuf};

use super::CancelToken;
use crate::hashing::AlgorithmSet;
use crate::hashsets::HashSetCatalog;

/// Everything a scan needs to know before it starts. Moved into the job at
/// spawn, so it cannot change while the scan runs.
#[derive(Clone)]
pub struct ScanOptions {
    root: PathBuf,
    algorithms: AlgorithmSet,
    cross_filesystems: bool,
    threads: usize,
    link_targets: Option<bool>,
    catalog: HashSetCatalog,
    resume: Option<std::sync::Arc<super::ResumeSet>>,
    cancel: CancelToken,
    order: super::Order,
    device: Option<super::DeviceKind>,
    split_min: u64,
    digest_paths: Option<crate::hashing::DigestPaths>,
    archives: Option<crate::archive::Limits>,
    pdq: bool,
}

/// Files from this size up have their digests spread over two threads when
/// few files remain (or always, on a spinning disk's single reader).
pub const SPLIT_MIN: u64 = 64 << 20;

impl ScanOptions {
    /// Options for scanning `root` with every algorithm, one worker per core.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        ScanOptions {
            root: root.into(),
            algorithms: AlgorithmSet::ALL,
            cross_filesystems: false,
            threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
            link_targets: None,
            catalog: HashSetCatalog::default(),
            resume: None,
            cancel: CancelToken::new(),
            order: super::Order::HitsFirst,
            device: None,
            split_min: SPLIT_MIN,
            digest_paths: None,
            archives: None,
            pdq: false,
        }
    }

    /// Look inside archives, under `limits` (off by default here; scans
    /// from settings turn it on as the examiner chose).
    pub fn archives(mut self, limits: Option<crate::archive::Limits>) -> Self {
        self.archives = limits;
        self
    }

    /// Compute perceptual hashes (PDQ) of still pictures (off by default
    /// here; scans from settings turn it on as the examiner chose).
    pub fn pdq(mut self, on: bool) -> Self {
        self.pdq = on;
        self
    }

    /// Whether pictures get perceptual hashes: when asked, and always when
    /// a selected set holds PDQ hashes (without them its near-duplicates
    /// would be missed without a word; front ends say it was turned on).
    pub fn pdq_enabled(&self) -> bool {
        self.pdq || self.catalog.has_pdq()
    }

    /// True when PDQ is computed although it was not asked for, because a
    /// selected set holds PDQ hashes.
    pub fn pdq_forced(&self) -> bool {
        !self.pdq && self.catalog.has_pdq()
    }

    /// The archive limits, when archives are looked inside.
    pub fn archive_limits(&self) -> Option<&crate::archive::Limits> {
        self.archives.as_ref()
    }

    /// Digests to compute (must not be empty; an empty set means all).
    pub fn algorithms(mut self, algorithms: AlgorithmSet) -> Self {
        self.algorithms = if algorithms.is_empty() {
            AlgorithmSet::ALL
        } else {
            algorithms
        };
        self
    }

    /// Whether to descend into other filesystems mounted below the root.
    pub fn cross_filesystems(mut self, yes: bool) -> Self {
        self.cross_filesystems = yes;
        self
    }

    /// Number of hashing threads (at least 1).
    pub fn threads(mut self, n: usize) -> Self {
        self.threads = n.max(1);
        self
    }

    /// Whether to read symbolic links' targets. Default (unset): only when
    /// the evidence is mounted read-only or `noatime`, because `readlink`
    /// updates a link's access time otherwise.
    pub fn read_link_targets(mut self, yes: bool) -> Self {
        self.link_targets = Some(yes);
        self
    }

    /// Hash sets every file is matched against.
    pub fn hash_sets(mut self, catalog: HashSetCatalog) -> Self {
        self.catalog = catalog;
        self
    }

    /// Skips entries already recorded (same path, size and mtime).
    pub fn resume(mut self, done: super::ResumeSet) -> Self {
        self.resume = Some(std::sync::Arc::new(done));
        self
    }

    /// What a resumed scan skips.
    pub fn resume_set(&self) -> Option<&super::ResumeSet> {
        self.resume.as_deref()
    }

    /// Hashing order (default: likely hits first).
    pub fn order(mut self, order: super::Order) -> Self {
        self.order = order;
        self
    }

    /// Overrides device detection.
    pub fn device(mut self, kind: super::DeviceKind) -> Self {
        self.device = Some(kind);
        self
    }

    /// Size from which one file's digests may be spread over two threads
    /// (default [`SPLIT_MIN`]; tests lower it; `u64::MAX` never splits).
    pub fn split_min(mut self, bytes: u64) -> Self {
        self.split_min = bytes;
        self
    }

    /// How digests are computed (default: [`DigestPaths::detect`], the
    /// fastest this CPU has). One stream a file delivers records in the
    /// order files are taken; in lanes sixteen a reader are in flight and
    /// each is delivered as it ends (tests of the order force one stream).
    ///
    /// [`DigestPaths::detect`]: crate::hashing::DigestPaths::detect
    pub fn digest_paths(mut self, paths: crate::hashing::DigestPaths) -> Self {
        self.digest_paths = Some(paths);
        self
    }

    /// See [`digest_paths`](Self::digest_paths).
    pub fn digest_paths_used(&self) -> crate::hashing::DigestPaths {
        self.digest_paths
            .unwrap_or_else(crate::hashing::DigestPaths::detect)
    }

    /// The hashing order.
    pub fn hashing_order(&self) -> super::Order {
        self.order
    }

    /// The device kind chosen by the examiner, if any.
    pub fn device_override(&self) -> Option<super::DeviceKind> {
        self.device
    }

    /// See [`split_min`](Self::split_min).
    pub fn split_threshold(&self) -> u64 {
        self.split_min
    }

    /// Uses an existing token (e.g. one a Ctrl-C handler already holds).
    pub fn with_cancel_token(mut self, token: CancelToken) -> Self {
        self.cancel = token;
        self
    }

    /// The evidence root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The digests asked for (what outputs print).
    pub fn requested_algorithms(&self) -> AlgorithmSet {
        self.algorithms
    }

    /// The digests the scan computes: those asked for, plus every digest a
    /// selected hash set lists. A set is only matched on the digests it
    /// holds, so computing fewer would miss its files without a word.
    pub fn computed_algorithms(&self) -> AlgorithmSet {
        self.algorithms.union(self.catalog.required_algorithms())
    }

    /// Options for scanning `root` as `settings` say, matching `catalog`
    /// (the sets `settings.hash_sets` names, loaded by the caller).
    pub fn from_settings(
        root: impl Into<PathBuf>,
        settings: &super::ScanSettings,
        catalog: HashSetCatalog,
    ) -> Self {
        let mut o = ScanOptions::new(root)
            .algorithms(settings.digests)
            .cross_filesystems(settings.cross_filesystems)
            .hash_sets(catalog)
            .order(settings.order)
            .archives(settings.archives.then(|| settings.archive_limits.clone()))
            .pdq(settings.pdq);
        if let Some(k) = settings.device {
            o = o.device(k);
        }
        if let Some(yes) = settings.read_link_targets {
            o = o.read_link_targets(yes);
        }
        o
    }

    /// Whether other filesystems are entered.
    pub fn crosses_filesystems(&self) -> bool {
        self.cross_filesystems
    }

    /// Hashing threads.
    pub fn thread_count(&self) -> usize {
        self.threads
    }

    /// The explicit link-target choice, if any.
    pub fn link_targets(&self) -> Option<bool> {
        self.link_targets
    }

    /// The hash sets matched during the scan.
    pub fn catalog(&self) -> &HashSetCatalog {
        &self.catalog
    }

    /// The scan's cancel token.
    pub fn cancel_token(&self) -> &CancelToken {
        &self.cancel
    }
}
