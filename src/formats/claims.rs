//! What a file says about its own records — a JSON document's `metadata` and
//! `statistics`, a binary file's header and trailer, a `.npy` sidecar — checked against
//! the records as a reader hands them on, before anyone uses the claim:
//!
//! - the statistics, recomputed from every record (they are exact, so a true claim is
//!   equal bit for bit);
//! - the record count (`metadata.num_samples`);
//! - the config and seeding, by generating again a sample of the rows ([`RowSample`]):
//!   the first, the last, and every row whose own hash starts with a zero byte (about
//!   one in 256, chosen by the data, not by a count an editor could dodge). `dpa
//!   verify` generates every row again.
//!
//! A claim the records contradict is a data error naming the file that makes it (the
//! sidecar for a `.npy` array), the field and, for a row, its position.

use std::path::{Path, PathBuf};

use super::handler::{FileInfo, RecordHandler};
use super::metadata::{FileMetadata, SeedingInfo, SeedingMode};
use crate::config::{AugmentationConfig, Param};
use crate::error::{DataKind, Error};
use crate::params::{Generator, Params};
use crate::seeding::Seeding;
use crate::stats::{Statistics, StatsAccumulator};

/// Generates again a sample of a file's rows — the first, the last, and those whose
/// hash starts with a zero byte — and compares them, bit for bit, with the rows.
///
/// # Examples
///
/// ```
/// use dpa::formats::claims::RowSample;
/// use dpa::{Generator, Preset};
/// let g = Generator::new(Preset::Mild.config()).unwrap();
/// let mut sample = RowSample::new(Preset::Mild.config(), None).unwrap();
/// for id in 0..1000 {
///     sample.check(&g.params(id)).unwrap();
/// }
/// sample.finish().unwrap();
/// // Rows of another config are caught at the first row.
/// let mut other = RowSample::new(Preset::Aggressive.config(), None).unwrap();
/// let (row, message) = other.check(&g.params(0)).unwrap_err();
/// assert_eq!(row, 0);
/// assert!(message.contains("rotation"), "{message}");
/// ```
pub struct RowSample {
    generator: Generator,
    base_seed: u64,
    keyed: Option<Seeding>,
    rows: u64,
    last: Option<Params>,
}

impl RowSample {
    /// A sample checked against `config` and the `seeding` a file states (rank-aware
    /// rows use their own rank column and the stated base seed, else 0).
    pub fn new(
        config: AugmentationConfig,
        seeding: Option<&SeedingInfo>,
    ) -> Result<RowSample, crate::ConfigError> {
        let keyed = seeding
            .filter(|s| s.mode == SeedingMode::Keyed)
            .and_then(SeedingInfo::seeding);
        Ok(RowSample {
            generator: Generator::new(config)?,
            base_seed: seeding.and_then(|s| s.base_seed).unwrap_or(0),
            keyed,
            rows: 0,
            last: None,
        })
    }

    /// Checks the next row when it is in the sample; `Err((row, message))` when it is
    /// not what the config and seeding give.
    pub fn check(&mut self, record: &Params) -> Result<(), (u64, String)> {
        let row = self.rows;
        self.rows += 1;
        if row == 0 || record.hash.0[0] == 0 {
            self.compare(row, record)?;
            self.last = None;
        } else {
            self.last = Some(*record);
        }
        Ok(())
    }

    /// Checks the last row, if it was not checked already.
    pub fn finish(&mut self) -> Result<(), (u64, String)> {
        match self.last.take() {
            Some(last) => self.compare(self.rows - 1, &last),
            None => Ok(()),
        }
    }

    fn compare(&self, row: u64, got: &Params) -> Result<(), (u64, String)> {
        let seeding = match (self.keyed, got.rank) {
            (Some(keyed), _) => keyed,
            (None, Some(rank)) => Seeding::RankAware {
                base_seed: self.base_seed,
                rank,
            },
            (None, None) => Seeding::Plain,
        };
        let want = self.generator.generate(seeding, got.sample_id);
        if want.bit_eq(got) {
            return Ok(());
        }
        Err((row, describe_difference(got, &want)))
    }
}

/// What differs between a row and the row its settings give: the first parameter whose
/// bits differ, else the hash.
///
/// # Examples
///
/// ```
/// let g = dpa::Generator::new(dpa::Preset::Mild.config()).unwrap();
/// let (a, b) = (g.params(1), g.params(2));
/// let text = dpa::formats::claims::describe_difference(&a, &b);
/// assert!(text.starts_with("rotation is "), "{text}");
/// ```
pub fn describe_difference(got: &Params, want: &Params) -> String {
    for (i, (a, b)) in got.values().iter().zip(want.values()).enumerate() {
        if a.to_bits() != b.to_bits() {
            return format!(
                "{} is {a:?} (bits {:016x}), expected {b:?} (bits {:016x})",
                Param::ALL[i].name(),
                a.to_bits(),
                b.to_bits()
            );
        }
    }
    format!("hash is {}, expected {}", got.hash, want.hash)
}

/// Checks that `stated` statistics, which `claimant` holds, are those of the records.
///
/// # Examples
///
/// ```
/// let g = dpa::Generator::new(dpa::Preset::Mild.config()).unwrap();
/// let mut acc = dpa::StatsAccumulator::new();
/// (0..10).for_each(|id| acc.push(&g.params(id)));
/// let ours = acc.finish();
/// let path = std::path::Path::new("x.bin");
/// dpa::formats::claims::check_statistics(path, &ours, &ours).unwrap();
/// let mut edited = ours;
/// edited.rotation.max += 1.0;
/// let err = dpa::formats::claims::check_statistics(path, &ours, &edited).unwrap_err();
/// assert!(err.to_string().contains("rotation statistics"), "{err}");
/// ```
pub fn check_statistics(
    claimant: &Path,
    records: &Statistics,
    stated: &Statistics,
) -> Result<(), Error> {
    let Some(p) = records.first_difference(stated) else {
        return Ok(());
    };
    Err(Error::data_of(
        DataKind::Mismatch,
        claimant,
        "statistics",
        format!(
            "{} statistics do not match the records: file {:?}, records {:?}",
            p.name(),
            stated.get(p),
            records.get(p)
        ),
    ))
}

/// A reader's handler wrapped so that every record also feeds the checks of the file's
/// claims: the statistics and the row sample. [`Checked::finish`] then compares.
pub(crate) struct Checked<'a, H: ?Sized> {
    inner: &'a mut H,
    /// The file that makes the claims (a `.npy` array's sidecar).
    claimant: PathBuf,
    stats: StatsAccumulator,
    sample: Option<RowSample>,
}

impl<'a, H: RecordHandler + ?Sized> Checked<'a, H> {
    pub(crate) fn new(inner: &'a mut H, claimant: PathBuf) -> Self {
        Checked {
            inner,
            claimant,
            stats: StatsAccumulator::new(),
            sample: None,
        }
    }

    /// Compares the claims in `info` (read to the end) with the records.
    pub(crate) fn finish(mut self, info: &FileInfo) -> Result<(), Error> {
        if let Some(sample) = self.sample.as_mut() {
            sample.finish().map_err(|e| self.row_error(e))?;
        }
        if let Some(n) = info.metadata.as_ref().and_then(|m| m.num_samples) {
            if n != info.records {
                let message = format!(
                    "num_samples is {n}, the file holds {} records",
                    info.records
                );
                return Err(Error::data_of(
                    DataKind::Mismatch,
                    &self.claimant,
                    "metadata",
                    message,
                ));
            }
        }
        match &info.statistics {
            Some(stated) => check_statistics(&self.claimant, &self.stats.finish(), stated),
            None => Ok(()),
        }
    }

    fn row_error(&self, (row, message): (u64, String)) -> Error {
        Error::data_of(
            DataKind::Mismatch,
            &self.claimant,
            format!("record {row}"),
            format!("not what the stated metadata.config and seeding give: {message}"),
        )
    }
}

impl<H: RecordHandler + ?Sized> RecordHandler for Checked<'_, H> {
    type Error = H::Error;

    fn header(&mut self, metadata: Option<&FileMetadata>) -> Result<(), H::Error> {
        if let Some(config) = metadata.and_then(|m| m.config.clone()) {
            let seeding = metadata.and_then(|m| m.seeding.as_ref());
            let sample = RowSample::new(config, seeding).map_err(|error| Error::Config {
                path: self.claimant.clone(),
                position: "metadata.config".into(),
                error,
            })?;
            self.sample = Some(sample);
        }
        self.inner.header(metadata)
    }

    fn record(&mut self, record: Params) -> Result<(), H::Error> {
        self.stats.push(&record);
        if let Some(sample) = self.sample.as_mut() {
            if let Err(e) = sample.check(&record) {
                return Err(self.row_error(e).into());
            }
        }
        self.inner.record(record)
    }
}
