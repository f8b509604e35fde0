#!/usr/bin/env python3
"""dpa_rs against the algorithm stated in plain Python (what DPA 0.2.1 runs), in one run.

    python python/bench.py [--n N] [--calls C]

Prints, side by side: one `gen_augmentation_params` call at a time (the reference's way
of working) for both, and `params_array` of N samples on 1 and 2 threads, with the
process's peak RSS growth against the array's own size. Each timing is the best of 3.
"""
import argparse
import os
import resource
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "tests"))
import dpa_rs  # noqa: E402
from conftest import restated  # noqa: E402


def best_of(k, f):
    best = float("inf")
    for _ in range(k):
        t = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t)
    return best


def peak_rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000_000)
    ap.add_argument("--calls", type=int, default=20_000)
    a = ap.parse_args()
    cfg = dpa_rs.get_preset("moderate")
    plain = dict(dataclass_fields(cfg))
    c = a.calls
    t_ref = best_of(3, lambda: [restated(str(i), plain) for i in range(c)])
    t_dpa = best_of(3, lambda: [dpa_rs.gen_augmentation_params(i, cfg) for i in range(c)])
    print(f"one call at a time, {c} calls (moderate, depth 10):")
    print(f"  pure-Python statement (the reference's algorithm): {c / t_ref:12,.0f} calls/s")
    print(f"  dpa_rs.gen_augmentation_params:                    {c / t_dpa:12,.0f} calls/s  ({t_ref / t_dpa:.1f}x)")
    n = a.n
    before = peak_rss()
    t1 = best_of(3, lambda: dpa_rs.params_array(0, n, cfg, threads=1))
    t2 = best_of(3, lambda: dpa_rs.params_array(0, n, cfg, threads=2))
    grew = peak_rss() - before
    size = n * dpa_rs.row_dtype().itemsize
    print(f"params_array of {n:,} samples:")
    print(f"  1 thread:  {n / t1:12,.0f} samples/s")
    print(f"  2 threads: {n / t2:12,.0f} samples/s  ({t1 / t2:.2f}x)")
    print(f"  peak RSS grew {grew / 2**20:,.1f} MiB for an array of {size / 2**20:,.1f} MiB")


def dataclass_fields(cfg):
    import dataclasses
    return dataclasses.asdict(cfg).items()


if __name__ == "__main__":
    main()
