//! Project VIC VICS JSON (OData), 1.x (`odata.metadata`) and 2.0
//! (`@odata.context`, with the category profile in the context path:
//! `…/2.0.xml/US/$metadata#Media`), hash sets (`#Media`) and case exports
//! (`#Cases`, media nested under each case).
//!
//! Streamed: the top-level object is walked key by key and `value` element
//! by element, so a multi-gigabyte file needs memory for one record only.
//! Tolerant: a UTF-8 BOM is skipped, unknown keys are ignored, `MediaSize`
//! and `MediaID` may be numbers or strings, a missing or non-integer
//! `Category` is uncategorised (never 0), PhotoDNA (1.x `AlternativeHashes`
//! or 2.0 `PhotoDNA`) is kept as an opaque value. A record without a usable
//! MD5/SHA-1 is rejected by record number; a JSON syntax error (e.g. a
//! truncated file) keeps what came before and is reported with its line.

use std::fmt;
use std::io::{BufRead, Read};

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::hashing::Algorithm;
use crate::hashsets::{Entry, HashSetError, ParseReport, message};

/// Longest profile name kept (real ones are `US`, `UK`, `Default`).
const MAX_PROFILE_CHARS: usize = 40;

/// The category profile named in a 2.0 context URL (`US`, `UK`, `Default`, …).
pub fn profile_from_context(url: &str) -> Option<String> {
    let after = url.split("/2.0.xml/").nth(1)?;
    let p = after.split('/').next()?;
    (!p.is_empty() && !p.starts_with('$')).then(|| message::excerpt(p, MAX_PROFILE_CHARS))
}

struct State<'a> {
    report: &'a mut ParseReport,
    sink: &'a mut dyn FnMut(Entry),
    record: u64,
    saw_context: bool,
}

fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn as_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

impl State<'_> {
    fn media(&mut self, v: &Value) {
        self.record += 1;
        let n = self.record;
        let Some(obj) = v.as_object() else {
            self.report.reject(n, "record is not an object");
            return;
        };
        // A case export nests its media.
        if let Some(Value::Array(items)) = obj.get("Media") {
            self.record -= 1;
            for m in items {
                self.media(m);
            }
            return;
        }
        let mut e = Entry::default();
        for (key, algo) in [
            ("MD5", Algorithm::Md5),
            ("SHA1", Algorithm::Sha1),
            ("SHA256", Algorithm::Sha256),
        ] {
            match obj.get(key).and_then(as_text) {
                None => {}
                Some(hex) => match crate::hashsets::parse_hex(&hex, algo.digest_len()) {
                    Some(b) => e.set_digest(algo, &b),
                    None => {
                        self.report
                            .reject(n, format!("bad {key} '{}'", message::value(&hex)));
                        return;
                    }
                },
            }
        }
        if e.is_empty() {
            self.report.reject(n, "no MD5, SHA1 or SHA256");
            return;
        }
        e.category = obj.get("Category").and_then(as_int);
        e.media_id = obj.get("MediaID").and_then(as_int);
        e.size = obj
            .get("MediaSize")
            .and_then(as_int)
            .and_then(|s| u64::try_from(s).ok());
        e.name = obj
            .get("MediaFiles")
            .and_then(Value::as_array)
            .and_then(|files| files.first())
            .and_then(|f| {
                let name = f.get("FileName").and_then(as_text)?;
                Some(match f.get("FilePath").and_then(as_text) {
                    Some(p) => format!("{}/{name}", p.trim_end_matches(['/', '\\'])),
                    None => name,
                })
            });
        for key in [
            "Series",
            "VictimIdentified",
            "OffenderIdentified",
            "IsDistributed",
            "IsPrecategorized",
            "Tags",
            "DateUpdated",
        ] {
            if let Some(v) = obj.get(key).and_then(as_text) {
                e.extra.push((key.to_string(), v));
            }
        }
        let photodna = obj.get("PhotoDNA").and_then(as_text).or_else(|| {
            obj.get("AlternativeHashes")?
                .as_array()?
                .iter()
                .find_map(|h| {
                    (h.get("HashName")?.as_str()? == "PhotoDNA")
                        .then(|| h.get("HashValue").and_then(as_text))
                        .flatten()
                })
        });
        if let Some(p) = photodna {
            e.extra.push(("PhotoDNA".into(), p));
        }
        self.report.entries += 1;
        (self.sink)(e);
    }
}

struct Root<'s, 'a>(&'s mut State<'a>);
struct Values<'s, 'a>(&'s mut State<'a>);

impl<'de> DeserializeSeed<'de> for Root<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Root<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a VICS OData object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "odata.metadata" | "@odata.context" => {
                    let url: String = map.next_value()?;
                    self.0.saw_context = true;
                    self.0.report.profile = profile_from_context(&url);
                }
                "value" => map.next_value_seed(Values(&mut *self.0))?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for Values<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Values<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of media records")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(v) = seq.next_element::<Value>()? {
            self.0.media(&v);
        }
        Ok(())
    }
}

/// Parses a VICS JSON stream.
pub fn parse(
    reader: &mut dyn Read,
    report: &mut ParseReport,
    sink: &mut dyn FnMut(Entry),
) -> Result<(), HashSetError> {
    report.unit = "record ";
    let mut state = State {
        report,
        sink,
        record: 0,
        saw_context: false,
    };
    let mut input = std::io::BufReader::with_capacity(1 << 16, reader);
    // A BOM is skipped when the first read holds it (a file's always does).
    let bom = input
        .fill_buf()
        .map_err(|source| HashSetError::Io {
            path: state.report.source.clone(),
            source,
        })?
        .starts_with(b"\xEF\xBB\xBF");
    if bom {
        input.consume(3);
    }
    let mut de = serde_json::Deserializer::from_reader(input);
    let result = Root(&mut state)
        .deserialize(&mut de)
        .and_then(|()| de.end());
    let saw_context = state.saw_context;
    if let Err(e) = result {
        let why = format!(
            "invalid JSON at line {} column {}: {} (records before it were kept)",
            e.line(),
            e.column(),
            message::value(&e.to_string())
        );
        if report.entries == 0 {
            return Err(HashSetError::Malformed {
                path: report.source.clone(),
                reason: why,
            });
        }
        let after = report.entries + report.rejected + 1;
        report.reject(after, why);
    } else if !saw_context {
        report.reject(
            0,
            "no odata.metadata / @odata.context key: not marked as VICS",
        );
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn both_versions_and_tolerances() {
        let v2 = "\u{feff}{\"@odata.context\":\"http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/UK/$metadata#Media\",\
            \"value\":[{\"MediaID\":\"7\",\"Category\":2,\"MD5\":\"ADEBF3FA3C9BE7F73825E1CB9E2DEA09\",\"MediaSize\":\"2835\",\"PhotoDNA\":\"abc=\",\"X\":[1,{}]},\
            {\"MediaID\":8,\"MD5\":\"zz\"},{\"MediaID\":9,\"SHA1\":\"2B037F69C566DFDB3A5A79E5360D085959BDDE4C\"}]}";
        let mut r = ParseReport::default();
        let mut got = Vec::new();
        parse(&mut v2.as_bytes(), &mut r, &mut |e| got.push(e)).unwrap();
        assert_eq!(r.profile.as_deref(), Some("UK"));
        assert_eq!(got.len(), 2);
        assert_eq!(
            (got[0].media_id, got[0].category, got[0].size),
            (Some(7), Some(2), Some(2835))
        );
        assert!(got[0].extra.contains(&("PhotoDNA".into(), "abc=".into())));
        assert_eq!(
            got[1].category, None,
            "missing Category is uncategorised, not 0"
        );
        assert_eq!((r.rejected, r.first_rejects[0].line), (1, 2));
        // Truncated: the first record survives, the error is counted.
        let cut = &v2[..v2.find("{\"MediaID\":8").unwrap() + 5];
        let mut r = ParseReport::default();
        let mut n = 0;
        parse(&mut cut.as_bytes(), &mut r, &mut |_| n += 1).unwrap();
        assert_eq!((n, r.rejected), (1, 1));
        assert!(r.first_rejects[0].reason.contains("invalid JSON"));
    }
}
