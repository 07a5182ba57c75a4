//! Hostile input (issue 13): one module per finding of the adversarial
//! review, each reproducing the input and checking it is now handled.

mod case_schema;
#[cfg(unix)]
mod read_only_media;
mod report_folder;
mod results_tampering;
mod terminal_injection;
