//! `items.csv`: RFC 4180 through the `csv` crate, one row per item, every
//! cell neutralised against spreadsheet formula injection.

use std::io::{self, Write};

use super::folder::FormatError;
use super::header::ReportHeader;
use super::rows::ScopedRows;
use crate::case::ReportRow;

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

/// The column names, first line of the file.
const CSV_HEADER: [&str; 29] = [
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
    "stream",
    "attributes",
    "archive",
    "pdq",
    "pdq_quality",
    "category",
    "category_label",
    "category_profile",
    "category_source",
];

/// One item's cells, in [`CSV_HEADER`] order, before neutralising.
fn csv_row(header: &ReportHeader, r: &ReportRow) -> [String; 29] {
    let category = r.category();
    [
        r.exhibit.clone(),
        r.item_path(),
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
        opt(&r.stream).into(),
        opt(&r.attributes).into(),
        opt(&r.archive).into(),
        opt(&r.pdq).into(),
        r.pdq_quality.map(|q| q.to_string()).unwrap_or_default(),
        category.map(|c| c.to_string()).unwrap_or_default(),
        category
            .and_then(|c| header.category_label(c))
            .unwrap_or_default()
            .into(),
        category
            .map(|_| header.category_profile.clone())
            .unwrap_or_default(),
        r.category_source().into(),
    ]
}

/// Writes `items.csv`; returns the row count.
pub(super) fn write_csv(
    header: &ReportHeader,
    rows: ScopedRows<'_>,
    out: &mut dyn Write,
) -> Result<u64, FormatError> {
    let mut c = ::csv::Writer::from_writer(out);
    c.write_record(CSV_HEADER).map_err(io::Error::from)?;
    let n = rows.for_each(|r| {
        let cells = csv_row(header, &r);
        c.write_record(cells.iter().map(|s| csv_safe(s).into_owned()))
            .map_err(io::Error::from)?;
        Ok::<_, FormatError>(())
    })?;
    c.flush()?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_become_text() {
        assert_eq!(csv_safe("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(csv_safe("+1"), "'+1");
        assert_eq!(csv_safe("-1"), "'-1");
        assert_eq!(csv_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_safe("\tx"), "'\tx");
        assert_eq!(csv_safe("\rx"), "'\rx");
        assert_eq!(csv_safe("plain"), "plain");
        assert_eq!(csv_safe(""), "");
    }
}
