//! Classification by signature (magic bytes), media kind, and extension
//! mismatch.
//!
//! Signatures come from the `infer` crate, chosen over `file-format` by
//! running both over `../shared/corpus/signatures/` against libmagic 5.44
//! (`examples/classify_compare.rs`, 119 samples, first 16 KiB only):
//! infer agreed on 78 (65.5%); file-format on 72 (60.5%) by signature alone.
//! file-format's deep readers raise it to 83 (69.7%) but need the whole file:
//! on a 16 KiB header they fail and return "unknown binary" for every large
//! ZIP or MP4, so they are unusable in a read-once pipeline.
//!
//! A mismatch is flagged when content and name disagree in a way an examiner
//! cares about: a signature type under a foreign extension (a JPEG named
//! `.dll`, a ZIP named `.jpg`), an image or video with no extension at all, or
//! a name that claims a signature type whose signature is absent.
// Data read from evidence, a case file or a report folder never indexes
// unchecked and never unwraps: a hostile input is an error, not a panic.
#![deny(clippy::indexing_slicing, clippy::unwrap_used)]

mod extensions;

use std::path::Path;

use infer::{MatcherType, Type};

/// Coarse media kind, for filters and ordering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    /// Raster or vector images.
    Image,
    /// Video.
    Video,
    /// Audio.
    Audio,
    /// Archives, compressed streams, disk images, packages.
    Archive,
    /// Documents, spreadsheets, presentations, e-books.
    Document,
    /// Executables and libraries.
    Executable,
    /// Databases (SQLite, …).
    Database,
    /// Text.
    Text,
    /// No signature, and the bytes look random: encrypted or compressed.
    HighEntropy,
    /// Recognised, but none of the kinds above (fonts, models, …).
    Other,
    /// No signature and not text.
    Unknown,
    /// Empty file.
    Empty,
}

impl MediaKind {
    /// Stable lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaKind::Image => "image",
            MediaKind::Video => "video",
            MediaKind::Audio => "audio",
            MediaKind::Archive => "archive",
            MediaKind::Document => "document",
            MediaKind::Executable => "executable",
            MediaKind::Database => "database",
            MediaKind::Text => "text",
            MediaKind::HighEntropy => "high_entropy",
            MediaKind::Other => "other",
            MediaKind::Unknown => "unknown",
            MediaKind::Empty => "empty",
        }
    }
}

/// What a file is, judged from its first bytes and its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Classification {
    /// MIME type of the matched signature (`text/plain`,
    /// `application/octet-stream` or `application/x-empty` when none matched).
    pub mime: &'static str,
    /// The usual extension of the detected type, if a signature matched.
    pub typical_ext: Option<&'static str>,
    /// Coarse kind.
    pub media: MediaKind,
    /// Content and extension disagree (see module docs).
    pub mismatch: bool,
}

fn media_of(t: &Type) -> MediaKind {
    match (t.matcher_type(), t.mime_type()) {
        (_, "application/vnd.sqlite3" | "application/x-sqlite3") => MediaKind::Database,
        (MatcherType::Image, _) => MediaKind::Image,
        (MatcherType::Video, _) => MediaKind::Video,
        (MatcherType::Audio, _) => MediaKind::Audio,
        (MatcherType::Archive, _) => MediaKind::Archive,
        (MatcherType::Doc | MatcherType::Book, _) => MediaKind::Document,
        (MatcherType::App, _) => MediaKind::Executable,
        (MatcherType::Text, _) => MediaKind::Text,
        _ => MediaKind::Other,
    }
}

/// Shannon entropy in bits per byte.
fn entropy(data: &[u8]) -> f64 {
    let mut counts = [0u32; 256];
    for &b in data {
        // A byte indexes a 256-entry table: always in range.
        #[allow(clippy::indexing_slicing)]
        {
            counts[usize::from(b)] += 1;
        }
    }
    let n = data.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

fn looks_like_text(data: &[u8]) -> bool {
    if data.starts_with(&[0xFF, 0xFE]) || data.starts_with(&[0xFE, 0xFF]) {
        return true; // UTF-16 with BOM
    }
    if data.contains(&0) {
        return false;
    }
    // Valid UTF-8, allowing a character cut at the end of the header.
    match std::str::from_utf8(data) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    }
}

/// Above this many bits per byte an unrecognised file is called high-entropy;
/// compressed and encrypted data measure 7.9+ on 16 KiB, text 4–5.
const HIGH_ENTROPY_BITS: f64 = 7.2;

/// Classifies a file from its first bytes (up to 16 KiB) and its name.
pub fn classify(header: &[u8], name: &Path) -> Classification {
    let ext = name
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase());
    if header.is_empty() {
        return Classification {
            mime: "application/x-empty",
            typical_ext: None,
            media: MediaKind::Empty,
            mismatch: false,
        };
    }
    if let Some(t) = infer::get(header) {
        let media = media_of(&t);
        let typical = t.extension();
        let mismatch = media != MediaKind::Text
            && match &ext {
                Some(e) => !extensions::accepts(typical, e),
                None => matches!(media, MediaKind::Image | MediaKind::Video),
            };
        return Classification {
            mime: t.mime_type(),
            typical_ext: Some(typical),
            media,
            mismatch,
        };
    }
    let media = if looks_like_text(header) {
        MediaKind::Text
    } else if header.len() >= 256 && entropy(header) >= HIGH_ENTROPY_BITS {
        MediaKind::HighEntropy
    } else {
        MediaKind::Unknown
    };
    Classification {
        mime: if media == MediaKind::Text {
            "text/plain"
        } else {
            "application/octet-stream"
        },
        typical_ext: None,
        media,
        mismatch: ext.as_deref().is_some_and(extensions::claims_signature),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JPEG: &[u8] = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00";
    const ZIP: &[u8] = b"PK\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00";

    #[test]
    fn flags_renamed_files() {
        let c = classify(JPEG, Path::new("a/holiday.JPG"));
        assert_eq!((c.media, c.mismatch), (MediaKind::Image, false));
        assert_eq!(c.mime, "image/jpeg");
        assert!(!classify(JPEG, Path::new("x.jpeg")).mismatch);
        assert!(classify(JPEG, Path::new("system32/kernel.dll")).mismatch);
        assert!(classify(JPEG, Path::new("noext")).mismatch);
        assert!(classify(ZIP, Path::new("photo.jpg")).mismatch);
        assert!(!classify(ZIP, Path::new("report.docx")).mismatch);
        assert!(classify(b"just some text\n", Path::new("fake.png")).mismatch);
        assert!(!classify(b"just some text\n", Path::new("notes.txt")).mismatch);
        assert!(!classify(b"#!/bin/sh\necho hi\n", Path::new("run")).mismatch);
    }

    #[test]
    fn kinds_for_unrecognised_content() {
        assert_eq!(classify(b"", Path::new("e.jpg")).media, MediaKind::Empty);
        assert!(!classify(b"", Path::new("e.jpg")).mismatch);
        assert_eq!(
            classify("héllo".as_bytes(), Path::new("t")).media,
            MediaKind::Text
        );
        let mut x = 0x1234_5678u32;
        let noise: Vec<u8> = (0..4096)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        assert_eq!(
            classify(&noise, Path::new("blob")).media,
            MediaKind::HighEntropy
        );
        assert_eq!(
            classify(&[1, 0, 2, 0, 0, 0], Path::new("b")).media,
            MediaKind::Unknown
        );
    }
}
