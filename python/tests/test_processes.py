"""dpa_rs in every Python process model: multiprocessing pools with fork, spawn and
forkserver after the parent used the thread pool; objects pickled into workers (a
PyTorch-style Dataset holding a config); pickle and deepcopy of everything dpa_rs
returns; threads sharing one config. A hang is a failure (timeouts on every wait)."""
import copy
import multiprocessing as mp
import pickle
import threading

import numpy as np
import pytest

import dpa_rs

WAIT = 120  # seconds: a worker that deadlocks fails the test instead of stalling it


def array_bytes(start):
    return dpa_rs.params_array(start, 5000, dpa_rs.PRESETS["mild"], threads=2).tobytes()


def stats_and_ids(start):
    stats = dpa_rs.statistics_array(start, 3000, threads=2)
    rows = dpa_rs.params_for_ids(np.arange(start, start + 50), threads=2)
    return stats, rows.tobytes()


class AugmentedDataset:
    """The shape of a torch.utils.data.Dataset: it holds a config, and a DataLoader
    pickles it into each worker under spawn or forkserver."""

    def __init__(self, n, config):
        self.n, self.config = n, config

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return dpa_rs.gen_augmentation_params(i, self.config)


def read_dataset(args):
    dataset, ids = args
    return [dataset[i] for i in ids]


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_pools_after_the_parent_used_the_arrays(method):
    want = [array_bytes(s) for s in (0, 10**9)]
    want_stats = [stats_and_ids(s) for s in (0, 10**9)]  # the parent's pool exists now
    ctx = mp.get_context(method)
    with ctx.Pool(2) as pool:
        assert pool.map_async(array_bytes, [0, 10**9]).get(WAIT) == want
        assert pool.map_async(stats_and_ids, [0, 10**9]).get(WAIT) == want_stats


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_a_dataset_holding_a_config_is_pickled_into_workers(method):
    dataset = AugmentedDataset(1000, dpa_rs.AugmentationConfig(rotation_range=(-90, 90), augmentation_depth=12))
    parts = [range(0, 300), range(300, 700), range(700, 1000)]
    want = [[dataset[i] for i in ids] for ids in parts]
    dpa_rs.params_array(0, 10000)  # the parent's thread pool exists
    with mp.get_context(method).Pool(2) as pool:
        assert pool.map_async(read_dataset, [(dataset, ids) for ids in parts]).get(WAIT) == want


def test_a_forked_child_that_never_used_the_pool_works_too():
    ctx = mp.get_context("fork")
    with ctx.Pool(1) as pool:  # forked before the parent built any pool in this test
        assert pool.apply_async(array_bytes, (5,)).get(WAIT) == array_bytes(5)


def returned_objects():
    cfg = dpa_rs.AugmentationConfig(noise_range=(0.0, 0.2), augmentation_depth=3)
    splitter = dpa_rs.DistributedRangeSplitter(10, 3)
    progress = []
    list(dpa_rs.stream_augmentation_chain(3, cfg, progress_callback=lambda p, m: progress.append((p, m))))
    return [
        cfg,
        dpa_rs.PRESETS,
        dpa_rs.get_preset("aggressive"),
        dpa_rs.gen_augmentation_params(3, cfg),
        dpa_rs.gen_distributed_augmentation_params(3, 1, cfg, 2, 4),
        dpa_rs.generate_augmentation_chain(5, cfg),
        list(dpa_rs.stream_augmentation_chain(7, cfg, chunk_size=3)),
        dpa_rs.compute_statistics(dpa_rs.generate_augmentation_chain(5, cfg)),
        splitter.get_all_ranges(),
        splitter.get_all_rank_ranges(),
        progress[-1],
        dpa_rs.create_streaming_metadata(10, cfg),
        dpa_rs.statistics_array(0, 100, cfg),
    ]


def test_every_returned_object_pickles_and_deep_copies():
    for obj in returned_objects():
        for again in (pickle.loads(pickle.dumps(obj)), copy.deepcopy(obj), copy.copy(obj)):
            assert again == obj, obj
    arr = dpa_rs.params_array(0, 1000)
    for again in (pickle.loads(pickle.dumps(arr)), copy.deepcopy(arr)):
        assert again.tobytes() == arr.tobytes() and again.dtype == arr.dtype


def test_exceptions_pickle_with_their_messages():
    for exc in (
        dpa_rs.PartialWriteError("torn", 7),
        dpa_rs.SeedGenerationError("x"),
        dpa_rs.StreamingIOError("y"),
    ):
        again = pickle.loads(pickle.dumps(exc))
        assert type(again) is type(exc) and str(again) == str(exc)


def test_eight_threads_share_one_config():
    cfg = dpa_rs.AugmentationConfig(scale_range=(0.5, 2.0))
    want = [dpa_rs.gen_augmentation_params(i, cfg) for i in range(4000)]
    got = [None] * 8
    errors = []

    def work(t):
        try:
            order = range(4000) if t % 2 else range(3999, -1, -1)
            got[t] = {i: dpa_rs.gen_augmentation_params(i, cfg) for i in order}
            dpa_rs.params_array(t * 1000, 1000, cfg, threads=2)
        except Exception as e:  # reported below, not lost in the thread
            errors.append(e)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT)
    assert not errors and not any(t.is_alive() for t in threads)
    for g in got:
        assert [g[i] for i in range(4000)] == want
