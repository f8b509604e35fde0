//! The sidecar of a `.npy` array (`<file>.npy.json`): what NumPy cannot hold (config,
//! seeding, first id, exact statistics) and the array's size and digest.
//!
//! Two versions, both read: version 1 holds the SHA-256 of the whole file (`sha256`);
//! version 2, written for a file many ranks wrote together, holds `segments` instead,
//! one a rank, each the SHA-256 of that rank's bytes (the first also covers the
//! header), computed by the rank that wrote them.
//!
//! A sidecar is a claim about the array beside it, checked against the array as it is
//! read (`Claims`): its digest and size, its row count, its config (validated as if
//! given on the command line), its first id and consecutive ids, its seeding (a `rank`
//! column exactly when rank-aware, every row's rank the claimed one or, for a whole
//! distributed run, the rank whose range holds the row). A claim the rows contradict is
//! an error naming the sidecar, the field and the row.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::metadata::{FileMetadata, SeedingMode};
use crate::error::{DataKind, Error};
use crate::params::{Hash, Params};
use crate::stats::Statistics;

use super::segments::{check_cover, Segment, SegmentHasher};

/// The longest sidecar dpa reads (a 65,536-rank job's sidecar fits).
pub const MAX_SIDECAR_BYTES: u64 = 64 << 20;

/// What a `.npy` file's sidecar (`<file>.npy.json`) holds: what NumPy cannot.
///
/// # Examples
///
/// ```
/// use dpa::formats::sidecar::{sidecar_path, NpySidecar};
/// assert_eq!(sidecar_path("out/x.npy".as_ref()), std::path::Path::new("out/x.npy.json"));
/// let meta = dpa::FileMetadata::for_config(Default::default(), Some(0));
/// let s = NpySidecar::new(meta, None, 128, "ab".repeat(32).parse().unwrap());
/// let back: NpySidecar = serde_json::from_slice(&s.to_json()).unwrap();
/// assert_eq!(back, s);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NpySidecar {
    /// Always `"dpa-npy-sidecar"`.
    pub kind: String,
    /// The sidecar's version: 1 with `sha256`, 2 with `segments`.
    pub version: u32,
    /// Rows in the array.
    pub rows: u64,
    /// Bytes in the array file.
    pub bytes: u64,
    /// SHA-256 of every byte of the array file, lowercase hex (version 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<Hash>,
    /// The file's bytes in consecutive segments, each with its SHA-256 (version 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segments: Option<Vec<Segment>>,
    /// Config, seeding, first id and count: a JSON document's `metadata`.
    pub metadata: FileMetadata,
    /// The exact statistics of the rows (none when they were not computed).
    pub statistics: Option<Statistics>,
    /// Who wrote the rows and how long it took (`dpa-mpi`: one entry a rank).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ranks: Option<serde_json::Value>,
    /// The whole run a rank's array is a part of (rank-aware, with a world size):
    /// with it, the claimed rank and world size are checked against the array's ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<super::RunRange>,
}

/// The `kind` of a sidecar.
pub const SIDECAR_KIND: &str = "dpa-npy-sidecar";

impl NpySidecar {
    /// A sidecar (version 1) for an array of `bytes` bytes with digest `sha256`.
    pub fn new(
        metadata: FileMetadata,
        statistics: Option<Statistics>,
        bytes: u64,
        sha256: Hash,
    ) -> Self {
        NpySidecar {
            kind: SIDECAR_KIND.into(),
            version: 1,
            rows: metadata.num_samples.unwrap_or(0),
            bytes,
            sha256: Some(sha256),
            segments: None,
            statistics,
            ranks: None,
            run: metadata.run,
            metadata,
        }
    }

    /// A sidecar (version 2) for an array made of `segments`, in order from byte 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use dpa::formats::{segments::Segment, sidecar::NpySidecar};
    /// let meta = dpa::FileMetadata::for_config(Default::default(), Some(0));
    /// let s = NpySidecar::with_segments(meta, None, vec![Segment::of(0, b"ab")]);
    /// assert_eq!((s.version, s.bytes, s.sha256), (2, 2, None));
    /// ```
    pub fn with_segments(
        metadata: FileMetadata,
        statistics: Option<Statistics>,
        segments: Vec<Segment>,
    ) -> Self {
        let bytes = segments.iter().map(|s| s.bytes).sum();
        NpySidecar {
            version: 2,
            sha256: None,
            segments: Some(segments),
            ..NpySidecar::new(metadata, statistics, bytes, Hash::default())
        }
    }

    /// A hasher that splits the array's bytes as this sidecar's digest does.
    pub(crate) fn hasher(&self) -> SegmentHasher {
        match &self.segments {
            Some(s) => SegmentHasher::new(s.iter().map(|s| s.bytes).collect()),
            None => SegmentHasher::new(vec![self.bytes]),
        }
    }

    /// The digest's segments: the one whole-file digest of version 1 as one segment.
    pub(crate) fn claimed_segments(&self) -> Vec<Segment> {
        match (&self.segments, self.sha256) {
            (Some(s), _) => s.clone(),
            (None, sha256) => vec![Segment {
                offset: 0,
                bytes: self.bytes,
                sha256: sha256.unwrap_or_default(),
            }],
        }
    }

    /// The sidecar as pretty JSON, ending with a newline.
    pub fn to_json(&self) -> Vec<u8> {
        let mut text = serde_json::to_vec_pretty(self).unwrap_or_default();
        text.push(b'\n');
        text
    }

    /// Reads the sidecar of the array at `array`; `None` when there is none.
    pub fn load(array: &Path) -> Result<Option<NpySidecar>, Error> {
        let path = sidecar_path(array);
        let Some(file) = crate::identity::open_regular(&path, true)? else {
            return Ok(None);
        };
        let mut text = Vec::new();
        file.take(MAX_SIDECAR_BYTES + 1)
            .read_to_end(&mut text)
            .map_err(|e| Error::io(&path, e))?;
        if text.len() as u64 > MAX_SIDECAR_BYTES {
            let message = format!("larger than {MAX_SIDECAR_BYTES} bytes: not a dpa sidecar");
            return Err(Error::data_of(DataKind::TooLarge, &path, "byte 0", message));
        }
        let mut sidecar: NpySidecar = serde_json::from_slice(&text)
            .map_err(|e| Error::data(&path, format!("line {}", e.line()), e.to_string()))?;
        if sidecar.kind != SIDECAR_KIND || !matches!(sidecar.version, 1 | 2) {
            let message = format!("not a version-1 or version-2 {SIDECAR_KIND}");
            return Err(Error::data(&path, "kind", message));
        }
        check_digest(&sidecar).map_err(|(field, m)| Error::data(&path, field, m))?;
        sidecar.metadata.run = sidecar.run;
        if sidecar.metadata.num_samples != Some(sidecar.rows) {
            let message = "metadata.num_samples differs from rows";
            return Err(Error::data(&path, "rows", message));
        }
        Ok(Some(sidecar))
    }
}

/// The sidecar of the array at `array`: `<array>.json`.
pub fn sidecar_path(array: &Path) -> PathBuf {
    let mut s = array.as_os_str().to_owned();
    s.push(".json");
    PathBuf::from(s)
}

/// A version's digest fields: `sha256` alone (1), or `segments` alone covering `bytes`.
fn check_digest(s: &NpySidecar) -> Result<(), (&'static str, String)> {
    match (s.version, &s.sha256, &s.segments) {
        (1, Some(_), None) => Ok(()),
        (2, None, Some(segments)) => check_cover(segments, s.bytes).map_err(|m| ("segments", m)),
        (v, _, _) => Err((
            "version",
            format!(
                "version {v} holds {}",
                if v == 1 {
                    "sha256 and no segments"
                } else {
                    "segments and no sha256"
                }
            ),
        )),
    }
}

/// The sidecar must describe these very bytes (`got`: the array's segments, split as
/// the sidecar's are); the message names the first segment that differs.
pub(crate) fn check_sidecar(s: &NpySidecar, path: &Path, got: &[Segment]) -> Result<(), Error> {
    let bytes = got.last().map_or(0, |g| g.offset + g.bytes);
    let claimed = s.claimed_segments();
    let which = claimed.iter().zip(got).position(|(c, g)| c != g);
    let which = match which {
        None if s.bytes == bytes && claimed.len() == got.len() => return Ok(()),
        None => claimed.len().min(got.len()).saturating_sub(1),
        Some(i) => i,
    };
    let (c, g) = (claimed.get(which), got.get(which));
    let what = if s.segments.is_some() {
        format!("segment {which} ")
    } else {
        String::new()
    };
    let message = format!(
        "{} describes another array ({} bytes, {what}sha256 {}) than this one ({bytes} bytes, {what}sha256 {}): the array was changed, or the sidecar belongs to another file",
        sidecar_path(path).display(),
        s.bytes,
        c.map_or("-".into(), |c| c.sha256.to_string()),
        g.map_or("-".into(), |g| g.sha256.to_string()),
    );
    Err(Error::data_of(DataKind::Mismatch, path, "sidecar", message))
}

/// The first id of rank `rank` of `world` in `run`, when that rank owns `rows` ids from
/// `start`; the message says why not.
fn check_part(
    run: &super::RunRange,
    rank: u64,
    world: u64,
    start: Option<u64>,
    rows: u64,
) -> Result<u64, String> {
    let (first, count) = run.rank_ids(world, rank).map_err(|e| e.to_string())?;
    if start.is_some_and(|s| s != first) || count != rows {
        return Err(format!(
            "rank {rank} of world_size {world} owns {count} ids from {first} of the run's {} ids from {}; the array holds {rows} rows from {}",
            run.num_samples,
            run.start_id,
            start.map_or("an unstated id".into(), |s| s.to_string()),
        ));
    }
    Ok(first)
}

/// A sidecar's claims about the rows, checked as they are read.
pub(crate) struct Claims<'a> {
    sidecar: &'a Path,
    /// The first id claimed (`metadata.start_id`); without a claim, the first row's id.
    first: std::cell::Cell<Option<u64>>,
    /// The rank every row carries, for a rank's own file.
    rank: Option<u64>,
    /// `(rows, world size)` of a whole rank-aware run: each row's rank is the one
    /// whose range holds it.
    whole: Option<(u64, u64)>,
}

impl<'a> Claims<'a> {
    /// Checks what can be checked before the rows: the row count against the header's,
    /// the config, and the seeding against the columns (`has_rank`).
    pub(crate) fn check(
        s: &NpySidecar,
        sidecar: &'a Path,
        rows: u64,
        has_rank: bool,
    ) -> Result<Claims<'a>, Error> {
        let wrong = |field: &str, message: String| {
            Error::data_of(DataKind::Mismatch, sidecar, field.to_string(), message)
        };
        if s.rows != rows {
            let message = format!(
                "rows: the sidecar says {}, the array's header {rows}",
                s.rows
            );
            return Err(wrong("rows", message));
        }
        if let Some(config) = &s.metadata.config {
            config
                .validate()
                .map_err(|e| wrong("metadata.config", e.to_string()))?;
        }
        let seeding = s.metadata.seeding.as_ref();
        let rank_aware = seeding.is_some_and(|i| i.mode == SeedingMode::RankAware);
        if rank_aware != has_rank {
            let message = format!(
                "metadata.seeding: the sidecar says {}, the array {} a rank column",
                seeding.map_or("plain".to_string(), |i| format!("{:?}", i.mode)),
                if has_rank { "has" } else { "has no" }
            );
            return Err(wrong("metadata.seeding", message));
        }
        let (rank, world) = seeding.map_or((None, None), |i| (i.rank, i.world_size));
        if let (Some(r), Some(p)) = (rank, world) {
            if r >= p {
                let message = format!("metadata.seeding: rank {r} is not below world_size {p}");
                return Err(wrong("metadata.seeding", message));
            }
        }
        let part = match (s.run.filter(|_| rank_aware), rank, world) {
            (Some(run), Some(r), Some(p)) => Some(
                check_part(&run, r, p, s.metadata.start_id, rows)
                    .map_err(|m| wrong("metadata.seeding", m))?,
            ),
            _ => None,
        };
        Ok(Claims {
            sidecar,
            first: std::cell::Cell::new(s.metadata.start_id.or(part)),
            rank: rank.filter(|_| rank_aware),
            whole: match (rank_aware, rank, world) {
                (true, None, Some(p)) => Some((rows, p)),
                _ => None,
            },
        })
    }

    /// Checks row `i` against the claims.
    pub(crate) fn row(&self, i: u64, record: &Params) -> Result<(), Error> {
        let wrong = |field: &str, message: String| {
            Error::data_of(
                DataKind::Mismatch,
                self.sidecar,
                format!("row {i}"),
                format!("{field}: {message}"),
            )
        };
        let first = self.first.get().unwrap_or(record.sample_id);
        self.first.set(Some(first));
        if first.checked_add(i) != Some(record.sample_id) {
            let message = format!(
                "the sidecar's ids start at {first} and are consecutive; row {i} is sample {}",
                record.sample_id
            );
            return Err(wrong("metadata.start_id", message));
        }
        let want = match (self.rank, self.whole) {
            (Some(r), _) => Some(r),
            (None, Some((rows, p))) => crate::split::rank_for_sample(rows, p, i).ok().flatten(),
            _ => None,
        };
        if want.is_some() && record.rank != want {
            let message = format!(
                "the sidecar's seeding puts this row on rank {}, the row says {:?}",
                want.unwrap_or_default(),
                record.rank
            );
            return Err(wrong("metadata.seeding", message));
        }
        Ok(())
    }
}
