//! The HTML report: one self-contained file (inline CSS, no script, no
//! external resource; a Content-Security-Policy forbids any), printable
//! (repeated table headers, page numbers and case number in print margins).
//! Rendered with minijinja, whose `.html` templates escape every value, so
//! names from evidence are always text. Streamed: head, one row at a time,
//! tail.

use std::io::Write;

use minijinja::{Environment, context};
use serde::Serialize;

use super::folder::FormatError;
use super::header::ReportHeader;
use super::rows::ScopedRows;
use crate::case::ReportRow;

#[derive(Serialize)]
struct RowView<'a> {
    exhibit: &'a str,
    path: String,
    attributes: &'a Option<String>,
    size: Option<i64>,
    mtime: &'a Option<String>,
    atime: &'a Option<String>,
    ctime: &'a Option<String>,
    crtime: &'a Option<String>,
    md5: &'a Option<String>,
    sha1: &'a Option<String>,
    sha256: &'a Option<String>,
    blake3: &'a Option<String>,
    mime: &'a Option<String>,
    mismatch: bool,
    matches: &'a str,
    flags: &'a str,
    review: &'a str,
    note: &'a str,
    status: &'a str,
    reason: &'a Option<String>,
    category: Option<String>,
    category_source: &'static str,
    thumb: Option<String>,
    thumb_note: Option<String>,
}

/// Thumbnails of flagged images, read from the evidence when it is mounted.
struct Thumbs {
    roots: std::collections::HashMap<String, Option<crate::evidence::EvidenceRoot>>,
}

impl Thumbs {
    /// A safe thumbnail data URI, or why there is none.
    fn get(&mut self, r: &ReportRow) -> Result<String, String> {
        use crate::pathfmt::path_from_bytes;
        use sha2::Digest;
        if !r.mime.as_deref().is_some_and(|m| m.starts_with("image/")) || r.status != "hashed" {
            return Err(String::new());
        }
        let root = self
            .roots
            .entry(r.root.clone())
            .or_insert_with(|| {
                let raw = r.style.unescape(&r.root).ok()?;
                crate::evidence::EvidenceRoot::open(&path_from_bytes(raw)).ok()
            })
            .as_ref()
            .ok_or("thumbnail unavailable: evidence not reachable")?;
        let (rel, stream) = r.raw_item().map_err(|e| e.to_string())?;
        let stream = stream.map(|s| path_from_bytes(s).into_os_string());
        let rel = path_from_bytes(rel);
        let f = root
            .open_item(&rel, stream.as_deref())
            .map_err(|e| format!("thumbnail unavailable: {e}"))?;
        let chain = r
            .members_raw()
            .ok_or("thumbnail unavailable: the member's name is damaged in the case")?;
        let bytes = crate::archive::item_bytes(
            f,
            &rel,
            stream.as_deref(),
            &chain,
            crate::thumbnail::MAX_INPUT as u64,
        )
        .map_err(|e| format!("thumbnail unavailable: {e}"))?;
        if r.sha256.as_deref() != Some(&hex::encode(sha2::Sha256::digest(&bytes))) {
            return Err("thumbnail unavailable: the file no longer matches the case".into());
        }
        crate::thumbnail::safe_data_uri(&bytes, 160).map_err(|e| e.to_string())
    }
}

fn env() -> Environment<'static> {
    let mut env = Environment::new();
    for (name, src) in [
        ("head.html", include_str!("../../assets/report/head.html")),
        ("row.html", include_str!("../../assets/report/row.html")),
        ("tail.html", include_str!("../../assets/report/tail.html")),
    ] {
        // The templates are part of the binary; a syntax error is a build
        // defect caught by the report tests, reported here as text.
        if let Err(e) = env.add_template(name, src) {
            eprintln!("ferret: report template {name}: {e}");
        }
    }
    env
}

/// Writes `report.html`. `sums` are the other report files and their
/// SHA-256; `thumbnails` embeds safe (greyscale, blurred) image thumbnails.
pub(super) fn write_html(
    header: &ReportHeader,
    rows: ScopedRows<'_>,
    sums: &[(String, String)],
    thumbnails: bool,
    out: &mut dyn Write,
) -> Result<u64, FormatError> {
    let mut thumbs = Thumbs {
        roots: Default::default(),
    };
    let env = env();
    let evidence: Vec<_> = header
        .evidence
        .iter()
        .map(|e| {
            let fs = e.mount.as_ref().map(crate::evidence::MountInfo::describe);
            context!(exhibit => e.exhibit, description => e.description,
                     root => e.root_text(), read_only => e.read_only, fs => fs,
                     convention => e.path_style.convention())
        })
        .collect();
    let scans: Vec<_> = header
        .scans
        .iter()
        .map(|s| {
            context!(id => s.id, status => s.status, started => s.started, finished => s.finished,
                          tool_version => s.tool_version, tool_build => s.tool_build, options => s.options)
        })
        .collect();
    let sets: Vec<_> = header
        .hash_sets
        .iter()
        .map(|h| {
            let p = &h.provenance;
            let text = |v: Option<&serde_json::Value>| {
                v.and_then(serde_json::Value::as_str)
                    .unwrap_or("")
                    .to_string()
            };
            context!(name => h.name, kind => h.kind, format => text(p.get("format")),
                     entries => p.get("entries").and_then(serde_json::Value::as_u64).unwrap_or(0),
                     source_sha256 => text(p.get("source_sha256")),
                     imported => text(p.get("imported_at")),
                     categories => text(p.get("categories").and_then(|c| c.get("name"))))
        })
        .collect();
    let alert_categories: Vec<_> = header
        .alert_categories
        .iter()
        .map(|a| {
            let category = match a.category {
                Some(c) if c >= 0 => c.to_string(),
                _ => "uncategorised".to_string(),
            };
            context!(set => a.set, category => category, files => a.files)
        })
        .collect();
    let errors: Vec<_> = header
        .unreadable
        .iter()
        .map(|e| context!(path => e.path, op => e.op, message => e.message))
        .collect();
    let info = &header.case;
    let generated = &header.generated;
    let scope_label = rows.scope().as_str();
    let base = context!(case => info, generated => generated, tool => crate::TOOL_NAME, version => crate::VERSION);
    let head = env.get_template("head.html").map_err(FormatError::render)?;
    let text = head
        .render(context!(
            ..base.clone(),
            ..context!(evidence => evidence, scans => scans, hash_sets => sets,
            counts => header.counts, alert_categories => alert_categories, scope => scope_label,
            category_profile => header.category_profile, category_counts => header.category_counts,
            category_rows => header.category_rows().iter()
                .map(|(n, label, items)| context!(number => n, label => label, items => items))
                .collect::<Vec<_>>(),
            thumbnails => thumbnails)
        ))
        .map_err(FormatError::render)?;
    out.write_all(text.as_bytes())?;
    let row = env.get_template("row.html").map_err(FormatError::render)?;
    let n = rows.for_each(|r: ReportRow| {
        let (thumb, thumb_note) = if thumbnails {
            match thumbs.get(&r) {
                Ok(uri) => (Some(uri), None),
                Err(why) if why.is_empty() => (None, None),
                Err(why) => (None, Some(why)),
            }
        } else {
            (None, None)
        };
        let view = RowView {
            thumb,
            thumb_note,
            exhibit: &r.exhibit,
            path: r.item_path(),
            attributes: &r.attributes,
            size: r.size,
            mtime: &r.mtime,
            atime: &r.atime,
            ctime: &r.ctime,
            crtime: &r.crtime,
            md5: &r.md5,
            sha1: &r.sha1,
            sha256: &r.sha256,
            blake3: &r.blake3,
            mime: &r.mime,
            mismatch: r.mismatch,
            matches: &r.matches,
            flags: &r.flags,
            review: &r.review,
            note: &r.note,
            status: &r.status,
            reason: &r.reason,
            category: r.category().map(|c| header.category_text(c)),
            category_source: r.category_source(),
        };
        let text = row
            .render(context!(r => view))
            .map_err(FormatError::render)?;
        out.write_all(text.as_bytes())?;
        Ok::<_, FormatError>(())
    })?;
    let tail = env.get_template("tail.html").map_err(FormatError::render)?;
    let text = tail
        .render(context!(
            ..base,
            ..context!(rows => n, errors => errors, sums => sums, audit => header.audit,
                       audit_intact => header.audit_intact)
        ))
        .map_err(FormatError::render)?;
    out.write_all(text.as_bytes())?;
    Ok(n)
}
