//! NSRL RDS 2.x legacy text (`NSRLFile.txt`) and the RDS zip as NIST ships it.
//!
//! The header decides the columns: RDS 2.x is `"SHA-1","MD5","CRC32",
//! "FileName","FileSize","ProductCode","OpSystemCode","SpecialCode"`, RDS 1.5
//! is `"SHA-1","FileName","FileSize","ProductCode","OpSystemCode","MD4",
//! "MD5","CRC32","SpecialCode"`. In a zip, `NSRLProd.txt` (when present)
//! turns product codes into product names.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Seek};

use super::csv_generic::{column, parse_records};
use crate::hashsets::{Entry, HashSetError, Hex64, ParseReport};

fn text(v: Option<&[u8]>) -> Option<String> {
    v.map(|b| String::from_utf8_lossy(b).trim().to_string())
        .filter(|s| !s.is_empty())
}

fn parse_with_products(
    reader: &mut dyn BufRead,
    products: &HashMap<i64, String>,
    report: &mut ParseReport,
    sink: &mut dyn FnMut(Entry),
) -> Result<(), HashSetError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(reader);
    parse_records(&mut rdr, Hex64::Sha256, report, sink, &|header, row, e| {
        let code = text(column(header, row, "ProductCode"));
        e.media_id = code.as_deref().and_then(|c| c.parse().ok());
        if let Some(c) = code {
            if let Some(name) = e.media_id.and_then(|id| products.get(&id)) {
                e.extra.push(("product".into(), name.clone()));
            }
            e.extra.push(("product_code".into(), c));
        }
        if let Some(os) = text(column(header, row, "OpSystemCode")) {
            e.extra.push(("os".into(), os));
        }
        if let Some(sc) = text(column(header, row, "SpecialCode")) {
            e.extra.push(("special".into(), sc));
        }
    })
}

/// Parses an `NSRLFile.txt`.
pub fn parse(
    reader: &mut dyn BufRead,
    report: &mut ParseReport,
    sink: &mut dyn FnMut(Entry),
) -> Result<(), HashSetError> {
    parse_with_products(reader, &HashMap::new(), report, sink)
}

fn products<R: Read + Seek>(zip: &mut zip::ZipArchive<R>) -> HashMap<i64, String> {
    let mut map = HashMap::new();
    let Ok(f) = zip.by_name("NSRLProd.txt") else {
        return map;
    };
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(f);
    let Ok(headers) = rdr.headers().cloned() else {
        return map;
    };
    let idx = |k: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(k));
    let (Some(code), Some(name)) = (idx("ProductCode"), idx("ProductName")) else {
        return map;
    };
    let version = idx("ProductVersion");
    for rec in rdr.records().flatten() {
        if let (Some(c), Some(n)) = (
            rec.get(code).and_then(|c| c.trim().parse().ok()),
            rec.get(name),
        ) {
            let v = version.and_then(|i| rec.get(i)).unwrap_or("").trim();
            let label = if v.is_empty() {
                n.to_string()
            } else {
                format!("{n} {v}")
            };
            map.insert(c, label);
        }
    }
    map
}

/// Parses an RDS zip: `NSRLFile.txt` inside, product names from `NSRLProd.txt`.
pub fn parse_zip<R: Read + Seek>(
    reader: R,
    report: &mut ParseReport,
    sink: &mut dyn FnMut(Entry),
) -> Result<(), HashSetError> {
    let malformed = |reason: String| HashSetError::Malformed {
        path: report.source.clone(),
        reason,
    };
    let mut zip = zip::ZipArchive::new(reader).map_err(|e| malformed(format!("bad zip: {e}")))?;
    let prods = products(&mut zip);
    let name = zip
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.to_string()))
        .find(|n| {
            n.rsplit('/')
                .next()
                .is_some_and(|b| b.eq_ignore_ascii_case("NSRLFile.txt"))
        })
        .ok_or_else(|| malformed("zip holds no NSRLFile.txt".into()))?;
    let file = zip
        .by_name(&name)
        .map_err(|e| malformed(format!("cannot read {name} in zip: {e}")))?;
    parse_with_products(&mut BufReader::new(file), &prods, report, sink)
}
