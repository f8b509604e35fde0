"""dpa_rs's own promises beyond the reference's suite: laziness, inputs outside the
native fast path, Python's random left alone, files, threads, and arrays that equal
the scalar dicts."""
import dataclasses
import fractions
import itertools
import json
import random
import threading

import numpy as np
import pytest

import dpa_rs
from conftest import DATA, PARAMS, bits, restated


def test_streams_are_lazy_and_compute_what_is_read():
    seen = []
    stream = dpa_rs.stream_augmentation_chain(10**12, progress_callback=lambda p, m: seen.append(p.samples_processed))
    first = list(itertools.islice(stream, 3))
    assert [r["hash"] for r in first] == [dpa_rs.gen_augmentation_params(i)["hash"] for i in range(3)]
    assert seen == [1, 2, 3]
    bad = dpa_rs.stream_augmentation_chain(-1)  # nothing is checked before next()
    with pytest.raises(ValueError, match="num_samples must be non-negative"):
        next(bad)
    near_end = dpa_rs.stream_augmentation_range(2**64 - 2, 2**64 + 1)
    assert [r["hash"] for r in near_end] == [restated(str(i), _plain())["hash"] for i in range(2**64 - 2, 2**64 + 1)]


def _plain(config=None):
    return dataclasses.asdict(config or dpa_rs.AugmentationConfig())


def test_inputs_outside_the_fast_path_take_the_references_steps():
    cfg = dpa_rs.AugmentationConfig(rotation_range=(-(2**60), 2**60 + 1), noise_range=(0, 0.25))
    for sid in (2**64, 2**80 + 3, 7.5, fractions.Fraction(1, 3), np.int64(9), True):
        got = dpa_rs.gen_augmentation_params(sid, cfg)
        want = restated(str(sid), _plain(cfg))
        assert got["hash"] == want["hash"]
        assert [bits(got[p]) for p in PARAMS] == [bits(want[p]) for p in PARAMS]
    deep = dpa_rs.AugmentationConfig(augmentation_depth=3001)
    assert dpa_rs.gen_augmentation_params(5, deep) == restated("5", _plain(deep))


def test_errors_are_the_references():
    with pytest.raises(ValueError, match="^rotation_range: lower bound must be < upper bound$"):
        dpa_rs.AugmentationConfig(rotation_range=(5, 5))
    with pytest.raises(ValueError, match="^augmentation_depth must be >= 1$"):
        dpa_rs.AugmentationConfig(augmentation_depth=0)
    with pytest.raises(ValueError, match=r"^Unknown preset 'extreme'. Available: \['mild', 'moderate', 'aggressive'\]$"):
        dpa_rs.get_preset("extreme")
    with pytest.raises(ValueError, match="^seed_id must be non-negative$"):
        dpa_rs.gen_augmentation_params(-1)
    with pytest.raises(AttributeError, match="'dict' object has no attribute 'augmentation_depth'"):
        dpa_rs.gen_augmentation_params(1, config={"augmentation_depth": 10})
    with pytest.raises(ValueError, match=r"^rank \(1\) must be < world_size \(1\)$"):
        dpa_rs.gen_augmentation_params(1, rank=1)
    with pytest.raises(dpa_rs.SeedGenerationError, match="base_seed must be non-negative"):
        dpa_rs.gen_distributed_augmentation_params(1, 0, base_seed=-1)
    with pytest.raises(ImportError, match="Batch processing module not available"):
        next(dpa_rs.stream_augmentation_chain(5, batch_config=object()))
    with pytest.raises(ValueError, match="exclude"):
        dpa_rs.params_array(0, 3, seed=1, rank=0)
    with pytest.raises(ValueError, match="non-negative"):
        dpa_rs.params_for_ids(np.array([3, -1]))
    with pytest.raises(ValueError, match="config"):
        dpa_rs.params_array(0, 3, dpa_rs.AugmentationConfig(rotation_range=(0, 2**60)))


def test_rank_argument_takes_the_distributed_path():
    got = dpa_rs.gen_augmentation_params(77, dpa_rs.PRESETS["mild"], rank=0)
    assert got == dpa_rs.gen_distributed_augmentation_params(77, 0, dpa_rs.PRESETS["mild"])
    assert list(got) == PARAMS + ["hash", "rank"]


def test_the_reference_file_byte_for_byte(tmp_path, capsys):
    out = tmp_path / "new" / "folder" / "chain.json"
    chain = dpa_rs.generate_augmentation_chain(50, dpa_rs.get_preset("moderate"), save_path=str(out))
    assert capsys.readouterr().out == f"Saved 50 augmentations to {out}\n"
    assert out.read_bytes() == (DATA / "reference-chain-moderate-50.json").read_bytes()
    assert dpa_rs.load_augmentation_chain(str(out)) == chain
    assert capsys.readouterr().out == f"Loaded 50 augmentations from {out}\n"
    again = tmp_path / "again.json"
    dpa_rs.save_augmentation_chain(chain, str(again), include_stats=False)
    data = json.loads(again.read_text())
    assert "statistics" not in data and data["metadata"]["config"] is None


def test_pythons_random_is_left_alone():
    random.seed(12345)
    state = random.getstate()
    dpa_rs.gen_augmentation_params(5)
    dpa_rs.gen_augmentation_params(2**70, dpa_rs.AugmentationConfig(rotation_range=(-(2**60), 2**60)))
    dpa_rs.params_array(0, 100)
    assert random.getstate() == state


def test_arrays_equal_the_scalar_dicts():
    cfg = dpa_rs.get_preset("aggressive")
    for kwargs, seeding in [
        ({}, lambda i: dpa_rs.gen_augmentation_params(i, cfg)),
        ({"rank": 2, "base_seed": 9}, lambda i: dpa_rs.gen_distributed_augmentation_params(i, 2, cfg, 9, 3)),
    ]:
        arr = dpa_rs.params_array(1000, 5000, cfg, **kwargs)
        assert arr.shape == (5000,) and not arr.flags.writeable
        assert arr.dtype == dpa_rs.row_dtype(bool(kwargs))
        for i in range(0, 5000, 251):
            want = seeding(1000 + i)
            assert all(bits(float(arr[p][i])) == bits(want[p]) for p in PARAMS)
            assert arr["hash"][i].decode() == want["hash"]
    keyed = dpa_rs.params_array(0, 100, seed=3, epoch=1)
    assert not np.array_equal(keyed["rotation"], dpa_rs.params_array(0, 100, seed=3, epoch=2)["rotation"])
    assert dpa_rs.params_array(5, 0).shape == (0,)
    assert dpa_rs.params_array(0, 10, dataclasses.asdict(cfg)).tobytes() == dpa_rs.params_array(0, 10, cfg).tobytes()


def test_read_ahead_gives_the_same_records_in_any_order():
    cfg = dpa_rs.get_preset("mild")
    ids = list(range(500)) + list(range(100, 0, -1)) + [7, 8, 9, 2**64 - 3, 2**64 - 2, 2**64 - 1, 3, 4]
    for i in ids:
        assert dpa_rs.gen_augmentation_params(i, cfg) == restated(str(i), _plain(cfg)), i
        got = dpa_rs.gen_distributed_augmentation_params(i, 1, cfg, base_seed=4, world_size=2)
        assert got["hash"] == restated(f"4:1:{i}", _plain(cfg))["hash"]


def test_threads_calling_at_once_get_their_own_results():
    want = {t: dpa_rs.params_array(t * 10**6, 20000, threads=1).tobytes() for t in range(6)}
    got = {}

    def work(t):
        got[t] = dpa_rs.params_array(t * 10**6, 20000, threads=1 + t % 2).tobytes()

    threads = [threading.Thread(target=work, args=(t,)) for t in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == want


def test_misc_reference_functions():
    assert [dpa_rs.fib(i) for i in range(10)] == [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]
    assert dpa_rs.fib(94) == 19740274219868223167
    with pytest.raises(TypeError):
        dpa_rs.fib(2.5)
    assert dpa_rs.gen_augmentation_seed(42) == dpa_rs.gen_augmentation_params(42)["hash"]
    gen = dpa_rs.RankAwareSeedGenerator(base_seed=5, world_size=4)
    assert gen.generate_seed(42, 3) == dpa_rs.gen_distributed_augmentation_params(42, 3, None, 5, 4)["hash"]
    splitter = dpa_rs.DistributedRangeSplitter(10, 4)
    assert splitter.get_all_rank_ranges() == [
        dpa_rs.RankRange(0, 3, 0, 10), dpa_rs.RankRange(3, 6, 1, 10),
        dpa_rs.RankRange(6, 8, 2, 10), dpa_rs.RankRange(8, 10, 3, 10),
    ]
    shard = list(dpa_rs.stream_distributed_augmentation_chain(10, 1, 4, base_seed=2))
    assert [r["hash"] for r in shard] == [
        dpa_rs.gen_distributed_augmentation_params(i, 1, None, 2, 4)["hash"] for i in range(3, 6)
    ]
