"""dpa_rs against the algorithm stated in plain Python (conftest.restated) on random
ids up to 2**64 - 1, depths 1 to 150 and random valid configs: plain, rank-aware and
seed + epoch, scalar and array."""
import dataclasses
import random

import dpa_rs
from conftest import PARAMS, bits, restated


def random_config(rng):
    cfg = {}
    for p in PARAMS:
        lo = rng.uniform(-1000, 1000)
        cfg[p + "_range"] = (lo, lo + rng.uniform(1e-9, 500))
    cfg["augmentation_depth"] = rng.randint(1, 150)
    return dpa_rs.AugmentationConfig(**cfg)


def same(got, want):
    return all(bits(float(got[p])) == bits(want[p]) for p in PARAMS)


def test_random_ids_depths_and_configs():
    rng = random.Random(20261127)
    checked = 0
    for _ in range(40):
        cfg = random_config(rng)
        ids = [rng.choice([rng.randrange(2**64), rng.randrange(1000)]) for _ in range(60)]
        ids.append(2**64 - 1)
        base, rank, seed, epoch = rng.randrange(2**64), rng.randrange(64), rng.randrange(2**32), rng.randrange(100)
        plain = dpa_rs.params_for_ids(ids, cfg)
        ranked = dpa_rs.params_for_ids(ids, cfg, rank=rank, base_seed=base)
        keyed = dpa_rs.params_for_ids(ids, cfg, seed=seed, epoch=epoch)
        for i, sid in enumerate(ids):
            want = restated(str(sid), dataclasses.asdict(cfg))
            got = dpa_rs.gen_augmentation_params(sid, cfg)
            assert same(got, want) and got["hash"] == want["hash"], (sid, cfg)
            assert same(plain[i], want) and plain[i]["hash"].decode() == want["hash"]
            want = restated(f"{base}:{rank}:{sid}", dataclasses.asdict(cfg))
            got = dpa_rs.gen_distributed_augmentation_params(sid, rank, cfg, base_seed=base, world_size=rank + 1)
            assert same(got, want) and same(ranked[i], want)
            assert same(keyed[i], restated(f"{seed}:{epoch}:{sid}", dataclasses.asdict(cfg)))
            checked += 1
    assert checked == 40 * 61


def test_contiguous_ranges_match_too():
    rng = random.Random(7)
    for _ in range(5):
        cfg = random_config(rng)
        start = rng.randrange(2**64 - 5000)
        arr = dpa_rs.params_array(start, 3001, cfg, threads=2)
        for i in range(0, 3001, 97):
            assert same(arr[i], restated(str(start + i), dataclasses.asdict(cfg)))
        assert int(arr["sample_id"][-1]) == start + 3000
