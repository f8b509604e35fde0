#!/usr/bin/env bash
# dpa-mpi on two real hosts on one machine: two network namespaces joined by a veth
# pair, each rank in its own namespace with its own host name, Open MPI talking TCP
# between them (its daemon on the second host started through `ip netns exec` instead
# of ssh). Needs root (ip netns); uses only addresses inside the namespaces it creates,
# and removes them on any exit.
#
#   scripts/two-hosts.sh [DPA_MPI [DPA]]     (default target/release/dpa-mpi, and dpa beside it)
#
# What it checks, each against a run on one host:
#   1. a shared .npy file and .npy and JSON Lines shards are byte for byte a one-host
#      run's (and `dpa generate`'s), and the manifest names both hosts;
#   2. the rank on host 2 killed with SIGKILL mid-run ends the whole job within 5 s, with
#      Open MPI's message naming the rank and its host, and nothing at a final name;
#   3. `--resume` of that job on two hosts, and of another on one host, gives the bytes
#      of the uninterrupted run (the shared file, and shards);
#   4. the same under a 200 Mbit/s cap on the link (tc tbf).
set -euo pipefail
bin=$(realpath "${1:-target/release/dpa-mpi}")
dpa=$(realpath "${2:-$(dirname "$bin")/dpa}")
python=${DPA_TEST_PYTHON:-python3}
for tool in "$bin" "$dpa"; do
    [[ -x "$tool" ]] || { echo "two-hosts: no $tool: cargo build --release --features mpi" >&2; exit 2; }
done
[[ $(id -u) == 0 ]] || { echo "two-hosts: needs root to create network namespaces" >&2; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
unset OMPI_MCA_btl

# Names of this run's own (a second run at the same time gets others).
id=$$
h1=dpa-h1-$id h2=dpa-h2-$id
work=$(mktemp -d "${TMPDIR:-/tmp}/dpa-two-hosts.XXXXXX")
cleanup() {
    local ns pid
    for ns in "$h1" "$h2"; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
        ip netns del "$ns" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "two-hosts: FAILED: $*" >&2; exit 1; }
step() { echo "-- two hosts: $*"; }

setup_hosts() {
    ip netns add "$h1"
    ip netns add "$h2"
    ip link add "d$id-a" type veth peer name "d$id-b"
    ip link set "d$id-a" netns "$h1" name dpa0
    ip link set "d$id-b" netns "$h2" name dpa0
    ip -n "$h1" addr add 10.200.0.1/24 dev dpa0
    ip -n "$h2" addr add 10.200.0.2/24 dev dpa0
    local ns
    for ns in "$h1" "$h2"; do
        ip -n "$ns" link set lo up
        ip -n "$ns" link set dpa0 up
    done
    # mpirun starts its daemon on the other host with this instead of ssh.
    cat > "$work/agent.sh" <<EOF
#!/bin/sh
host=\$1; shift
exec ip netns exec dpa-\$host-$id unshare --uts sh -c "hostname \$host; \$*"
EOF
    chmod +x "$work/agent.sh"
    printf 'h1 slots=1\nh2 slots=1\n' > "$work/hostfile"
}

# mpirun across the two hosts (one rank on each), from h1; any arguments after it.
two() {
    timeout 300 ip netns exec "$h1" unshare --uts sh -c 'hostname h1; exec "$@"' sh \
        mpirun --hostfile "$work/hostfile" -n 2 --map-by node \
        --mca plm_rsh_agent "$work/agent.sh" \
        --mca btl tcp,self --mca btl_tcp_if_include dpa0 --mca oob_tcp_if_include dpa0 \
        "$bin" "$@"
}
# The same job on this host alone.
one() { timeout 300 mpirun -n 2 "$bin" "$@"; }

same() { cmp -s "$1" "$2" || fail "$1 differs from $2"; }
# The sidecar's or manifest's claims that do not depend on where the ranks ran.
claims() {
    "$python" -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(json.dumps({k: d.get(k) for k in ("metadata", "statistics", "segments", "config", "seeding", "num_samples")}, sort_keys=True))' "$1"
}
same_claims() {
    local a b
    a=$(claims "$1") b=$(claims "$2")
    [[ "$a" == "$b" ]] || fail "$1 claims $a; $2 claims $b"
}
hosts_of() {
    "$python" -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(" ".join(sorted({s["host"] for s in d.get("shards") or d.get("ranks")})))' "$1"
}
same_dir() {
    local f
    for f in "$1"/shard-*; do
        case "$f" in *.done.json) continue ;; esac
        same "$f" "$2/$(basename "$f")"
    done
    same_claims "$1/manifest.json" "$2/manifest.json"
}

rows=300000
identical() {
    step "a shared file and shards, identical to one host's ($1)"
    local d="$work/$2"
    mkdir -p "$d"
    two generate -q -n "$rows" -o "$d/x.npy"
    two generate -q -n "$rows" --format npy --output-dir "$d/npy"
    two generate -q -n "$rows" --format jsonl --output-dir "$d/jsonl"
    same "$d/x.npy" "$work/one/x.npy"
    same "$d/x.npy" "$work/one/ref.npy"
    same_claims "$d/x.npy.json" "$work/one/x.npy.json"
    same_dir "$d/npy" "$work/one/npy"
    same_dir "$d/jsonl" "$work/one/jsonl"
    [[ $(hosts_of "$d/x.npy.json") == "h1 h2" ]] || fail "the sidecar names $(hosts_of "$d/x.npy.json")"
    [[ $(hosts_of "$d/npy/manifest.json") == "h1 h2" ]] || fail "the manifest names $(hosts_of "$d/npy/manifest.json")"
}

# Starts a two-host job in the background, kills the rank on h2 once MARK is there with
# MIN bytes at least (a shared file's progress record of rank 1: 16 MiB of its rows are
# on disk; or its partial shard), and checks how the job ended.
kill_on_h2() {
    local out=$1 mark=$2 min=$3; shift 3
    two "$@" > "$work/killed.log" 2>&1 &
    local job=$! pid="" t0 t1 waited=0
    until [[ -e "$mark" ]] && (( $(stat -c %s "$mark") >= min )); do
        sleep 0.05
        waited=$((waited + 1))
        (( waited < 1200 )) || fail "no $mark after 60 s"
    done
    for p in $(ip netns pids "$h2"); do
        [[ $(cat "/proc/$p/comm" 2>/dev/null) == dpa-mpi ]] && pid=$p
    done
    [[ -n "$pid" ]] || fail "no dpa-mpi process on h2"
    t0=$(date +%s.%N)
    kill -9 "$pid"
    if wait "$job"; then fail "the job exited 0 after its rank on h2 was killed"; fi
    t1=$(date +%s.%N)
    local took
    took=$(echo "$t1 - $t0" | bc)
    echo "   the job ended $took s after the kill"
    (( $(echo "$took < 5" | bc) )) || fail "the job took $took s to end after the kill"
    grep -Eq "rank 1 .*(on node|host) h2|h2.*rank 1" "$work/killed.log" ||
        { cat "$work/killed.log"; fail "no message names rank 1 on h2"; }
    [[ ! -e "$out" ]] || fail "$out is at its final name after a failed job"
}

main() {
    setup_hosts
    local big=6000000
    step "one host: the runs to compare with"
    mkdir -p "$work/one"
    "$dpa" generate -q -n "$rows" --format npy -o "$work/one/ref.npy"
    one generate -q -n "$rows" -o "$work/one/x.npy"
    one generate -q -n "$rows" --format npy --output-dir "$work/one/npy"
    one generate -q -n "$rows" --format jsonl --output-dir "$work/one/jsonl"
    one generate -q -n "$big" -t 1 -o "$work/one/big.npy"
    one generate -q -n "$big" -t 1 --format npy --output-dir "$work/one/bigdir"

    identical "no cap" two

    step "the rank on h2 killed mid-run (shared file), then --resume on two hosts"
    local s="$work/kill"
    mkdir -p "$s"
    kill_on_h2 "$s/big.npy" "$s/big.npy.partial.rank-00001-of-00002" 1 generate -n "$big" -t 1 -o "$s/big.npy"
    two generate -q -n "$big" -t 1 -o "$s/big.npy" --resume
    same "$s/big.npy" "$work/one/big.npy"
    same_claims "$s/big.npy.json" "$work/one/big.npy.json"

    step "the same killed on two hosts, then --resume on one host"
    rm -f "$s"/big.npy*
    kill_on_h2 "$s/big.npy" "$s/big.npy.partial.rank-00001-of-00002" 1 generate -n "$big" -t 1 -o "$s/big.npy"
    one generate -q -n "$big" -t 1 -o "$s/big.npy" --resume
    same "$s/big.npy" "$work/one/big.npy"

    step "shards: killed on two hosts, --resume on two hosts"
    kill_on_h2 "$s/dir/manifest.json" "$s/dir/shard-00001-of-00002.npy.partial" $((32 << 20)) \
        generate -n "$big" -t 1 --format npy --output-dir "$s/dir"
    two generate -q -n "$big" -t 1 --format npy --output-dir "$s/dir" --resume
    same_dir "$s/dir" "$work/one/bigdir"

    local ns
    for ns in "$h1" "$h2"; do
        ip netns exec "$ns" tc qdisc add dev dpa0 root tbf rate 200mbit burst 32kbit latency 400ms
    done
    identical "200 Mbit/s cap on the link" capped
    echo "-- two hosts: all checks passed"
}

main
