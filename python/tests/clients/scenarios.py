"""Real clients of dpa_rs, one scenario per run, for python/tests/test_clients.py:

    python scenarios.py SCENARIO [ARGS...]

Each prints one line of JSON: what the clients computed (digests of every bit), for
the test to compare with dpa_rs in one process. Run in a subprocess so that a hang is
a timeout, and a failure an exit status.
"""

import hashlib
import json
import sys

import numpy as np

import dpa_rs

N = 997
SEED = 1234
PARAMS = ("rotation", "brightness", "noise", "scale", "contrast")


class Indexed:
    """A dataset whose item ``i`` is ``i`` (so that each batch says which ids it has)."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return i


def digest_rows(ids, columns, hashes):
    """SHA-256 over every value's bits, in id order."""
    order = np.argsort(np.asarray(ids, dtype=np.uint64), kind="stable")
    h = hashlib.sha256()
    h.update(np.asarray(ids, dtype=np.uint64)[order].tobytes())
    for c in columns:
        h.update(np.asarray(c, dtype=np.float64)[order].tobytes())
    for i in order:
        h.update(hashes[i].encode())
    return h.hexdigest()


def expected(epoch):
    """The digest of the epoch's records in one process, straight from params_array."""
    a = dpa_rs.params_array(0, N, seed=SEED, epoch=epoch)
    return digest_rows(a["sample_id"], [a[p] for p in PARAMS], [x.decode() for x in a["hash"]])


def dataloader(method, persistent, batched):
    import torch
    from torch.utils.data import DataLoader

    from dpa_rs.torch import AugmentedDataset

    dpa_rs.params_array(0, 10_000)  # the parent used the thread pool before the workers start
    ds = AugmentedDataset(Indexed(N), seed=SEED)
    loader = DataLoader(
        ds,
        batch_size=32,
        shuffle=True,
        num_workers=2,
        multiprocessing_context=method,
        persistent_workers=persistent == "persistent",
        timeout=120,
    )
    if batched != "batched":
        ds.__getitems__ = None  # type: ignore[method-assign]  # one item at a time
    out = {}
    for epoch in (0, 3):
        ds.set_epoch(epoch)
        ids, cols, hashes = [], [[] for _ in PARAMS], []
        for index, params in loader:
            assert index.dtype == torch.int64
            for p, c in zip(PARAMS, cols):
                assert params[p].dtype == torch.float64, params[p].dtype
                c.extend(params[p].tolist())
            ids.extend(index.tolist())
            hashes.extend(params["hash"])
        out[str(epoch)] = digest_rows(ids, cols, hashes)
    return out


def sampler():
    """DistributedSampler over 2 ranks: the union of both ranks' items, one epoch."""
    from torch.utils.data import DataLoader, DistributedSampler

    from dpa_rs.torch import AugmentedDataset

    ds = AugmentedDataset(Indexed(N), seed=SEED, epoch=5)
    ids, cols, hashes = [], [[] for _ in PARAMS], []
    seen = set()
    for rank in range(2):
        s = DistributedSampler(ds, num_replicas=2, rank=rank, shuffle=True, seed=7, drop_last=False)
        s.set_epoch(5)
        for index, params in DataLoader(ds, batch_size=50, sampler=s, num_workers=2, timeout=120):
            for j, i in enumerate(index.tolist()):
                if i in seen:  # the sampler pads to equal shares with repeats
                    continue
                seen.add(i)
                ids.append(i)
                for p, c in zip(PARAMS, cols):
                    c.append(params[p][j].item())
                hashes.append(params["hash"][j])
    return {"5": digest_rows(ids, cols, hashes)}


def _chunk(bounds):
    start, n = bounds
    a = dpa_rs.params_array(start, n, seed=SEED, epoch=0, threads=1)
    return a.tobytes(), dpa_rs.statistics_part(start, n, seed=SEED, epoch=0, threads=1)


def _merged(pieces):
    rows = np.frombuffer(b"".join(p[0] for p in pieces), dtype=dpa_rs.row_dtype())
    stats = dpa_rs.merge_statistics([p[1] for p in pieces])
    return rows, stats


def _report(rows, stats):
    return {
        "0": digest_rows(rows["sample_id"], [rows[p] for p in PARAMS], [x.decode() for x in rows["hash"]]),
        "stats": stats == dpa_rs.statistics_array(0, N, seed=SEED, epoch=0),
    }


CHUNKS = [(0, 300), (300, 1), (301, 400), (701, N - 701)]


def dask():
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            pieces = client.gather(client.map(_chunk, CHUNKS))
    return _report(*_merged(pieces))


def ray():
    import ray as ray_

    ray_.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        task = ray_.remote(_chunk)
        pieces = ray_.get([task.remote(b) for b in CHUNKS])

        @ray_.remote
        class Holder:
            def __init__(self):
                self.parts = []

            def add(self, start, n):
                self.parts.append(dpa_rs.statistics_part(start, n, seed=SEED, epoch=0))
                return len(self.parts)

            def merged(self):
                return dpa_rs.merge_statistics(self.parts)

        holder = Holder.remote()
        ray_.get([holder.add.remote(s, n) for s, n in CHUNKS])
        actor_stats = ray_.get(holder.merged.remote())
    finally:
        ray_.shutdown()
    out = _report(*_merged(pieces))
    out["actor_stats"] = actor_stats == dpa_rs.statistics_array(0, N, seed=SEED, epoch=0)
    return out


def main(argv):
    name, args = argv[1], argv[2:]
    result = {"dataloader": dataloader, "sampler": sampler, "dask": dask, "ray": ray}[name](*args)
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv)
