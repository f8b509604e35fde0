#!/usr/bin/env python3
"""Expected statistics from Python's own `statistics` module (CPython 3.11+), the way
the reference's `compute_statistics` calls it: mean, stdev (0.0 for one value), min, max.

Doubles travel as 16-hex-digit IEEE-754 bit patterns, never as decimals.

    python3 scripts/python_statistics.py < lists.json
        lists.json: [[bits, ...], ...]  ->  [{"mean": bits, "stdev": bits, "min": bits, "max": bits}, ...]
    python3 scripts/python_statistics.py --generate SEED
        writes the committed cases (tests/data/statistics-cases.json): random lists
        with extreme magnitudes, negative and repeated values, 1 and 2 elements.
"""
import json
import random
import statistics
import struct
import sys


def to_bits(x):
    return "%016x" % struct.unpack("<Q", struct.pack("<d", x))[0]


def from_bits(h):
    return struct.unpack("<d", struct.pack("<Q", int(h, 16)))[0]


def expected(values):
    return {
        "mean": to_bits(statistics.mean(values)),
        "stdev": to_bits(statistics.stdev(values) if len(values) > 1 else 0.0),
        "min": to_bits(min(values)),
        "max": to_bits(max(values)),
    }


def random_list(rng):
    kind = rng.choice(["uniform", "wide", "bits", "repeated", "tiny", "signed-zero", "short"])
    n = rng.choice([1, 2, 3, 5, 17, 100, 400])
    if kind == "short":
        n = rng.choice([1, 2])
    if kind == "uniform":
        lo = rng.uniform(-100, 100)
        return [rng.uniform(lo, lo + rng.uniform(0, 50)) for _ in range(n)]
    if kind == "wide":
        return [rng.choice([-1, 1]) * rng.random() * 10.0 ** rng.randint(-300, 300) for _ in range(n)]
    if kind == "bits":
        # Any finite double below 2^1000 in magnitude (so the stdev stays finite).
        out = []
        while len(out) < n:
            x = from_bits("%016x" % rng.getrandbits(64))
            if x == x and abs(x) < 2.0 ** 1000:
                out.append(x)
        return out
    if kind == "repeated":
        pool = [rng.uniform(-1, 1) for _ in range(3)]
        return [rng.choice(pool) for _ in range(n)]
    if kind == "tiny":
        return [from_bits("%016x" % rng.randint(0, 1 << 53)) * rng.choice([-1, 1]) for _ in range(n)]
    if kind == "signed-zero":
        return [rng.choice([0.0, -0.0, 5e-324, -5e-324]) for _ in range(n)]
    return [rng.uniform(-1, 1) for _ in range(n)]


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--generate":
        rng = random.Random(int(sys.argv[2]))
        cases = []
        for _ in range(300):
            values = random_list(rng)
            cases.append({"values": [to_bits(v) for v in values], **expected(values)})
        json.dump(
            {"about": "Python %s statistics.mean/stdev, min, max; `python3 scripts/python_statistics.py --generate %s`"
             % (sys.version.split()[0], sys.argv[2]), "cases": cases},
            sys.stdout,
        )
        return
    lists = json.load(sys.stdin)
    json.dump([expected([from_bits(h) for h in values]) for values in lists], sys.stdout)


if __name__ == "__main__":
    main()
