#!/usr/bin/env python3
"""dpa_rs against the reference (DPA 0.2.1, run from its source), side by side in one run.

    python python/bench.py [--calls C] [--n N] [--dpa PATH] [--reference DIR]

Prints, pinned to one core:
- one ``gen_augmentation_params`` call at a time, ids in order and shuffled, for the
  reference and for dpa_rs, and the ratios;
- ``params_array`` of N samples on 1 thread beside ``dpa generate --threads 1 --format npy
  -o /dev/null`` of the same N (the CLI's rate is the floor it is measured against);
- ``pa.table(params_table(0, N))`` beside ``params_array(0, N)`` (medians of 5).
Each timing is the best of 3. Runs from any folder; the reference is found at
$DPA_REFERENCE or shared/reference/dpa-0.2.1 beside the repository.
"""
import argparse
import os
import pathlib
import random
import shutil
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
# This folder holds the package's source (dpa_rs/ without its compiled part): never
# import from it, import the installed package.
sys.path = [p for p in sys.path if pathlib.Path(p or ".").resolve() != HERE]
import dpa_rs  # noqa: E402


def best_of(k, f):
    best = float("inf")
    for _ in range(k):
        t = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t)
    return best


def load_reference(root):
    """The reference's src/ as package ``dpa_reference`` (its one 3.12-only line made
    portable on older Pythons)."""
    dest = pathlib.Path(tempfile.mkdtemp()) / "dpa_reference"
    shutil.copytree(root / "src", dest)
    bench = dest / "benchmark.py"
    bench.write_text(bench.read_text().replace("def benchmark_function[T](", "def benchmark_function("))
    sys.path.insert(0, str(dest.parent))
    import dpa_reference.dpa

    return dpa_reference.dpa


def per_call(ref, calls):
    ordered = list(range(calls))
    shuffled = random.Random(7).sample(range(10**9), calls)
    ref_cfg, cfg = ref.AugmentationConfig(), dpa_rs.AugmentationConfig()
    print(f"one gen_augmentation_params call at a time, {calls:,} calls, one core (moderate, depth 10):")
    for name, ids in (("ids in order", ordered), ("ids shuffled", shuffled)):
        t_ref = best_of(3, lambda: [ref.gen_augmentation_params(i, ref_cfg) for i in ids])
        t_dpa = best_of(3, lambda: [dpa_rs.gen_augmentation_params(i, cfg) for i in ids])
        print(f"  {name}:  reference {calls / t_ref:10,.0f}/s   dpa_rs {calls / t_dpa:10,.0f}/s   "
              f"ratio {t_ref / t_dpa:5.2f}x")


def arrays(n, dpa):
    t_arr = best_of(3, lambda: dpa_rs.params_array(0, n, threads=1))
    print(f"params_array of {n:,} samples, 1 thread: {n / t_arr:12,.0f} rows/s")
    if dpa is None:
        print("  (no dpa binary: build it with `cargo build --release` or pass --dpa)")
        return
    cmd = [dpa, "generate", "-n", str(n), "--threads", "1", "--format", "npy", "--no-stats", "-o", "/dev/null"]
    t_cli = best_of(3, lambda: subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    print(f"{' '.join(cmd[1:])}: {n / t_cli:12,.0f} rows/s")
    print(f"  params_array / dpa generate: {t_cli / t_arr:.2f}")


def tables(n):
    """``pa.table(params_table(0, n))`` beside ``params_array(0, n)``, interleaved, 5
    rounds each, medians (1 thread: the same core does both)."""
    try:
        import pyarrow as pa
    except ImportError:
        print("no pyarrow: the table comparison is skipped (pip install pyarrow)")
        return
    t_arr, t_tab = [], []
    for _ in range(5):
        t_arr.append(best_of(1, lambda: dpa_rs.params_array(0, n, threads=1)))
        t_tab.append(best_of(1, lambda: pa.table(dpa_rs.params_table(0, n, threads=1))))
    a, t = sorted(t_arr)[2], sorted(t_tab)[2]
    print(f"pa.table(params_table) of {n:,} samples, 1 thread: {n / t:12,.0f} rows/s "
          f"(params_array {n / a:,.0f} rows/s; ratio {a / t:.2f})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=40_000)
    ap.add_argument("--n", type=int, default=4_000_000)
    ap.add_argument("--dpa", default=str(ROOT / "target" / "release" / "dpa"))
    ap.add_argument("--reference", default=os.environ.get("DPA_REFERENCE", ROOT.parent / "shared" / "reference" / "dpa-0.2.1"))
    a = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    ref_root = pathlib.Path(a.reference)
    if (ref_root / "src" / "dpa.py").is_file():
        per_call(load_reference(ref_root), a.calls)
    else:
        print(f"no reference at {ref_root}: per-call comparison skipped (set --reference)")
    arrays(a.n, a.dpa if shutil.which(a.dpa) or os.path.exists(a.dpa) else None)
    tables(a.n)


if __name__ == "__main__":
    main()
