//! Perceptual hashes: fingerprints of what a picture looks like rather than
//! of its bytes, so that a re-encoded, resized or lightly edited copy of a
//! known picture still matches its entry in a hash list. Exact digests
//! ([`crate::hashing`]) miss every such copy.
//!
//! [`pdq`] is Meta's PDQ (the hash ThreatExchange and NCMEC lists carry),
//! ported from the C++ reference so that hashes agree bit for bit on the
//! same pixels. [`decode`] turns image bytes into those pixels. [`index`]
//! finds every entry of a PDQ list within a Hamming distance of a hash
//! (multi-index hashing over a memory-mappable layout, exact against brute
//! force).
//!
//! # Which pixels are hashed
//!
//! A PDQ hash is only comparable with one made from the same pixels, so the
//! decoding is pinned to what the reference's Python tooling feeds the C++
//! hasher: Pillow's `Image.open(f).convert("RGB")`, whole picture, no
//! pre-scaling. Luma is `0.299 R + 0.587 G + 0.114 B`, rounded to float32.
//!
//! - Formats: PNG, JPEG, GIF, BMP, WebP, TIFF (the `image` crate's decoders;
//!   GIF through the `gif` crate directly, to lay out palette indices as
//!   Pillow does).
//! - Alpha is dropped, never composited onto a background: a transparent
//!   pixel hashes as the colour stored under it.
//! - Palette pictures are expanded through their palette. In a GIF,
//!   transparent pixels and the canvas outside the first frame take the
//!   palette colour of the transparent index (else of index 0).
//! - Grey (1-, 2-, 4-, 8-bit) is repeated into R, G and B.
//! - 16-bit colour (and grey+alpha) keeps the high byte of each sample, as
//!   Pillow does. 16-bit grey is clipped at 255 (Pillow opens it as `I;16`,
//!   whose conversion to RGB clips rather than scales): such a picture
//!   hashes almost white. That is Pillow's behaviour, kept for
//!   comparability.
//! - JPEG is decoded by `zune-jpeg`, not Pillow's libjpeg-turbo; CMYK and
//!   YCbCr are converted by it too. IDCT and upsampling can round
//!   differently: 33 of the corpus's 37 JPEGs hash identically to the
//!   reference, the others within 6 bits (flat, low-quality pictures
//!   move most), far inside the 31-bit match threshold. Lossless formats
//!   match exactly, as do their quality scores.
//! - EXIF orientation is **not** applied: a photo stored rotated with an
//!   orientation tag hashes as stored, like the reference tools. Its
//!   rotated views are covered by the dihedral hashes.
//! - Animated GIF, PNG (APNG) and WebP: the first frame only (for APNG the
//!   default image, as Pillow's frame 0).
//! - Colour profiles (ICC, gAMA) are ignored.

pub mod budget;
pub mod decode;
pub mod index;
pub mod pdq;

pub use decode::{DecodeError, DecodeLimits, decode_rgb8};
pub use index::DEFAULT_THRESHOLD;

/// Lowest quality (of the picture and of the list entry) matched by
/// default: Meta's recommendation; below it a picture is too featureless
/// (flat colour, a gradient) for its hash to tell pictures apart.
pub const MIN_QUALITY: u8 = 50;
pub use pdq::{
    Dihedral, DihedralHashes, HashAndQuality, PdqHash, dihedral_luma, dihedral_rgb8, hash_luma,
    hash_rgb8,
};

/// A picture's perceptual hash, or why it has none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Perceptual {
    /// Meta's PDQ: 256 bits (in the reference's byte order) and its
    /// quality, 0–100 (below 50, too featureless to match on).
    Pdq {
        /// The hash.
        hash: [u8; 32],
        /// Its quality.
        quality: u8,
        /// The hashes of its seven other dihedral views (rotated by 90,
        /// 180, 270 degrees, mirrored four ways; [`Dihedral::ALL`] order
        /// after the original), from the same DCT: matched too, so that a
        /// rotated or mirrored copy of a listed picture is found.
        views: Box<[[u8; 32]; 7]>,
        /// What the examiner should know about the pixels hashed (a JPEG
        /// that ends before its end marker: hashed as far as it decodes).
        note: Option<String>,
    },
    /// A picture that could not be hashed: why (not decodable, a limit).
    NotHashed(String),
}

impl Perceptual {
    /// The PDQ hash of a picture's bytes, or why there is none.
    pub fn of_image(bytes: &[u8]) -> Perceptual {
        match pdq_dihedral_of_image(bytes) {
            Ok(d) => {
                let [first, rest @ ..] = d.hashes;
                Perceptual::Pdq {
                    hash: first.bits,
                    quality: d.quality,
                    views: Box::new(rest.map(|h| h.bits)),
                    note: truncated_jpeg(bytes).then(|| {
                        "JPEG ends before its end marker (truncated?): hashed as far as it \
                         decodes, the rest filled in by the decoder"
                            .to_string()
                    }),
                }
            }
            Err(why) => Perceptual::NotHashed(why),
        }
    }

    /// The picture's hash and its other dihedral views, original first
    /// (empty for no hash).
    pub fn all_views(&self) -> Vec<[u8; 32]> {
        match self {
            Perceptual::Pdq { hash, views, .. } => std::iter::once(*hash)
                .chain(views.iter().copied())
                .collect(),
            Perceptual::NotHashed(_) => Vec::new(),
        }
    }
}

/// True for a JPEG with no end-of-image marker after its first scan: cut
/// short (a carved or partly copied file), which decoders fill in rather
/// than refuse. Trailing bytes after the marker (common) do not count.
pub fn truncated_jpeg(bytes: &[u8]) -> bool {
    if !bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return false;
    }
    // The first scan of the picture itself: segments are stepped over by
    // their lengths (an Exif thumbnail inside APP1 has its own markers).
    let mut at = 2usize;
    let sos = loop {
        match (bytes.get(at), bytes.get(at + 1)) {
            (Some(0xFF), Some(0xFF)) => at += 1,
            (Some(0xFF), Some(0xDA)) => break at,
            (Some(0xFF), Some(_)) => {
                let len = match bytes.get(at + 2..at + 4) {
                    Some(&[hi, lo]) => usize::from(u16::from_be_bytes([hi, lo])),
                    _ => return true,
                };
                at += 2 + len;
            }
            _ => return true,
        }
    };
    // Whole files end with the marker, or have it shortly before trailing
    // bytes: looked for from the end.
    let ended = bytes.ends_with(&[0xFF, 0xD9])
        || bytes
            .get(sos..)
            .unwrap_or_default()
            .windows(2)
            .rev()
            .any(|w| w == [0xFF, 0xD9]);
    !ended
}

/// MIME types of the still pictures decoded for a PDQ hash.
const DECODED: &[&str] = &[
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/bmp",
    "image/webp",
    "image/tiff",
];

/// Whether a file or member so classified gets a PDQ hash: `None` for no
/// picture, `Some(None)` for a picture that is decoded, `Some(Some(why))`
/// (recorded) for a picture type that is not.
pub fn picture(class: &crate::classify::Classification) -> Option<Option<Perceptual>> {
    if class.media != crate::classify::MediaKind::Image {
        return None;
    }
    if DECODED.contains(&class.mime) {
        Some(None)
    } else {
        Some(Some(Perceptual::NotHashed(format!(
            "{} is not decoded for a perceptual hash",
            class.mime
        ))))
    }
}

/// Largest picture a scan decodes for its PDQ hash, in bytes.
pub const MAX_INPUT: usize = 64 << 20;

/// The limits a scan decodes pictures under: tighter than the defaults,
/// since every hashing thread may hold one picture (50 MP, 512 MiB of
/// decoder memory, then about 400 MiB of the hasher's float buffers).
pub fn scan_limits() -> DecodeLimits {
    DecodeLimits {
        max_input_bytes: MAX_INPUT,
        max_pixels: 50_000_000,
        max_alloc: 512 << 20,
    }
}

/// The PDQ hash and quality of a picture's bytes, decoded under
/// [`scan_limits`]; or why there is none (not decodable, over a limit).
///
/// A JPEG of more than [`FAST_ABOVE`] pixels is decoded DCT-scaled (by 1/2
/// to 1/8, its shorter side kept at [`FAST_MIN_SIDE`] or more): a full
/// decode of a 12 MP photo costs about 40 times its SHA-256, while the
/// hash itself is made from 64 x 64 samples. The hash moves by a few bits
/// from the full decode's (measured in the tests), far inside the match
/// threshold. Anything the scaled decoder cannot read goes the full way.
pub fn pdq_of_image(bytes: &[u8]) -> Result<HashAndQuality, String> {
    let d = pdq_dihedral_of_image(bytes)?;
    Ok(HashAndQuality {
        hash: d.get(Dihedral::Original),
        quality: d.quality,
    })
}

/// [`pdq_of_image`] with the hashes of the picture's eight dihedral views
/// (from one DCT: the seven others cost almost nothing more).
pub fn pdq_dihedral_of_image(bytes: &[u8]) -> Result<DihedralHashes, String> {
    let limits = scan_limits();
    decode::check_jpeg_scans(bytes).map_err(|e| e.to_string())?;
    // Held until the hash is made: all threads' decodes share one budget.
    let _memory = budget::DECODES.reserve(budget::estimate(bytes));
    let (w, h, rgb) = match jpeg_scaled(bytes, &limits) {
        Some(decoded) => decoded?,
        None => decode_rgb8(bytes, &limits).map_err(|e| e.to_string())?,
    };
    dihedral_rgb8(w, h, &rgb).ok_or_else(|| format!("a {w}x{h} picture cannot be hashed"))
}

/// A decoded picture: width, height, RGB bytes.
pub type Rgb8 = (u32, u32, Vec<u8>);

/// JPEGs with more pixels than this are decoded scaled for their hash.
pub const FAST_ABOVE: u64 = 2_000_000;
/// The shorter side a scaled JPEG decode keeps at least.
pub const FAST_MIN_SIDE: u32 = 512;

/// A large JPEG decoded DCT-scaled to RGB; `None` when the picture is no
/// large JPEG, or one the scaled decoder does not take (CMYK, 16-bit, a
/// damaged header): the full decoder reads it instead.
pub fn jpeg_scaled(bytes: &[u8], limits: &DecodeLimits) -> Option<Result<Rgb8, String>> {
    jpeg_scaled_to(bytes, limits, FAST_MIN_SIDE, FAST_ABOVE)
}

/// A JPEG of more than `above` pixels decoded DCT-scaled (by 1/2 to 1/8)
/// to RGB, the shorter side kept at `min_side` or more (the gallery's
/// thumbnails and PDQ share it); `None` as for [`jpeg_scaled`].
pub fn jpeg_scaled_to(
    bytes: &[u8],
    limits: &DecodeLimits,
    min_side: u32,
    above: u64,
) -> Option<Result<Rgb8, String>> {
    use jpeg_decoder::PixelFormat;
    if !bytes.starts_with(&[0xff, 0xd8, 0xff]) || bytes.len() > limits.max_input_bytes {
        return None;
    }
    let mut d = jpeg_decoder::Decoder::new(std::io::Cursor::new(bytes));
    d.set_max_decoding_buffer_size(usize::try_from(limits.max_alloc).unwrap_or(usize::MAX));
    d.read_info().ok()?;
    let info = d.info()?;
    let (w, h) = (u32::from(info.width), u32::from(info.height));
    let pixels = u64::from(w) * u64::from(h);
    if pixels <= above || !matches!(info.pixel_format, PixelFormat::RGB24 | PixelFormat::L8) {
        return None;
    }
    if pixels > limits.max_pixels {
        return Some(Err(format!(
            "{w}x{h} pixels: more than the {} decoded",
            limits.max_pixels
        )));
    }
    // A progressive JPEG keeps every coefficient of the full picture while
    // its scans arrive (64 x 2 bytes a block and component), whatever the
    // scale: a 3 KB file can claim 12000x12000 pixels and 860 MB. The
    // decoder's buffer limit does not cover these buffers; this does.
    if info.coding_process == jpeg_decoder::CodingProcess::DctProgressive {
        let components: u64 = if info.pixel_format == PixelFormat::L8 {
            1
        } else {
            3
        };
        let blocks = u64::from(w.div_ceil(8)) * u64::from(h.div_ceil(8));
        let need = blocks.saturating_mul(components * 128);
        if need > limits.max_alloc {
            return Some(Err(format!(
                "progressive {w}x{h}: its coefficients need {} MiB, more than the {} MiB allowed",
                need >> 20,
                limits.max_alloc >> 20
            )));
        }
    }
    // The smallest scale that keeps the shorter side at `min_side`.
    let short = w.min(h).max(1);
    let want = |side: u32| {
        u16::try_from((u64::from(side) * u64::from(min_side)).div_ceil(u64::from(short)))
            .unwrap_or(u16::MAX)
    };
    let (sw, sh) = d.scale(want(w), want(h)).ok()?;
    // A decoder is untrusted code on hostile input: a panic is a refusal.
    let decoded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| d.decode()));
    let data = match decoded {
        Ok(Ok(data)) => data,
        Ok(Err(_)) | Err(_) => return None,
    };
    let (sw, sh) = (u32::from(sw), u32::from(sh));
    let expected = usize::try_from(u64::from(sw) * u64::from(sh)).ok()?;
    let rgb = match info.pixel_format {
        PixelFormat::RGB24 if data.len() == expected * 3 => data,
        PixelFormat::L8 if data.len() == expected => data.iter().flat_map(|&v| [v, v, v]).collect(),
        _ => return None,
    };
    Some(Ok((sw, sh, rgb)))
}

#[cfg(test)]
mod tests;
