//! `vics.json`: a Project VIC VICS 2.0 case export (`#Cases`), the file
//! Griffeye, IPED and Ferret itself import as a categorised hash set.
//!
//! One case (`CaseID`, the case's own random UUID, made with it; `CaseNumber`; `SourceApplicationName`
//! and `SourceApplicationVersion`; `TotalMediaFiles`, the media count)
//! holding one `Media` per unique MD5: `MediaID` (1, 2, … in MD5 order),
//! `Category` (an integer; absent when uncategorised, never 0 for
//! "none"), `MD5` and `SHA1` (uppercase hex), `MediaSize` (an integer),
//! `IsPrecategorized` (`"true"` when the category is a hash set's, not an
//! examiner's: a string, as the 2.0 sets in `FORMATS.md` §2.2 write it),
//! and `MediaFiles`, every copy with its `MD5`, `FileName` and `FilePath`
//! (the folder, ending in its separator, so that path and name together
//! are the item's full path as every report writes it). The context names
//! the case's category profile: `…/2.0.xml/US/$metadata#Cases`.
//!
//! Copies are files with the same MD5 and every other digest equal (at
//! least one of them computed): one medium. Two files with one MD5 and
//! another SHA-1, SHA-256 or BLAKE3 (an MD5 collision), or with an MD5
//! alone, are media of their own, each with its own category, so no file
//! takes another's category.
//! A hashed file of the scope without an MD5 (a scan that did not compute
//! it) cannot be a VICS medium: the export fails and says how many, so a
//! categorised file is never silently left out of what is shared.

use std::io::{self, Write};

use serde_json::{Map, Value, json};

use super::folder::FormatError;
use super::header::ReportHeader;
use super::rows::ScopedRows;
use crate::case::ReportRow;

/// The context URL of a VICS 2.0 case export in `profile`.
pub fn context_url(profile: &str) -> String {
    format!(
        "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/{profile}/$metadata#Cases"
    )
}

/// How severe a category is for choosing among copies: 1 first, 0 last.
fn severity(c: i64) -> (bool, i64) {
    (c == 0, c)
}

/// What makes two files one medium: every digest equal, with at least
/// one besides the MD5 (an MD5 alone can collide: such files are media of
/// their own, each with its own category).
fn same_file(a: &ReportRow, b: &ReportRow) -> bool {
    a.md5 == b.md5
        && a.sha1 == b.sha1
        && a.sha256 == b.sha256
        && a.blake3 == b.blake3
        && (a.sha1.is_some() || a.sha256.is_some() || a.blake3.is_some())
}

/// One medium being gathered: its copies so far.
struct Medium {
    /// The first copy (what the next row is compared with).
    first: ReportRow,
    md5: String,
    sha1: Option<String>,
    size: Option<i64>,
    category: Option<i64>,
    precategorised: bool,
    files: Vec<Value>,
}

impl Medium {
    fn new(md5: &str, r: &ReportRow) -> Medium {
        Medium {
            first: r.clone(),
            md5: md5.to_ascii_uppercase(),
            sha1: r.sha1.as_deref().map(str::to_ascii_uppercase),
            size: r.size,
            category: None,
            precategorised: true,
            files: Vec::new(),
        }
    }

    fn add(&mut self, r: &ReportRow) {
        if let Some(c) = r.category()
            && self
                .category
                .is_none_or(|have| severity(c) < severity(have))
        {
            self.category = Some(c);
        }
        if r.examiner_category.is_some() {
            self.precategorised = false;
        }
        // The escaped path is cut at its last separator of the evidence's
        // convention (an escape never holds one: POSIX escapes use `\`,
        // Windows ones `|`), so name and folder stay whole escapes.
        let full = r.full_path();
        let sep = match r.style {
            crate::pathfmt::PathStyle::Windows => '\\',
            _ => '/',
        };
        let cut = full.rfind(sep).map_or(0, |i| i + 1);
        let (folder, name) = full.split_at(cut);
        self.files
            .push(json!({"MD5": self.md5, "FileName": name, "FilePath": folder}));
    }

    fn to_json(&self, id: u64) -> Value {
        let mut m = Map::new();
        m.insert("MediaID".into(), id.into());
        if let Some(c) = self.category {
            m.insert("Category".into(), c.into());
        }
        m.insert("MD5".into(), self.md5.clone().into());
        if let Some(sha1) = &self.sha1 {
            m.insert("SHA1".into(), sha1.clone().into());
        }
        if let Some(size) = self.size {
            m.insert("MediaSize".into(), size.into());
        }
        let pre = self.category.is_some() && self.precategorised;
        m.insert("IsPrecategorized".into(), pre.to_string().into());
        m.insert("MediaFiles".into(), Value::Array(self.files.clone()));
        Value::Object(m)
    }
}

/// Writes `vics.json`; returns the media count.
pub(super) fn write_vics(
    header: &ReportHeader,
    rows: ScopedRows<'_>,
    out: &mut dyn Write,
) -> Result<u64, FormatError> {
    let info = &header.case;
    let case_id = header.case_uuid;
    // Media are streamed; their count, a case field, is written after them
    // (JSON objects are unordered).
    let head = json!({
        "CaseID": case_id.to_string(),
        "CaseNumber": info.case_number,
        "SourceApplicationName": crate::TOOL_NAME,
        "SourceApplicationVersion": crate::VERSION,
    });
    let head = serde_json::to_string(&head).map_err(FormatError::render)?;
    let head = head.strip_suffix('}').unwrap_or(&head);
    write!(
        out,
        "{{\"@odata.context\":{},\n\"value\":[{head},\"Media\":[",
        Value::String(context_url(&header.category_profile))
    )?;
    let mut media = 0u64;
    let mut without_md5 = 0u64;
    let mut current: Option<Medium> = None;
    let mut emit = |m: &Medium, out: &mut dyn Write| -> Result<(), FormatError> {
        media += 1;
        out.write_all(if media == 1 { b"\n" } else { b",\n" })?;
        serde_json::to_writer(&mut *out, &m.to_json(media)).map_err(io::Error::from)?;
        Ok(())
    };
    rows.for_each_by_md5(|r| {
        let Some(md5) = r.md5.clone() else {
            without_md5 += 1;
            return Ok(());
        };
        if current.as_ref().is_none_or(|m| !same_file(&m.first, &r)) {
            if let Some(done) = current.take() {
                emit(&done, out)?;
            }
            current = Some(Medium::new(&md5, &r));
        }
        if let Some(m) = current.as_mut() {
            m.add(&r);
        }
        Ok::<_, FormatError>(())
    })?;
    if let Some(done) = current.take() {
        emit(&done, out)?;
    }
    if without_md5 > 0 {
        return Err(FormatError::render(io::Error::other(format!(
            "{without_md5} file(s) of this scope have no MD5 (their scan did not compute it): \
             VICS names media by MD5, so they would be missing from the export; rescan with MD5"
        ))));
    }
    write!(out, "\n],\"TotalMediaFiles\":{media}}}]}}\n")?;
    Ok(media)
}

/// The VICS 2.0 case export of `scope` of a case, in memory (what
/// "Add categorised to hash library" imports).
pub fn vics_of_case(
    store: &crate::case::CaseStore,
    scope: crate::case::Scope,
) -> Result<(Vec<u8>, u64), super::ReportError> {
    let header = ReportHeader::read(store)?;
    let mut out = Vec::new();
    let media =
        write_vics(&header, ScopedRows::new(store, scope, None), &mut out).map_err(|e| {
            e.at(
                super::ReportFormat::Vics,
                std::path::Path::new(super::ReportFormat::Vics.file_name()),
            )
        })?;
    Ok((out, media))
}
