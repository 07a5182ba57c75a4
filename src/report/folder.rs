//! The report folder: built from the case file only, in a temporary folder
//! beside the target that is renamed into place when complete (an existing
//! non-empty folder is never overwritten, and nothing is ever written inside
//! the evidence), closed by `manifest.sha256` whose own SHA-256 is returned
//! and written to the case's audit log.
//!
//! The case header is read once here and handed to each format writer;
//! the writers know only what they write to, so the path and format of a
//! failure are added here.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::json;

use super::header::ReportHeader;
use super::manifest::{sha256_file, write_manifest};
use super::rows::ScopedRows;
use super::{case_uco, csv, dfxml, hashdeep, html, json, vics};
use crate::case::{CaseError, CaseStore, Scope};

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    /// `items.csv`.
    Csv,
    /// `report.json`.
    Json,
    /// `report.dfxml`.
    Dfxml,
    /// `inventory.hashdeep`.
    Hashdeep,
    /// `report.html`.
    Html,
    /// `case-uco.jsonld`.
    CaseUco,
    /// `vics.json`: a Project VIC VICS 2.0 case export (only when asked).
    Vics,
}

impl ReportFormat {
    /// Every format, in the order a full report writes them.
    pub const ALL: [ReportFormat; 7] = [
        ReportFormat::Html,
        ReportFormat::Csv,
        ReportFormat::Json,
        ReportFormat::Dfxml,
        ReportFormat::CaseUco,
        ReportFormat::Hashdeep,
        ReportFormat::Vics,
    ];

    /// Parses a format name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "csv" => Some(ReportFormat::Csv),
            "json" => Some(ReportFormat::Json),
            "dfxml" => Some(ReportFormat::Dfxml),
            "hashdeep" => Some(ReportFormat::Hashdeep),
            "html" => Some(ReportFormat::Html),
            "case" | "case-uco" => Some(ReportFormat::CaseUco),
            "vics" => Some(ReportFormat::Vics),
            _ => None,
        }
    }

    /// The file this format writes in the report folder.
    pub fn file_name(self) -> &'static str {
        match self {
            ReportFormat::Csv => "items.csv",
            ReportFormat::Json => "report.json",
            ReportFormat::Dfxml => "report.dfxml",
            ReportFormat::Hashdeep => "inventory.hashdeep",
            ReportFormat::Html => "report.html",
            ReportFormat::CaseUco => "case-uco.jsonld",
            ReportFormat::Vics => "vics.json",
        }
    }
}

/// Why a report could not be written or verified.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Reading the case failed.
    #[error(transparent)]
    Case(#[from] CaseError),
    /// Writing the report folder failed: a file, the folder or its rename.
    #[error("{}: {source}", path.display())]
    Write {
        /// The file or folder.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// Reading a report folder to verify it failed.
    #[error("{}: {source}", path.display())]
    Read {
        /// The file or folder.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// A format could not be rendered (its template or serialiser failed).
    #[error("{}: rendering failed: {source}", format.file_name())]
    Render {
        /// The format being written.
        format: ReportFormat,
        /// The template engine's or serialiser's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The output folder would land inside the evidence.
    #[error(transparent)]
    Guard(#[from] crate::evidence::GuardError),
    /// The output folder exists and is not empty.
    #[error("{}: exists and is not empty; reports never overwrite", .0.display())]
    Exists(PathBuf),
}

/// Why a format writer stopped; [`FormatError::at`] names the file.
#[derive(Debug)]
pub(super) enum FormatError {
    /// Reading the rows from the case failed.
    Case(CaseError),
    /// Writing the output failed.
    Io(io::Error),
    /// A template or serialiser failed.
    Render(Box<dyn std::error::Error + Send + Sync>),
}

impl FormatError {
    /// A rendering failure.
    pub(super) fn render(e: impl std::error::Error + Send + Sync + 'static) -> FormatError {
        FormatError::Render(Box::new(e))
    }

    /// The report error for this failure while writing `format` to `path`.
    pub(super) fn at(self, format: ReportFormat, path: &Path) -> ReportError {
        match self {
            FormatError::Case(e) => ReportError::Case(e),
            FormatError::Io(source) => ReportError::Write {
                path: path.to_path_buf(),
                source,
            },
            FormatError::Render(source) => ReportError::Render { format, source },
        }
    }
}

impl From<CaseError> for FormatError {
    fn from(e: CaseError) -> Self {
        FormatError::Case(e)
    }
}

impl From<io::Error> for FormatError {
    fn from(e: io::Error) -> Self {
        FormatError::Io(e)
    }
}

/// What a report run produced.
#[derive(Debug, Clone)]
pub struct ReportOutcome {
    /// The report folder.
    pub dir: PathBuf,
    /// Files written (names in the folder), manifest last.
    pub files: Vec<String>,
    /// SHA-256 of `manifest.sha256`.
    pub manifest_sha256: String,
    /// Rows per format.
    pub rows: u64,
    /// The export is written to the case's audit log (not when the case is
    /// open read-only, e.g. on read-only media).
    pub audited: bool,
}

/// Live progress of a report run: rows written and files finished.
#[derive(Debug, Default)]
pub struct ReportProgress {
    /// Rows written so far, over all files.
    pub rows: AtomicU64,
    /// Files finished.
    pub files_done: AtomicU64,
}

/// Choices beyond format and scope.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReportOptions<'a> {
    /// Embed thumbnails of flagged images in the HTML (greyscale and
    /// blurred, never colour; only when the evidence is reachable and the
    /// file still has the SHA-256 the case recorded).
    pub thumbnails: bool,
    /// Where to count progress (a front end polls it).
    pub progress: Option<&'a ReportProgress>,
}

/// An error while writing `path`.
pub(super) fn write_err(path: &Path) -> impl Fn(io::Error) -> ReportError + '_ {
    move |source| ReportError::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes the report folder. `formats` in any order; the manifest is always
/// written. Returns what was written and the manifest's SHA-256.
pub fn write_report(
    store: &CaseStore,
    out_dir: &Path,
    formats: &[ReportFormat],
    scope: Scope,
    actor: &str,
) -> Result<ReportOutcome, ReportError> {
    write_report_with(
        store,
        out_dir,
        formats,
        scope,
        actor,
        ReportOptions::default(),
    )
}

/// [`write_report`] with options.
pub fn write_report_with(
    store: &CaseStore,
    out_dir: &Path,
    formats: &[ReportFormat],
    scope: Scope,
    actor: &str,
    options: ReportOptions<'_>,
) -> Result<ReportOutcome, ReportError> {
    // Read once: the case facts every format writes, the evidence roots
    // among them.
    let header = ReportHeader::read(store)?;
    // Never inside any evidence item of the case: checked before the folder
    // is even looked at (listing a folder moves its access time).
    let roots: Vec<&Path> = header.evidence.iter().map(|e| e.root.as_path()).collect();
    crate::evidence::guard::check_outside(out_dir, &roots)?;
    if out_dir.exists()
        && std::fs::read_dir(out_dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(ReportError::Exists(out_dir.to_path_buf()));
    }
    let name = out_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "report".into());
    let tmp = out_dir.with_file_name(format!(".{name}.partial-{}", std::process::id()));
    crate::evidence::guard::check_outside(&tmp, &roots)?;
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(write_err(&tmp))?;
    // A failure leaves nothing behind: no partial folder (which could hold
    // a complete-looking copy, or fill a disk that just ran out).
    let written = write_into(store, &tmp, out_dir, formats, scope, &header, options);
    let (files, manifest_sha256, written) = match written {
        Ok(w) => w,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(e);
        }
    };
    let audited = !store.is_read_only();
    if audited {
        store.audit(
        actor,
        "report_exported",
        &json!({"dir": crate::pathfmt::escape_path(std::path::absolute(out_dir).unwrap_or_else(|_| out_dir.to_path_buf())),
                "files": files, "scope": scope.as_str(), "manifest_sha256": manifest_sha256})
        .to_string(),
    )?;
    }
    Ok(ReportOutcome {
        dir: out_dir.to_path_buf(),
        files,
        manifest_sha256,
        rows: written,
        audited,
    })
}

/// `formats` in writing order: HTML last, as its footer carries the other
/// files' hashes.
fn ordered(formats: &[ReportFormat]) -> Vec<ReportFormat> {
    let mut ordered: Vec<ReportFormat> = formats
        .iter()
        .copied()
        .filter(|f| *f != ReportFormat::Html)
        .collect();
    if formats.contains(&ReportFormat::Html) {
        ordered.push(ReportFormat::Html);
    }
    ordered
}

/// Writes one format's file into `tmp`, where `done` are already written;
/// returns its row count.
fn write_format(
    format: ReportFormat,
    header: &ReportHeader,
    rows: ScopedRows<'_>,
    tmp: &Path,
    done: &[String],
    thumbnails: bool,
    out: &mut dyn Write,
) -> Result<u64, ReportError> {
    let written = match format {
        ReportFormat::Csv => csv::write_csv(header, rows, out),
        ReportFormat::Json => json::write_json(header, rows, out),
        ReportFormat::Dfxml => dfxml::write_dfxml(header, rows, out),
        ReportFormat::CaseUco => case_uco::write_case_uco(header, rows, out),
        ReportFormat::Vics => vics::write_vics(header, rows, out),
        // Every hashed file of the evidence, whatever the scope.
        ReportFormat::Hashdeep => hashdeep::write_report_inventory(header, rows.all(), out),
        ReportFormat::Html => {
            // The HTML footer lists the other files' SHA-256s, so it is
            // written after them (see `ordered`).
            let sums = done
                .iter()
                .map(|f| {
                    let p = tmp.join(f);
                    Ok((f.clone(), sha256_file(&p).map_err(write_err(&p))?))
                })
                .collect::<Result<Vec<_>, ReportError>>()?;
            html::write_html(header, rows, &sums, thumbnails, out)
        }
    };
    written.map_err(|e| e.at(format, &tmp.join(format.file_name())))
}

/// Writes every format and the manifest into `tmp`, each file synced, then
/// renames `tmp` to `out_dir` and syncs the folder holding it, so a report
/// announced as written survives a power loss.
fn write_into(
    store: &CaseStore,
    tmp: &Path,
    out_dir: &Path,
    formats: &[ReportFormat],
    scope: Scope,
    header: &ReportHeader,
    options: ReportOptions<'_>,
) -> Result<(Vec<String>, String, u64), ReportError> {
    let progress = options.progress.map(|p| &p.rows);
    let rows = ScopedRows::new(store, scope, progress);
    let mut files: Vec<String> = Vec::new();
    let mut written = 0;
    for f in ordered(formats) {
        let path = tmp.join(f.file_name());
        let mut w = BufWriter::new(File::create(&path).map_err(write_err(&path))?);
        written = write_format(f, header, rows, tmp, &files, options.thumbnails, &mut w)?;
        w.flush().map_err(write_err(&path))?;
        w.into_inner()
            .map_err(|e| write_err(&path)(e.into_error()))?
            .sync_all()
            .map_err(write_err(&path))?;
        files.push(f.file_name().to_string());
        if let Some(p) = options.progress {
            p.files_done.fetch_add(1, Ordering::Relaxed);
        }
    }
    let manifest_sha256 = write_manifest(tmp, &files, &header.anchor_line())?;
    files.push("manifest.sha256".into());
    sync_dir(tmp).map_err(write_err(tmp))?;
    std::fs::rename(tmp, out_dir)
        .or_else(|_| {
            // An existing empty folder: replace it.
            std::fs::remove_dir(out_dir)?;
            std::fs::rename(tmp, out_dir)
        })
        .map_err(write_err(out_dir))?;
    let parent = match out_dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    sync_dir(parent).map_err(write_err(parent))?;
    Ok((files, manifest_sha256, written))
}

/// Makes a folder's entries durable (a rename is not, until its folder is
/// synced). Nothing to do where folders cannot be opened as files.
pub(super) fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}
