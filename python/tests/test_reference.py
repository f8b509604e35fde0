"""Every case of tests/data/reference-vectors.json (the Python reference's own outputs),
through the scalar functions and through the arrays, bit for bit."""
import numpy as np

import dpa_rs
from dpa_rs import AugmentationConfig
from conftest import PARAMS, bits


def check_record(got, want):
    for p in PARAMS:
        assert bits(got[p]) == want["bits"][p], (p, got, want)
        assert isinstance(got[p], float)
    assert got["hash"] == want["hash"]


def check_row(row, want):
    assert int(row["sample_id"]) == want["sample_id"]
    for p in PARAMS:
        assert bits(float(row[p])) == want["bits"][p]
    assert row["hash"].decode() == want["hash"]


def test_plain_samples_scalar_and_array(vectors):
    n = 0
    for case in vectors["param_cases"]:
        cfg = AugmentationConfig(**case["config"])
        ids = [s["sample_id"] for s in case["samples"]]
        rows = dpa_rs.params_for_ids(np.array(ids, dtype=np.uint64), cfg)
        for s, row in zip(case["samples"], rows):
            got = dpa_rs.gen_augmentation_params(s["sample_id"], cfg)
            assert list(got) == PARAMS + ["hash"]
            check_record(got, s)
            check_row(row, s)
            n += 1
    assert n == 474


def test_distributed_samples_scalar_and_array(vectors):
    n = 0
    for case in vectors["distributed_cases"]:
        cfg, base, world = AugmentationConfig(**case["config"]), case["base_seed"], case["world_size"]
        for s in case["samples"]:
            got = dpa_rs.gen_distributed_augmentation_params(
                s["sample_id"], s["rank"], cfg, base_seed=base, world_size=world
            )
            assert list(got) == PARAMS + ["hash", "rank"] and got["rank"] == s["rank"]
            check_record(got, s)
            row = dpa_rs.params_for_ids([s["sample_id"]], cfg, rank=s["rank"], base_seed=base)[0]
            check_row(row, s)
            assert int(row["rank"]) == s["rank"]
            n += 1
    assert n == 154


def test_range_splitting(vectors):
    for case in vectors["range_cases"]:
        splitter = dpa_rs.DistributedRangeSplitter(case["total_samples"], case["world_size"])
        assert [list(r) for r in splitter.get_all_ranges()] == case["ranges"]
        assert splitter.validate_ranges()
        for r, (lo, hi) in enumerate(case["ranges"]):
            for i in range(lo, hi):
                assert splitter.get_rank_for_sample(i) == r


def test_streamed_shards_keep_the_reference_quirk(vectors):
    for case in vectors["stream_distributed_cases"]:
        for rank, want in enumerate(case["per_rank"]):
            got = list(
                dpa_rs.stream_augmentation_chain(
                    case["num_samples"],
                    AugmentationConfig(**case["config"]),
                    start_id=case["start_id"],
                    rank=rank,
                    world_size=case["world_size"],
                )
            )
            assert len(got) == len(want)
            for g, w in zip(got, want):
                check_record(g, w)
                assert g["rank"] == w["rank"]


def test_statistics_bit_for_bit(vectors):
    for case in vectors["statistics_cases"]:
        cfg, start, n = AugmentationConfig(**case["config"]), case["start_id"], case["num_samples"]
        records = list(dpa_rs.stream_augmentation_range(start, start + n, cfg))
        for stats in (
            dpa_rs.compute_statistics(records),
            dpa_rs.statistics_array(start, n, cfg),
            dpa_rs.statistics_array(start, n, cfg, threads=1),
        ):
            for p in PARAMS:
                want = case["statistics"][p]
                assert list(stats[p]) == ["mean", "stdev", "min", "max", "count"]
                for key in ("mean", "stdev", "min", "max"):
                    assert bits(stats[p][key]) == bits(want[key]), (p, key)
                assert stats[p]["count"] == want["count"]
