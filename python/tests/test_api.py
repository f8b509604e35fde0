"""The reference's API shapes: laziness, errors and messages, files, config forms,
threads, and arrays that equal the scalar dicts."""
import dataclasses
import itertools
import json
import random
import statistics
import threading

import numpy as np
import pytest

import dpa_rs
from conftest import DATA, PARAMS, bits


def test_streams_are_lazy():
    calls = []
    stream = dpa_rs.stream_augmentation_chain(10**12, progress_callback=lambda d, t: calls.append((d, t)))
    first = list(itertools.islice(stream, 3))
    assert [r["hash"] for r in first] == [dpa_rs.gen_augmentation_params(i)["hash"] for i in range(3)]
    # One block was computed, not the stream.
    assert calls == [(1024, 10**12)]
    ranged = dpa_rs.stream_augmentation_range(2**64 - 10**9, 2**64 - 1)
    assert next(ranged)["hash"] == dpa_rs.gen_augmentation_params(2**64 - 10**9)["hash"]


def test_errors_and_messages():
    with pytest.raises(ValueError, match="rotation_range: lower bound must be < upper bound"):
        dpa_rs.AugmentationConfig(rotation_range=(5, 5))
    with pytest.raises(ValueError, match="augmentation_depth must be >= 1"):
        dpa_rs.AugmentationConfig(augmentation_depth=0)
    with pytest.raises(ValueError, match="finite"):
        dpa_rs.AugmentationConfig(noise_range=(0, float("inf")))
    with pytest.raises(ValueError, match="Unknown preset"):
        dpa_rs.get_preset("extreme")
    with pytest.raises(ValueError, match="non-negative"):
        dpa_rs.gen_augmentation_params(-1)
    with pytest.raises(ValueError, match="2\\*\\*64"):
        dpa_rs.gen_augmentation_params(2**64)
    with pytest.raises(TypeError):
        dpa_rs.gen_augmentation_params(1.5)
    with pytest.raises(ValueError, match="rank"):
        dpa_rs.gen_distributed_augmentation_params(1, 4, world_size=4)
    with pytest.raises(ValueError, match="rank"):
        dpa_rs.DistributedRangeSplitter(10, 4).get_rank_range(4)
    with pytest.raises(ValueError, match="exclude"):
        dpa_rs.params_array(0, 3, seed=1, rank=0)
    with pytest.raises(ValueError, match="non-negative"):
        dpa_rs.params_for_ids(np.array([3, -1]))
    with pytest.raises(statistics.StatisticsError):
        dpa_rs.compute_statistics([])
    with pytest.raises(TypeError, match="config must be"):
        dpa_rs.gen_augmentation_params(1, config=42)


def test_the_reference_file_byte_for_byte(tmp_path):
    out = tmp_path / "chain.json"
    chain = dpa_rs.generate_augmentation_chain(50, dpa_rs.get_preset("moderate"), save_path=str(out))
    assert out.read_bytes() == (DATA / "reference-chain-moderate-50.json").read_bytes()
    assert dpa_rs.load_augmentation_chain(str(out)) == chain
    again = tmp_path / "again.json"
    dpa_rs.save_augmentation_chain(chain, str(again), dpa_rs.PRESETS["moderate"])
    assert again.read_bytes() == out.read_bytes()
    dpa_rs.save_augmentation_chain(chain, str(again), include_stats=False)
    assert "statistics" not in json.loads(again.read_text())


def test_configs_of_any_shape_give_the_same_values():
    @dataclasses.dataclass
    class TheirConfig:  # the reference's own class has these attributes
        rotation_range: tuple = (-15, 15)
        brightness_range: tuple = (0.9, 1.1)
        noise_range: tuple = (0, 0.05)
        scale_range: tuple = (0.9, 1.1)
        contrast_range: tuple = (0.85, 1.15)
        augmentation_depth: int = 10

    mild = dpa_rs.get_preset("mild")
    want = dpa_rs.gen_augmentation_params(77, mild)
    assert dpa_rs.gen_augmentation_params(77, TheirConfig()) == want
    assert dpa_rs.gen_augmentation_params(77, dataclasses.asdict(mild)) == want
    assert dpa_rs.gen_augmentation_params(77) == dpa_rs.gen_augmentation_params(77, dpa_rs.AugmentationConfig())
    assert dpa_rs.gen_augmentation_params(77, rank=3) == {**dpa_rs.gen_augmentation_params(77), "rank": 3}


def test_pythons_random_is_left_alone():
    random.seed(12345)
    state = random.getstate()
    dpa_rs.gen_augmentation_params(5)
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
    h = dpa_rs.gen_augmentation_seed(42)
    assert h == dpa_rs.gen_augmentation_params(42)["hash"]
    gen = dpa_rs.RankAwareSeedGenerator(base_seed=5, world_size=4)
    assert gen.generate_seed(42, 3) == dpa_rs.gen_distributed_augmentation_params(42, 3, None, 5, 4)["hash"]
    splitter = dpa_rs.DistributedRangeSplitter(10, 4)
    assert [(r.rank, r.start_id, r.end_id) for r in splitter.get_all_rank_ranges()] == [
        (0, 0, 3), (1, 3, 6), (2, 6, 8), (3, 8, 10)
    ]
    shard = list(dpa_rs.stream_distributed_augmentation_chain(10, 1, 4, base_seed=2))
    assert [r["hash"] for r in shard] == [
        dpa_rs.gen_distributed_augmentation_params(i, 1, None, 2, 4)["hash"] for i in range(3, 6)
    ]
