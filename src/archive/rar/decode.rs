//! Compressed RAR members, decoded by the `rars` crate (pure Rust, no
//! `unsafe`, Apache-2.0; RAR 1.5–4.x and RAR 5/7 methods, solid archives,
//! filters and PPMd).
//!
//! Our own parser ([`super::v4`], [`super::v5`]) stays the authority for
//! what the archive holds: names, kinds, sizes, times, encryption, streams.
//! When it meets the first compressed member of an archive it starts one
//! decoder thread for that archive, which parses the archive again with
//! `rars` and extracts, in archive order, exactly the members asked for.
//! A request names the member by where its data starts in the archive (and
//! checks its expanded size and CRC32), so the two parsers can never
//! silently disagree: a member the decoder does not list at that offset is
//! an item error, never another member's bytes, and the members after it
//! are still decoded.
//!
//! Why a thread: `rars` pushes a member's bytes into a writer it owns,
//! while Ferret's visitor pulls them through a reader (to hash in one
//! streaming pass, with the expansion limits counting as it reads). The
//! thread turns the push into a pull through a small bounded channel, so
//! at most a few chunks of a member are in flight whatever its size.
//!
//! The decoder never opens anything: it reads the archive through a proxy
//! whose reads travel back to the thread that owns the archive reader
//! (the evidence file, or a nested archive in memory) and are served there
//! between chunks. So nested RARs are decoded in memory like every other
//! nested archive, and the evidence is read through Ferret's own handle.
//!
//! Hostile input: the decoder's dictionary (1 GiB), workspace and header
//! budgets are capped; a member Ferret does not ask for but must decode
//! for a solid stream's history may expand to 64 MiB at most; a failure
//! that ends the crate's extraction (a resource limit) in an archive that
//! is not solid costs that member only: extraction starts again after it.
//! A panic inside the crate ends only that archive's decoder (each member
//! after it is an item error naming the panic). Dropping the decoder (a
//! limit, the end of the archive) cancels the crate's work, closes both
//! channels, which ends the thread wherever it waits, and joins it.
//!
//! Known limit of the crate: RAR 1.5–4.x members are decoded from their
//! packed data held whole in memory; Ferret's parser records such a member
//! above [`super::MAX_RAR4_PACKED`] as not read, with that reason.
// Data read from an archive never indexes unchecked and never unwraps: a
// hostile archive is an error, not a panic.
#![deny(clippy::indexing_slicing, clippy::unwrap_used)]

use std::cell::{Cell, RefCell};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::thread::JoinHandle;

use rars::{
    ArchiveMemberDetail, ArchiveReadOptions, ArchiveReader, ExtractionDecision,
    ExtractionErrorAction, ReadCancellation,
};

/// The largest dictionary a member may declare (RAR 5 allows 4 GiB,
/// RAR 7 up to 64 GiB; WinRAR's default is 32 MiB). A member above it is
/// an item error naming the cap.
const DICTIONARY_CAP: u64 = 1 << 30;
/// The decoder's whole working memory (dictionary, tables, filter blocks;
/// for RAR 1.5–4.x the packed member too, read whole by the crate).
const WORKSPACE_CAP: u64 = (1 << 30) + (256 << 20);
/// What a member Ferret does not read (encrypted, a link, a stream) may
/// expand to while it is decoded for a solid stream's history.
const DISCARD_CAP: u64 = 64 << 20;
/// RAR 5 members up to this size may be decoded whole into memory (the
/// crate's default is 512 MiB); larger ones stream, so a bomb is stopped by
/// the expansion limits as it expands rather than after.
const BUFFERED_DECODE_CAP: u64 = 4 << 20;
/// Header bytes the decoder parses (names, extras) before it refuses.
const HEADER_BYTES_CAP: u64 = 32 << 20;
/// The decoder's reads of the archive start at this size and double while
/// it reads on in order (member data), up to [`READ_AHEAD_MAX`].
const READ_AHEAD_MIN: usize = 16 * 1024;
const READ_AHEAD_MAX: usize = 1024 * 1024;
/// The largest single read the decoder may ask for.
const MAX_READ: usize = 8 << 20;
/// Chunks in flight between the decoder and the visitor.
const CHANNEL_DEPTH: usize = 4;

/// Decoder thread → archive owner.
enum Msg {
    /// Read up to `len` bytes at `pos` of the archive and send them back.
    Read {
        pos: u64,
        len: usize,
        reply: SyncSender<io::Result<Vec<u8>>>,
    },
    /// The next bytes of the member being extracted.
    Data(Vec<u8>),
    /// The member asked for is complete and verified (`Ok`), or not.
    Done(Result<(), String>),
}

/// Archive owner → decoder thread: the next member wanted, by its header.
struct Request {
    /// Where its data starts in the archive.
    offset: u64,
    size: u64,
    crc: Option<u32>,
}

/// One archive's decoder thread.
pub(super) struct Decoder {
    requests: Option<Sender<Request>>,
    msgs: Option<Receiver<Msg>>,
    thread: Option<JoinHandle<()>>,
    cancel: ReadCancellation,
    /// Why no member can be decoded any more (a member was not read to
    /// its end, so the stream is out of step; or the thread is gone).
    broken: Option<String>,
}

impl Decoder {
    /// Starts a decoder for an archive of `len` bytes holding at most
    /// `max_headers` headers worth parsing.
    pub(super) fn start(len: u64, max_headers: u64) -> Decoder {
        let (req_tx, req_rx) = mpsc::channel();
        let (msg_tx, msg_rx) = mpsc::sync_channel(CHANNEL_DEPTH);
        let cancel = ReadCancellation::new();
        let token = cancel.clone();
        crate::archive::quiet_panics();
        let spawned = std::thread::Builder::new()
            .name(crate::archive::QUIET_THREAD.into())
            .spawn(move || producer(len, max_headers, token, req_rx, msg_tx));
        match spawned {
            Ok(thread) => Decoder {
                requests: Some(req_tx),
                msgs: Some(msg_rx),
                thread: Some(thread),
                cancel,
                broken: None,
            },
            Err(e) => Decoder {
                requests: None,
                msgs: None,
                thread: None,
                cancel,
                broken: Some(format!("the RAR decoder could not start: {e}")),
            },
        }
    }

    /// The member whose data starts at `offset` and whose header says
    /// `size` bytes and `crc`, as a reader;
    /// `archive` is the archive's own reader, which serves the decoder's
    /// reads meanwhile (its position is left anywhere).
    pub(super) fn member<'a, R: Read + Seek>(
        &'a mut self,
        archive: &'a mut R,
        offset: u64,
        size: u64,
        crc: Option<u32>,
    ) -> MemberReader<'a, R> {
        let sent = self
            .requests
            .as_ref()
            .is_some_and(|tx| tx.send(Request { offset, size, crc }).is_ok());
        let state = match (&self.broken, sent) {
            (Some(why), _) => State::Failed(why.clone()),
            (None, false) => State::Failed("the RAR decoder stopped".into()),
            (None, true) => State::Reading,
        };
        MemberReader {
            decoder: self,
            archive,
            chunk: Vec::new(),
            at: 0,
            state,
        }
    }

    fn shut_down(&mut self, why: String) {
        self.broken.get_or_insert(why);
        // Whatever the crate is decoding (a solid stream's history) stops
        // at its next check.
        self.cancel.cancel();
        self.requests = None;
        self.msgs = None;
        if let Some(thread) = self.thread.take() {
            // The thread ends wherever it waits once both channels are
            // closed; a panic in it was already caught there.
            let _ = thread.join();
        }
    }
}

impl Drop for Decoder {
    fn drop(&mut self) {
        self.shut_down(String::new());
    }
}

enum State {
    Reading,
    Finished,
    Failed(String),
}

/// A member's bytes as the decoder produces them; at the end, the
/// decoder's own verification (CRC32 or BLAKE2sp) decides between EOF and
/// an error.
pub(super) struct MemberReader<'a, R: Read + Seek> {
    decoder: &'a mut Decoder,
    archive: &'a mut R,
    chunk: Vec<u8>,
    at: usize,
    state: State,
}

impl<R: Read + Seek> MemberReader<'_, R> {
    fn serve(&mut self, pos: u64, len: usize) -> io::Result<Vec<u8>> {
        let len = len.min(MAX_READ);
        self.archive.seek(SeekFrom::Start(pos))?;
        let mut buf = Vec::with_capacity(len);
        (&mut *self.archive)
            .take(len as u64)
            .read_to_end(&mut buf)?;
        Ok(buf)
    }
}

impl<R: Read + Seek> Read for MemberReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if let Some(rest) = self.chunk.get(self.at..)
                && !rest.is_empty()
            {
                let n = rest.len().min(buf.len());
                if let (Some(dst), Some(src)) = (buf.get_mut(..n), rest.get(..n)) {
                    dst.copy_from_slice(src);
                }
                self.at += n;
                return Ok(n);
            }
            match &self.state {
                State::Finished => return Ok(0),
                State::Failed(why) => return Err(io::Error::other(why.clone())),
                State::Reading => {}
            }
            let msg = match &self.decoder.msgs {
                Some(rx) => rx.recv().ok(),
                None => None,
            };
            match msg {
                None => {
                    self.state = State::Failed("the RAR decoder stopped unexpectedly".into());
                }
                Some(Msg::Read { pos, len, reply }) => {
                    let data = self.serve(pos, len);
                    let _ = reply.send(data);
                }
                Some(Msg::Data(data)) => {
                    self.chunk = data;
                    self.at = 0;
                }
                Some(Msg::Done(Ok(()))) => self.state = State::Finished,
                Some(Msg::Done(Err(why))) => self.state = State::Failed(why),
            }
        }
    }
}

impl<R: Read + Seek> Drop for MemberReader<'_, R> {
    fn drop(&mut self) {
        // A member not read to its end leaves its remaining chunks in the
        // channel: the decoder is out of step with the listing and stops.
        if matches!(self.state, State::Reading) {
            self.decoder.shut_down(
                "the RAR decoder stopped: an earlier member was not read to its end".into(),
            );
        }
    }
}

/// The archive as the decoder sees it: reads go to the owner's thread.
struct Proxy {
    len: u64,
    pos: u64,
    msgs: SyncSender<Msg>,
    block: Vec<u8>,
    block_at: u64,
    /// The next read's size: doubles while the decoder reads on in order.
    ahead: usize,
}

impl Read for Proxy {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() || self.pos >= self.len {
            return Ok(0);
        }
        let cached = self
            .pos
            .checked_sub(self.block_at)
            .and_then(|off| usize::try_from(off).ok())
            .filter(|&off| off < self.block.len());
        let off = match cached {
            Some(off) => off,
            None => {
                let (reply, answer) = mpsc::sync_channel(1);
                let in_order = self.pos == self.block_at + self.block.len() as u64;
                self.ahead = if in_order {
                    (self.ahead * 2).min(READ_AHEAD_MAX)
                } else {
                    READ_AHEAD_MIN
                };
                let len = buf.len().max(self.ahead).min(MAX_READ);
                self.msgs
                    .send(Msg::Read {
                        pos: self.pos,
                        len,
                        reply,
                    })
                    .map_err(|_| io::Error::other("archive reader gone"))?;
                self.block = answer
                    .recv()
                    .map_err(|_| io::Error::other("archive reader gone"))??;
                self.block_at = self.pos;
                if self.block.is_empty() {
                    return Ok(0);
                }
                0
            }
        };
        let rest = self.block.get(off..).unwrap_or_default();
        let n = rest.len().min(buf.len());
        if let (Some(dst), Some(src)) = (buf.get_mut(..n), rest.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for Proxy {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let pos = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = pos.ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))?;
        Ok(self.pos)
    }
}

/// A member's bytes on their way to the visitor.
/// The crate writes in small pieces; they are sent on in chunks of this
/// size (a message per piece costs a thread hand-over each).
const SEND_CHUNK: usize = 256 * 1024;

/// A member's bytes on their way to the visitor, gathered into chunks.
/// The pending chunk is shared with the decoder thread's callbacks, which
/// send it before they say the member is done (the crate may drop this
/// writer later than that).
struct ChannelWriter {
    msgs: SyncSender<Msg>,
    pending: Rc<RefCell<Vec<u8>>>,
}

impl Write for ChannelWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let full = {
            let mut pending = self.pending.borrow_mut();
            pending.extend_from_slice(buf);
            (pending.len() >= SEND_CHUNK).then(|| std::mem::take(&mut *pending))
        };
        if let Some(chunk) = full {
            self.msgs
                .send(Msg::Data(chunk))
                .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "member no longer read"))?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Sends what is pending of a member's bytes, then its `Done`.
fn finish(msgs: &SyncSender<Msg>, pending: &RefCell<Vec<u8>>, done: Result<(), String>) {
    let chunk = std::mem::take(&mut *pending.borrow_mut());
    if done.is_ok() && !chunk.is_empty() {
        let _ = msgs.send(Msg::Data(chunk));
    }
    let _ = msgs.send(Msg::Done(done));
}

/// A member's bytes Ferret does not read, decoded for a solid stream's
/// history: counted, and refused past [`DISCARD_CAP`] unless stored.
struct Discard {
    written: u64,
    cap: Option<u64>,
}

impl Write for Discard {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.written += buf.len() as u64;
        match self.cap {
            Some(cap) if self.written > cap => Err(io::Error::other(format!(
                "a member Ferret does not read expands past {} MiB in the solid stream",
                cap >> 20
            ))),
            _ => Ok(buf.len()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The decoder thread: parse, then extract the members asked for.
fn producer(
    len: u64,
    max_headers: u64,
    cancel: ReadCancellation,
    requests: Receiver<Request>,
    msgs: SyncSender<Msg>,
) {
    let run = catch_unwind(AssertUnwindSafe(|| {
        extract_requested(len, max_headers, &cancel, &requests, &msgs)
    }));
    let why = match run {
        Ok(why) => why,
        Err(payload) => {
            let text = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            let why = format!("the RAR decoder panicked: {text}");
            // A member cut short by the panic gets the reason.
            let _ = msgs.send(Msg::Done(Err(why.clone())));
            why
        }
    };
    // Every later request is refused with the reason, until the owner
    // closes the channel.
    while requests.recv().is_ok() {
        if msgs.send(Msg::Done(Err(why.clone()))).is_err() {
            break;
        }
    }
}

/// Where each file's data starts, in the order extraction visits them.
fn data_offsets(archive: &rars::Archive) -> Option<Vec<u64>> {
    match archive {
        rars::Archive::Rar15To40(a) => {
            Some(a.files().map(|f| f.packed_range.start as u64).collect())
        }
        rars::Archive::Rar50Plus(a) => {
            Some(a.files().map(|f| f.block.data_range.start as u64).collect())
        }
        _ => None,
    }
}

fn archive_is_solid(archive: &rars::Archive) -> bool {
    let main = match archive {
        rars::Archive::Rar15To40(a) => a.main.is_solid(),
        rars::Archive::Rar50Plus(a) => a.main.is_solid(),
        _ => false,
    };
    main || archive.members().any(|m| m.is_solid())
}

/// What the crate's member says of its expanded bytes' CRC32.
fn member_crc(member: &rars::ArchiveMember) -> Option<u32> {
    match &member.detail {
        ArchiveMemberDetail::Rar15To40 { crc32, .. } => Some(*crc32),
        ArchiveMemberDetail::Rar50Plus { crc32, .. } => *crc32,
        _ => None,
    }
}

/// Extracts the requested members; returns why no further member can be.
fn extract_requested(
    len: u64,
    max_headers: u64,
    cancel: &ReadCancellation,
    requests: &Receiver<Request>,
    msgs: &SyncSender<Msg>,
) -> String {
    let proxy = Proxy {
        len,
        pos: 0,
        msgs: msgs.clone(),
        block: Vec::new(),
        block_at: 0,
        ahead: READ_AHEAD_MIN,
    };
    let options = ArchiveReadOptions::new()
        .with_max_header_count(max_headers)
        .with_max_header_bytes(HEADER_BYTES_CAP)
        .with_cancellation(cancel);
    let archive = match ArchiveReader::read_reader_with_options(proxy, options) {
        Ok(archive) => archive,
        Err(e) => {
            return format!("the RAR decoder could not read the archive: {e}");
        }
    };
    let Some(offsets) = data_offsets(&archive) else {
        return "the RAR decoder does not read this RAR version".into();
    };
    let solid = archive_is_solid(&archive);
    let options = options
        .with_rar50_dictionary_size_limit(DICTIONARY_CAP)
        .with_max_reader_workspace_bytes(WORKSPACE_CAP)
        .with_rar50_buffered_decode_limit(BUFFERED_DECODE_CAP);
    let wanted: RefCell<Option<Request>> = RefCell::new(None);
    // A member is being sent: its `Done` is owed, after what is pending.
    let sending = Cell::new(false);
    let pending: Rc<RefCell<Vec<u8>>> = Rc::new(RefCell::new(Vec::new()));
    // The index of the next member the crate visits; members before
    // `restart_at` were dealt with before a restart.
    let index = Cell::new(0usize);
    let mut restart_at = 0usize;
    let refuse = |why: String| {
        let _ = msgs.send(Msg::Done(Err(why)));
    };
    let ended = loop {
        index.set(0);
        let result = archive.extract_with_control_and_errors(
            options,
            |member| {
                if sending.replace(false) {
                    // Verified: the crate only moves on after its check.
                    finish(msgs, &pending, Ok(()));
                }
                let i = index.get();
                index.set(i + 1);
                let meta = &member.meta;
                if meta.is_directory || meta.is_redirection {
                    return Ok(ExtractionDecision::Skip);
                }
                let not_wanted = || {
                    if solid {
                        // Decoded for the history the next members need.
                        let cap = (!meta.is_stored).then_some(DISCARD_CAP);
                        ExtractionDecision::Extract(Box::new(Discard { written: 0, cap }))
                    } else {
                        ExtractionDecision::Skip
                    }
                };
                let (true, Some(&offset)) = (i >= restart_at, offsets.get(i)) else {
                    return Ok(not_wanted());
                };
                let mut wanted = wanted.borrow_mut();
                loop {
                    let Some(w) = wanted.take() else {
                        match requests.recv() {
                            Ok(request) => {
                                *wanted = Some(request);
                                continue;
                            }
                            Err(_) => return Ok(ExtractionDecision::Stop),
                        }
                    };
                    if offset < w.offset {
                        *wanted = Some(w);
                        return Ok(not_wanted());
                    }
                    if offset > w.offset {
                        // The crate lists no file where our parser does:
                        // that member only; the next request may be this.
                        refuse(format!(
                            "the RAR decoder lists no file with data at offset {}",
                            w.offset
                        ));
                        continue;
                    }
                    let crc = member_crc(member);
                    let agrees = w.size == meta.unpacked_size && w.crc == crc;
                    if meta.is_encrypted || !agrees {
                        refuse(format!(
                            "the RAR decoder reads this member differently \
                             (size {}, CRC {crc:?}, encrypted {})",
                            meta.unpacked_size, meta.is_encrypted
                        ));
                        return Ok(not_wanted());
                    }
                    sending.set(true);
                    pending.borrow_mut().clear();
                    return Ok(ExtractionDecision::Extract(Box::new(ChannelWriter {
                        msgs: msgs.clone(),
                        pending: Rc::clone(&pending),
                    })));
                }
            },
            |_member, error| {
                if sending.replace(false) {
                    finish(msgs, &pending, Err(error.to_string()));
                }
                Ok(ExtractionErrorAction::Continue)
            },
        );
        match result {
            Ok(_) => {
                if sending.replace(false) {
                    finish(msgs, &pending, Ok(()));
                }
                break None;
            }
            Err(e) => {
                let e = e.to_string();
                if sending.replace(false) {
                    finish(msgs, &pending, Err(e.clone()));
                }
                // Not solid: the members after the one that failed do not
                // need it; extraction starts again after it.
                let failed_after = index.get();
                if !solid && failed_after > restart_at && !cancel.is_cancelled() {
                    restart_at = failed_after;
                    continue;
                }
                break Some(e);
            }
        }
    };
    let why = match ended {
        Some(e) => format!("the RAR decoder stopped: {e}"),
        None => "the RAR decoder lists no file with data at this offset".into(),
    };
    if wanted.borrow_mut().take().is_some() {
        refuse(why.clone());
    }
    why
}
