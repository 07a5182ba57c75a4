//! Hostile input (issue 13): one module per finding of the adversarial
//! review, each reproducing the input and checking it is now handled.

mod case_schema;
mod report_folder;
mod terminal_injection;
