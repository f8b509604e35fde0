//! The augmentation parameters of one sample, and the generator that computes them.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::config::{AugmentationConfig, ParamRange};
use crate::error::ConfigError;
use crate::kernel::{Backend, Kernel, MtBlock, LANES, MIN_BLOCK};
use crate::mt::draw_uniform5;
use crate::seeding::{parse_hex, to_hex, Digest, HashChain, Seeding, SEED_STRING_MAX};

/// A record's SHA-256 chain digest, serialized as 64 lowercase hex digits.
///
/// # Examples
///
/// ```
/// let h: dpa::Hash = "ab".repeat(32).parse().unwrap();
/// assert_eq!(h.to_string(), "ab".repeat(32));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Hash(pub Digest);

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&to_hex(&self.0))
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({self})")
    }
}

impl std::str::FromStr for Hash {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_hex(s)
            .map(Hash)
            .ok_or_else(|| format!("hash must be 64 hex digits, got {s:?}"))
    }
}

impl Serialize for Hash {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&to_hex(&self.0))
    }
}

impl<'de> Deserialize<'de> for Hash {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The parameters of one sample: what the reference's `gen_augmentation_params` returns,
/// plus the sample id and, in rank-aware mode, the rank.
///
/// Serializes with the keys `sample_id`, `rank` (only when present), `rotation`,
/// `brightness`, `noise`, `scale`, `contrast`, `hash`.
///
/// # Examples
///
/// ```
/// let g = dpa::Generator::new(dpa::Preset::Moderate.config()).unwrap();
/// let p = g.params(0);
/// let json = serde_json::to_string(&p).unwrap();
/// assert!(json.starts_with(r#"{"sample_id":0,"rotation":"#));
/// let back: dpa::Params = serde_json::from_str(&json).unwrap();
/// assert_eq!(back, p);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// The sample id.
    pub sample_id: u64,
    /// The rank whose seed string produced the record (rank-aware seeding only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rank: Option<u64>,
    /// Rotation in degrees.
    pub rotation: f64,
    /// Brightness factor.
    pub brightness: f64,
    /// Noise level.
    pub noise: f64,
    /// Scale factor.
    pub scale: f64,
    /// Contrast factor.
    pub contrast: f64,
    /// The final digest of the hash chain.
    pub hash: Hash,
}

impl Params {
    /// A record from its parts, the values in the order rotation, brightness, noise,
    /// scale, contrast (what a decoder reads back).
    ///
    /// # Examples
    ///
    /// ```
    /// let p = dpa::Params::from_parts(7, None, [1.0, 2.0, 3.0, 4.0, 5.0], [0; 32]);
    /// assert_eq!((p.sample_id, p.noise, p.contrast), (7, 3.0, 5.0));
    /// ```
    pub fn from_parts(sample_id: u64, rank: Option<u64>, values: [f64; 5], hash: Digest) -> Params {
        let [rotation, brightness, noise, scale, contrast] = values;
        Params {
            sample_id,
            rank,
            rotation,
            brightness,
            noise,
            scale,
            contrast,
            hash: Hash(hash),
        }
    }

    /// The five values in draw order.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = dpa::Generator::new(dpa::Preset::Mild.config()).unwrap().params(3);
    /// assert_eq!(p.values()[0], p.rotation);
    /// ```
    pub fn values(&self) -> [f64; 5] {
        [
            self.rotation,
            self.brightness,
            self.noise,
            self.scale,
            self.contrast,
        ]
    }

    /// True when both records have the same id, rank, hash and bit-identical values.
    ///
    /// Unlike `==`, this tells `0.0` from `-0.0` and treats equal NaN bits as equal.
    ///
    /// # Examples
    ///
    /// ```
    /// let g = dpa::Generator::new(dpa::Preset::Mild.config()).unwrap();
    /// assert!(g.params(5).bit_eq(&g.params(5)));
    /// assert!(!g.params(5).bit_eq(&g.params(6)));
    /// ```
    pub fn bit_eq(&self, other: &Params) -> bool {
        self.sample_id == other.sample_id
            && self.rank == other.rank
            && self.hash == other.hash
            && self.values().map(f64::to_bits) == other.values().map(f64::to_bits)
    }
}

/// Computes [`Params`] for one config, with the hash chain precomputed once.
///
/// `Generator` is `Sync`: share one across threads.
///
/// # Examples
///
/// ```
/// use dpa::{Generator, Preset, Seeding};
/// let g = Generator::new(Preset::Moderate.config()).unwrap();
/// let p = g.params(42);
/// assert_eq!(p.sample_id, 42);
/// let d = g.generate(Seeding::RankAware { base_seed: 0, rank: 1 }, 42);
/// assert_eq!(d.rank, Some(1));
/// assert_ne!(p.hash, d.hash);
/// ```
#[derive(Debug, Clone)]
pub struct Generator {
    config: AugmentationConfig,
    ranges: [ParamRange; 5],
    chain: HashChain,
    kernel: Kernel,
}

impl Generator {
    /// Validates `config` and precomputes its hash chain.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut cfg = dpa::AugmentationConfig::default();
    /// cfg.augmentation_depth = 0;
    /// assert!(dpa::Generator::new(cfg).is_err());
    /// ```
    pub fn new(config: AugmentationConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(Generator {
            ranges: config.ranges(),
            chain: HashChain::new(config.augmentation_depth),
            config,
            kernel: Kernel::detect(),
        })
    }

    /// The same generator running the kernel on `backend` (every backend gives the same
    /// bits; an unsupported one falls back to the portable code).
    ///
    /// # Examples
    ///
    /// ```
    /// use dpa::kernel::Backend;
    /// let g = dpa::Generator::new(dpa::Preset::Mild.config()).unwrap();
    /// let p = g.clone().with_backend(Backend::Portable);
    /// let mut a = Vec::new();
    /// let mut b = Vec::new();
    /// g.generate_into(dpa::Seeding::Plain, 0..100, &mut a);
    /// p.generate_into(dpa::Seeding::Plain, 0..100, &mut b);
    /// assert_eq!(a, b);
    /// ```
    pub fn with_backend(self, backend: Backend) -> Self {
        self.with_kernel(Kernel::from(backend))
    }

    /// The same generator running `kernel` (every kernel gives the same bits; parts
    /// the CPU lacks fall back to the portable code).
    ///
    /// # Examples
    ///
    /// ```
    /// use dpa::kernel::Kernel;
    /// let g = dpa::Generator::new(dpa::Preset::Mild.config()).unwrap();
    /// let k: Kernel = "portable,no-sha-ni".parse().unwrap();
    /// assert_eq!(g.clone().with_kernel(k).params(5), g.params(5));
    /// ```
    pub fn with_kernel(mut self, kernel: Kernel) -> Self {
        self.kernel = kernel;
        self
    }

    /// The kernel in use.
    ///
    /// # Examples
    ///
    /// ```
    /// let g = dpa::Generator::new(dpa::Preset::Mild.config()).unwrap();
    /// assert_eq!(g.kernel(), dpa::kernel::Kernel::detect());
    /// ```
    pub fn kernel(&self) -> Kernel {
        self.kernel
    }

    /// The kernel backend in use.
    ///
    /// # Examples
    ///
    /// ```
    /// let g = dpa::Generator::new(dpa::Preset::Mild.config()).unwrap();
    /// assert!(g.backend().is_supported());
    /// ```
    pub fn backend(&self) -> Backend {
        self.kernel.simd
    }

    /// The config this generator was built from.
    ///
    /// # Examples
    ///
    /// ```
    /// let g = dpa::Generator::new(dpa::Preset::Mild.config()).unwrap();
    /// assert_eq!(g.config(), &dpa::Preset::Mild.config());
    /// ```
    pub fn config(&self) -> &AugmentationConfig {
        &self.config
    }

    /// The reference's `gen_augmentation_params(sample_id, config)` (plain seeding),
    /// one sample with the scalar code. For many samples, [`Generator::fill`],
    /// [`Generator::par_fill`] or an [`Engine`](crate::Engine) are much faster.
    ///
    /// # Examples
    ///
    /// ```
    /// let g = dpa::Generator::new(dpa::Preset::Moderate.config()).unwrap();
    /// assert_eq!(g.params(7), g.params(7));
    /// assert_eq!(g.params(7).rank, None);
    /// ```
    pub fn params(&self, sample_id: u64) -> Params {
        self.generate(Seeding::Plain, sample_id)
    }

    /// The parameters of `sample_id` under `seeding`. Rank-aware seeding is the
    /// reference's `gen_distributed_augmentation_params(sample_id, rank, config, base_seed)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use dpa::Seeding;
    /// let g = dpa::Generator::new(dpa::Preset::Moderate.config()).unwrap();
    /// let a = g.generate(Seeding::RankAware { base_seed: 0, rank: 0 }, 1);
    /// let b = g.generate(Seeding::RankAware { base_seed: 1, rank: 0 }, 1);
    /// assert_ne!(a.hash, b.hash);
    /// ```
    pub fn generate(&self, seeding: Seeding, sample_id: u64) -> Params {
        let digest = self.digest(seeding, sample_id);
        self.record(
            seeding,
            sample_id,
            digest,
            draw_uniform5(HashChain::seed_of(&digest)),
        )
    }

    #[inline]
    fn digest(&self, seeding: Seeding, sample_id: u64) -> Digest {
        let mut buf = [0u8; SEED_STRING_MAX];
        self.chain.digest(seeding.seed_string(sample_id, &mut buf))
    }

    #[inline]
    fn record(&self, seeding: Seeding, sample_id: u64, digest: Digest, u: [f64; 5]) -> Params {
        let r = &self.ranges;
        Params {
            sample_id,
            rank: seeding.rank(),
            rotation: r[0].map(u[0]),
            brightness: r[1].map(u[1]),
            noise: r[2].map(u[2]),
            scale: r[3].map(u[3]),
            contrast: r[4].map(u[4]),
            hash: Hash(digest),
        }
    }

    /// Generates up to [`LANES`] ids through the block kernel into `out` (one slot
    /// per id).
    fn generate_block(
        &self,
        seeding: Seeding,
        ids: &[u64],
        mt: &mut Option<MtBlock>,
        out: &mut [Params],
    ) {
        let mut digests = [[0u8; 32]; LANES];
        let mut seeds = [0u32; LANES];
        let mut bufs = [[0u8; SEED_STRING_MAX]; LANES];
        let mut strings: [&[u8]; LANES] = [&[]; LANES];
        for ((buf, s), id) in bufs.iter_mut().zip(strings.iter_mut()).zip(ids) {
            *s = seeding.seed_string(*id, buf);
        }
        self.chain.digests_on(
            self.kernel,
            &strings[..ids.len()],
            &mut digests[..ids.len()],
        );
        for (seed, d) in seeds.iter_mut().zip(&digests) {
            *seed = HashChain::seed_of(d);
        }
        if ids.len() < MIN_BLOCK {
            for (i, (id, slot)) in ids.iter().zip(out.iter_mut()).enumerate() {
                *slot = self.record(seeding, *id, digests[i], draw_uniform5(seeds[i]));
            }
            return;
        }
        let draws = mt
            .get_or_insert_with(|| MtBlock::new(self.kernel.simd))
            .draw5(&seeds);
        for (i, (id, slot)) in ids.iter().zip(out.iter_mut()).enumerate() {
            *slot = self.record(seeding, *id, digests[i], draws[i]);
        }
    }

    /// Fills `out` with the records of the consecutive ids `first_id ..`, in order, on
    /// this thread with the SIMD block kernel: the fastest way to generate on one core
    /// (about 5x [`Generator::generate`] one id at a time). `Err` if the ids would pass
    /// `u64::MAX`. [`Generator::par_fill`] does the same on every core.
    ///
    /// # Examples
    ///
    /// ```
    /// use dpa::{Generator, Params, Preset, Seeding};
    /// let g = Generator::new(Preset::Mild.config()).unwrap();
    /// let mut out = vec![Params::default(); 100];
    /// g.fill(Seeding::Plain, 1000, &mut out).unwrap();
    /// assert_eq!(out[7], g.params(1007));
    /// assert!(g.fill(Seeding::Plain, u64::MAX, &mut out).is_err());
    /// ```
    pub fn fill(
        &self,
        seeding: Seeding,
        first_id: u64,
        out: &mut [Params],
    ) -> Result<(), ConfigError> {
        crate::split::id_range(first_id, out.len() as u64)?;
        self.fill_ids(seeding, first_id, out);
        Ok(())
    }

    /// [`Generator::fill`] in parallel, on the current rayon pool (use
    /// [`Engine::install`](crate::Engine::install) to pick one), writing in place: no
    /// memory beyond `out`.
    ///
    /// # Examples
    ///
    /// ```
    /// use dpa::{Generator, Params, Preset, Seeding};
    /// let g = Generator::new(Preset::Mild.config()).unwrap();
    /// let mut out = vec![Params::default(); 10_000];
    /// g.par_fill(Seeding::Plain, 0, &mut out).unwrap();
    /// assert_eq!(out[9_999], g.params(9_999));
    /// ```
    pub fn par_fill(
        &self,
        seeding: Seeding,
        first_id: u64,
        out: &mut [Params],
    ) -> Result<(), ConfigError> {
        use rayon::prelude::*;
        const CHUNK: usize = 4096;
        let ids = crate::split::id_range(first_id, out.len() as u64)?;
        out.par_chunks_mut(CHUNK)
            .enumerate()
            .for_each(|(i, chunk)| {
                self.fill_ids(seeding, ids.start() + (i * CHUNK) as u64, chunk);
            });
        Ok(())
    }

    /// `fill` for ids already checked to stay within `u64`.
    pub(crate) fn fill_ids(&self, seeding: Seeding, first_id: u64, out: &mut [Params]) {
        let mut mt = None;
        let mut block = [0u64; LANES];
        for (b, slots) in out.chunks_mut(LANES).enumerate() {
            let start = first_id + (b * LANES) as u64;
            for (i, id) in block.iter_mut().take(slots.len()).enumerate() {
                *id = start + i as u64;
            }
            self.generate_block(seeding, &block[..slots.len()], &mut mt, slots);
        }
    }

    /// Appends the records of `ids` (any ids, in any order), in that order, to `out`,
    /// with the SIMD block kernel on this thread.
    ///
    /// # Examples
    ///
    /// ```
    /// let g = dpa::Generator::new(dpa::Preset::Mild.config()).unwrap();
    /// let mut v = Vec::new();
    /// g.generate_into(dpa::Seeding::Plain, 5..7, &mut v);
    /// assert_eq!(v[1], g.params(6));
    /// ```
    pub fn generate_into(
        &self,
        seeding: Seeding,
        ids: impl IntoIterator<Item = u64>,
        out: &mut Vec<Params>,
    ) {
        let mut mt = None;
        let mut block = [0u64; LANES];
        let mut n = 0;
        let flush = |ids: &[u64], out: &mut Vec<Params>, mt: &mut Option<MtBlock>| {
            let start = out.len();
            out.resize(start + ids.len(), Params::default());
            self.generate_block(seeding, ids, mt, &mut out[start..]);
        };
        for id in ids {
            block[n] = id;
            n += 1;
            if n == LANES {
                flush(&block, out, &mut mt);
                n = 0;
            }
        }
        if n > 0 {
            flush(&block[..n], out, &mut mt);
        }
    }

    /// Generates the ids `ids` in order into a vector, one at a time with the scalar
    /// code (about 5x slower than [`Generator::generate_into`] or
    /// [`Generator::fill`], which use the SIMD block kernel); kept as the plain
    /// statement of the algorithm.
    ///
    /// # Examples
    ///
    /// ```
    /// let g = dpa::Generator::new(dpa::Preset::Mild.config()).unwrap();
    /// let v = g.generate_ids(dpa::Seeding::Plain, 10..13);
    /// assert_eq!(v.iter().map(|p| p.sample_id).collect::<Vec<_>>(), [10, 11, 12]);
    /// ```
    pub fn generate_ids(
        &self,
        seeding: Seeding,
        ids: impl IntoIterator<Item = u64>,
    ) -> Vec<Params> {
        ids.into_iter()
            .map(|id| self.generate(seeding, id))
            .collect()
    }
}

/// The reference's `gen_augmentation_params(sample_id, config)`, one call.
///
/// Builds a [`Generator`] each time: for many samples, build one and reuse it.
///
/// # Examples
///
/// ```
/// let p = dpa::gen_augmentation_params(0, &dpa::Preset::Mild.config()).unwrap();
/// assert_eq!(p.rotation.to_bits(), 0xbfb29d64bf7e6000);
/// ```
pub fn gen_augmentation_params(
    sample_id: u64,
    config: &AugmentationConfig,
) -> Result<Params, ConfigError> {
    Ok(Generator::new(config.clone())?.params(sample_id))
}

/// The reference's `gen_distributed_augmentation_params(sample_id, rank, config, base_seed)`.
///
/// # Examples
///
/// ```
/// let cfg = dpa::Preset::Moderate.config();
/// let p = dpa::gen_distributed_augmentation_params(5, 2, &cfg, 0).unwrap();
/// assert_eq!(p.rank, Some(2));
/// ```
pub fn gen_distributed_augmentation_params(
    sample_id: u64,
    rank: u64,
    config: &AugmentationConfig,
    base_seed: u64,
) -> Result<Params, ConfigError> {
    Ok(Generator::new(config.clone())?.generate(Seeding::RankAware { base_seed, rank }, sample_id))
}
