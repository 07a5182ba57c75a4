//! Hostile input never panics: arbitrary and damaged bytes to the decoder,
//! arbitrary sizes and pixels to the hasher.

use proptest::prelude::*;

use super::super::*;
use super::{encoded, small_limits};

fn formats() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(encoded(image::ImageFormat::Png)),
        Just(encoded(image::ImageFormat::Gif)),
        Just(encoded(image::ImageFormat::Bmp)),
        Just(encoded(image::ImageFormat::Jpeg)),
        Just(encoded(image::ImageFormat::Tiff)),
        Just(encoded(image::ImageFormat::WebP)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = decode_rgb8(&bytes, &small_limits());
    }

    #[test]
    fn damaged_pictures_never_panic(
        original in formats(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = original;
        for (at, value) in edits {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        let keep = cut.index(bytes.len() + 1).max(bytes.len() / 2);
        bytes.truncate(keep);
        if let Ok((w, h, rgb)) = decode_rgb8(&bytes, &small_limits()) {
            prop_assert_eq!(rgb.len() as u64, u64::from(w) * u64::from(h) * 3);
            prop_assert!(hash_rgb8(w, h, &rgb).is_some());
        }
    }

    #[test]
    fn arbitrary_pixels_never_panic(
        w in 0u32..40,
        h in 0u32..40,
        pixels in proptest::collection::vec(any::<u8>(), 0..40 * 40 * 3),
    ) {
        let fits = pixels.len() as u64 == u64::from(w) * u64::from(h) * 3;
        prop_assert_eq!(hash_rgb8(w, h, &pixels).is_some(), fits && w > 0 && h > 0);
        prop_assert_eq!(dihedral_rgb8(w, h, &pixels).is_some(), fits && w > 0 && h > 0);
        let exact = (w as usize) * (h as usize) * 3;
        if w > 0 && h > 0 && pixels.len() >= exact {
            prop_assert!(hash_rgb8(w, h, &pixels[..exact]).is_some());
        }
    }

    #[test]
    fn arbitrary_luma_never_panics(
        w in 1u32..20,
        h in 1u32..20,
        seed in proptest::collection::vec(any::<f32>(), 400),
    ) {
        let luma = &seed[..(w * h) as usize];
        // Finite but huge values may overflow to a median that never
        // converges: then `None`, never a hang or a panic.
        if !luma.iter().all(|v| v.is_finite()) {
            prop_assert!(hash_luma(w, h, luma).is_none());
        } else {
            let _ = hash_luma(w, h, luma);
            let _ = dihedral_luma(w, h, luma);
        }
    }
}
