//! One file per screen.

pub mod export;
pub mod gallery;
pub mod home;
pub mod preview;
pub mod review;
pub mod scan;
pub mod setup;

use eframe::egui;

/// A small "Copy" button that puts `value` on the clipboard.
pub(crate) fn copy_button(ui: &mut egui::Ui, hover: &str, value: &str) {
    if ui.small_button("Copy").on_hover_text(hover).clicked() {
        ui.ctx().copy_text(value.to_string());
    }
}
