//! PDQ, Meta's 256-bit perceptual image hash, ported from the C++ reference
//! (facebook/ThreatExchange, `pdq/cpp`) so that a hash computed here can be
//! compared bit for bit with one computed there.
//!
//! The pipeline is the reference's, stage for stage and in the same float32
//! arithmetic: luma, two passes of a Jarosz tent filter (box blurs along rows
//! then columns, window = ceil(side / 128)), decimation to 64 x 64 at sample
//! centres, the image-domain quality metric, a 16 x 64 DCT-II matrix applied
//! on both sides (coefficients 1..=16 of each axis), then one bit per
//! coefficient: set when it is strictly above the median (Torben's method).
//! Operation order inside every sum is kept: reordering float additions
//! flips bits whose coefficient lies near the median.
//!
//! The eight dihedral hashes (rotations and flips) are derived from one DCT
//! by transposing and negating coefficients, as the reference does. They
//! are close to, not equal to, the hash of the moved pixels: the blur
//! window and the 64 sample centres are not symmetric about the middle
//! (0-8 bits on the corpus's rotated photos, up to 22 on a synthetic
//! picture with sharp edges).
//!
//! Inputs are untrusted: sizes are checked, nothing indexes unchecked, and
//! non-finite luma is refused (a NaN would otherwise never let the median
//! search converge).
// Pixel buffers come from decoded evidence: no unchecked indexing, no unwrap.
#![deny(clippy::indexing_slicing, clippy::unwrap_used)]

use std::fmt;
use std::sync::LazyLock;

/// Number of bits in a PDQ hash.
pub const HASH_BITS: u32 = 256;
/// Hamming distance at or below which two PDQ hashes are conventionally
/// taken to show the same picture (the reference's matching threshold).
pub const MATCH_THRESHOLD: u32 = 31;
/// Smallest side the reference hashes; below it the reference returns an
/// all-zero hash with quality 0, and so does this port.
pub const MIN_SIDE: u32 = 5;
/// Largest side accepted (the largest JPEG or WebP side); anything larger is
/// refused rather than hashed.
pub const MAX_SIDE: u32 = 1 << 16;
/// Largest pixel count accepted: 256 MP, i.e. 2 GiB of float work buffers.
pub const MAX_PIXELS: u64 = 1 << 28;

/// Side of the downsampled image the DCT works on.
const DOWNSAMPLED: usize = 64;
/// Coefficients kept along each axis.
const KEPT: usize = 16;
/// Tent filter = two box passes along each axis.
const JAROSZ_PASSES: usize = 2;

type Buffer64 = [[f32; DOWNSAMPLED]; DOWNSAMPLED];
type Coefficients = [[f32; KEPT]; KEPT];

/// A PDQ hash: 256 bits, held as the 256-bit big-endian number whose bit `k`
/// is DCT coefficient `k` (row `k / 16`, column `k % 16`). In that order
/// `bits` is exactly the reference's hex text (`Hash256::format()`: 16-bit
/// words w\[15\] first), so hex in and out is plain byte hex.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct PdqHash {
    /// The bits, most significant byte first (hex order).
    pub bits: [u8; 32],
}

impl PdqHash {
    /// The reference's text form: 64 lower-case hex digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.bits)
    }

    /// Parses 64 hex digits (either case), as the reference prints them.
    /// Anything else (other length, other characters) is `None`.
    pub fn from_hex(text: &str) -> Option<PdqHash> {
        let mut bits = [0u8; 32];
        hex::decode_to_slice(text, &mut bits).ok()?;
        Some(PdqHash { bits })
    }

    /// Hamming distance: the number of differing bits (0..=256).
    pub fn distance(&self, other: &PdqHash) -> u32 {
        self.bits
            .iter()
            .zip(other.bits.iter())
            .map(|(a, b)| (a ^ b).count_ones())
            .sum()
    }

    /// Bit `k` (coefficient row `k / 16`, column `k % 16`); `false` past 255.
    pub fn bit(&self, k: usize) -> bool {
        let Some(index) = 31usize.checked_sub(k / 8) else {
            return false;
        };
        self.bits
            .get(index)
            .is_some_and(|byte| byte >> (k % 8) & 1 == 1)
    }

    fn set_bit(&mut self, k: usize) {
        if let Some(byte) = 31usize
            .checked_sub(k / 8)
            .and_then(|index| self.bits.get_mut(index))
        {
            *byte |= 1 << (k % 8);
        }
    }
}

impl fmt::Debug for PdqHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PdqHash({})", self.to_hex())
    }
}

impl fmt::Display for PdqHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// A hash with the reference's quality score (0..=100). The reference
/// suggests ignoring hashes of quality below 50: flat or tiny pictures give
/// hashes that match too much.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HashAndQuality {
    /// The hash.
    pub hash: PdqHash,
    /// Gradient-based quality, 0..=100.
    pub quality: u8,
}

/// One of the eight symmetries of the square, named and ordered as the
/// reference's dihedral function returns them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dihedral {
    /// The picture as given.
    Original,
    /// Rotated 90 degrees anticlockwise.
    Rotate90,
    /// Rotated 180 degrees.
    Rotate180,
    /// Rotated 270 degrees anticlockwise.
    Rotate270,
    /// Mirrored top to bottom.
    FlipX,
    /// Mirrored left to right.
    FlipY,
    /// Transposed (mirrored about the main diagonal).
    FlipPlus1,
    /// Mirrored about the anti-diagonal.
    FlipMinus1,
}

impl Dihedral {
    /// All eight, in the reference's order.
    pub const ALL: [Dihedral; 8] = [
        Dihedral::Original,
        Dihedral::Rotate90,
        Dihedral::Rotate180,
        Dihedral::Rotate270,
        Dihedral::FlipX,
        Dihedral::FlipY,
        Dihedral::FlipPlus1,
        Dihedral::FlipMinus1,
    ];

    /// The reference's name (`original`, `rotate90`, … `flipminus1`).
    pub fn as_str(self) -> &'static str {
        match self {
            Dihedral::Original => "original",
            Dihedral::Rotate90 => "rotate90",
            Dihedral::Rotate180 => "rotate180",
            Dihedral::Rotate270 => "rotate270",
            Dihedral::FlipX => "flipx",
            Dihedral::FlipY => "flipy",
            Dihedral::FlipPlus1 => "flipplus1",
            Dihedral::FlipMinus1 => "flipminus1",
        }
    }

    /// How the coefficient at (row, column) of the original maps here:
    /// whether the matrix is transposed, and whether the value is negated.
    /// A mirror negates the coefficients odd along its axis; with 1-based
    /// frequencies stored 0-based, that is the even indices.
    fn maps(self, row: usize, col: usize) -> (bool, bool) {
        let even_row = row.is_multiple_of(2);
        let even_col = col.is_multiple_of(2);
        match self {
            Dihedral::Original => (false, false),
            Dihedral::Rotate90 => (true, even_col),
            Dihedral::Rotate180 => (false, even_row != even_col),
            Dihedral::Rotate270 => (true, even_row),
            Dihedral::FlipX => (false, even_row),
            Dihedral::FlipY => (false, even_col),
            Dihedral::FlipPlus1 => (true, false),
            Dihedral::FlipMinus1 => (true, even_row != even_col),
        }
    }
}

/// The eight dihedral hashes of one picture, sharing one quality.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DihedralHashes {
    /// Hashes in [`Dihedral::ALL`] order.
    pub hashes: [PdqHash; 8],
    /// Quality of the picture (the same for all eight).
    pub quality: u8,
}

impl DihedralHashes {
    /// The hash of one symmetry.
    pub fn get(&self, which: Dihedral) -> PdqHash {
        let index = Dihedral::ALL.iter().position(|d| *d == which);
        index
            .and_then(|i| self.hashes.get(i))
            .copied()
            .unwrap_or_default()
    }
}

/// Hashes a row-major luma image (`width * height` values, 0..=255 scale).
/// `None` when a side is 0 or above [`MAX_SIDE`], the pixel count exceeds
/// [`MAX_PIXELS`], the length does not match, or a value is not finite.
pub fn hash_luma(width: u32, height: u32, luma: &[f32]) -> Option<HashAndQuality> {
    let plane = Plane::checked(width, height, luma.len())?;
    if !luma.iter().all(|v| v.is_finite()) {
        return None;
    }
    plane.hash(luma.to_vec())
}

/// Hashes row-major RGB triples (`width * height * 3` bytes). Luma is
/// `0.299 R + 0.587 G + 0.114 B` computed in double and stored as float32,
/// as the reference's Python binding (`pdqhash`) forms it; the C++ tool's
/// own float32 products can differ in the last bit.
pub fn hash_rgb8(width: u32, height: u32, rgb: &[u8]) -> Option<HashAndQuality> {
    let plane = Plane::checked_rgb(width, height, rgb.len())?;
    plane.hash(luma_from_rgb8(rgb))
}

/// The eight dihedral hashes of a luma image, from one DCT; same checks as
/// [`hash_luma`].
pub fn dihedral_luma(width: u32, height: u32, luma: &[f32]) -> Option<DihedralHashes> {
    let plane = Plane::checked(width, height, luma.len())?;
    if !luma.iter().all(|v| v.is_finite()) {
        return None;
    }
    plane.dihedral(luma.to_vec())
}

/// The eight dihedral hashes of RGB triples, from one DCT; same checks and
/// luma as [`hash_rgb8`].
pub fn dihedral_rgb8(width: u32, height: u32, rgb: &[u8]) -> Option<DihedralHashes> {
    let plane = Plane::checked_rgb(width, height, rgb.len())?;
    plane.dihedral(luma_from_rgb8(rgb))
}

fn luma_from_rgb8(rgb: &[u8]) -> Vec<f32> {
    let (pixels, _) = rgb.as_chunks::<3>();
    pixels
        .iter()
        .map(|&[r, g, b]| {
            (f64::from(r) * 0.299 + f64::from(g) * 0.587 + f64::from(b) * 0.114) as f32
        })
        .collect()
}

/// Validated dimensions of a luma plane.
#[derive(Clone, Copy)]
struct Plane {
    rows: usize,
    cols: usize,
}

impl Plane {
    fn checked(width: u32, height: u32, len: usize) -> Option<Plane> {
        if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE {
            return None;
        }
        let pixels = u64::from(width) * u64::from(height);
        if pixels > MAX_PIXELS || u64::try_from(len).ok()? != pixels {
            return None;
        }
        Some(Plane {
            rows: usize::try_from(height).ok()?,
            cols: usize::try_from(width).ok()?,
        })
    }

    fn checked_rgb(width: u32, height: u32, len: usize) -> Option<Plane> {
        if !len.is_multiple_of(3) {
            return None;
        }
        Plane::checked(width, height, len / 3)
    }

    fn too_small(self) -> bool {
        self.rows < MIN_SIDE as usize || self.cols < MIN_SIDE as usize
    }

    fn hash(self, luma: Vec<f32>) -> Option<HashAndQuality> {
        if self.too_small() {
            return Some(HashAndQuality {
                hash: PdqHash::default(),
                quality: 0,
            });
        }
        // A picture already 64 x 64 (a video frame scaled by the caller) is
        // used as is; the dihedral path below always filters, as upstream.
        let small = if self.rows == DOWNSAMPLED && self.cols == DOWNSAMPLED {
            copy_64(&luma)
        } else {
            self.downsample(luma)
        };
        let quality = quality(&small);
        let coefficients = dct_64_to_16(&small);
        Some(HashAndQuality {
            hash: bits_above_median(&coefficients)?,
            quality,
        })
    }

    fn dihedral(self, luma: Vec<f32>) -> Option<DihedralHashes> {
        if self.too_small() {
            return Some(DihedralHashes {
                hashes: [PdqHash::default(); 8],
                quality: 0,
            });
        }
        let small = self.downsample(luma);
        let quality = quality(&small);
        let coefficients = dct_64_to_16(&small);
        let mut hashes = [PdqHash::default(); 8];
        for (hash, which) in hashes.iter_mut().zip(Dihedral::ALL) {
            *hash = bits_above_median(&transform(&coefficients, which))?;
        }
        Some(DihedralHashes { hashes, quality })
    }

    /// Tent-filters the plane in place and samples it at 64 x 64 centres.
    fn downsample(self, mut luma: Vec<f32>) -> Box<Buffer64> {
        let along_rows = jarosz_window(self.cols);
        let along_cols = jarosz_window(self.rows);
        let mut scratch = vec![0f32; luma.len()];
        let block = ROWS_AT_ONCE * self.cols;
        for _ in 0..JAROSZ_PASSES {
            // Rows eight at a time (independent running sums the processor
            // overlaps), then the rows left one by one: the same additions
            // in the same order for every row either way.
            let mut inputs = luma.chunks_exact(block);
            let mut outputs = scratch.chunks_exact_mut(block);
            for (input, output) in inputs.by_ref().zip(outputs.by_ref()) {
                box_along_rows(input, output, self.cols, along_rows);
            }
            for (input, output) in inputs
                .remainder()
                .chunks_exact(self.cols)
                .zip(outputs.into_remainder().chunks_exact_mut(self.cols))
            {
                box_along(input, output, along_rows);
            }
            box_across_rows(&scratch, &mut luma, self.cols, along_cols);
        }
        drop(scratch);
        let mut out = Box::new([[0f32; DOWNSAMPLED]; DOWNSAMPLED]);
        for (i, out_row) in out.iter_mut().enumerate() {
            let row = centre(i, self.rows);
            for (j, value) in out_row.iter_mut().enumerate() {
                let col = centre(j, self.cols);
                *value = luma.get(row * self.cols + col).copied().unwrap_or(0.0);
            }
        }
        out
    }
}

fn copy_64(luma: &[f32]) -> Box<Buffer64> {
    let mut out = Box::new([[0f32; DOWNSAMPLED]; DOWNSAMPLED]);
    for (out_row, row) in out.iter_mut().zip(luma.chunks_exact(DOWNSAMPLED)) {
        out_row.copy_from_slice(row);
    }
    out
}

/// Box window per pass: half of one output cell (two passes make a tent
/// spanning a whole cell), rounded up.
fn jarosz_window(side: usize) -> usize {
    side.div_ceil(2 * DOWNSAMPLED)
}

/// Index sampled for output cell `i` of 64: the cell's centre, in double as
/// the reference computes it.
fn centre(i: usize, side: usize) -> usize {
    ((i as f64 + 0.5) * side as f64 / DOWNSAMPLED as f64) as usize
}

/// Steps of one box pass over `len` values with window `window` (at most
/// `len`): warm-up adds, writes while the window grows, writes with the full
/// window, writes while it shrinks. The window is centred, leaning right
/// when even.
struct BoxPhases {
    warm_up: usize,
    growing: usize,
    full: usize,
    shrinking: usize,
}

impl BoxPhases {
    fn new(len: usize, window: usize) -> BoxPhases {
        let window = window.clamp(1, len.max(1));
        let half = (window + 2) / 2;
        BoxPhases {
            warm_up: half - 1,
            growing: window - half + 1,
            full: len.saturating_sub(window),
            shrinking: half - 1,
        }
    }
}

/// One box pass along a contiguous line; `output` gets the running mean.
fn box_along(input: &[f32], output: &mut [f32], window: usize) {
    let phases = BoxPhases::new(input.len(), window);
    let mut adds = input.iter();
    let mut subtracts = input.iter();
    let mut outputs = output.iter_mut();
    let mut sum = 0f32;
    let mut count = 0u32;
    for add in adds.by_ref().take(phases.warm_up) {
        sum += add;
        count += 1;
    }
    for (add, out) in adds.by_ref().take(phases.growing).zip(outputs.by_ref()) {
        sum += add;
        count += 1;
        *out = sum / count as f32;
    }
    for ((add, subtract), out) in adds
        .by_ref()
        .take(phases.full)
        .zip(subtracts.by_ref())
        .zip(outputs.by_ref())
    {
        sum += add;
        sum -= subtract;
        *out = sum / count as f32;
    }
    for (subtract, out) in subtracts.take(phases.shrinking).zip(outputs) {
        sum -= subtract;
        count -= 1;
        *out = sum / count as f32;
    }
}

/// Rows filtered together by [`box_along_rows`].
const ROWS_AT_ONCE: usize = 8;

/// [`box_along`] over [`ROWS_AT_ONCE`] rows of `cols` values at once: each
/// row sees exactly the additions, subtractions and divisions it would see
/// alone, in the same order (so the same floats); the rows' running sums
/// are independent, so the processor overlaps them instead of waiting on
/// one sum's latency per value.
fn box_along_rows(input: &[f32], output: &mut [f32], cols: usize, window: usize) {
    const N: usize = ROWS_AT_ONCE;
    let phases = BoxPhases::new(cols, window);
    let mut sums = [0f32; N];
    let mut count = 0u32;
    let value = |k: usize, r: usize| input.get(r * cols + k).copied().unwrap_or(0.0);
    let (mut add, mut sub, mut out) = (0usize, 0usize, 0usize);
    let mut put = |out: usize, r: usize, v: f32| {
        if let Some(o) = output.get_mut(r * cols + out) {
            *o = v;
        }
    };
    for _ in 0..phases.warm_up {
        for (r, s) in sums.iter_mut().enumerate() {
            *s += value(add, r);
        }
        add += 1;
        count += 1;
    }
    for _ in 0..phases.growing {
        count += 1;
        let n = count as f32;
        for (r, s) in sums.iter_mut().enumerate() {
            *s += value(add, r);
            put(out, r, *s / n);
        }
        add += 1;
        out += 1;
    }
    for _ in 0..phases.full {
        let n = count as f32;
        for (r, s) in sums.iter_mut().enumerate() {
            *s += value(add, r);
            *s -= value(sub, r);
            put(out, r, *s / n);
        }
        add += 1;
        sub += 1;
        out += 1;
    }
    for _ in 0..phases.shrinking {
        count -= 1;
        let n = count as f32;
        for (r, s) in sums.iter_mut().enumerate() {
            *s -= value(sub, r);
            put(out, r, *s / n);
        }
        sub += 1;
        out += 1;
    }
}

/// One box pass down every column at once, a whole row per step: each
/// column sees the same additions in the same order as [`box_along`], but
/// memory is read row by row.
fn box_across_rows(input: &[f32], output: &mut [f32], cols: usize, window: usize) {
    let rows = input.len().checked_div(cols).unwrap_or(0);
    let phases = BoxPhases::new(rows, window);
    let mut adds = input.chunks_exact(cols);
    let mut subtracts = input.chunks_exact(cols);
    let mut outputs = output.chunks_exact_mut(cols);
    let mut sums = vec![0f32; cols];
    let mut count = 0u32;
    for add in adds.by_ref().take(phases.warm_up) {
        sums.iter_mut().zip(add).for_each(|(s, a)| *s += a);
        count += 1;
    }
    for (add, out) in adds.by_ref().take(phases.growing).zip(outputs.by_ref()) {
        count += 1;
        let n = count as f32;
        for ((s, a), o) in sums.iter_mut().zip(add).zip(out) {
            *s += a;
            *o = *s / n;
        }
    }
    for ((add, subtract), out) in adds
        .by_ref()
        .take(phases.full)
        .zip(subtracts.by_ref())
        .zip(outputs.by_ref())
    {
        let n = count as f32;
        for (((s, a), b), o) in sums.iter_mut().zip(add).zip(subtract).zip(out) {
            *s += a;
            *s -= b;
            *o = *s / n;
        }
    }
    for (subtract, out) in subtracts.take(phases.shrinking).zip(outputs) {
        count -= 1;
        let n = count as f32;
        for ((s, b), o) in sums.iter_mut().zip(subtract).zip(out) {
            *s -= b;
            *o = *s / n;
        }
    }
}

/// The reference's quality metric: the sum of quantised gradients between
/// neighbours of the 64 x 64 image, scaled so 100 is a well-textured photo.
fn quality(small: &Buffer64) -> u8 {
    fn step(u: f32, v: f32) -> i64 {
        // Truncated towards zero, as the C++ int conversion does.
        i64::from((((u - v) * 100.0) / 255.0) as i32).abs()
    }
    let mut sum: i64 = 0;
    for (upper, lower) in small.iter().zip(small.iter().skip(1)) {
        sum += upper
            .iter()
            .zip(lower)
            .map(|(u, v)| step(*u, *v))
            .sum::<i64>();
    }
    for row in small.iter() {
        sum += row
            .iter()
            .zip(row.iter().skip(1))
            .map(|(u, v)| step(*u, *v))
            .sum::<i64>();
    }
    u8::try_from((sum / 90).min(100)).unwrap_or(100)
}

/// Rows 1..=16 of the 64-point DCT-II, scaled by sqrt(2/64): the scale is
/// rounded to float first and each product rounded to float, as upstream.
static DCT_MATRIX: LazyLock<[[f32; DOWNSAMPLED]; KEPT]> = LazyLock::new(|| {
    let scale = f64::from((2.0 / DOWNSAMPLED as f64).sqrt() as f32);
    let mut matrix = [[0f32; DOWNSAMPLED]; KEPT];
    for (i, row) in matrix.iter_mut().enumerate() {
        for (j, value) in row.iter_mut().enumerate() {
            let angle = (std::f64::consts::PI / 2.0 / DOWNSAMPLED as f64)
                * (i + 1) as f64
                * (2 * j + 1) as f64;
            *value = (scale * angle.cos()) as f32;
        }
    }
    matrix
});

/// D A Dᵀ for the 16 x 64 DCT matrix D, each sum accumulated in float in
/// index order.
fn dct_64_to_16(a: &Buffer64) -> Coefficients {
    let d = &*DCT_MATRIX;
    let mut t = [[0f32; DOWNSAMPLED]; KEPT];
    for (t_row, d_row) in t.iter_mut().zip(d.iter()) {
        for (coefficient, a_row) in d_row.iter().zip(a.iter()) {
            for (sum, value) in t_row.iter_mut().zip(a_row) {
                *sum += coefficient * value;
            }
        }
    }
    let mut b = [[0f32; KEPT]; KEPT];
    for (b_row, t_row) in b.iter_mut().zip(t.iter()) {
        for (out, d_row) in b_row.iter_mut().zip(d.iter()) {
            *out = t_row
                .iter()
                .zip(d_row)
                .fold(0f32, |sum, (t, d)| sum + t * d);
        }
    }
    b
}

fn transform(a: &Coefficients, which: Dihedral) -> Coefficients {
    let mut out = [[0f32; KEPT]; KEPT];
    for (i, row) in a.iter().enumerate() {
        for (j, value) in row.iter().enumerate() {
            let (transposed, negated) = which.maps(i, j);
            let (r, c) = if transposed { (j, i) } else { (i, j) };
            if let Some(slot) = out.get_mut(r).and_then(|row| row.get_mut(c)) {
                *slot = if negated { -value } else { *value };
            }
        }
    }
    out
}

fn bits_above_median(coefficients: &Coefficients) -> Option<PdqHash> {
    let flat = coefficients.as_flattened();
    let median = torben_median(flat)?;
    let mut hash = PdqHash::default();
    for (k, value) in flat.iter().enumerate() {
        if *value > median {
            hash.set_bit(k);
        }
    }
    Some(hash)
}

/// Torben Mogensen's median by repeated bisection of the value range, as
/// the reference computes it (its tie and even-count rules matter for
/// which coefficients end up above it). Each round drops at least one
/// distinct value, so finite input converges within `len` rounds; the cap
/// turns anything else (overflow to infinity) into `None` instead of a hang.
fn torben_median(values: &[f32]) -> Option<f32> {
    let (&first, rest) = values.split_first()?;
    let half = values.len().div_ceil(2);
    let (mut min, mut max) = (first, first);
    for &v in rest {
        if v < min {
            min = v;
        }
        if v > max {
            max = v;
        }
    }
    for _ in 0..=values.len() + 1 {
        let guess = (min + max) / 2.0;
        let (mut less, mut greater, mut equal) = (0usize, 0usize, 0usize);
        let (mut max_below, mut min_above) = (min, max);
        for &v in values {
            if v < guess {
                less += 1;
                if v > max_below {
                    max_below = v;
                }
            } else if v > guess {
                greater += 1;
                if v < min_above {
                    min_above = v;
                }
            } else {
                equal += 1;
            }
        }
        if less <= half && greater <= half {
            return Some(if less >= half {
                max_below
            } else if less + equal >= half {
                guess
            } else {
                min_above
            });
        }
        if less > greater {
            max = max_below;
        } else {
            min = min_above;
        }
    }
    None
}
