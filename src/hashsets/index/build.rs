//! Writing a compiled set: [`IndexBuilder`] collects entries, sorts each
//! algorithm's digests and writes header, prefix tables, records and entry
//! table in one pass, through a temporary file renamed into place.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use rayon::prelude::*;

use super::Provenance;
use super::layout::{FIXED, MAGIC, NONE_I64, NONE_U64, VERSION, bucket_of, prefix_bits};
use crate::hashing::Algorithm;
use crate::hashsets::Entry;

/// Collects entries and writes a compiled set.
#[derive(Default)]
pub struct IndexBuilder {
    md5: Vec<([u8; 16], u32)>,
    sha1: Vec<([u8; 20], u32)>,
    sha256: Vec<([u8; 32], u32)>,
    blake3: Vec<([u8; 32], u32)>,
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

    /// Digests per algorithm.
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
        m
    }

    /// Sorts and writes the set to `path` (through a temporary file renamed
    /// into place, so a crash never leaves a half-written index).
    pub fn write(mut self, path: &Path, provenance: &Provenance) -> io::Result<()> {
        self.md5.par_sort_unstable();
        self.sha1.par_sort_unstable();
        self.sha256.par_sort_unstable();
        self.blake3.par_sort_unstable();
        let prov = serde_json::to_vec(provenance).map_err(io::Error::other)?;
        let header_len = (FIXED + prov.len()).div_ceil(8) * 8;
        let body_start = header_len + 32;
        let counts = [
            self.md5.len(),
            self.sha1.len(),
            self.sha256.len(),
            self.blake3.len(),
        ];
        let mut offsets = [(0u64, 0u64); 4];
        let mut at = body_start as u64;
        for (i, a) in Algorithm::ALL.iter().enumerate() {
            if counts[i] == 0 {
                continue;
            }
            let prefix_off = at;
            let records_off = prefix_off + (((1usize << prefix_bits(counts[i])) + 1) * 4) as u64;
            offsets[i] = (prefix_off, records_off);
            at = records_off + (counts[i] * (a.digest_len() - 2 + 4)) as u64;
        }
        let (entries_off, strings_off) = if self.rich {
            let e = at;
            let s = e + self.table.len() as u64;
            at = s + self.strings.len() as u64;
            (e, s)
        } else {
            (0, 0)
        };
        let file_len = at;

        let mut h = vec![0u8; header_len];
        h[..8].copy_from_slice(MAGIC);
        h[8..12].copy_from_slice(&VERSION.to_le_bytes());
        h[12..16].copy_from_slice(&(header_len as u32).to_le_bytes());
        h[16..24].copy_from_slice(&file_len.to_le_bytes());
        h[24..32].copy_from_slice(&u64::from(self.entries).to_le_bytes());
        for i in 0..4 {
            let b = 32 + i * 24;
            h[b..b + 8].copy_from_slice(&(counts[i] as u64).to_le_bytes());
            h[b + 8..b + 16].copy_from_slice(&offsets[i].0.to_le_bytes());
            h[b + 16..b + 24].copy_from_slice(&offsets[i].1.to_le_bytes());
        }
        h[128..136].copy_from_slice(&entries_off.to_le_bytes());
        h[136..144].copy_from_slice(&strings_off.to_le_bytes());
        h[144..152].copy_from_slice(&(self.strings.len() as u64).to_le_bytes());
        h[152..156].copy_from_slice(&(prov.len() as u32).to_le_bytes());
        for i in 0..4 {
            h[156 + i] = prefix_bits(counts[i]) as u8;
        }
        h[FIXED..FIXED + prov.len()].copy_from_slice(&prov);
        let sum = blake3::hash(&h);

        let tmp = path.with_extension("fhs.tmp");
        let mut w = BufWriter::with_capacity(1 << 20, File::create(&tmp)?);
        w.write_all(&h)?;
        w.write_all(sum.as_bytes())?;
        write_records(&mut w, &self.md5)?;
        write_records(&mut w, &self.sha1)?;
        write_records(&mut w, &self.sha256)?;
        write_records(&mut w, &self.blake3)?;
        if self.rich {
            w.write_all(&self.table)?;
            w.write_all(&self.strings)?;
        }
        let f = w.into_inner().map_err(|e| e.into_error())?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)
    }
}

fn write_records<const N: usize>(w: &mut impl Write, recs: &[([u8; N], u32)]) -> io::Result<()> {
    if recs.is_empty() {
        return Ok(());
    }
    let bits = prefix_bits(recs.len());
    let buckets = 1usize << bits;
    let mut prefix = vec![0u32; buckets + 1];
    for (d, _) in recs {
        prefix[bucket_of(d, bits) + 1] += 1;
    }
    for i in 1..=buckets {
        prefix[i] += prefix[i - 1];
    }
    for p in &prefix {
        w.write_all(&p.to_le_bytes())?;
    }
    for (d, id) in recs {
        w.write_all(&d[2..])?;
        w.write_all(&id.to_le_bytes())?;
    }
    Ok(())
}
