//! One file per screen.

pub mod home;
pub mod review;
pub mod scan;
