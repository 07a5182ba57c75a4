//! Every name legible: the platform's fonts for the scripts egui's own
//! fonts lack (CJK, Arabic, Hebrew, Devanagari, Thai, more emoji), loaded
//! as fallbacks at start from the platform's font folders (nothing
//! bundled), and a character no loaded font has shown as its code point
//! (`U+65E5`), never as an empty box.
//!
//! Direction controls (U+202E and the like) never reach the screen: names
//! are escaped before they are shown (`pathfmt::display_safe`), and egui
//! lays text out in logical order, so a right-to-left name cannot reorder
//! itself to hide its real extension.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use eframe::egui;

/// Fallback fonts, by file name, in the order they are tried for a glyph:
/// for each script the usual font of Debian/Ubuntu, Windows and macOS.
const FALLBACKS: &[&str] = &[
    // Chinese, Japanese, Korean.
    "NotoSansCJK-Regular.ttc",
    "NotoSansCJKjp-Regular.otf",
    "DroidSansFallbackFull.ttf",
    "DroidSansFallback.ttf",
    "msyh.ttc",
    "YuGothM.ttc",
    "malgun.ttf",
    "Hiragino Sans GB.ttc",
    "AppleSDGothicNeo.ttc",
    // Arabic, Hebrew, Greek, Armenian, Georgian.
    "DejaVuSans.ttf",
    "NotoSansArabic-Regular.ttf",
    "NotoSansHebrew-Regular.ttf",
    "segoeui.ttf",
    "GeezaPro.ttc",
    // Devanagari and other Indic scripts, Thai.
    "NotoSansDevanagari-Regular.ttf",
    "NotoSansThai-Regular.ttf",
    "Nirmala.ttc",
    "Nirmala.ttf",
    "LeelawUI.ttf",
    "Kohinoor.ttc",
    "Thonburi.ttc",
    // Emoji (monochrome outlines; egui draws no colour bitmaps).
    "NotoEmoji-Regular.ttf",
    "seguiemj.ttf",
    "Symbola.ttf",
    "Apple Symbols.ttf",
];

/// Largest font file loaded (a CJK collection is about 20 MiB).
const MAX_FONT_BYTES: u64 = 40 << 20;
/// Most bytes of fonts loaded in all.
const MAX_TOTAL_BYTES: u64 = 96 << 20;
/// Most folder entries looked at while searching.
const MAX_ENTRIES: usize = 50_000;

/// The platform's font folders.
pub fn platform_font_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    if cfg!(windows) {
        let windir = std::env::var_os("WINDIR").unwrap_or_else(|| "C:\\Windows".into());
        dirs.push(PathBuf::from(windir).join("Fonts"));
        if let Some(local) = std::env::var_os("LOCALAPPDATA") {
            dirs.push(PathBuf::from(local).join("Microsoft\\Windows\\Fonts"));
        }
    } else if cfg!(target_os = "macos") {
        dirs.extend(
            [
                "/System/Library/Fonts",
                "/System/Library/Fonts/Supplemental",
                "/Library/Fonts",
            ]
            .map(PathBuf::from),
        );
    } else {
        dirs.extend(["/usr/share/fonts", "/usr/local/share/fonts"].map(PathBuf::from));
        if let Some(home) = std::env::var_os("HOME") {
            let home = PathBuf::from(home);
            dirs.push(home.join(".local/share/fonts"));
            dirs.push(home.join(".fonts"));
        }
    }
    dirs
}

/// Every file under `dirs` whose name is one of [`FALLBACKS`] (the first
/// found of each name), in [`FALLBACKS`] order.
pub fn find_fallbacks(dirs: &[PathBuf]) -> Vec<PathBuf> {
    let mut found: Vec<Option<PathBuf>> = vec![None; FALLBACKS.len()];
    let mut seen = 0usize;
    let mut stack: Vec<(PathBuf, u32)> = dirs.iter().map(|d| (d.clone(), 0)).collect();
    while let Some((dir, depth)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            seen += 1;
            if seen > MAX_ENTRIES {
                break;
            }
            let Ok(kind) = e.file_type() else { continue };
            if kind.is_dir() {
                if depth < 4 {
                    stack.push((e.path(), depth + 1));
                }
                continue;
            }
            let name = e.file_name();
            let Some(name) = name.to_str() else { continue };
            if let Some(i) = FALLBACKS.iter().position(|f| f.eq_ignore_ascii_case(name))
                && let Some(slot) = found.get_mut(i)
                && slot.is_none()
            {
                *slot = Some(e.path());
            }
        }
    }
    found.into_iter().flatten().collect()
}

/// Loads the fallback fonts found under `dirs` into `ctx` (after egui's
/// own fonts, for both families); returns the files loaded.
pub fn install(ctx: &egui::Context, dirs: &[PathBuf]) -> Vec<PathBuf> {
    let mut total = 0u64;
    let mut loaded = Vec::new();
    for path in find_fallbacks(dirs) {
        let Some(bytes) = read_font(&path, MAX_TOTAL_BYTES.saturating_sub(total)) else {
            continue;
        };
        total += bytes.len() as u64;
        let name = format!("fallback:{}", path.display());
        ctx.add_font(egui::epaint::text::FontInsert::new(
            &name,
            egui::FontData::from_owned(bytes),
            [egui::FontFamily::Proportional, egui::FontFamily::Monospace]
                .into_iter()
                .map(|family| egui::epaint::text::InsertFontFamily {
                    family,
                    priority: egui::epaint::text::FontPriority::Lowest,
                })
                .collect(),
        ));
        loaded.push(path);
    }
    loaded
}

/// A font file's bytes if it is a font (TrueType, OpenType, collection)
/// of at most `room` bytes.
fn read_font(path: &Path, room: u64) -> Option<Vec<u8>> {
    let len = std::fs::metadata(path).ok()?.len();
    if len > MAX_FONT_BYTES.min(room) || len < 12 {
        return None;
    }
    let bytes = std::fs::read(path).ok()?;
    let magic = bytes.get(..4)?;
    let font = matches!(magic, [0, 1, 0, 0] | b"OTTO" | b"ttcf" | b"true");
    font.then_some(bytes)
}

/// `text` with every character no loaded font can draw replaced by its
/// code point (`U+65E5`), so nothing shows as an empty box. Whitespace and
/// the joiners of emoji sequences are kept as they are.
pub fn legible<'a>(ctx: &egui::Context, text: &'a str) -> Cow<'a, str> {
    if text.is_ascii() {
        return Cow::Borrowed(text);
    }
    let font = egui::FontId::proportional(14.0);
    ctx.fonts_mut(|f| {
        let mut drawable = |c: char| {
            c.is_ascii()
                || c.is_whitespace()
                || matches!(c, '\u{200d}' | '\u{fe0f}' | '\u{fe0e}')
                || f.has_glyph(&font, c)
        };
        if text.chars().all(&mut drawable) {
            return Cow::Borrowed(text);
        }
        Cow::Owned(
            text.chars()
                .map(|c| {
                    if drawable(c) {
                        c.to_string()
                    } else {
                        format!("U+{:04X}", u32::from(c))
                    }
                })
                .collect(),
        )
    })
}
