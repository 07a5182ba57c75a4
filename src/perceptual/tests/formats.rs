//! Decoding rules per format, checked on synthetic files whose expected
//! hashes come from Pillow + the C++ reference.

use super::super::*;
use super::{encoded, small_limits, synthetic};

#[test]
fn decode_limits_are_enforced() {
    let png = encoded(image::ImageFormat::Png);
    let limits = DecodeLimits {
        max_input_bytes: png.len() - 1,
        ..small_limits()
    };
    assert!(matches!(
        decode_rgb8(&png, &limits),
        Err(DecodeError::InputTooLarge { .. })
    ));
    let limits = DecodeLimits {
        max_pixels: 23 * 17 - 1,
        ..small_limits()
    };
    assert!(matches!(
        decode_rgb8(&png, &limits),
        Err(DecodeError::TooManyPixels { .. })
    ));
    assert_eq!(
        decode_rgb8(b"plain text", &small_limits()),
        Err(DecodeError::UnknownFormat)
    );
    let (w, h, rgb) = decode_rgb8(&png, &small_limits()).unwrap();
    assert_eq!((w, h, rgb), (23, 17, synthetic(23, 17)));
}

/// A 16-colour palette, none of it grey.
fn palette(colours: usize) -> Vec<u8> {
    (0..colours)
        .flat_map(|i| {
            let i = i as u8;
            [
                i.wrapping_mul(61).wrapping_add(7),
                i.wrapping_mul(23).wrapping_add(90),
                255 - i * 9,
            ]
        })
        .collect()
}

/// Palette indices from the synthetic picture's red channel.
fn indices(width: u32, height: u32, levels: u8) -> Vec<u8> {
    let rgb = synthetic(width, height);
    rgb.chunks_exact(3)
        .map(|p| p[0] / (256 / u16::from(levels)) as u8)
        .collect()
}

struct GifFrame {
    left: u16,
    top: u16,
    width: u16,
    height: u16,
    transparent: Option<u8>,
    local: Option<Vec<u8>>,
    levels: u8,
}

fn gif(screen: (u16, u16), global: &[u8], frames: &[GifFrame]) -> Vec<u8> {
    let mut bytes = Vec::new();
    {
        let mut encoder = gif::Encoder::new(&mut bytes, screen.0, screen.1, global).unwrap();
        for f in frames {
            let buffer = indices(u32::from(f.width), u32::from(f.height), f.levels);
            let frame = gif::Frame {
                left: f.left,
                top: f.top,
                width: f.width,
                height: f.height,
                transparent: f.transparent,
                palette: f.local.clone(),
                buffer: buffer.into(),
                ..gif::Frame::default()
            };
            encoder.write_frame(&frame).unwrap();
        }
    }
    bytes
}

/// The encoder insists on a palette: drop the global one from its output
/// (the flag in the screen descriptor, then the table after it).
fn without_global_palette(mut bytes: Vec<u8>) -> Vec<u8> {
    let packed = bytes[10];
    assert!(packed & 0x80 != 0);
    let table = 3 << ((packed & 7) + 1);
    bytes[10] = packed & !0x87;
    bytes.drain(13..13 + table);
    bytes
}

fn write(image: image::DynamicImage, format: image::ImageFormat) -> Vec<u8> {
    let mut bytes = Vec::new();
    image
        .write_to(&mut std::io::Cursor::new(&mut bytes), format)
        .unwrap();
    bytes
}

/// Synthetic files of every decoded format and sample layout; the names
/// say what each exercises.
fn synthetic_files() -> Vec<(&'static str, Vec<u8>)> {
    use image::{DynamicImage as D, ImageBuffer, ImageFormat as F};
    let (w, h) = (96u32, 80u32);
    let rgb = synthetic(w, h);
    let pixel = |x: u32, y: u32| {
        let i = ((y * w + x) * 3) as usize;
        [rgb[i], rgb[i + 1], rgb[i + 2]]
    };
    // Low bytes that would round the other way: high byte vs. scaling.
    let wide = |v: u8, x: u32, y: u32| u16::from(v) << 8 | ((x * 37 + y * 11) % 256) as u16;
    let alpha = |x: u32, y: u32| ((x * 5 + y * 3) % 256) as u8;
    let rgb8 = ImageBuffer::from_fn(w, h, |x, y| image::Rgb(pixel(x, y)));
    let rgba8 = ImageBuffer::from_fn(w, h, |x, y| {
        let [r, g, b] = pixel(x, y);
        image::Rgba([r, g, b, alpha(x, y)])
    });
    let luma8 = ImageBuffer::from_fn(w, h, |x, y| image::Luma([pixel(x, y)[0]]));
    // Half the squares in 0..=255, half far above: Pillow clips the latter.
    let grey16 = ImageBuffer::from_fn(w, h, |x, y| {
        let v = u16::from(pixel(x, y)[0]);
        image::Luma([if (x / 8 + y / 8) % 2 == 0 { v } else { v * 257 }])
    });
    let rgb16 = ImageBuffer::from_fn(w, h, |x, y| {
        let [r, g, b] = pixel(x, y);
        image::Rgb([wide(r, x, y), wide(g, x, y), wide(b, x, y)])
    });
    let rgba16 = ImageBuffer::from_fn(w, h, |x, y| {
        let [r, g, b] = pixel(x, y);
        image::Rgba([
            wide(r, x, y),
            wide(g, x, y),
            wide(b, x, y),
            wide(alpha(x, y), y, x),
        ])
    });
    let la16 = ImageBuffer::from_fn(w, h, |x, y| {
        image::LumaA([wide(pixel(x, y)[1], x, y), wide(alpha(x, y), y, x)])
    });
    let frame = |left, top, width, height, transparent, local, levels| GifFrame {
        left,
        top,
        width,
        height,
        transparent,
        local,
        levels,
    };
    let grey_ramp: Vec<u8> = (0..16u8).flat_map(|i| [i; 3]).collect();
    vec![
        ("rgb8.png", write(D::ImageRgb8(rgb8.clone()), F::Png)),
        ("rgba8.png", write(D::ImageRgba8(rgba8.clone()), F::Png)),
        ("grey16.png", write(D::ImageLuma16(grey16.clone()), F::Png)),
        ("rgb16.png", write(D::ImageRgb16(rgb16.clone()), F::Png)),
        ("rgba16.png", write(D::ImageRgba16(rgba16), F::Png)),
        ("la16.png", write(D::ImageLumaA16(la16), F::Png)),
        ("rgb8.bmp", write(D::ImageRgb8(rgb8.clone()), F::Bmp)),
        ("rgba8.bmp", write(D::ImageRgba8(rgba8.clone()), F::Bmp)),
        ("grey8.bmp", write(D::ImageLuma8(luma8.clone()), F::Bmp)),
        ("rgb8.tiff", write(D::ImageRgb8(rgb8), F::Tiff)),
        ("grey8.tiff", write(D::ImageLuma8(luma8), F::Tiff)),
        ("grey16.tiff", write(D::ImageLuma16(grey16), F::Tiff)),
        ("rgb16.tiff", write(D::ImageRgb16(rgb16), F::Tiff)),
        ("rgba8-lossless.webp", write(D::ImageRgba8(rgba8), F::WebP)),
        (
            "transparent-offset-animated.gif",
            gif(
                (120, 90),
                &palette(16),
                &[
                    frame(10, 6, 100, 80, Some(3), None, 16),
                    frame(0, 0, 120, 90, None, None, 4),
                ],
            ),
        ),
        (
            "local-palette-grown.gif",
            gif(
                (60, 40),
                &palette(16),
                &[frame(20, 10, 80, 60, None, Some(palette(4)), 16)],
            ),
        ),
        (
            "no-palette.gif",
            without_global_palette(gif(
                (90, 70),
                &palette(16),
                &[frame(0, 0, 90, 70, None, None, 16)],
            )),
        ),
        (
            "grey-ramp-palette.gif",
            gif(
                (90, 70),
                &grey_ramp[..12],
                &[frame(0, 0, 90, 70, Some(1), None, 16)],
            ),
        ),
    ]
}

/// Writes the synthetic files to `$PDQ_SYNTHETIC_DIR`, for hashing them
/// with Pillow + `pdqhash` (how [`PILLOW_REFERENCE`] was made).
#[test]
#[ignore = "writes files; run by hand to regenerate the reference"]
fn dump_synthetic_files() {
    let dir = std::env::var("PDQ_SYNTHETIC_DIR").unwrap();
    for (name, bytes) in synthetic_files() {
        std::fs::write(std::path::Path::new(&dir).join(name), bytes).unwrap();
    }
}

/// Hashes of [`synthetic_files`] by `pdqhash` 0.2.8 (the compiled C++
/// reference) on Pillow 13.0.0's `convert("RGB")`, with Pillow's mode.
const PILLOW_REFERENCE: &[(&str, &str, u8)] = &[
    // mode L 90x70: indices as grey; a grey-ramp palette counts as none.
    (
        "grey-ramp-palette.gif",
        "90e1b8f1d846cf24c76186f1a4f37b0c7b0c27193693b8dcd90ed90636de26d3",
        3,
    ),
    // mode I;16: clipped at 255.
    (
        "grey16.png",
        "ce538fffc411877564d3afff1be370009b2c720833ea7088992ed80693de30d3",
        100,
    ),
    (
        "grey16.tiff",
        "ce538fffc411877564d3afff1be370009b2c720833ea7088992ed80693de30d3",
        100,
    ),
    (
        "grey8.bmp",
        "b0f3b8f15924cb21c6f186f184f35b0c3b0c279926d3f8ccd90ed90636de26d3",
        100,
    ),
    (
        "grey8.tiff",
        "b0f3b8f15924cb21c6f186f184f35b0c3b0c279926d3f8ccd90ed90636de26d3",
        100,
    ),
    // mode RGBA: high bytes.
    (
        "la16.png",
        "0f291ab9352b558dd147b4962e1e5a10dc32b0dce7998a74ba8c3d39a3f325ae",
        100,
    ),
    // mode P 100x70: canvas grown to the frame; indices past the
    // 4-colour local palette are black.
    (
        "local-palette-grown.gif",
        "69e3527b9246a634a48fd18fd9b12d9c1c7c536d934b26d358f2c38aa6393c8c",
        100,
    ),
    (
        "no-palette.gif",
        "90e1b8f1d846cf24c76186f1a4f37b0c7b0c27193693b8dcd90ed90636de26d3",
        3,
    ),
    (
        "rgb16.png",
        "0e2918f9352b5585c543b4962e1e5a10dc32b0dce7998a74fa8e3d3fa3f324b3",
        100,
    ),
    (
        "rgb16.tiff",
        "0e2918f9352b5585c543b4962e1e5a10dc32b0dce7998a74fa8e3d3fa3f324b3",
        100,
    ),
    (
        "rgb8.bmp",
        "0e2918f9352b5585c543b4962e1e5a10dc32b0dce7998a74fa8e3d3fa3f324b3",
        100,
    ),
    (
        "rgb8.png",
        "0e2918f9352b5585c543b4962e1e5a10dc32b0dce7998a74fa8e3d3fa3f324b3",
        100,
    ),
    (
        "rgb8.tiff",
        "0e2918f9352b5585c543b4962e1e5a10dc32b0dce7998a74fa8e3d3fa3f324b3",
        100,
    ),
    (
        "rgba16.png",
        "0e2918f9352b5585c543b4962e1e5a10dc32b0dce7998a74fa8e3d3fa3f324b3",
        100,
    ),
    (
        "rgba8-lossless.webp",
        "0e2918f9352b5585c543b4962e1e5a10dc32b0dce7998a74fa8e3d3fa3f324b3",
        100,
    ),
    (
        "rgba8.bmp",
        "0e2918f9352b5585c543b4962e1e5a10dc32b0dce7998a74fa8e3d3fa3f324b3",
        100,
    ),
    (
        "rgba8.png",
        "0e2918f9352b5585c543b4962e1e5a10dc32b0dce7998a74fa8e3d3fa3f324b3",
        100,
    ),
    // mode P 120x90: outside the frame and under its transparent index,
    // the transparent index's colour; the second frame is ignored.
    (
        "transparent-offset-animated.gif",
        "9d4e58f19c70acd812b366ed910ca7528c8d3a0edc0e37f86af1ecb1f123db06",
        100,
    ),
];

#[test]
fn synthetic_files_hash_as_with_pillow() {
    let files = synthetic_files();
    assert_eq!(files.len(), PILLOW_REFERENCE.len());
    let mut failures = Vec::new();
    for (name, bytes) in files {
        let (_, want, quality) = PILLOW_REFERENCE
            .iter()
            .find(|(n, _, _)| *n == name)
            .unwrap();
        let (w, h, rgb) = decode_rgb8(&bytes, &small_limits()).unwrap();
        let got = hash_rgb8(w, h, &rgb).unwrap();
        if got.hash.to_hex() != *want || got.quality != *quality {
            failures.push(format!("{name} {w}x{h}: {} q{}", got.hash, got.quality));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn a_large_jpeg_decoded_scaled_hashes_within_a_few_bits_of_the_full_decode() {
    // Photos of 3 MP and 5 MP at two JPEG qualities: the scaled decode
    // (1/2 here) against the full one, which matches the reference.
    let mut distances = Vec::new();
    for (w, h) in [(2000u32, 1500u32), (2600, 1950)] {
        let rgb = super::synthetic(w, h);
        for quality in [60u8, 92] {
            let mut jpeg = Vec::new();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, quality)
                .encode(&rgb, w, h, image::ExtendedColorType::Rgb8)
                .unwrap();
            let limits = crate::perceptual::scan_limits();
            let (sw, sh, small) = crate::perceptual::jpeg_scaled(&jpeg, &limits)
                .expect("a large JPEG takes the scaled path")
                .unwrap();
            assert!(
                sw.min(sh) >= crate::perceptual::FAST_MIN_SIDE && sw < w,
                "{sw}x{sh}"
            );
            let fast = hash_rgb8(sw, sh, &small).unwrap();
            let (fw, fh, full) = decode_rgb8(&jpeg, &limits).unwrap();
            let full = hash_rgb8(fw, fh, &full).unwrap();
            assert_eq!(crate::perceptual::pdq_of_image(&jpeg).unwrap(), fast);
            distances.push(fast.hash.distance(&full.hash));
        }
    }
    eprintln!("scaled vs full JPEG decode, PDQ distances: {distances:?}");
    assert!(distances.iter().all(|&d| d <= 10), "{distances:?}");
    // A small JPEG is not scaled.
    let rgb = super::synthetic(600, 400);
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
        .encode(&rgb, 600, 400, image::ExtendedColorType::Rgb8)
        .unwrap();
    assert!(crate::perceptual::jpeg_scaled(&jpeg, &crate::perceptual::scan_limits()).is_none());
}

/// A progressive JPEG of too many scans is refused with its count, before
/// any decoding (a few hundred KB of repeated scans took minutes); a
/// progressive one of ordinary length and any baseline one pass.
#[test]
fn progressive_jpegs_of_too_many_scans_are_refused() {
    use crate::perceptual::decode::{DecodeError, MAX_JPEG_SCANS, check_jpeg_scans};
    let file = |frame: u8, scans: usize| {
        let mut b = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0, 0xFF, frame, 0, 3, 8];
        for _ in 0..scans {
            // A scan marker, then entropy data with a stuffed 0xFF00 and a
            // restart marker, neither of which is a scan.
            b.extend_from_slice(&[0xFF, 0xDA, 0, 2, 0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0]);
        }
        b.extend_from_slice(&[0xFF, 0xD9]);
        b
    };
    assert_eq!(check_jpeg_scans(&file(0xC2, MAX_JPEG_SCANS)), Ok(()));
    assert_eq!(
        check_jpeg_scans(&file(0xC2, 1000)),
        Err(DecodeError::TooManyScans {
            scans: MAX_JPEG_SCANS + 1,
            limit: MAX_JPEG_SCANS
        })
    );
    // Baseline: scans are not counted (one frame, one scan per component).
    assert_eq!(check_jpeg_scans(&file(0xC0, 1000)), Ok(()));
    let why = crate::perceptual::pdq_of_image(&file(0xC2, 1000)).unwrap_err();
    assert!(why.contains("over the 100-scan limit"), "{why}");
}

/// A JPEG cut short is hashed as far as it decodes, with a note saying
/// so; a whole one, with or without bytes after its end marker, has none.
#[test]
fn a_truncated_jpeg_is_hashed_with_a_note() {
    use crate::perceptual::{Perceptual, truncated_jpeg};
    let image = image::RgbImage::from_raw(256, 192, synthetic(256, 192)).unwrap();
    let mut whole = Vec::new();
    image
        .write_to(
            &mut std::io::Cursor::new(&mut whole),
            image::ImageFormat::Jpeg,
        )
        .unwrap();
    let mut trailing = whole.clone();
    trailing.extend_from_slice(b"trailing bytes after the end marker");
    let cut = &whole[..whole.len() * 3 / 4];
    assert!(!truncated_jpeg(&whole));
    assert!(!truncated_jpeg(&trailing));
    assert!(truncated_jpeg(cut));
    match Perceptual::of_image(&whole) {
        Perceptual::Pdq { note, .. } => assert_eq!(note, None),
        other => panic!("{other:?}"),
    }
    match Perceptual::of_image(cut) {
        Perceptual::Pdq { note, .. } => {
            assert!(note.unwrap().contains("ends before its end marker"))
        }
        // A decoder that refuses it says why: also never silent.
        Perceptual::NotHashed(why) => assert!(!why.is_empty()),
    }
}
