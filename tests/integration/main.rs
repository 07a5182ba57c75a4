//! Ferret's integration tests: one binary, one module per topic
//! (`util` builds temporary evidence trees).

mod util;

mod archive;
mod case;
mod categories;
mod classify;
mod drives;
mod gallery;
mod gui;
mod hashing;
mod hashsets;
mod hostile;
mod inventory;
mod job;
mod names;
#[cfg(target_os = "linux")]
mod ntfs;
mod perceptual;
mod report;
#[cfg(unix)]
mod walk;
mod workflow;
