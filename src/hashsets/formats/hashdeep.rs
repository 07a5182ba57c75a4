//! hashdeep files (`FILEFORMAT` v1.0): `%%%% HASHDEEP-1.0`, then a
//! `%%%% size,…,filename` header naming the columns in any order; `#`
//! comments; values comma-separated with extra commas belonging to the file
//! name. A second header (concatenated files) redefines the columns.

use std::io::BufRead;

use super::{LineResult, parse_lines};
use crate::hashing::Algorithm;
use crate::hashsets::{Entry, HashSetError, ParseReport, message};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Col {
    Size,
    Digest(Algorithm),
    Skip,
    Name,
}

fn header(spec: &str) -> Result<Vec<Col>, String> {
    let cols: Vec<Col> = spec
        .split(',')
        .map(|c| match c.trim().to_ascii_lowercase().as_str() {
            "size" => Col::Size,
            "md5" => Col::Digest(Algorithm::Md5),
            "sha1" | "sha-1" => Col::Digest(Algorithm::Sha1),
            "sha256" | "sha-256" => Col::Digest(Algorithm::Sha256),
            "blake3" => Col::Digest(Algorithm::Blake3),
            "filename" => Col::Name,
            _ => Col::Skip, // tiger, whirlpool, …: known to hashdeep, not to Ferret
        })
        .collect();
    if cols.last() != Some(&Col::Name) {
        return Err("hashdeep header must end with 'filename'".into());
    }
    if !cols.iter().any(|c| matches!(c, Col::Digest(_))) {
        return Err("hashdeep header names no digest Ferret uses".into());
    }
    Ok(cols)
}

/// Parses a hashdeep file.
pub fn parse(
    reader: &mut dyn BufRead,
    report: &mut ParseReport,
    sink: &mut dyn FnMut(Entry),
) -> Result<(), HashSetError> {
    let mut cols: Option<Vec<Col>> = None;
    parse_lines(reader, report, sink, &mut |text| {
        if let Some(spec) = text.strip_prefix("%%%% ") {
            if spec.starts_with("HASHDEEP") {
                return LineResult::Skip;
            }
            return match header(spec) {
                Ok(c) => {
                    cols = Some(c);
                    LineResult::Skip
                }
                Err(why) => {
                    cols = None;
                    LineResult::Reject(why)
                }
            };
        }
        if text.starts_with('#') || text.trim().is_empty() {
            return LineResult::Skip;
        }
        let Some(cols) = &cols else {
            return LineResult::Reject("data line before a '%%%% size,…,filename' header".into());
        };
        let fields: Vec<&str> = text.splitn(cols.len(), ',').collect();
        if fields.len() != cols.len() {
            return LineResult::Reject(format!(
                "expected {} fields, found {}",
                cols.len(),
                fields.len()
            ));
        }
        let mut e = Entry::default();
        for (col, value) in cols.iter().zip(&fields) {
            match col {
                Col::Size => match value.trim().parse() {
                    Ok(s) => e.size = Some(s),
                    Err(_) => {
                        return LineResult::Reject(format!("bad size '{}'", message::value(value)));
                    }
                },
                Col::Digest(a) => match crate::hashsets::parse_hex(value, a.digest_len()) {
                    Some(b) => e.set_digest(*a, &b),
                    None => {
                        return LineResult::Reject(format!("bad {a} '{}'", message::value(value)));
                    }
                },
                Col::Name => e.name = Some((*value).to_string()),
                Col::Skip => {}
            }
        }
        LineResult::Entry(e)
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn columns_in_any_order_and_commas_in_names() {
        let text = "%%%% HASHDEEP-1.0\n%%%% size,sha256,md5,filename\n## comment\n\
            3,ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad,900150983cd24fb0d6963f7d28e17f72,/a,b,c.txt\n\
            x,bad\n";
        let mut report = ParseReport::default();
        let mut got = Vec::new();
        parse(&mut text.as_bytes(), &mut report, &mut |e| got.push(e)).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].name.as_deref(), Some("/a,b,c.txt"));
        assert_eq!(got[0].size, Some(3));
        assert!(got[0].digests.md5.is_some() && got[0].digests.sha256.is_some());
        assert_eq!(report.rejected, 1);
        assert_eq!(report.first_rejects[0].line, 5);
    }
}
