//! `dpa merge`: check every shard of a distributed run against its manifest, then
//! concatenate them in rank order into one file.

use std::io::Read;
use std::path::{Path, PathBuf};

use clap::Args;
use dpa::distributed::Manifest;
use dpa::formats::read_records_with;
use dpa::{
    AnySink, Error, FileMetadata, Params, RecordHandler, RecordSink, Seeding, SeedingInfo,
    StatsAccumulator,
};
use sha2::{Digest, Sha256};

use super::failure::{CmdResult, Failure};
use super::generate::output_format;
use super::output::Output;

/// Arguments of `dpa merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The manifest.json of a `dpa-mpi generate` run.
    #[arg(value_name = "MANIFEST")]
    pub manifest: PathBuf,
    /// The merged file, or - for stdout.
    #[arg(short, long, value_name = "OUT")]
    pub output: PathBuf,
    /// Output format (default: from the extension).
    #[arg(long, value_name = "FORMAT", value_parser = ["json", "jsonl", "bincode"])]
    pub format: Option<String>,
}

fn sha256_file(path: &Path) -> Result<String, Error> {
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

struct Copy<'a> {
    sink: &'a mut AnySink<Output>,
    stats: &'a mut StatsAccumulator,
    name: PathBuf,
}

impl RecordHandler for Copy<'_> {
    fn record(&mut self, p: Params) -> Result<(), Error> {
        self.stats.push(&p);
        self.sink
            .write_record(&p)
            .map_err(|e| Error::io(&self.name, e))
    }
}

pub fn run(args: MergeArgs) -> CmdResult {
    let format = output_format(args.format.as_deref(), &args.output)?;
    let text = std::fs::read_to_string(&args.manifest)
        .map_err(|e| Failure::data(Error::io(&args.manifest, e)))?;
    let m: Manifest = serde_json::from_str(&text).map_err(|e| {
        Failure::data(Error::data(
            &args.manifest,
            format!("line {} column {}", e.line(), e.column()),
            e.to_string(),
        ))
    })?;
    let dir = args.manifest.parent().unwrap_or(Path::new("."));
    // Every shard must be there, unchanged, before anything is written.
    let mut total = 0u64;
    for s in &m.shards {
        let path = dir.join(&s.file);
        if !path.exists() {
            return Err(Failure::data(Error::data(
                &path,
                format!("shard of rank {}", s.rank),
                "missing",
            )));
        }
        let sum = sha256_file(&path)?;
        if sum != s.sha256 {
            return Err(Failure::data(Error::data(
                &path,
                format!("shard of rank {}", s.rank),
                format!(
                    "changed since the run: sha256 {sum}, the manifest says {}",
                    s.sha256
                ),
            )));
        }
        total += s.records;
    }
    let global = m.seeding == "global";
    let mut meta = FileMetadata::for_config(m.config.clone(), Some(total));
    meta.start_id = Some(m.start_id);
    meta.seeding = Some(if global {
        SeedingInfo::new(Seeding::Plain, None)
    } else {
        SeedingInfo {
            mode: "rank-aware".into(),
            base_seed: Some(m.base_seed),
            rank: None,
            world_size: Some(m.world_size),
        }
    });
    let out = Output::open(&args.output)?;
    let name = out.name();
    let mut sink =
        AnySink::new(format, out, &meta).map_err(|e| Failure::from(Error::io(&name, e)))?;
    let mut stats = StatsAccumulator::new();
    for s in &m.shards {
        let path = dir.join(&s.file);
        let mut copy = Copy {
            sink: &mut sink,
            stats: &mut stats,
            name: name.clone(),
        };
        let info = read_records_with(&path, &mut copy)?;
        if info.records != s.records {
            return Err(Failure::data(Error::data(
                &path,
                format!("shard of rank {}", s.rank),
                format!(
                    "holds {} records, the manifest says {}",
                    info.records, s.records
                ),
            )));
        }
    }
    let statistics = m.statistics.is_some().then(|| stats.finish());
    let out = sink
        .finish(statistics.as_ref())
        .map_err(|e| Failure::from(Error::io(&name, e)))?;
    out.finish()?;
    Ok(())
}
