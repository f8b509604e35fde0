#!/usr/bin/env bash
# Throughput of dpa-mpi's outputs on 1, 2 and 4 ranks, side by side in one run: one
# shared .npy file (-o), .npy shards and JSON Lines shards (--output-dir).
#
#   scripts/shared-figures.sh [-n N] [-r REPEATS] [--dir DIR] [DPA_MPI]
#
# Cases are interleaved and each runs REPEATS times (default 3); the table shows the
# median wall time of the whole `mpirun` (start-up, generation, writing, fsync, rename,
# rank 0's hash of the shared file and its sidecar) and records/s from it. Each rank
# gets 2/P worker threads (at least 1), so every case uses the same cores. Outputs go to
# DIR (default: a fresh folder under $TMPDIR) and are removed after each run; `sync`
# runs before each measurement.
set -euo pipefail
# shellcheck source=scripts/figures-options.sh
source "$(dirname "$0")/figures-options.sh"
mpi_figures_setup shared
for ((r = 0; r < reps; r++)); do
  for p in 1 2 4; do
    t=$(( 2 / p )); (( t >= 1 )) || t=1
    for kind in "shared npy" "npy shards" "jsonl shards"; do
      case "$kind" in
        "shared npy") out=(-o "$dir/x.npy") ;;
        "npy shards") out=(--format npy --output-dir "$dir/run") ;;
        "jsonl shards") out=(--format jsonl --output-dir "$dir/run") ;;
      esac
      sync
      start=$(date +%s.%N)
      mpirun -n "$p" "$bin" generate -q -n "$n" -t "$t" "${out[@]}"
      end=$(date +%s.%N)
      printf '%s\t%s\t%s\n' "$kind" "$p" "$(echo "$end - $start" | bc)" >> "$results"
      rm -rf "$dir/x.npy" "$dir/x.npy.json" "$dir/run"
    done
  done
done
echo "$n records, median of $reps (wall time of mpirun, 2 cores in all):"
printf '%-14s %6s %10s %14s\n' output ranks seconds records/s
for kind in "shared npy" "npy shards" "jsonl shards"; do
  for p in 1 2 4; do
    secs=$(awk -F'\t' -v k="$kind" -v p="$p" '$1 == k && $2 == p { print $3 }' "$results" | sort -g |
      awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
    printf '%-14s %6s %10.2f %14.0f\n' "$kind" "$p" "$secs" "$(echo "$n / $secs" | bc -l)"
  done
done
