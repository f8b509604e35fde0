"""Shared fixtures: the reference vectors and a pure-Python statement of the algorithm."""
import json
import pathlib
import struct
import sys

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


# The algorithm in plain Python (hashlib for the chain, a private random.Random for the
# draws): the statement scripts/reference_chain.py makes for the CLI's tests. Given a
# seed string ("42", "{base_seed}:{rank}:{id}", "{seed}:{epoch}:{id}"), it returns the
# reference's record.
sys.path.insert(0, str(ROOT / "scripts"))
from reference_chain import params as restated  # noqa: E402
