//! The expander: walks one top-level archive and every archive nested in
//! it, hashes each regular member once as it streams out (all digests in
//! one read), and holds the [`Limits`] against bombs.
//!
//! - A member is sniffed from its first 512 bytes. One that is itself an
//!   archive is opened from the same stream: TAR and compressed streams are
//!   read on the fly through a tee that hashes the member as its members are
//!   read; ZIP, 7z and RAR (which keep their directory at the end) are read
//!   into memory first, up to [`Limits::max_in_memory`].
//! - Every limit is counted over the whole top-level archive; the first one
//!   reached stops it, and is recorded on it (a bomb is itself a lead).
//! - A reader that panics on a hostile archive ends that archive with an
//!   error; the scan goes on.

use std::cell::{Cell, RefCell};
use std::io::{self, Cursor, Read, Seek};
use std::ops::ControlFlow;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use super::{ArchiveError, Format, MemberData, MemberHeader, Stop, Visitor};
use crate::hashing::{AlgorithmSet, DigestSet, MultiHasher};

/// How far and how much the expander reads inside one top-level archive.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Limits {
    /// Archives inside archives, at most this deep (the top level is 1).
    pub max_depth: u32,
    /// Bytes expanded out of it, all levels together.
    pub max_expanded: u64,
    /// A member may expand to at most this many times its packed size…
    pub max_ratio: u64,
    /// …once it has expanded past this many bytes (small members of any
    /// ratio are common and harmless).
    pub ratio_floor: u64,
    /// Members, all levels together.
    pub max_members: u64,
    /// Time spent on it.
    pub time_budget_secs: u64,
    /// A nested ZIP, 7z or RAR is read into memory to be opened: at most
    /// this many bytes (a larger one is hashed, and recorded as not opened).
    pub max_in_memory: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 8,
            max_expanded: 1 << 40,
            max_ratio: 250,
            ratio_floor: 16 << 20,
            max_members: 1_000_000,
            time_budget_secs: 600,
            max_in_memory: 256 << 20,
        }
    }
}

/// What the expander found in one archive (top-level or nested).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ArchiveSummary {
    /// Its format.
    pub format: Option<Format>,
    /// Members listed directly in it.
    pub members: u64,
    /// Of those, encrypted ones.
    pub encrypted: u64,
    /// The limit that stopped it (for a top-level archive: reached anywhere
    /// inside it).
    pub limit: Option<String>,
    /// Why it could not be read to its end (damaged, unsupported).
    pub error: Option<String>,
    /// Not opened: the same bytes as this earlier member (its chain of
    /// names), whose members were recorded.
    pub same_as: Option<Vec<Vec<u8>>>,
}

/// One member, at any depth.
#[derive(Debug)]
pub struct MemberRecord {
    /// Member names from the top-level archive down to this one.
    pub chain: Vec<Vec<u8>>,
    /// For each name of `chain`, which occurrence of that name in its
    /// archive it is (1 for the first; a name may repeat).
    pub ordinals: Vec<u32>,
    /// As its archive describes it.
    pub header: MemberHeader,
    /// What happened to its data.
    pub outcome: MemberOutcome,
    /// For a still picture when perceptual hashing is on: its PDQ hash, or
    /// why it has none.
    pub perceptual: Option<crate::perceptual::Perceptual>,
}

/// What happened to a member's data.
#[derive(Debug)]
// One per member, moved once: the size of the hashed variant does not matter.
#[allow(clippy::large_enum_variant)]
pub enum MemberOutcome {
    /// Read to its end and hashed.
    Hashed {
        /// Digests of the expanded bytes.
        digests: DigestSet,
        /// Bytes read.
        len: u64,
        /// The first bytes (for classification).
        head: Vec<u8>,
        /// It is an archive itself: what was found inside.
        archive: Option<ArchiveSummary>,
    },
    /// Not read: why (directory, link, encrypted, method not supported, a
    /// limit reached before its end).
    NotRead(String),
    /// Reading it failed (damaged data).
    Failed(String),
}

/// Bytes read first of a member: sniffed for a nested archive (TAR's magic
/// is at 257) and kept for classification.
const CLASSIFY: usize = crate::hashing::HEADER_LEN;
/// Marks the I/O error a limit raises inside a reader.
const LIMIT: &str = "ferret archive limit";

/// Counters over one top-level archive, shared by every level.
struct Budget<'a> {
    limits: &'a Limits,
    algorithms: AlgorithmSet,
    /// Perceptual hashes of still pictures.
    pdq: bool,
    cancel: &'a dyn Fn() -> bool,
    started: Instant,
    expanded: Cell<u64>,
    members: Cell<u64>,
    in_memory: Cell<u64>,
    /// The first limit reached.
    limit: RefCell<Option<String>>,
    /// A limit that left a nested archive unopened without stopping the
    /// rest (depth, size in memory): also the top-level archive's.
    skipped: RefCell<Option<String>>,
    /// Nested archives opened, by digest: where each was first met.
    seen: RefCell<std::collections::HashMap<Vec<u8>, Vec<Vec<u8>>>>,
}

impl Budget<'_> {
    fn stop(&self, why: String) -> io::Error {
        self.limit.borrow_mut().get_or_insert(why);
        io::Error::other(LIMIT)
    }

    fn stopped(&self) -> Option<String> {
        self.limit.borrow().clone()
    }

    fn out_of_time(&self) -> Option<String> {
        if (self.cancel)() {
            return Some("cancelled".into());
        }
        let budget = Duration::from_secs(self.limits.time_budget_secs);
        (self.started.elapsed() > budget)
            .then(|| format!("time budget of {} s spent", self.limits.time_budget_secs))
    }
}

/// A member's data as read out of its archive: counted against the budget.
struct Limited<'r, 'b> {
    inner: &'r mut dyn Read,
    budget: &'r Budget<'b>,
    packed: Option<u64>,
    read: u64,
    since_check: u64,
}

impl Read for Limited<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.budget.stopped().is_some() {
            return Err(io::Error::other(LIMIT));
        }
        let n = self.inner.read(buf)?;
        let n64 = n as u64;
        self.read += n64;
        self.since_check += n64;
        let b = self.budget;
        let total = b.expanded.get() + n64;
        b.expanded.set(total);
        let l = b.limits;
        if total > l.max_expanded {
            return Err(b.stop(format!("expanded more than {} bytes", l.max_expanded)));
        }
        if let Some(p) = self.packed
            && self.read > l.ratio_floor
            && self.read / p.max(1) > l.max_ratio
        {
            return Err(b.stop(format!(
                "expansion ratio over {}:1 (a member of {p} bytes expanded past {} bytes): \
                 possible archive bomb",
                l.max_ratio, self.read
            )));
        }
        if self.since_check >= 1 << 20 {
            self.since_check = 0;
            if let Some(why) = b.out_of_time() {
                return Err(b.stop(why));
            }
        }
        Ok(n)
    }
}

/// The top-level archive as read: the time budget checked every MiB.
struct Timed<'b, 'l, R> {
    inner: R,
    budget: &'b Budget<'l>,
    since_check: u64,
}

impl<R: Read> Read for Timed<'_, '_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.since_check += n as u64;
        if self.since_check >= 1 << 20 {
            self.since_check = 0;
            if let Some(why) = self.budget.out_of_time() {
                return Err(self.budget.stop(why));
            }
        }
        Ok(n)
    }
}

impl<R: Seek> Seek for Timed<'_, '_, R> {
    fn seek(&mut self, pos: io::SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

/// Hashes what is read through it (a nested stream archive's own digests,
/// while its members are read out of it).
struct Tee<R> {
    inner: R,
    hasher: MultiHasher,
    len: u64,
    head: Vec<u8>,
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let data = buf.get(..n).unwrap_or_default();
        self.hasher.update(data);
        if self.head.len() < CLASSIFY {
            let want = (CLASSIFY - self.head.len()).min(n);
            self.head
                .extend_from_slice(data.get(..want).unwrap_or_default());
        }
        self.len += n as u64;
        Ok(n)
    }
}

/// Reads up to `max` bytes (fewer only at the end of the data).
fn read_head(r: &mut dyn Read, max: usize) -> io::Result<Vec<u8>> {
    let mut head = vec![0u8; max];
    let mut filled = 0;
    while filled < max {
        let Some(rest) = head.get_mut(filled..) else {
            break;
        };
        match r.read(rest) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    head.truncate(filled);
    Ok(head)
}

/// Feeds the rest of `r` to `hasher`; returns the bytes read.
fn hash_rest(r: &mut dyn Read, hasher: &mut MultiHasher) -> io::Result<u64> {
    let mut buf = vec![0u8; CHUNK];
    let first = read_full(r, &mut buf)?;
    hasher.update(buf.get(..first).unwrap_or_default());
    if first < CHUNK {
        return Ok(first as u64);
    }
    // A member larger than one chunk: its digests are computed on a second
    // thread while this one decompresses the next chunks, so expanding a
    // large member costs about the slower of the two, not their sum (the
    // tail of a scan is often one big archive).
    std::thread::scope(|scope| {
        let (full_tx, full_rx) = std::sync::mpsc::sync_channel::<(Vec<u8>, usize)>(2);
        let (empty_tx, empty_rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(3);
        let digest = scope.spawn(move || {
            for (buf, n) in full_rx {
                hasher.update(buf.get(..n).unwrap_or_default());
                // The reader may have stopped: a buffer it no longer wants.
                let _ = empty_tx.send(buf);
            }
        });
        let mut len = first as u64;
        let mut spare = vec![vec![0u8; CHUNK], vec![0u8; CHUNK]];
        let mut next = Some(buf);
        let result = loop {
            let mut buf = match next.take().or_else(|| spare.pop()) {
                Some(b) => b,
                None => match empty_rx.recv() {
                    Ok(b) => b,
                    Err(_) => break Err(io::Error::other("digest thread ended")),
                },
            };
            match read_full(r, &mut buf) {
                Ok(0) => break Ok(len),
                Ok(n) => {
                    len += n as u64;
                    if full_tx.send((buf, n)).is_err() {
                        break Err(io::Error::other("digest thread ended"));
                    }
                }
                Err(e) => break Err(e),
            }
        };
        drop(full_tx);
        // A panic while hashing is a bug: propagated as is.
        if let Err(payload) = digest.join() {
            std::panic::resume_unwind(payload);
        }
        result
    })
}

/// Reads `r` to its end, hashing it and keeping it in `bytes`.
fn hash_into(r: &mut dyn Read, hasher: &mut MultiHasher, bytes: &mut Vec<u8>) -> io::Result<()> {
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = read_full(r, &mut buf)?;
        let chunk = buf.get(..n).unwrap_or_default();
        hasher.update(chunk);
        bytes.extend_from_slice(chunk);
        if n < CHUNK {
            return Ok(());
        }
    }
}

/// Reads until `buf` is full or the end; `Interrupted` is retried.
fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while let Some(rest) = buf.get_mut(filled..).filter(|b| !b.is_empty()) {
        match r.read(rest) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Bytes a member is read (and hashed) in.
const CHUNK: usize = 256 << 10;

/// One archive level: the members of one archive.
struct Level<'a, 'b> {
    budget: &'a Budget<'b>,
    chain: Vec<Vec<u8>>,
    /// The occurrence of each name of `chain` in its archive.
    ordinals: Vec<u32>,
    /// The ordinals of the member being visited (its chain's, and its own).
    current: Vec<u32>,
    /// Names met so far in this archive, and how often.
    names: std::collections::HashMap<Vec<u8>, u32>,
    depth: u32,
    emit: &'a mut dyn FnMut(MemberRecord),
    summary: ArchiveSummary,
    /// The PDQ outcome of the member being recorded, if it is a picture.
    perceptual: Option<crate::perceptual::Perceptual>,
}

impl Level<'_, '_> {
    fn record(&mut self, chain: Vec<Vec<u8>>, header: MemberHeader, outcome: MemberOutcome) {
        (self.emit)(MemberRecord {
            chain,
            ordinals: self.current.clone(),
            header,
            outcome,
            perceptual: self.perceptual.take(),
        });
    }

    /// The outcome of a read that failed: a limit stops the archive.
    fn failed(
        &mut self,
        chain: Vec<Vec<u8>>,
        header: MemberHeader,
        e: &io::Error,
    ) -> ControlFlow<Stop> {
        match self.budget.stopped() {
            Some(limit) => {
                self.record(
                    chain,
                    header,
                    MemberOutcome::NotRead(format!("not read to its end: {limit}")),
                );
                ControlFlow::Break(Stop(limit))
            }
            None => {
                self.record(chain, header, MemberOutcome::Failed(e.to_string()));
                ControlFlow::Continue(())
            }
        }
    }

    /// Opens a nested archive from `reader` one level down.
    fn nested(
        &mut self,
        chain: &[Vec<u8>],
        format: Format,
        open: impl FnOnce(&mut dyn Visitor) -> Result<(), ArchiveError>,
    ) -> ArchiveSummary {
        let mut child = Level {
            budget: self.budget,
            chain: chain.to_vec(),
            ordinals: self.current.clone(),
            current: Vec::new(),
            names: std::collections::HashMap::new(),
            depth: self.depth + 1,
            emit: &mut *self.emit,
            summary: ArchiveSummary {
                format: Some(format),
                ..ArchiveSummary::default()
            },
            perceptual: None,
        };
        let result = catch_unwind(AssertUnwindSafe(|| open(&mut child)));
        finish(child.summary, result, self.budget)
    }
}

/// Closes an archive's summary with how its reader ended.
fn finish(
    mut summary: ArchiveSummary,
    result: std::thread::Result<Result<(), ArchiveError>>,
    budget: &Budget<'_>,
) -> ArchiveSummary {
    match result {
        Ok(Ok(())) => {}
        Ok(Err(ArchiveError::Stopped(Stop(why)))) => summary.limit = Some(why),
        // A reader that met the limit error inside reports it as damage.
        Ok(Err(e)) => match budget.stopped() {
            Some(limit) => summary.limit = Some(limit),
            None => summary.error = Some(e.to_string()),
        },
        Err(_) => summary.error = Some("the archive reader failed on this archive".into()),
    }
    summary
}

impl Visitor for Level<'_, '_> {
    fn member(&mut self, header: MemberHeader, data: MemberData<'_>) -> ControlFlow<Stop> {
        let budget = self.budget;
        self.summary.members += 1;
        if header.encrypted {
            self.summary.encrypted += 1;
        }
        let mut chain = self.chain.clone();
        chain.push(header.name.clone());
        // A name met again in the same archive (TAR appends, duplicate ZIP
        // entries) is another member: numbered, never merged.
        let nth = {
            let n = self.names.entry(header.name.clone()).or_insert(0);
            *n += 1;
            *n
        };
        self.current = self.ordinals.clone();
        self.current.push(nth);
        let count = budget.members.get() + 1;
        budget.members.set(count);
        let limit = if count > budget.limits.max_members {
            Some(format!("more than {} members", budget.limits.max_members))
        } else {
            budget.out_of_time()
        };
        if let Some(why) = limit {
            let _ = budget.stop(why.clone());
            self.record(
                chain,
                header,
                MemberOutcome::NotRead(format!("not read: {why}")),
            );
            return ControlFlow::Break(Stop(why));
        }
        let stream = match data {
            MemberData::Unreadable(why) => {
                self.record(chain, header, MemberOutcome::NotRead(why));
                return ControlFlow::Continue(());
            }
            MemberData::Stream(s) => s,
        };
        let mut data = Limited {
            inner: stream,
            budget,
            packed: header.packed,
            read: 0,
            since_check: 0,
        };
        let head = match read_head(&mut data, CLASSIFY) {
            Ok(h) => h,
            Err(e) => return self.failed(chain, header, &e),
        };
        let nested = Format::sniff(&head);
        let deep_enough = self.depth >= budget.limits.max_depth;
        let mut hasher = MultiHasher::new(budget.algorithms);
        match nested {
            Some(format) if !deep_enough && !format.needs_seek() => {
                // Read on the fly: its members out of a tee that hashes it.
                let mut tee = Tee {
                    inner: Cursor::new(head).chain(&mut data),
                    hasher,
                    len: 0,
                    head: Vec::new(),
                };
                let packed = header.size;
                let name = header.name.clone();
                let summary = self.nested(&chain, format, |v| match format {
                    Format::Tar => super::tar::read_tar(&mut tee, v),
                    _ => super::stream::read_stream(&mut tee, format, &name, packed, v),
                });
                // Its own digest needs every byte: the rest after the last
                // member (padding, end blocks), unless a limit stopped it.
                if summary.limit.is_some() {
                    let why = format!(
                        "not read to its end: {}",
                        summary.limit.clone().unwrap_or_default()
                    );
                    let stop = summary.limit.clone().unwrap_or_default();
                    self.record(chain, header, MemberOutcome::NotRead(why));
                    return ControlFlow::Break(Stop(stop));
                }
                match io::copy(&mut tee, &mut io::sink()) {
                    Ok(_) => {
                        let outcome = MemberOutcome::Hashed {
                            digests: tee.hasher.finalize(),
                            len: tee.len,
                            head: tee.head,
                            archive: Some(summary),
                        };
                        self.record(chain, header, outcome);
                        ControlFlow::Continue(())
                    }
                    Err(e) => self.failed(chain, header, &e),
                }
            }
            Some(format) if !deep_enough => {
                // Needs its directory: held in memory, under the cap.
                let cap = budget
                    .limits
                    .max_in_memory
                    .saturating_sub(budget.in_memory.get());
                let mut whole = head;
                // Reserved once for what the header says (no doubling past
                // the cap); memory that cannot be had is an error, not an abort.
                let expect = header.size.unwrap_or(0).min(cap).saturating_add(1);
                let extra = usize::try_from(expect)
                    .unwrap_or(usize::MAX)
                    .saturating_sub(whole.len());
                if whole.try_reserve_exact(extra).is_err() {
                    let e = io::Error::new(io::ErrorKind::OutOfMemory, "no memory to open it");
                    return self.failed(chain, header, &e);
                }
                let want = cap.saturating_add(1).saturating_sub(whole.len() as u64);
                if let Err(e) = (&mut data).take(want).read_to_end(&mut whole) {
                    return self.failed(chain, header, &e);
                }
                if whole.len() as u64 > cap {
                    hasher.update(&whole);
                    let rest = match hash_rest(&mut data, &mut hasher) {
                        Ok(n) => n,
                        Err(e) => return self.failed(chain, header, &e),
                    };
                    let why = format!(
                        "not opened: larger than the {} bytes a nested {} archive may take in memory",
                        budget.limits.max_in_memory,
                        format.as_str()
                    );
                    budget.skipped.borrow_mut().get_or_insert(why.clone());
                    let summary = ArchiveSummary {
                        format: Some(format),
                        limit: Some(why),
                        ..ArchiveSummary::default()
                    };
                    let len = whole.len() as u64 + rest;
                    whole.truncate(CLASSIFY);
                    let outcome = MemberOutcome::Hashed {
                        digests: hasher.finalize(),
                        len,
                        head: whole,
                        archive: Some(summary),
                    };
                    self.record(chain, header, outcome);
                    return ControlFlow::Continue(());
                }
                hasher.update(&whole);
                let digests = hasher.finalize();
                let held = whole.len() as u64;
                // An archive identical to one already opened inside this
                // one (a recursive bomb repeats one archive at every level)
                // is looked inside once: its members would be the same.
                let key = budget
                    .algorithms
                    .iter()
                    .filter_map(|a| digests.get(a))
                    .flatten()
                    .copied()
                    .collect::<Vec<u8>>();
                let head = whole
                    .get(..CLASSIFY.min(whole.len()))
                    .unwrap_or_default()
                    .to_vec();
                let first = budget.seen.borrow().get(&key).cloned();
                let (summary, stop) = match first {
                    Some(first) => {
                        let summary = ArchiveSummary {
                            format: Some(format),
                            same_as: Some(first),
                            ..ArchiveSummary::default()
                        };
                        (summary, None)
                    }
                    None => {
                        budget.seen.borrow_mut().insert(key, chain.clone());
                        budget.in_memory.set(budget.in_memory.get() + held);
                        let summary = self.nested(&chain, format, |v| {
                            read_seekable(Cursor::new(whole.as_slice()), format, v)
                        });
                        budget
                            .in_memory
                            .set(budget.in_memory.get().saturating_sub(held));
                        let stop = summary.limit.clone().filter(|_| budget.stopped().is_some());
                        (summary, stop)
                    }
                };
                let outcome = MemberOutcome::Hashed {
                    digests,
                    len: held,
                    head,
                    archive: Some(summary),
                };
                self.record(chain, header, outcome);
                match stop {
                    Some(why) => ControlFlow::Break(Stop(why)),
                    None => ControlFlow::Continue(()),
                }
            }
            _ => {
                hasher.update(&head);
                let picture = if budget.pdq && nested.is_none() {
                    let named = crate::pathfmt::path_from_bytes(header.name.clone());
                    crate::perceptual::picture(&crate::classify::classify(&head, &named))
                } else {
                    None
                };
                // A picture type that is not decoded says so.
                let picture = match picture {
                    Some(Some(not_decoded)) => {
                        self.perceptual = Some(not_decoded);
                        false
                    }
                    Some(None) => true,
                    None => false,
                };
                let rest = if picture {
                    // Held while hashed, then decoded (up to the cap).
                    let max = crate::perceptual::MAX_INPUT as u64;
                    let mut bytes = head.clone();
                    let mut held = (&mut data).take(max + 1 - head.len() as u64);
                    let read = hash_into(&mut held, &mut hasher, &mut bytes);
                    let more = match read {
                        Ok(_) if bytes.len() as u64 > max => {
                            self.perceptual =
                                Some(crate::perceptual::Perceptual::NotHashed(format!(
                                    "larger than the {} MiB decoded for a perceptual hash",
                                    max >> 20
                                )));
                            hash_rest(&mut data, &mut hasher)
                        }
                        Ok(_) => {
                            self.perceptual = Some(crate::perceptual::Perceptual::of_image(&bytes));
                            Ok(0)
                        }
                        Err(e) => Err(e),
                    };
                    more.map(|m| bytes.len() as u64 - head.len() as u64 + m)
                } else {
                    hash_rest(&mut data, &mut hasher)
                };
                let rest = match rest {
                    Ok(n) => n,
                    Err(e) => {
                        self.perceptual = None;
                        return self.failed(chain, header, &e);
                    }
                };
                let archive = nested.map(|format| {
                    let why = format!(
                        "not opened: nested deeper than {} archives",
                        budget.limits.max_depth
                    );
                    budget.skipped.borrow_mut().get_or_insert(why.clone());
                    ArchiveSummary {
                        format: Some(format),
                        limit: Some(why),
                        ..ArchiveSummary::default()
                    }
                });
                let len = head.len() as u64 + rest;
                let mut head = head;
                head.truncate(CLASSIFY);
                self.record(
                    chain,
                    header,
                    MemberOutcome::Hashed {
                        digests: hasher.finalize(),
                        len,
                        head,
                        archive,
                    },
                );
                ControlFlow::Continue(())
            }
        }
    }
}

/// Reads an archive that may need to seek (any format).
fn read_seekable<R: Read + Seek>(
    reader: R,
    format: Format,
    visitor: &mut dyn Visitor,
) -> Result<(), ArchiveError> {
    match format {
        Format::Zip => super::zip::read_zip(reader, visitor),
        Format::Tar => super::tar::read_tar(reader, visitor),
        Format::SevenZ => super::sevenz::read_sevenz(reader, visitor),
        Format::Rar4 | Format::Rar5 => super::rar::read_rar(reader, visitor),
        Format::Gzip | Format::Bzip2 | Format::Xz | Format::Zstd => Err(ArchiveError::Unsupported(
            "a compressed stream needs its container's name".into(),
        )),
    }
}

/// Expands one top-level archive (a file, or a named data stream, of the
/// evidence): every member at every depth goes to `emit`, in archive order,
/// a nested archive after its own members. `name` is the archive's file
/// name (a compressed stream's member is named from it) and `size` its
/// size. Returns what was found; a limit reached anywhere inside is its
/// `limit`.
#[allow(clippy::too_many_arguments)]
pub fn expand<R: Read + Seek>(
    reader: R,
    format: Format,
    name: &[u8],
    size: u64,
    algorithms: AlgorithmSet,
    limits: &Limits,
    cancel: &dyn Fn() -> bool,
    emit: &mut dyn FnMut(MemberRecord),
) -> ArchiveSummary {
    expand_with_pdq(
        reader, format, name, size, algorithms, limits, false, cancel, emit,
    )
}

/// [`expand`], and with `pdq` every still picture inside (by its
/// signature) also gets its PDQ hash, or the reason it has none: a member
/// up to [`crate::perceptual::MAX_INPUT`] is held in memory while it is
/// hashed, then decoded.
#[allow(clippy::too_many_arguments)]
pub fn expand_with_pdq<R: Read + Seek>(
    reader: R,
    format: Format,
    name: &[u8],
    size: u64,
    algorithms: AlgorithmSet,
    limits: &Limits,
    pdq: bool,
    cancel: &dyn Fn() -> bool,
    emit: &mut dyn FnMut(MemberRecord),
) -> ArchiveSummary {
    let budget = Budget {
        limits,
        algorithms,
        pdq,
        cancel,
        started: Instant::now(),
        expanded: Cell::new(0),
        members: Cell::new(0),
        in_memory: Cell::new(0),
        limit: RefCell::new(None),
        seen: RefCell::new(std::collections::HashMap::new()),
        skipped: RefCell::new(None),
    };
    let mut top = Level {
        budget: &budget,
        chain: Vec::new(),
        ordinals: Vec::new(),
        current: Vec::new(),
        names: std::collections::HashMap::new(),
        depth: 1,
        emit,
        summary: ArchiveSummary {
            format: Some(format),
            ..ArchiveSummary::default()
        },
        perceptual: None,
    };
    // The archive's own structure (directories, headers) is read under the
    // time budget too.
    let reader = Timed {
        inner: reader,
        budget: &budget,
        since_check: 0,
    };
    let result = catch_unwind(AssertUnwindSafe(|| match format {
        Format::Gzip | Format::Bzip2 | Format::Xz | Format::Zstd => {
            super::stream::read_stream(reader, format, name, Some(size), &mut top)
        }
        _ => read_seekable(reader, format, &mut top),
    }));
    let mut summary = finish(top.summary, result, &budget);
    // A limit reached anywhere inside is the top-level archive's.
    if summary.limit.is_none() {
        summary.limit = budget.stopped().or_else(|| budget.skipped.borrow().clone());
    }
    summary
}

/// Reads one member out of an archive, in memory: the member whose chain
/// of names is `chain` (as a scan recorded it), at most `cap` bytes (a
/// larger one is an error). For the safe preview of a picture inside an
/// archive: nothing is written anywhere.
pub fn read_member<R: Read + Seek>(
    reader: R,
    format: Format,
    name: &[u8],
    chain: &[(Vec<u8>, u32)],
    cap: u64,
) -> Result<Vec<u8>, String> {
    struct Find<'c> {
        want: &'c [u8],
        nth: u32,
        cap: u64,
        found: Option<Result<Vec<u8>, String>>,
    }
    impl Visitor for Find<'_> {
        fn member(&mut self, header: MemberHeader, data: MemberData<'_>) -> ControlFlow<Stop> {
            if header.name != self.want {
                return ControlFlow::Continue(());
            }
            self.nth = self.nth.saturating_sub(1);
            if self.nth > 0 {
                return ControlFlow::Continue(());
            }
            self.found = Some(match data {
                MemberData::Unreadable(why) => Err(why),
                MemberData::Stream(r) => {
                    let mut bytes = Vec::new();
                    match r.take(self.cap.saturating_add(1)).read_to_end(&mut bytes) {
                        Ok(_) if bytes.len() as u64 > self.cap => {
                            Err(format!("larger than {} bytes", self.cap))
                        }
                        Ok(_) => Ok(bytes),
                        Err(e) => Err(e.to_string()),
                    }
                }
            });
            ControlFlow::Break(Stop("found".into()))
        }
    }
    let Some((first, rest)) = chain.split_first() else {
        return Err("no member named".into());
    };
    // Inner layers are read whole (under the cap) to be opened.
    let layer_cap = if rest.is_empty() {
        cap
    } else {
        Limits::default().max_in_memory
    };
    let mut find = Find {
        want: &first.0,
        nth: first.1.max(1),
        cap: layer_cap,
        found: None,
    };
    let result = catch_unwind(AssertUnwindSafe(|| match format {
        Format::Gzip | Format::Bzip2 | Format::Xz | Format::Zstd => {
            super::stream::read_stream(reader, format, name, None, &mut find)
        }
        _ => read_seekable(reader, format, &mut find),
    }));
    let bytes = match (find.found, result) {
        (Some(found), _) => found?,
        (None, Ok(Ok(()))) => return Err("the member is no longer in the archive".into()),
        (None, Ok(Err(e))) => return Err(e.to_string()),
        (None, Err(_)) => return Err("the archive reader failed on this archive".into()),
    };
    if rest.is_empty() {
        return Ok(bytes);
    }
    let inner = Format::sniff(&bytes).ok_or("a container on the way is no longer an archive")?;
    read_member(Cursor::new(bytes.as_slice()), inner, &first.0, rest, cap)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn run(data: &[u8], format: Format) -> (ArchiveSummary, usize) {
        let mut n = 0;
        let limits = Limits {
            time_budget_secs: 5,
            ..Limits::default()
        };
        let s = expand(
            Cursor::new(data),
            format,
            b"x.bin",
            data.len() as u64,
            AlgorithmSet::ALL,
            &limits,
            &|| false,
            &mut |_| n += 1,
        );
        (s, n)
    }

    #[test]
    fn sniffs_each_signature() {
        assert_eq!(Format::sniff(b"PK\x03\x04rest"), Some(Format::Zip));
        assert_eq!(Format::sniff(b"\x1f\x8b\x08"), Some(Format::Gzip));
        assert_eq!(Format::sniff(b"Rar!\x1a\x07\x01\x00"), Some(Format::Rar5));
        assert_eq!(Format::sniff(b"Rar!\x1a\x07\x00"), Some(Format::Rar4));
        assert_eq!(Format::sniff(b"7z\xbc\xaf\x27\x1c"), Some(Format::SevenZ));
        assert_eq!(Format::sniff(b"plain text"), None);
        let mut tar = vec![0u8; 512];
        tar[..5].copy_from_slice(b"a.txt");
        tar[257..262].copy_from_slice(b"ustar");
        assert_eq!(Format::sniff(&tar), Some(Format::Tar));
        assert_eq!(Format::sniff(&[0u8; 512]), None);
    }

    #[test]
    fn a_gzip_bomb_stops_at_the_ratio_limit_and_says_so() {
        use std::io::Write;
        // 64 MiB of zeros: deflate packs them about 1000:1.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..64 {
            gz.write_all(&zeros).unwrap();
        }
        let bomb = gz.finish().unwrap();
        let (s, n) = run(&bomb, Format::Gzip);
        assert_eq!(n, 1);
        assert!(
            s.limit
                .as_deref()
                .is_some_and(|l| l.contains("expansion ratio over 250:1")),
            "{s:?}"
        );
    }

    #[test]
    fn data_after_the_last_gzip_member_is_recorded() {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(b"hello").unwrap();
        let mut data = gz.finish().unwrap();
        let padded = [data.clone(), vec![0u8; 512]].concat();
        data.extend_from_slice(b"appended to hide it");
        let (s, n) = run(&data, Format::Gzip);
        assert_eq!(n, 1);
        assert!(
            s.error
                .as_deref()
                .is_some_and(|e| e.contains("data after the last gzip member")),
            "{s:?}"
        );
        // Tape padding (zeros) is no such data.
        assert_eq!(run(&padded, Format::Gzip).0.error, None);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// Any bytes behind any signature: a result, never a panic.
        #[test]
        fn any_bytes_behind_a_signature(tail in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2048), which in 0usize..6) {
            let sigs: [(&[u8], Format); 6] = [
                (b"PK\x03\x04", Format::Zip),
                (b"\x1f\x8b\x08\x00", Format::Gzip),
                (b"BZh9", Format::Bzip2),
                (b"\xfd7zXZ\x00", Format::Xz),
                (b"\x28\xb5\x2f\xfd", Format::Zstd),
                (b"", Format::Tar),
            ];
            let (sig, format) = sigs[which];
            let mut data = sig.to_vec();
            data.extend_from_slice(&tail);
            let _ = run(&data, format);
        }
    }
}
