#!/usr/bin/env bash
# Creates target/venv (a Python virtual environment) with the packages the tests use,
# pinned in scripts/requirements-test.txt, unless it already has them. Prints the path
# of its interpreter last.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
if ! command -v "$python" >/dev/null 2>&1; then
    echo "python3 not found: install Python 3.9 or newer and run again" >&2
    exit 1
fi
venv=target/venv
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv" >&2
fi
stamp="$venv/.requirements"
wanted=$(cat scripts/requirements-test.txt scripts/requirements-torch.txt)
if [ "$wanted" != "$(cat "$stamp" 2>/dev/null)" ]; then
    # No pip cache (it would hold a second copy of every wheel, about 3 GB with torch's),
    # and the free space said first: a full disk is the likeliest failure here.
    df -h "$venv" >&2
    pip=("$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-cache-dir)
    "${pip[@]}" -r scripts/requirements-test.txt >&2
    "${pip[@]}" --no-deps -r scripts/requirements-torch.txt >&2
    printf '%s' "$wanted" > "$stamp"
fi
"$venv/bin/python" -c 'import numpy; print("numpy", numpy.__version__)' >&2
echo "$PWD/$venv/bin/python"
