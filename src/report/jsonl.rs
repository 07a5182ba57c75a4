//! JSON Lines inventory: one object per entry, every field Ferret knows.
//!
//! `path` is the reversible escaped form of the raw name
//! ([`escape_path`](crate::pathfmt::escape_path)); times are UTC ISO 8601;
//! `status` is `hashed`, `not_hashed` (with `reason`) or `error` (with
//! `error.op`, `error.kind`, `error.os_code`, `error.message`).

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::evidence::UtcTime;
use crate::hashing::{Algorithm, AlgorithmSet};
use crate::hashsets::HashSetCatalog;
use crate::job::{FileRecord, Outcome, RecordSink};
use crate::pathfmt::{PathStyle, path_bytes};

/// Streams every record as one JSON object per line.
pub struct JsonlWriter<W: Write + Send> {
    out: W,
    root: PathBuf,
    catalog: HashSetCatalog,
    shown: AlgorithmSet,
}

impl<W: Write + Send> JsonlWriter<W> {
    /// A writer naming entries as `root/rel`.
    pub fn new(out: W, root: &Path) -> Self {
        JsonlWriter {
            out,
            root: root.to_path_buf(),
            catalog: HashSetCatalog::default(),
            shown: AlgorithmSet::ALL,
        }
    }

    /// Prints only these digests (the scan may compute more, for the sets).
    pub fn with_algorithms(mut self, shown: AlgorithmSet) -> Self {
        self.shown = shown;
        self
    }

    /// Names hits by the sets of `catalog` (the scan's catalog).
    pub fn with_catalog(mut self, catalog: HashSetCatalog) -> Self {
        self.catalog = catalog;
        self
    }
}

fn time(t: Option<UtcTime>) -> Value {
    t.map_or(Value::Null, |t| Value::String(t.to_iso8601()))
}

/// The JSON form of one record's hits: set name, kind, algorithm, entry id,
/// category and the entry's name and media id where the set has them.
pub fn hits_json(catalog: &HashSetCatalog, rec: &FileRecord) -> Value {
    let hits: Vec<Value> = rec
        .hits
        .iter()
        .map(|h| {
            let set = catalog.sets().get(usize::from(h.set));
            let info = set.and_then(|s| s.entry(h.entry)).unwrap_or_default();
            let mut v = json!({
                "set": set.map(|s| s.provenance().name.clone()),
                "kind": h.kind.as_str(),
                "algorithm": h.basis.name(),
                "entry": h.entry,
                "category": h.category,
                "media_id": info.media_id,
                "name": info.name,
            });
            // A PDQ match is a near-duplicate: always with its distance.
            if let (Some(d), Some(o)) = (h.basis.distance(), v.as_object_mut()) {
                o.insert("distance".into(), json!(d));
                if h.basis.more() > 0 {
                    o.insert("more_within_threshold".into(), json!(h.basis.more()));
                }
            }
            v
        })
        .collect();
    Value::Array(hits)
}

/// The JSON object for one record.
pub fn record_json(root: &Path, rec: &FileRecord) -> Value {
    let mut o = Map::new();
    let style = PathStyle::native();
    let stream = rec.stream.as_ref().map(|s| s.as_encoded_bytes());
    o.insert(
        "path".into(),
        style
            .display_item(path_bytes(root), path_bytes(&rec.rel_path), stream)
            .into(),
    );
    if let Some(s) = stream {
        o.insert("stream".into(), style.escape_stream(s).into());
    }
    if !rec.members.is_empty() {
        // The member chain after the archive's path, and each name apart.
        let chain = style.escape_members(&rec.members, &rec.member_ordinals);
        if let Some(Value::String(p)) = o.get_mut("path") {
            p.push_str(&chain);
        }
        let names: Vec<Value> = rec.members.iter().map(|m| style.escape(m).into()).collect();
        o.insert("members".into(), names.into());
    }
    if let Some(a) = &rec.archive {
        o.insert(
            "archive".into(),
            json!({
                "format": a.format.map(|f| f.as_str()),
                "members": a.members,
                "encrypted": a.encrypted,
                "limit": a.limit.as_deref().map(crate::pathfmt::escape_text),
                "error": a.error.as_deref().map(crate::pathfmt::escape_text),
                "same_as": a.same_as.as_deref().map(|c| style.escape_members(c, &[])),
            }),
        );
    }
    o.insert(
        "kind".into(),
        rec.kind.map_or(Value::Null, |k| k.as_str().into()),
    );
    if let Some(m) = &rec.meta {
        o.insert("size".into(), m.size.into());
        o.insert("mode".into(), format!("{:o}", m.permissions()).into());
        o.insert("inode".into(), m.inode.into());
        o.insert("uid".into(), m.uid.into());
        o.insert("gid".into(), m.gid.into());
        o.insert("mtime".into(), time(m.mtime));
        o.insert("atime".into(), time(m.atime));
        o.insert("ctime".into(), time(m.ctime));
        o.insert("crtime".into(), time(m.btime));
        if let Some(a) = m.attributes_text() {
            o.insert("attributes".into(), a.into());
        }
    }
    if let Some(t) = &rec.link_target {
        o.insert("link_target".into(), style.escape_path(t).into());
    }
    match &rec.outcome {
        Outcome::Hashed {
            digests,
            len,
            class,
            changed_during_read,
        } => {
            o.insert("status".into(), "hashed".into());
            o.insert("bytes_read".into(), (*len).into());
            for a in Algorithm::ALL {
                if let Some(h) = digests.hex(a) {
                    o.insert(a.name().into(), h.into());
                }
            }
            o.insert(
                "class".into(),
                json!({
                    "mime": class.mime,
                    "typical_ext": class.typical_ext,
                    "media": class.media.as_str(),
                }),
            );
            o.insert("mismatch".into(), class.mismatch.into());
            o.insert("changed_during_read".into(), (*changed_during_read).into());
        }
        Outcome::NotHashed { reason } => {
            o.insert("status".into(), "not_hashed".into());
            o.insert("reason".into(), (*reason).into());
        }
        Outcome::NotRead { reason } => {
            o.insert("status".into(), "not_hashed".into());
            o.insert("reason".into(), crate::pathfmt::escape_text(reason).into());
        }
        Outcome::Failed(e) => {
            o.insert("status".into(), "error".into());
            o.insert(
                "error".into(),
                json!({
                    "op": e.op.as_str(),
                    "kind": format!("{:?}", e.kind),
                    "os_code": e.os_code(),
                    "message": e.source.to_string(),
                }),
            );
        }
    }
    match &rec.perceptual {
        Some(crate::job::Perceptual::Pdq {
            hash,
            quality,
            note,
            ..
        }) => {
            o.insert("pdq".into(), hex::encode(hash).into());
            o.insert("pdq_quality".into(), (*quality).into());
            if let Some(n) = note {
                o.insert("pdq_note".into(), n.clone().into());
            }
        }
        Some(crate::job::Perceptual::NotHashed(why)) => {
            o.insert("pdq_error".into(), crate::pathfmt::escape_text(why).into());
        }
        None => {}
    }
    Value::Object(o)
}

impl<W: Write + Send> RecordSink for JsonlWriter<W> {
    fn accept(&mut self, rec: FileRecord) -> io::Result<()> {
        let mut v = record_json(&self.root, &rec);
        if let Value::Object(o) = &mut v {
            for a in Algorithm::ALL {
                if !self.shown.contains(a) {
                    o.remove(a.name());
                }
            }
            if !rec.hits.is_empty() {
                o.insert("hits".into(), hits_json(&self.catalog, &rec));
            }
        }
        serde_json::to_writer(&mut self.out, &v)?;
        self.out.write_all(b"\n")
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
