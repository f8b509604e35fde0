#!/usr/bin/env bash
# The figures of docs/PERFORMANCE.md's "main job" table, for one or more dpa binaries,
# side by side in one run: throughput of the README's main job (JSON Lines with
# statistics, to a real file) and of the other formats, against the kernel-speed
# baseline (binary, no statistics, to /dev/null), and peak RSS.
#
#   scripts/main-job-figures.sh [-n N] [-r REPEATS] [--dir DIR] BIN [BIN...]
#
# Cases and binaries are interleaved and each is run REPEATS times (default 3); the
# table shows the median time (and the largest RSS). Outputs go to DIR (default: a
# fresh folder under $TMPDIR) and are removed after each run; `sync` runs before each
# measurement so one run's writeback does not slow the next.
set -euo pipefail
# shellcheck source=scripts/figures-options.sh
source "$(dirname "$0")/figures-options.sh"
set -- "${FIGURES_ARGS[@]+"${FIGURES_ARGS[@]}"}"
[[ $# -ge 1 ]] || { echo "usage: $0 [-n N] [-r REPEATS] [--dir DIR] BIN [BIN...]" >&2; exit 2; }
dir="${dir:-$(mktemp -d "${TMPDIR:-/tmp}/dpa-figures.XXXXXX")}"
mkdir -p "$dir"
results="$dir/results.tsv"
: > "$results"
cases=(
  "1|bincode --no-stats -> /dev/null, 2 threads|2|/dev/null|--format bincode --no-stats"
  "2|jsonl (stats) -> file, 2 threads|2|$dir/x.jsonl|"
  "3|jsonl (stats) -> file, 1 thread|1|$dir/x.jsonl|"
  "4|json (stats) -> file, 2 threads|2|$dir/x.json|"
  "5|bincode (stats) -> file, 2 threads|2|$dir/x.bin|"
  "6|jsonl (stats) -> /dev/null, 2 threads|2|/dev/null|--format jsonl"
  "7|jsonl (stats) -> /dev/null, 1 thread|1|/dev/null|--format jsonl"
  "8|jsonl (stats) -> file, 8 threads|8|$dir/x.jsonl|"
)
for ((r = 0; r < reps; r++)); do
  for c in "${cases[@]}"; do
    IFS='|' read -r id label threads out args <<< "$c"
    for bin in "$@"; do
      [[ "$out" == /dev/null ]] || rm -f "$out"
      sync
      t0=$(date +%s.%N)
      # shellcheck disable=SC2086
      rss=$( { /usr/bin/time -f '%M' "$bin" generate -q -n "$n" --threads "$threads" -o "$out" $args ; } 2>&1 >/dev/null | tail -1)
      t1=$(date +%s.%N)
      [[ "$out" == /dev/null ]] || rm -f "$out"
      [[ -c /dev/null ]] || { echo "/dev/null is no longer a device" >&2; exit 1; }
      printf '%s\t%s\t%s\t%s\t%s\n' "$bin" "$id" "$label" "$(echo "$t1 - $t0" | bc)" "$rss" >> "$results"
    done
  done
done
printf '%-28s %-42s %8s %12s %8s\n' binary case "median s" records/s "RSS MiB"
for bin in "$@"; do
  for c in "${cases[@]}"; do
    IFS='|' read -r id label _ <<< "$c"
    mapfile -t times < <(awk -F'\t' -v b="$bin" -v id="$id" '$1 == b && $2 == id { print $4 }' "$results" | sort -g)
    rss=$(awk -F'\t' -v b="$bin" -v id="$id" '$1 == b && $2 == id && $5 > m { m = $5 } END { print m + 0 }' "$results")
    k=${#times[@]}
    if (( k % 2 )); then median=${times[$((k / 2))]}; else median=$(echo "(${times[$((k / 2 - 1))]} + ${times[$((k / 2))]}) / 2" | bc -l); fi
    awk -v b="$bin" -v label="$label" -v m="$median" -v n="$n" -v rss="$rss" \
      'BEGIN { printf "%-28s %-42s %8.2f %12.0f %8.1f\n", b, label, m, n / m, rss / 1024 }'
  done
done
