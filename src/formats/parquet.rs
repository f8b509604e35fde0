//! Apache Parquet files (feature `parquet`, on for the command lines): the format ML
//! pipelines read first (pyarrow, polars, DuckDB, HF `datasets`, Spark), every `uint64`
//! id and `float64` bit carried exactly.
//!
//! # Schema
//!
//! | column | type | |
//! |---|---|---|
//! | `sample_id` | `uint64` | `DELTA_BINARY_PACKED` |
//! | `rank` | `uint64` | rank-aware runs only |
//! | `rotation`, `brightness`, `noise`, `scale`, `contrast` | `float64` | `BYTE_STREAM_SPLIT` |
//! | `hash` | `fixed_size_binary(32)` | the digest's bytes; no dictionary, no statistics, not compressed (digests do not compress) |
//!
//! Row groups hold [`ROW_GROUP`] rows (the last one fewer), so a file's bytes depend only
//! on its records, never on threads or chunking. The file's key-value metadata holds the
//! claims the reader checks against the rows: `dpa` (the JSON of [`FileMetadata`]:
//! config, seeding, first id, count, writer), `dpa.format_version` and, when kept,
//! `dpa.statistics` (exact, in the reference's shape). Nothing in it changes from run to
//! run. Compression is zstd (level 1) unless the metadata's `compression` says otherwise
//! ([`Compression`]).

use std::io::{self, Write};
use std::path::Path;
use std::sync::Arc;

use arrow_array::{Array, ArrayRef, FixedSizeBinaryArray, Float64Array, RecordBatch, UInt64Array};
use arrow_schema::{DataType, Schema};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::arrow_writer::ArrowWriterOptions;
use parquet::arrow::{ArrowWriter, ARROW_SCHEMA_META_KEY};
use parquet::basic::{Compression as Codec, Encoding, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;

use super::compression::Compression;
use super::handler::{FileInfo, RecordHandler};
use super::metadata::{FileMetadata, SeedingMode};
use super::{Format, RecordSink};
use crate::error::{DataKind, Error};
use crate::params::Params;
use crate::stats::Statistics;

/// Rows in a row group (the last one of a file may hold fewer).
pub const ROW_GROUP: usize = 1 << 17;

/// The version of dpa's Parquet layout, in `dpa.format_version`.
pub const FORMAT_VERSION: &str = "1";

/// The magic bytes a Parquet file starts (and ends) with.
pub const MAGIC: [u8; 4] = *b"PAR1";

/// The largest row group dpa reads (bytes, uncompressed): dpa's own are about 26 MiB.
const MAX_ROW_GROUP_BYTES: i64 = 1 << 30;

/// The codec of a [`Compression`].
fn codec(c: Compression) -> Codec {
    match c {
        Compression::None => Codec::UNCOMPRESSED,
        Compression::Lz4 => Codec::LZ4_RAW,
        Compression::Zstd => Codec::ZSTD(ZstdLevel::try_new(1).unwrap_or_default()),
    }
}

const PARAMS: [&str; 5] = super::arrow::PARAM_COLUMNS;

/// The Arrow schema of a file of rank-aware records (`rank`) or not, with `metadata`.
fn schema(rank: bool, metadata: &FileMetadata) -> Schema {
    let fields = super::arrow::fields(rank);
    let claims = [
        (
            "dpa".to_string(),
            serde_json::to_string(metadata).unwrap_or_default(),
        ),
        ("dpa.format_version".to_string(), FORMAT_VERSION.to_string()),
    ];
    Schema::new(fields).with_metadata(
        claims
            .into_iter()
            .collect::<std::collections::BTreeMap<_, _>>(),
    )
}

fn properties(compression: Compression) -> WriterProperties {
    let mut p = WriterProperties::builder()
        .set_max_row_group_row_count(Some(ROW_GROUP))
        .set_compression(codec(compression))
        .set_dictionary_enabled(false)
        .set_column_encoding(ColumnPath::from("sample_id"), Encoding::DELTA_BINARY_PACKED)
        .set_column_statistics_enabled(ColumnPath::from("hash"), EnabledStatistics::None)
        // Digests do not compress: compressing them only costs time.
        .set_column_compression(ColumnPath::from("hash"), Codec::UNCOMPRESSED);
    for name in PARAMS {
        p = p
            .set_column_encoding(ColumnPath::from(name), Encoding::BYTE_STREAM_SPLIT)
            .set_column_statistics_enabled(ColumnPath::from(name), EnabledStatistics::None);
    }
    p.build()
}

fn parquet_error(e: parquet::errors::ParquetError) -> io::Error {
    io::Error::other(e.to_string())
}

/// Writes a Parquet file record by record, a row group at a time: at most a row group
/// of records being gathered and one being encoded, whatever the file's size. Row
/// groups are encoded and compressed on a helper thread (`dpa-parquet`) while the next
/// one is gathered; their bytes reach `out` in order, on the caller's thread.
pub struct ParquetWriter<W: Write> {
    out: W,
    encoder: Option<Encoder>,
    schema: Arc<Schema>,
    rows: Columns,
}

impl<W: Write> std::fmt::Debug for ParquetWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParquetWriter")
            .field("rows", &self.rows.ids.len())
            .finish()
    }
}

/// What the encoder thread is asked to do.
enum Job {
    /// Encode a row group.
    Group(RecordBatch),
    /// Write the footer, with these claims (the schema's and the statistics).
    Finish(Box<Schema>),
}

/// The encoder thread: jobs in, encoded bytes out, in order.
struct Encoder {
    jobs: Option<crossbeam_channel::Sender<Job>>,
    bytes: crossbeam_channel::Receiver<io::Result<Vec<u8>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Encoder {
    fn start(writer: ArrowWriter<Vec<u8>>) -> io::Result<Encoder> {
        // One row group queued while one is encoded: memory stays bounded.
        let (jobs, queue) = crossbeam_channel::bounded(1);
        let (done, bytes) = crossbeam_channel::unbounded();
        let thread = std::thread::Builder::new()
            .name("dpa-parquet".into())
            .spawn(move || encode_jobs(writer, &queue, &done))?;
        Ok(Encoder {
            jobs: Some(jobs),
            bytes,
            thread: Some(thread),
        })
    }

    fn send(&self, job: Job) -> io::Result<()> {
        let stopped = || io::Error::other("the Parquet encoder stopped");
        self.jobs
            .as_ref()
            .ok_or_else(stopped)?
            .send(job)
            .map_err(|_| stopped())
    }

    /// Writes to `out` the bytes encoded so far; with `all`, waits for the thread to end.
    fn drain(&mut self, out: &mut impl Write, all: bool) -> io::Result<()> {
        loop {
            let next = match all {
                true => self.bytes.recv().ok(),
                false => self.bytes.try_recv().ok(),
            };
            match next {
                Some(bytes) => out.write_all(&bytes?)?,
                None => return Ok(()),
            }
        }
    }
}

impl Drop for Encoder {
    fn drop(&mut self) {
        self.jobs = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The encoder thread's loop: each row group's bytes, then the footer's.
fn encode_jobs(
    mut writer: ArrowWriter<Vec<u8>>,
    jobs: &crossbeam_channel::Receiver<Job>,
    done: &crossbeam_channel::Sender<io::Result<Vec<u8>>>,
) {
    for job in jobs {
        let bytes = match job {
            Job::Group(batch) => encode_group(&mut writer, &batch),
            Job::Finish(schema) => {
                let _ = done.send(encode_footer(writer, &schema));
                return;
            }
        };
        if done.send(bytes).is_err() {
            return;
        }
    }
}

fn encode_group(writer: &mut ArrowWriter<Vec<u8>>, batch: &RecordBatch) -> io::Result<Vec<u8>> {
    writer.write(batch).map_err(parquet_error)?;
    writer.flush().map_err(parquet_error)?;
    writer.sync()?;
    // The next group's bytes go into a buffer of about this one's size (the writer
    // would otherwise grow an empty one by doubling, copying it each time).
    let next = Vec::with_capacity(writer.inner().len() + (writer.inner().len() >> 4));
    Ok(std::mem::replace(writer.inner_mut(), next))
}

/// The footer: the claims as plain key-value metadata (DuckDB's `parquet_kv_metadata`,
/// any reader) and in the Arrow schema (pyarrow's `table.schema.metadata`), in key
/// order (the metadata is a sorted map): the same bytes every run.
fn encode_footer(mut writer: ArrowWriter<Vec<u8>>, schema: &Schema) -> io::Result<Vec<u8>> {
    for (key, value) in schema.metadata().clone() {
        writer.append_key_value_metadata(KeyValue::new(key, value));
    }
    let arrow_schema = parquet::arrow::encode_arrow_schema(schema);
    writer.append_key_value_metadata(KeyValue::new(ARROW_SCHEMA_META_KEY.into(), arrow_schema));
    writer.into_inner().map_err(parquet_error)
}

/// A row group's records, column by column.
#[derive(Default)]
struct Columns {
    ids: Vec<u64>,
    ranks: Option<Vec<u64>>,
    values: [Vec<f64>; 5],
    hashes: Vec<u8>,
}

impl Columns {
    fn push(&mut self, p: &Params) -> io::Result<()> {
        match (&mut self.ranks, p.rank) {
            (Some(ranks), Some(r)) => ranks.push(r),
            (None, None) => {}
            _ => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "a record whose rank column does not match the file's seeding",
                ))
            }
        }
        self.ids.push(p.sample_id);
        for (column, v) in self.values.iter_mut().zip(p.values()) {
            column.push(v);
        }
        self.hashes.extend_from_slice(&p.hash.0);
        Ok(())
    }

    /// The rows as a batch of `schema`, leaving the columns empty.
    fn take(&mut self, schema: &Arc<Schema>) -> io::Result<RecordBatch> {
        let rows = self.ids.len();
        let fresh = |v: &mut Vec<u64>| std::mem::replace(v, Vec::with_capacity(rows));
        let mut columns: Vec<ArrayRef> = vec![Arc::new(UInt64Array::from(fresh(&mut self.ids)))];
        if let Some(ranks) = self.ranks.as_mut() {
            columns.push(Arc::new(UInt64Array::from(fresh(ranks))));
        }
        for v in &mut self.values {
            let values = std::mem::replace(v, Vec::with_capacity(rows));
            columns.push(Arc::new(Float64Array::from(values)));
        }
        let hashes = std::mem::replace(&mut self.hashes, Vec::with_capacity(rows * 32));
        let hash = FixedSizeBinaryArray::try_new(32, hashes.into(), None)
            .map_err(|e| io::Error::other(e.to_string()))?;
        columns.push(Arc::new(hash));
        RecordBatch::try_new(schema.clone(), columns).map_err(|e| io::Error::other(e.to_string()))
    }
}

impl<W: Write> ParquetWriter<W> {
    /// Starts a file for `metadata`'s records (with a `rank` column when rank-aware).
    pub fn new(mut out: W, metadata: &FileMetadata) -> io::Result<Self> {
        let rank = metadata.seeding.as_ref().map(|s| s.mode) == Some(SeedingMode::RankAware);
        let schema = Arc::new(schema(rank, metadata));
        let props = properties(metadata.compression);
        // The Arrow schema (with the claims) goes into the footer at the end, once the
        // statistics are known: see `finish`.
        let options = ArrowWriterOptions::new()
            .with_properties(props)
            .with_skip_arrow_metadata(true);
        let mut writer = ArrowWriter::try_new_with_options(Vec::new(), schema.clone(), options)
            .map_err(parquet_error)?;
        writer.sync()?;
        out.write_all(&std::mem::take(writer.inner_mut()))?;
        Ok(ParquetWriter {
            out,
            encoder: Some(Encoder::start(writer)?),
            schema,
            rows: Columns {
                ranks: rank.then(Vec::new),
                ..Columns::default()
            },
        })
    }

    /// A writer that cannot continue a file: a Parquet file's footer, which lists its
    /// row groups, is written last, so a partial one is not continued (its writes fail).
    pub fn resume(out: W) -> Self {
        ParquetWriter {
            out,
            encoder: None,
            schema: Arc::new(Schema::empty()),
            rows: Columns::default(),
        }
    }

    /// The underlying writer.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.out
    }

    /// Hands the rows held to the encoder as a row group, and writes what it has
    /// encoded so far.
    fn flush_group(&mut self) -> io::Result<()> {
        let encoder = self.encoder.as_mut().ok_or_else(cannot_continue)?;
        if !self.rows.ids.is_empty() {
            encoder.send(Job::Group(self.rows.take(&self.schema)?))?;
        }
        encoder.drain(&mut self.out, false)
    }

    /// Takes the records a worker encoded for this format (`AnySink::encode_records`:
    /// column by column), a row group at a time.
    pub fn append_encoded(&mut self, bytes: &[u8]) -> io::Result<()> {
        let chunk = EncodedColumns::parse(bytes)?;
        if chunk.rows > 0 && chunk.ranked != self.rows.ranks.is_some() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "records whose rank column does not match the file's seeding",
            ));
        }
        let mut at = 0;
        while at < chunk.rows {
            let room = ROW_GROUP - self.rows.ids.len();
            let n = room.min(chunk.rows - at);
            self.rows.extend(&chunk, at, n);
            at += n;
            if self.rows.ids.len() >= ROW_GROUP {
                self.flush_group()?;
            }
        }
        Ok(())
    }
}

impl<W: Write> RecordSink for ParquetWriter<W> {
    type Inner = W;

    fn write_record(&mut self, record: &Params) -> io::Result<()> {
        super::record::check_finite(record)?;
        self.rows.push(record)?;
        if self.rows.ids.len() >= ROW_GROUP {
            self.flush_group()?;
        }
        Ok(())
    }

    fn finish(mut self, statistics: Option<&Statistics>) -> io::Result<W> {
        self.flush_group()?;
        let mut claims = self.schema.metadata().clone();
        if let Some(s) = statistics {
            claims.insert(
                "dpa.statistics",
                serde_json::to_string(s).unwrap_or_default(),
            );
        }
        let full = Schema::new(self.schema.fields().clone()).with_metadata(claims);
        let mut encoder = self.encoder.take().ok_or_else(cannot_continue)?;
        encoder.send(Job::Finish(Box::new(full)))?;
        encoder.drain(&mut self.out, true)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

fn cannot_continue() -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        "a Parquet file cannot be continued: its footer, written last, lists its row groups",
    )
}

/// A worker's chunk for a Parquet writer: the row count and whether the rows have a
/// rank (two little-endian `u64`s), then each column whole: ids, ranks (if any), the
/// five values, the hashes.
struct EncodedColumns<'a> {
    rows: usize,
    ranked: bool,
    bytes: &'a [u8],
}

impl<'a> EncodedColumns<'a> {
    fn parse(bytes: &'a [u8]) -> io::Result<Self> {
        let word = |i: usize| {
            bytes
                .get(8 * i..8 * i + 8)
                .map(|w| u64::from_le_bytes(w.try_into().unwrap_or([0; 8])))
        };
        let bad = || io::Error::other("a damaged encoded chunk");
        let (rows, ranked) = (
            word(0).ok_or_else(bad)? as usize,
            word(1).ok_or_else(bad)? == 1,
        );
        let width = if ranked { 88 } else { 80 };
        if rows.checked_mul(width).and_then(|b| b.checked_add(16)) != Some(bytes.len()) {
            return Err(bad());
        }
        Ok(EncodedColumns {
            rows,
            ranked,
            bytes: &bytes[16..],
        })
    }

    /// Column `c` (ids 0, ranks 1 if any, then the values), rows `at .. at + n`, of
    /// 8-byte words.
    fn words(&self, c: usize, at: usize, n: usize) -> impl Iterator<Item = [u8; 8]> + '_ {
        let start = (c * self.rows + at) * 8;
        self.bytes[start..start + n * 8]
            .chunks_exact(8)
            .map(|w| w.try_into().unwrap_or([0; 8]))
    }

    fn hashes(&self, at: usize, n: usize) -> &[u8] {
        let columns = if self.ranked { 7 } else { 6 };
        let start = columns * self.rows * 8 + at * 32;
        &self.bytes[start..start + n * 32]
    }
}

impl Columns {
    /// Rows `at .. at + n` of a worker's chunk.
    fn extend(&mut self, chunk: &EncodedColumns<'_>, at: usize, n: usize) {
        self.ids
            .extend(chunk.words(0, at, n).map(u64::from_le_bytes));
        let first_value = match self.ranks.as_mut() {
            Some(ranks) => {
                ranks.extend(chunk.words(1, at, n).map(u64::from_le_bytes));
                2
            }
            None => 1,
        };
        for (k, column) in self.values.iter_mut().enumerate() {
            column.extend(chunk.words(first_value + k, at, n).map(f64::from_le_bytes));
        }
        self.hashes.extend_from_slice(chunk.hashes(at, n));
    }
}

/// Appends `records` in the workers' encoding for [`ParquetWriter::append_encoded`].
pub(crate) fn encode(records: &[Params], out: &mut Vec<u8>) -> io::Result<()> {
    records.iter().try_for_each(super::record::check_finite)?;
    let ranked = records.first().is_some_and(|p| p.rank.is_some());
    if records.iter().any(|p| p.rank.is_some() != ranked) {
        return Err(io::Error::other(
            "records with and without a rank in one chunk",
        ));
    }
    let n = records.len();
    let mut words: Vec<fn(&Params) -> [u8; 8]> = vec![|p| p.sample_id.to_le_bytes()];
    if ranked {
        words.push(|p| p.rank.unwrap_or(0).to_le_bytes());
    }
    words.extend([
        (|p| p.rotation.to_le_bytes()) as fn(&Params) -> [u8; 8],
        |p| p.brightness.to_le_bytes(),
        |p| p.noise.to_le_bytes(),
        |p| p.scale.to_le_bytes(),
        |p| p.contrast.to_le_bytes(),
    ]);
    let base = out.len();
    out.resize(base + 16 + n * (8 * words.len() + 32), 0);
    let (head, body) = out[base..].split_at_mut(16);
    head[..8].copy_from_slice(&(n as u64).to_le_bytes());
    head[8..].copy_from_slice(&u64::from(ranked).to_le_bytes());
    let (columns, hashes) = body.split_at_mut(8 * n * words.len());
    // Column by column, each a tight loop of fixed-size copies.
    for (column, word) in columns.chunks_exact_mut(8 * n.max(1)).zip(&words) {
        for (slot, p) in column.chunks_exact_mut(8).zip(records) {
            slot.copy_from_slice(&word(p));
        }
    }
    for (slot, p) in hashes.chunks_exact_mut(32).zip(records) {
        slot.copy_from_slice(&p.hash.0);
    }
    Ok(())
}

/// Reads the Parquet file at `path`: its claims (`dpa`, `dpa.statistics`), then each
/// row, checked against dpa's schema. A file dpa did not write (no `dpa` metadata) is
/// read as rows, with no claims.
pub(crate) fn read<H: RecordHandler + ?Sized>(
    path: &Path,
    handler: &mut H,
) -> Result<FileInfo, H::Error> {
    let bad = |position: &str, message: String| Error::data(path, position.to_string(), message);
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let builder = guarded(path, || ParquetRecordBatchReaderBuilder::try_new(file))?
        .map_err(|e| bad("footer", format!("not a readable Parquet file: {e}")))?;
    let meta = builder.metadata().clone();
    for (i, g) in meta.row_groups().iter().enumerate() {
        if g.total_byte_size() > MAX_ROW_GROUP_BYTES || g.num_rows() < 0 {
            let message = format!(
                "{} bytes: dpa reads row groups of at most {MAX_ROW_GROUP_BYTES}",
                g.total_byte_size()
            );
            return Err(Error::data_of(
                DataKind::TooLarge,
                path,
                format!("row group {i}"),
                message,
            )
            .into());
        }
    }
    let layout = Layout::of(builder.schema()).map_err(|m| bad("schema", m))?;
    // The Arrow schema's metadata (written at the start), then the file's key-value
    // metadata (the statistics, added at the end).
    let kv = meta.file_metadata().key_value_metadata();
    let schema_meta = builder.schema().metadata().clone();
    let value = |key: &str| {
        schema_meta.get(key).cloned().or_else(|| {
            kv.and_then(|kv| kv.iter().find(|e| e.key == key))
                .and_then(|e| e.value.clone())
        })
    };
    let metadata: Option<FileMetadata> = match value("dpa") {
        Some(text) => {
            Some(serde_json::from_str(&text).map_err(|e| bad("metadata dpa", e.to_string()))?)
        }
        None => None,
    };
    let statistics: Option<Statistics> = match value("dpa.statistics") {
        Some(text) => Some(
            serde_json::from_str(&text)
                .map_err(|e| bad("metadata dpa.statistics", e.to_string()))?,
        ),
        None => None,
    };
    handler.header(metadata.as_ref())?;
    let reader = guarded(path, || builder.with_batch_size(1 << 16).build())?
        .map_err(|e| bad("footer", e.to_string()))?;
    let mut records = 0u64;
    let mut batches = reader.into_iter();
    loop {
        let Some(batch) = guarded(path, || batches.next())? else {
            break;
        };
        let batch = batch.map_err(|e| bad(&format!("row {records}"), e.to_string()))?;
        for p in layout
            .rows(&batch)
            .map_err(|m| bad(&format!("row {records}"), m))?
        {
            handler.record(p)?;
            records += 1;
        }
    }
    Ok(FileInfo {
        format: Format::Parquet,
        metadata,
        statistics,
        records,
        ids_inferred: false,
    })
}

/// Runs a call into the Parquet reader, which may panic on a damaged file: a panic is
/// a data error naming the file, never an abort of dpa.
fn guarded<T>(path: &Path, f: impl FnOnce() -> T) -> Result<T, Error> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|_| {
        Error::data(
            path,
            "row group",
            "a damaged Parquet file (its reader gave up)",
        )
    })
}

/// Where dpa's columns are in a file's schema.
struct Layout {
    rank: Option<usize>,
    columns: [usize; 7],
}

impl Layout {
    fn of(schema: &Schema) -> Result<Layout, String> {
        let find = |name: &str, ty: &DataType| -> Result<usize, String> {
            let (i, f) = schema
                .column_with_name(name)
                .ok_or(format!("no column {name}: not a file of dpa's records"))?;
            if f.data_type() != ty {
                return Err(format!("column {name} is {}, dpa's is {ty}", f.data_type()));
            }
            Ok(i)
        };
        let rank = match schema.column_with_name("rank") {
            Some(_) => Some(find("rank", &DataType::UInt64)?),
            None => None,
        };
        let mut columns = [0usize; 7];
        columns[0] = find("sample_id", &DataType::UInt64)?;
        for (slot, name) in columns[1..6].iter_mut().zip(PARAMS) {
            *slot = find(name, &DataType::Float64)?;
        }
        columns[6] = find("hash", &DataType::FixedSizeBinary(32))?;
        Ok(Layout { rank, columns })
    }

    /// The records of `batch`; nulls are refused.
    fn rows(&self, batch: &RecordBatch) -> Result<Vec<Params>, String> {
        let col = |i: usize| batch.column(i);
        if batch.columns().iter().any(|c| c.null_count() > 0) {
            return Err("a null value: dpa's records have none".into());
        }
        let u64s = |i: usize| {
            col(i)
                .as_any()
                .downcast_ref::<UInt64Array>()
                .map(|a| a.values().clone())
        };
        let ids = u64s(self.columns[0]).ok_or("sample_id")?;
        let ranks = self.rank.map(|r| u64s(r).ok_or("rank")).transpose()?;
        let mut values = Vec::with_capacity(5);
        for &i in &self.columns[1..6] {
            let a = col(i)
                .as_any()
                .downcast_ref::<Float64Array>()
                .ok_or("a value column")?;
            values.push(a.values().clone());
        }
        let hashes = col(self.columns[6])
            .as_any()
            .downcast_ref::<FixedSizeBinaryArray>()
            .ok_or("hash")?;
        Ok((0..batch.num_rows())
            .map(|r| {
                let mut hash = [0u8; 32];
                hash.copy_from_slice(hashes.value(r));
                let v = std::array::from_fn(|k| values[k][r]);
                Params::from_parts(ids[r], ranks.as_ref().map(|x| x[r]), v, hash)
            })
            .collect())
    }
}
