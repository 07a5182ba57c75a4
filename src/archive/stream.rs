//! Single-stream compression (gzip, bzip2, xz, zstd): one member, the
//! expanded stream, named from the gzip header or the container's name
//! without its compression suffix (`backup.tgz` → `backup.tar`).
//! Concatenated streams (`cat a.gz b.gz`) are read as one, as `gzip -d`
//! does.

use std::io::Read;
use std::ops::ControlFlow;

use super::{ArchiveError, Format, MemberData, MemberHeader, MemberKind, Visitor};

/// The name of the expanded stream of a container named `container`.
pub(crate) fn expanded_name(container: &[u8], format: Format) -> Vec<u8> {
    let base = container
        .rsplit(|b| *b == b'/' || *b == b'\\')
        .next()
        .unwrap_or(container);
    let lower = base.to_ascii_lowercase();
    let pairs: &[(&[u8], &[u8])] = match format {
        Format::Gzip => &[
            (b".tgz", b".tar"),
            (b".taz", b".tar"),
            (b".gz", b""),
            (b".z", b""),
        ],
        Format::Bzip2 => &[
            (b".tbz2", b".tar"),
            (b".tbz", b".tar"),
            (b".bz2", b""),
            (b".bz", b""),
        ],
        Format::Xz => &[(b".txz", b".tar"), (b".xz", b"")],
        Format::Zstd => &[(b".tzst", b".tar"), (b".zst", b""), (b".zstd", b"")],
        _ => &[],
    };
    for (suffix, replace) in pairs {
        if lower.ends_with(suffix) && lower.len() > suffix.len() {
            let mut name = base
                .get(..base.len() - suffix.len())
                .unwrap_or(base)
                .to_vec();
            name.extend_from_slice(replace);
            return name;
        }
    }
    let mut name = base.to_vec();
    name.extend_from_slice(b".out");
    name
}

/// Reads one compressed stream and hands its expanded content, as one
/// member, to `visitor`. `packed` is the compressed size, when known.
pub(crate) fn read_stream<R: Read>(
    reader: R,
    format: Format,
    container: &[u8],
    packed: Option<u64>,
    visitor: &mut dyn Visitor,
) -> Result<(), ArchiveError> {
    let header = |name: Vec<u8>| MemberHeader {
        name,
        kind: MemberKind::File,
        size: None,
        packed,
        mtime: None,
        encrypted: false,
    };
    let flow = match format {
        Format::Gzip => {
            let mut d = Members::new(
                std::io::BufReader::new(reader),
                b"\x1f\x8b",
                flate2::bufread::GzDecoder::new,
            );
            let flow = visitor.member(
                header(expanded_name(container, format)),
                MemberData::Stream(&mut d),
            );
            trailing_after(flow, d.trailing, "gzip")?
        }
        Format::Bzip2 => {
            let mut d = Members::new(
                std::io::BufReader::new(reader),
                b"BZh",
                bzip2::bufread::BzDecoder::new,
            );
            let flow = visitor.member(
                header(expanded_name(container, format)),
                MemberData::Stream(&mut d),
            );
            trailing_after(flow, d.trailing, "bzip2")?
        }
        Format::Xz => {
            // A stream whose dictionary needs more than 256 MiB is refused.
            let mut d = lzma_rust2::XzReader::new_mem_limit(reader, true, 256 * 1024);
            visitor.member(
                header(expanded_name(container, format)),
                MemberData::Stream(&mut d),
            )
        }
        Format::Zstd => match zstd::stream::read::Decoder::new(reader) {
            Ok(mut d) => visitor.member(
                header(expanded_name(container, format)),
                MemberData::Stream(&mut d),
            ),
            Err(e) => return Err(ArchiveError::Corrupt(format!("zstd: {e}"))),
        },
        other => {
            return Err(ArchiveError::Unsupported(format!(
                "{} is not a single-stream format",
                other.as_str()
            )));
        }
    };
    if let ControlFlow::Break(stop) = flow {
        return Err(ArchiveError::Stopped(stop));
    }
    Ok(())
}

/// Data after the last member is recorded on the archive (the member
/// itself was read whole).
fn trailing_after(
    flow: ControlFlow<super::Stop>,
    trailing: bool,
    format: &str,
) -> Result<ControlFlow<super::Stop>, ArchiveError> {
    if trailing && flow.is_continue() {
        return Err(ArchiveError::Corrupt(format!(
            "data after the last {format} member, part of no member (ignored, as {format} -d does)"
        )));
    }
    Ok(flow)
}

/// A decoder that ends at the end of its member and gives its input back.
trait MemberDecoder<R>: Read {
    fn into_input(self) -> R;
}

impl<R: std::io::BufRead> MemberDecoder<R> for flate2::bufread::GzDecoder<R> {
    fn into_input(self) -> R {
        self.into_inner()
    }
}

impl<R: std::io::BufRead> MemberDecoder<R> for bzip2::bufread::BzDecoder<R> {
    fn into_input(self) -> R {
        self.into_inner()
    }
}

/// Concatenated members (`cat a.gz b.gz`) read as one stream, as `gzip -d`
/// does; bytes after the last member that do not start another (padding,
/// a tape's trailing garbage) end the stream, as they do for libarchive.
struct Members<R, D> {
    current: Option<D>,
    magic: &'static [u8],
    start: fn(R) -> D,
    /// Bytes other than zeros followed the last member.
    trailing: bool,
}

impl<R: std::io::BufRead, D: MemberDecoder<R>> Members<R, D> {
    fn new(input: R, magic: &'static [u8], start: fn(R) -> D) -> Self {
        Members {
            current: Some(start(input)),
            magic,
            start,
            trailing: false,
        }
    }
}

impl<R: std::io::BufRead, D: MemberDecoder<R>> Read for Members<R, D> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let Some(d) = self.current.as_mut() else {
                return Ok(0);
            };
            let n = d.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            let Some(done) = self.current.take() else {
                return Ok(0);
            };
            let mut input = done.into_input();
            let next = input.fill_buf()?;
            if next.starts_with(self.magic) {
                self.current = Some((self.start)(input));
            } else if next.iter().any(|b| *b != 0) {
                // Not another member, not tape padding: data that belongs
                // to no member (possibly something appended to hide it).
                self.trailing = true;
            }
        }
    }
}
