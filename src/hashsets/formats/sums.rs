//! `md5sum`/`sha1sum`/`sha256sum`/`b3sum` output and relatives:
//! GNU `HEX  NAME` / `HEX *NAME` (binary mode), lines starting with `\` whose
//! names carry `\\`, `\n`, `\r` escapes, BSD `--tag` lines
//! (`SHA256 (NAME) = HEX`), md5deep `-z` lines (`SIZE  HEX  NAME`), and bare
//! digests.

use std::io::BufRead;

use super::{LineResult, parse_lines};
use crate::hashing::Algorithm;
use crate::hashsets::{Entry, HashSetError, Hex64, ParseReport, entry_from_hex};

fn unescape(name: &str) -> Result<String, String> {
    let mut out = String::with_capacity(name.len());
    let mut it = name.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            other => return Err(format!("bad escape '\\{}' in name", other.unwrap_or(' '))),
        }
    }
    Ok(out)
}

fn tag_algorithm(tag: &str) -> Option<Algorithm> {
    match tag.to_ascii_uppercase().as_str() {
        "MD5" => Some(Algorithm::Md5),
        "SHA1" | "SHA-1" => Some(Algorithm::Sha1),
        "SHA256" | "SHA-256" | "SHA2-256" => Some(Algorithm::Sha256),
        "BLAKE3" | "B3" => Some(Algorithm::Blake3),
        _ => None,
    }
}

/// `TAG (NAME) = HEX`
fn tagged(line: &str) -> Option<Result<Entry, String>> {
    let (tag, rest) = line.split_once(" (")?;
    let (name, hex) = rest.rsplit_once(") = ")?;
    let algo = match tag_algorithm(tag) {
        Some(a) => a,
        None => {
            return Some(Err(format!(
                "unsupported digest '{}'",
                crate::hashsets::message::value(tag)
            )));
        }
    };
    let hex = hex.trim();
    if hex.len() != algo.digest_len() * 2 {
        return Some(Err(format!(
            "{tag} digest must be {} hex characters",
            algo.digest_len() * 2
        )));
    }
    Some(match hex::decode(hex) {
        Ok(b) => {
            let mut e = Entry::with_digest(algo, &b);
            e.name = Some(name.to_string());
            Ok(e)
        }
        Err(_) => Err(format!("bad hex in '{hex}'")),
    })
}

/// Parses one line (already trimmed of the line end); `Ok(None)` = skip.
pub(crate) fn parse_line(text: &str, hex64: Hex64) -> Result<Option<Entry>, String> {
    let t = text.trim_end();
    if t.trim().is_empty() || t.trim_start().starts_with('#') {
        return Ok(None);
    }
    let (escaped, t) = match t.strip_prefix('\\') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    if let Some(r) = tagged(t) {
        let mut e = r?;
        if escaped {
            e.name = e.name.map(|n| unescape(&n)).transpose()?;
        }
        return Ok(Some(e));
    }
    let t = t.trim_start();
    // `find` returns a char boundary; split_at_checked keeps that a fact
    // the compiler sees rather than a promise.
    let first_len = t.find(char::is_whitespace).unwrap_or(t.len());
    let (first, rest) = t.split_at_checked(first_len).unwrap_or((t, ""));
    // md5deep -z: SIZE  HEX  NAME
    if first.bytes().all(|b| b.is_ascii_digit()) && !first.is_empty() && first.len() < 20 {
        let rest = rest.trim_start();
        let (hex, name) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        let mut e = entry_from_hex(hex, hex64)?;
        e.size = first.parse().ok();
        let name = name.trim_start();
        if !name.is_empty() {
            e.name = Some(name.to_string());
        }
        return Ok(Some(e));
    }
    let mut e = entry_from_hex(first, hex64)?;
    // GNU: one space, then ' ' (text) or '*' (binary), then the name verbatim.
    let name = rest
        .strip_prefix(' ')
        .map(|r| r.strip_prefix(['*', ' ']).unwrap_or(r))
        .unwrap_or(rest);
    if !name.is_empty() {
        e.name = Some(if escaped {
            unescape(name)?
        } else {
            name.to_string()
        });
    }
    Ok(Some(e))
}

/// Parses a checksum file.
pub fn parse(
    reader: &mut dyn BufRead,
    hex64: Hex64,
    report: &mut ParseReport,
    sink: &mut dyn FnMut(Entry),
) -> Result<(), HashSetError> {
    parse_lines(
        reader,
        report,
        sink,
        &mut |line| match parse_line(line, hex64) {
            Ok(Some(e)) => LineResult::Entry(e),
            Ok(None) => LineResult::Skip,
            Err(why) => LineResult::Reject(why),
        },
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn one(line: &str) -> Entry {
        parse_line(line, Hex64::Either).unwrap().unwrap()
    }

    #[test]
    fn all_line_forms() {
        let e = one("d41d8cd98f00b204e9800998ecf8427e  empty.txt");
        assert_eq!(e.name.as_deref(), Some("empty.txt"));
        assert!(e.digests.md5.is_some());
        assert_eq!(
            one("d41d8cd98f00b204e9800998ecf8427e *bin.dat")
                .name
                .as_deref(),
            Some("bin.dat")
        );
        assert_eq!(
            one("\\d41d8cd98f00b204e9800998ecf8427e  a\\\\b\\nc")
                .name
                .as_deref(),
            Some("a\\b\nc")
        );
        let e = one(
            "SHA256 (x (1).txt) = e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        );
        assert_eq!(e.name.as_deref(), Some("x (1).txt"));
        assert!(e.digests.sha256.is_some() && e.digests.blake3.is_none());
        let e = one("af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262  x");
        assert!(
            e.digests.sha256.is_some() && e.digests.blake3.is_some(),
            "ambiguous 64-hex"
        );
        let e = one("    669416  92e792c43c35e96fed3f9566083326fc  /Users/jessek/a.out");
        assert_eq!(
            (e.size, e.name.as_deref()),
            (Some(669416), Some("/Users/jessek/a.out"))
        );
        assert!(parse_line("# comment", Hex64::Either).unwrap().is_none());
        assert!(parse_line("zz41d8cd98f00b204e9800998ecf8427e  x", Hex64::Either).is_err());
        assert!(parse_line("MD4 (x) = 31d6cfe0d16ae931b73c59d7e0c089c0", Hex64::Either).is_err());
    }
}
