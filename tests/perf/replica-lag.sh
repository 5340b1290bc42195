#!/usr/bin/env bash
# Replica apply lag at full load (issue 3: "Async (local) at full load: replica apply lag p99 under 10 ms,
# reported from /status samples"). Starts `akkarepl cluster --nodes 3` (Release build), runs
# `akkarepl bench resp --durability local --clients 64` against the primary while `--sample-lag` polls the
# primary's /status every 100 ms, and prints lag p50/p99/max in ms and bytes. Data under --dir, deleted after.
#   tests/perf/replica-lag.sh [--seconds 20] [--clients 64] [--durability local] [--dir DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=20; clients=64; durability=local; base_port=17800; dir=/var/tmp/akkarepl-lag-bench
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --clients) clients=$2; shift 2 ;;
    --durability) durability=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --base-port) base_port=$2; shift 2 ;;
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
  port=$(sed -n 's/^Cluster ready. Primary n1: redis-cli -p \([0-9]*\);.*/\1/p' "$dir/cluster.out")
  [ -n "$port" ] && break
  kill -0 "$cluster_pid" 2>/dev/null || { cat "$dir/cluster.out" "$dir/cluster.err" >&2; exit 1; }
  sleep 0.1
done
[ -n "${port:-}" ] || { echo "cluster did not start" >&2; exit 1; }
# Never load a cluster that someone else started on shared ports.
[ "$port" = "$base_port" ] || { echo "the cluster reports port $port, not --base-port $base_port" >&2; exit 1; }
http1=$(sed -n 's/.*id = n1, host = "127.0.0.1", resp-port = [0-9]*, http-port = \([0-9]*\).*/\1/p' "$dir/cluster/members.conf")
echo "date: $(date -u +%Y-%m-%dT%H:%MZ); load: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"
echo "command: akkarepl bench resp --port $port --clients $clients --seconds $seconds --mix set --durability $durability --sample-lag 127.0.0.1:$http1"
dotnet "$bin" bench resp --port "$port" --clients "$clients" --seconds "$seconds" --mix set --durability "$durability" --sample-lag "127.0.0.1:$http1"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "replication links dropped: $(grep -c 'Replication link to' "$dir/cluster.err" || true)"
