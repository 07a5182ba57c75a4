//! Project VIC VICS JSON (OData), 1.x (`odata.metadata`) and 2.0
//! (`@odata.context`, with the category profile in the context path:
//! `…/2.0.xml/US/$metadata#Media`), hash sets (`#Media`) and case exports
//! (`#Cases`, media nested under each case).
//!
//! Streamed: the top-level object is walked key by key, `value` element by
//! element, a case's `Media` medium by medium, and each record field by
//! field (see [`shape`]): memory is one record's kept fields, at most
//! [`MAX_RECORD_BYTES`](shape::MAX_RECORD_BYTES), whatever the file holds.
//! Tolerant: a UTF-8 BOM is skipped, unknown keys are ignored, `MediaSize`
//! and `MediaID` may be numbers or strings, a missing or non-integer
//! `Category` is uncategorised (never 0), PhotoDNA (1.x `AlternativeHashes`
//! or 2.0 `PhotoDNA`) is kept as an opaque value. A record without a usable
//! MD5/SHA-1 is rejected by record number; a JSON syntax error (e.g. a
//! truncated file) or a record past its budget keeps what came before and
//! is reported with its position.

mod shape;

use std::fmt;
use std::io::{BufRead, Read};

use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};

use self::shape::{Budget, MAX_RECORD_BYTES, Metered, Scalar, ScalarShape, Shape, any, skip_value};
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
    budget: &'a Budget,
    record: u64,
    saw_context: bool,
}

/// Keys whose values are kept verbatim as extras, in this order.
const EXTRA_KEYS: [&str; 7] = [
    "Series",
    "VictimIdentified",
    "OffenderIdentified",
    "IsDistributed",
    "IsPrecategorized",
    "Tags",
    "DateUpdated",
];

/// What one record holds of what Ferret reads.
#[derive(Default)]
struct Fields {
    digests: [Scalar; 3],
    category: Scalar,
    media_id: Scalar,
    size: Scalar,
    /// The first `MediaFiles` item's `FileName` and `FilePath`.
    file: Option<(Scalar, Scalar)>,
    extra: [Scalar; 7],
    photodna: Scalar,
    alt_photodna: Option<String>,
    /// A `Media` array was found: this is a case, its media were records.
    case: bool,
    /// A case's `CaseNumber`.
    case_number: Scalar,
}

const DIGEST_KEYS: [(&str, Algorithm); 3] = [
    ("MD5", Algorithm::Md5),
    ("SHA1", Algorithm::Sha1),
    ("SHA256", Algorithm::Sha256),
];

/// Most case numbers named in a set's provenance.
const MAX_CASES_NAMED: usize = 20;

impl State<'_> {
    /// A case export names its cases: they are the set's embedded name
    /// (`case CAT-1`, `cases CAT-1, CAT-2`), so its provenance says which
    /// cases it came from.
    fn case_named(&mut self, number: &str) {
        let number = message::excerpt(number, MAX_PROFILE_CHARS);
        let named = self.report.embedded_name.get_or_insert_with(String::new);
        let count = if named.is_empty() {
            0
        } else {
            named.matches(", ").count() + 1
        };
        match count {
            0 => named.push_str(&format!("case {number}")),
            n if n < MAX_CASES_NAMED => {
                if let Some(rest) = named.strip_prefix("case ") {
                    *named = format!("cases {rest}");
                }
                named.push_str(&format!(", {number}"));
            }
            MAX_CASES_NAMED => named.push_str(", …"),
            _ => {}
        }
    }

    fn next_record(&mut self) -> u64 {
        self.record += 1;
        self.record
    }

    fn media(&mut self, f: Fields) {
        let n = self.next_record();
        let mut e = Entry::default();
        for ((key, algo), value) in DIGEST_KEYS.iter().zip(&f.digests) {
            let Some(hex) = value.text() else { continue };
            match crate::hashsets::parse_hex(&hex, algo.digest_len()) {
                Some(b) => e.set_digest(*algo, &b),
                None => {
                    self.report
                        .reject(n, format!("bad {key} '{}'", message::value(&hex)));
                    return;
                }
            }
        }
        if e.is_empty() {
            self.report.reject(n, "no MD5, SHA1 or SHA256");
            return;
        }
        e.category = f.category.int();
        e.media_id = f.media_id.int();
        e.size = f.size.uint();
        e.name = f.file.and_then(|(name, path)| {
            let name = name.text()?;
            Some(match path.text() {
                Some(p) => format!("{}/{name}", p.trim_end_matches(['/', '\\'])),
                None => name,
            })
        });
        for (key, value) in EXTRA_KEYS.iter().zip(&f.extra) {
            if let Some(v) = value.text() {
                e.extra.push((key.to_string(), v));
            }
        }
        if let Some(p) = f.photodna.text().or(f.alt_photodna) {
            e.extra.push(("PhotoDNA".into(), p));
        }
        self.report.entries += 1;
        (self.sink)(e);
    }
}

/// One element of `value` or of a case's `Media`: a media record, or a case.
struct Record<'s, 'a>(&'s mut State<'a>);

impl<'de> Shape<'de> for Record<'_, '_> {
    type Out = ();
    fn budget(&self) -> &Budget {
        self.0.budget
    }
    fn other(self) {
        let n = self.0.next_record();
        self.0.report.reject(n, "record is not an object");
    }
    fn map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let st = self.0;
        let b = st.budget;
        let mut f = Fields::default();
        loop {
            let mark = b.mark();
            let Some(key) = map.next_key::<String>()? else {
                break;
            };
            let scalar = || any(ScalarShape(b));
            if let Some(i) = DIGEST_KEYS.iter().position(|(k, _)| *k == key) {
                if let Some(slot) = f.digests.get_mut(i) {
                    *slot = map.next_value_seed(scalar())?;
                }
                continue;
            }
            if let Some(i) = EXTRA_KEYS.iter().position(|k| *k == key) {
                if let Some(slot) = f.extra.get_mut(i) {
                    *slot = map.next_value_seed(scalar())?;
                }
                continue;
            }
            match key.as_str() {
                "Category" => f.category = map.next_value_seed(scalar())?,
                "MediaID" => f.media_id = map.next_value_seed(scalar())?,
                "MediaSize" => f.size = map.next_value_seed(scalar())?,
                "PhotoDNA" => f.photodna = map.next_value_seed(scalar())?,
                "CaseNumber" => f.case_number = map.next_value_seed(scalar())?,
                "MediaFiles" => f.file = map.next_value_seed(any(FirstFile(b)))?,
                "AlternativeHashes" => {
                    if let Some(p) = map.next_value_seed(any(AltHashes(b)))? {
                        f.alt_photodna.get_or_insert(p);
                    }
                }
                "Media" => {
                    // A case: its own fields are not kept; each medium is a
                    // record with its own budget.
                    b.rewind(mark);
                    f.case |= map.next_value_seed(any(MediaList(&mut *st)))?;
                    b.start();
                }
                _ => {
                    b.rewind(mark);
                    skip_value(b, &mut map)?;
                }
            }
        }
        if !f.case {
            st.media(f);
        } else if let Some(number) = f.case_number.text() {
            st.case_named(&number);
        }
        Ok(())
    }
}

/// A case's `Media`: records, streamed; `true` when it was an array.
struct MediaList<'s, 'a>(&'s mut State<'a>);

impl<'de> Shape<'de> for MediaList<'_, '_> {
    type Out = bool;
    fn budget(&self) -> &Budget {
        self.0.budget
    }
    fn other(self) -> bool {
        false
    }
    fn seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        records(self.0, &mut seq)?;
        Ok(true)
    }
}

/// Reads every element of an array as a record, each on a fresh budget.
fn records<'de, A: SeqAccess<'de>>(st: &mut State<'_>, seq: &mut A) -> Result<(), A::Error> {
    loop {
        st.budget.start();
        if seq.next_element_seed(any(Record(&mut *st)))?.is_none() {
            return Ok(());
        }
    }
}

/// `MediaFiles`: the first item's name and path; the rest skipped.
struct FirstFile<'b>(&'b Budget);

impl<'de> Shape<'de> for FirstFile<'_> {
    type Out = Option<(Scalar, Scalar)>;
    fn budget(&self) -> &Budget {
        self.0
    }
    fn other(self) -> Self::Out {
        None
    }
    fn seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Out, A::Error> {
        let first = seq.next_element_seed(any(FileItem(self.0)))?.flatten();
        shape::drain_seq(self.0, &mut seq)?;
        Ok(first)
    }
}

/// One `MediaFiles` item: `FileName` and `FilePath`.
struct FileItem<'b>(&'b Budget);

impl<'de> Shape<'de> for FileItem<'_> {
    type Out = Option<(Scalar, Scalar)>;
    fn budget(&self) -> &Budget {
        self.0
    }
    fn other(self) -> Self::Out {
        None
    }
    fn map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Out, A::Error> {
        let (mut name, mut path) = (Scalar::Absent, Scalar::Absent);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "FileName" => name = map.next_value_seed(any(ScalarShape(self.0)))?,
                "FilePath" => path = map.next_value_seed(any(ScalarShape(self.0)))?,
                _ => skip_value(self.0, &mut map)?,
            }
        }
        Ok(Some((name, path)))
    }
}

/// 1.x `AlternativeHashes`: the first PhotoDNA value.
struct AltHashes<'b>(&'b Budget);

impl<'de> Shape<'de> for AltHashes<'_> {
    type Out = Option<String>;
    fn budget(&self) -> &Budget {
        self.0
    }
    fn other(self) -> Self::Out {
        None
    }
    fn seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Out, A::Error> {
        loop {
            let mark = self.0.mark();
            match seq.next_element_seed(any(AltHash(self.0)))? {
                None => return Ok(None),
                Some(Some(p)) => {
                    shape::drain_seq(self.0, &mut seq)?;
                    return Ok(Some(p));
                }
                Some(None) => self.0.rewind(mark),
            }
        }
    }
}

/// One `{HashName, HashValue}`: the value when the name is `PhotoDNA`.
struct AltHash<'b>(&'b Budget);

impl<'de> Shape<'de> for AltHash<'_> {
    type Out = Option<String>;
    fn budget(&self) -> &Budget {
        self.0
    }
    fn other(self) -> Self::Out {
        None
    }
    fn map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Out, A::Error> {
        let (mut name, mut value) = (Scalar::Absent, Scalar::Absent);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "HashName" => name = map.next_value_seed(any(ScalarShape(self.0)))?,
                "HashValue" => value = map.next_value_seed(any(ScalarShape(self.0)))?,
                _ => skip_value(self.0, &mut map)?,
            }
        }
        Ok((name == Scalar::Str("PhotoDNA".into()))
            .then(|| value.text())
            .flatten())
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
        loop {
            self.0.budget.start();
            let Some(key) = map.next_key::<String>()? else {
                return Ok(());
            };
            match key.as_str() {
                "odata.metadata" | "@odata.context" => {
                    let url: String = map.next_value()?;
                    self.0.saw_context = true;
                    self.0.report.profile = profile_from_context(&url);
                }
                "value" => map.next_value_seed(Values(&mut *self.0))?,
                _ => skip_value(self.0.budget, &mut map)?,
            }
        }
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
        records(self.0, &mut seq)
    }
}

/// Parses a VICS JSON stream.
pub fn parse(
    reader: &mut dyn Read,
    report: &mut ParseReport,
    sink: &mut dyn FnMut(Entry),
) -> Result<(), HashSetError> {
    report.unit = "record ";
    let mut input = std::io::BufReader::with_capacity(1 << 16, reader);
    // A BOM is skipped when the first read holds it (a file's always does).
    let bom = input
        .fill_buf()
        .map_err(|source| HashSetError::Io {
            path: report.source.clone(),
            source,
        })?
        .starts_with(b"\xEF\xBB\xBF");
    if bom {
        input.consume(3);
    }
    let budget = Budget::default();
    let mut state = State {
        report,
        sink,
        budget: &budget,
        record: 0,
        saw_context: false,
    };
    let mut de = serde_json::Deserializer::from_reader(Metered {
        inner: input,
        budget: &budget,
    });
    let result = Root(&mut state)
        .deserialize(&mut de)
        .and_then(|()| de.end());
    let (saw_context, at) = (state.saw_context, state.record + 1);
    if let Err(e) = result {
        let why = if budget.exceeded() {
            format!(
                "record {at}: the fields Ferret reads are longer than {} KiB; \
                 stopped there (records before it were kept)",
                MAX_RECORD_BYTES / 1024
            )
        } else {
            format!(
                "invalid JSON at line {} column {}: {} (records before it were kept)",
                e.line(),
                e.column(),
                message::value(&e.to_string())
            )
        };
        if report.entries == 0 {
            return Err(HashSetError::Malformed {
                path: report.source.clone(),
                reason: why,
            });
        }
        report.reject(at, why);
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

    #[test]
    fn cases_stream_their_media_and_records_are_bounded() {
        let md5 = |i: u32| format!("{i:032x}");
        let cases = format!(
            "{{\"odata.metadata\":\"x/1.3.xml#Cases\",\"value\":[\
             {{\"CaseID\":\"a\",\"Media\":[{{\"MD5\":\"{}\",\"MediaFiles\":[{{\"FileName\":\"f.jpg\",\"FilePath\":\"/d/\"}},{{\"FileName\":\"g\"}}]}},\
               {{\"MD5\":\"bad\"}}],\"TotalMediaFiles\":2}},\
             {{\"Media\":[{{\"SHA1\":\"{}\",\"Exifs\":\"{}\",\"AlternativeHashes\":[{{\"HashName\":\"X\",\"HashValue\":\"1\"}},{{\"HashName\":\"PhotoDNA\",\"HashValue\":\"pd\"}}]}}]}}]}}",
            md5(1),
            "ab".repeat(20),
            "e".repeat(3 << 20),
        );
        let mut r = ParseReport::default();
        let mut got = Vec::new();
        parse(&mut cases.as_bytes(), &mut r, &mut |e| got.push(e)).unwrap();
        assert_eq!(got.len(), 2, "{:?}", r.first_rejects);
        assert_eq!(got[0].name.as_deref(), Some("/d/f.jpg"));
        assert!(got[1].extra.contains(&("PhotoDNA".into(), "pd".into())));
        assert_eq!((r.rejected, r.first_rejects[0].line), (1, 2));

        // A kept field past the budget stops the parse with a clear reject.
        let big = format!(
            "{{\"odata.metadata\":\"x#Media\",\"value\":[{{\"MD5\":\"{}\"}},{{\"Series\":\"{}\",\"MD5\":\"{}\"}}]}}",
            md5(1),
            "s".repeat(2 << 20),
            md5(2)
        );
        let mut r = ParseReport::default();
        let mut n = 0;
        parse(&mut big.as_bytes(), &mut r, &mut |_| n += 1).unwrap();
        assert_eq!((n, r.rejected), (1, 1));
        assert_eq!(r.first_rejects[0].line, 2);
        assert!(
            r.first_rejects[0]
                .reason
                .contains("the fields Ferret reads are longer than 1024 KiB"),
            "{:?}",
            r.first_rejects
        );
    }
}
