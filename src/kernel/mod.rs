//! The generation kernel: many samples at once, with the instruction set the CPU has.
//!
//! Per sample the work is 21 SHA-256 blocks (depth 10) and 1,247 serial Mersenne
//! Twister seeding steps. Samples are independent, so the kernel runs the seeding of
//! [`LANES`] samples side by side in SIMD vectors (AVX-512 or AVX2, chosen at run time),
//! with a portable fallback that gives the same bits.

#![allow(unsafe_code)]
#![deny(unsafe_op_in_unsafe_fn)]

mod mt_lanes;
#[cfg(target_arch = "x86_64")]
pub(crate) mod sha_ni;

use std::fmt;
use std::sync::OnceLock;

pub(crate) use mt_lanes::draw5_lanes;

use crate::mt::N;

/// Samples processed together by the kernel: four AVX-512 vectors (eight AVX2 ones)
/// in flight, so the seeding steps are bound by throughput, not latency (16 lanes ran
/// at 213 ns a sample, 64 lanes at 66 ns, on AVX-512).
pub const LANES: usize = 64;

/// Below this many samples, a partial block is seeded one sample at a time instead.
pub const MIN_BLOCK: usize = 8;

/// An instruction-set path of the kernel. Every backend gives the same bits.
///
/// # Examples
///
/// ```
/// use dpa::kernel::Backend;
/// assert!(Backend::available().contains(&Backend::Portable));
/// assert!(Backend::available().contains(&Backend::detect()));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// Plain Rust for the baseline target (SSE2 on x86-64).
    Portable,
    /// AVX2: 8 lanes per vector, eight vectors in flight.
    Avx2,
    /// AVX-512: 16 lanes per vector, four vectors in flight.
    Avx512,
}

impl Backend {
    /// The fastest backend this CPU supports. The library reads no environment: a
    /// program that lets its users choose (the `dpa` binaries read `DPA_KERNEL`) parses
    /// the choice with [`str::parse`] and passes it to
    /// [`Generator::with_backend`](crate::Generator::with_backend).
    ///
    /// # Examples
    ///
    /// ```
    /// let b = dpa::kernel::Backend::detect();
    /// assert!(b.is_supported());
    /// ```
    pub fn detect() -> Backend {
        static DETECTED: OnceLock<Backend> = OnceLock::new();
        *DETECTED.get_or_init(|| {
            Backend::available()
                .into_iter()
                .last()
                .unwrap_or(Backend::Portable)
        })
    }

    /// The backends this CPU supports, slowest first.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(dpa::kernel::Backend::available()[0], dpa::kernel::Backend::Portable);
    /// ```
    pub fn available() -> Vec<Backend> {
        [Backend::Portable, Backend::Avx2, Backend::Avx512]
            .into_iter()
            .filter(|b| b.is_supported())
            .collect()
    }

    /// True when this CPU has every instruction-set feature the backend's code enables.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(dpa::kernel::Backend::Portable.is_supported());
    /// ```
    pub fn is_supported(self) -> bool {
        match self {
            Backend::Portable => true,
            #[cfg(target_arch = "x86_64")]
            Backend::Avx2 => std::arch::is_x86_feature_detected!("avx2"),
            // Every feature that `draw5_avx512` enables.
            #[cfg(target_arch = "x86_64")]
            Backend::Avx512 => {
                std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx512vl")
                    && std::arch::is_x86_feature_detected!("avx2")
            }
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// The backend's name.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(dpa::kernel::Backend::Avx2.name(), "avx2");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Backend::Portable => "portable",
            Backend::Avx2 => "avx2",
            Backend::Avx512 => "avx512",
        }
    }
}

impl std::str::FromStr for Backend {
    type Err = crate::ConfigError;

    /// Parses `portable` (or `scalar`), `avx2` or `avx512`; anything else is an error
    /// naming the valid values.
    ///
    /// # Examples
    ///
    /// ```
    /// use dpa::kernel::Backend;
    /// assert_eq!("avx2".parse::<Backend>().unwrap(), Backend::Avx2);
    /// let err = "sse9".parse::<Backend>().unwrap_err().to_string();
    /// assert!(err.contains("portable, avx2, avx512"), "{err}");
    /// ```
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "portable" | "scalar" => Ok(Backend::Portable),
            "avx2" => Ok(Backend::Avx2),
            "avx512" => Ok(Backend::Avx512),
            _ => Err(crate::ConfigError::Invalid {
                field: "kernel",
                message: format!(
                    "unknown kernel backend '{}' (expected one of: portable, avx2, avx512)",
                    crate::error::shorten(s)
                ),
            }),
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The kernel a generator runs: the SIMD level of the Mersenne Twister stage, and
/// whether the hash chain uses dpa's own SHA-extension code (several samples
/// interleaved) or the `sha2` crate's compression function (which picks its own
/// instructions, and plain software with the `soft-sha` feature). Every kernel gives
/// the same bits.
///
/// # Examples
///
/// ```
/// use dpa::kernel::{Backend, Kernel};
/// let k = Kernel::detect();
/// assert!(k.is_supported());
/// let forced: Kernel = "portable".parse().unwrap();
/// assert_eq!(forced, Kernel { simd: Backend::Portable, sha_ni: false });
/// let mixed: Kernel = "avx2,no-sha-ni".parse().unwrap();
/// assert!(!mixed.sha_ni);
/// assert_eq!(Kernel::from(Backend::Portable).to_string(), "portable,no-sha-ni");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Kernel {
    /// The Mersenne Twister stage's instruction set.
    pub simd: Backend,
    /// dpa's own SHA-extension hash chain (only where the CPU has the extensions).
    pub sha_ni: bool,
}

impl Kernel {
    /// The fastest kernel this CPU supports.
    pub fn detect() -> Kernel {
        Kernel::from(Backend::detect())
    }

    /// True when this CPU can run the kernel.
    pub fn is_supported(self) -> bool {
        self.simd.is_supported() && (!self.sha_ni || sha_ni_supported())
    }
}

impl From<Backend> for Kernel {
    /// The backend with the hash chain it has always used: dpa's SHA-extension code
    /// for the SIMD backends (where the CPU has it), the `sha2` crate for the portable
    /// one.
    fn from(simd: Backend) -> Kernel {
        Kernel {
            simd,
            sha_ni: simd != Backend::Portable && sha_ni_supported(),
        }
    }
}

impl std::str::FromStr for Kernel {
    type Err = crate::ConfigError;

    /// `BACKEND` or `BACKEND,sha-ni` or `BACKEND,no-sha-ni`, where `BACKEND` is
    /// `portable`, `avx2` or `avx512`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (simd, sha) = match s.split_once(',') {
            Some((simd, sha)) => (simd, Some(sha)),
            None => (s, None),
        };
        let simd: Backend = simd.parse()?;
        let sha_ni = match sha {
            None => Kernel::from(simd).sha_ni,
            Some("sha-ni") => true,
            Some("no-sha-ni") => false,
            Some(other) => {
                return Err(crate::ConfigError::Invalid {
                    field: "kernel",
                    message: format!(
                        "unknown hash-chain choice '{}' (expected sha-ni or no-sha-ni)",
                        crate::error::shorten(other)
                    ),
                })
            }
        };
        Ok(Kernel { simd, sha_ni })
    }
}

impl fmt::Display for Kernel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sha = if self.sha_ni { "sha-ni" } else { "no-sha-ni" };
        write!(f, "{},{sha}", self.simd)
    }
}

/// Scratch space of the Mersenne Twister stage (624 vectors of [`LANES`] words).
pub(crate) type Scratch = [[u32; LANES]; N];

/// A fresh scratch buffer.
pub(crate) fn scratch() -> Box<Scratch> {
    Box::new([[0u32; LANES]; N])
}

/// Seeds [`LANES`] generators and draws five uniforms from each, on `backend`.
/// An unsupported backend falls back to the portable one.
#[inline]
pub(crate) fn draw5_block(
    backend: Backend,
    seeds: &[u32; LANES],
    scratch: &mut Scratch,
) -> [[f64; 5]; LANES] {
    #[cfg(target_arch = "x86_64")]
    {
        if backend == Backend::Avx512 && Backend::Avx512.is_supported() {
            // SAFETY: `draw5_avx512` enables avx512f, avx512vl and avx2, and
            // `Backend::Avx512.is_supported()` has just checked each of the three.
            return unsafe { draw5_avx512(seeds, scratch) };
        }
        if backend == Backend::Avx2 && Backend::Avx2.is_supported() {
            // SAFETY: `draw5_avx2` enables avx2 only, which
            // `Backend::Avx2.is_supported()` has just checked.
            return unsafe { draw5_avx2(seeds, scratch) };
        }
    }
    let _ = backend;
    draw5_lanes(seeds, scratch)
}

/// Runs the chain steps over `states` with dpa's SHA-extension code when the kernel
/// asks for it and the CPU has it; returns false (doing nothing) otherwise.
#[inline]
pub(crate) fn sha_chain(
    kernel: Kernel,
    states: &mut [[u32; 8]],
    steps: &[Box<[sha_ni_types::TailSchedule]>],
) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        if kernel.sha_ni && sha_ni_supported() {
            // SAFETY: `run_chain` enables sha, sse2, ssse3 and sse4.1, and
            // `sha_ni_supported()` has just checked each of the four.
            unsafe { sha_ni::run_chain(states, steps) };
            return true;
        }
    }
    let _ = (kernel, states, steps);
    false
}

/// Whether the CPU has the SHA extensions (checked once).
pub(crate) fn sha_ni_supported() -> bool {
    static HAS: OnceLock<bool> = OnceLock::new();
    *HAS.get_or_init(|| {
        #[cfg(target_arch = "x86_64")]
        {
            sha_ni::supported()
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            false
        }
    })
}

/// The tail schedule type, available on every architecture.
pub(crate) mod sha_ni_types {
    #[cfg(target_arch = "x86_64")]
    pub(crate) use super::sha_ni::TailSchedule;

    /// Unused off x86-64.
    #[cfg(not(target_arch = "x86_64"))]
    #[derive(Debug, Clone)]
    pub(crate) struct TailSchedule;

    #[cfg(not(target_arch = "x86_64"))]
    impl TailSchedule {
        pub(crate) fn new(_: &[u8]) -> Self {
            TailSchedule
        }
    }
}

/// The block stage compiled for AVX2.
///
/// # Safety
///
/// Safe code, but callable only on a CPU with AVX2 (`Backend::Avx2.is_supported()`).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn draw5_avx2(seeds: &[u32; LANES], scratch: &mut Scratch) -> [[f64; 5]; LANES] {
    draw5_lanes(seeds, scratch)
}

/// The block stage compiled for AVX-512.
///
/// # Safety
///
/// Safe code, but callable only on a CPU with AVX-512F, AVX-512VL and AVX2
/// (`Backend::Avx512.is_supported()` checks all three).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512vl,avx2")]
fn draw5_avx512(seeds: &[u32; LANES], scratch: &mut Scratch) -> [[f64; 5]; LANES] {
    draw5_lanes(seeds, scratch)
}

/// The Mersenne Twister stage for [`LANES`] samples at a time, with its scratch space.
///
/// # Examples
///
/// ```
/// use dpa::kernel::{Backend, MtBlock, LANES};
/// let mut block = MtBlock::new(Backend::detect());
/// let seeds: [u32; LANES] = std::array::from_fn(|i| i as u32);
/// let draws = block.draw5(&seeds);
/// assert_eq!(draws[7], dpa::mt::draw_uniform5(7));
/// ```
pub struct MtBlock {
    backend: Backend,
    scratch: Box<Scratch>,
}

impl MtBlock {
    /// A block stage running on `backend` (the portable one if the CPU lacks it).
    pub fn new(backend: Backend) -> Self {
        MtBlock {
            backend,
            scratch: scratch(),
        }
    }

    /// `random.seed(s)` then five `random()` draws, for each of the seeds.
    #[inline]
    pub fn draw5(&mut self, seeds: &[u32; LANES]) -> [[f64; 5]; LANES] {
        draw5_block(self.backend, seeds, &mut self.scratch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_backend_gives_the_same_bits() {
        let mut scratch = scratch();
        let seeds: [u32; LANES] =
            std::array::from_fn(|i| (i as u32).wrapping_mul(0x9e37_79b9) ^ 0xdead_beef);
        let want: Vec<[u64; 5]> = seeds
            .iter()
            .map(|s| crate::mt::draw_uniform5(*s).map(f64::to_bits))
            .collect();
        for b in Backend::available() {
            let got: Vec<[u64; 5]> = draw5_block(b, &seeds, &mut scratch)
                .iter()
                .map(|v| v.map(f64::to_bits))
                .collect();
            assert_eq!(got, want, "{b}");
        }
    }
}
