//! The examiner's hash library: a folder of compiled sets (`NAME.fhs`), each
//! with a small `NAME.source.json` that says how to rebuild it. Importing an
//! unchanged source again is a no-op; a changed source is recompiled; a
//! corrupt or truncated index is rebuilt from its source when that is still
//! there, and refused otherwise.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::formats;
use super::index::{CategoryProfile, IndexBuilder};
use super::{CompiledSet, Entry, Format, HashSetError, Hex64, ParseReport, Provenance, SetKind};
use crate::evidence::UtcTime;

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

#[derive(Debug, Clone, Serialize, Deserialize)]
struct SourceRecord {
    source_path: PathBuf,
    source_sha256: String,
    kind: SetKind,
    format: Format,
    categories: Option<CategoryProfile>,
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
        h.update(&buf[..n]);
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
        let format = match opts.format {
            Some(f) => f,
            None => super::sniff(path)?,
        };
        let (sha, len) = sha256_file(path)?;
        if let Ok(existing) = CompiledSet::open(&self.index_path(&name)) {
            let p = existing.provenance();
            if p.source_sha256 == sha && p.kind == opts.kind && p.format == format {
                return Ok(ImportOutcome {
                    provenance: p.clone(),
                    report: ParseReport::new(path),
                    unchanged: true,
                });
            }
        }
        let mut builder = IndexBuilder::default();
        let mut overflow = None;
        let report = parse_source(path, format, opts.hex64, &mut |e| {
            if let Err(why) = builder.add(&e) {
                overflow.get_or_insert(why);
            }
            if builder.len() % 100_000 == 0 {
                progress(builder.len());
            }
        })?;
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
        let categories = match (&opts.categories, format) {
            (Some(c), _) => Some(c.clone()),
            (None, Format::Vics) => Some(CategoryProfile::us()),
            _ => None,
        };
        let provenance = Provenance {
            name: name.clone(),
            kind: opts.kind,
            format,
            source_path: std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()),
            source_sha256: sha.clone(),
            source_len: len,
            counts: builder.counts(),
            entries: builder.len(),
            rejected: report.rejected,
            imported_at: UtcTime::now().to_iso8601(),
            tool_version: crate::VERSION.to_string(),
            source_profile: report.profile.clone(),
            categories: categories.clone(),
            embedded_name: report.embedded_name.clone(),
        };
        let write_err = |source| HashSetError::Io {
            path: self.index_path(&name),
            source,
        };
        builder
            .write(&self.index_path(&name), &provenance)
            .map_err(write_err)?;
        let record = SourceRecord {
            source_path: provenance.source_path.clone(),
            source_sha256: sha,
            kind: opts.kind,
            format,
            categories,
        };
        let json =
            serde_json::to_vec_pretty(&record).map_err(|e| write_err(std::io::Error::other(e)))?;
        std::fs::write(self.source_path(&name), json).map_err(write_err)?;
        Ok(ImportOutcome {
            provenance,
            report,
            unchanged: false,
        })
    }

    /// Opens a set by name; a corrupt index is rebuilt from its source when
    /// the source is still there with the same SHA-256.
    pub fn load(&self, name: &str) -> Result<CompiledSet, HashSetError> {
        let path = self.index_path(name);
        if !path.exists() {
            return Err(HashSetError::NotFound(name.to_string()));
        }
        match CompiledSet::open(&path) {
            Ok(set) => Ok(set),
            Err(bad @ HashSetError::BadIndex { .. }) => {
                let Some(rec) = std::fs::read(self.source_path(name))
                    .ok()
                    .and_then(|b| serde_json::from_slice::<SourceRecord>(&b).ok())
                else {
                    return Err(bad);
                };
                match sha256_file(&rec.source_path) {
                    Ok((sha, _)) if sha == rec.source_sha256 => {}
                    _ => return Err(bad),
                }
                let _ = std::fs::remove_file(&path);
                let opts = ImportOptions {
                    name: Some(name.to_string()),
                    kind: rec.kind,
                    format: Some(rec.format),
                    hex64: Hex64::Either,
                    categories: rec.categories,
                };
                self.import(&rec.source_path, &opts, &mut |_| {})?;
                CompiledSet::open(&path)
            }
            Err(e) => Err(e),
        }
    }

    /// Every set in the library (a corrupt one as its error).
    pub fn list(&self) -> Vec<Result<CompiledSet, HashSetError>> {
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
        names.iter().map(|n| self.load(n)).collect()
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
