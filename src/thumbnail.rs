//! Safe thumbnails of evidence images: decoded with hard limits, downscaled,
//! then made greyscale and blurred, so that what an examiner (or a report
//! reader) sees by default is a shape, not a picture. Nothing here writes to
//! disk. Used by report exports (`--thumbnails`) and, later, the GUI preview.

use std::io::Cursor;

use image::{DynamicImage, ImageReader, Limits};

/// Largest input accepted (bytes).
pub const MAX_INPUT: usize = 64 << 20;
/// Largest decoded image accepted (pixels per side).
pub const MAX_SIDE: u32 = 12_000;
/// Decoder memory cap (bytes).
pub const MAX_ALLOC: u64 = 256 << 20;
/// Smallest Gaussian sigma of the default blur (160 px: faces and text unreadable).
pub const BLUR_SIGMA: f32 = 4.0;

/// Why no thumbnail could be made ("cannot preview").
#[derive(Debug, thiserror::Error)]
pub enum ThumbnailError {
    /// Larger than [`MAX_INPUT`].
    #[error("image too large to preview ({0} bytes)")]
    TooLarge(usize),
    /// Not an image format Ferret decodes, or corrupt.
    #[error("not decodable: {0}")]
    Decode(String),
}

/// Decodes `bytes` under the limits and returns the downscaled image, in
/// colour (for an examiner's deliberate reveal) — callers show
/// [`safe_view`] by default.
pub fn decode_downscaled(bytes: &[u8], max_side: u32) -> Result<DynamicImage, ThumbnailError> {
    if bytes.len() > MAX_INPUT {
        return Err(ThumbnailError::TooLarge(bytes.len()));
    }
    // A large JPEG is decoded DCT-scaled to about the size asked (a 3 MP
    // photo's thumbnail in a third of the time), under the same limits.
    let limits = crate::perceptual::DecodeLimits {
        max_input_bytes: MAX_INPUT,
        max_pixels: u64::from(MAX_SIDE) * u64::from(MAX_SIDE),
        max_alloc: MAX_ALLOC,
    };
    let pixels_above = 4 * u64::from(max_side) * u64::from(max_side);
    match crate::perceptual::jpeg_scaled_to(bytes, &limits, max_side, pixels_above) {
        Some(Ok((w, h, rgb))) => {
            if let Some(img) = image::RgbImage::from_raw(w, h, rgb) {
                return Ok(DynamicImage::ImageRgb8(img).thumbnail(max_side, max_side));
            }
        }
        Some(Err(why)) => return Err(ThumbnailError::Decode(why)),
        None => {}
    }
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| ThumbnailError::Decode(e.to_string()))?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    // Decoders are untrusted code paths on hostile input: a panic inside one
    // is a "cannot preview", never a crash.
    let decoded = std::panic::catch_unwind(move || reader.decode())
        .map_err(|_| ThumbnailError::Decode("decoder failed".into()))?
        .map_err(|e| ThumbnailError::Decode(e.to_string()))?;
    Ok(decoded.thumbnail(max_side, max_side))
}

/// The default, safe view: greyscale and blurred. The blur grows with the
/// image (sigma = longest side / 40, at least [`BLUR_SIGMA`]) so a 512-px
/// preview is as unreadable as a 160-px thumbnail.
pub fn safe_view(img: &DynamicImage) -> DynamicImage {
    let sigma = (img.width().max(img.height()) as f32 / 40.0).max(BLUR_SIGMA);
    DynamicImage::ImageLuma8(image::imageops::blur(&img.to_luma8(), sigma))
}

/// A safe thumbnail as a PNG `data:` URI (for self-contained HTML).
pub fn safe_data_uri(bytes: &[u8], max_side: u32) -> Result<String, ThumbnailError> {
    use base64::Engine as _;
    let view = safe_view(&decode_downscaled(bytes, max_side)?);
    let mut png = Vec::new();
    view.write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|e| ThumbnailError::Decode(e.to_string()))?;
    Ok(format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(&png)
    ))
}
