//! Perceptual hashes (PDQ): matching pictures that look alike, not only byte-identical files.

pub mod index;
