//! Image bytes to the RGB pixels PDQ hashes, the way Pillow's
//! `Image.open(f).convert("RGB")` gives them (the pixels behind the
//! reference hashes that other tools publish); see the parent module for
//! the per-format rules. Decoding runs under [`DecodeLimits`], and a
//! decoder that panics on hostile bytes is an error, not a crash.
// Decoded buffers come from evidence: no unchecked indexing, no unwrap.
#![deny(clippy::indexing_slicing, clippy::unwrap_used)]

use std::borrow::Cow;
use std::io::Cursor;
use std::num::NonZeroU64;
use std::panic::{AssertUnwindSafe, catch_unwind};

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

/// Bounds on what [`decode_rgb8`] accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Largest input, in bytes.
    pub max_input_bytes: usize,
    /// Largest decoded picture, in pixels (checked from the header, before
    /// any pixel is decoded).
    pub max_pixels: u64,
    /// Most memory the decoder may allocate, in bytes.
    pub max_alloc: u64,
}

impl Default for DecodeLimits {
    /// 128 MiB of input, 64 MP (a 9000 x 7000 camera frame), 1 GiB of
    /// decoder memory. Hashing a 64 MP picture then needs another 512 MiB of
    /// float work buffers.
    fn default() -> Self {
        DecodeLimits {
            max_input_bytes: 128 << 20,
            max_pixels: 64_000_000,
            max_alloc: 1 << 30,
        }
    }
}

/// Why no pixels could be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The input is larger than [`DecodeLimits::max_input_bytes`].
    #[error("input of {bytes} bytes is over the {limit}-byte limit")]
    InputTooLarge {
        /// Input size.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// The header announces more pixels than [`DecodeLimits::max_pixels`].
    #[error("{width}x{height} picture is over the {limit}-pixel limit")]
    TooManyPixels {
        /// Width from the header.
        width: u32,
        /// Height from the header.
        height: u32,
        /// The limit.
        limit: u64,
    },
    /// A side is zero.
    #[error("empty {width}x{height} picture")]
    Empty {
        /// Width from the header.
        width: u32,
        /// Height from the header.
        height: u32,
    },
    /// The bytes are not a format decoded here.
    #[error("not a picture format that is hashed")]
    UnknownFormat,
    /// The decoder refused the bytes (corrupt, unsupported variant, or its
    /// allocation limit).
    #[error("{format} decoding failed: {message}")]
    Decode {
        /// Format name, e.g. `Png`.
        format: String,
        /// The decoder's message.
        message: String,
    },
    /// The decoder panicked.
    #[error("{format} decoder panicked")]
    Panicked {
        /// Format name.
        format: String,
    },
    /// A progressive JPEG with more scans than [`MAX_JPEG_SCANS`]: each
    /// scan is a pass over the whole picture, so a small file of repeated
    /// scans would take hours to decode.
    #[error("progressive JPEG of {scans} scans, over the {limit}-scan limit")]
    TooManyScans {
        /// Scans counted.
        scans: usize,
        /// The limit.
        limit: usize,
    },
}

/// Most scans of a progressive JPEG decoded. Encoders write about ten
/// (libjpeg's default script writes 10 for colour, 6 for grey); a file
/// past this limit is built to be slow, and is refused with its count.
pub const MAX_JPEG_SCANS: usize = 100;

/// Refuses a progressive JPEG of more than [`MAX_JPEG_SCANS`] scans; any
/// other input passes. Reads the header's segments up to the frame marker;
/// only a progressive frame has its scans counted (start-of-scan markers,
/// which entropy-coded data never holds: a 0xFF in it is stuffed).
pub fn check_jpeg_scans(bytes: &[u8]) -> Result<(), DecodeError> {
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return Ok(());
    }
    let mut at = 2usize;
    let progressive = loop {
        let (Some(&0xFF), Some(&marker)) = (bytes.get(at), bytes.get(at + 1)) else {
            return Ok(());
        };
        if marker == 0xFF {
            at += 1;
            continue;
        }
        match marker {
            0xC2 | 0xC6 | 0xCA | 0xCE => break true,
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => break false,
            0xDA | 0xD9 => break false,
            _ => {}
        }
        let Some(len) = bytes.get(at + 2..at + 4).map(|l| {
            usize::from(u16::from_be_bytes([
                l.first().copied().unwrap_or(0),
                l.get(1).copied().unwrap_or(0),
            ]))
        }) else {
            return Ok(());
        };
        at += 2 + len;
    };
    if !progressive {
        return Ok(());
    }
    let mut scans = 0usize;
    let mut rest = bytes.get(at..).unwrap_or_default();
    while let Some(i) = rest.iter().position(|&b| b == 0xFF) {
        if rest.get(i + 1) == Some(&0xDA) {
            scans += 1;
            if scans > MAX_JPEG_SCANS {
                return Err(DecodeError::TooManyScans {
                    scans,
                    limit: MAX_JPEG_SCANS,
                });
            }
        }
        rest = rest.get(i + 1..).unwrap_or_default();
    }
    Ok(())
}

/// Decodes a PNG, JPEG, GIF, BMP, WebP or TIFF picture to row-major RGB
/// triples: `(width, height, pixels)`. Pixels are Pillow's `convert("RGB")`
/// of the first frame: alpha dropped without compositing, palette and grey
/// expanded, 16-bit samples cut to their high byte (16-bit grey clipped at
/// 255, as Pillow does), EXIF orientation not applied.
pub fn decode_rgb8(
    bytes: &[u8],
    limits: &DecodeLimits,
) -> Result<(u32, u32, Vec<u8>), DecodeError> {
    if bytes.len() > limits.max_input_bytes {
        return Err(DecodeError::InputTooLarge {
            bytes: bytes.len(),
            limit: limits.max_input_bytes,
        });
    }
    let format = image::guess_format(bytes).map_err(|_| DecodeError::UnknownFormat)?;
    check_jpeg_scans(bytes)?;
    if !matches!(
        format,
        ImageFormat::Png
            | ImageFormat::Jpeg
            | ImageFormat::Gif
            | ImageFormat::Bmp
            | ImageFormat::WebP
            | ImageFormat::Tiff
    ) {
        return Err(DecodeError::UnknownFormat);
    }
    let name = format!("{format:?}");
    // Decoders are untrusted code paths on hostile input.
    catch_unwind(AssertUnwindSafe(|| {
        if format == ImageFormat::Gif {
            gif_first_frame(bytes, limits)
        } else {
            decode_with_image(bytes, format, limits)
        }
    }))
    .unwrap_or(Err(DecodeError::Panicked { format: name }))
}

fn decode_error(format: ImageFormat, error: impl ToString) -> DecodeError {
    DecodeError::Decode {
        format: format!("{format:?}"),
        message: error.to_string(),
    }
}

fn check_size(width: u32, height: u32, limits: &DecodeLimits) -> Result<(), DecodeError> {
    if width == 0 || height == 0 {
        return Err(DecodeError::Empty { width, height });
    }
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(DecodeError::TooManyPixels {
            width,
            height,
            limit: limits.max_pixels,
        });
    }
    Ok(())
}

fn decode_with_image(
    bytes: &[u8],
    format: ImageFormat,
    limits: &DecodeLimits,
) -> Result<(u32, u32, Vec<u8>), DecodeError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut image_limits = Limits::default();
    image_limits.max_alloc = Some(limits.max_alloc);
    reader.limits(image_limits);
    let decoder = reader.into_decoder().map_err(|e| decode_error(format, e))?;
    let (width, height) = decoder.dimensions();
    check_size(width, height, limits)?;
    let image = DynamicImage::from_decoder(decoder).map_err(|e| decode_error(format, e))?;
    Ok((width, height, pillow_rgb(image)))
}

/// RGB triples from samples `N` to a pixel, each pixel mapped by `f`, into
/// one allocation (an iterator of triples collects far slower).
fn rgb_of<T: Copy, const N: usize>(samples: &[T], f: impl Fn(&[T; N]) -> [u8; 3]) -> Vec<u8> {
    let (pixels, _) = samples.as_chunks::<N>();
    let mut out = Vec::with_capacity(pixels.len() * 3);
    for p in pixels {
        out.extend_from_slice(&f(p));
    }
    out
}

/// Pillow's `convert("RGB")` of what the decoder produced.
fn pillow_rgb(image: DynamicImage) -> Vec<u8> {
    // Pillow keeps the high byte of 16-bit colour and grey+alpha samples
    // (raw modes `RGB;16B`, `LA;16B`), but opens 16-bit grey as `I;16`,
    // whose conversion clips at 255 instead of scaling.
    fn high(v: u16) -> u8 {
        v.to_be_bytes()[0]
    }
    fn clip(v: u16) -> u8 {
        u8::try_from(v).unwrap_or(u8::MAX)
    }
    match image {
        DynamicImage::ImageRgb8(buffer) => buffer.into_raw(),
        DynamicImage::ImageRgba8(buffer) => {
            rgb_of(buffer.as_raw(), |&[r, g, b, _]: &[u8; 4]| [r, g, b])
        }
        DynamicImage::ImageLuma8(buffer) => rgb_of(buffer.as_raw(), |&[v]: &[u8; 1]| [v; 3]),
        DynamicImage::ImageLumaA8(buffer) => rgb_of(buffer.as_raw(), |&[v, _]: &[u8; 2]| [v; 3]),
        DynamicImage::ImageLuma16(buffer) => {
            rgb_of(buffer.as_raw(), |&[v]: &[u16; 1]| [clip(v); 3])
        }
        DynamicImage::ImageLumaA16(buffer) => {
            rgb_of(buffer.as_raw(), |&[v, _]: &[u16; 2]| [high(v); 3])
        }
        DynamicImage::ImageRgb16(buffer) => rgb_of(buffer.as_raw(), |&[r, g, b]: &[u16; 3]| {
            [high(r), high(g), high(b)]
        }),
        DynamicImage::ImageRgba16(buffer) => rgb_of(buffer.as_raw(), |&[r, g, b, _]: &[u16; 4]| {
            [high(r), high(g), high(b)]
        }),
        // Float TIFFs: the image crate's own scaling (Pillow opens these
        // as mode F, which has no direct RGB conversion to copy).
        other => other.to_rgb8().into_raw(),
    }
}

/// The first GIF frame as Pillow shows it: indices on a canvas the size of
/// the logical screen (grown to hold the frame), filled with the
/// transparent index (else 0), then looked up in the frame's palette (else
/// the global one, else grey; black past the palette's end). Transparent
/// pixels therefore take their palette colour; the image crate would make
/// them black.
fn gif_first_frame(
    bytes: &[u8],
    limits: &DecodeLimits,
) -> Result<(u32, u32, Vec<u8>), DecodeError> {
    let fail = |e: gif::DecodingError| decode_error(ImageFormat::Gif, e);
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::Indexed);
    if let Some(limit) = NonZeroU64::new(limits.max_alloc) {
        options.set_memory_limit(gif::MemoryLimit::Bytes(limit));
    }
    let bytes = with_grey_palette(bytes);
    let mut decoder = options.read_info(Cursor::new(&*bytes)).map_err(fail)?;
    let (screen_width, screen_height) = (decoder.width(), decoder.height());
    let global = decoder.global_palette().map(<[u8]>::to_vec);
    let frame = decoder
        .read_next_frame()
        .map_err(fail)?
        .ok_or_else(|| decode_error(ImageFormat::Gif, "no frame"))?;
    let (left, top) = (usize::from(frame.left), usize::from(frame.top));
    let (frame_width, frame_height) = (usize::from(frame.width), usize::from(frame.height));
    let width = usize::from(screen_width).max(left + frame_width);
    let height = usize::from(screen_height).max(top + frame_height);
    let (w32, h32) = (
        u32::try_from(width).unwrap_or(u32::MAX),
        u32::try_from(height).unwrap_or(u32::MAX),
    );
    check_size(w32, h32, limits)?;
    // Pillow reads a palette that is just the grey ramp as no palette.
    let palette = frame
        .palette
        .as_deref()
        .or(global.as_deref())
        .filter(|p| p.iter().enumerate().any(|(i, v)| usize::from(*v) != i / 3));
    let mut indices = vec![frame.transparent.unwrap_or(0); width * height];
    if frame_width > 0 {
        for (row, source) in indices
            .chunks_exact_mut(width)
            .skip(top)
            .zip(frame.buffer.chunks_exact(frame_width))
        {
            if let Some(target) = row.get_mut(left..left + frame_width) {
                target.copy_from_slice(source);
            }
        }
    }
    let rgb = indices
        .iter()
        .flat_map(|&i| {
            let base = usize::from(i) * 3;
            match palette.map(|p| p.get(base..base + 3)) {
                Some(Some(&[r, g, b])) => [r, g, b],
                // Past the palette's end: Pillow's unset entries are black.
                Some(_) => [0; 3],
                None => [i; 3],
            }
        })
        .collect();
    Ok((w32, h32, rgb))
}

/// Pillow reads a GIF without any colour table as grey levels; the `gif`
/// crate refuses it. A grey-ramp global table (index i is grey i) makes it
/// decodable with the same pixels. Other GIFs are passed through.
fn with_grey_palette(bytes: &[u8]) -> Cow<'_, [u8]> {
    // Logical screen descriptor: packed fields at 10, global table at 13.
    const PACKED: usize = 10;
    const TABLE: usize = 13;
    let (Some(&packed), Some(head), Some(tail)) =
        (bytes.get(PACKED), bytes.get(..TABLE), bytes.get(TABLE..))
    else {
        return Cow::Borrowed(bytes);
    };
    if packed & 0x80 != 0 {
        return Cow::Borrowed(bytes);
    }
    let mut patched = Vec::with_capacity(bytes.len() + 768);
    patched.extend_from_slice(head);
    if let Some(flags) = patched.get_mut(PACKED) {
        // Table present, 2^(7+1) = 256 entries.
        *flags = packed | 0x87;
    }
    patched.extend((0..=255u8).flat_map(|i| [i; 3]));
    patched.extend_from_slice(tail);
    Cow::Owned(patched)
}
