//! `ferret report`: exports built from the case file only, written into a
//! temporary folder beside the target and renamed into place when complete
//! (an existing folder is never overwritten), closed by `manifest.sha256`
//! whose own SHA-256 is returned and written to the case's audit log.
//!
//! Formats: HTML (self-contained, printable), CSV (formula-injection safe),
//! JSON (streamed, schema version 1), DFXML 2.0 (valid against the DFXML
//! XSD), CASE/UCO JSON-LD (valid under `case_validate`), hashdeep inventory.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use quick_xml::Writer as XmlWriter;
use quick_xml::events::{BytesDecl, BytesText, Event};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::rows::{ReportRow, Scope, for_each_row};
use crate::case::{CaseError, CaseStore};
use crate::evidence::UtcTime;
use crate::pathfmt::{path_bytes, unescape_path};

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
}

impl ReportFormat {
    /// Every format, in the order a full report writes them.
    pub const ALL: [ReportFormat; 6] = [
        ReportFormat::Html,
        ReportFormat::Csv,
        ReportFormat::Json,
        ReportFormat::Dfxml,
        ReportFormat::CaseUco,
        ReportFormat::Hashdeep,
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
        }
    }
}

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Reading the case failed.
    #[error(transparent)]
    Case(#[from] CaseError),
    /// Writing failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// The output folder would land inside the evidence.
    #[error(transparent)]
    Guard(#[from] crate::evidence::GuardError),
    /// The output folder exists and is not empty.
    #[error("{}: exists and is not empty; reports never overwrite", .0.display())]
    Exists(PathBuf),
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
}

/// Neutralises a CSV cell against spreadsheet formula injection: a cell that
/// begins with `=`, `+`, `-`, `@`, tab or CR gets a leading `'`.
pub fn csv_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

fn opt(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("")
}

const CSV_HEADER: [&str; 20] = [
    "exhibit",
    "path",
    "kind",
    "size",
    "modified",
    "accessed",
    "changed",
    "created",
    "md5",
    "sha1",
    "sha256",
    "blake3",
    "type",
    "extension_mismatch",
    "flags",
    "matches",
    "review",
    "note",
    "status",
    "reason",
];

fn csv_row(r: &ReportRow) -> [String; 20] {
    [
        r.exhibit.clone(),
        r.path.clone(),
        opt(&r.kind).into(),
        r.size.map(|s| s.to_string()).unwrap_or_default(),
        opt(&r.mtime).into(),
        opt(&r.atime).into(),
        opt(&r.ctime).into(),
        opt(&r.crtime).into(),
        opt(&r.md5).into(),
        opt(&r.sha1).into(),
        opt(&r.sha256).into(),
        opt(&r.blake3).into(),
        opt(&r.mime).into(),
        r.mismatch.to_string(),
        r.flags.clone(),
        r.matches.clone(),
        r.review.clone(),
        r.note.clone(),
        r.status.clone(),
        opt(&r.reason).into(),
    ]
}

fn json_row(r: &ReportRow) -> serde_json::Value {
    json!({
        "exhibit": r.exhibit, "path": r.path, "kind": r.kind, "size": r.size,
        "mtime": r.mtime, "atime": r.atime, "ctime": r.ctime, "crtime": r.crtime,
        "md5": r.md5, "sha1": r.sha1, "sha256": r.sha256, "blake3": r.blake3,
        "type": r.mime, "extension_mismatch": r.mismatch, "flags": r.flags, "matches": r.matches,
        "review": r.review, "note": r.note, "status": r.status, "reason": r.reason,
    })
}

fn header_json(
    store: &CaseStore,
    scope: Scope,
    generated: &str,
) -> Result<serde_json::Value, CaseError> {
    let info = store.info()?;
    let evidence: Vec<_> = store
        .evidence()?
        .iter()
        .map(|e| {
            json!({"exhibit": e.exhibit, "description": e.description,
                        "root": crate::pathfmt::escape_path(&e.root), "read_only": e.read_only,
                        "fs_type": e.mount.as_ref().map(|m| m.fs_type.clone()),
                        "device": e.mount.as_ref().map(|m| m.device.clone()),
                        "mount_options": e.mount.as_ref().map(|m| m.options.clone())})
        })
        .collect();
    let scans: Vec<_> = store
        .scans()?
        .iter()
        .map(|s| json!({"id": s.id, "started": s.started, "finished": s.finished, "status": s.status,
                        "tool_version": s.tool_version, "tool_build": s.tool_build,
                        "options": serde_json::from_str::<serde_json::Value>(&s.options).unwrap_or_default(),
                        "counters": s.counters.as_deref().and_then(|c| serde_json::from_str::<serde_json::Value>(c).ok())}))
        .collect();
    let mut st = store.conn().prepare(
        "SELECT scan_id, name, kind, provenance FROM hash_sets ORDER BY scan_id, position",
    )?;
    let sets: Vec<serde_json::Value> = st
        .query_map([], |r| {
            let prov: String = r.get(3)?;
            Ok(json!({"scan": r.get::<_, i64>(0)?, "name": r.get::<_, String>(1)?, "kind": r.get::<_, String>(2)?,
                      "provenance": serde_json::from_str::<serde_json::Value>(&prov).unwrap_or_default()}))
        })?
        .collect::<Result<_, _>>()?;
    Ok(json!({
        "schema_version": 1,
        "generator": {"tool": crate::TOOL_NAME, "version": crate::VERSION},
        "generated": generated,
        "scope": format!("{scope:?}").to_lowercase(),
        "case": info,
        "evidence": evidence,
        "scans": scans,
        "hash_sets": sets,
        "counts": store.counts(None)?,
    }))
}

fn io_err(path: &Path) -> impl Fn(io::Error) -> ReportError + '_ {
    move |source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn write_dfxml(
    store: &CaseStore,
    scope: Scope,
    generated: &str,
    progress: Option<&std::sync::atomic::AtomicU64>,
    out: &mut dyn Write,
) -> Result<u64, ReportError> {
    let xml = |e: quick_xml::Error| CaseError::NotFound(format!("writing DFXML: {e}"));
    let mut w = XmlWriter::new_with_indent(out, b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
        .map_err(|e| xml(e.into()))?;
    let scans = store.scans()?;
    let evidence = store.evidence()?;
    // The scan's command line and start: what produced the data (stable
    // across reports of the same case).
    let cmd = scans
        .first()
        .map(|s| s.command_line.clone())
        .unwrap_or_default();
    let mut rows = 0u64;
    let body = |w: &mut XmlWriter<&mut dyn Write>| -> io::Result<()> {
        w.create_element("metadata").write_inner_content(|w| {
            w.create_element("dc:type")
                .write_text_content(BytesText::new("Hash List"))?;
            Ok(())
        })?;
        w.create_element("creator").write_inner_content(|w| {
            w.create_element("program")
                .write_text_content(BytesText::new(crate::TOOL_NAME))?;
            w.create_element("version")
                .write_text_content(BytesText::new(crate::VERSION))?;
            w.create_element("execution_environment")
                .write_inner_content(|w| {
                    w.create_element("os_sysname")
                        .write_text_content(BytesText::new(std::env::consts::OS))?;
                    w.create_element("command_line")
                        .write_text_content(BytesText::new(&cmd))?;
                    w.create_element("start_time")
                        .write_text_content(BytesText::new(
                            scans.first().map_or(generated, |s| s.started.as_str()),
                        ))?;
                    Ok(())
                })?;
            Ok(())
        })?;
        w.create_element("source").write_inner_content(|w| {
            for e in &evidence {
                w.create_element("image_filename")
                    .write_text_content(BytesText::new(&crate::pathfmt::escape_path(&e.root)))?;
            }
            Ok(())
        })?;
        Ok(())
    };
    w.create_element("dfxml")
        .with_attribute((
            "xmlns",
            "http://www.forensicswiki.org/wiki/Category:Digital_Forensics_XML",
        ))
        .with_attribute(("xmlns:dc", "http://purl.org/dc/elements/1.1/"))
        .with_attribute(("version", "2.0.0-beta.0"))
        .write_inner_content(|w| {
            body(w)?;
            let result = for_each_row(store, scope, progress, &mut |r| {
                rows += 1;
                w.create_element("fileobject").write_inner_content(|w| {
                    w.create_element("filename")
                        .write_text_content(BytesText::new(&r.path))?;
                    if r.status == "error" {
                        w.create_element("error")
                            .write_text_content(BytesText::new(opt(&r.reason)))?;
                    }
                    if let Some(s) = r.size {
                        w.create_element("filesize")
                            .write_text_content(BytesText::new(&s.to_string()))?;
                    }
                    for (tag, v) in [
                        ("mtime", &r.mtime),
                        ("ctime", &r.ctime),
                        ("atime", &r.atime),
                        ("crtime", &r.crtime),
                    ] {
                        if let Some(t) = v {
                            w.create_element(tag)
                                .write_text_content(BytesText::new(t))?;
                        }
                    }
                    for (ty, v) in [
                        ("md5", &r.md5),
                        ("sha1", &r.sha1),
                        ("sha256", &r.sha256),
                        ("other", &r.blake3),
                    ] {
                        if let Some(h) = v {
                            // BLAKE3 is not in the schema's enumeration: type="other".
                            w.create_element("hashdigest")
                                .with_attribute(("type", ty))
                                .write_text_content(BytesText::new(h))?;
                        }
                    }
                    Ok(())
                })?;
                Ok(())
            });
            result.map_err(|e| io::Error::other(e.to_string()))?;
            Ok(())
        })
        .map_err(|e| xml(e.into()))?;
    Ok(rows)
}

/// Live progress of a report run: rows written and files finished.
#[derive(Debug, Default)]
pub struct ReportProgress {
    /// Rows written so far, over all files.
    pub rows: std::sync::atomic::AtomicU64,
    /// Files finished.
    pub files_done: std::sync::atomic::AtomicU64,
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
    let progress = options.progress.map(|p| &p.rows);
    // Never inside any evidence item of the case: checked before the folder
    // is even looked at (listing a folder moves its access time).
    let roots: Vec<PathBuf> = store.evidence()?.into_iter().map(|e| e.root).collect();
    let roots: Vec<&Path> = roots.iter().map(PathBuf::as_path).collect();
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
    std::fs::create_dir_all(&tmp).map_err(io_err(&tmp))?;
    let generated = UtcTime::now().to_iso8601();
    let mut files: Vec<String> = Vec::new();
    let mut rows = 0;
    // HTML last: its footer carries the other files' hashes.
    let mut ordered: Vec<ReportFormat> = formats
        .iter()
        .copied()
        .filter(|f| *f != ReportFormat::Html)
        .collect();
    if formats.contains(&ReportFormat::Html) {
        ordered.push(ReportFormat::Html);
    }
    for f in &ordered {
        let path = tmp.join(f.file_name());
        let mut w = BufWriter::new(File::create(&path).map_err(io_err(&path))?);
        let write_err = io_err(&path);
        rows = match f {
            ReportFormat::Csv => {
                let mut c = csv::Writer::from_writer(&mut w);
                c.write_record(CSV_HEADER)
                    .map_err(|e| write_err(e.into()))?;
                for_each_row(store, scope, progress, &mut |r| {
                    let cells = csv_row(&r);
                    c.write_record(cells.iter().map(|s| csv_safe(s).into_owned()))
                        .map_err(io::Error::from)
                })?
            }
            ReportFormat::Json => {
                let head = header_json(store, scope, &generated)?;
                let text = serde_json::to_string_pretty(&head).map_err(|e| write_err(e.into()))?;
                // Stream the items into the header object: `{…, "items": [ … ]}`.
                let open = text
                    .trim_end()
                    .strip_suffix('}')
                    .unwrap_or(&text)
                    .trim_end();
                w.write_all(open.as_bytes()).map_err(&write_err)?;
                w.write_all(b",\n  \"items\": [").map_err(&write_err)?;
                let mut first = true;
                let n = for_each_row(store, scope, progress, &mut |r| {
                    w.write_all(if first { b"\n    " } else { b",\n    " })?;
                    first = false;
                    serde_json::to_writer(&mut w, &json_row(&r)).map_err(io::Error::from)
                })?;
                w.write_all(b"\n  ]\n}\n").map_err(&write_err)?;
                n
            }
            ReportFormat::Dfxml => write_dfxml(store, scope, &generated, progress, &mut w)?,
            ReportFormat::CaseUco => {
                super::case_uco::write_case_uco(store, scope, progress, &mut w)?
            }
            ReportFormat::Html => {
                // The HTML footer lists the other files' SHA-256s, so it is
                // written after them (see `ordered`).
                let sums: Vec<(String, String)> = files
                    .iter()
                    .map(|f: &String| Ok((f.clone(), sha256_file(&tmp.join(f))?)))
                    .collect::<io::Result<_>>()
                    .map_err(&write_err)?;
                super::html::write_html(
                    store,
                    scope,
                    &generated,
                    &sums,
                    options.thumbnails,
                    progress,
                    &mut w,
                )?
            }
            ReportFormat::Hashdeep => {
                // Every hashed file of the evidence, whatever the scope, with
                // real absolute paths: `hashdeep -r -a -k` audits it.
                w.write_all(b"%%%% HASHDEEP-1.0\n%%%% size,md5,sha1,sha256,filename\n")
                    .map_err(&write_err)?;
                writeln!(
                    w,
                    "## ferret {} report of case {}",
                    crate::VERSION,
                    store.info()?.case_number
                )
                .map_err(&write_err)?;
                w.write_all(b"## \n").map_err(&write_err)?;
                for_each_row(store, Scope::All, progress, &mut |r| {
                    let (Some(size), Some(md5), Some(sha1), Some(sha256)) =
                        (r.size, &r.md5, &r.sha1, &r.sha256)
                    else {
                        return Ok(());
                    };
                    if r.status != "hashed" {
                        return Ok(());
                    }
                    write!(w, "{size},{md5},{sha1},{sha256},")?;
                    let root = unescape_path(&r.root).unwrap_or_default();
                    let rel = unescape_path(&r.path).unwrap_or_default();
                    let mut full = root;
                    if !full.ends_with(b"/") {
                        full.push(b'/');
                    }
                    full.extend_from_slice(&rel);
                    if full.contains(&b'\n') || full.contains(&b'\r') {
                        w.write_all(crate::pathfmt::escape_bytes(&full).as_bytes())?;
                    } else {
                        w.write_all(&full)?;
                    }
                    w.write_all(b"\n")
                })?
            }
        };
        w.flush().map_err(&write_err)?;
        w.into_inner()
            .map_err(|e| write_err(e.into_error()))?
            .sync_all()
            .map_err(&write_err)?;
        files.push(f.file_name().to_string());
        if let Some(p) = options.progress {
            p.files_done
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }
    let manifest_sha256 = write_manifest(&tmp, &files)?;
    files.push("manifest.sha256".into());
    std::fs::rename(&tmp, out_dir)
        .or_else(|_| {
            // An existing empty folder: replace it.
            std::fs::remove_dir(out_dir)?;
            std::fs::rename(&tmp, out_dir)
        })
        .map_err(io_err(out_dir))?;
    store.audit(
        actor,
        "report_exported",
        &json!({"dir": crate::pathfmt::escape_path(std::path::absolute(out_dir).unwrap_or_else(|_| out_dir.to_path_buf())),
                "files": files, "scope": format!("{scope:?}").to_lowercase(), "manifest_sha256": manifest_sha256})
        .to_string(),
    )?;
    Ok(ReportOutcome {
        dir: out_dir.to_path_buf(),
        files,
        manifest_sha256,
        rows,
    })
}

fn sha256_file(path: &Path) -> io::Result<String> {
    use std::io::Read;
    let mut f = File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

fn write_manifest(dir: &Path, files: &[String]) -> Result<String, ReportError> {
    let path = dir.join("manifest.sha256");
    let mut text = String::new();
    for f in files {
        let sum = sha256_file(&dir.join(f)).map_err(io_err(&dir.join(f)))?;
        text.push_str(&format!("{sum}  {f}\n"));
    }
    std::fs::write(&path, &text).map_err(io_err(&path))?;
    sha256_file(&path).map_err(io_err(&path))
}

/// Re-checks a report folder against its manifest: returns the problems
/// (empty when everything matches), e.g. `items.csv: changed`.
pub fn verify_report(dir: &Path) -> Result<Vec<String>, ReportError> {
    let manifest = dir.join("manifest.sha256");
    let text = std::fs::read_to_string(&manifest).map_err(io_err(&manifest))?;
    let mut problems = Vec::new();
    let mut listed = std::collections::BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        let Some((sum, name)) = line.split_once("  ") else {
            problems.push(format!("manifest.sha256:{}: malformed line", i + 1));
            continue;
        };
        listed.insert(name.to_string());
        let p = dir.join(name);
        if name.contains('/') || name.contains("..") {
            problems.push(format!("{name}: path outside the report folder"));
            continue;
        }
        match sha256_file(&p) {
            Ok(actual) if actual == sum => {}
            Ok(_) => problems.push(format!(
                "{name}: changed (SHA-256 differs from the manifest)"
            )),
            Err(e) => problems.push(format!("{name}: {e}")),
        }
    }
    for entry in std::fs::read_dir(dir).map_err(io_err(dir))?.flatten() {
        let n = entry.file_name().to_string_lossy().into_owned();
        if n != "manifest.sha256" && !listed.contains(&n) {
            problems.push(format!("{n}: not in the manifest"));
        }
    }
    let _ = path_bytes(dir);
    Ok(problems)
}
