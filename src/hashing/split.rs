//! One file's digests spread over two threads.
//!
//! A single large file (a disk image, a video) would otherwise keep one core
//! busy computing all four digests while the other idles. Here the reading
//! thread hashes some algorithms and a helper thread the others, both from
//! the same buffers (shared, never copied): the split puts MD5, the slowest
//! here, on its own and SHA-1 + SHA-256 + BLAKE3 with the reads.

use std::io::{self, Read};
use std::sync::Arc;

use crossbeam_channel::bounded;

use super::{Algorithm, AlgorithmSet, HEADER_LEN, HashedStream, MultiHasher};

/// Chunk handed between the threads: large enough that hand-over costs
/// nothing next to hashing it, small enough to stay in L2 while both pass.
const CHUNK: usize = 1 << 20;
/// Chunks in flight: the reader may run this far ahead of the helper.
const IN_FLIGHT: usize = 4;

/// The two groups (reader's, helper's) for `algorithms`, costliest alone on
/// the helper; `None` when there is only one algorithm.
pub fn split_groups(algorithms: AlgorithmSet) -> Option<(AlgorithmSet, AlgorithmSet)> {
    if algorithms.len() < 2 {
        return None;
    }
    // Cost per byte measured here (benches/digest.rs): MD5 > SHA-1 >
    // SHA-256 > BLAKE3.
    let costliest = [
        Algorithm::Md5,
        Algorithm::Sha1,
        Algorithm::Sha256,
        Algorithm::Blake3,
    ]
    .into_iter()
    .find(|&a| algorithms.contains(a))?;
    let mine = algorithms
        .iter()
        .filter(|&a| a != costliest)
        .fold(AlgorithmSet::of(&[]), AlgorithmSet::with);
    Some((mine, AlgorithmSet::of(&[costliest])))
}

struct Chunk {
    data: Vec<u8>,
    len: usize,
}

/// [`hash_stream`](super::hash_stream) with the digests spread over the
/// calling thread and one helper thread. Same result, byte for byte; falls
/// back to one thread for a single algorithm or if no thread can be spawned.
pub fn hash_stream_split<R: Read + ?Sized>(
    reader: &mut R,
    algorithms: AlgorithmSet,
    buf: &mut Vec<u8>,
) -> io::Result<HashedStream> {
    let Some((mine, theirs)) = split_groups(algorithms) else {
        return super::hash_stream(reader, algorithms, buf);
    };
    std::thread::scope(|s| {
        let (tx, rx) = bounded::<Arc<Chunk>>(IN_FLIGHT);
        let (back_tx, back_rx) = bounded::<Arc<Chunk>>(IN_FLIGHT + 2);
        let helper = std::thread::Builder::new()
            .name("ferret-digest".into())
            .spawn_scoped(s, move || {
                let mut h = MultiHasher::new(theirs);
                for chunk in rx {
                    h.update(chunk.data.get(..chunk.len).unwrap_or_default());
                    // Returned for reuse; dropped if the reader has enough.
                    let _ = back_tx.try_send(chunk);
                }
                h.finalize()
            });
        let Ok(helper) = helper else {
            return super::hash_stream(reader, algorithms, buf);
        };
        let mut h = MultiHasher::new(mine);
        let mut header = Vec::new();
        let mut len = 0u64;
        let read = loop {
            let mut chunk = back_rx
                .try_recv()
                .ok()
                .and_then(|c| Arc::try_unwrap(c).ok())
                .unwrap_or_else(|| Chunk {
                    data: vec![0u8; CHUNK],
                    len: 0,
                });
            chunk.len = match reader.read(&mut chunk.data) {
                Ok(0) => break Ok(()),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => break Err(e),
            };
            let chunk = Arc::new(chunk);
            if tx.send(Arc::clone(&chunk)).is_err() {
                break Err(io::Error::other("digest thread stopped"));
            }
            let data = chunk.data.get(..chunk.len).unwrap_or_default();
            if header.len() < HEADER_LEN {
                let take = (HEADER_LEN - header.len()).min(data.len());
                header.extend_from_slice(data.get(..take).unwrap_or_default());
            }
            h.update(data);
            len += data.len() as u64;
        };
        drop(tx);
        let theirs = helper
            .join()
            .map_err(|_| io::Error::other("digest thread panicked"))?;
        read?;
        Ok(HashedStream {
            digests: h.finalize().merge(theirs),
            len,
            header,
        })
    })
}
