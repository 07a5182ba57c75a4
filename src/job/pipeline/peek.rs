//! Looks at first bytes before the order is made: a picture or video
//! under another name (`.dat`, `.pdf`, none) is lifted into the picture
//! and video bands. Which files are looked at, and how many, is
//! [`head_plan`](crate::job::order::head_plan)'s (the cost model); this
//! reads them: in parallel on solid state, in the plan's order (inode
//! sweeps) with one reader on a spinning disk, within a time cap. A
//! spinning disk looks in two rounds: the distributed locations before
//! hashing, the rest once the pictures there are hashed (the
//! coordinator's).

use std::io::Read;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::walk::FileTask;
use crate::evidence::EvidenceRoot;
use crate::job::order::{HEAD_BYTES, Looks, head_plan_of, lifted_band};
use crate::job::{CancelToken, DeviceKind, OrderReport};

/// What a round of looks is allowed.
pub(super) struct LookBudget {
    /// Which candidates.
    pub which: Looks,
    /// Modeled seconds.
    pub modeled: f64,
    /// The whole scan's modeled seconds (recorded).
    pub scan: f64,
    /// Wall time.
    pub cap: Duration,
}

/// The band each task is lifted to (by index; `None` for most), and what
/// the looks cost.
pub(super) fn lift_by_heads(
    root: &EvidenceRoot,
    tasks: &[FileTask],
    device: DeviceKind,
    threads: usize,
    cancel: &CancelToken,
    budget: &LookBudget,
) -> (Vec<Option<u8>>, OrderReport) {
    let started = Instant::now();
    let head = head_plan_of(tasks, device, budget.which, budget.modeled, budget.scan);
    let plan = &head.files;
    let mut lifted = vec![None; tasks.len()];
    let found = Mutex::new(Vec::new());
    let next = AtomicUsize::new(0);
    let read = AtomicUsize::new(0);
    let worker = || {
        let mut bytes = vec![0u8; HEAD_BYTES];
        let mut mine = Vec::new();
        loop {
            if cancel.is_cancelled() || started.elapsed() > budget.cap {
                break;
            }
            let k = next.fetch_add(1, Ordering::Relaxed);
            let Some((i, task)) = plan.get(k).and_then(|&i| Some((i, tasks.get(i)?))) else {
                break;
            };
            // A file that cannot be opened or read now is hashed (or its
            // error recorded) in its band, as if never looked at.
            let Some(n) = read_head(root, task, &mut bytes) else {
                continue;
            };
            read.fetch_add(1, Ordering::Relaxed);
            let named = match &task.stream {
                Some(s) => std::path::Path::new(s),
                None => task.rel_path.as_path(),
            };
            let class = crate::classify::classify(bytes.get(..n).unwrap_or(&[]), named);
            if let Some(band) = lifted_band(class.media, task.meta.size) {
                mine.push((i, band));
            }
        }
        if let Ok(mut f) = found.lock() {
            f.extend(mine);
        }
    };
    let readers = match device {
        DeviceKind::Rotational => 1,
        DeviceKind::SolidState => threads.clamp(1, plan.len().max(1)),
    };
    if !plan.is_empty() {
        std::thread::scope(|s| {
            let spawned = (0..readers)
                .filter(|i| {
                    std::thread::Builder::new()
                        .name(format!("ferret-head-{i}"))
                        .spawn_scoped(s, worker)
                        .is_ok()
                })
                .count();
            if spawned == 0 {
                // No thread: look on this one.
                worker();
            }
        });
    }
    let found = found.into_inner().unwrap_or_default();
    for &(i, band) in &found {
        if let Some(slot) = lifted.get_mut(i) {
            *slot = Some(band);
        }
    }
    let peeks = OrderReport {
        planned: plan.len() as u64,
        read: read.load(Ordering::Relaxed) as u64,
        lifted: found.len() as u64,
        elapsed: started.elapsed(),
        modeled: std::time::Duration::from_secs_f64(head.modeled_secs),
        modeled_before: std::time::Duration::from_secs_f64(head.modeled_secs),
        scan_modeled: std::time::Duration::from_secs_f64(head.scan_secs),
        order_modeled: std::time::Duration::ZERO,
    };
    (lifted, peeks)
}

/// Reads up to `head.len()` bytes from the start of `task`; the count, or
/// `None` if it cannot be opened or read.
fn read_head(root: &EvidenceRoot, task: &FileTask, head: &mut [u8]) -> Option<usize> {
    let mut file = root
        .open_item(&task.rel_path, task.stream.as_deref())
        .ok()?;
    let mut n = 0;
    while n < head.len() {
        match file.read(head.get_mut(n..)?) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    Some(n)
}
