//! The hash chain with the x86 SHA extensions, several samples interleaved.
//!
//! Each chain step hashes two kinds of block. The first is the previous digest in hex:
//! its message words are computed straight from the state with byte shuffles (nibbles
//! split, looked up as ASCII digits), with no string in between. The others hold the Fibonacci
//! digits and the padding, the same for every sample: their message schedule, with the
//! round constants added, is computed once per config ([`TailSchedule`]), so those
//! blocks cost only the rounds. Several samples go through each step together, which
//! hides the latency of the SHA round instructions.

use core::arch::x86_64::*;

/// SHA-256 round constants.
const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

const IV: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// The message schedule of a constant block with the round constants added: `W[t] + K[t]`.
#[derive(Debug, Clone)]
pub(crate) struct TailSchedule(pub(crate) [u32; 64]);

impl TailSchedule {
    /// Schedules one 64-byte block.
    pub(crate) fn new(block: &[u8]) -> Self {
        let mut w = [0u32; 64];
        for (t, chunk) in block.chunks_exact(4).enumerate().take(16) {
            w[t] = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        }
        for t in 16..64 {
            let s0 = w[t - 15].rotate_right(7) ^ w[t - 15].rotate_right(18) ^ (w[t - 15] >> 3);
            let s1 = w[t - 2].rotate_right(17) ^ w[t - 2].rotate_right(19) ^ (w[t - 2] >> 10);
            w[t] = w[t - 16]
                .wrapping_add(s0)
                .wrapping_add(w[t - 7])
                .wrapping_add(s1);
        }
        let mut wk = [0u32; 64];
        for t in 0..64 {
            wk[t] = w[t].wrapping_add(K[t]);
        }
        TailSchedule(wk)
    }
}

/// ABEF/CDGH register pair of a state.
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
#[inline]
fn load_state(state: &[u32; 8]) -> (__m128i, __m128i) {
    let tmp = load(&state[..4]);
    let s1 = load(&state[4..]);
    let tmp = _mm_shuffle_epi32(tmp, 0xB1);
    let s1 = _mm_shuffle_epi32(s1, 0x1B);
    let s0 = _mm_alignr_epi8(tmp, s1, 8);
    let s1 = _mm_blend_epi16(s1, tmp, 0xF0);
    (s0, s1)
}

/// Four words as a vector (an unaligned load).
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
#[inline]
fn load(words: &[u32]) -> __m128i {
    assert!(words.len() >= 4);
    // SAFETY: `words` holds at least four u32 (asserted), so the 16 bytes read are in
    // bounds; `_mm_loadu_si128` has no alignment requirement; SSE2 is enabled here.
    unsafe { _mm_loadu_si128(words.as_ptr().cast::<__m128i>()) }
}

/// A vector into four words (an unaligned store).
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
#[inline]
fn store(v: __m128i, words: &mut [u32]) {
    assert!(words.len() >= 4);
    // SAFETY: `words` holds at least four u32 (asserted), so the 16 bytes written are
    // in bounds of a unique borrow; `_mm_storeu_si128` has no alignment requirement.
    unsafe { _mm_storeu_si128(words.as_mut_ptr().cast::<__m128i>(), v) }
}

#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
#[inline]
fn store_state(s0: __m128i, s1: __m128i, state: &mut [u32; 8]) {
    let tmp = _mm_shuffle_epi32(s0, 0x1B);
    let s1 = _mm_shuffle_epi32(s1, 0xB1);
    let a = _mm_blend_epi16(tmp, s1, 0xF0);
    let b = _mm_alignr_epi8(s1, tmp, 8);
    store(a, &mut state[..4]);
    store(b, &mut state[4..]);
}

/// Four rounds for each stream, with `wk` = message words plus constants.
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
#[inline]
fn rounds4<const S: usize>(s0: &mut [__m128i; S], s1: &mut [__m128i; S], wk: &[__m128i; S]) {
    for j in 0..S {
        s1[j] = _mm_sha256rnds2_epu32(s1[j], s0[j], wk[j]);
    }
    for j in 0..S {
        let hi = _mm_shuffle_epi32(wk[j], 0x0E);
        s0[j] = _mm_sha256rnds2_epu32(s0[j], s1[j], hi);
    }
}

/// One chain step for `S` streams: `state = sha256(hex(state) + tail)`.
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
#[inline]
fn step<const S: usize>(states: &mut [[u32; 8]; S], tails: &[TailSchedule]) {
    // The hex block, hashed from the initial value, with its own message schedule.
    // Its message words come from the state with byte shuffles: digest bytes in order,
    // nibbles split and looked up as ASCII, then read as big-endian words.
    let bswap = _mm_set_epi8(12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3);
    let digits = _mm_setr_epi8(
        b'0' as i8, b'1' as i8, b'2' as i8, b'3' as i8, b'4' as i8, b'5' as i8, b'6' as i8,
        b'7' as i8, b'8' as i8, b'9' as i8, b'a' as i8, b'b' as i8, b'c' as i8, b'd' as i8,
        b'e' as i8, b'f' as i8,
    );
    let low_nibble = _mm_set1_epi8(0x0f);
    let mut w = [[_mm_setzero_si128(); 4]; S];
    for j in 0..S {
        for half in 0..2 {
            let x = load(&states[j][4 * half..]);
            let bytes = _mm_shuffle_epi8(x, bswap);
            let hi = _mm_and_si128(_mm_srli_epi16(bytes, 4), low_nibble);
            let lo = _mm_and_si128(bytes, low_nibble);
            let first = _mm_shuffle_epi8(digits, _mm_unpacklo_epi8(hi, lo));
            let second = _mm_shuffle_epi8(digits, _mm_unpackhi_epi8(hi, lo));
            w[j][2 * half] = _mm_shuffle_epi8(first, bswap);
            w[j][2 * half + 1] = _mm_shuffle_epi8(second, bswap);
        }
    }
    let (iv0, iv1) = load_state(&IV);
    let mut s0 = [iv0; S];
    let mut s1 = [iv1; S];
    for g in 0..16 {
        let k = load(&K[4 * g..]);
        let mut wk = [k; S];
        for j in 0..S {
            let slot = g % 4;
            if g >= 4 {
                // W[g] = msg2(msg1(W[g-4], W[g-3]) + alignr(W[g-1], W[g-2]), W[g-1]).
                let m = _mm_sha256msg1_epu32(w[j][slot], w[j][(g + 1) % 4]);
                let m = _mm_add_epi32(m, _mm_alignr_epi8(w[j][(g + 3) % 4], w[j][(g + 2) % 4], 4));
                w[j][slot] = _mm_sha256msg2_epu32(m, w[j][(g + 3) % 4]);
            }
            wk[j] = _mm_add_epi32(w[j][slot], k);
        }
        rounds4(&mut s0, &mut s1, &wk);
    }
    for j in 0..S {
        s0[j] = _mm_add_epi32(s0[j], iv0);
        s1[j] = _mm_add_epi32(s1[j], iv1);
    }
    // The constant blocks: rounds only.
    for tail in tails {
        let (save0, save1) = (s0, s1);
        for g in 0..16 {
            let wk = load(&tail.0[4 * g..]);
            rounds4(&mut s0, &mut s1, &[wk; S]);
        }
        for j in 0..S {
            s0[j] = _mm_add_epi32(s0[j], save0[j]);
            s1[j] = _mm_add_epi32(s1[j], save1[j]);
        }
    }
    for j in 0..S {
        store_state(s0[j], s1[j], &mut states[j]);
    }
}

/// Runs every chain step over `states` (each already the hash of its seed string),
/// four samples at a time.
///
/// # Safety
///
/// The function itself is safe code, but it may only be called on a CPU that has
/// every feature it enables: SHA, SSE2, SSSE3 and SSE4.1 (see [`supported`]).
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
pub(crate) fn run_chain(states: &mut [[u32; 8]], steps: &[Box<[TailSchedule]>]) {
    let mut groups = states.chunks_exact_mut(4);
    for group in groups.by_ref() {
        let group: &mut [[u32; 8]; 4] = group.try_into().unwrap_or_else(|_| unreachable!());
        for tails in steps {
            step(group, tails);
        }
    }
    for one in groups.into_remainder().chunks_exact_mut(1) {
        let one: &mut [[u32; 8]; 1] = one.try_into().unwrap_or_else(|_| unreachable!());
        for tails in steps {
            step(one, tails);
        }
    }
}

/// True when the CPU has every feature [`run_chain`] enables.
pub(crate) fn supported() -> bool {
    std::arch::is_x86_feature_detected!("sha")
        && std::arch::is_x86_feature_detected!("sse2")
        && std::arch::is_x86_feature_detected!("ssse3")
        && std::arch::is_x86_feature_detected!("sse4.1")
}
