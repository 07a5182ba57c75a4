//! Safe open of evidence files.
//!
//! A file is opened read-only, without updating its atime, without following
//! a link in any component, non-blocking; the handle is then `fstat`ed and
//! anything that is not a regular file is refused before a byte is read.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use super::sys;
use super::{EntryKind, Meta, MountState, StreamInterface};
use crate::error::{ItemError, Op};

/// The evidence root, held open for the whole scan so that every entry is
/// reached relative to the same directory.
pub struct EvidenceRoot {
    path: PathBuf,
    handle: sys::RootHandle,
    streams: StreamInterface,
}

impl EvidenceRoot {
    /// Opens the root directory read-only.
    pub fn open(path: &Path) -> io::Result<Self> {
        let handle = sys::open_root(path)?;
        Ok(EvidenceRoot {
            path: path.to_path_buf(),
            streams: sys::stream_interface(&handle),
            handle,
        })
    }

    /// How the root's filesystem shows named data streams.
    pub fn stream_interface(&self) -> StreamInterface {
        self.streams
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
        Ok(EvidenceFile {
            data: Data::File(file),
            meta,
        })
    }

    /// Opens an item for reading: the file at `rel`, or its named data
    /// stream `stream`.
    pub fn open_item(&self, rel: &Path, stream: Option<&OsStr>) -> Result<EvidenceFile, ItemError> {
        match stream {
            None => self.open_file(rel),
            Some(s) => self.open_stream(rel, s),
        }
    }

    /// Opens the named data stream `stream` of the entry at `rel`.
    pub fn open_stream(&self, rel: &Path, stream: &OsStr) -> Result<EvidenceFile, ItemError> {
        let err = |e| ItemError::new(rel, Op::Open, e);
        match self.streams {
            StreamInterface::None | StreamInterface::NtfsHidden => Err(err(io::Error::new(
                io::ErrorKind::Unsupported,
                "this filesystem shows no named data streams",
            ))),
            StreamInterface::NtfsXattr => {
                let (data, meta) = sys::read_stream(&self.handle, rel, stream).map_err(err)?;
                Ok(EvidenceFile {
                    data: Data::Whole(io::Cursor::new(data)),
                    meta,
                })
            }
            StreamInterface::Windows => {
                let file = sys::open_stream_file(&self.handle, rel, stream).map_err(err)?;
                let meta = sys::fstat_meta(&file).map_err(|e| ItemError::new(rel, Op::Stat, e))?;
                Ok(EvidenceFile {
                    data: Data::File(file),
                    meta,
                })
            }
        }
    }
}

enum Data {
    File(File),
    /// Read whole when opened (a stream read through extended attributes).
    Whole(io::Cursor<Vec<u8>>),
}

/// An open evidence file (or stream) with the metadata its handle had when
/// opened.
pub struct EvidenceFile {
    data: Data,
    /// `fstat` of the handle right after opening (for a stream: its
    /// file's, with the stream's size).
    pub meta: Meta,
}

impl EvidenceFile {
    /// True when size or mtime now differ from what they were at open: the
    /// file changed while we read it (recorded, never hidden). A stream read
    /// whole at open cannot change under the reader.
    pub fn changed_since_open(&self) -> io::Result<bool> {
        match &self.data {
            Data::File(file) => {
                let now = sys::fstat_meta(file)?;
                Ok(now.size != self.meta.size || now.mtime != self.meta.mtime)
            }
            Data::Whole(_) => Ok(false),
        }
    }
}

impl std::io::Seek for EvidenceFile {
    fn seek(&mut self, pos: io::SeekFrom) -> io::Result<u64> {
        match &mut self.data {
            Data::File(f) => f.seek(pos),
            Data::Whole(c) => c.seek(pos),
        }
    }
}

impl Read for EvidenceFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match &mut self.data {
            Data::File(f) => f.read(buf),
            Data::Whole(c) => c.read(buf),
        }
    }
}
