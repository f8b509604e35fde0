#!/usr/bin/env bash
# Installs what `--features mpi` needs, when it is missing: Open MPI (runtime and
# headers) and libclang (for rsmpi's bindgen), from Debian's packages. Idempotent.
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1; }
libclang_present() { ls /usr/lib/llvm-*/lib/libclang*.so* /usr/lib/x86_64-linux-gnu/libclang*.so* >/dev/null 2>&1; }

if have mpirun && have mpicc && libclang_present; then
    echo "setup-mpi: Open MPI $(mpirun --version 2>/dev/null | head -n1 | awk '{print $NF}') and libclang present"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if have sudo; then SUDO="sudo"; else
        echo "setup-mpi: need root (or sudo) to install openmpi-bin libopenmpi-dev libclang-dev" >&2
        exit 1
    fi
fi
echo "setup-mpi: installing openmpi-bin libopenmpi-dev libclang-dev"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq openmpi-bin libopenmpi-dev libclang-dev >/dev/null
mpirun --version | head -n1
