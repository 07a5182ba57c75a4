//! The examiner's hash library: a folder of compiled sets (`NAME.fhs`), each
//! with a small `NAME.source.json` that says how to rebuild it: the source,
//! its SHA-256, and every import option (kind, format, category profile,
//! `--hex64`). Importing an unchanged source with the same options again is
//! a no-op; anything else recompiles. A damaged index (one that opening
//! refuses, or that fails [`CompiledSet::verify`]: at load for a small set,
//! by `ferret hashset verify` or a scan for any) is rebuilt from its source
//! with its recorded options when the source is still there unchanged
//! ([`Rebuild`] says so), and refused otherwise.
//!
//! Files in the folder are only ever replaced whole (`hashsets::replace`:
//! temporary file, flush, rename): never truncated or rewritten in place,
//! since a running scan may have the old index memory-mapped.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::formats;
use super::index::{CategoryProfile, IndexBuilder, Rebuild};
use super::replace::replace_file;
use super::{
    CompiledSet, Entry, Format, HashSetError, Hex64, ParseReport, PdqMatch, Provenance, SetKind,
};
use crate::evidence::UtcTime;
use crate::pathfmt::escape_path;

/// Sets whose index is at most this big are verified when loaded, so their
/// damage is rebuilt before anything uses them: 64 MiB (about 3.5 M MD5
/// entries) verifies in about 45 ms (measured 1.5 GB/s, file cached).
/// Bigger sets are verified by the scan that uses them, alongside its walk,
/// or by `hashset verify`.
const VERIFY_ON_LOAD_MAX: u64 = 64 << 20;

/// How to import a source.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Set name (default: the file name without extension).
    pub name: Option<String>,
    /// What matches mean.
    pub kind: SetKind,
    /// Format, if not sniffed.
    pub format: Option<Format>,
    /// Meaning of bare 64-hex digests.
    pub hex64: Hex64,
    /// Category profile for categorised sets (default: US for VICS).
    pub categories: Option<CategoryProfile>,
    /// How PDQ entries match (threshold, minimum quality).
    pub pdq: PdqMatch,
}

impl ImportOptions {
    /// Options for a set of `kind`, everything else sniffed or defaulted.
    pub fn new(kind: SetKind) -> Self {
        ImportOptions {
            name: None,
            kind,
            format: None,
            hex64: Hex64::Either,
            categories: None,
            pdq: PdqMatch::default(),
        }
    }
}

/// What an import did.
#[derive(Debug)]
pub struct ImportOutcome {
    /// The compiled set's provenance.
    pub provenance: Provenance,
    /// What parsing found (rejects with line numbers).
    pub report: ParseReport,
    /// True when the source was unchanged and nothing was compiled.
    pub unchanged: bool,
}

/// `NAME.source.json`: how to rebuild a set exactly as it was imported.
/// Fields added after the first release default, so older records read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct SourceRecord {
    /// The set's name (the file name says it too).
    #[serde(default)]
    name: Option<String>,
    source_path: PathBuf,
    source_sha256: String,
    kind: SetKind,
    format: Format,
    /// The category profile in force (the VICS default made explicit).
    categories: Option<CategoryProfile>,
    /// What bare 64-hex digests are; `None` in records older than this
    /// field (such a set is rebuilt indexing them as both, and says so).
    #[serde(default)]
    hex64: Option<Hex64>,
    /// How PDQ entries match; absent in records older than PDQ sets (the
    /// defaults then).
    #[serde(default)]
    pdq: PdqMatch,
}

impl SourceRecord {
    /// True when `self` and `other` compile to the same set (the source
    /// may have been given by another path).
    fn same_import(&self, other: &SourceRecord) -> bool {
        (
            &self.source_sha256,
            self.kind,
            self.format,
            &self.categories,
            self.hex64,
            self.pdq,
        ) == (
            &other.source_sha256,
            other.kind,
            other.format,
            &other.categories,
            other.hex64,
            other.pdq,
        )
    }
}

/// A folder of compiled sets.
#[derive(Debug, Clone)]
pub struct HashLibrary {
    dir: PathBuf,
}

/// Set names become file names: letters, digits, `.`, `_`, `-` only.
pub fn sanitize_name(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let s = s.trim_start_matches('.').to_string();
    if s.is_empty() { "set".into() } else { s }
}

fn sha256_file(path: &Path) -> Result<(String, u64), HashSetError> {
    let io = |source| HashSetError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut f = File::open(path).map_err(io)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut len = 0u64;
    loop {
        let n = f.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        h.update(buf.get(..n).unwrap_or_default());
        len += n as u64;
    }
    Ok((hex::encode(h.finalize()), len))
}

/// Parses a source in `format`, handing entries to `sink`.
pub fn parse_source(
    path: &Path,
    format: Format,
    hex64: Hex64,
    sink: &mut dyn FnMut(Entry),
) -> Result<ParseReport, HashSetError> {
    let mut report = ParseReport::new(path);
    let io = |source| HashSetError::Io {
        path: path.to_path_buf(),
        source,
    };
    let open = || {
        File::open(path)
            .map(|f| BufReader::with_capacity(1 << 20, f))
            .map_err(io)
    };
    match format {
        Format::Plain => formats::plain::parse(&mut open()?, hex64, &mut report, sink)?,
        Format::Sums => formats::sums::parse(&mut open()?, hex64, &mut report, sink)?,
        Format::Hashdeep => formats::hashdeep::parse(&mut open()?, &mut report, sink)?,
        Format::NsrlLegacy => formats::nsrl_legacy::parse(&mut open()?, &mut report, sink)?,
        Format::NsrlZip => formats::nsrl_legacy::parse_zip(open()?, &mut report, sink)?,
        Format::NsrlV3 => formats::nsrl_v3::parse(path, &mut report, sink)?,
        Format::Vics => formats::vics::parse(&mut open()?, &mut report, sink)?,
        Format::HashKeeper => {
            if let Some(hke) = formats::hashkeeper::read_hke(path) {
                report.embedded_name = hke.name;
            }
            formats::hashkeeper::parse(&mut open()?, &mut report, sink)?
        }
        Format::Encase => formats::encase::parse(&mut open()?, &mut report, sink)?,
        Format::Csv => formats::csv_generic::parse(&mut open()?, hex64, &mut report, sink)?,
        Format::Pdq => formats::pdq::parse(&mut open()?, &mut report, sink)?,
    }
    Ok(report)
}

impl HashLibrary {
    /// The library folder: `FERRET_LIBRARY`, else the platform data folder
    /// (`~/.local/share/ferret/hashsets` on Linux).
    pub fn default_dir() -> PathBuf {
        if let Some(p) = std::env::var_os("FERRET_LIBRARY") {
            return PathBuf::from(p);
        }
        directories::ProjectDirs::from("", "", "ferret")
            .map(|d| d.data_dir().join("hashsets"))
            .unwrap_or_else(|| PathBuf::from("ferret-hashsets"))
    }

    /// Opens (creating if needed) a library folder.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, HashSetError> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir).map_err(|source| HashSetError::Io {
            path: dir.clone(),
            source,
        })?;
        Ok(HashLibrary { dir })
    }

    /// Opens a library folder that exists; creates nothing (for listing
    /// what a typed path holds).
    pub fn open_existing(dir: impl Into<PathBuf>) -> Result<Self, HashSetError> {
        let dir = dir.into();
        match std::fs::metadata(&dir) {
            Ok(m) if m.is_dir() => Ok(HashLibrary { dir }),
            Ok(_) => Err(HashSetError::Io {
                source: std::io::Error::other("not a folder"),
                path: dir,
            }),
            Err(source) => Err(HashSetError::Io { path: dir, source }),
        }
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn index_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{}.fhs", sanitize_name(name)))
    }

    fn source_path(&self, name: &str) -> PathBuf {
        self.dir
            .join(format!("{}.source.json", sanitize_name(name)))
    }

    /// Imports (or re-imports) a source file, calling `progress(entries)`
    /// every 100,000 entries.
    pub fn import(
        &self,
        path: &Path,
        opts: &ImportOptions,
        progress: &mut dyn FnMut(u64),
    ) -> Result<ImportOutcome, HashSetError> {
        let name = sanitize_name(&opts.name.clone().unwrap_or_else(|| {
            path.file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "set".into())
        }));
        let m = opts.pdq;
        if m.threshold > PdqMatch::MAX_THRESHOLD || m.min_quality > 100 {
            return Err(HashSetError::Malformed {
                path: path.to_path_buf(),
                reason: format!(
                    "PDQ threshold {} / minimum quality {}: the threshold must be 0-{} \
                     (wider matches unrelated pictures) and the quality 0-100",
                    m.threshold,
                    m.min_quality,
                    PdqMatch::MAX_THRESHOLD
                ),
            });
        }
        let format = match opts.format {
            Some(f) => f,
            None => super::sniff(path)?,
        };
        let (sha, len) = sha256_file(path)?;
        let categories = match (&opts.categories, format) {
            (Some(c), _) => Some(c.clone()),
            (None, Format::Vics) => Some(CategoryProfile::us()),
            _ => None,
        };
        let record = SourceRecord {
            name: Some(name.clone()),
            source_path: std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()),
            source_sha256: sha,
            kind: opts.kind,
            format,
            categories,
            hex64: Some(opts.hex64),
            pdq: opts.pdq,
        };
        if let Some(provenance) = self.unchanged(&name, &record) {
            return Ok(ImportOutcome {
                provenance,
                report: ParseReport::new(path),
                unchanged: true,
            });
        }
        self.compile(&name, path, &record, len, progress)
    }

    /// The provenance of set `name` if it is sound and was compiled from
    /// the same source with the same options as `record` would.
    fn unchanged(&self, name: &str, record: &SourceRecord) -> Option<Provenance> {
        if !self.read_record(name)?.same_import(record) {
            return None;
        }
        let set = CompiledSet::open(&self.index_path(name)).ok()?;
        let p = set.provenance();
        let same = p.source_sha256 == record.source_sha256
            && p.kind == record.kind
            && p.format == record.format
            && p.categories == record.categories
            && p.hex64 == record.hex64
            && p.pdq.is_none_or(|m| m == record.pdq);
        // A damaged index is no reason to do nothing: re-importing is how
        // an examiner repairs one.
        (same && set.verify().is_ok()).then(|| p.clone())
    }

    /// Compiles `path` into set `name` as `record` says, replacing the
    /// index and its record atomically.
    fn compile(
        &self,
        name: &str,
        path: &Path,
        record: &SourceRecord,
        len: u64,
        progress: &mut dyn FnMut(u64),
    ) -> Result<ImportOutcome, HashSetError> {
        let mut builder = IndexBuilder::default();
        let mut overflow = None;
        let hex64 = record.hex64.unwrap_or(Hex64::Either);
        let mut too_flat = 0u64;
        let mut report = parse_source(path, record.format, hex64, &mut |e| {
            if e.pdq
                .is_some_and(|p| p.quality.is_some_and(|q| q < record.pdq.min_quality))
            {
                too_flat += 1;
            }
            if let Err(why) = builder.add(&e) {
                overflow.get_or_insert(why);
            }
            if builder.len() % 100_000 == 0 {
                progress(builder.len());
            }
        })?;
        if too_flat > 0 {
            report.warnings.push(format!(
                "{too_flat} PDQ entries have a quality below the set's minimum of {}: \
                 they will never match (import with a lower --pdq-min-quality to match them)",
                record.pdq.min_quality
            ));
        }
        if let Some(why) = overflow {
            return Err(HashSetError::Malformed {
                path: path.to_path_buf(),
                reason: why,
            });
        }
        if builder.is_empty() {
            return Err(HashSetError::Empty {
                path: path.to_path_buf(),
                rejected: report.rejected,
                first: report.reject_lines().into_iter().next(),
            });
        }
        let provenance = Provenance {
            name: name.to_string(),
            kind: record.kind,
            format: record.format,
            source_path: record.source_path.clone(),
            source_sha256: record.source_sha256.clone(),
            source_len: len,
            counts: builder.counts(),
            entries: builder.len(),
            rejected: report.rejected,
            imported_at: UtcTime::now().to_iso8601(),
            tool_version: crate::VERSION.to_string(),
            source_profile: report.profile.clone(),
            categories: record.categories.clone(),
            embedded_name: report.embedded_name.clone(),
            hex64: record.hex64,
            pdq: builder.has_pdq().then_some(record.pdq),
        };
        let index = self.index_path(name);
        let write_err = |source| HashSetError::Io {
            path: index.clone(),
            source,
        };
        builder.write(&index, &provenance).map_err(write_err)?;
        let json =
            serde_json::to_vec_pretty(record).map_err(|e| write_err(std::io::Error::other(e)))?;
        let record_path = self.source_path(name);
        replace_file(&record_path, |f| std::io::Write::write_all(f, &json)).map_err(|source| {
            HashSetError::Io {
                path: record_path.clone(),
                source,
            }
        })?;
        Ok(ImportOutcome {
            provenance,
            report,
            unchanged: false,
        })
    }

    /// The import record of set `name`, if it has a readable one.
    fn read_record(&self, name: &str) -> Option<SourceRecord> {
        let bytes = std::fs::read(self.source_path(name)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Opens a set by name. An index that opening refuses is rebuilt from
    /// its source (see [`rebuild`](Self::rebuild)); a small set is also
    /// verified whole now, and rebuilt when that fails. A bigger set is
    /// verified by the scan that uses it ([`load_verified`] does it now).
    ///
    /// [`load_verified`]: Self::load_verified
    pub fn load(&self, name: &str) -> Result<CompiledSet, HashSetError> {
        let path = self.index_path(name);
        if !path.exists() {
            return Err(HashSetError::NotFound(name.to_string()));
        }
        let set = match CompiledSet::open(&path) {
            Ok(set) => set,
            Err(bad @ HashSetError::BadIndex { .. }) => return self.rebuild(name, bad),
            Err(e) => return Err(e),
        };
        if set.file_len() <= VERIFY_ON_LOAD_MAX
            && let Err(bad) = set.verify()
        {
            drop(set);
            return self.rebuild(name, bad);
        }
        Ok(set)
    }

    /// [`load`](Self::load), then a whole verification of the set whatever
    /// its size (one read of the file), rebuilding it when that fails.
    pub fn load_verified(&self, name: &str) -> Result<CompiledSet, HashSetError> {
        let set = self.load(name)?;
        match set.verify() {
            Ok(()) => Ok(set),
            Err(bad) => {
                drop(set);
                self.rebuild(name, bad)
            }
        }
    }

    /// Recompiles set `name`, whose index is damaged as `damage` says, from
    /// its source with the options it was imported with, when the source is
    /// still there with the SHA-256 it had; the set comes back marked with
    /// the [`Rebuild`]. Otherwise the damage is returned, saying why it
    /// could not be rebuilt.
    fn rebuild(&self, name: &str, damage: HashSetError) -> Result<CompiledSet, HashSetError> {
        let HashSetError::BadIndex { path, reason } = damage else {
            return Err(damage);
        };
        let refuse = |why: String| HashSetError::BadIndex {
            path: path.clone(),
            reason: format!("{reason}; cannot rebuild it: {why}; re-import the set"),
        };
        let name = sanitize_name(name);
        let Some(record) = self.read_record(&name) else {
            return Err(refuse(format!("no readable {name}.source.json beside it")));
        };
        let source = escape_path(&record.source_path);
        let len = match sha256_file(&record.source_path) {
            Ok((sha, len)) if sha == record.source_sha256 => len,
            Ok(_) => return Err(refuse(format!("its source {source} changed since import"))),
            Err(_) => return Err(refuse(format!("its source {source} cannot be read"))),
        };
        self.compile(&name, &record.source_path, &record, len, &mut |_| {})?;
        let set = CompiledSet::open(&self.index_path(&name))?;
        set.verify()?;
        Ok(set.with_rebuild(Rebuild {
            name,
            source: record.source_path,
            reason,
            hex64_assumed: record.hex64.is_none(),
        }))
    }

    /// The names of the sets in the library (`*.fhs`), sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let n = e.file_name().to_string_lossy().into_owned();
                n.strip_suffix(".fhs").map(str::to_string)
            })
            .collect();
        names.sort();
        names
    }

    /// Every set in the library (a corrupt one as its error).
    pub fn list(&self) -> Vec<Result<CompiledSet, HashSetError>> {
        self.names().iter().map(|n| self.load(n)).collect()
    }

    /// Removes a set.
    pub fn remove(&self, name: &str) -> Result<(), HashSetError> {
        let path = self.index_path(name);
        std::fs::remove_file(&path).map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => HashSetError::NotFound(name.to_string()),
            _ => HashSetError::Io { path, source },
        })?;
        let _ = std::fs::remove_file(self.source_path(name));
        Ok(())
    }
}
