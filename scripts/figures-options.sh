# Sourced by the figures scripts: their common options. Sets n (-n, default 10,000,000
# records), reps (-r, default 3) and dir (--dir, default empty), and leaves the other
# arguments in FIGURES_ARGS.
n=10000000
reps=3
dir=""
FIGURES_ARGS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    -n) n="$2"; shift 2 ;;
    -r) reps="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    *) FIGURES_ARGS+=("$1"); shift ;;
  esac
done
