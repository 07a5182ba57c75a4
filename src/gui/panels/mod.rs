//! One file per screen.

pub mod export;
pub mod home;
pub mod preview;
pub mod review;
pub mod scan;
pub mod setup;
