#!/usr/bin/env bash
# Runs everything CI runs: formatting, lints, every test (unit, integration, CLI, doc),
# the benches in test mode, and the examples. Installs what is missing first.
#
# Usage: scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "toolchain"
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

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings"
cargo clippy --locked --all-targets -- -D warnings

step "cargo test (unit, integration, CLI, doc tests)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --locked 2>&1 | tee "$log"

step "benches in test mode (each bench runs once)"
cargo test --locked --benches

step "examples"
for ex in examples/*.rs; do
    name=$(basename "$ex" .rs)
    echo "-- $name"
    cargo run --locked --quiet --example "$name" >/dev/null
done

step "all checks passed"
# One closing line with the totals of every cargo test run above.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
