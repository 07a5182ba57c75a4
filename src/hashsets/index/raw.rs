//! The audited `unsafe` of the hash-set index, and the only `unsafe` in
//! Ferret besides the Win32 calls of `evidence/windows.rs` (built on
//! Windows only): the crate denies `unsafe_code` (`lib.rs`) and these two
//! files alone allow it. Each block sits behind a safe function, visible to the index
//! only, and says here why it is sound:
//!
//! - [`map_index`] memory-maps a compiled set. `Mmap::map` is unsafe
//!   because the bytes behind a file mapping can change while the program
//!   reads them. Ferret never changes an index file: the library replaces
//!   one only whole, by renaming a new file over it (`hashsets::replace`),
//!   which leaves the mapped file intact until it is unmapped. The map is
//!   read-only, and every read of it (`read.rs`, `lookup.rs`, `verify.rs`)
//!   is bounds-checked (`get`), so contents changed by someone else give
//!   wrong bytes at worst, which the file checksum finds. What no check
//!   can catch is the file cut short in place by another program while
//!   mapped: the next read of a page past the new end raises SIGBUS. The
//!   README tells examiners never to edit the library's files by hand.
//! - [`prefetch`] issues `_mm_prefetch`, which is only a hint: it reads
//!   nothing into the program and cannot fault, and it is handed a live
//!   reference into the slice.
//!
//! The huge-page copy of the prefix tables (`read.rs`) is an anonymous map
//! and needs no `unsafe`.
#![allow(unsafe_code)]

use std::fs::File;
use std::io;

use memmap2::Mmap;

/// Maps a compiled set's index file read-only. Only for index files, which
/// the library never modifies in place (see the module header).
pub(super) fn map_index(file: &File) -> io::Result<Mmap> {
    // SAFETY: the map is read-only and every access to it is bounds-checked
    // against the validated length, so malformed contents cannot cause UB.
    // The library writes index files once (temp file + rename) and never
    // modifies them in place; the remaining hazard, another process
    // truncating the file while mapped (SIGBUS, not UB), is the documented
    // mmap caveat (module header, README).
    unsafe { Mmap::map(file) }
}

/// Hints the CPU to fetch the cache line holding `b[at]` (nothing when
/// `at` is out of range or on other architectures).
#[inline(always)]
pub(super) fn prefetch(b: &[u8], at: usize) {
    #[cfg(target_arch = "x86_64")]
    if let Some(x) = b.get(at) {
        // SAFETY: a prefetch is only a hint: it reads nothing into the
        // program, cannot fault, and `x` is a live reference into `b`. This
        // is the index's second audited `unsafe` (see the module header).
        unsafe {
            core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(
                std::ptr::from_ref(x).cast::<i8>(),
            );
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (b, at);
}
