//! Settings that outlive a session, kept by eframe's storage (apart from the
//! runtime state, which is never persisted).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Recent case files kept.
const RECENT: usize = 8;

/// What the app remembers between runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Dark theme (else light).
    pub dark: bool,
    /// Text size (egui zoom factor).
    pub zoom: f32,
    /// A revealed preview blurs again after this many seconds (0: only on
    /// request or when the selection changes).
    pub reveal_timeout_secs: u32,
    /// Case files opened or created, newest first.
    pub recent_cases: Vec<PathBuf>,
    /// The last evidence folder chosen in the new-case form.
    pub last_evidence: String,
    /// The last hash library folder typed in the new-case form.
    pub last_library: String,
    /// The folder the last report was written in.
    pub last_export_dir: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            dark: true,
            zoom: 1.0,
            reveal_timeout_secs: 30,
            recent_cases: Vec::new(),
            last_evidence: String::new(),
            last_library: String::new(),
            last_export_dir: String::new(),
        }
    }
}

impl Settings {
    /// Puts `case` first in the recent list.
    pub fn remember_case(&mut self, case: &Path) {
        self.recent_cases.retain(|p| p != case);
        self.recent_cases.insert(0, case.to_path_buf());
        self.recent_cases.truncate(RECENT);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_cases_are_newest_first_without_repeats_and_bounded() {
        let mut s = Settings::default();
        for i in 0..10 {
            s.remember_case(Path::new(&format!("/cases/{i}.ferret")));
        }
        s.remember_case(Path::new("/cases/5.ferret"));
        assert_eq!(s.recent_cases.len(), RECENT);
        assert_eq!(s.recent_cases[0], Path::new("/cases/5.ferret"));
        assert_eq!(s.recent_cases[1], Path::new("/cases/9.ferret"));
        assert_eq!(
            s.recent_cases
                .iter()
                .filter(|p| p.ends_with("5.ferret"))
                .count(),
            1
        );
        // Missing fields (an older settings file) take their defaults.
        let old: Settings = serde_json::from_str(r#"{"dark": false}"#).unwrap();
        assert_eq!((old.dark, old.reveal_timeout_secs), (false, 30));
    }
}
