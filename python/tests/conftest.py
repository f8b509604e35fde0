"""Shared fixtures: the reference vectors and a pure-Python statement of the algorithm."""
import json
import os
import shutil
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


def reference_root():
    """DPA 0.2.1's source: $DPA_REFERENCE, or shared/reference beside this repository."""
    env = os.environ.get("DPA_REFERENCE")
    return pathlib.Path(env) if env else ROOT.parent / "shared" / "reference" / "dpa-0.2.1"


@pytest.fixture(scope="session")
def reference_package(tmp_path_factory):
    """The reference's src/ as the importable package ``dpa_reference`` (a copy; on
    Python < 3.12 its one 3.12-only line, ``def benchmark_function[T](``, is made
    ``def benchmark_function(``, as its docs say). Missing reference: a failure."""
    src = reference_root() / "src"
    if not (src / "dpa.py").is_file():
        pytest.fail(f"the reference is not at {src} (set DPA_REFERENCE)")
    dest = tmp_path_factory.mktemp("reference") / "dpa_reference"
    shutil.copytree(src, dest)
    if sys.version_info < (3, 12):
        bench = dest / "benchmark.py"
        bench.write_text(bench.read_text().replace("def benchmark_function[T](", "def benchmark_function("))
    sys.path.insert(0, str(dest.parent))
    return "dpa_reference"
