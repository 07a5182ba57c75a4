//! Well-formed generated input round-trips: the digests written are the
//! digests parsed, names (and sizes, ids) included where the format has
//! them; and the sniffer names the format each sample was written in.

use std::io::Write as _;

use proptest::prelude::*;

use super::{FORMATS, run};
use crate::hashing::Algorithm;
use crate::hashsets::detect::sniff_bytes;
use crate::hashsets::{Entry, Format};

/// One generated hash-set record.
#[derive(Debug, Clone)]
pub struct Rec {
    md5: [u8; 16],
    sha1: [u8; 20],
    sha256: [u8; 32],
    name: String,
    dir: String,
    size: u64,
    id: i64,
}

/// Names: letters and digits of any script, punctuation, inner spaces
/// (U+3000 and U+00A0 too), never blank or padded at either end.
fn name() -> impl Strategy<Value = String> {
    "[\\p{L}\\p{N}_.()'#-]([\\p{L}\\p{N} \u{3000}\u{a0}_.,;|()'\"#%-]{0,20}[\\p{L}\\p{N}_.()'-])?"
}

fn rec() -> impl Strategy<Value = Rec> {
    (
        any::<[u8; 16]>(),
        any::<[u8; 20]>(),
        any::<[u8; 32]>(),
        name(),
        "[a-zA-Z0-9_]{1,8}(/[a-zA-Z0-9_ ]{0,8}[a-zA-Z0-9_])?",
        any::<u64>(),
        0i64..1_000_000,
    )
        .prop_map(|(md5, sha1, sha256, name, dir, size, id)| Rec {
            md5,
            sha1,
            sha256,
            name,
            dir,
            size,
            id,
        })
}

fn recs() -> impl Strategy<Value = Vec<Rec>> {
    prop::collection::vec(rec(), 1..6)
}

/// Quotes a CSV field (RFC 4180).
fn q(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// The GNU escape of a name (`\\`, `\n`, `\r`).
fn gnu_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('\n', "\\n")
        .replace('\r', "\\r")
}

/// Which of three digests a one-digest line carries.
fn algo(r: &Rec) -> Algorithm {
    [Algorithm::Md5, Algorithm::Sha1, Algorithm::Sha256][(r.id % 3) as usize]
}

fn digest(r: &Rec, a: Algorithm) -> &[u8] {
    match a {
        Algorithm::Md5 => &r.md5,
        Algorithm::Sha1 => &r.sha1,
        _ => &r.sha256,
    }
}

/// `recs` written in `format`; `named` = false writes bare digests where
/// the format allows it.
pub fn write(format: Format, recs: &[Rec], named: bool) -> Vec<u8> {
    let mut out = String::new();
    match format {
        Format::Plain => {
            out.push_str("# generated\n");
            for r in recs {
                out.push_str(&hex::encode(digest(r, algo(r))));
                if named {
                    out.push_str([" ", "\t", ",", "\u{3000}", "\u{a0}"][(r.size % 5) as usize]);
                    out.push_str(&r.name);
                }
                out.push('\n');
            }
        }
        Format::Sums => {
            for r in recs {
                let a = algo(r);
                let hex = hex::encode_upper(digest(r, a));
                // Names with a backslash or line end get GNU's escaped form.
                let name = format!("{}{}", r.name, ["", "\\x", "\nline"][(r.size % 3) as usize]);
                let esc = if name.contains(['\\', '\n']) {
                    "\\"
                } else {
                    ""
                };
                let name = gnu_escape(&name);
                match r.id % 3 {
                    0 => out.push_str(&format!("{esc}{hex}  {name}\n")),
                    1 => out.push_str(&format!("{esc}{hex} *{name}\r\n")),
                    _ => {
                        let tag = match a {
                            Algorithm::Md5 => "MD5",
                            Algorithm::Sha1 => "SHA1",
                            _ => "SHA256",
                        };
                        out.push_str(&format!("{esc}{tag} ({name}) = {hex}\n"));
                    }
                }
            }
        }
        Format::Hashdeep => {
            out.push_str("%%%% HASHDEEP-1.0\n%%%% size,md5,sha256,filename\n## generated\n");
            for r in recs {
                out.push_str(&format!(
                    "{},{},{},{}/{}\n",
                    r.size,
                    hex::encode(r.md5),
                    hex::encode(r.sha256),
                    r.dir,
                    r.name
                ));
            }
        }
        Format::NsrlLegacy | Format::NsrlZip => {
            out.push_str(
                "\"SHA-1\",\"MD5\",\"CRC32\",\"FileName\",\"FileSize\",\"ProductCode\",\"OpSystemCode\",\"SpecialCode\"\r\n",
            );
            for r in recs {
                out.push_str(&format!(
                    "{},{},\"0\",{},{},{},\"WIN\",\"\"\r\n",
                    q(&hex::encode_upper(r.sha1)),
                    q(&hex::encode_upper(r.md5)),
                    q(&r.name),
                    r.size,
                    r.id
                ));
            }
            if format == Format::NsrlZip {
                let mut prod = String::from(
                    "\"ProductCode\",\"ProductName\",\"ProductVersion\",\"OpSystemCode\"\n",
                );
                for r in recs {
                    prod.push_str(&format!("{},{},\"1.0\",\"WIN\"\n", r.id, q(&r.dir)));
                }
                let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
                let opts = zip::write::SimpleFileOptions::default();
                zip.start_file("NSRLProd.txt", opts).unwrap();
                zip.write_all(prod.as_bytes()).unwrap();
                zip.start_file("RDS/NSRLFile.txt", opts).unwrap();
                zip.write_all(out.as_bytes()).unwrap();
                return zip.finish().unwrap().into_inner();
            }
        }
        Format::Csv => {
            let d = [",", ";", "|", "\t"][(recs[0].size % 4) as usize];
            out.push_str(&["md5", "sha256", "file name", "size"].join(d));
            out.push('\n');
            for r in recs {
                let row = [
                    hex::encode(r.md5),
                    hex::encode_upper(r.sha256),
                    q(&r.name),
                    r.size.to_string(),
                ];
                out.push_str(&row.join(d));
                out.push_str(if r.id % 2 == 0 { "\n" } else { "\r\n" });
            }
        }
        Format::Vics => {
            let media: Vec<serde_json::Value> = recs
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "MediaID": r.id, "Category": r.id % 5,
                        "MD5": hex::encode_upper(r.md5), "SHA1": hex::encode_upper(r.sha1),
                        "MediaSize": r.size.to_string(), "Exifs": {"a": [1, {"b": r.name}]},
                        "MediaFiles": [{"FileName": r.name, "FilePath": r.dir}, {"FileName": "other"}],
                    })
                })
                .collect();
            let doc = if recs[0].size.is_multiple_of(2) {
                serde_json::json!({
                    "@odata.context": "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Media",
                    "value": media,
                })
            } else {
                let (a, b) = media.split_at(media.len() / 2);
                serde_json::json!({
                    "odata.metadata": "http://github.com/ICMEC/ProjectVic/DataModels/1.3.xml#Cases",
                    "value": [{"CaseID": "c1", "Media": a}, {"Media": b, "CaseNumber": "2"}],
                })
            };
            out = doc.to_string();
        }
        Format::Encase => {
            let mut bin = vec![0u8; 1152];
            bin[..8].copy_from_slice(crate::hashsets::formats::encase::MAGIC);
            let set: Vec<u16> = recs[0].dir.encode_utf16().take(39).collect();
            for (i, u) in set.iter().enumerate() {
                bin[1032 + 2 * i..1034 + 2 * i].copy_from_slice(&u.to_le_bytes());
            }
            for r in recs {
                bin.extend_from_slice(&r.md5);
                bin.extend_from_slice(&[0, 0]);
            }
            return bin;
        }
        Format::HashKeeper => {
            out.push_str("\"file_id\",\"hashset_id\",\"file_name\",\"directory\",\"hash\",\"file_size\",\"date_modified\",\"time_modified\",\"time_zone\",\"comments\",\"date_accessed\",\"time_accessed\"\n");
            for r in recs {
                out.push_str(&format!(
                    "{},671,{},{},\"{}\",{},,,,,,\n",
                    r.id,
                    q(&r.name),
                    q(&r.dir.replace('/', "\\")),
                    hex::encode_upper(r.md5),
                    r.size
                ));
            }
        }
        Format::Pdq => {
            // pdq-photo-hasher's `hash,quality,name` and bare hashes.
            out.push_str("hash,quality,filename\n");
            for r in recs {
                out.push_str(&hex::encode(r.sha256));
                if named {
                    out.push_str(&format!(",{},{}", r.size % 101, r.name));
                }
                out.push('\n');
            }
        }
        Format::NsrlV3 => {}
    }
    out.into_bytes()
}

/// A valid sample of any in-memory format.
pub fn sample() -> impl Strategy<Value = (Format, Vec<u8>)> {
    (prop::sample::select(&FORMATS[..]), recs(), any::<bool>())
        .prop_map(|(f, recs, named)| (f, write(f, &recs, named)))
}

/// Checks what `format` must give back of `r` in `e`.
fn expect(format: Format, r: &Rec, e: &Entry, named: bool) -> Result<(), String> {
    let d = &e.digests;
    let want_name: Option<String> = match format {
        Format::Plain => named.then(|| r.name.clone()),
        Format::Sums => Some(format!(
            "{}{}",
            r.name,
            ["", "\\x", "\nline"][(r.size % 3) as usize]
        )),
        Format::Hashdeep => Some(format!("{}/{}", r.dir, r.name)),
        Format::NsrlLegacy | Format::NsrlZip | Format::Csv => Some(r.name.clone()),
        Format::Vics => Some(format!("{}/{}", r.dir, r.name.trim())),
        Format::HashKeeper => Some(format!("{}\\{}", r.dir.replace('/', "\\"), r.name)),
        Format::Pdq => named.then(|| r.name.clone()),
        Format::Encase | Format::NsrlV3 => None,
    };
    if e.name != want_name {
        return Err(format!("name {:?}, wrote {want_name:?}", e.name));
    }
    let ok = match format {
        Format::Plain | Format::Sums => {
            let a = algo(r);
            let want = digest(r, a);
            d.get(a) == Some(want)
                && (a != Algorithm::Sha256
                    || format == Format::Sums
                    || d.get(Algorithm::Blake3) == Some(want))
        }
        Format::Hashdeep | Format::Csv => {
            d.md5 == Some(r.md5) && d.sha256 == Some(r.sha256) && e.size == Some(r.size)
        }
        Format::NsrlLegacy | Format::NsrlZip => {
            d.md5 == Some(r.md5)
                && d.sha1 == Some(r.sha1)
                && e.size == Some(r.size)
                && e.media_id == Some(r.id)
                && (format == Format::NsrlLegacy
                    || e.extra
                        .contains(&("product".into(), format!("{} 1.0", r.dir))))
        }
        Format::Vics => {
            d.md5 == Some(r.md5)
                && d.sha1 == Some(r.sha1)
                && e.media_id == Some(r.id)
                && e.category == Some(r.id % 5)
                && e.size == Some(r.size)
        }
        Format::Encase => d.md5 == Some(r.md5),
        Format::HashKeeper => {
            d.md5 == Some(r.md5) && e.media_id == Some(r.id) && e.size == Some(r.size)
        }
        Format::Pdq => {
            // A PDQ list gives PDQ hashes only, never a digest.
            e.digests == Default::default()
                && e.pdq
                    == Some(crate::hashsets::PdqEntry {
                        hash: r.sha256,
                        quality: named.then_some((r.size % 101) as u8),
                    })
        }
        Format::NsrlV3 => true,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("{e:?} from {r:?}"))
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_format_round_trips(
        format in prop::sample::select(&FORMATS[..]),
        recs in recs(),
        named in any::<bool>(),
    ) {
        let data = write(format, &recs, named);
        let r = run(format, &data);
        prop_assert!(r.result.is_ok(), "{format}: {:?}", r.result);
        prop_assert_eq!(r.report.rejected, 0, "{}: {:?}", format, r.report.first_rejects);
        prop_assert_eq!(r.entries.len(), recs.len(), "{}", format);
        for (rec, e) in recs.iter().zip(&r.entries) {
            expect(format, rec, e, named).map_err(|m| TestCaseError::fail(format!("{format}: {m}")))?;
        }
        if format == Format::Encase {
            let set: String = recs[0].dir.chars().take(39).collect();
            prop_assert_eq!(r.report.embedded_name.as_deref(), Some(set.trim()));
        }
    }

    #[test]
    fn the_sniffer_names_each_written_format(
        format in prop::sample::select(&FORMATS[..]),
        recs in recs(),
    ) {
        // A plain list with names is a valid sums file too (same entries).
        let data = write(format, &recs, false);
        // A PDQ list is never sniffed: its 64-hex lines are only PDQ when
        // the examiner says so, and sniff as something else.
        if format == Format::Pdq {
            prop_assert_ne!(sniff_bytes(&data), Some(format));
        } else {
            prop_assert_eq!(sniff_bytes(&data), Some(format));
        }
    }
}
