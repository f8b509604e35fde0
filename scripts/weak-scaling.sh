#!/usr/bin/env bash
# Weak scaling of dpa-mpi's shared .npy file: N/P records a rank, 1, 2 and 3 ranks,
# side by side in one run, and what rank 0 does after the last rank's last row (the
# `commit:` line dpa-mpi prints: the sidecar, its fsync, the renames).
#
#   scripts/weak-scaling.sh [-n RECORDS_PER_RANK] [-r REPEATS] [--dir DIR] [DPA_MPI]
#
# Cases are interleaved, each runs REPEATS times (default 3), with `sync` before each
# and one worker thread a rank; the table shows medians: the job's time as dpa-mpi
# reports it (from the start barrier to the slowest rank's end) and the commit time.
# With more ranks than cores the job's time grows (the ranks share the cores); the
# commit time must not.
set -euo pipefail
# shellcheck source=scripts/figures-options.sh
source "$(dirname "$0")/figures-options.sh"
mpi_figures_setup weak
for ((r = 0; r < reps; r++)); do
  for p in 1 2 3; do
    sync
    out=$(mpirun -n "$p" "$bin" generate -n $((p * n)) -t 1 -o "$dir/x.npy")
    job=$(sed -n 's/^total: .* in \([0-9.]*\) s .*/\1/p' <<< "$out")
    commit=$(sed -n 's/^commit: \([0-9.]*\) s .*/\1/p' <<< "$out")
    printf '%s\t%s\t%s\n' "$p" "$job" "$commit" >> "$results"
    rm -f "$dir/x.npy" "$dir/x.npy.json"
  done
done
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
echo "$n records a rank, median of $reps, one thread a rank ($(nproc) cores):"
printf '%6s %12s %10s %12s\n' ranks records job_s commit_s
for p in 1 2 3; do
  job=$(awk -F'\t' -v p="$p" '$1 == p { print $2 }' "$results" | median)
  commit=$(awk -F'\t' -v p="$p" '$1 == p { print $3 }' "$results" | median)
  printf '%6s %12s %10s %12s\n' "$p" $((p * n)) "$job" "$commit"
done
