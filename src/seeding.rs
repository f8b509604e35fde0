//! The seeding hash chain: seed string, SHA-256 chain mixed with Fibonacci numbers,
//! and the 32-bit Mersenne Twister seed.
//!
//! Each chain step hashes the previous digest in lowercase hex (64 bytes, exactly one
//! SHA-256 block) followed by `str(fib(i))`. The tail (Fibonacci digits, padding and
//! length) is the same for every sample, so [`HashChain`] pads it once per config and
//! each step is a direct call of the compression function: no allocation, no
//! formatting, no `Digest` object per step.

use sha2::digest::generic_array::GenericArray;

use crate::fib::fibonacci_decimal;
use crate::kernel::sha_ni_types::TailSchedule;
use crate::kernel::{Backend, Kernel};

/// A SHA-256 digest (32 bytes), shown as 64 lowercase hex digits.
pub type Digest = [u8; 32];

type Block = GenericArray<u8, sha2::digest::consts::U64>;

const IV: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

/// How the seed string of a sample is formed.
///
/// # Examples
///
/// ```
/// use dpa::Seeding;
/// let mut buf = [0u8; dpa::seeding::SEED_STRING_MAX];
/// assert_eq!(Seeding::Plain.seed_string(42, &mut buf), b"42");
/// let ra = Seeding::RankAware { base_seed: 0, rank: 1 };
/// assert_eq!(ra.seed_string(42, &mut buf), b"0:1:42");
/// let keyed = Seeding::Keyed { seed: 7, epoch: 2 };
/// assert_eq!(keyed.seed_string(42, &mut buf), b"7:2:42");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Seeding {
    /// The reference's `gen_augmentation_params`: the seed string is `"{sample_id}"`.
    #[default]
    Plain,
    /// The reference's `gen_distributed_augmentation_params`: `"{base_seed}:{rank}:{sample_id}"`.
    RankAware {
        /// Base seed of the job.
        base_seed: u64,
        /// Rank that owns the sample.
        rank: u64,
    },
    /// Seed and epoch: `"{seed}:{epoch}:{sample_id}"`. A sample's values depend on
    /// (seed, epoch, id) only — not on which rank computes it, nor on how many ranks
    /// there are — and change from epoch to epoch. The string is the reference's
    /// rank-aware one with `base_seed = seed`, `rank = epoch`, so the reference reproduces
    /// it with `gen_distributed_augmentation_params(id, rank=epoch, config=cfg,
    /// base_seed=seed, world_size=epoch + 1)`; records carry no `rank`.
    Keyed {
        /// The run's seed.
        seed: u64,
        /// The epoch.
        epoch: u64,
    },
}

/// The longest seed string: three 20-digit numbers and two colons.
pub const SEED_STRING_MAX: usize = 62;

impl Seeding {
    /// Writes the seed string of `sample_id` into `buf` and returns it.
    ///
    /// # Examples
    ///
    /// ```
    /// use dpa::Seeding;
    /// let mut buf = [0u8; dpa::seeding::SEED_STRING_MAX];
    /// let s = Seeding::RankAware { base_seed: 7, rank: 3 }.seed_string(u64::MAX, &mut buf);
    /// assert_eq!(s, b"7:3:18446744073709551615");
    /// ```
    pub fn seed_string<'a>(&self, sample_id: u64, buf: &'a mut [u8; SEED_STRING_MAX]) -> &'a [u8] {
        let mut len = 0;
        let mut put = |bytes: &[u8]| {
            buf[len..len + bytes.len()].copy_from_slice(bytes);
            len += bytes.len();
        };
        let mut itoa = itoa::Buffer::new();
        if let Seeding::RankAware {
            base_seed: first,
            rank: second,
        }
        | Seeding::Keyed {
            seed: first,
            epoch: second,
        } = *self
        {
            put(itoa.format(first).as_bytes());
            put(b":");
            put(itoa.format(second).as_bytes());
            put(b":");
        }
        put(itoa.format(sample_id).as_bytes());
        &buf[..len]
    }

    /// The rank, for rank-aware seeding (the records it makes carry it).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(dpa::Seeding::Plain.rank(), None);
    /// assert_eq!(dpa::Seeding::Keyed { seed: 1, epoch: 3 }.rank(), None);
    /// ```
    pub fn rank(&self) -> Option<u64> {
        match *self {
            Seeding::Plain | Seeding::Keyed { .. } => None,
            Seeding::RankAware { rank, .. } => Some(rank),
        }
    }
}

/// The hash chain of one `augmentation_depth`, with every step's tail pre-padded.
///
/// # Examples
///
/// ```
/// use dpa::seeding::{to_hex, HashChain};
/// let chain = HashChain::new(10);
/// let digest = chain.digest(b"0");
/// // gen_augmentation_params(0, moderate)["hash"] in the reference:
/// assert_eq!(to_hex(&digest), "f186c633e8861c7ed3174f4c3d1f918d2b40ff7dc8490aa21ca8862345086205");
/// assert_eq!(HashChain::seed_of(&digest), 0x45086205);
/// ```
#[derive(Debug, Clone)]
pub struct HashChain {
    /// For each step, the padded blocks after the 64-byte hex block.
    tails: Vec<Box<[Block]>>,
    /// The same blocks' message schedules with the round constants added.
    schedules: Vec<Box<[TailSchedule]>>,
}

impl HashChain {
    /// Precomputes the chain for `depth` steps (`fib(0) .. fib(depth - 1)`).
    ///
    /// # Examples
    ///
    /// ```
    /// let chain = dpa::seeding::HashChain::new(3);
    /// assert_eq!(chain.depth(), 3);
    /// ```
    pub fn new(depth: u32) -> Self {
        let tails: Vec<Box<[Block]>> = fibonacci_decimal(depth as usize)
            .iter()
            .map(|digits| padded_tail(digits.as_bytes(), 64))
            .collect();
        let schedules = tails
            .iter()
            .map(|blocks| {
                blocks
                    .iter()
                    .map(|b| TailSchedule::new(b.as_slice()))
                    .collect()
            })
            .collect();
        HashChain { tails, schedules }
    }

    /// Number of chain steps.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(dpa::seeding::HashChain::new(100).depth(), 100);
    /// ```
    pub fn depth(&self) -> u32 {
        self.tails.len() as u32
    }

    /// The final digest of the chain started from `seed_string`.
    ///
    /// # Examples
    ///
    /// ```
    /// let chain = dpa::seeding::HashChain::new(1);
    /// assert_ne!(chain.digest(b"1"), chain.digest(b"2"));
    /// ```
    pub fn digest(&self, seed_string: &[u8]) -> Digest {
        let mut state = sha256_short(seed_string);
        let mut hex = Block::default();
        for tail in &self.tails {
            hex_words(&state, hex.as_mut_slice());
            state = IV;
            sha2::compress256(&mut state, std::slice::from_ref(&hex));
            sha2::compress256(&mut state, tail);
        }
        words_to_bytes(&state)
    }

    /// The final digests of several chains, stepped together: each chain step is done
    /// for every sample before the next step, so the independent hashes of different
    /// samples overlap in the CPU instead of waiting on one another.
    ///
    /// # Examples
    ///
    /// ```
    /// let chain = dpa::seeding::HashChain::new(10);
    /// let seeds: [&[u8]; 3] = [b"0", b"1", b"2"];
    /// let mut out = [[0u8; 32]; 3];
    /// chain.digests(&seeds, &mut out);
    /// assert_eq!(out[1], chain.digest(b"1"));
    /// ```
    pub fn digests(&self, seed_strings: &[&[u8]], out: &mut [Digest]) {
        self.digests_on(Backend::detect(), seed_strings, out)
    }

    /// As [`HashChain::digests`], on a given kernel backend: the portable one uses the
    /// `sha2` crate's compression function; the others use the SHA extensions directly
    /// (when the CPU has them), several samples interleaved.
    ///
    /// # Examples
    ///
    /// ```
    /// use dpa::kernel::Backend;
    /// let chain = dpa::seeding::HashChain::new(10);
    /// let seeds: [&[u8]; 2] = [b"7", b"0:1:7"];
    /// let (mut a, mut b) = ([[0u8; 32]; 2], [[0u8; 32]; 2]);
    /// chain.digests_on(Backend::Portable, &seeds, &mut a);
    /// chain.digests_on(Backend::detect(), &seeds, &mut b);
    /// assert_eq!(a, b);
    /// ```
    ///
    /// # Panics
    ///
    /// If `seed_strings` and `out` differ in length (a caller's bug).
    pub fn digests_on(
        &self,
        kernel: impl Into<Kernel>,
        seed_strings: &[&[u8]],
        out: &mut [Digest],
    ) {
        let kernel = kernel.into();
        assert_eq!(
            seed_strings.len(),
            out.len(),
            "one digest slot per seed string"
        );
        let n = out.len();
        let mut states = [IV; 64];
        let mut hex = Block::default();
        for start in (0..n).step_by(64) {
            let end = (start + 64).min(n);
            let states = &mut states[..end - start];
            for (st, seed) in states.iter_mut().zip(&seed_strings[start..end]) {
                *st = sha256_short(seed);
            }
            if !crate::kernel::sha_chain(kernel, states, &self.schedules) {
                for tail in &self.tails {
                    for st in states.iter_mut() {
                        hex_words(st, hex.as_mut_slice());
                        *st = IV;
                        sha2::compress256(st, std::slice::from_ref(&hex));
                        sha2::compress256(st, tail);
                    }
                }
            }
            for (o, st) in out[start..end].iter_mut().zip(states.iter()) {
                *o = words_to_bytes(st);
            }
        }
    }

    /// The Mersenne Twister seed of a digest: `int(hexdigest, 16) % 2**32`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut d = [0u8; 32];
    /// d[28..].copy_from_slice(&[0xde, 0xad, 0xbe, 0xef]);
    /// assert_eq!(dpa::seeding::HashChain::seed_of(&d), 0xdeadbeef);
    /// ```
    pub fn seed_of(digest: &Digest) -> u32 {
        u32::from_be_bytes([digest[28], digest[29], digest[30], digest[31]])
    }
}

/// Pads `tail` as the end of a message whose first `prefix_len` bytes (a whole number
/// of blocks) are hashed separately.
fn padded_tail(tail: &[u8], prefix_len: usize) -> Box<[Block]> {
    let bit_len = ((prefix_len + tail.len()) as u64) * 8;
    let mut bytes = tail.to_vec();
    bytes.push(0x80);
    while bytes.len() % 64 != 56 {
        bytes.push(0);
    }
    bytes.extend_from_slice(&bit_len.to_be_bytes());
    bytes
        .chunks_exact(64)
        .map(|c| *Block::from_slice(c))
        .collect()
}

/// SHA-256 of a short message (a seed string), as state words, without allocating.
fn sha256_short(msg: &[u8]) -> [u32; 8] {
    let mut state = IV;
    let full = msg.len() / 64 * 64;
    for chunk in msg[..full].chunks_exact(64) {
        sha2::compress256(&mut state, &[*Block::from_slice(chunk)]);
    }
    // The rest, 0x80, zeros and the bit length: one block, or two if the rest is long.
    let rest = &msg[full..];
    let mut tail = [0u8; 128];
    tail[..rest.len()].copy_from_slice(rest);
    tail[rest.len()] = 0x80;
    let blocks = if rest.len() < 56 { 1 } else { 2 };
    let end = blocks * 64;
    tail[end - 8..end].copy_from_slice(&((msg.len() as u64) * 8).to_be_bytes());
    for chunk in tail[..end].chunks_exact(64) {
        sha2::compress256(&mut state, &[*Block::from_slice(chunk)]);
    }
    state
}

fn words_to_bytes(state: &[u32; 8]) -> Digest {
    let mut out = [0u8; 32];
    for (chunk, w) in out.chunks_exact_mut(4).zip(state) {
        chunk.copy_from_slice(&w.to_be_bytes());
    }
    out
}

/// Lowercase hex of each byte, two ASCII characters per entry.
static HEX_PAIRS: [[u8; 2]; 256] = {
    let digits = b"0123456789abcdef";
    let mut t = [[0u8; 2]; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = [digits[i >> 4], digits[i & 15]];
        i += 1;
    }
    t
};

#[inline(always)]
fn hex_words(state: &[u32; 8], out: &mut [u8]) {
    for (i, w) in state.iter().enumerate() {
        for (j, b) in w.to_be_bytes().iter().enumerate() {
            let at = (i * 4 + j) * 2;
            out[at..at + 2].copy_from_slice(&HEX_PAIRS[*b as usize]);
        }
    }
}

/// Lowercase hex of a digest.
///
/// # Examples
///
/// ```
/// let mut d = [0u8; 32];
/// d[0] = 0xab;
/// assert!(dpa::seeding::to_hex(&d).starts_with("ab00"));
/// ```
pub fn to_hex(digest: &Digest) -> String {
    let mut s = String::with_capacity(64);
    write_hex(digest, &mut s);
    s
}

/// Lowercase hex of any bytes (the one hex encoder: digests use it too).
///
/// # Examples
///
/// ```
/// assert_eq!(dpa::seeding::encode_hex(&[0, 0xab]), "00ab");
/// ```
pub fn encode_hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .flat_map(|b| HEX_PAIRS[*b as usize])
        .map(char::from)
        .collect()
}

/// The bytes of hex text (either case); `None` when it is not hex.
///
/// # Examples
///
/// ```
/// assert_eq!(dpa::seeding::decode_hex("00aB").unwrap(), [0, 0xab]);
/// assert!(dpa::seeding::decode_hex("0").is_none());
/// ```
pub fn decode_hex(text: &str) -> Option<Vec<u8>> {
    let nibble = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    bytes
        .chunks_exact(2)
        .map(|p| Some(nibble(p[0])? << 4 | nibble(p[1])?))
        .collect()
}

/// Appends the lowercase hex of a digest to `out`.
///
/// # Examples
///
/// ```
/// let mut s = String::from("0x");
/// dpa::seeding::write_hex(&[0xff; 32], &mut s);
/// assert_eq!(s.len(), 66);
/// ```
pub fn write_hex(digest: &Digest, out: &mut String) {
    out.extend(hex_digits(digest).iter().map(|&c| c as char));
}

/// The 64 lowercase hex digits of a digest, as ASCII bytes.
#[inline]
pub(crate) fn hex_digits(digest: &Digest) -> [u8; 64] {
    let mut out = [0u8; 64];
    for (pair, b) in out.chunks_exact_mut(2).zip(digest) {
        pair.copy_from_slice(&HEX_PAIRS[*b as usize]);
    }
    out
}

/// Parses 64 hex digits (either case) into a digest.
///
/// # Examples
///
/// ```
/// let d = dpa::seeding::parse_hex(&"0A".repeat(32)).unwrap();
/// assert_eq!(d, [10u8; 32]);
/// assert!(dpa::seeding::parse_hex("xyz").is_none());
/// ```
pub fn parse_hex(s: &str) -> Option<Digest> {
    decode_hex(s)?.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest as _, Sha256};

    #[test]
    #[should_panic(expected = "one digest slot per seed string")]
    fn digests_on_refuses_slices_of_different_lengths() {
        let chain = HashChain::new(3);
        let seeds: [&[u8]; 3] = [b"1", b"2", b"3"];
        let mut out = [[0u8; 32]; 2];
        chain.digests_on(Backend::Portable, &seeds, &mut out);
    }

    /// The chain exactly as the reference writes it, with strings and `Sha256::digest`.
    fn naive_chain(seed: &str, depth: usize) -> String {
        let mut h = hex_string(&Sha256::digest(seed.as_bytes()));
        for f in fibonacci_decimal(depth) {
            h = hex_string(&Sha256::digest(format!("{h}{f}").as_bytes()));
        }
        h
    }

    fn hex_string(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn matches_naive_chain_for_short_and_long_fibonacci_tails() {
        // Depths past ~260 give Fibonacci numbers of 56+ digits: two tail blocks.
        for depth in [1, 2, 10, 93, 94, 95, 100, 262, 263, 300, 700] {
            let chain = HashChain::new(depth as u32);
            for seed in ["0", "42", "7:3:18446744073709551615"] {
                assert_eq!(
                    to_hex(&chain.digest(seed.as_bytes())),
                    naive_chain(seed, depth)
                );
            }
        }
    }

    #[test]
    fn short_hash_handles_every_length_up_to_two_blocks() {
        let msg: Vec<u8> = (0..130u8).collect();
        for len in 0..=msg.len() {
            let want: [u8; 32] = Sha256::digest(&msg[..len]).into();
            assert_eq!(
                words_to_bytes(&sha256_short(&msg[..len])),
                want,
                "len {len}"
            );
        }
    }

    #[test]
    fn every_backend_hashes_every_depth_alike() {
        let seeds: Vec<String> = (0..70u64)
            .map(|i| format!("{}:{}:{}", i * 31, i % 5, u64::MAX - i))
            .collect();
        let refs: Vec<&[u8]> = seeds.iter().map(|s| s.as_bytes()).collect();
        for depth in [1, 2, 10, 100, 263, 300] {
            let chain = HashChain::new(depth);
            let want: Vec<Digest> = refs.iter().map(|s| chain.digest(s)).collect();
            for backend in Backend::available() {
                for n in [1, 3, 4, 5, 64, 70] {
                    let mut out = vec![[0u8; 32]; n];
                    chain.digests_on(backend, &refs[..n], &mut out);
                    assert_eq!(out, want[..n], "depth {depth} backend {backend} n {n}");
                }
            }
        }
    }

    #[test]
    fn hex_round_trip() {
        let d: Digest = std::array::from_fn(|i| (i * 37) as u8);
        assert_eq!(parse_hex(&to_hex(&d)), Some(d));
        assert_eq!(to_hex(&d), hex_string(&d));
    }
}
