#!/usr/bin/env bash
# The ratios of docs/PERFORMANCE.md, measured side by side in one run, each against
# its floor:
#
#   main job   `dpa generate -n N -o x.jsonl` (statistics, real file, 2 threads)
#              against `--format bincode --no-stats -o /dev/null` (the kernel-bound
#              rate), and against the disk: `dd` writing as many bytes to a new file,
#              once through the page cache with fdatasync, once with oflag=direct (the
#              device's rate). JSON Lines to /dev/null shows the CPU side alone; the
#              main job's slowest run over its fastest shows how steady it is.
#   parquet    `dpa generate -n N -o x.parquet` (zstd, statistics, real file) against
#              the baseline (issue 28 asks for >= 0.70).
#   verify     `dpa verify x.jsonl --preset moderate` of the main job's file against
#              the main job itself (rate / rate: issue 32 asks for >= 0.8).
#   resume     the main job killed (SIGKILL) when its partial file reaches 70% of the
#              final size, then `--resume`d, against the uninterrupted main job; the
#              resumed file must equal the uninterrupted one byte for byte. Its floor:
#              dd reading the kept bytes while dd writes the rest, with a checkpoint's
#              syncs (the data, the record) every 16 MiB.
#   shared     `mpirun -n 2 dpa-mpi generate -n M -o x.npy` (one shared file) against
#              `--format npy --output-dir` (shards), 1 thread per rank; skipped without
#              dpa-mpi (cargo build --release --features mpi) or mpirun.
#
#   scripts/ratios.sh [-n N] [-r REPEATS] [--dir DIR] [--mpi-n M]
#
# Defaults: N = 6,000,000, M = 4,000,000, 3 repeats; every case runs once per repeat,
# interleaved, after `sync`; the table shows medians and the ratios of the medians, and
# the largest peak RSS of the main job's and the resume's runs (/usr/bin/time).
# Outputs go to DIR (default: a fresh folder under $TMPDIR, which must be on the disk
# being measured) and are removed at the end.
set -euo pipefail
mpi_n=4000000
args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --mpi-n) mpi_n="$2"; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
# shellcheck source=scripts/figures-options.sh
source "$(dirname "$0")/figures-options.sh" ${args[@]+"${args[@]}"}
[[ " ${args[*]-} " == *" -n "* ]] || n=6000000
dpa=target/release/dpa
mpi_bin=target/release/dpa-mpi
[[ -x "$dpa" ]] || { echo "no $dpa: cargo build --release" >&2; exit 2; }
dir="${dir:-$(mktemp -d "${TMPDIR:-/tmp}/dpa-ratios.XXXXXX")}"
mkdir -p "$dir"
results="$dir/results.tsv"
: > "$results"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_btl_vader_single_copy_mechanism=none

# Runs "$@" after sync; records its wall time under case $1, and its peak RSS in KiB
# (GNU time's %M) when /usr/bin/time is there.
timed() {
  local name="$1"; shift
  sync
  local t0 t1 rss=0
  local -a meter=()
  [[ -x /usr/bin/time && $(type -t "$1") == file ]] && meter=(/usr/bin/time -f %M -o "$dir/rss")
  rm -f "$dir/rss"
  t0=$(date +%s.%N)
  ${meter[@]+"${meter[@]}"} "$@"
  t1=$(date +%s.%N)
  [[ -s "$dir/rss" ]] && rss=$(tail -n 1 "$dir/rss")
  printf '%s\t%s\t%s\n' "$name" "$(echo "$t1 - $t0" | bc)" "$rss" >> "$results"
}

# The bytes the partial file's checkpoint record vouches for (0 without one).
kept_bytes() {
  local b
  b=$(grep -o '"bytes":[0-9]*' "$dir/r.jsonl.partial.progress" 2>/dev/null | head -n 1 | cut -d: -f2)
  echo "${b:-0}"
}

# The main job, killed when its partial file holds 70% of $full bytes.
kill_at_70() {
  sync
  "$dpa" generate -q -n "$n" --threads 2 -o "$dir/r.jsonl" &
  local pid=$! size
  while kill -0 "$pid" 2>/dev/null; do
    size=$(stat -c %s "$dir/r.jsonl.partial" 2>/dev/null || echo 0)
    if (( size * 10 >= full * 7 )); then kill -9 "$pid"; break; fi
    sleep 0.01
  done
  wait "$pid" 2>/dev/null || true
  [[ -e "$dir/r.jsonl.partial" && ! -e "$dir/r.jsonl" ]] || { echo "the run ended before 70%" >&2; exit 1; }
  echo "killed at $((size >> 20)) MiB; last checkpoint at $(( $(kept_bytes) >> 20 )) MiB" >&2
}

# The resume's device floor without dpa: one dd reads the bytes the checkpoint kept
# (direct, 4 MiB) while another writes as many bytes as the resume adds, 16 MiB at a
# time, and after each piece does what a checkpoint does: the data synced (direct,
# fdatasync), then a record of the same size written, fsynced and renamed over the
# last one (src/checkpoint.rs).
resume_floor() {
  local kept rest i record="$dir/r.jsonl.partial.progress"
  kept=$(kept_bytes)
  rest=$(( (full - kept + (16 << 20) - 1) / (16 << 20) ))
  dd if="$dir/r.jsonl.partial" of=/dev/null bs=4M count=$(( kept >> 22 )) iflag=direct status=none &
  for ((i = 0; i < rest; i++)); do
    dd if=/dev/zero of="$dir/floor" bs=4M count=4 seek=$(( i * 4 )) oflag=direct conv=notrunc,fdatasync status=none
    dd if="$record" of="$dir/floor.record.tmp" conv=fsync status=none
    mv "$dir/floor.record.tmp" "$dir/floor.record"
  done
  wait
  rm -f "$dir/floor" "$dir/floor.record"
}

have_mpi=0
[[ -x "$mpi_bin" ]] && command -v mpirun >/dev/null && have_mpi=1
for ((r = 0; r < reps; r++)); do
  timed baseline "$dpa" generate -q -n "$n" --threads 2 --format bincode --no-stats -o /dev/null
  rm -f "$dir/x.jsonl"
  timed main "$dpa" generate -q -n "$n" --threads 2 -o "$dir/x.jsonl"
  full=$(stat -c %s "$dir/x.jsonl")
  timed verify "$dpa" verify "$dir/x.jsonl" --preset moderate --threads 2
  blocks=$(( (full + (4 << 20) - 1) / (4 << 20) ))
  timed disk dd if=/dev/zero of="$dir/copy" bs=4M count="$blocks" conv=fdatasync status=none
  rm -f "$dir/copy"
  timed disk-direct dd if=/dev/zero of="$dir/copy" bs=4M count="$blocks" oflag=direct status=none
  rm -f "$dir/copy"
  timed parquet "$dpa" generate -q -n "$n" --threads 2 -o "$dir/x.parquet"
  rm -f "$dir/x.parquet"
  timed jsonl-null "$dpa" generate -q -n "$n" --threads 2 --format jsonl -o /dev/null
  rm -f "$dir/r.jsonl"*
  kill_at_70
  timed resume-floor resume_floor
  timed resume "$dpa" generate -q -n "$n" --threads 2 -o "$dir/r.jsonl" --resume
  cmp "$dir/r.jsonl" "$dir/x.jsonl" || { echo "the resumed file differs" >&2; exit 1; }
  rm -f "$dir/r.jsonl" "$dir/x.jsonl"
  if (( have_mpi )); then
    timed shared mpirun -n 2 "$mpi_bin" generate -q -n "$mpi_n" -t 1 -o "$dir/s.npy"
    rm -f "$dir/s.npy" "$dir/s.npy.json"
    timed shards mpirun -n 2 "$mpi_bin" generate -q -n "$mpi_n" -t 1 --format npy --output-dir "$dir/run"
    rm -rf "$dir/run"
  fi
done

median() {
  awk -F'\t' -v k="$1" '$1 == k { print $2 }' "$results" | sort -g |
    awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print 0 }'
}
ratio() { echo "$1 / $2" | bc -l; }
base=$(median baseline); main=$(median main); disk=$(median disk)
null=$(median jsonl-null); resume=$(median resume); verify=$(median verify)
direct=$(median disk-direct); parquet=$(median parquet); floor=$(median resume-floor)
spread() {
  awk -F'\t' -v k="$1" '$1 == k { if (!n++ || $2 < lo) lo = $2; if ($2 > hi) hi = $2 }
    END { if (n) printf "%.2f", hi / lo; else print 0 }' "$results"
}
# The largest peak RSS of case $1's runs, in MiB.
peak() {
  awk -F'\t' -v k="$1" '$1 == k && $3 > m { m = $3 } END { printf "%.1f", m / 1024 }' "$results"
}
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
echo "machine: $cpu, $(nproc) cores; N = $n, median of $reps"
printf '%-58s %9s %8s\n' case seconds ratio
printf '%-58s %9.2f %8s\n' "baseline: bincode --no-stats -> /dev/null" "$base" ""
printf '%-58s %9.2f %8.2f\n' "main job: jsonl + stats -> file (rate / baseline rate)" "$main" "$(ratio "$base" "$main")"
printf '%-58s %9.2f %8.2f\n' "jsonl + stats -> /dev/null (rate / baseline rate)" "$null" "$(ratio "$base" "$null")"
printf '%-58s %9.2f %8.2f\n' "main job over jsonl -> /dev/null (rate / rate)" "$main" "$(ratio "$null" "$main")"
printf '%-58s %9s %8s\n' "main job: slowest / fastest of $reps" "" "$(spread main)"
printf '%-58s %9.2f %8.2f\n' "disk: dd as many bytes, fdatasync (main job / dd)" "$disk" "$(ratio "$main" "$disk")"
printf '%-58s %9.2f %8.2f\n' "disk: dd as many bytes, oflag=direct (main job / dd)" "$direct" "$(ratio "$main" "$direct")"
printf '%-58s %9.2f %8.2f\n' "parquet (zstd) + stats -> file (rate / baseline rate)" "$parquet" "$(ratio "$base" "$parquet")"
printf '%-58s %9.2f %8.2f\n' "verify the main job's file (rate / main job rate)" "$verify" "$(ratio "$main" "$verify")"
printf '%-58s %9.2f %8.2f\n' "resume after SIGKILL at 70% (time / main job time)" "$resume" "$(ratio "$resume" "$main")"
printf '%-58s %9.2f %8.2f\n' "resume floor: dd reads kept, writes rest + checkpoint syncs" "$floor" "$(ratio "$floor" "$main")"
printf '%-58s %9s\n' "peak RSS, MiB: main job / resume (largest of $reps)" "$(peak main) / $(peak resume)"
if (( have_mpi )); then
  shared=$(median shared); shards=$(median shards)
  printf '%-58s %9.2f %8s\n' "npy shards, mpirun -n 2, N = $mpi_n" "$shards" ""
  printf '%-58s %9.2f %8.2f\n' "shared .npy, mpirun -n 2 (time / shards time)" "$shared" "$(ratio "$shared" "$shards")"
else
  echo "shared file: skipped (no $mpi_bin or mpirun)"
fi
rm -rf "$dir"
