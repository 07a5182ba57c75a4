//! The scan pipeline as named stages: [`prewalk`], [`arrange`](super::arrange)
//! then [`hash_task`] per file, run by [`start`] on a coordinator thread
//! with job-owned reader threads.
//!
//! One file per stage: `walk.rs`, `peek.rs` (first bytes looked at to
//! order the files), `hash.rs`, `sink.rs`, `check.rs` (the
//! hash sets verified while the walk runs), and `coordinate.rs`, which wires
//! them together on the job's threads.

mod check;
mod coordinate;
mod hash;
mod peek;
mod perceptual;
mod sink;
mod walk;

pub(super) use coordinate::start;
pub use hash::hash_task;
pub use walk::{FileTask, prewalk, prewalk_resuming};
