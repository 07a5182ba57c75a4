//! PDQ hash lists, read only when the examiner names them as PDQ
//! (`--algorithm pdq`): a 64-hex value alone is never taken for a PDQ hash,
//! since SHA-256 and BLAKE3 digests look the same.
//!
//! One hash per line, in any of the shapes ThreatExchange's tools and the
//! lists built with them use:
//!
//! - `HASH` (plain list, as `haystack.txt`);
//! - `HASH,QUALITY[,NAME]` (`pdq-photo-hasher`'s CSV; tab also separates);
//! - `HASH,NAME` (the older hasher output: a second field that is not a
//!   quality 0-100 is a name);
//! - `hash=HASH,quality=Q,…,filename=NAME` (`pdq-photo-hasher --details`);
//!   other `key=value` fields are kept as extra fields.
//!
//! `#` comments and blank lines are skipped, and so is a first line that
//! is a header (`hash,quality,filename`). Hex is the reference's print
//! order ([`crate::perceptual::PdqHash::to_hex`]), either case.

use std::io::BufRead;

use super::{LineResult, parse_lines};
use crate::hashsets::{Entry, HashSetError, ParseReport, PdqEntry, message};

/// Parses a PDQ list.
pub fn parse(
    reader: &mut dyn BufRead,
    report: &mut ParseReport,
    sink: &mut dyn FnMut(Entry),
) -> Result<(), HashSetError> {
    let mut first = true;
    parse_lines(reader, report, sink, &mut |line| {
        let text = line.trim();
        if text.is_empty() || text.starts_with('#') {
            return LineResult::Skip;
        }
        let was_first = std::mem::replace(&mut first, false);
        match entry(text) {
            Err(_) if was_first && is_header(text) => LineResult::Skip,
            Err(why) => LineResult::Reject(why),
            Ok(e) => LineResult::Entry(e),
        }
    })
}

/// A first line naming the columns: its first field is a word, not hex.
fn is_header(text: &str) -> bool {
    let first = text.split([',', '\t']).next().unwrap_or_default().trim();
    matches!(
        first.to_ascii_lowercase().as_str(),
        "hash" | "pdq" | "pdqhash" | "pdq_hash" | "signal" | "signal_value"
    )
}

/// A PDQ hash from 64 hex digits.
pub(crate) fn pdq_hash(hex: &str) -> Result<[u8; 32], String> {
    let hex = hex.trim();
    crate::perceptual::PdqHash::from_hex(hex)
        .map(|h| h.bits)
        .ok_or_else(|| format!("not a PDQ hash (64 hex digits): '{}'", message::value(hex)))
}

/// A quality 0-100, in plain decimal digits (no sign).
pub(crate) fn pdq_quality(text: &str) -> Option<u8> {
    let t = text.trim();
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse::<u8>().ok().filter(|q| *q <= 100)
}

/// True when a field is meant as a number (digits, maybe signed): one that
/// is not a quality 0-100 is then a bad quality, never a name.
fn numeric(text: &str) -> bool {
    let t = text.trim();
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

fn entry(text: &str) -> Result<Entry, String> {
    let mut fields = text.split([',', '\t']);
    let head = fields.next().unwrap_or_default().trim();
    let mut e = Entry::default();
    if let Some(v) = head.strip_prefix("hash=") {
        // `--details`: every field is key=value.
        let mut p = PdqEntry {
            hash: pdq_hash(v)?,
            quality: None,
        };
        for f in fields {
            let (k, v) = f.split_once('=').unwrap_or((f, ""));
            match k.trim() {
                "quality" => {
                    p.quality = Some(
                        pdq_quality(v)
                            .ok_or_else(|| format!("bad quality '{}'", message::value(v)))?,
                    )
                }
                "filename" => e.name = Some(v.to_string()).filter(|n| !n.is_empty()),
                k => e.extra.push((k.to_string(), v.trim().to_string())),
            }
        }
        e.pdq = Some(p);
        return Ok(e);
    }
    let hash = pdq_hash(head)?;
    let rest: Vec<&str> = fields.collect();
    let (quality, name) = match rest.split_first() {
        None => (None, None),
        // An empty quality field: not stated (Ferret's own export).
        Some((q, name)) if q.trim().is_empty() => {
            (None, (!name.is_empty()).then(|| name.join(",")))
        }
        Some((q, name)) => match pdq_quality(q) {
            Some(q) => (Some(q), (!name.is_empty()).then(|| name.join(","))),
            None if numeric(q) => {
                return Err(format!(
                    "quality '{}' is not a whole number 0-100",
                    message::value(q)
                ));
            }
            None => (None, Some(rest.join(","))),
        },
    };
    e.name = name.filter(|n| !n.trim().is_empty());
    e.pdq = Some(PdqEntry { hash, quality });
    Ok(e)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    const H: &str = "f8f8f0cce0f4e84d0e370a22028f67f0b36e2ed596623e1d33e6339c4e9c9b22";

    fn parse_all(text: &str) -> (Vec<Entry>, ParseReport) {
        let mut report = ParseReport::default();
        let mut got = Vec::new();
        parse(&mut text.as_bytes(), &mut report, &mut |e| got.push(e)).unwrap();
        (got, report)
    }

    #[test]
    fn every_hasher_shape_reads() {
        let text = format!(
            "hash,quality,filename\n{H}\n{H},100,a/b.jpg\n{H}\tx.png\n\
             hash={H},norm=128,delta=0,quality=77,filename=c.jpg\n# note\n\n{H},7\n{H},,9,x\n"
        );
        let (got, report) = parse_all(&text);
        assert_eq!(report.rejected, 0, "{:?}", report.first_rejects);
        let q: Vec<_> = got.iter().map(|e| e.pdq.unwrap().quality).collect();
        assert_eq!(q, [None, Some(100), None, Some(77), Some(7), None]);
        let n: Vec<_> = got.iter().map(|e| e.name.as_deref()).collect();
        assert_eq!(
            n,
            [
                None,
                Some("a/b.jpg"),
                Some("x.png"),
                Some("c.jpg"),
                None,
                Some("9,x")
            ]
        );
        assert_eq!(hex::encode(got[0].pdq.unwrap().hash), H);
        assert!(got.iter().all(|e| e.digests == Default::default()));
        assert_eq!(got[3].extra[0], ("norm".into(), "128".into()));
    }

    #[test]
    fn bad_lines_are_counted_with_reasons() {
        let text = format!("{H}00\nzz\n{H},101\nhash={H},quality=x\n{H}\n");
        let (got, report) = parse_all(&text);
        assert_eq!(got.len(), 1);
        assert_eq!(report.rejected, 4);
        assert!(report.first_rejects[0].reason.contains("not a PDQ hash"));
        assert_eq!(report.first_rejects[0].line, 1);
        assert!(
            report.first_rejects[2]
                .reason
                .contains("not a whole number 0-100")
        );
        // Signs, and numbers past any quality, are bad qualities, not names.
        for q in ["+5", "-0", "99999999999999999999", "101"] {
            let (got, report) = parse_all(&format!("{H},{q},name\n"));
            assert!(got.is_empty() && report.rejected == 1, "{q}");
        }
        let (got, _) = parse_all(&format!("hash={H},filename\n{H},,\n{H},050,n\n"));
        assert_eq!(got[0].name, None);
        assert_eq!(got[1].name, None);
        assert_eq!(got[2].pdq.unwrap().quality, Some(50));
    }
}
