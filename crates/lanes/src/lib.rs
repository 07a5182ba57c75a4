//! Multi-buffer digest kernels: MD5, SHA-1 and SHA-256 of [`LANES`]
//! independent messages at once, one message per SIMD lane.
//!
//! One message's blocks depend on each other, so a single stream cannot use
//! wide vectors; sixteen files can. Each kernel is written once (the
//! `kernels!` macro) over a handful of lane-wise operations, and those are
//! defined twice: with AVX-512 (one `zmm` register holds a word of all
//! sixteen lanes; rotations are single instructions) and with AVX2 (two
//! `ymm` registers, which also gives two independent chains per step). The
//! arithmetic is the scalar algorithm's, word for word; Ferret's tests pin
//! every path against the RustCrypto digests.
//!
//! This crate is Ferret's, kept apart so that its `unsafe` stays in one
//! small place (the engine crate is `deny(unsafe_code)`) and so that test
//! builds optimise it. There are three kinds of `unsafe` here, each with its
//! reason at the site: calling a `#[target_feature]` kernel (after the
//! run-time check that the CPU has the feature), the gathers that read each
//! lane's message words (after [`compress`] checked every lane's blocks lie
//! inside the arena), and loads and stores of a lane array as one vector
//! (a `[u32; 16]` is exactly the vector's bytes).
#![deny(clippy::unwrap_used, clippy::undocumented_unsafe_blocks)]
#![allow(clippy::needless_range_loop)]

/// Messages hashed at once.
pub const LANES: usize = 16;

/// One 32-bit word of every lane.
pub type Word = [u32; LANES];
/// MD5 chaining values, word-major: `state[i][lane]`.
pub type Md5State = [Word; 4];
/// SHA-1 chaining values, word-major.
pub type Sha1State = [Word; 5];
/// SHA-256 chaining values, word-major.
pub type Sha256State = [Word; 8];

/// The MD5 initial value.
pub const MD5_INIT: [u32; 4] = [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476];
/// The SHA-1 initial value.
pub const SHA1_INIT: [u32; 5] = [
    0x6745_2301,
    0xefcd_ab89,
    0x98ba_dcfe,
    0x1032_5476,
    0xc3d2_e1f0,
];
/// The SHA-256 initial value.
pub const SHA256_INIT: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

/// The instruction set a kernel was compiled for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Isa {
    /// AVX2: eight lanes a register, two registers a word.
    Avx2,
    /// AVX-512 (F and BW): sixteen lanes a register.
    Avx512,
}

impl Isa {
    /// The name `--version` and the benchmarks print.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Avx2 => "avx2",
            Isa::Avx512 => "avx512",
        }
    }

    /// The widest instruction set this CPU has a kernel for, if any.
    pub fn best() -> Option<Isa> {
        [Isa::Avx512, Isa::Avx2]
            .into_iter()
            .find(|isa| isa.available())
    }

    /// True when this CPU has every feature the kernels for `self` were
    /// compiled with (each checked itself: a virtual machine may hide AVX2
    /// and still show AVX-512).
    pub fn available(self) -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            match self {
                Isa::Avx512 => {
                    std::arch::is_x86_feature_detected!("avx512f")
                        && std::arch::is_x86_feature_detected!("avx512bw")
                }
                Isa::Avx2 => std::arch::is_x86_feature_detected!("avx2"),
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            false
        }
    }
}

/// Which digest a call compresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernel {
    /// MD5 (state `[Word; 4]`).
    Md5,
    /// SHA-1 (state `[Word; 5]`).
    Sha1,
    /// SHA-256 (state `[Word; 8]`).
    Sha256,
}

/// Compresses `blocks` blocks of every lane into `state`: lane `l`'s blocks
/// are `arena[offsets[l]..offsets[l] + blocks]`, for every lane (an idle
/// lane too: it may point at any `blocks` blocks of the arena, and its
/// state is the caller's to ignore).
///
/// Returns false and changes nothing when this CPU lacks `isa`, when a
/// lane's blocks are not all inside `arena`, when the arena is 2 GiB or
/// more (the gathers' offsets are 32-bit), or when `state` does not have
/// the kernel's word count.
pub fn compress(
    isa: Isa,
    kernel: Kernel,
    state: &mut [Word],
    arena: &[[u8; 64]],
    offsets: &[u32; LANES],
    blocks: usize,
) -> bool {
    let inside = offsets.iter().all(|&o| {
        usize::try_from(o)
            .ok()
            .and_then(|o| o.checked_add(blocks))
            .is_some_and(|end| end <= arena.len())
    });
    let small = arena.len() < (i32::MAX as usize) / 64;
    if !isa.available() || !inside || !small {
        return false;
    }
    #[cfg(target_arch = "x86_64")]
    {
        macro_rules! run {
            ($f:ident) => {{
                let Ok(state) = <&mut _>::try_from(state) else {
                    return false;
                };
                match isa {
                    // SAFETY: `isa.available()` checked that this CPU has
                    // AVX-512 F and BW; every lane's blocks are inside the
                    // arena and the arena's byte offsets fit an i32 (checked
                    // above), as the kernel requires.
                    Isa::Avx512 => unsafe { avx512::$f(state, arena, offsets, blocks) },
                    // SAFETY: as above, for AVX2.
                    Isa::Avx2 => unsafe { avx2::$f(state, arena, offsets, blocks) },
                }
            }};
        }
        match kernel {
            Kernel::Md5 => run!(md5),
            Kernel::Sha1 => run!(sha1),
            Kernel::Sha256 => run!(sha256),
        }
        true
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (kernel, state);
        false
    }
}

#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
const MD5_K: [u32; 64] = [
    0xd76a_a478,
    0xe8c7_b756,
    0x2420_70db,
    0xc1bd_ceee,
    0xf57c_0faf,
    0x4787_c62a,
    0xa830_4613,
    0xfd46_9501,
    0x6980_98d8,
    0x8b44_f7af,
    0xffff_5bb1,
    0x895c_d7be,
    0x6b90_1122,
    0xfd98_7193,
    0xa679_438e,
    0x49b4_0821,
    0xf61e_2562,
    0xc040_b340,
    0x265e_5a51,
    0xe9b6_c7aa,
    0xd62f_105d,
    0x0244_1453,
    0xd8a1_e681,
    0xe7d3_fbc8,
    0x21e1_cde6,
    0xc337_07d6,
    0xf4d5_0d87,
    0x455a_14ed,
    0xa9e3_e905,
    0xfcef_a3f8,
    0x676f_02d9,
    0x8d2a_4c8a,
    0xfffa_3942,
    0x8771_f681,
    0x6d9d_6122,
    0xfde5_380c,
    0xa4be_ea44,
    0x4bde_cfa9,
    0xf6bb_4b60,
    0xbebf_bc70,
    0x289b_7ec6,
    0xeaa1_27fa,
    0xd4ef_3085,
    0x0488_1d05,
    0xd9d4_d039,
    0xe6db_99e5,
    0x1fa2_7cf8,
    0xc4ac_5665,
    0xf429_2244,
    0x432a_ff97,
    0xab94_23a7,
    0xfc93_a039,
    0x655b_59c3,
    0x8f0c_cc92,
    0xffef_f47d,
    0x8584_5dd1,
    0x6fa8_7e4f,
    0xfe2c_e6e0,
    0xa301_4314,
    0x4e08_11a1,
    0xf753_7e82,
    0xbd3a_f235,
    0x2ad7_d2bb,
    0xeb86_d391,
];

#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
const SHA256_K: [u32; 64] = [
    0x428a_2f98,
    0x7137_4491,
    0xb5c0_fbcf,
    0xe9b5_dba5,
    0x3956_c25b,
    0x59f1_11f1,
    0x923f_82a4,
    0xab1c_5ed5,
    0xd807_aa98,
    0x1283_5b01,
    0x2431_85be,
    0x550c_7dc3,
    0x72be_5d74,
    0x80de_b1fe,
    0x9bdc_06a7,
    0xc19b_f174,
    0xe49b_69c1,
    0xefbe_4786,
    0x0fc1_9dc6,
    0x240c_a1cc,
    0x2de9_2c6f,
    0x4a74_84aa,
    0x5cb0_a9dc,
    0x76f9_88da,
    0x983e_5152,
    0xa831_c66d,
    0xb003_27c8,
    0xbf59_7fc7,
    0xc6e0_0bf3,
    0xd5a7_9147,
    0x06ca_6351,
    0x1429_2967,
    0x27b7_0a85,
    0x2e1b_2138,
    0x4d2c_6dfc,
    0x5338_0d13,
    0x650a_7354,
    0x766a_0abb,
    0x81c2_c92e,
    0x9272_2c85,
    0xa2bf_e8a1,
    0xa81a_664b,
    0xc24b_8b70,
    0xc76c_51a3,
    0xd192_e819,
    0xd699_0624,
    0xf40e_3585,
    0x106a_a070,
    0x19a4_c116,
    0x1e37_6c08,
    0x2748_774c,
    0x34b0_bcb5,
    0x391c_0cb3,
    0x4ed8_aa4a,
    0x5b9c_ca4f,
    0x682e_6ff3,
    0x748f_82ee,
    0x78a5_636f,
    0x84c8_7814,
    0x8cc7_0208,
    0x90be_fffa,
    0xa450_6ceb,
    0xbef9_a3f7,
    0xc671_78f2,
];

/// MD5's 64 steps over the message words `$w`, each `$step::<round,
/// rotation>(a, b, c, d, word, constant)` giving the new value of its first
/// argument. Four steps at a time, so the variables come back to their
/// names and every rotation is a constant.
macro_rules! md5_rounds {
    ($step:ident, $w:ident, $a:ident, $b:ident, $c:ident, $d:ident) => {
        md5_rounds!(@four $step, 0, 7, 12, 17, 22, |i: usize| i, $w, $a, $b, $c, $d);
        md5_rounds!(@four $step, 1, 5, 9, 14, 20, |i: usize| 5 * i + 1, $w, $a, $b, $c, $d);
        md5_rounds!(@four $step, 2, 4, 11, 16, 23, |i: usize| 3 * i + 5, $w, $a, $b, $c, $d);
        md5_rounds!(@four $step, 3, 6, 10, 15, 21, |i: usize| 7 * i, $w, $a, $b, $c, $d);
    };
    (@four $step:ident, $r:literal, $s0:literal, $s1:literal, $s2:literal, $s3:literal,
     $g:expr, $w:ident, $a:ident, $b:ident, $c:ident, $d:ident) => {
        for q in 0..4 {
            let i = $r * 16 + q * 4;
            let g = $g;
            $a = $step::<$r, $s0>($a, $b, $c, $d, $w[g(i) % 16], MD5_K[i]);
            $d = $step::<$r, $s1>($d, $a, $b, $c, $w[g(i + 1) % 16], MD5_K[i + 1]);
            $c = $step::<$r, $s2>($c, $d, $a, $b, $w[g(i + 2) % 16], MD5_K[i + 2]);
            $b = $step::<$r, $s3>($b, $c, $d, $a, $w[g(i + 3) % 16], MD5_K[i + 3]);
        }
    };
}

/// True when [`md5_compress`] runs its AVX-512VL form here, which beats the
/// best scalar MD5 (OpenSSL's and `md-5`'s assembly): each step's round
/// function is one three-input instruction and its rotation one more, so a
/// step's dependency chain is four instructions instead of five.
pub fn md5_fast() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512vl")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// One stream's MD5 compression: AVX-512VL where [`md5_fast`], plain Rust
/// elsewhere.
pub fn md5_compress(state: &mut [u32; 4], blocks: &[[u8; 64]]) {
    #[cfg(target_arch = "x86_64")]
    if md5_fast() {
        // SAFETY: `md5_fast` checked this CPU has AVX-512 F and VL, the
        // features the function was compiled for; its body is safe Rust.
        unsafe { md5_one_avx512vl(state, blocks) };
        return;
    }
    md5_compress_portable(state, blocks);
}

/// MD5 of one stream in the low lane of `xmm` registers: round functions by
/// `vpternlogd`, rotations by `vprold`. Message words plus constants are
/// added in general registers, off the dependency chain.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512vl")]
fn md5_one_avx512vl(state: &mut [u32; 4], blocks: &[[u8; 64]]) {
    use std::arch::x86_64::*;
    let word = |x: u32| _mm_cvtsi32_si128(x as i32);
    let [mut sa, mut sb, mut sc, mut sd] = state.map(word);
    /// One step: the round function as a `vpternlogd` table of (b, c, d).
    #[inline]
    #[target_feature(enable = "avx512f,avx512vl")]
    fn step<const R: u8, const S: i32>(
        a: __m128i,
        b: __m128i,
        c: __m128i,
        d: __m128i,
        m: u32,
        k: u32,
    ) -> __m128i {
        let f = match R {
            0 => _mm_ternarylogic_epi32::<0xca>(b, c, d),
            1 => _mm_ternarylogic_epi32::<0xe4>(b, c, d),
            2 => _mm_ternarylogic_epi32::<0x96>(b, c, d),
            _ => _mm_ternarylogic_epi32::<0x39>(b, c, d),
        };
        let km = _mm_cvtsi32_si128(m.wrapping_add(k) as i32);
        _mm_add_epi32(
            b,
            _mm_rol_epi32::<S>(_mm_add_epi32(_mm_add_epi32(a, km), f)),
        )
    }
    for block in blocks {
        let mut m = [0u32; 16];
        for (x, c) in m.iter_mut().zip(block.as_chunks::<4>().0) {
            *x = u32::from_le_bytes(*c);
        }
        let (mut a, mut b, mut c, mut d) = (sa, sb, sc, sd);
        md5_rounds!(step, m, a, b, c, d);
        sa = _mm_add_epi32(sa, a);
        sb = _mm_add_epi32(sb, b);
        sc = _mm_add_epi32(sc, c);
        sd = _mm_add_epi32(sd, d);
    }
    *state = [sa, sb, sc, sd].map(|v| _mm_cvtsi128_si32(v) as u32);
}

/// A streaming MD5 over [`md5_compress`], for CPUs where [`md5_fast`].
#[derive(Clone)]
pub struct Md5 {
    state: [u32; 4],
    pending: [u8; 64],
    /// Bytes in `pending` (under 64).
    buffered: usize,
    /// Bytes hashed in all.
    len: u64,
}

impl Default for Md5 {
    fn default() -> Self {
        Md5 {
            state: MD5_INIT,
            pending: [0; 64],
            buffered: 0,
            len: 0,
        }
    }
}

impl Md5 {
    /// A new MD5.
    pub fn new() -> Self {
        Md5::default()
    }

    /// Feeds `data`.
    pub fn update(&mut self, mut data: &[u8]) {
        self.len = self.len.wrapping_add(data.len() as u64);
        if self.buffered > 0 {
            let take = (64 - self.buffered).min(data.len());
            let (head, rest) = data.split_at(take);
            if let Some(dst) = self.pending.get_mut(self.buffered..self.buffered + take) {
                dst.copy_from_slice(head);
            }
            self.buffered += take;
            data = rest;
            if self.buffered < 64 {
                return;
            }
            md5_compress(&mut self.state, &[self.pending]);
            self.buffered = 0;
        }
        let (blocks, rest) = data.as_chunks::<64>();
        md5_compress(&mut self.state, blocks);
        if let Some(dst) = self.pending.get_mut(..rest.len()) {
            dst.copy_from_slice(rest);
        }
        self.buffered = rest.len();
    }

    /// The digest.
    pub fn finalize(mut self) -> [u8; 16] {
        let bits = self.len.wrapping_mul(8);
        let mut tail = [[0u8; 64]; 2];
        let blocks = if self.buffered < 56 { 1 } else { 2 };
        {
            let flat = tail.as_flattened_mut();
            if let Some(dst) = flat.get_mut(..self.buffered) {
                dst.copy_from_slice(self.pending.get(..self.buffered).unwrap_or_default());
            }
            if let Some(b) = flat.get_mut(self.buffered) {
                *b = 0x80;
            }
            if let Some(dst) = flat.get_mut(blocks * 64 - 8..blocks * 64) {
                dst.copy_from_slice(&bits.to_le_bytes());
            }
        }
        md5_compress(&mut self.state, tail.get(..blocks).unwrap_or_default());
        let mut out = [0u8; 16];
        for (o, w) in out.as_chunks_mut::<4>().0.iter_mut().zip(self.state) {
            *o = w.to_le_bytes();
        }
        out
    }
}

/// One stream's MD5 compression in plain Rust.
pub fn md5_compress_portable(state: &mut [u32; 4], blocks: &[[u8; 64]]) {
    #[inline(always)]
    fn step<const R: u8, const S: u32>(a: u32, b: u32, c: u32, d: u32, m: u32, k: u32) -> u32 {
        let f = match R {
            0 => (b & c) | (!b & d),
            1 => (b & d) | (c & !d),
            2 => b ^ c ^ d,
            _ => c ^ (b | !d),
        };
        b.wrapping_add(
            a.wrapping_add(f)
                .wrapping_add(m)
                .wrapping_add(k)
                .rotate_left(S),
        )
    }
    for block in blocks {
        let mut w = [0u32; 16];
        for (x, c) in w.iter_mut().zip(block.as_chunks::<4>().0) {
            *x = u32::from_le_bytes(*c);
        }
        let [mut a, mut b, mut c, mut d] = *state;
        md5_rounds!(step, w, a, b, c, d);
        for (s, v) in state.iter_mut().zip([a, b, c, d]) {
            *s = s.wrapping_add(v);
        }
    }
}

/// Runs every lane's `$blocks` blocks through `$block`, which turns the
/// chaining values `$s` and the message words `$w` into the block's working
/// values; those are added into the chaining values after each block (the
/// Davies-Meyer step all three digests share). Expanded inside a kernel of
/// [`kernels!`], whose caller promised the blocks lie inside the arena.
#[cfg(target_arch = "x86_64")]
macro_rules! drive {
    ($state:ident, $arena:ident, $offsets:ident, $blocks:ident, $big:literal,
     |$s:ident, $w:ident| $block:block) => {{
        let base = $arena.as_ptr().cast::<u8>();
        let mut at = byte_offsets($offsets);
        let mut chain = load_all($state);
        for _ in 0..$blocks {
            // SAFETY: the block at `at` is one of the `blocks` the kernel's
            // caller promised inside the arena.
            #[allow(unused_mut)]
            let mut $w = unsafe { words(base, at, $big) };
            let $s = chain;
            let worked = $block;
            for (x, y) in chain.iter_mut().zip(worked) {
                *x = add(*x, y);
            }
            at = add(at, splat(64));
        }
        store_all($state, chain);
    }};
}

/// The kernels, over the lane-wise operations of the module they are
/// expanded in: `V` (one word of all lanes), `add`, `xor`, `and`, `or`,
/// `andnot(a, b)` (`!a & b`), `not`, `rol::<S>`, `ror::<S>`, `shr::<S>`,
/// `splat`, `load`, `store`, `bswap` and `gather`.
#[cfg(target_arch = "x86_64")]
macro_rules! kernels {
    ($features:literal) => {
        /// Byte offsets of every lane's first block.
        #[inline]
        #[target_feature(enable = $features)]
        fn byte_offsets(offsets: &[u32; LANES]) -> V {
            shl6(load(offsets))
        }

        /// Every chaining value of a state, as vectors.
        #[inline]
        #[target_feature(enable = $features)]
        fn load_all<const N: usize>(state: &[Word; N]) -> [V; N] {
            let mut s = [splat(0); N];
            for (v, w) in s.iter_mut().zip(state) {
                *v = load(w);
            }
            s
        }

        /// The vectors back into the state.
        #[inline]
        #[target_feature(enable = $features)]
        fn store_all<const N: usize>(state: &mut [Word; N], s: [V; N]) {
            for (dst, v) in state.iter_mut().zip(s) {
                store(dst, v);
            }
        }

        /// The sixteen message words of every lane's block at `at`.
        ///
        /// # Safety
        /// Every lane's 64 bytes at `at` lie inside the allocation `base`
        /// points into, at an offset below `i32::MAX`.
        #[inline]
        #[target_feature(enable = $features)]
        unsafe fn words(base: *const u8, at: V, big: bool) -> [V; 16] {
            let mut w = [splat(0); 16];
            for i in 0..16 {
                // SAFETY: word `i` is inside lane's block (the caller's
                // promise for the whole block).
                let x = unsafe { gather(base, add(at, splat(4 * i as u32))) };
                w[i] = if big { bswap(x) } else { x };
            }
            w
        }

        /// # Safety
        /// The CPU has the module's features; every lane's `blocks` blocks
        /// lie inside `arena`, whose byte length is below `i32::MAX`.
        #[target_feature(enable = $features)]
        pub(super) unsafe fn md5(
            state: &mut Md5State,
            arena: &[[u8; 64]],
            offsets: &[u32; LANES],
            blocks: usize,
        ) {
            #[inline]
            #[target_feature(enable = $features)]
            fn step<const R: u8, const S: i32>(a: V, b: V, c: V, d: V, m: V, k: u32) -> V {
                let f = match R {
                    0 => or(and(b, c), andnot(b, d)),
                    1 => or(and(b, d), andnot(d, c)),
                    2 => xor(xor(b, c), d),
                    _ => xor(c, or(b, not(d))),
                };
                add(b, rol::<S>(add(add(a, f), add(m, splat(k)))))
            }
            drive!(state, arena, offsets, blocks, false, |s, w| {
                let [mut a, mut b, mut c, mut d] = s;
                md5_rounds!(step, w, a, b, c, d);
                [a, b, c, d]
            });
        }

        /// # Safety
        /// As [`md5`].
        #[target_feature(enable = $features)]
        pub(super) unsafe fn sha1(
            state: &mut Sha1State,
            arena: &[[u8; 64]],
            offsets: &[u32; LANES],
            blocks: usize,
        ) {
            #[inline]
            #[target_feature(enable = $features)]
            fn rounds<const R: u8>(v: &mut [V; 5], w: &mut [V; 16], first: usize) {
                let k = splat([0x5a82_7999, 0x6ed9_eba1, 0x8f1b_bcdc, 0xca62_c1d6][R as usize]);
                for i in first..first + 20 {
                    let wi = if i < 16 {
                        w[i]
                    } else {
                        let x = xor(xor(w[(i + 13) % 16], w[(i + 8) % 16]), w[(i + 2) % 16]);
                        let n = rol::<1>(xor(x, w[i % 16]));
                        w[i % 16] = n;
                        n
                    };
                    let [a, b, c, d, e] = *v;
                    let f = match R {
                        0 => or(and(b, c), andnot(b, d)),
                        2 => or(and(b, c), and(d, or(b, c))),
                        _ => xor(xor(b, c), d),
                    };
                    let t = add(add(rol::<5>(a), f), add(add(e, k), wi));
                    *v = [t, a, rol::<30>(b), c, d];
                }
            }
            drive!(state, arena, offsets, blocks, true, |s, w| {
                let mut v = s;
                rounds::<0>(&mut v, &mut w, 0);
                rounds::<1>(&mut v, &mut w, 20);
                rounds::<2>(&mut v, &mut w, 40);
                rounds::<3>(&mut v, &mut w, 60);
                v
            });
        }

        /// # Safety
        /// As [`md5`].
        #[target_feature(enable = $features)]
        pub(super) unsafe fn sha256(
            state: &mut Sha256State,
            arena: &[[u8; 64]],
            offsets: &[u32; LANES],
            blocks: usize,
        ) {
            drive!(state, arena, offsets, blocks, true, |s, w| {
                let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = s;
                for i in 0..64 {
                    let wi = if i < 16 {
                        w[i]
                    } else {
                        let (w2, w15) = (w[(i + 14) % 16], w[(i + 1) % 16]);
                        let s1 = xor(xor(ror::<17>(w2), ror::<19>(w2)), shr::<10>(w2));
                        let s0 = xor(xor(ror::<7>(w15), ror::<18>(w15)), shr::<3>(w15));
                        let n = add(add(s1, w[(i + 9) % 16]), add(s0, w[i % 16]));
                        w[i % 16] = n;
                        n
                    };
                    let s1 = xor(xor(ror::<6>(e), ror::<11>(e)), ror::<25>(e));
                    let ch = xor(and(e, f), andnot(e, g));
                    let t1 = add(add(add(h, s1), add(ch, splat(SHA256_K[i]))), wi);
                    let s0 = xor(xor(ror::<2>(a), ror::<13>(a)), ror::<22>(a));
                    let maj = or(and(a, b), and(c, or(a, b)));
                    let t2 = add(s0, maj);
                    h = g;
                    g = f;
                    f = e;
                    e = add(d, t1);
                    d = c;
                    c = b;
                    b = a;
                    a = add(t1, t2);
                }
                [a, b, c, d, e, f, g, h]
            });
        }
    };
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::{LANES, MD5_K, Md5State, SHA256_K, Sha1State, Sha256State, Word};
    use std::arch::x86_64::*;

    type V = __m512i;

    /// Lane-wise `a op b` for each name.
    macro_rules! binary {
        ($($name:ident => $op:ident,)*) => {$(
            #[inline]
            #[target_feature(enable = "avx512f,avx512bw")]
            fn $name(a: V, b: V) -> V {
                $op(a, b)
            }
        )*};
    }
    binary! {
        add => _mm512_add_epi32,
        xor => _mm512_xor_si512,
        and => _mm512_and_si512,
        or => _mm512_or_si512,
        andnot => _mm512_andnot_si512,
    }
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw")]
    fn not(a: V) -> V {
        _mm512_xor_si512(a, _mm512_set1_epi32(-1))
    }
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw")]
    fn rol<const S: i32>(a: V) -> V {
        _mm512_rol_epi32::<S>(a)
    }
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw")]
    fn ror<const S: i32>(a: V) -> V {
        _mm512_ror_epi32::<S>(a)
    }
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw")]
    fn shr<const S: u32>(a: V) -> V {
        _mm512_srli_epi32::<S>(a)
    }
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw")]
    fn shl6(a: V) -> V {
        _mm512_slli_epi32::<6>(a)
    }
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw")]
    fn splat(x: u32) -> V {
        _mm512_set1_epi32(x as i32)
    }
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw")]
    fn load(w: &Word) -> V {
        // SAFETY: a `[u32; 16]` is 64 readable bytes; unaligned load.
        unsafe { _mm512_loadu_si512(w.as_ptr().cast()) }
    }
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw")]
    fn store(w: &mut Word, v: V) {
        // SAFETY: a `[u32; 16]` is 64 writable bytes; unaligned store.
        unsafe { _mm512_storeu_si512(w.as_mut_ptr().cast(), v) }
    }
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw")]
    fn bswap(v: V) -> V {
        let m = _mm_setr_epi8(3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12);
        _mm512_shuffle_epi8(v, _mm512_broadcast_i32x4(m))
    }
    /// # Safety
    /// Every lane's four bytes at `base + at[lane]` are readable.
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw")]
    unsafe fn gather(base: *const u8, at: V) -> V {
        // SAFETY: the caller's promise.
        unsafe { _mm512_i32gather_epi32::<1>(at, base.cast()) }
    }

    kernels!("avx512f,avx512bw");
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{LANES, MD5_K, Md5State, SHA256_K, Sha1State, Sha256State, Word};
    use std::arch::x86_64::*;

    /// Sixteen lanes as two registers: two independent chains per step.
    type V = [__m256i; 2];

    macro_rules! both {
        (|$($x:ident),*| $e:expr) => {
            [
                { $(let $x = $x[0];)* $e },
                { $(let $x = $x[1];)* $e },
            ]
        };
    }

    /// Lane-wise `a op b` for each name.
    macro_rules! binary {
        ($($name:ident => $op:ident,)*) => {$(
            #[inline]
            #[target_feature(enable = "avx2")]
            fn $name(a: V, b: V) -> V {
                both!(|a, b| $op(a, b))
            }
        )*};
    }
    binary! {
        add => _mm256_add_epi32,
        xor => _mm256_xor_si256,
        and => _mm256_and_si256,
        or => _mm256_or_si256,
        andnot => _mm256_andnot_si256,
    }
    #[inline]
    #[target_feature(enable = "avx2")]
    fn not(a: V) -> V {
        both!(|a| _mm256_xor_si256(a, _mm256_set1_epi32(-1)))
    }
    #[inline]
    #[target_feature(enable = "avx2")]
    fn rol<const S: i32>(a: V) -> V {
        let (l, r) = (_mm256_set1_epi32(S), _mm256_set1_epi32(32 - S));
        both!(|a| _mm256_or_si256(_mm256_sllv_epi32(a, l), _mm256_srlv_epi32(a, r)))
    }
    #[inline]
    #[target_feature(enable = "avx2")]
    fn ror<const S: i32>(a: V) -> V {
        let (l, r) = (_mm256_set1_epi32(32 - S), _mm256_set1_epi32(S));
        both!(|a| _mm256_or_si256(_mm256_sllv_epi32(a, l), _mm256_srlv_epi32(a, r)))
    }
    #[inline]
    #[target_feature(enable = "avx2")]
    fn shr<const S: u32>(a: V) -> V {
        let r = _mm256_set1_epi32(S as i32);
        both!(|a| _mm256_srlv_epi32(a, r))
    }
    #[inline]
    #[target_feature(enable = "avx2")]
    fn shl6(a: V) -> V {
        both!(|a| _mm256_slli_epi32::<6>(a))
    }
    #[inline]
    #[target_feature(enable = "avx2")]
    fn splat(x: u32) -> V {
        let v = _mm256_set1_epi32(x as i32);
        [v, v]
    }
    #[inline]
    #[target_feature(enable = "avx2")]
    fn load(w: &Word) -> V {
        let p = w.as_ptr().cast::<__m256i>();
        // SAFETY: a `[u32; 16]` is two readable 32-byte halves; unaligned.
        unsafe { [_mm256_loadu_si256(p), _mm256_loadu_si256(p.add(1))] }
    }
    #[inline]
    #[target_feature(enable = "avx2")]
    fn store(w: &mut Word, v: V) {
        let p = w.as_mut_ptr().cast::<__m256i>();
        // SAFETY: a `[u32; 16]` is two writable 32-byte halves; unaligned.
        unsafe {
            _mm256_storeu_si256(p, v[0]);
            _mm256_storeu_si256(p.add(1), v[1]);
        }
    }
    #[inline]
    #[target_feature(enable = "avx2")]
    fn bswap(v: V) -> V {
        let m = _mm256_broadcastsi128_si256(_mm_setr_epi8(
            3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12,
        ));
        both!(|v| _mm256_shuffle_epi8(v, m))
    }
    /// # Safety
    /// Every lane's four bytes at `base + at[lane]` are readable.
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn gather(base: *const u8, at: V) -> V {
        let base = base.cast::<i32>();
        // SAFETY: the caller's promise.
        unsafe {
            [
                _mm256_i32gather_epi32::<1>(base, at[0]),
                _mm256_i32gather_epi32::<1>(base, at[1]),
            ]
        }
    }

    kernels!("avx2");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalar_md5_of_abc() {
        let mut block = [0u8; 64];
        block[..3].copy_from_slice(b"abc");
        block[3] = 0x80;
        block[56] = 24;
        let mut state = MD5_INIT;
        md5_compress(&mut state, &[block]);
        let mut portable = MD5_INIT;
        md5_compress_portable(&mut portable, &[block]);
        assert_eq!(portable, state);
        let digest: Vec<u8> = state.iter().flat_map(|w| w.to_le_bytes()).collect();
        assert_eq!(
            digest,
            [
                0x90, 0x01, 0x50, 0x98, 0x3c, 0xd2, 0x4f, 0xb0, 0xd6, 0x96, 0x3f, 0x7d, 0x28, 0xe1,
                0x7f, 0x72
            ]
        );
    }

    #[test]
    fn compress_refuses_blocks_outside_the_arena_and_wrong_states() {
        let Some(isa) = Isa::best() else {
            eprintln!("skipped: no multi-buffer kernel on this CPU");
            return;
        };
        let arena = vec![[0u8; 64]; 8];
        let mut state = [[0u32; LANES]; 4];
        let mut offsets = [0u32; LANES];
        assert!(compress(isa, Kernel::Md5, &mut state, &arena, &offsets, 8));
        assert!(!compress(isa, Kernel::Md5, &mut state, &arena, &offsets, 9));
        offsets[5] = 7;
        assert!(!compress(isa, Kernel::Md5, &mut state, &arena, &offsets, 2));
        offsets[5] = u32::MAX;
        assert!(!compress(isa, Kernel::Md5, &mut state, &arena, &offsets, 1));
        offsets[5] = 0;
        assert!(!compress(
            isa,
            Kernel::Sha256,
            &mut state,
            &arena,
            &offsets,
            1
        ));
    }
}
