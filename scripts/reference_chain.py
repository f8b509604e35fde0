#!/usr/bin/env python3
"""A re-statement of DPA 0.2.1's `generate_augmentation_chain(n, config, save_path=...)`
in plain Python (hashlib, random, statistics, json), to produce the files that
`dpa generate --format json --layout reference` must reproduce byte for byte.

    python3 scripts/reference_chain.py N CONFIG_JSON OUT
        CONFIG_JSON: a config object as the reference's AugmentationConfig takes it
        (ints stay ints, floats stay floats, as Python would hold them).
"""
import hashlib
import json
import random
import statistics
import sys

PARAMS = ["rotation", "brightness", "noise", "scale", "contrast"]


def fib(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


def params(sample_id, config):
    h = hashlib.sha256(str(sample_id).encode()).hexdigest()
    for i in range(config["augmentation_depth"]):
        h = hashlib.sha256((h + str(fib(i))).encode()).hexdigest()
    rng = random.Random(int(h, 16) % 2**32)
    out = {p: rng.uniform(*config[p + "_range"]) for p in PARAMS}
    out["hash"] = h
    return out


def chain(n, config):
    records = [params(i, config) for i in range(n)]
    stats = {}
    for p in PARAMS:
        values = [r[p] for r in records]
        stats[p] = {
            "mean": statistics.mean(values),
            "stdev": statistics.stdev(values) if len(values) > 1 else 0.0,
            "min": min(values),
            "max": max(values),
            "count": len(values),
        }
    return {
        "metadata": {"num_samples": n, "config": config},
        "augmentations": records,
        "statistics": stats,
    }


def main():
    n, config, out = int(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
    config = {
        **{p + "_range": config[p + "_range"] for p in PARAMS},
        "augmentation_depth": config["augmentation_depth"],
    }
    with open(out, "w") as f:
        json.dump(chain(n, config), f, indent=2)


if __name__ == "__main__":
    main()
