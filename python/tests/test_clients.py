"""dpa_rs in its real clients: PyTorch DataLoader workers (fork, spawn, forkserver,
persistent, shuffled, one item or a batch at a time, DistributedSampler), a Dask
LocalCluster with processes, Ray tasks and an actor. Each scenario runs in its own
process (python/tests/clients/scenarios.py) with a timeout, so that a hang fails the
test; its digests of every bit are compared with dpa_rs in this process. The clients
are installed by scripts/test.sh: one missing is a failure, not a skip."""
import json
import os
import pathlib
import subprocess
import sys

import pytest
import torch
from torch.utils.data import default_collate

import dpa_rs
from dpa_rs.torch import AugmentedDataset, params_tensors

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "clients"))
import scenarios  # noqa: E402


def run(*args, timeout=300):
    proc = subprocess.run(
        [sys.executable, str(HERE / "clients" / "scenarios.py"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONWARNINGS": "error::UserWarning"},
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
@pytest.mark.parametrize("persistent", ["persistent", "fresh"])
def test_dataloader_workers_give_one_process_bits(method, persistent):
    got = run("dataloader", method, persistent, "batched")
    assert got == {"0": scenarios.expected(0), "3": scenarios.expected(3)}


def test_one_item_at_a_time_gives_the_same_bits():
    got = run("dataloader", "fork", "fresh", "single")
    assert got == {"0": scenarios.expected(0), "3": scenarios.expected(3)}


def test_distributed_sampler_ranks_give_one_process_bits():
    assert run("sampler") == {"5": scenarios.expected(5)}


def test_dask_local_cluster_with_processes():
    assert run("dask", timeout=600) == {"0": scenarios.expected(0), "stats": True}


def test_ray_tasks_and_an_actor():
    assert run("ray", timeout=600) == {"0": scenarios.expected(0), "stats": True, "actor_stats": True}


def test_items_collate_into_float64_tensors_and_hex_digests():
    ds = AugmentedDataset(list(range(10, 20)), dpa_rs.get_preset("mild"), rank=2, base_seed=5)
    images, params = default_collate([ds[i] for i in range(4)])
    assert images.tolist() == [10, 11, 12, 13]
    want = dpa_rs.params_array(0, 4, dpa_rs.get_preset("mild"), rank=2, base_seed=5)
    for p in scenarios.PARAMS:
        assert params[p].dtype == torch.float64
        assert params[p].numpy().tobytes() == want[p].tobytes()
    assert params["hash"] == [h.decode() for h in want["hash"]]
    batch = default_collate(ds.__getitems__([3, 0, -1]))
    assert batch[0].tolist() == [13, 10, 19]
    assert batch[1]["hash"][2] == dpa_rs.params_array(9, 1, dpa_rs.get_preset("mild"), rank=2, base_seed=5)["hash"][0].decode()
    with pytest.raises(IndexError):
        ds[10]
    with pytest.raises(ValueError, match="set_epoch needs seed"):
        ds.set_epoch(1)
    assert ds.epoch is None


def test_epochs_change_the_values_and_pickle_as_numbers():
    import pickle

    ds = AugmentedDataset(range(100), seed=3)
    first = ds[7][1]
    ds.set_epoch(2)
    assert ds.epoch == 2 and ds[7][1] != first
    again = pickle.loads(pickle.dumps(ds))
    assert again.epoch == 2 and again[7][1] == ds[7][1]
    assert ds[7][1]["rotation"] == float(dpa_rs.params_array(7, 1, seed=3, epoch=2)["rotation"][0])


def test_integer_tensors_are_ids_and_tensors_come_writable(reference_package):
    import importlib
    import warnings

    ids = torch.arange(1000, 1100)
    assert (dpa_rs.params_for_ids(ids) == dpa_rs.params_array(1000, 100)).all()
    assert (dpa_rs.params_for_ids(ids.to(torch.int32)) == dpa_rs.params_array(1000, 100)).all()
    with pytest.raises(ValueError, match="non-negative"):
        dpa_rs.params_for_ids(torch.tensor([1, -2]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "non-writable" warning
        t = params_tensors(5, 50, seed=1)
        t["rotation"] += 0  # writable
    assert t["rotation"].numpy().tobytes() == dpa_rs.params_array(5, 50, seed=1)["rotation"].tobytes()
    assert t["sample_id"].dtype == torch.int64
    # The reference hashes str(id): a tensor id is the text "tensor(5)" there, and here
    # (the drop-in API keeps it; the array functions and the torch helper take integers).
    ref = importlib.import_module(f"{reference_package}.dpa")
    got = dpa_rs.gen_augmentation_params(torch.tensor(5))
    assert got == ref.gen_augmentation_params(torch.tensor(5))
    assert got != dpa_rs.gen_augmentation_params(5)


def test_columns_reach_torch_without_a_copy_through_dlpack():
    import pyarrow as pa

    t = dpa_rs.params_table(0, 1000)
    column = torch.from_dlpack(pa.table(t)["rotation"].chunks[0])
    assert column.data_ptr() == t.buffer_address("rotation")
    assert column.dtype == torch.float64


def test_statistics_parts_merge_to_one_pass_in_any_order():
    import pickle
    import random

    cfg = dpa_rs.get_preset("aggressive")
    whole = dpa_rs.statistics_array(0, 20_000, cfg, seed=9)
    cuts = sorted(random.Random(4).sample(range(1, 20_000), 6))
    bounds = list(zip([0, *cuts], [*cuts, 20_000]))
    parts = [dpa_rs.statistics_part(a, b - a, cfg, seed=9) for a, b in bounds]
    random.Random(5).shuffle(parts)
    assert dpa_rs.merge_statistics(parts) == whole
    total = parts[0]
    for p in parts[1:]:
        total = total + pickle.loads(pickle.dumps(p))
    assert total.finish() == whole and total.count == 20_000
    with pytest.raises(ValueError, match="not the state"):
        dpa_rs.StatisticsPart(b"nonsense")
    with pytest.raises(TypeError, match="parts\\[1\\]"):
        dpa_rs.merge_statistics([parts[0], whole])
