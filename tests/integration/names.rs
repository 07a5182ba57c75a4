//! Every name legible (issue 17): names in any script render through the
//! platform's fonts, a character no font has shows as its code point, and
//! a direction control never reaches the screen. Driven with egui_kittest.

use std::path::{Path, PathBuf};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use ferret::gui::{Command, FerretApp, Screen};

use crate::gui::step_until;

const CJK: &str = "日本語の写真.jpg";
const ARABIC: &str = "صورة.jpg";
const EMOJI: &str = "😀smile.jpg";

/// A case whose flagged items (extension mismatches) have CJK, Arabic,
/// emoji and bidi-spoofing names.
fn names_case(dir: &Path) -> PathBuf {
    let ev = dir.join("ev");
    std::fs::create_dir_all(&ev).unwrap();
    for name in [CJK, ARABIC, EMOJI] {
        std::fs::write(ev.join(name), b"plain text, not a picture").unwrap();
    }
    let jpeg = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00x";
    std::fs::write(ev.join("holiday\u{202e}gpj.exe"), jpeg).unwrap();
    let case = dir.join("names.ferret");
    crate::util::new_case_scan(&case, &ev, "NAMES-1", &[]);
    case
}

fn open_with_fonts(
    dir: &Path,
    case: &Path,
    fonts: Option<Vec<PathBuf>>,
) -> Harness<'static, FerretApp> {
    // The fonts are chosen before the first frame (the harness runs one
    // as it is built).
    let mut app = FerretApp::new(dir.to_path_buf());
    app.font_dirs = fonts;
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_ui_state(|ui, app: &mut FerretApp| app.ui(ui), app);
    h.step();
    h.state_mut().queue(Command::OpenCase(case.to_path_buf()));
    step_until(&mut h, |a| a.screen == Screen::Review && !a.checking_case());
    assert_eq!(
        h.state().rows.len(),
        4,
        "{:?}",
        h.state().rows.iter().map(|r| &r.name).collect::<Vec<_>>()
    );
    h
}

/// Whether some widget shows exactly `text` (a name is in the Name and
/// the Path column).
fn shown(h: &Harness<'static, FerretApp>, text: &str) {
    assert!(
        h.query_all_by_label(text).next().is_some(),
        "{text:?} is not shown"
    );
}

/// Selects the row named `name`.
fn select(h: &mut Harness<'static, FerretApp>, name: &str) {
    let id = h
        .state()
        .rows
        .iter()
        .find(|r| r.name == name)
        .unwrap()
        .file_id;
    h.state_mut().queue(Command::Select(id));
    h.run_steps(2);
}

/// `text` with every non-ASCII character as its code point.
fn code_points(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii() {
                c.to_string()
            } else {
                format!("U+{:04X}", u32::from(c))
            }
        })
        .collect()
}

#[test]
fn names_render_through_installed_fonts_or_as_code_points_never_as_boxes() {
    let dir = tempfile::tempdir().unwrap();
    let case = names_case(dir.path());

    // The platform's fonts: CJK and Arabic names are shown as they are
    // where a font for them is installed (.ci/run installs Droid Sans
    // Fallback and DejaVu Sans), and their glyphs are really there.
    let mut h = open_with_fonts(dir.path(), &case, None);
    let loaded: Vec<String> = h
        .state()
        .fonts
        .clone()
        .unwrap()
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let has = |names: &[&str]| loaded.iter().any(|l| names.contains(&l.as_str()));
    let ctx = h.ctx.clone();
    for (name, fonts) in [
        (
            CJK,
            &[
                "DroidSansFallbackFull.ttf",
                "NotoSansCJK-Regular.ttc",
                "DroidSansFallback.ttf",
            ][..],
        ),
        (
            ARABIC,
            &["DejaVuSans.ttf", "NotoSansArabic-Regular.ttf"][..],
        ),
    ] {
        if !has(fonts) {
            eprintln!("skipping {name}: none of {fonts:?} is installed (loaded: {loaded:?})");
            continue;
        }
        assert_eq!(ferret::gui::fonts::legible(&ctx, name), name);
        assert!(ctx.fonts_mut(|f| f.has_glyphs(&egui::FontId::proportional(14.0), name)));
        shown(&h, name);
    }
    // egui's own emoji font draws this one.
    assert_eq!(ferret::gui::fonts::legible(&ctx, EMOJI), EMOJI);
    shown(&h, EMOJI);
    // The bidi override is escaped: the name cannot pass for a .jpg.
    shown(&h, "holiday\\xe2\\x80\\xaegpj.exe");
    assert!(h.query_by_label_contains("\u{202e}").is_none());
    // Selected, the detail pane names it the same way.
    select(&mut h, CJK);
    if has(&[
        "DroidSansFallbackFull.ttf",
        "NotoSansCJK-Regular.ttc",
        "DroidSansFallback.ttf",
    ]) {
        h.get_by_label(&format!("Selected: {CJK}"));
    }

    // No fallback font at all: the CJK and Arabic names show as code
    // points, never as empty boxes; what egui's fonts draw stays.
    let mut h = open_with_fonts(dir.path(), &case, Some(vec![]));
    assert_eq!(h.state().fonts.as_deref(), Some(&[][..]));
    let ctx = h.ctx.clone();
    let cjk = ferret::gui::fonts::legible(&ctx, CJK).into_owned();
    assert_eq!(cjk, code_points(CJK));
    assert!(cjk.starts_with("U+65E5U+672CU+8A9E"), "{cjk}");
    shown(&h, &cjk);
    let arabic = ferret::gui::fonts::legible(&ctx, ARABIC).into_owned();
    assert_eq!(arabic, code_points(ARABIC));
    shown(&h, &arabic);
    shown(&h, &ferret::gui::fonts::legible(&ctx, EMOJI));
    select(&mut h, CJK);
    h.get_by_label(&format!("Selected: {cjk}"));
    // Whatever the fonts, no name leaves a character without a glyph.
    for name in [CJK, ARABIC, EMOJI, "मंदिर.jpg", "ภาพ.jpg", "תמונה.jpg"] {
        let shown_text = ferret::gui::fonts::legible(&ctx, name).into_owned();
        let font = egui::FontId::proportional(14.0);
        assert!(
            ctx.fonts_mut(|f| shown_text.chars().all(|c| f.has_glyph(&font, c))),
            "{name} shows as {shown_text}, with a character no font has"
        );
    }
}
