#!/usr/bin/env bash
# Runs everything CI runs: formatting, lints, every test (unit, integration, CLI, doc,
# distributed with the in-memory communicator, real `mpirun -n 4` tests, and two hosts
# made of network namespaces: scripts/two-hosts.sh), the
# benches in test mode, and the examples. Installs what is missing first (Open MPI and
# libclang from Debian's packages; NumPy into a virtual environment, target/venv).
#
# Usage: scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

# Python writes no __pycache__ into the checkout: the suite leaves it as the user left it.
export PYTHONDONTWRITEBYTECODE=1
# No incremental caches in CI (a fresh clone builds once; they would only take disk).
if [ -n "${CI:-}" ]; then export CARGO_INCREMENTAL=0; fi

step() { printf '\n==> %s\n' "$*"; }

step "toolchain"
df -h . | tail -n 1
if ! command -v cargo >/dev/null 2>&1; then
    echo "cargo not found: install Rust (https://rustup.rs) and run again" >&2
    exit 1
fi
for component in rustfmt clippy; do
    if ! cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1; then
        rustup component add "$component"
    fi
done
cargo --version

step "Open MPI"
bash scripts/setup-mpi.sh
# Open MPI as root, on 2 cores, in a container.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_btl_vader_single_copy_mechanism=none

step "Python test environment (target/venv: NumPy, pyarrow, polars, DuckDB, torch, Dask, Ray, ..., pinned)"
DPA_TEST_PYTHON=$(bash scripts/setup-python.sh)
export DPA_TEST_PYTHON
echo "$DPA_TEST_PYTHON"

step "the checkout as the user left it (checked again at the end: nothing here is touched)"
guard=$(mktemp)
"$DPA_TEST_PYTHON" scripts/checkout_guard.py snapshot "$guard"

step "architecture: no import circle among src/ files, no function over 80 lines"
"$DPA_TEST_PYTHON" scripts/import_cycles.py src
"$DPA_TEST_PYTHON" scripts/long_functions.py src bin python/src

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings (every target and crate, with MPI: no code is built only without it)"
cargo clippy --locked --workspace --all-targets --features dpa/mpi -- -D warnings

step "the library alone (--no-default-features): no command-line or chart crates"
cargo build --locked --lib --no-default-features
lib_tree=$(cargo tree --locked -e normal --no-default-features --prefix none)
for crate in clap anyhow indicatif console plotters; do
    if printf '%s\n' "$lib_tree" | grep -q "^$crate v"; then
        echo "the library without default features pulls in $crate" >&2
        exit 1
    fi
done
echo "library dependencies: $(printf '%s\n' "$lib_tree" | awk '{print $1}' | sort -u | wc -l) crates, none of clap, anyhow, indicatif, console, plotters"

step "cargo doc (broken links and missing docs are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --locked --no-deps --features mpi

step "cargo test --features mpi (unit, integration, CLI, doc, distributed, mpirun)"
log=$(mktemp)
trap 'rm -f "$log" "$guard"' EXIT
# A hang must fail the run, not stall it.
timeout 2400 cargo test --locked --features mpi 2>&1 | tee "$log"

step "the mpirun tests again, with the ranks talking over TCP (as across nodes)"
OMPI_MCA_btl=self,tcp timeout 1200 cargo test --locked --features mpi --test mpi 2>&1 | tee -a "$log"

step "two hosts on one machine (network namespaces, TCP between them): scripts/two-hosts.sh"
# The binaries of the cargo test build above; needs root, as CI is.
DPA_TEST_PYTHON="$DPA_TEST_PYTHON" timeout 900 bash scripts/two-hosts.sh target/debug/dpa-mpi target/debug/dpa

step "cargo test --features soft-sha --test parity (the software SHA-256 path)"
timeout 900 cargo test --locked --features soft-sha --test parity 2>&1 | tee -a "$log"

step "the Python package: pip install ./python (PEP 517, maturin), then pytest"
# Exactly the README's install command, in the test environment.
timeout 1200 "$(dirname "$DPA_TEST_PYTHON")/pip" install --quiet --disable-pip-version-check \
    --force-reinstall --no-deps ./python
# The reference (DPA 0.2.1's source, the specification) sits in shared/ beside the
# repository; the differential tests and the reference's own suite need it.
export DPA_REFERENCE="${DPA_REFERENCE:-$PWD/../shared/reference/dpa-0.2.1}"
if [ ! -f "$DPA_REFERENCE/src/dpa.py" ]; then
    echo "the reference is not at $DPA_REFERENCE (set DPA_REFERENCE)" >&2
    exit 1
fi
timeout 900 "$DPA_TEST_PYTHON" -m pytest -q -p no:cacheprovider python/tests 2>&1 | tee -a "$log"
# pytest's summary line ("N passed in S s") joins the totals below.

step "the reference's own test suite against dpa_rs (its 4 core and distributed files, unchanged)"
ref_log=$(mktemp)
(cd "$DPA_REFERENCE" && PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$OLDPWD/python/tests/reference_suite" \
    timeout 900 "$DPA_TEST_PYTHON" -m pytest -q -o addopts="" -p no:cacheprovider -p dpa_rs_as_src \
    tests/test_dpa.py tests/test_distributed.py tests/test_integration_compatibility.py \
    tests/test_integration_distributed.py) 2>&1 | tee "$ref_log" | tail -n 3
cat "$ref_log" >> "$log"
if ! grep -q "^242 passed" "$ref_log"; then
    echo "the reference's suite did not pass in full against dpa_rs (242 tests expected)" >&2
    exit 1
fi
rm -f "$ref_log"
for example in python/examples/*.py; do
    echo "-- $example"
    timeout 300 "$DPA_TEST_PYTHON" "$example" >/dev/null
done

step "the README's main command, exactly as written (in a folder of its own)"
main_cmd=$(grep -m1 '^cargo run --release -- generate' README.md)
echo "$main_cmd"
out_file=$(printf '%s\n' "$main_cmd" | sed -n 's/.* -o \([^ ]*\).*/\1/p')
# A checkout of its own, made of links to this one and sharing its build, so that the
# command writes its output there: a user's own augmentations.jsonl here is never touched.
main_dir=$(mktemp -d)
trap 'rm -f "$log" "$guard"; rm -rf "$main_dir"' EXIT
for f in Cargo.toml Cargo.lock README.md src bin benches examples tests python; do
    ln -s "$PWD/$f" "$main_dir/$f"
done
(cd "$main_dir" && export CARGO_TARGET_DIR="$OLDPWD/target" && eval "$main_cmd")
expected=$(printf '%s\n' "$main_cmd" | sed -n 's/.* -n \([0-9]*\).*/\1/p')
lines=$(wc -l < "$main_dir/$out_file")
if [ "$lines" -ne "$expected" ]; then
    echo "the README's main command wrote $lines records, expected $expected" >&2
    exit 1
fi

step "the README's install line puts dpa on a PATH (cargo install, reusing this build)"
install_root="$main_dir/installed"
cargo install --locked --quiet --path . --target-dir target --root "$install_root"
PATH="$install_root/bin:$PATH" dpa --version

# Benches and examples reuse the build of `cargo test --features mpi` above (the same
# profile, `test`, optimised, and the same features): nothing is compiled again for them.
# (`cargo run --example` alone would build them again, unoptimised, in the dev profile.)
step "benches in test mode (each bench runs once)"
timeout 900 cargo test --locked --features mpi --benches

step "examples"
for ex in examples/*.rs; do
    name=$(basename "$ex" .rs)
    echo "-- $name"
    timeout 300 cargo run --locked --profile test --features mpi --quiet --example "$name" >/dev/null
done
# No Slurm here: the batch script is checked for shell syntax only.
echo "-- slurm/dpa.sbatch (bash -n)"
bash -n examples/slurm/dpa.sbatch

step "the checkout is as the user left it"
"$DPA_TEST_PYTHON" scripts/checkout_guard.py check "$guard"
rm -f "$guard"

step "all checks passed"
# One closing line with the totals of every cargo test run above.
awk '/^test result:|^[0-9]+ passed/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
