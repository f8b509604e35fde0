//! Bit-exact parity with the Python reference (DPA 0.2.1) over every case in
//! `tests/data/reference-vectors.json`, and reading the files the reference wrote.

use std::path::{Path, PathBuf};

use dpa::{
    all_ranges, gen_augmentation_params, gen_distributed_augmentation_params, split_range,
    AugmentationConfig, Generator, Params, Seeding, StatsAccumulator,
};
use serde_json::Value;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn vectors() -> Value {
    let text = std::fs::read_to_string(data("reference-vectors.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn config(v: &Value) -> AugmentationConfig {
    serde_json::from_value(v.clone()).unwrap()
}

const NAMES: [&str; 5] = ["rotation", "brightness", "noise", "scale", "contrast"];

/// Compares a generated record with a reference sample: the five values by their bit
/// patterns (from the `bits` field, not the decimals), the hash, the id and the rank.
fn assert_same(case: &str, got: &Params, want: &Value) {
    let id = want["sample_id"].as_u64().unwrap();
    assert_eq!(got.sample_id, id, "{case}");
    for (name, value) in NAMES.iter().zip(got.values()) {
        let bits = u64::from_str_radix(want["bits"][name].as_str().unwrap(), 16).unwrap();
        assert_eq!(
            format!("{:016x}", value.to_bits()),
            format!("{bits:016x}"),
            "{case}: sample {id}: {name}"
        );
        // The decimal in the file must denote the same bits (float_roundtrip parsing).
        assert_eq!(
            want[name].as_f64().unwrap().to_bits(),
            bits,
            "{case}: decimal of {name}"
        );
    }
    assert_eq!(
        got.hash.to_string(),
        want["hash"].as_str().unwrap(),
        "{case}: sample {id}: hash"
    );
    assert_eq!(
        got.rank,
        want.get("rank").and_then(Value::as_u64),
        "{case}: sample {id}: rank"
    );
}

#[test]
fn param_cases_are_bit_exact() {
    let v = vectors();
    let cases = v["param_cases"].as_array().unwrap();
    assert!(cases.len() >= 6);
    let mut checked = 0;
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let cfg = config(&case["config"]);
        let g = Generator::new(cfg.clone()).unwrap();
        for s in case["samples"].as_array().unwrap() {
            let id = s["sample_id"].as_u64().unwrap();
            assert_same(name, &g.params(id), s);
            checked += 1;
        }
        // The one-call convenience function agrees with the generator.
        let first = &case["samples"][0];
        let p = gen_augmentation_params(first["sample_id"].as_u64().unwrap(), &cfg).unwrap();
        assert_same(name, &p, first);
    }
    assert_eq!(checked, 474);
}

/// Block lengths that cut the kernel's blocks everywhere: below `MIN_BLOCK` (one sample
/// at a time), between it and the 4-sample SHA groups, and around `LANES` (64).
const BLOCK_LENGTHS: [usize; 13] = [1, 2, 3, 5, 7, 8, 9, 31, 63, 64, 65, 67, 131];

/// Runs `ids` (cycled to each of [`BLOCK_LENGTHS`]) through `generate_into`, the path
/// the engine uses, and checks every record against its reference sample.
fn check_blocks(name: &str, g: &Generator, seeding: Seeding, samples: &[&Value]) -> usize {
    let mut checked = 0;
    for len in BLOCK_LENGTHS {
        let chosen: Vec<&Value> = samples.iter().copied().cycle().take(len).collect();
        let ids = chosen.iter().map(|s| s["sample_id"].as_u64().unwrap());
        let mut got = Vec::new();
        g.generate_into(seeding, ids, &mut got);
        assert_eq!(got.len(), len, "{name}: block of {len}");
        for (p, s) in got.iter().zip(&chosen) {
            assert_same(&format!("{name}, block of {len}"), p, s);
            checked += 1;
        }
    }
    checked
}

/// Every kernel this CPU can run: each SIMD backend, with dpa's SHA-extension chain
/// (where the CPU has it) and with the `sha2` crate's.
fn kernels() -> Vec<dpa::kernel::Kernel> {
    let mut all = Vec::new();
    for simd in dpa::kernel::Backend::available() {
        for sha_ni in [false, true] {
            let k = dpa::kernel::Kernel { simd, sha_ni };
            if k.is_supported() {
                all.push(k);
            }
        }
    }
    all
}

#[test]
fn block_kernel_is_bit_exact_on_every_backend() {
    let v = vectors();
    let kernels = kernels();
    assert!(kernels
        .iter()
        .any(|k| k.simd == dpa::kernel::Backend::Portable && !k.sha_ni));
    for kernel in kernels {
        let mut checked = 0;
        for case in v["param_cases"].as_array().unwrap() {
            let name = format!("{} on {kernel}", case["name"].as_str().unwrap());
            let g = Generator::new(config(&case["config"]))
                .unwrap()
                .with_kernel(kernel);
            assert_eq!(g.kernel(), kernel);
            let samples: Vec<&Value> = case["samples"].as_array().unwrap().iter().collect();
            checked += check_blocks(&name, &g, Seeding::Plain, &samples);
            // All of a case's ids in one call too (whole blocks and a ragged tail).
            let ids = samples.iter().map(|s| s["sample_id"].as_u64().unwrap());
            let mut got = Vec::new();
            g.generate_into(Seeding::Plain, ids, &mut got);
            for (p, s) in got.iter().zip(&samples) {
                assert_same(&name, p, s);
            }
        }
        for case in v["distributed_cases"].as_array().unwrap() {
            let name = format!("{} on {kernel}", case["name"].as_str().unwrap());
            let base_seed = case["base_seed"].as_u64().unwrap();
            let g = Generator::new(config(&case["config"]))
                .unwrap()
                .with_kernel(kernel);
            let samples = case["samples"].as_array().unwrap();
            let mut ranks: Vec<u64> = samples
                .iter()
                .map(|s| s["rank"].as_u64().unwrap())
                .collect();
            ranks.dedup();
            for rank in ranks {
                let of_rank: Vec<&Value> = samples
                    .iter()
                    .filter(|s| s["rank"].as_u64() == Some(rank))
                    .collect();
                checked +=
                    check_blocks(&name, &g, Seeding::RankAware { base_seed, rank }, &of_rank);
            }
        }
        // Every reference sample went through every block length.
        assert!(checked > 5_000, "{kernel}: only {checked} records checked");
    }
}

#[test]
fn distributed_cases_are_bit_exact() {
    let v = vectors();
    let mut checked = 0;
    for case in v["distributed_cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let cfg = config(&case["config"]);
        let base_seed = case["base_seed"].as_u64().unwrap();
        let g = Generator::new(cfg.clone()).unwrap();
        for s in case["samples"].as_array().unwrap() {
            let id = s["sample_id"].as_u64().unwrap();
            let rank = s["rank"].as_u64().unwrap();
            assert_same(
                name,
                &g.generate(Seeding::RankAware { base_seed, rank }, id),
                s,
            );
            let one = gen_distributed_augmentation_params(id, rank, &cfg, base_seed).unwrap();
            assert_same(name, &one, s);
            checked += 1;
        }
    }
    assert_eq!(checked, 154);
}

/// Seed-and-epoch seeding is the reference's rank-aware string with base_seed = seed and
/// rank = epoch: the distributed vectors give its values, through the SIMD kernel (in
/// blocks of consecutive ids) and the one-sample path; its records carry no rank.
#[test]
fn keyed_seeding_equals_the_rank_aware_vectors() {
    let v = vectors();
    let mut checked = 0;
    for case in v["distributed_cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let g = Generator::new(config(&case["config"])).unwrap();
        let seed = case["base_seed"].as_u64().unwrap();
        for s in case["samples"].as_array().unwrap() {
            let (id, epoch) = (
                s["sample_id"].as_u64().unwrap(),
                s["rank"].as_u64().unwrap(),
            );
            let keyed = Seeding::Keyed { seed, epoch };
            let mut block = Vec::new();
            let start = id.saturating_sub(5);
            g.generate_into(keyed, start..id.saturating_add(3), &mut block);
            let got = block.iter().find(|p| p.sample_id == id).unwrap();
            // The same values and hash; no rank in the record.
            let mut want = s.clone();
            want.as_object_mut().unwrap().remove("rank");
            assert_same(name, got, &want);
            assert!(got.bit_eq(&g.generate(keyed, id)));
            checked += 1;
        }
    }
    assert_eq!(checked, 154);
}

#[test]
fn range_cases_match_the_splitter() {
    let v = vectors();
    for case in v["range_cases"].as_array().unwrap() {
        let total = case["total_samples"].as_u64().unwrap();
        let world = case["world_size"].as_u64().unwrap();
        let want: Vec<(u64, u64)> = case["ranges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r[0].as_u64().unwrap(), r[1].as_u64().unwrap()))
            .collect();
        let got: Vec<(u64, u64)> = all_ranges(total, world)
            .unwrap()
            .into_iter()
            .map(|r| (r.start, r.end))
            .collect();
        assert_eq!(got, want, "total {total} world {world}");
    }
}

#[test]
fn stream_distributed_cases_are_shards_with_start_id_as_base_seed() {
    let v = vectors();
    for case in v["stream_distributed_cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let g = Generator::new(config(&case["config"])).unwrap();
        let n = case["num_samples"].as_u64().unwrap();
        let base_seed = case["start_id"].as_u64().unwrap();
        let world = case["world_size"].as_u64().unwrap();
        let per_rank = case["per_rank"].as_array().unwrap();
        assert_eq!(per_rank.len() as u64, world);
        for (rank, want) in per_rank.iter().enumerate() {
            let rank = rank as u64;
            let want = want.as_array().unwrap();
            let shard = split_range(n, world, rank).unwrap();
            assert_eq!(
                shard.end - shard.start,
                want.len() as u64,
                "{name} rank {rank}"
            );
            for (id, s) in shard.zip(want) {
                assert_same(
                    name,
                    &g.generate(Seeding::RankAware { base_seed, rank }, id),
                    s,
                );
            }
        }
    }
}

/// Statistics are exact: the same bits as the reference's.
fn assert_bits(what: &str, got: f64, want: f64) {
    assert_eq!(
        got.to_bits(),
        want.to_bits(),
        "{what}: got {got:e}, want {want:e}"
    );
}

#[test]
fn statistics_cases_equal_the_reference_bit_for_bit() {
    let v = vectors();
    for case in v["statistics_cases"].as_array().unwrap() {
        let g = Generator::new(config(&case["config"])).unwrap();
        let start = case["start_id"].as_u64().unwrap();
        let n = case["num_samples"].as_u64().unwrap();
        // Accumulate in uneven parts and merge, as threads and ranks do.
        let mut parts = vec![StatsAccumulator::new(); 3];
        for id in start..start + n {
            parts[(id % 7 % 3) as usize].push(&g.params(id));
        }
        let stats = parts.into_iter().sum::<StatsAccumulator>().finish();
        let want = &case["statistics"];
        for (i, name) in NAMES.iter().enumerate() {
            let got = stats.get(dpa::Param::ALL[i]);
            let w = &want[name];
            assert_eq!(got.count, w["count"].as_u64().unwrap());
            // min and max are values the reference drew: exact.
            assert_eq!(
                got.min.to_bits(),
                w["min"].as_f64().unwrap().to_bits(),
                "{name} min"
            );
            assert_eq!(
                got.max.to_bits(),
                w["max"].as_f64().unwrap().to_bits(),
                "{name} max"
            );
            assert_bits(
                &format!("{name} mean"),
                got.mean,
                w["mean"].as_f64().unwrap(),
            );
            assert_bits(
                &format!("{name} stdev"),
                got.stdev,
                w["stdev"].as_f64().unwrap(),
            );
        }
    }
}

/// Reads a file the reference wrote and checks every record against dpa's generation.
fn check_reference_file(name: &str, expect_records: u64, expect_stats: bool) {
    let path = data(name);
    let meta_cfg = {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        config(&v["metadata"]["config"])
    };
    let g = Generator::new(meta_cfg).unwrap();
    let mut acc = StatsAccumulator::new();
    let info = dpa::read_records(&path, |p| {
        let want = g.params(p.sample_id);
        assert!(p.bit_eq(&want), "{name}: record {} differs", p.sample_id);
        acc.push(&p);
        Ok(())
    })
    .unwrap();
    assert_eq!(info.format, dpa::Format::Json);
    assert_eq!(info.records, expect_records);
    assert!(info.ids_inferred);
    assert_eq!(info.metadata.unwrap().config.unwrap(), *g.config());
    match info.statistics {
        Some(s) => {
            assert!(expect_stats);
            let ours = acc.finish();
            for p in dpa::Param::ALL {
                assert_eq!(ours.get(p).count, s.get(p).count);
                assert_bits("mean", ours.get(p).mean, s.get(p).mean);
                assert_bits("stdev", ours.get(p).stdev, s.get(p).stdev);
                assert_eq!(ours.get(p).min, s.get(p).min);
                assert_eq!(ours.get(p).max, s.get(p).max);
            }
        }
        None => assert!(!expect_stats),
    }
}

#[test]
fn reads_the_reference_chain_file() {
    check_reference_file("reference-chain-moderate-50.json", 50, true);
}

#[test]
fn reads_the_reference_stream_file() {
    check_reference_file("reference-stream-mild-20-nostats.json", 20, false);
}

/// `Generator::fill` and `par_fill` (consecutive ids, the SIMD kernel, in place) give
/// the reference's own 50-sample file, on every backend.
#[test]
fn fill_and_par_fill_reproduce_the_reference_file() {
    let path = data("reference-chain-moderate-50.json");
    let mut want = Vec::new();
    dpa::read_records(&path, |p| {
        want.push(p);
        Ok(())
    })
    .unwrap();
    assert_eq!(want.len(), 50);
    for backend in kernels() {
        let g = Generator::new(dpa::Preset::Moderate.config())
            .unwrap()
            .with_kernel(backend);
        for len in [1, 7, 9, 50] {
            let mut got = vec![Params::default(); len];
            g.fill(Seeding::Plain, 0, &mut got).unwrap();
            let mut par = vec![Params::default(); len];
            g.par_fill(Seeding::Plain, 0, &mut par).unwrap();
            for ((a, b), w) in got.iter().zip(&par).zip(&want) {
                assert!(
                    a.bit_eq(w) && b.bit_eq(w),
                    "{backend}: sample {}",
                    w.sample_id
                );
            }
        }
    }
}
