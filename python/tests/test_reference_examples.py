"""The reference's own examples that use only its core and distributed functions, run
unchanged against the reference and against dpa_rs: the same printed lines (timings
masked) and the same files."""
import os
import re
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT, reference_root

EXAMPLES = [
    "example_usage",
    "distributed_rank_aware_generation",
    "distributed_range_splitting",
    "distributed_multiprocess_coordination",
    "integration_compatibility_demo",
]
RUNNER = ROOT / "python" / "tests" / "reference_suite" / "run_example.py"


@pytest.fixture(scope="module")
def reference_tree(tmp_path_factory):
    """A copy of the reference (src/ and examples/), its one 3.12-only line made
    portable on older Pythons."""
    root = reference_root()
    if not (root / "src" / "dpa.py").is_file():
        pytest.fail(f"the reference is not at {root} (set DPA_REFERENCE)")
    tree = tmp_path_factory.mktemp("reference-tree")
    for part in ("src", "examples"):
        shutil.copytree(root / part, tree / part)
    bench = tree / "src" / "benchmark.py"
    bench.write_text(bench.read_text().replace("def benchmark_function[T](", "def benchmark_function("))
    return tree


def untimed(text):
    """Timings, rates, memory readings and temporary folders differ from run to run;
    everything else not."""
    text = re.sub(r"/tmp/tmp[\w-]+", "<tmp>", text)
    text = re.sub(r"\d+(\.\d+)?(e[-+]?\d+)?\s*(s|ms|µs|seconds|samples/s(ec)?|MB|KB|GB|%)\b", "<N>", text)
    return re.sub(r"(elapsed|ETA|time|Time|took)[^\n]*", r"\1 <timing>", text)


def run(mode, example, folder):
    folder.mkdir()
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(RUNNER.parent)}
    done = subprocess.run(
        [sys.executable, str(RUNNER), mode, str(example)], cwd=folder, env=env,
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, f"{mode}: {done.stderr[-2000:]}"
    files = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    return untimed(done.stdout), files


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_runs_the_same(reference_tree, tmp_path, name):
    example = reference_tree / "examples" / f"{name}.py"
    want_out, want_files = run("reference", example, tmp_path / "reference")
    got_out, got_files = run("dpa_rs", example, tmp_path / "dpa_rs")
    if name == "distributed_multiprocess_coordination":
        # Worker processes print at once: lines may interleave in any order.
        got_out, want_out = (
            sorted(line.strip() for line in re.sub(r"(Rank \d+:)", r"\n\1", t).splitlines() if line.strip())
            for t in (got_out, want_out)
        )
    else:
        got_out, want_out = got_out.splitlines(), want_out.splitlines()
    assert got_out == want_out
    assert got_files == want_files
    assert len(want_out) > 20  # the example really printed its report
