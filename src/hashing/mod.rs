//! One-pass multi-digest hashing.
//!
//! Each file is read once; every chunk feeds all selected digests (MD5, SHA-1,
//! SHA-256, BLAKE3) while it is hot in cache, and the first bytes are kept for
//! signature classification. RustCrypto's `sha1`/`sha2` pick SHA-NI at run
//! time through `cpufeatures`; [`cpu_features`] reports what was found.
// Data from a hash set or the evidence never indexes unchecked and never
// unwraps: a hostile input is an error, not a panic.
#![deny(clippy::indexing_slicing, clippy::unwrap_used)]

mod algorithm;
mod digests;
mod lanes;
mod split;

pub use algorithm::{Algorithm, AlgorithmSet, ParseAlgorithmError};
pub use digests::{DigestSet, MultiHasher};
pub use ferret_lanes::Isa;
pub use lanes::{DigestPaths, Finished, MultiBuffer};
pub use split::{hash_stream_split, split_groups};

use std::io::{self, Read};

/// Bytes kept from the start of each file for classification.
pub const HEADER_LEN: usize = 16 * 1024;

/// Read size: 256 KiB keeps a chunk in L2 while four digests pass over it,
/// and is large enough that syscall cost is negligible (measured in
/// `benches/digest.rs`: 64 KiB–1 MiB within 2% of each other here).
pub const READ_BUF_LEN: usize = 256 * 1024;

/// What one read of a stream produced.
#[derive(Debug, Clone)]
pub struct HashedStream {
    /// Digests of every byte read.
    pub digests: DigestSet,
    /// Bytes read.
    pub len: u64,
    /// Up to [`HEADER_LEN`] bytes from the start.
    pub header: Vec<u8>,
}

/// Reads `reader` to the end once, feeding every selected digest from the
/// same buffer. `buf` is the caller's reused buffer (never shrunk).
pub fn hash_stream<R: Read + ?Sized>(
    reader: &mut R,
    algorithms: AlgorithmSet,
    buf: &mut Vec<u8>,
) -> io::Result<HashedStream> {
    if buf.len() < READ_BUF_LEN {
        buf.resize(READ_BUF_LEN, 0);
    }
    let mut hasher = MultiHasher::new(algorithms);
    let mut header = Vec::new();
    let mut len = 0u64;
    loop {
        let n = match reader.read(buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        // `read` never reports more than the buffer holds.
        let chunk = buf.get(..n).unwrap_or_default();
        if header.len() < HEADER_LEN {
            let take = (HEADER_LEN - header.len()).min(chunk.len());
            header.extend_from_slice(chunk.get(..take).unwrap_or_default());
        }
        hasher.update(chunk);
        len += n as u64;
    }
    Ok(HashedStream {
        digests: hasher.finalize(),
        len,
        header,
    })
}

/// Hashes a byte slice (tests, known answers).
pub fn hash_bytes(data: &[u8], algorithms: AlgorithmSet) -> DigestSet {
    let mut h = MultiHasher::new(algorithms);
    h.update(data);
    h.finalize()
}

/// CPU features the digest crates can use here, for `--version` and benches.
pub fn cpu_features() -> Vec<&'static str> {
    #[allow(unused_mut)]
    let mut found = Vec::new();
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    {
        if std::arch::is_x86_feature_detected!("sha") {
            found.push("sha-ni");
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            found.push("avx2");
        }
        if std::arch::is_x86_feature_detected!("avx512f") {
            found.push("avx512f");
        }
        if std::arch::is_x86_feature_detected!("sse4.1") {
            found.push("sse4.1");
        }
    }
    #[cfg(target_arch = "aarch64")]
    {
        if std::arch::is_aarch64_feature_detected!("sha2") {
            found.push("sha2");
        }
        if std::arch::is_aarch64_feature_detected!("neon") {
            found.push("neon");
        }
    }
    found
}
