//! The frame loop: poll what runs in the background, draw the menus and
//! the current screen, then apply the commands the panels queued.

use std::time::Duration;

use eframe::egui;

use super::{Command, FerretApp, Screen, panels};
use crate::job::ScanEvent;

impl FerretApp {
    /// Draws the whole UI (called by eframe, and by tests directly).
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        if self.fonts.is_none() {
            // Before any text of the first frame is laid out.
            let dirs = self
                .font_dirs
                .clone()
                .unwrap_or_else(super::fonts::platform_font_dirs);
            self.fonts = Some(super::fonts::install(ui.ctx(), &dirs));
        }
        self.poll_scan(ui.ctx());
        self.update_title(ui.ctx());
        self.guard_quit(ui.ctx());
        self.poll_pick(ui.ctx());
        self.poll_checking(ui.ctx());
        self.menu_and_windows_ui(ui);
        panels::export::export_ui(ui.ctx(), self);
        match self.screen {
            Screen::Home => panels::home::home_ui(ui, self),
            Screen::Setup => panels::setup::setup_ui(ui, self),
            Screen::Scanning => panels::scan::scan_ui(ui, self),
            Screen::Review => panels::review::review_ui(ui, self),
        }
        for c in std::mem::take(&mut self.commands) {
            self.apply(c, ui.ctx());
        }
    }

    pub(super) fn poll_scan(&mut self, ctx: &egui::Context) {
        let Some(run) = &self.running else { return };
        let mut finished = None;
        while let Some(ev) = run.scan.job.try_event() {
            if let ScanEvent::Finished(r) = ev {
                finished = Some(r);
            }
        }
        match finished {
            None => ctx.request_repaint_after(Duration::from_millis(150)),
            Some(result) => {
                let Some(run) = self.running.take() else {
                    return;
                };
                let done = run.scan.finish(result);
                self.message = Some(match (&done.result, &done.recorded) {
                    (_, Err(e)) => format!("Could not record the scan's end: {e}"),
                    (Ok(s), Ok(())) => format!(
                        "Scan complete: {} files hashed, {} flagged (alert), {} known-good, {} unreadable.",
                        s.files_hashed, s.alerts, s.known_good, s.errors
                    ),
                    (Err(e), Ok(())) => format!("Scan ended: {e}"),
                });
                self.set_case(Some(done.store));
                self.screen = Screen::Review;
                self.reload();
                if self.quit_after_scan {
                    ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                }
            }
        }
    }

    /// Applies theme and text size from the settings.
    pub fn apply_settings(&self, ctx: &egui::Context) {
        ctx.set_theme(if self.settings.dark {
            egui::Theme::Dark
        } else {
            egui::Theme::Light
        });
        ctx.set_zoom_factor(self.settings.zoom.clamp(0.5, 3.0));
    }

    /// The window title names the open case.
    pub(super) fn update_title(&mut self, ctx: &egui::Context) {
        let title = match &self.case_number {
            Some(n) => format!("Ferret — case {n}"),
            None => "Ferret".to_string(),
        };
        if title != self.title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.title = title;
        }
    }

    /// Takes the result of the background check of the open case.
    pub(super) fn poll_checking(&mut self, ctx: &egui::Context) {
        let Some(rx) = &self.checking else { return };
        let result = match rx.try_recv() {
            Ok(r) => r,
            Err(std::sync::mpsc::TryRecvError::Empty) => {
                ctx.request_repaint_after(Duration::from_millis(150));
                return;
            }
            Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                Err("the check stopped without an answer".into())
            }
        };
        self.checking = None;
        match result {
            Ok(store) => {
                // Same case, now writable (scans left running were marked
                // interrupted, so Resume may be offered now).
                self.set_case(Some(store));
                self.message = None;
            }
            Err(e) => {
                self.apply(Command::CloseCase, ctx);
                self.message = Some(format!(
                    "The case file is damaged and was closed without writing to it: {e}"
                ));
            }
        }
    }
}

impl eframe::App for FerretApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        FerretApp::ui(self, ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.settings);
    }
}
