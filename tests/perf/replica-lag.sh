#!/usr/bin/env bash
# Replica apply lag at full load (issue 3: "Async (local) at full load: replica apply lag p99 under 10 ms,
# reported from /status samples"). Starts `akkarepl cluster --nodes 3` (Release build), runs
# `akkarepl bench resp --durability local --clients 64` against the primary while `--sample-lag` polls the
# primary's /status every 100 ms, and prints lag p50/p99/max in ms and bytes. Data under --dir, deleted after.
# --rounds N runs the bench N times on the same cluster (one summary line per round with the load average, then
# the median p99). After each round it prints the replicas' WAL fdatasync count and the share of those that took
# longer than 10 ms (from their /metrics histogram): a replica applies only what it flushed, so fdatasync time on
# the shared disk is a floor under the apply lag.
# --warmup S (default 10; 0: none) first runs the same load for S seconds, unmeasured: a freshly started node re-tiers
# its hot paths for a while, and that JIT work (and its stalls) landed in the first measured round.
#   tests/perf/replica-lag.sh [--seconds 20] [--clients 64] [--durability local] [--rounds 1] [--warmup 10] [--dir DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=20; clients=64; durability=local; rounds=1; warmup=10; base_port=17800; dir=/var/tmp/akkarepl-lag-bench
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --clients) clients=$2; shift 2 ;;
    --durability) durability=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --base-port) base_port=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
bin=${AKKAREPL_BIN:-src/AkkaRepl.Server/bin/Release/net10.0/akkarepl.dll}  # AKKAREPL_BIN: another build to compare
[ -f "$bin" ] || { echo "build first: dotnet build src/AkkaRepl.Server -c Release" >&2; exit 2; }
rm -rf "$dir"; mkdir -p "$dir"; : >"$dir/cluster.out"  # exists before the background job opens it
dotnet "$bin" cluster --nodes 3 --base-port "$base_port" --dir "$dir/cluster" --durability "$durability" >"$dir/cluster.out" 2>"$dir/cluster.err" &
cluster_pid=$!
cleanup() { kill -TERM "$cluster_pid" 2>/dev/null || true; wait "$cluster_pid" 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
for _ in $(seq 600); do
  port=$(sed -n 's/^Cluster ready. Primary n[0-9]*: redis-cli -p \([0-9]*\);.*/\1/p' "$dir/cluster.out")
  [ -n "$port" ] && break
  kill -0 "$cluster_pid" 2>/dev/null || { cat "$dir/cluster.out" "$dir/cluster.err" >&2; exit 1; }
  sleep 0.1
done
[ -n "${port:-}" ] || { echo "cluster did not start" >&2; exit 1; }
# Never load a cluster that someone else started on shared ports.
[ "$port" = "$base_port" ] || { echo "the cluster reports port $port, not --base-port $base_port" >&2; exit 1; }
http1=$(sed -n 's/.*id = n1, host = "127.0.0.1", resp-port = [0-9]*, http-port = \([0-9]*\).*/\1/p' "$dir/cluster/members.conf")
http_of() { sed -n "s/.*id = $1, host = \"127.0.0.1\", resp-port = [0-9]*, http-port = \([0-9]*\).*/\1/p" "$dir/cluster/members.conf"; }
# fdatasync calls of a node's WAL so far, and how many took over 10 ms (cumulative histogram buckets, in seconds).
syncs() {
  curl -s "http://127.0.0.1:$(http_of "$1")/metrics" | awk '
    /^akkarepl_wal_sync_duration_seconds_count/ { n = $NF }
    /^akkarepl_wal_sync_duration_seconds_bucket/ && /le="0.01"/ { le10 = $NF }
    END { printf "%d %d", n, n - le10 }'
}
echo "date: $(date -u +%Y-%m-%dT%H:%MZ); load: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"
echo "command: akkarepl bench resp --port $port --clients $clients --seconds $seconds --mix set --durability $durability --sample-lag 127.0.0.1:$http1"
if [ "$warmup" -gt 0 ]; then
  dotnet "$bin" bench resp --port "$port" --clients "$clients" --seconds "$warmup" --mix set --durability "$durability" >"$dir/warmup.out" 2>&1 \
    || { echo "the warm-up failed:" >&2; tail -15 "$dir/warmup.out" >&2; exit 1; }
  echo "warm-up: $warmup s of the same load, not measured ($(sed -n 's/^requests_per_second=//p' "$dir/warmup.out") SET/s)"
fi
p99s=()
for round in $(seq "$rounds"); do
  read -r n2_before n2_slow_before <<<"$(syncs n2)"; read -r n3_before n3_slow_before <<<"$(syncs n3)"
  load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  dotnet "$bin" bench resp --port "$port" --clients "$clients" --seconds "$seconds" --mix set --durability "$durability" --sample-lag "127.0.0.1:$http1" >"$dir/bench-$round.out" 2>&1 \
    || { echo "round $round: the bench failed:" >&2; grep -v '^bench resp:' "$dir/bench-$round.out" | tail -15 >&2; exit 1; }
  read -r n2_after n2_slow_after <<<"$(syncs n2)"; read -r n3_after n3_slow_after <<<"$(syncs n3)"
  p99=$(sed -n 's/^lag_p99_ms=//p' "$dir/bench-$round.out")
  p99s+=("$p99")
  echo "round $round: $(date -u +%H:%M:%S) UTC, load before $load_before, after $(cut -d' ' -f1-3 /proc/loadavg): $(sed -n 's/^requests_per_second=//p' "$dir/bench-$round.out") SET/s; $(grep '^replica lag from' "$dir/bench-$round.out"); replica fdatasyncs over 10 ms: n2 $((n2_slow_after - n2_slow_before)) of $((n2_after - n2_before)), n3 $((n3_slow_after - n3_slow_before)) of $((n3_after - n3_before))"
done
[ "$rounds" -gt 1 ] || cat "$dir/bench-1.out"
echo "lag_p99_ms_all=${p99s[*]}"
echo "lag_p99_ms_median=$(printf '%s\n' "${p99s[@]}" | sort -g | awk '{a[NR]=$1} END {print (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2)}')"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "replication links dropped: $(grep -c 'Replication link to' "$dir/cluster.err" || true)"
