"""Shared fixtures: the reference vectors and a pure-Python statement of the algorithm."""
import hashlib
import json
import pathlib
import random
import struct

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
PARAMS = ["rotation", "brightness", "noise", "scale", "contrast"]


@pytest.fixture(scope="session")
def vectors():
    with open(DATA / "reference-vectors.json") as f:
        return json.load(f)


def bits(x):
    """The IEEE-754 pattern of a float, as the vectors write it."""
    return "%016x" % struct.unpack("<Q", struct.pack("<d", x))[0]


def fib(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


def restated(seed_string, config):
    """DPA 0.2.1's record for a seed string, in plain Python: the definition itself
    (hashlib for the chain, a private random.Random for the draws)."""
    h = hashlib.sha256(seed_string.encode()).hexdigest()
    for i in range(config["augmentation_depth"]):
        h = hashlib.sha256((h + str(fib(i))).encode()).hexdigest()
    rng = random.Random(int(h, 16) % 2**32)
    out = {p: rng.uniform(*config[p + "_range"]) for p in PARAMS}
    out["hash"] = h
    return out
