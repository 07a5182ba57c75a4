//! Safe preview of the selected item.
//!
//! The image is read (read-only, only if it still has the SHA-256 the case
//! recorded) and decoded off the UI thread with the thumbnail module's
//! limits, downscaled to 512 px; the view is greyscale and blurred until the
//! examiner clicks Reveal, which is written to the case's audit log. A new
//! selection always starts blurred again. Nothing is written to disk.

use std::sync::mpsc::{Receiver, channel};

use eframe::egui;

use crate::case::{CaseStore, ReportRow};

/// Longest side of a preview, in pixels.
const PREVIEW_SIDE: u32 = 512;

/// What the preview pane holds for the selected item.
#[derive(Default)]
pub struct PreviewState {
    /// The file id being previewed.
    pub file_id: Option<i64>,
    /// True after a deliberate Reveal for this item.
    pub revealed: bool,
    /// Space was pressed: reveal (logged) at the next draw.
    pub reveal_requested: bool,
    /// Space was pressed once: asking whether to reveal (a second Space or
    /// Enter reveals, Escape keeps it blurred).
    pub confirming: bool,
    /// Why there is no preview ("cannot preview: …"), once known.
    pub unavailable: Option<String>,
    /// When the preview was revealed (it blurs again after the timeout).
    pub revealed_at: Option<std::time::Instant>,
    pending: Option<Receiver<Result<(egui::ColorImage, egui::ColorImage), String>>>,
    blurred: Option<egui::TextureHandle>,
    colour: Option<egui::TextureHandle>,
}

impl PreviewState {
    /// True once decoding finished with an image.
    pub fn ready(&self) -> bool {
        self.blurred.is_some()
    }

    /// True while decoding runs.
    pub fn loading(&self) -> bool {
        self.pending.is_some()
    }
}

/// The revealed (colour) texture, once decoded.
impl PreviewState {
    pub fn colour_texture(&self) -> Option<&egui::TextureHandle> {
        self.colour.as_ref()
    }
}

pub(super) fn to_color_image(img: &image::DynamicImage) -> egui::ColorImage {
    let rgba = img.to_rgba8();
    egui::ColorImage::from_rgba_unmultiplied(
        [rgba.width() as usize, rgba.height() as usize],
        rgba.as_raw(),
    )
}

fn load(row: &ReportRow) -> Result<(egui::ColorImage, egui::ColorImage), String> {
    let bytes = read_item(row)?;
    let img =
        crate::thumbnail::decode_downscaled(&bytes, PREVIEW_SIDE).map_err(|e| e.to_string())?;
    Ok((
        to_color_image(&crate::thumbnail::safe_view(&img)),
        to_color_image(&img),
    ))
}

/// An item's bytes, read-only from the evidence (up to the thumbnail
/// module's input limit), only if they still have the SHA-256 the case
/// recorded.
pub(super) fn read_item(row: &ReportRow) -> Result<Vec<u8>, String> {
    use crate::pathfmt::path_from_bytes;
    use sha2::Digest;
    let root = path_from_bytes(row.style.unescape(&row.root).map_err(|e| e.to_string())?);
    let (rel, stream) = row.raw_item().map_err(|e| e.to_string())?;
    let stream = stream.map(|s| path_from_bytes(s).into_os_string());
    let root = crate::evidence::EvidenceRoot::open(&root)
        .map_err(|e| format!("evidence not reachable: {e}"))?;
    let rel = path_from_bytes(rel);
    let f = root
        .open_item(&rel, stream.as_deref())
        .map_err(|e| e.to_string())?;
    let chain = row
        .members_raw()
        .ok_or("the member's name is damaged in the case")?;
    let bytes = crate::archive::item_bytes(
        f,
        &rel,
        stream.as_deref(),
        &chain,
        crate::thumbnail::MAX_INPUT as u64,
    )
    .map_err(|e| {
        if e.starts_with("larger") {
            "image too large to preview".to_string()
        } else {
            e
        }
    })?;
    if row.sha256.as_deref() != Some(&hex::encode(sha2::Sha256::digest(&bytes))) {
        return Err("the file no longer matches the case".into());
    }
    Ok(bytes)
}

/// Draws the preview of `row` (re-blurs when the selection changed).
pub fn preview_ui(
    ui: &mut egui::Ui,
    state: &mut PreviewState,
    row: &ReportRow,
    store: &CaseStore,
    examiner: &str,
    reveal_timeout: Option<std::time::Duration>,
) {
    // A revealed image blurs again on its own after the timeout.
    if state.revealed
        && let (Some(at), Some(limit)) = (state.revealed_at, reveal_timeout)
    {
        match limit.checked_sub(at.elapsed()) {
            Some(left) if !left.is_zero() => ui.ctx().request_repaint_after(left),
            _ => {
                state.revealed = false;
                state.revealed_at = None;
            }
        }
    }
    if state.file_id != Some(row.id) {
        *state = PreviewState {
            file_id: Some(row.id),
            ..Default::default()
        };
        if row.mime.as_deref().is_some_and(|m| m.starts_with("image/")) {
            let (tx, rx) = channel();
            let row = row.clone();
            let ctx = ui.ctx().clone();
            std::thread::spawn(move || {
                let _ = tx.send(load(&row));
                ctx.request_repaint();
            });
            state.pending = Some(rx);
        } else {
            state.unavailable = Some(format!(
                "No preview for {} (only images are previewed)",
                row.mime.as_deref().unwrap_or("unknown type")
            ));
        }
    }
    if let Some(rx) = &state.pending {
        match rx.try_recv() {
            Ok(Ok((blurred, colour))) => {
                let ctx = ui.ctx();
                state.blurred =
                    Some(ctx.load_texture("preview-blurred", blurred, Default::default()));
                state.colour = Some(ctx.load_texture("preview-colour", colour, Default::default()));
                state.pending = None;
            }
            Ok(Err(why)) => {
                state.unavailable = Some(format!("Cannot preview: {why}"));
                state.pending = None;
            }
            Err(std::sync::mpsc::TryRecvError::Empty) => {
                ui.label("Preparing a blurred preview…");
                ui.ctx()
                    .request_repaint_after(std::time::Duration::from_millis(100));
            }
            Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                state.unavailable = Some("Cannot preview: decoder failed".into());
                state.pending = None;
            }
        }
    }
    if let Some(why) = &state.unavailable {
        ui.label(why);
        return;
    }
    let tex = if state.revealed {
        &state.colour
    } else {
        &state.blurred
    };
    if let Some(t) = tex {
        let alt = if state.revealed {
            "revealed preview"
        } else {
            "blurred greyscale preview"
        };
        ui.add(
            egui::Image::new(t)
                .max_size(egui::vec2(360.0, 270.0))
                .alt_text(alt),
        );
        let mut confirmed = false;
        if state.confirming && !state.revealed {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                "Reveal this image in colour? The reveal is written to the case's audit log.",
            );
            ui.horizontal(|ui| {
                confirmed = ui.button("Reveal (Space or Enter)").clicked();
                if ui.button("Keep blurred (Esc)").clicked() {
                    state.confirming = false;
                }
            });
        }
        if state.revealed {
            if ui.button("Blur again").clicked() {
                state.revealed = false;
            }
        } else if std::mem::take(&mut state.reveal_requested)
            | confirmed
            | (!state.confirming
                && ui
                    .button("Reveal preview")
                    .on_hover_text(
                        "Shows the image in colour; the reveal is written to the case's audit log",
                    )
                    .clicked())
        {
            state.confirming = false;
            match store.log_reveal(row.id, examiner) {
                Ok(()) => {
                    state.revealed = true;
                    state.revealed_at = Some(std::time::Instant::now());
                }
                Err(e) => {
                    state.unavailable = Some(format!("Not revealed: cannot log the reveal ({e})"))
                }
            }
        }
    }
}
