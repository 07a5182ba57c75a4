//! Safe open of evidence files.
//!
//! A file is opened read-only, without updating its atime, without following
//! a link in any component, non-blocking; the handle is then `fstat`ed and
//! anything that is not a regular file is refused before a byte is read.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use super::sys;
use super::{EntryKind, Meta, MountState};
use crate::error::{ItemError, Op};

/// The evidence root, held open for the whole scan so that every entry is
/// reached relative to the same directory.
pub struct EvidenceRoot {
    path: PathBuf,
    handle: sys::RootHandle,
}

impl EvidenceRoot {
    /// Opens the root directory read-only.
    pub fn open(path: &Path) -> io::Result<Self> {
        Ok(EvidenceRoot {
            path: path.to_path_buf(),
            handle: sys::open_root(path)?,
        })
    }

    /// The root as given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How the root's filesystem is mounted.
    pub fn mount_state(&self) -> io::Result<MountState> {
        sys::mount_state(&self.handle)
    }

    pub(crate) fn handle(&self) -> &sys::RootHandle {
        &self.handle
    }

    /// Opens the regular file at `rel` (relative to the root) for reading.
    /// A name that is no longer a regular file is refused without reading.
    pub fn open_file(&self, rel: &Path) -> Result<EvidenceFile, ItemError> {
        let file = sys::open_file_beneath(&self.handle, rel)
            .map_err(|e| ItemError::new(rel, Op::Open, e))?;
        let meta = sys::fstat_meta(&file).map_err(|e| ItemError::new(rel, Op::Stat, e))?;
        let kind = EntryKind::from_mode(meta.mode);
        if kind != EntryKind::File {
            let why = format!("not a regular file (now a {})", kind.as_str());
            return Err(ItemError::new(
                rel,
                Op::Open,
                io::Error::new(io::ErrorKind::InvalidInput, why),
            ));
        }
        Ok(EvidenceFile { file, meta })
    }
}

/// An open evidence file with the metadata its handle had when opened.
pub struct EvidenceFile {
    file: File,
    /// `fstat` of the handle right after opening.
    pub meta: Meta,
}

impl EvidenceFile {
    /// True when size or mtime now differ from what they were at open: the
    /// file changed while we read it (recorded, never hidden).
    pub fn changed_since_open(&self) -> io::Result<bool> {
        let now = sys::fstat_meta(&self.file)?;
        Ok(now.size != self.meta.size || now.mtime != self.meta.mtime)
    }
}

impl Read for EvidenceFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.file.read(buf)
    }
}
