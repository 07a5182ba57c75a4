//! Many files hashed at once: each open file is a lane of the multi-buffer
//! kernels (the `ferret-lanes` crate), read in turn, so one core computes MD5 (and,
//! without SHA-NI, SHA-1 and SHA-256) for sixteen files in the time a
//! single stream takes for a few. The digests the kernels do not take
//! (BLAKE3, and SHA-1/SHA-256 where SHA-NI is faster) are fed per lane from
//! the same buffer as it is read. Every file is still read once, in order,
//! and gives the same [`HashedStream`] as [`super::hash_stream`].

use std::io::{self, Read};

use super::{Algorithm, AlgorithmSet, DigestSet, HEADER_LEN, HashedStream, MultiHasher};
use ferret_lanes::{self as simd, Isa, Kernel, LANES};

/// Blocks read into a lane at a time: 64 KiB, so a read costs little next
/// to hashing it and sixteen lanes hold 1 MiB.
const CHUNK_BLOCKS: usize = 1024;

/// How digests are computed on this CPU: which run in SIMD lanes and with
/// which instructions. [`DigestPaths::detect`] chooses; tests and
/// benchmarks force the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DigestPaths {
    /// The kernels' instruction set; `None`: every digest single-stream.
    pub lanes: Option<Isa>,
    /// SHA-1 and SHA-256 single-stream (with SHA-NI where the CPU has it);
    /// false puts them in lanes too.
    pub sha_single: bool,
}

impl DigestPaths {
    /// The fastest paths this CPU has, unless `FERRET_DIGEST_PATHS` asks
    /// for others (comma-separated; for benchmarks and tests): `single` (no
    /// lanes), `sha-lanes` or `no-sha-ni` (SHA-1 and SHA-256 in lanes, as on
    /// a CPU without SHA-NI), `sha-single` (SHA-1 and SHA-256 one stream),
    /// `avx2` (the narrower kernels). Every path gives the same digests; a
    /// word it does not know, or a path this CPU lacks, changes nothing, and
    /// `ferret --version` says which paths are in use.
    pub fn detect() -> DigestPaths {
        static PATHS: std::sync::OnceLock<DigestPaths> = std::sync::OnceLock::new();
        *PATHS.get_or_init(|| {
            DigestPaths::asked(&std::env::var("FERRET_DIGEST_PATHS").unwrap_or_default())
        })
    }

    /// The paths `asked` names (as `FERRET_DIGEST_PATHS`), the fastest for
    /// what it does not.
    pub fn asked(asked: &str) -> DigestPaths {
        let (mut single, mut isa, mut sha_single) = (false, Isa::best(), None);
        for word in asked.split(',') {
            match word.trim() {
                "single" => single = true,
                "no-sha-ni" | "sha-lanes" => sha_single = Some(false),
                "sha-single" => sha_single = Some(true),
                "avx2" if Isa::Avx2.available() => isa = Some(Isa::Avx2),
                _ => {}
            }
        }
        let lanes = isa.filter(|_| !single);
        DigestPaths {
            lanes,
            sha_single: sha_single.unwrap_or(lanes != Some(Isa::Avx512) && sha_ni()),
        }
    }

    /// The fastest paths this CPU has (`examples/digest_paths.rs` measures
    /// them): sixteen lanes of AVX-512 beat SHA-NI's one stream for SHA-1
    /// and SHA-256 too (1.8x and 1.4x here); AVX2's lanes beat only the
    /// software single stream.
    pub fn fastest() -> DigestPaths {
        DigestPaths::asked("")
    }

    /// The digests of `algorithms` that run in lanes on these paths.
    pub fn in_lanes(self, algorithms: AlgorithmSet) -> AlgorithmSet {
        if self.lanes.is_none() {
            return AlgorithmSet::of(&[]);
        }
        let mut set = AlgorithmSet::of(&[Algorithm::Md5]);
        if !self.sha_single {
            set = set.with(Algorithm::Sha1).with(Algorithm::Sha256);
        }
        algorithms
            .iter()
            .filter(|&a| set.contains(a))
            .fold(AlgorithmSet::of(&[]), AlgorithmSet::with)
    }

    /// One line per digest for `--version`: how each is computed here.
    pub fn describe(self) -> Vec<String> {
        let md5 = if ferret_lanes::md5_fast() {
            "AVX-512VL"
        } else {
            "scalar"
        };
        let sha = if sha_ni() { "SHA-NI" } else { "scalar" };
        [
            ("MD5", Algorithm::Md5, md5),
            ("SHA-1", Algorithm::Sha1, sha),
            ("SHA-256", Algorithm::Sha256, sha),
        ]
        .into_iter()
        .map(|(name, a, one)| match self.lanes {
            Some(isa) if self.in_lanes(AlgorithmSet::ALL).contains(a) => format!(
                "{name}: {LANES} files at once ({}) on solid state; one stream ({one}) for \
                 files of 64 MiB and more, the last few, and spinning disks",
                isa.name()
            ),
            _ => format!("{name}: one stream ({one})"),
        })
        .chain(["BLAKE3: one stream (the blake3 crate's SIMD within each file)".to_string()])
        .collect()
    }
}

fn sha_ni() -> bool {
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    {
        std::arch::is_x86_feature_detected!("sha")
    }
    #[cfg(not(any(target_arch = "x86", target_arch = "x86_64")))]
    {
        false
    }
}

/// A file done: its tag and reader back, with what reading it gave.
pub struct Finished<T, R> {
    /// The caller's tag.
    pub tag: T,
    /// The reader, read to its end (or to the error).
    pub reader: R,
    /// The digests, length and header; or the read error.
    pub hashed: io::Result<HashedStream>,
}

/// Blocks of the arena each lane owns: its read buffer, then its padded
/// last blocks for MD5 (length little-endian) and for SHA (big-endian).
const REGION: usize = CHUNK_BLOCKS + 4;
const TAIL_LE: usize = CHUNK_BLOCKS;
const TAIL_BE: usize = CHUNK_BLOCKS + 2;

/// One file in flight. Its bytes live in its region of the engine's arena.
struct Lane<T, R> {
    tag: T,
    reader: R,
    /// Bytes in the region's read buffer.
    filled: usize,
    /// Whole blocks of the read buffer already compressed.
    done: usize,
    /// Bytes read.
    len: u64,
    /// Up to [`HEADER_LEN`] bytes from the start.
    header: Vec<u8>,
    /// The digests not in lanes, fed as the bytes are read.
    others: MultiHasher,
    /// Once the file is read: its padded last blocks.
    tail: Option<Tail>,
}

/// A read file's padded last blocks (in its region, after the buffer).
#[derive(Clone, Copy)]
struct Tail {
    /// 1 or 2.
    blocks: usize,
    /// Compressed so far.
    done: usize,
}

impl<T, R: Read> Lane<T, R> {
    /// Blocks ready for the kernels.
    fn ready(&self) -> usize {
        match self.tail {
            Some(t) => t.blocks - t.done,
            None => self.filled / 64 - self.done,
        }
    }

    /// Reads more into `region` when every whole block is compressed; at
    /// the end, writes the padded last blocks.
    fn refill(&mut self, region: &mut [[u8; 64]]) -> io::Result<()> {
        while self.tail.is_none() && self.ready() == 0 {
            let (buf, tails) = region.split_at_mut(CHUNK_BLOCKS.min(region.len()));
            let flat = buf.as_flattened_mut();
            // Keep the partial block, at the front.
            let start = self.done * 64;
            flat.copy_within(start..self.filled, 0);
            self.filled -= start;
            self.done = 0;
            let space = flat.len() - self.filled;
            let n = match self
                .reader
                .read(flat.get_mut(self.filled..).unwrap_or_default())
            {
                Ok(n) if n > space => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "the reader reported more bytes than it was given room for",
                    ));
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if n == 0 {
                let rest = flat.get(..self.filled).unwrap_or_default();
                self.tail = Some(Tail {
                    blocks: pad(rest, self.len, tails),
                    done: 0,
                });
                break;
            }
            let new = flat.get(self.filled..self.filled + n).unwrap_or_default();
            if self.header.len() < HEADER_LEN {
                let take = (HEADER_LEN - self.header.len()).min(new.len());
                self.header
                    .extend_from_slice(new.get(..take).unwrap_or_default());
            }
            self.others.update(new);
            self.len += n as u64;
            self.filled += n;
        }
        Ok(())
    }

    /// The arena block index of this lane's next block (`region` its
    /// first), for a kernel whose length field is `big`-endian.
    fn next_block(&self, region: usize, big: bool) -> usize {
        match self.tail {
            Some(t) => region + if big { TAIL_BE } else { TAIL_LE } + t.done,
            None => region + self.done,
        }
    }

    fn advance(&mut self, n: usize) {
        match &mut self.tail {
            Some(t) => t.done += n,
            None => self.done += n,
        }
    }

    fn finished(&self) -> bool {
        self.tail.is_some_and(|t| t.done == t.blocks)
    }
}

/// Writes the padded last blocks of a message of `len` bytes ending in
/// `rest` (under 64 bytes) into `tails` (MD5's two blocks, then SHA's);
/// returns how many blocks the padding takes (1 or 2).
fn pad(rest: &[u8], len: u64, tails: &mut [[u8; 64]]) -> usize {
    let blocks = if rest.len() < 56 { 1 } else { 2 };
    let mut le = [[0u8; 64]; 2];
    {
        let flat = le.as_flattened_mut();
        if let Some(dst) = flat.get_mut(..rest.len()) {
            dst.copy_from_slice(rest);
        }
        if let Some(b) = flat.get_mut(rest.len()) {
            *b = 0x80;
        }
    }
    let mut be = le;
    let bits = len.wrapping_mul(8);
    let end = blocks * 64;
    if let Some(f) = le.as_flattened_mut().get_mut(end - 8..end) {
        f.copy_from_slice(&bits.to_le_bytes());
    }
    if let Some(f) = be.as_flattened_mut().get_mut(end - 8..end) {
        f.copy_from_slice(&bits.to_be_bytes());
    }
    for (dst, src) in tails.iter_mut().zip(le.into_iter().chain(be)) {
        *dst = src;
    }
    blocks
}

/// Up to [`LANES`] files in flight, hashed together.
pub struct MultiBuffer<T, R> {
    isa: Isa,
    kernels: AlgorithmSet,
    others: AlgorithmSet,
    lanes: Vec<Option<Lane<T, R>>>,
    md5: simd::Md5State,
    sha1: simd::Sha1State,
    sha256: simd::Sha256State,
    /// Every lane's region, then zeros for idle lanes to point at.
    arena: Vec<[u8; 64]>,
}

impl<T, R: Read> MultiBuffer<T, R> {
    /// An engine for `algorithms` on `paths`; `None` when no selected digest
    /// runs in lanes there (then one stream a file is as fast).
    pub fn new(algorithms: AlgorithmSet, paths: DigestPaths) -> Option<Self> {
        let isa = paths.lanes.filter(|isa| isa.available())?;
        let kernels = paths.in_lanes(algorithms);
        if kernels.is_empty() {
            return None;
        }
        let others = algorithms
            .iter()
            .filter(|&a| !kernels.contains(a))
            .fold(AlgorithmSet::of(&[]), AlgorithmSet::with);
        Some(MultiBuffer {
            isa,
            kernels,
            others,
            lanes: (0..LANES).map(|_| None).collect(),
            md5: [[0; LANES]; 4],
            sha1: [[0; LANES]; 5],
            sha256: [[0; LANES]; 8],
            arena: vec![[0; 64]; REGION * (LANES + 1)],
        })
    }

    /// Lanes free for [`add`](Self::add).
    pub fn free(&self) -> usize {
        self.lanes.iter().filter(|l| l.is_none()).count()
    }

    /// True when no file is in flight.
    pub fn is_empty(&self) -> bool {
        self.free() == LANES
    }

    /// Starts a file in a free lane; gives it back when every lane is busy.
    pub fn add(&mut self, tag: T, reader: R) -> Result<(), (T, R)> {
        let Some(i) = self.lanes.iter().position(Option::is_none) else {
            return Err((tag, reader));
        };
        for (w, v) in self.md5.iter_mut().zip(simd::MD5_INIT) {
            set_lane(w, i, v);
        }
        for (w, v) in self.sha1.iter_mut().zip(simd::SHA1_INIT) {
            set_lane(w, i, v);
        }
        for (w, v) in self.sha256.iter_mut().zip(simd::SHA256_INIT) {
            set_lane(w, i, v);
        }
        if let Some(slot) = self.lanes.get_mut(i) {
            *slot = Some(Lane {
                tag,
                reader,
                filled: 0,
                done: 0,
                len: 0,
                header: Vec::new(),
                others: MultiHasher::new(self.others),
                tail: None,
            });
        }
        Ok(())
    }

    /// Reads and compresses until at least one file is done (or none is in
    /// flight); returns the files done.
    pub fn step(&mut self) -> Vec<Finished<T, R>> {
        let mut out = Vec::new();
        while out.is_empty() && !self.is_empty() {
            // Every lane gets blocks to compress, or fails.
            for (slot, region) in self.lanes.iter_mut().zip(self.arena.chunks_mut(REGION)) {
                if let Some(lane) = slot
                    && let Err(e) = lane.refill(region)
                    && let Some(lane) = slot.take()
                {
                    out.push(Finished {
                        tag: lane.tag,
                        reader: lane.reader,
                        hashed: Err(e),
                    });
                }
            }
            let n = self
                .lanes
                .iter()
                .flatten()
                .map(Lane::ready)
                .min()
                .unwrap_or(0);
            if n > 0 && !self.compress(n) {
                for slot in &mut self.lanes {
                    if let Some(lane) = slot.take() {
                        out.push(Finished {
                            tag: lane.tag,
                            reader: lane.reader,
                            hashed: Err(io::Error::other("digest kernel refused its blocks")),
                        });
                    }
                }
            }
            for i in 0..LANES {
                let Some(slot) = self.lanes.get_mut(i) else {
                    continue;
                };
                if !slot.as_ref().is_some_and(Lane::finished) {
                    continue;
                }
                let Some(lane) = slot.take() else { continue };
                let digests = self.lane_digests(i).merge(lane.others.finalize());
                out.push(Finished {
                    tag: lane.tag,
                    reader: lane.reader,
                    hashed: Ok(HashedStream {
                        digests,
                        len: lane.len,
                        header: lane.header,
                    }),
                });
            }
        }
        out
    }

    /// No more files will come: finishes those in flight, in lanes while
    /// more than a quarter of the lanes are busy, then each alone, one
    /// stream (a lane alone costs all sixteen lanes' work).
    pub fn drain(&mut self) -> Vec<Finished<T, R>> {
        let mut out = Vec::new();
        while LANES - self.free() > LANES / 4 {
            out.extend(self.step());
        }
        for i in 0..LANES {
            out.extend(self.finish_alone(i));
        }
        out
    }

    /// Finishes lane `i`'s file alone: its chaining values go on through
    /// one-stream compressions (SHA-NI where the CPU has it).
    fn finish_alone(&mut self, i: usize) -> Option<Finished<T, R>> {
        let mut md5 = self.md5.map(|w| w.get(i).copied().unwrap_or(0));
        let mut sha1 = self.sha1.map(|w| w.get(i).copied().unwrap_or(0));
        let mut sha256 = self.sha256.map(|w| w.get(i).copied().unwrap_or(0));
        // `i < LANES`: the lane and its region exist.
        let mut lane = self.lanes.get_mut(i)?.take()?;
        let region = self.arena.chunks_mut(REGION).nth(i)?;
        let on = |a| self.kernels.contains(a);
        let hashed = loop {
            if let Err(e) = lane.refill(region) {
                break Err(e);
            }
            let n = lane.ready();
            let le = lane.next_block(0, false);
            let be = lane.next_block(0, true);
            let blocks = |at: usize| region.get(at..at + n).unwrap_or_default();
            if on(Algorithm::Md5) {
                simd::md5_compress(&mut md5, blocks(le));
            }
            if on(Algorithm::Sha1) {
                sha1::block_api::compress(&mut sha1, blocks(be));
            }
            if on(Algorithm::Sha256) {
                sha2::block_api::compress256(&mut sha256, blocks(be));
            }
            lane.advance(n);
            if lane.finished() {
                let words = |s: &[u32], big: bool| -> Vec<u8> {
                    s.iter()
                        .flat_map(|w| {
                            if big {
                                w.to_be_bytes()
                            } else {
                                w.to_le_bytes()
                            }
                        })
                        .collect()
                };
                let digests = DigestSet {
                    md5: on(Algorithm::Md5).then(|| to_array(&words(&md5, false))),
                    sha1: on(Algorithm::Sha1).then(|| to_array(&words(&sha1, true))),
                    sha256: on(Algorithm::Sha256).then(|| to_array(&words(&sha256, true))),
                    blake3: None,
                };
                break Ok(HashedStream {
                    digests: digests.merge(lane.others.finalize()),
                    len: lane.len,
                    header: lane.header,
                });
            }
        };
        Some(Finished {
            tag: lane.tag,
            reader: lane.reader,
            hashed,
        })
    }

    /// Compresses `n` blocks of every lane with every kernel; false if a
    /// kernel refused (then the lanes' states are not to be trusted).
    fn compress(&mut self, n: usize) -> bool {
        for (kernel, algorithm, big) in [
            (Kernel::Md5, Algorithm::Md5, false),
            (Kernel::Sha1, Algorithm::Sha1, true),
            (Kernel::Sha256, Algorithm::Sha256, true),
        ] {
            if !self.kernels.contains(algorithm) {
                continue;
            }
            let idle = REGION * LANES;
            let mut offsets = [idle as u32; LANES];
            for (i, (o, lane)) in offsets.iter_mut().zip(&self.lanes).enumerate() {
                if let Some(lane) = lane {
                    *o = lane.next_block(i * REGION, big) as u32;
                }
            }
            let state: &mut [[u32; LANES]] = match kernel {
                Kernel::Md5 => &mut self.md5,
                Kernel::Sha1 => &mut self.sha1,
                Kernel::Sha256 => &mut self.sha256,
            };
            if !simd::compress(self.isa, kernel, state, &self.arena, &offsets, n) {
                // Cannot happen (every lane holds `n` blocks of the arena and
                // the ISA was checked); were it to, no digest is guessed.
                return false;
            }
        }
        for lane in self.lanes.iter_mut().flatten() {
            lane.advance(n);
        }
        true
    }

    /// The kernels' digests of lane `i`.
    fn lane_digests(&self, i: usize) -> DigestSet {
        let on = |a| self.kernels.contains(a);
        DigestSet {
            md5: on(Algorithm::Md5).then(|| digest_le(&self.md5, i)),
            sha1: on(Algorithm::Sha1).then(|| digest_be(&self.sha1, i)),
            sha256: on(Algorithm::Sha256).then(|| digest_be(&self.sha256, i)),
            blake3: None,
        }
    }
}

fn to_array<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    for (o, b) in out.iter_mut().zip(bytes) {
        *o = *b;
    }
    out
}

fn set_lane(word: &mut [u32; LANES], lane: usize, v: u32) {
    if let Some(w) = word.get_mut(lane) {
        *w = v;
    }
}

fn digest_le<const W: usize, const N: usize>(state: &[[u32; LANES]; W], lane: usize) -> [u8; N] {
    let mut out = [0u8; N];
    for (c, w) in out.as_chunks_mut::<4>().0.iter_mut().zip(state) {
        *c = w.get(lane).copied().unwrap_or(0).to_le_bytes();
    }
    out
}

fn digest_be<const W: usize, const N: usize>(state: &[[u32; LANES]; W], lane: usize) -> [u8; N] {
    let mut out = [0u8; N];
    for (c, w) in out.as_chunks_mut::<4>().0.iter_mut().zip(state) {
        *c = w.get(lane).copied().unwrap_or(0).to_be_bytes();
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::hashing::hash_bytes;
    use proptest::prelude::*;

    /// Every path this CPU can run.
    fn every_path() -> Vec<DigestPaths> {
        let mut paths = Vec::new();
        for isa in [Isa::Avx2, Isa::Avx512] {
            if isa.available() {
                for sha_single in [true, false] {
                    paths.push(DigestPaths {
                        lanes: Some(isa),
                        sha_single,
                    });
                }
            }
        }
        paths
    }

    /// Hashes `files` through the lanes, `width` in flight at a time (fewer
    /// than [`LANES`] leaves lanes idle), in chunks of `read` bytes.
    fn through_lanes(
        files: &[Vec<u8>],
        algorithms: AlgorithmSet,
        paths: DigestPaths,
        width: usize,
        read: usize,
    ) -> Vec<(usize, HashedStream)> {
        let mut mb = MultiBuffer::new(algorithms, paths).unwrap();
        let mut out = Vec::new();
        let mut next = 0;
        loop {
            while next < files.len() && LANES - mb.free() < width {
                let reader = Chunked {
                    data: &files[next],
                    at: 0,
                    read,
                };
                assert!(mb.add(next, reader).is_ok());
                next += 1;
            }
            if mb.is_empty() {
                break;
            }
            // Drain once every file is in (or, in some runs, lane by lane).
            let done = if next == files.len() && (width ^ read) & 1 == 0 {
                mb.drain()
            } else {
                mb.step()
            };
            for f in done {
                out.push((f.tag, f.hashed.unwrap()));
            }
        }
        out.sort_by_key(|(i, _)| *i);
        out
    }

    /// Reads at most `read` bytes a call (short reads, as pipes give).
    struct Chunked<'a> {
        data: &'a [u8],
        at: usize,
        read: usize,
    }

    impl Read for Chunked<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.read).min(self.data.len() - self.at);
            buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    fn data(len: usize, seed: u8) -> Vec<u8> {
        (0..len)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
            .collect()
    }

    fn check(files: &[Vec<u8>], width: usize, read: usize) {
        for paths in every_path() {
            for algorithms in [
                AlgorithmSet::ALL,
                AlgorithmSet::of(&[Algorithm::Md5]),
                AlgorithmSet::of(&[Algorithm::Sha256, Algorithm::Blake3]),
            ] {
                if MultiBuffer::<usize, Chunked<'_>>::new(algorithms, paths).is_none() {
                    continue;
                }
                let got = through_lanes(files, algorithms, paths, width, read);
                assert_eq!(got.len(), files.len());
                for (i, h) in got {
                    let want = hash_bytes(&files[i], algorithms);
                    assert_eq!(
                        h.digests,
                        want,
                        "file {i} of {} bytes, {paths:?}",
                        files[i].len()
                    );
                    assert_eq!(h.len, files[i].len() as u64);
                    assert_eq!(h.header, files[i][..files[i].len().min(HEADER_LEN)]);
                }
            }
        }
    }

    #[test]
    fn padding_boundaries_match_the_single_stream() {
        let sizes = [
            0usize, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 4095, 4096, 4097, 65535,
            65536, 65537, 200_000,
        ];
        let files: Vec<Vec<u8>> = sizes
            .iter()
            .enumerate()
            .map(|(i, &n)| data(n, i as u8))
            .collect();
        check(&files, LANES, usize::MAX);
        check(&files, 3, 1001);
        check(&files, LANES, 4096);
    }

    #[test]
    fn paths_asked_for() {
        let single = DigestPaths::asked("single");
        assert_eq!(single.lanes, None);
        assert!(single.in_lanes(AlgorithmSet::ALL).is_empty());
        assert!(MultiBuffer::<usize, &[u8]>::new(AlgorithmSet::ALL, single).is_none());
        let lanes = DigestPaths::asked("sha-lanes");
        assert!(!lanes.sha_single);
        if lanes.lanes.is_some() {
            let want = AlgorithmSet::of(&[Algorithm::Md5, Algorithm::Sha1, Algorithm::Sha256]);
            assert_eq!(lanes.in_lanes(AlgorithmSet::ALL), want);
        }
        let one = DigestPaths::asked("sha-single, avx2");
        assert!(one.sha_single);
        if Isa::Avx2.available() {
            assert_eq!(one.lanes, Some(Isa::Avx2));
            assert_eq!(
                one.in_lanes(AlgorithmSet::ALL),
                AlgorithmSet::of(&[Algorithm::Md5])
            );
        }
        assert_eq!(DigestPaths::asked("nonsense"), DigestPaths::fastest());
    }

    #[test]
    fn known_answers_in_every_lane() {
        let files = vec![b"abc".to_vec(); LANES + 1];
        for paths in every_path() {
            let got = through_lanes(&files, AlgorithmSet::ALL, paths, LANES, 7);
            for (_, h) in got {
                assert_eq!(
                    h.digests.hex(Algorithm::Md5).unwrap(),
                    "900150983cd24fb0d6963f7d28e17f72"
                );
                assert_eq!(
                    h.digests.hex(Algorithm::Sha1).unwrap(),
                    "a9993e364706816aba3e25717850c26c9cd0d89d"
                );
                assert_eq!(
                    h.digests.hex(Algorithm::Sha256).unwrap(),
                    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
                );
            }
        }
    }

    #[test]
    fn a_read_error_ends_only_its_own_file() {
        struct Failing;
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other("bad sector"))
            }
        }
        enum Either<'a> {
            Good(Chunked<'a>),
            Bad(Failing),
        }
        impl Read for Either<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                match self {
                    Either::Good(c) => c.read(buf),
                    Either::Bad(f) => f.read(buf),
                }
            }
        }
        let paths = DigestPaths::fastest();
        let Some(mut mb) = MultiBuffer::new(AlgorithmSet::ALL, paths) else {
            eprintln!("skipped: no multi-buffer kernel on this CPU");
            return;
        };
        let good = data(100_000, 9);
        assert!(mb.add(0, Either::Bad(Failing)).is_ok());
        let reader = Chunked {
            data: &good,
            at: 0,
            read: 4096,
        };
        assert!(mb.add(1, Either::Good(reader)).is_ok());
        let mut seen = Vec::new();
        while !mb.is_empty() {
            for f in mb.step() {
                seen.push((
                    f.tag,
                    f.hashed.map(|h| h.digests).map_err(|e| e.to_string()),
                ));
            }
        }
        seen.sort_by_key(|(t, _)| *t);
        assert_eq!(seen[0].1, Err("bad sector".to_string()));
        assert_eq!(seen[1].1, Ok(hash_bytes(&good, AlgorithmSet::ALL)));
    }

    /// Gives `data` in pieces, `Interrupted` before every other piece, and
    /// fails with "bad sector" after `fail_at` bytes (if given).
    struct Flaky<'a> {
        data: &'a [u8],
        at: usize,
        calls: usize,
        fail_at: Option<usize>,
        over: bool,
    }

    impl Read for Flaky<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.calls += 1;
            if self.calls.is_multiple_of(2) {
                return Err(io::ErrorKind::Interrupted.into());
            }
            if self.fail_at.is_some_and(|f| self.at >= f) {
                return Err(io::Error::other("bad sector"));
            }
            if self.over {
                return Ok(buf.len() + 1);
            }
            let n = buf.len().min(977).min(self.data.len() - self.at);
            buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    /// Interrupted reads are retried and a read error mid-file ends only that
    /// file, in lanes and in a file finishing alone; a reader claiming more
    /// bytes than it had room for is an error, not a wrong digest.
    #[test]
    fn interrupted_failing_and_lying_readers() {
        let Some(paths) = DigestPaths::fastest().lanes.map(|_| DigestPaths::fastest()) else {
            eprintln!("skipped: no multi-buffer kernel on this CPU");
            return;
        };
        let files: Vec<Vec<u8>> = (0..6).map(|i| data(90_000 + i * 1111, i as u8)).collect();
        for drain in [false, true] {
            let mut mb = MultiBuffer::new(AlgorithmSet::ALL, paths).unwrap();
            for (i, f) in files.iter().enumerate() {
                let reader = Flaky {
                    data: f,
                    at: 0,
                    calls: 0,
                    fail_at: (i == 2).then_some(70_000),
                    over: i == 4,
                };
                assert!(mb.add(i, reader).is_ok());
            }
            let mut seen = Vec::new();
            while !mb.is_empty() {
                let done = if drain { mb.drain() } else { mb.step() };
                seen.extend(done.into_iter().map(|f| (f.tag, f.hashed)));
            }
            seen.sort_by_key(|(t, _)| *t);
            assert_eq!(seen.len(), files.len());
            for (i, hashed) in seen {
                match i {
                    2 => assert_eq!(hashed.unwrap_err().to_string(), "bad sector"),
                    4 => assert_eq!(hashed.unwrap_err().kind(), io::ErrorKind::InvalidData),
                    _ => assert_eq!(
                        hashed.unwrap().digests,
                        hash_bytes(&files[i], AlgorithmSet::ALL),
                        "file {i}, drain {drain}"
                    ),
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn random_sets_match_the_single_stream(
            sizes in prop::collection::vec(
                prop_oneof![
                    Just(0usize), Just(1), Just(55), Just(56), Just(63), Just(64), Just(65),
                    Just(128), Just(65536), 0usize..3000, 60_000usize..140_000
                ],
                1..40,
            ),
            width in 1usize..=LANES,
            read in prop_oneof![Just(usize::MAX), 1usize..200, 4000usize..70_000],
        ) {
            let files: Vec<Vec<u8>> = sizes
                .iter()
                .enumerate()
                .map(|(i, &n)| data(n, i as u8))
                .collect();
            check(&files, width, read);
        }
    }
}
