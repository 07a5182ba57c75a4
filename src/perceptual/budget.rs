//! The memory all decodes of a process may hold at once. Each decode is
//! bounded on its own (`DecodeLimits::max_alloc`), but a scan runs one per
//! thread: sixteen threads each decoding a 50 MP picture built to be small
//! on disk (a 381 KB PNG of 7000 x 7000 RGBA16 holds about 530 MB while it
//! is hashed) would need 8.5 GB. A decode first reserves what it will
//! hold, estimated from the picture's header, and waits while the others
//! hold the rest; one decode alone always proceeds.

use std::sync::{Condvar, Mutex, PoisonError};

/// What all decodes may hold together: 1 GiB.
pub const DECODE_BUDGET: u64 = 1 << 30;

/// Bytes a decode holds per pixel at its peak: the decoder's buffer (up
/// to 8 for 16-bit RGBA), the RGB copy (3), and the hash's two float
/// planes (8), rounded up.
pub const BYTES_PER_PIXEL: u64 = 20;

/// A shared budget of bytes.
pub struct MemoryBudget {
    total: u64,
    used: Mutex<u64>,
    freed: Condvar,
}

/// Bytes held from a [`MemoryBudget`] until dropped.
pub struct Reservation<'b> {
    budget: &'b MemoryBudget,
    bytes: u64,
}

impl MemoryBudget {
    /// A budget of `total` bytes.
    pub const fn new(total: u64) -> Self {
        MemoryBudget {
            total,
            used: Mutex::new(0),
            freed: Condvar::new(),
        }
    }

    /// Reserves `bytes` (at most the whole budget), waiting while others
    /// hold too much of it.
    pub fn reserve(&self, bytes: u64) -> Reservation<'_> {
        let bytes = bytes.min(self.total);
        let mut used = self.used.lock().unwrap_or_else(PoisonError::into_inner);
        while *used + bytes > self.total {
            used = self
                .freed
                .wait(used)
                .unwrap_or_else(PoisonError::into_inner);
        }
        *used += bytes;
        Reservation {
            budget: self,
            bytes,
        }
    }

    /// Bytes held now.
    pub fn used(&self) -> u64 {
        *self.used.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        let mut used = self
            .budget
            .used
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *used = used.saturating_sub(self.bytes);
        self.budget.freed.notify_all();
    }
}

/// The budget every picture decoded for a perceptual hash draws on.
pub static DECODES: MemoryBudget = MemoryBudget::new(DECODE_BUDGET);

/// What decoding `bytes` will hold, from its header's dimensions (the
/// input's own length when the header says nothing).
pub fn estimate(bytes: &[u8]) -> u64 {
    let dims = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .ok()
        .and_then(|r| r.into_dimensions().ok());
    let Some((w, h)) = dims else {
        return bytes.len() as u64;
    };
    let pixels = u64::from(w) * u64::from(h);
    if bytes.starts_with(&[0xFF, 0xD8]) {
        // RGB from the decoder (3), floats (8); a large JPEG is decoded at
        // half its sides or less (`jpeg_scaled`).
        let scale = if pixels > super::FAST_ABOVE { 4 } else { 1 };
        pixels * 12 / scale
    } else {
        pixels * BYTES_PER_PIXEL
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[test]
    fn reservations_never_exceed_the_budget_and_one_alone_proceeds() {
        let budget = MemoryBudget::new(100);
        let peak = AtomicU64::new(0);
        std::thread::scope(|s| {
            for i in 0..8u64 {
                let (budget, peak) = (&budget, &peak);
                s.spawn(move || {
                    for _ in 0..50 {
                        let _r = budget.reserve(30 + i * 5);
                        peak.fetch_max(budget.used(), Ordering::SeqCst);
                        std::thread::yield_now();
                    }
                });
            }
        });
        assert!(peak.load(Ordering::SeqCst) <= 100);
        assert_eq!(budget.used(), 0);
        // More than the whole budget: capped, so it proceeds alone.
        let r = budget.reserve(1_000);
        assert_eq!(budget.used(), 100);
        drop(r);
        assert_eq!(budget.used(), 0);
    }
}
