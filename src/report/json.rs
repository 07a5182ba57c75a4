//! `report.json` (schema version 1): the header (generator, generation
//! time, scope, case, evidence, scans, hash sets with full provenance,
//! counts) pretty-printed, then the items streamed into its `items` array,
//! one compact object per line, so a million items never sit in memory.

use std::io::{self, Write};

use serde_json::json;

use super::folder::FormatError;
use super::header::ReportHeader;
use super::rows::ScopedRows;
use crate::case::{ReportRow, Scope};

fn json_row(header: &ReportHeader, r: &ReportRow) -> serde_json::Value {
    let category = r.category().map(|c| {
        json!({"number": c, "label": header.category_label(c), "profile": header.category_profile,
               "source": r.category_source(),
               "examiner": r.examiner_category, "hash_set": r.pre_category})
    });
    json!({
        "exhibit": r.exhibit, "path": r.item_path(), "stream": r.stream, "kind": r.kind, "size": r.size,
        "mtime": r.mtime, "atime": r.atime, "ctime": r.ctime, "crtime": r.crtime,
        "md5": r.md5, "sha1": r.sha1, "sha256": r.sha256, "blake3": r.blake3,
        "type": r.mime, "extension_mismatch": r.mismatch, "flags": r.flags, "matches": r.matches,
        "review": r.review, "note": r.note, "status": r.status, "reason": r.reason,
        "attributes": r.attributes, "members": r.members, "archive": r.archive,
        "pdq": r.pdq, "pdq_quality": r.pdq_quality, "pdq_note": r.pdq_note,
        "category": category,
    })
}

fn header_json(header: &ReportHeader, scope: Scope) -> serde_json::Value {
    let evidence: Vec<_> = header
        .evidence
        .iter()
        .map(|e| {
            json!({"exhibit": e.exhibit, "description": e.description,
                        "root": e.root_text(), "read_only": e.read_only,
                        "path_convention": e.path_style.convention(), "streams": e.streams,
                        "fs_type": e.mount.as_ref().map(|m| m.fs_type.clone()),
                        "device": e.mount.as_ref().map(|m| m.device.clone()),
                        "mount_options": e.mount.as_ref().map(|m| m.options.clone())})
        })
        .collect();
    let scans: Vec<_> = header
        .scans
        .iter()
        .map(|s| json!({"id": s.id, "started": s.started, "finished": s.finished, "status": s.status,
                        "tool_version": s.tool_version, "tool_build": s.tool_build,
                        "options": serde_json::from_str::<serde_json::Value>(&s.options).unwrap_or_default(),
                        "counters": s.counters.as_deref().and_then(|c| serde_json::from_str::<serde_json::Value>(c).ok())}))
        .collect();
    let sets: Vec<_> = header
        .hash_sets
        .iter()
        .map(
            |h| json!({"scan": h.scan, "name": h.name, "kind": h.kind, "provenance": h.provenance}),
        )
        .collect();
    json!({
        "schema_version": 1,
        "generator": {"tool": crate::TOOL_NAME, "version": crate::VERSION},
        "generated": header.generated,
        "scope": scope.as_str(),
        "case": header.case,
        "evidence": evidence,
        "scans": scans,
        "hash_sets": sets,
        "audit": {"anchor_row": header.audit.row, "anchor_blake3": header.audit.hash,
                  "chain_intact": header.audit_intact},
        "counts": header.counts,
        "categories": {
            "profile": header.category_profile,
            "pictures_and_videos": header.category_counts.media,
            "categorised": header.category_counts.categorised,
            "per_category": header.category_rows().iter()
                .map(|(n, label, items)| json!({"number": n, "label": label, "items": items}))
                .collect::<Vec<_>>(),
        },
    })
}

/// Writes `report.json`; returns the item count.
pub(super) fn write_json(
    header: &ReportHeader,
    rows: ScopedRows<'_>,
    out: &mut dyn Write,
) -> Result<u64, FormatError> {
    let head = header_json(header, rows.scope());
    let text = serde_json::to_string_pretty(&head).map_err(FormatError::render)?;
    // Stream the items into the header object: `{…, "items": [ … ]}`.
    let open = text
        .trim_end()
        .strip_suffix('}')
        .unwrap_or(&text)
        .trim_end();
    out.write_all(open.as_bytes())?;
    out.write_all(b",\n  \"items\": [")?;
    let mut first = true;
    let n = rows.for_each(|r| {
        out.write_all(if first { b"\n    " } else { b",\n    " })?;
        first = false;
        serde_json::to_writer(&mut *out, &json_row(header, &r)).map_err(io::Error::from)?;
        Ok::<_, FormatError>(())
    })?;
    out.write_all(b"\n  ]\n}\n")?;
    Ok(n)
}
