//! The gallery and keyboard categorisation (issue 17), driven headless
//! with egui_kittest.

use std::path::{Path, PathBuf};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use ferret::gui::{Command, FerretApp, Screen};

use crate::gui::{file_menu, harness, step_until};

/// Preview and tile reveals written to the open case's audit log: the
/// items revealed.
pub(crate) fn reveals(a: &FerretApp) -> Vec<i64> {
    a.case()
        .unwrap()
        .audit_rows()
        .unwrap()
        .iter()
        .filter(|r| r.action == "preview_reveal")
        .map(|r| {
            serde_json::from_str::<serde_json::Value>(&r.detail).unwrap()["file"]
                .as_i64()
                .unwrap()
        })
        .collect()
}

/// A small PNG of one flat grey level (harmless, distinct per level).
fn png(level: u8, side: u32) -> Vec<u8> {
    let img = image::GrayImage::from_pixel(side, side, image::Luma([level]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// Evidence of five distinct pictures, one of them with two more copies,
/// and a damaged picture; scanned into a new case. Returns the case.
fn picture_case(dir: &Path) -> PathBuf {
    let ev = dir.join("ev");
    std::fs::create_dir_all(ev.join("copies")).unwrap();
    for i in 0..5u8 {
        std::fs::write(
            ev.join(format!("p{i}.png")),
            png(40 * i + 10, 24 + u32::from(i)),
        )
        .unwrap();
    }
    std::fs::write(ev.join("copies/p0 again.png"), png(10, 24)).unwrap();
    std::fs::write(ev.join("copies/p0 third.png"), png(10, 24)).unwrap();
    let mut broken = png(99, 30);
    broken.truncate(60);
    std::fs::write(ev.join("broken.png"), broken).unwrap();
    let case = dir.join("pics.ferret");
    crate::util::new_case_scan(&case, &ev, "GAL-1", &[]);
    case
}

fn open(h: &mut Harness<'static, FerretApp>, case: &Path) {
    h.state_mut().queue(Command::OpenCase(case.to_path_buf()));
    step_until(h, |a| a.screen == Screen::Review && !a.checking_case());
}

/// Shows every picture of the case in the gallery and waits for its
/// thumbnails.
fn gallery_of_all_pictures(h: &mut Harness<'static, FerretApp>) {
    h.get_by_label("All pictures and videos").click();
    h.run_steps(2);
    h.key_press(egui::Key::G);
    h.run_steps(2);
    assert!(h.state().view.gallery);
    step_until(h, |a| a.gallery.idle() && a.gallery.cached() > 0);
}

/// [`picture_case`] opened in the app, in the gallery of every picture.
fn opened_gallery(dir: &Path) -> (Harness<'static, FerretApp>, PathBuf) {
    let case = picture_case(dir);
    let mut h = harness(dir);
    h.step();
    open(&mut h, &case);
    gallery_of_all_pictures(&mut h);
    (h, case)
}

#[test]
fn the_gallery_shows_pictures_blurred_and_a_reveal_is_of_one_tile_only() {
    let dir = tempfile::tempdir().unwrap();
    let (mut h, _) = opened_gallery(dir.path());
    // Seven pictures, three of them copies: five tiles and the broken one.
    let a = h.state();
    assert_eq!(
        a.rows.len(),
        8,
        "{:?}",
        a.rows.iter().map(|r| &r.path).collect::<Vec<_>>()
    );
    let tiles = ferret::gui::gallery::tiles(&a.rows);
    assert_eq!(tiles.len(), 6);
    h.get_by_label_contains("6 tiles (8 items; copies stacked)");
    // Every tile decoded (blurred, greyscale: the only textures made) or
    // said why not; nothing revealed.
    assert_eq!(a.gallery.cached(), 6);
    let broken = a
        .rows
        .iter()
        .find(|r| r.name == "broken.png")
        .unwrap()
        .file_id;
    let why = a
        .gallery
        .failure(broken)
        .expect("the damaged picture failed");
    assert!(!why.is_empty());
    for r in &a.rows {
        if r.name != "broken.png" && tiles.iter().any(|&t| a.rows[t].file_id == r.file_id) {
            assert_eq!(a.gallery.failure(r.file_id), None, "{}", r.path);
        }
    }
    assert!(!a.preview.revealed);
    assert!(reveals(a).is_empty());
    // The arrows select the first tile, then the next; Space asks, Space
    // reveals that tile only, with one audit row.
    h.key_press(egui::Key::ArrowRight);
    h.run_steps(2);
    h.key_press(egui::Key::ArrowRight);
    h.run_steps(2);
    let first = h.state().selected.unwrap();
    assert_eq!(first, h.state().rows[tiles[1]].file_id);
    step_until(&mut h, |a| {
        a.preview.file_id == a.selected && (a.preview.ready() || a.preview.unavailable.is_some())
    });
    h.key_press(egui::Key::Space);
    h.run_steps(2);
    assert!(h.state().preview.confirming && !h.state().preview.revealed);
    h.key_press(egui::Key::Space);
    h.run_steps(3);
    assert!(h.state().preview.revealed);
    assert_eq!(h.state().preview.file_id, Some(first));
    assert_eq!(reveals(h.state()), [first]);
    // Moving away blurs it again; nothing else was revealed.
    h.key_press(egui::Key::ArrowRight);
    h.run_steps(3);
    let second = h.state().selected.unwrap();
    assert_ne!(second, first);
    assert!(!h.state().preview.revealed);
    h.key_press(egui::Key::ArrowLeft);
    h.run_steps(3);
    assert_eq!(h.state().selected, Some(first));
    assert!(!h.state().preview.revealed, "back on the tile: blurred");
    assert_eq!(reveals(h.state()), [first]);
}

#[test]
fn keyboard_categories_of_a_selection_and_a_stack_persist_with_audit_rows() {
    let dir = tempfile::tempdir().unwrap();
    let (mut h, case) = opened_gallery(dir.path());
    let tiles = ferret::gui::gallery::tiles(&h.state().rows);
    let id_of = |h: &Harness<'static, FerretApp>, name: &str| {
        h.state()
            .rows
            .iter()
            .find(|r| r.path == name)
            .unwrap()
            .file_id
    };
    // Tiles in path order: broken, copies/p0 again (the stack of p0), p1 …
    let names: Vec<String> = tiles
        .iter()
        .map(|&t| h.state().rows[t].path.clone())
        .collect();
    assert_eq!(
        names,
        [
            "broken.png",
            "copies/p0 again.png",
            "p1.png",
            "p2.png",
            "p3.png",
            "p4.png"
        ]
    );
    // The stack: select its tile, key 1. All three copies take category 1.
    h.key_press(egui::Key::ArrowRight);
    h.key_press(egui::Key::ArrowRight);
    h.run_steps(2);
    assert_eq!(h.state().selected, Some(id_of(&h, "copies/p0 again.png")));
    h.key_press(egui::Key::Num1);
    h.run_steps(2);
    h.get_by_label_contains("3 item(s) set to category 1 Child abuse material (2 of them copies)");
    // A multi-selection: p2 to p4 with Shift, key 3.
    h.key_press(egui::Key::ArrowRight);
    h.key_press(egui::Key::ArrowRight);
    h.run_steps(2);
    assert_eq!(h.state().selected, Some(id_of(&h, "p2.png")));
    h.key_press_modifiers(egui::Modifiers::SHIFT, egui::Key::ArrowRight);
    h.run_steps(2);
    h.key_press_modifiers(egui::Modifiers::SHIFT, egui::Key::ArrowRight);
    h.run_steps(2);
    assert_eq!(h.state().marked.len(), 3);
    h.key_press(egui::Key::Num3);
    h.run_steps(2);
    h.get_by_label_contains("3 item(s) set to category 3");
    h.get_by_label_contains("6 of 8 pictures and videos categorised");
    // The tile badges carry the number, not only a colour.
    let rows = &h.state().rows;
    let p3 = rows.iter().find(|r| r.path == "p3.png").unwrap();
    assert_eq!(ferret::gui::gallery::badge_text(p3).as_deref(), Some("C3"));
    // Backspace clears p4's.
    h.state_mut().marked.clear();
    let p4 = id_of(&h, "p4.png");
    h.state_mut().queue(Command::Select(p4));
    h.run_steps(2);
    h.key_press(egui::Key::Backspace);
    h.run_steps(2);

    // Reopened: the categories are in the case, with one audit row per item.
    h.state_mut().queue(Command::CloseCase);
    h.run_steps(2);
    open(&mut h, &case);
    let store = h.state().case().unwrap();
    let cat = |path: &str| {
        let id = store.find_item(path).unwrap()[0];
        store.item_category(id).unwrap().examiner
    };
    for p in ["p0.png", "copies/p0 again.png", "copies/p0 third.png"] {
        assert_eq!(cat(p), Some(1), "{p}");
    }
    assert_eq!(cat("p2.png"), Some(3));
    assert_eq!(cat("p3.png"), Some(3));
    assert_eq!(cat("p4.png"), None);
    assert_eq!(cat("p1.png"), None);
    let actions: Vec<String> = store
        .audit_rows()
        .unwrap()
        .into_iter()
        .filter(|r| r.action == "review_category")
        .map(|r| r.detail)
        .collect();
    // 3 (the stack) + 3 (the selection) + 1 (the clear).
    assert_eq!(actions.len(), 7, "{actions:?}");
    assert!(actions.last().unwrap().contains("\"none\""));
    assert!(store.verify(None).unwrap().intact());

    // File > Add categorised to hash library: the set holds this case's
    // three categorised media (the stack is one), named after the case.
    let lib = dir.path().join("lib");
    h.state_mut().setup.library = lib.display().to_string();
    file_menu(&mut h, "Add categorised to hash library...");
    assert!(h.state().grow.open);
    h.get_by_label("Add").click();
    step_until(&mut h, |a| a.grow.result.is_some());
    assert_eq!(
        h.state().grow.result,
        Some(Ok(
            "Added 3 media to agency-categorised: it holds 3 entries from case GAL-1.".into()
        ))
    );
    let set = ferret::hashsets::HashLibrary::open(&lib)
        .unwrap()
        .list()
        .into_iter()
        .flatten()
        .find(|s| s.provenance().name == "agency-categorised")
        .unwrap();
    assert_eq!(
        set.provenance().embedded_name.as_deref(),
        Some("case GAL-1")
    );

    // View > Category labels: the case's table, edited; the badge text and
    // the messages use it.
    h.get_by_label("View").click();
    h.run_steps(2);
    h.get_all_by_label("Category labels...")
        .last()
        .unwrap()
        .click_accesskit();
    h.run_steps(3);
    assert!(h.state().labels.open);
    assert_eq!(h.state().labels.labels[1], "Child abuse material");
    h.state_mut().labels.profile = "UK".into();
    h.state_mut().labels.labels[1] = "Category A".into();
    h.run_steps(1);
    h.get_by_label("Save labels").click();
    h.run_steps(3);
    assert_eq!(
        h.state().labels.message.as_deref(),
        Some("Saved: profile UK, 5 label(s) changed.")
    );
    let store = h.state().case().unwrap();
    assert_eq!(store.category_profile().unwrap(), "UK");
    let labels = store.category_labels().unwrap();
    assert_eq!(labels[1], (1, Some("Category A".to_string())));
    let edits = store
        .audit_rows()
        .unwrap()
        .into_iter()
        .filter(|r| r.action.starts_with("category_"))
        .count();
    assert_eq!(edits, 6, "the profile and five labels");
}

/// A tiny progressive JPEG whose header claims 12000x11990 pixels would
/// make the scaled decoder hold 860 MB of coefficients for one thumbnail:
/// it is refused from its header, at once.
#[test]
fn a_progressive_jpeg_claiming_a_huge_frame_is_refused_from_its_header() {
    let Some(corpus) = crate::util::corpus() else {
        eprintln!("SKIP: no corpus at ../shared/corpus");
        return;
    };
    let path = corpus.join("malformed-images/jpeg-decoder-crashtest/subtract-with-overflow.jpg");
    let Ok(mut bytes) = std::fs::read(&path) else {
        eprintln!("SKIP: {} is missing", path.display());
        return;
    };
    // SOF2: FF C2, length, precision, height, width.
    let at = bytes
        .windows(2)
        .position(|w| w == [0xFF, 0xC2])
        .expect("a progressive frame header");
    bytes[at + 5..at + 7].copy_from_slice(&11990u16.to_be_bytes());
    bytes[at + 7..at + 9].copy_from_slice(&12000u16.to_be_bytes());
    let t = std::time::Instant::now();
    let why = ferret::thumbnail::decode_downscaled(&bytes, 192).unwrap_err();
    assert!(
        t.elapsed() < std::time::Duration::from_secs(1),
        "{:?}",
        t.elapsed()
    );
    assert!(why.to_string().contains("progressive 12000x11990"), "{why}");
}
