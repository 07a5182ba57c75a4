//! TAR through the `tar` crate: v7, ustar, pax (long names, extended
//! headers) and GNU (long names, sparse files) members, streamed: the
//! archive is never held in memory.

use std::cell::Cell;
use std::io::Read;
use std::ops::ControlFlow;
use std::rc::Rc;

use super::{ArchiveError, MemberData, MemberHeader, MemberKind, Visitor};
use crate::evidence::UtcTime;

/// Bytes the reader may take between two members for their headers, GNU
/// long names and pax records (besides skipping the rest of the previous
/// member): the crate holds long names and pax records whole, so a hostile
/// one is refused rather than read into memory.
const META_CAP: u64 = 4 << 20;

/// Counts what the crate reads between members.
struct Guard<R> {
    inner: R,
    since: Rc<Cell<u64>>,
    allowance: Rc<Cell<u64>>,
}

impl<R: Read> Read for Guard<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let since = self.since.get().saturating_add(n as u64);
        self.since.set(since);
        if since > self.allowance.get() {
            return Err(std::io::Error::other(format!(
                "more than {META_CAP} bytes of headers, long names or pax records before a member"
            )));
        }
        Ok(n)
    }
}

/// Reads a TAR stream and hands each member, in order, to `visitor`.
pub(crate) fn read_tar<R: Read>(reader: R, visitor: &mut dyn Visitor) -> Result<(), ArchiveError> {
    let since = Rc::new(Cell::new(0));
    let allowance = Rc::new(Cell::new(META_CAP));
    let mut archive = ::tar::Archive::new(Guard {
        inner: reader,
        since: since.clone(),
        allowance: allowance.clone(),
    });
    let entries = archive.entries().map_err(ArchiveError::Io)?;
    for entry in entries {
        let mut entry = entry.map_err(|e| ArchiveError::Corrupt(e.to_string()))?;
        // The member's own data is the visitor's to read, unbounded here.
        since.set(0);
        allowance.set(u64::MAX);
        let stored = entry.header().entry_size().unwrap_or(0);
        use ::tar::EntryType as T;
        let name = entry.path_bytes().into_owned();
        let kind = match entry.header().entry_type() {
            // Old tars mark a directory by its name's trailing slash only.
            T::Regular | T::Continuous if name.ends_with(b"/") => MemberKind::Dir,
            T::Regular | T::Continuous | T::GNUSparse => MemberKind::File,
            T::Directory => MemberKind::Dir,
            T::Symlink => MemberKind::Symlink,
            T::Link => MemberKind::HardLink,
            // Long names and pax headers are consumed by the crate; what is
            // left (devices, FIFOs, volume labels) is recorded as other.
            _ => MemberKind::Other,
        };
        let header = MemberHeader {
            name,
            kind,
            size: entry.size().into(),
            // TAR does not compress: a sparse member's holes are no bomb
            // (its size is bounded by the other limits), so no ratio.
            packed: None,
            mtime: entry
                .header()
                .mtime()
                .ok()
                .and_then(|s| i64::try_from(s).ok())
                .map(|s| UtcTime::new(s, 0)),
            encrypted: false,
        };
        // A pax sparse file (GNU.sparse.* keys, formats 0.0 to 1.0) keeps
        // its map where this reader does not expand it: its stored bytes
        // are not its content, so they are never hashed as if they were.
        let pax_sparse = kind == MemberKind::File
            && entry
                .pax_extensions()
                .ok()
                .flatten()
                .is_some_and(|mut exts| {
                    exts.any(|e| e.is_ok_and(|e| e.key_bytes().starts_with(b"GNU.sparse.")))
                });
        let flow = match header.unreadable_reason() {
            Some(why) => visitor.member(header, MemberData::Unreadable(why.into())),
            None if pax_sparse => visitor.member(
                header,
                MemberData::Unreadable(
                    "pax sparse file (GNU.sparse map): not expanded by this reader".into(),
                ),
            ),
            None => visitor.member(header, MemberData::Stream(&mut entry)),
        };
        if let ControlFlow::Break(stop) = flow {
            return Err(ArchiveError::Stopped(stop));
        }
        // Next: what is left of this member's data, then headers.
        since.set(0);
        allowance.set(META_CAP.saturating_add(stored.saturating_add(511) / 512 * 512));
    }
    Ok(())
}
