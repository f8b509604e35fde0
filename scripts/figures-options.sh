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

# For the dpa-mpi figures scripts: sets bin (the first other argument, default
# target/release/dpa-mpi; exit 2 when it is not there), exports Open MPI's settings for
# root, more ranks than cores and containers, makes dir (a fresh folder dpa-$1.XXXXXX
# under $TMPDIR unless --dir named one) and an empty "$dir/results.tsv" as results.
mpi_figures_setup() {
  bin="${FIGURES_ARGS[0]:-target/release/dpa-mpi}"
  [[ -x "$bin" ]] || { echo "no $bin: cargo build --release --features mpi" >&2; exit 2; }
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
  dir="${dir:-$(mktemp -d "${TMPDIR:-/tmp}/dpa-$1.XXXXXX")}"
  mkdir -p "$dir"
  results="$dir/results.tsv"
  : > "$results"
}
