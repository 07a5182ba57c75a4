//! Writing a compiled set: [`IndexBuilder`] collects entries, sorts each
//! algorithm's digests and writes header, prefix tables, records and entry
//! table in one pass, through a temporary file renamed into place
//! (`hashsets::replace`), computing the file checksum as it goes.

use std::collections::BTreeMap;
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::Path;

use rayon::prelude::*;

use super::Provenance;
use super::layout::{
    FIXED, Header, NONE_I64, NONE_U32, NONE_U64, PDQ_COUNT, SUM_LEN, VERSION, bucket_of,
    prefix_bits, regions,
};
use crate::hashing::Algorithm;
use crate::hashsets::Entry;
use crate::hashsets::replace::replace_file;
use crate::perceptual::index::PdqIndex;

/// Collects entries and writes a compiled set.
#[derive(Default)]
pub struct IndexBuilder {
    md5: Vec<([u8; 16], u32)>,
    sha1: Vec<([u8; 20], u32)>,
    sha256: Vec<([u8; 32], u32)>,
    blake3: Vec<([u8; 32], u32)>,
    /// PDQ hashes (in entry order), with their entry ids and qualities.
    pdq: Vec<[u8; 32]>,
    pdq_rows: Vec<(u32, u32)>,
    table: Vec<u8>,
    strings: Vec<u8>,
    entries: u32,
    rich: bool,
}

impl IndexBuilder {
    /// Adds one entry. Fails past `u32::MAX` entries.
    pub fn add(&mut self, e: &Entry) -> Result<(), String> {
        let id = self.entries;
        self.entries = id.checked_add(1).ok_or("more than 4,294,967,295 entries")?;
        let d = &e.digests;
        if let Some(x) = d.md5 {
            self.md5.push((x, id));
        }
        if let Some(x) = d.sha1 {
            self.sha1.push((x, id));
        }
        if let Some(x) = d.sha256 {
            self.sha256.push((x, id));
        }
        if let Some(x) = d.blake3 {
            self.blake3.push((x, id));
        }
        if let Some(p) = &e.pdq {
            self.pdq.push(p.hash);
            self.pdq_rows
                .push((id, p.quality.map_or(NONE_U32, u32::from)));
        }
        let bare = e.size.is_none()
            && e.name.is_none()
            && e.category.is_none()
            && e.media_id.is_none()
            && e.extra.is_empty();
        self.rich |= !bare;
        let mut put = |s: &[u8]| {
            let off = self.strings.len() as u64;
            self.strings.extend_from_slice(s);
            (off, s.len() as u32)
        };
        let (name_off, name_len) = match &e.name {
            Some(n) => put(n.as_bytes()),
            None => (0, u32::MAX),
        };
        let extra: Vec<u8> = e
            .extra
            .iter()
            .flat_map(|(k, v)| [k.as_bytes(), b"\x1f", v.as_bytes(), b"\x1e"].concat())
            .collect();
        let (extra_off, extra_len) = put(&extra);
        let t = &mut self.table;
        t.extend_from_slice(&e.category.unwrap_or(NONE_I64).to_le_bytes());
        t.extend_from_slice(&e.media_id.unwrap_or(NONE_I64).to_le_bytes());
        t.extend_from_slice(&e.size.unwrap_or(NONE_U64).to_le_bytes());
        t.extend_from_slice(&name_off.to_le_bytes());
        t.extend_from_slice(&name_len.to_le_bytes());
        t.extend_from_slice(&extra_off.to_le_bytes());
        t.extend_from_slice(&extra_len.to_le_bytes());
        Ok(())
    }

    /// Entries added so far.
    pub fn len(&self) -> u64 {
        u64::from(self.entries)
    }

    /// True when nothing was added.
    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }

    /// True when some entry has a PDQ hash.
    pub fn has_pdq(&self) -> bool {
        !self.pdq.is_empty()
    }

    /// Digests per algorithm (and `pdq`, the PDQ hashes).
    pub fn counts(&self) -> BTreeMap<String, u64> {
        let mut m = BTreeMap::new();
        for (a, n) in [
            (Algorithm::Md5, self.md5.len()),
            (Algorithm::Sha1, self.sha1.len()),
            (Algorithm::Sha256, self.sha256.len()),
            (Algorithm::Blake3, self.blake3.len()),
        ] {
            if n > 0 {
                m.insert(a.name().to_string(), n as u64);
            }
        }
        if !self.pdq.is_empty() {
            m.insert(PDQ_COUNT.to_string(), self.pdq.len() as u64);
        }
        m
    }

    /// Sorts and writes the set to `path`, replacing any set there
    /// atomically (a temporary file renamed into place: a crash never
    /// leaves a half-written index, and a scan that has the old one mapped
    /// keeps reading it).
    pub fn write(mut self, path: &Path, provenance: &Provenance) -> io::Result<()> {
        self.md5.par_sort_unstable();
        self.sha1.par_sort_unstable();
        self.sha256.par_sort_unstable();
        self.blake3.par_sort_unstable();
        let prov = serde_json::to_vec(provenance).map_err(io::Error::other)?;
        let header_len = (FIXED + prov.len()).div_ceil(8) * 8;
        let too_big = || io::Error::other("hash set too big for the index format");
        let counts = [
            self.md5.len() as u64,
            self.sha1.len() as u64,
            self.sha256.len() as u64,
            self.blake3.len() as u64,
        ];
        let bits = counts.map(|n| prefix_bits(n as usize) as u8);
        let entry_table = self
            .rich
            .then_some((u64::from(self.entries), self.strings.len() as u64));
        // The PDQ index is shaped for the set's own threshold.
        let pdq_index = if self.pdq.is_empty() {
            Vec::new()
        } else {
            let threshold = provenance.pdq.unwrap_or_default().threshold;
            PdqIndex::build_for_threshold(&self.pdq, threshold).map_err(io::Error::other)?
        };
        let pdq = (!self.pdq.is_empty()).then_some((self.pdq.len() as u64, pdq_index.len() as u64));
        let at = regions(header_len as u64, counts, bits, entry_table, pdq).ok_or_else(too_big)?;
        let mut header = Header {
            version: VERSION,
            header_len: u32::try_from(header_len).map_err(|_| too_big())?,
            file_len: at.file_len,
            entries: u64::from(self.entries),
            tables: [0, 1, 2, 3].map(|i| {
                let (p, r) = at.tables.get(i).copied().unwrap_or_default();
                (counts.get(i).copied().unwrap_or_default(), p, r)
            }),
            entries_off: at.entries_off,
            strings_off: at.strings_off,
            strings_len: if self.rich {
                self.strings.len() as u64
            } else {
                0
            },
            provenance_len: u32::try_from(prov.len()).map_err(|_| too_big())?,
            bits,
            file_sum: [0; SUM_LEN],
            pdq: pdq.map_or((0, 0, 0), |(n, len)| (n, at.pdq_off, len)),
        };

        replace_file(path, |file| {
            // The body first, behind a placeholder header, hashed as it is
            // written; then the header with the file checksum, over the
            // placeholder (the checksum's definition is `layout::file_sum`).
            let placeholder = header.encode(&prov);
            let sum = {
                let mut sum = blake3::Hasher::new();
                sum.update(&placeholder);
                sum.update(&[0; SUM_LEN]);
                let mut w = BufWriter::with_capacity(1 << 20, &mut *file);
                w.write_all(&placeholder)?;
                w.write_all(&[0; SUM_LEN])?;
                let mut body = Summing { w: &mut w, sum };
                write_records(&mut body, &self.md5)?;
                write_records(&mut body, &self.sha1)?;
                write_records(&mut body, &self.sha256)?;
                write_records(&mut body, &self.blake3)?;
                let mut end = regions(header_len as u64, counts, bits, entry_table, None)
                    .ok_or_else(too_big)?
                    .file_len;
                if self.rich {
                    body.write_all(&self.table)?;
                    body.write_all(&self.strings)?;
                }
                if pdq.is_some() {
                    while end < at.pdq_off {
                        body.write_all(&[0])?;
                        end += 1;
                    }
                    body.write_all(&pdq_index)?;
                    for (id, quality) in &self.pdq_rows {
                        body.write_all(&id.to_le_bytes())?;
                        body.write_all(&quality.to_le_bytes())?;
                    }
                }
                let sum = body.sum;
                w.flush()?;
                sum
            };
            header.file_sum = *sum.finalize().as_bytes();
            let h = header.encode(&prov);
            file.seek(SeekFrom::Start(0))?;
            file.write_all(&h)?;
            file.write_all(blake3::hash(&h).as_bytes())
        })
    }
}

/// A writer that hashes what passes through it.
struct Summing<W> {
    w: W,
    sum: blake3::Hasher,
}

impl<W: Write> Write for Summing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.w.write(buf)?;
        self.sum.update(buf.get(..n).unwrap_or(buf));
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.w.flush()
    }
}

fn write_records<const N: usize>(w: &mut impl Write, recs: &[([u8; N], u32)]) -> io::Result<()> {
    if recs.is_empty() {
        return Ok(());
    }
    let bits = prefix_bits(recs.len());
    let mut prefix = vec![0u32; (1usize << bits) + 1];
    for (d, _) in recs {
        // Digests are at least 16 bytes, so `bucket_of` always answers and
        // the bucket (below 2^bits) has its slot; no case is skipped.
        if let Some(n) = bucket_of(d, bits).and_then(|b| prefix.get_mut(b + 1)) {
            *n += 1;
        }
    }
    let mut total = 0u32;
    for p in &mut prefix {
        total += *p;
        *p = total;
        w.write_all(&p.to_le_bytes())?;
    }
    for (d, id) in recs {
        w.write_all(d.get(2..).unwrap_or_default())?;
        w.write_all(&id.to_le_bytes())?;
    }
    Ok(())
}
