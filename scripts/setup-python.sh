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
if ! cmp -s scripts/requirements-test.txt "$stamp"; then
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        -r scripts/requirements-test.txt >&2
    cp scripts/requirements-test.txt "$stamp"
fi
"$venv/bin/python" -c 'import numpy; print("numpy", numpy.__version__)' >&2
echo "$PWD/$venv/bin/python"
