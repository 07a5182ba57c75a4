//! CASE/UCO JSON-LD: the tool, the examiner, each reported file with its
//! `FileFacet` and `ContentDataFacet` hashes (hash methods as plain strings;
//! BLAKE3 and a picture's PDQ each draw one `sh:Info` from `case_validate`,
//! as they are outside the vocabulary), a `ProvenanceRecord` per exhibit, and the scans as
//! `InvestigativeAction`s. Node IRIs end in UUIDv5s derived from the case
//! number and stable keys, so the same case gives the same graph.

use std::io::{self, Write};

use serde_json::{Value, json};
use uuid::Uuid;

use super::folder::FormatError;
use super::header::ReportHeader;
use super::rows::ScopedRows;
use crate::case::ReportRow;

const CONTEXT: &str = r#"{"kb":"http://example.org/kb/",
  "case-investigation":"https://ontology.caseontology.org/case/investigation/",
  "uco-action":"https://ontology.unifiedcyberontology.org/uco/action/",
  "uco-core":"https://ontology.unifiedcyberontology.org/uco/core/",
  "uco-identity":"https://ontology.unifiedcyberontology.org/uco/identity/",
  "uco-observable":"https://ontology.unifiedcyberontology.org/uco/observable/",
  "uco-tool":"https://ontology.unifiedcyberontology.org/uco/tool/",
  "uco-types":"https://ontology.unifiedcyberontology.org/uco/types/",
  "xsd":"http://www.w3.org/2001/XMLSchema#"}"#;

struct Ids(Uuid);

impl Ids {
    fn iri(&self, kind: &str, key: &str) -> String {
        format!(
            "kb:{kind}-{}",
            Uuid::new_v5(&self.0, format!("{kind}:{key}").as_bytes())
        )
    }
}

fn time(t: &str) -> Value {
    json!({"@type": "xsd:dateTime", "@value": t})
}

fn file_node(ids: &Ids, header: &ReportHeader, r: &ReportRow) -> Value {
    let item = r.item_path();
    let key = format!("{}:{item}", r.exhibit);
    let sep = char::from(r.style.separator());
    // A member's name is its own (archives store `/` between folders).
    let member = r
        .members_raw()
        .and_then(|c| c.last().map(|(m, _)| r.style.escape(m)));
    let name = match &member {
        Some(m) => m.rsplit('/').next().unwrap_or(m),
        None => item.rsplit(sep).next().unwrap_or(&item),
    };
    let mut facet = serde_json::Map::new();
    facet.insert("@id".into(), ids.iri("FileFacet", &key).into());
    facet.insert("@type".into(), "uco-observable:FileFacet".into());
    facet.insert("uco-observable:fileName".into(), name.into());
    facet.insert("uco-observable:filePath".into(), r.full_path().into());
    if let Some(s) = r.size {
        facet.insert("uco-observable:sizeInBytes".into(), s.into());
    }
    if let Some(t) = &r.mtime {
        facet.insert("uco-observable:modifiedTime".into(), time(t));
    }
    if let Some(t) = &r.atime {
        facet.insert("uco-observable:accessedTime".into(), time(t));
    }
    if let Some(t) = &r.ctime {
        facet.insert("uco-observable:metadataChangeTime".into(), time(t));
    }
    if let Some(t) = &r.crtime {
        facet.insert("uco-observable:observableCreatedTime".into(), time(t));
    }
    let mut facets = vec![Value::Object(facet)];
    let hashes: Vec<Value> = [
        ("MD5", &r.md5),
        ("SHA1", &r.sha1),
        ("SHA256", &r.sha256),
        ("BLAKE3", &r.blake3),
        // A perceptual hash of the picture (not of the bytes), named as
        // such: outside the vocabulary, like BLAKE3.
        ("PDQ", &r.pdq),
    ]
    .into_iter()
    .filter_map(|(method, v)| {
        v.as_ref().map(|hex| {
            json!({"@id": ids.iri("Hash", &format!("{key}:{method}")), "@type": "uco-types:Hash",
                       "uco-types:hashMethod": method,
                       "uco-types:hashValue": {"@type": "xsd:hexBinary", "@value": hex}})
        })
    })
    .collect();
    if !hashes.is_empty() {
        let mut content = json!({"@id": ids.iri("ContentDataFacet", &key), "@type": "uco-observable:ContentDataFacet",
                                 "uco-observable:hash": hashes});
        if let Some(o) = content.as_object_mut() {
            if let Some(m) = &r.mime {
                o.insert("uco-observable:mimeType".into(), m.clone().into());
            }
            if let Some(s) = r.size {
                o.insert("uco-observable:sizeInBytes".into(), s.into());
            }
        }
        facets.push(content);
    }
    let mut file = json!({"@id": ids.iri("File", &key), "@type": "uco-observable:File", "uco-core:hasFacet": facets});
    // Its Project VIC category, as a tag (UCO has no category property).
    if let (Some(c), Some(o)) = (r.category(), file.as_object_mut()) {
        let tag = format!(
            "Project VIC category {} ({} profile, from {})",
            header.category_text(c),
            header.category_profile,
            r.category_source()
        );
        o.insert("uco-core:tag".into(), json!([tag]));
    }
    file
}

/// For an archive member: the relationship "contained within" its archive
/// (the File one level up the chain).
fn containment(ids: &Ids, r: &ReportRow) -> Option<Value> {
    let chain = r.members_raw()?;
    let (_, up) = chain.split_last()?;
    let names: Vec<Vec<u8>> = up.iter().map(|(m, _)| m.clone()).collect();
    let nths: Vec<u32> = up.iter().map(|(_, n)| *n).collect();
    let mut container = match &r.stream {
        Some(s) => format!("{}:{s}", r.path),
        None => r.path.clone(),
    };
    container.push_str(&r.style.escape_members(&names, &nths));
    let member = format!("{}:{}", r.exhibit, r.item_path());
    Some(json!({
        "@id": ids.iri("Relationship", &member),
        "@type": "uco-observable:ObservableRelationship",
        "uco-core:source": [{"@id": ids.iri("File", &member)}],
        "uco-core:target": {"@id": ids.iri("File", &format!("{}:{container}", r.exhibit))},
        "uco-core:kindOfRelationship": "Contained_Within",
        "uco-core:isDirectional": true,
    }))
}

/// Writes the CASE/UCO graph for the rows in scope; returns the file count.
pub(super) fn write_case_uco(
    header: &ReportHeader,
    rows: ScopedRows<'_>,
    out: &mut dyn Write,
) -> Result<u64, FormatError> {
    let info = &header.case;
    let ids = Ids(Uuid::new_v5(
        &Uuid::NAMESPACE_URL,
        format!("ferret:case:{}", info.case_number).as_bytes(),
    ));
    let tool = ids.iri("Tool", "ferret");
    let examiner = ids.iri("Identity", &info.examiner);
    write!(out, "{{\"@context\":{CONTEXT},\n\"@graph\":[\n")?;
    let head = [
        json!({"@id": tool, "@type": "uco-tool:Tool", "uco-core:name": crate::TOOL_NAME, "uco-tool:version": crate::VERSION}),
        json!({"@id": examiner, "@type": "uco-identity:Identity",
               "uco-core:name": if info.examiner.is_empty() { "unknown examiner" } else { &info.examiner }}),
    ];
    for n in &head {
        serde_json::to_writer(&mut *out, n).map_err(io::Error::from)?;
        out.write_all(b",\n")?;
    }
    let mut by_exhibit: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    let n = rows.for_each(|r| {
        by_exhibit
            .entry(r.exhibit.clone())
            .or_default()
            .push(ids.iri("File", &format!("{}:{}", r.exhibit, r.item_path())));
        serde_json::to_writer(&mut *out, &file_node(&ids, header, &r)).map_err(io::Error::from)?;
        out.write_all(b",\n")?;
        if let Some(node) = containment(&ids, &r) {
            serde_json::to_writer(&mut *out, &node).map_err(io::Error::from)?;
            out.write_all(b",\n")?;
        }
        Ok::<_, FormatError>(())
    })?;
    let mut records = Vec::new();
    for (exhibit, files) in &by_exhibit {
        let id = ids.iri("ProvenanceRecord", exhibit);
        let objects: Vec<Value> = files.iter().map(|f| json!({"@id": f})).collect();
        let node = json!({"@id": id, "@type": "case-investigation:ProvenanceRecord",
                          "case-investigation:exhibitNumber": exhibit, "uco-core:object": objects});
        serde_json::to_writer(&mut *out, &node).map_err(io::Error::from)?;
        out.write_all(b",\n")?;
        records.push(json!({"@id": id}));
    }
    let scans = &header.scans;
    for (i, s) in scans.iter().enumerate() {
        let mut action = json!({"@id": ids.iri("InvestigativeAction", &s.id.to_string()),
            "@type": "case-investigation:InvestigativeAction",
            "uco-core:name": "hash-set triage scan",
            "uco-action:startTime": time(&s.started),
            "uco-action:instrument": {"@id": tool},
            "uco-action:performer": {"@id": examiner},
            "uco-action:result": records});
        if let (Some(f), Some(o)) = (&s.finished, action.as_object_mut()) {
            o.insert("uco-action:endTime".into(), time(f));
        }
        serde_json::to_writer(&mut *out, &action).map_err(io::Error::from)?;
        out.write_all(if i + 1 == scans.len() { b"\n" } else { b",\n" })?;
    }
    if scans.is_empty() {
        // Close the list without a trailing comma: the Identity node again is
        // harmless, but an empty action would not be; emit the tool once more.
        serde_json::to_writer(&mut *out, &head[0]).map_err(io::Error::from)?;
    }
    out.write_all(b"]}\n")?;
    Ok(n)
}
