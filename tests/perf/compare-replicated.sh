#!/usr/bin/env bash
# Side-by-side benchmark of a replicated AkkaRepl cluster against a replicated Redis 7, in one run, on loopback:
#   AkkaRepl: `akkarepl cluster --nodes 3` (1 primary + 2 replicas, separate processes), every node fdatasyncs
#             its WAL; SETs at durability quorum (primary + 1 replica flushed) and local (primary flushed)
#   Redis:    primary + 1 replica, both appendonly yes, appendfsync always (Redis replicates asynchronously:
#             its SET is acknowledged after the primary's fsync only)
# Figures (all measured in this run, reported as ratios):
#   - SET throughput, C clients, redis-benchmark -t set -d 100: AkkaRepl quorum vs local (same cluster, via
#     `akkarepl bench resp --durability`, in the order quorum, local, local, quorum; medians), and AkkaRepl
#     (cluster default = quorum) vs Redis (redis-benchmark)
#   - single-client SET median latency at quorum vs (disk's fdatasync p50 + loopback request RTT), where the RTT
#     is the single-client GET median against the same primary (same tool, no durability work)
# Usage: tests/perf/compare-replicated.sh [--install] [--requests N] [--clients C] [--rounds R] [--warmup N]
# --warmup N (default 100000; 0 = none): a discarded redis-benchmark SET pass of N requests against each freshly started
# primary before its measured runs (the nodes' JIT re-tiers its hot paths for a minute or two after start; Redis gets
# the same pass). Without it the first measured AkkaRepl run, redis-benchmark's, ran on a cold cluster: 23-27k SET/s
# where the warm same-cluster bench resp runs right after did 32-36k (2026-11-23 22:20).
# Prints a Markdown table and writes it to artifacts/bench-replicated.md.
set -euo pipefail
cd "$(dirname "$0")/../.."

requests=200000; clients=64; rounds=1; install=0; latency_requests=3000; warmup=100000
while [ $# -gt 0 ]; do
  case "$1" in
    --install) install=1 ;;
    --requests) requests="$2"; shift ;;
    --clients) clients="$2"; shift ;;
    --rounds) rounds="$2"; shift ;;
    --warmup) warmup="$2"; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

if [ "$install" = 1 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server redis-tools >/dev/null
fi
for tool in redis-server redis-benchmark redis-cli; do
  command -v "$tool" >/dev/null || { echo "$tool not found: run with --install (Debian's redis-server, redis-tools)" >&2; exit 2; }
done

work=$(mktemp -d /var/tmp/akkarepl-repl.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]:-}"; do kill -TERM "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

dotnet build src/AkkaRepl.Server -c Release -v q -nologo >/dev/null
mkdir -p artifacts
bin=src/AkkaRepl.Server/bin/Release/net10.0/akkarepl.dll
akkarepl() { dotnet "$bin" "$@"; }
field() { sed -n "s/^$1=//p"; }

# redis-benchmark SET only; prints req/s.
rb_set() {  # $1 port, $2 requests (default --requests)
  redis-benchmark -p "$1" -t set -n "${2:-$requests}" -c "$clients" -d 100 -r 100000 -q 2>/dev/null \
    | tr '\r' '\n' | awk '/^SET:/{s=$2} END{print s}'
}

source tests/perf/redis-pair.sh   # start_redis, stop_redis

start_cluster() {
  rm -rf "$work/cluster"
  # Started directly (not through the shell function) so $! is the process itself; a background job of a
  # non-interactive shell ignores SIGINT, so it is stopped with SIGTERM, which `akkarepl cluster` handles the same way.
  dotnet "$bin" cluster --nodes 3 --dir "$work/cluster" --durability "$1" >"$work/cluster.out" 2>"$work/cluster.err" &
  cluster_pid=$!; pids+=("$cluster_pid")
  for _ in $(seq 600); do
    akka_port=$(sed -n 's/^Cluster ready. Primary n[0-9]*: redis-cli -p \([0-9]*\);.*/\1/p' "$work/cluster.out")
    [ -n "$akka_port" ] && return
    kill -0 "$cluster_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "akkarepl cluster did not start" >&2; cat "$work/cluster.out" "$work/cluster.err" >&2; exit 1
}
stop_cluster() {
  cp "$work/cluster.err" "artifacts/bench-replicated-cluster-$round.log" 2>/dev/null || true
  kill -TERM "$cluster_pid" 2>/dev/null || true; wait "$cluster_pid" 2>/dev/null || true
}

# The physical limits, same run: fdatasync rate (append) and latency (overwrite in place, as a preallocated WAL segment).
fsync_rate=$(akkarepl bench fsync --dir "$work" --seconds 3 | field fdatasync_per_second)
fsync_p50=$(akkarepl bench fsync --dir "$work" --seconds 3 --overwrite | field fdatasync_p50_us)

declare -a r_set q_rb q_tool l_tool r_tool q_p50 l_p50 rtt_p50 r_p50
for round in $(seq "$rounds"); do
  start_redis
  [ "$warmup" -gt 0 ] && rb_set 16379 "$warmup" >/dev/null
  r_set+=("$(rb_set 16379)")
  out=$(akkarepl bench resp --port 16379 --clients "$clients" --requests "$requests" --mix set)
  r_tool+=("$(echo "$out" | field requests_per_second)")
  out=$(akkarepl bench resp --port 16379 --clients 1 --requests "$latency_requests" --mix set)
  r_p50+=("$(echo "$out" | field p50_us)")
  stop_redis

  start_cluster quorum
  [ "$warmup" -gt 0 ] && rb_set "$akka_port" "$warmup" >/dev/null
  q_rb+=("$(rb_set "$akka_port")")
  # quorum, local, local, quorum: each level runs as often early as late, so neither gets the warmer JIT (a fresh
  # cluster's runs get faster for a minute or two while its hot paths are re-tiered; see --warmup) or the shorter WAL.
  for level in quorum local local quorum; do
    out=$(akkarepl bench resp --port "$akka_port" --clients "$clients" --requests "$requests" --mix set --durability "$level")
    rate=$(echo "$out" | field requests_per_second)
    if [ "$level" = quorum ]; then q_tool+=("$rate"); else l_tool+=("$rate"); fi
  done
  out=$(akkarepl bench resp --port "$akka_port" --clients 1 --requests "$latency_requests" --mix set --durability quorum)
  q_p50+=("$(echo "$out" | field p50_us)")
  out=$(akkarepl bench resp --port "$akka_port" --clients 1 --requests "$latency_requests" --mix set --durability local)
  l_p50+=("$(echo "$out" | field p50_us)")
  out=$(akkarepl bench resp --port "$akka_port" --clients 1 --requests "$latency_requests" --mix get)
  rtt_p50+=("$(echo "$out" | field p50_us)")
  stop_cluster
  echo "round $round: redis set=${r_set[-1]} (tool ${r_tool[-1]}, 1-client p50 ${r_p50[-1]} us)  akkarepl quorum set=${q_rb[-1]} (tool ${q_tool[-2]}, ${q_tool[-1]}) local (tool ${l_tool[-2]}, ${l_tool[-1]}) 1-client quorum p50 ${q_p50[-1]} us local p50 ${l_p50[-1]} us, GET rtt p50 ${rtt_p50[-1]} us" >&2
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END{ if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b>0) printf "%.2f", a/b; else print "n/a" }'; }
RS=$(median "${r_set[@]}"); RT=$(median "${r_tool[@]}"); QB=$(median "${q_rb[@]}"); QT=$(median "${q_tool[@]}"); LT=$(median "${l_tool[@]}")
QP=$(median "${q_p50[@]}"); LP=$(median "${l_p50[@]}"); RTT=$(median "${rtt_p50[@]}"); RP=$(median "${r_p50[@]}")
IDEAL=$(awk -v f="$fsync_p50" -v r="$RTT" 'BEGIN{print f+r}')

mkdir -p artifacts
{
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); date: $(date -u +%Y-%m-%dT%H:%MZ); load: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "SET throughput: $clients clients, $requests requests, 100-byte values, 100,000 keys (median of $rounds round(s)); each server freshly started, then $( [ "$warmup" -gt 0 ] && echo "a discarded warm-up pass of $warmup SETs" || echo "no warm-up"); AkkaRepl quorum and local by bench resp in the order quorum, local, local, quorum each round (medians of all); latency: 1 client, $latency_requests requests"
  echo "Disk: ${fsync_rate} fdatasync/s (4 KiB append + fdatasync), p50 ${fsync_p50} us (4 KiB overwrite + fdatasync), same run"
  echo
  echo "| figure | value | ratio | target |"
  echo "|---|---:|---:|---|"
  echo "| AkkaRepl quorum SET req/s (akkarepl bench resp) | $QT | $(ratio "$QT" "$LT") x local | >= 0.8 |"
  echo "| AkkaRepl local SET req/s (same cluster) | $LT | | |"
  echo "| AkkaRepl quorum SET req/s (redis-benchmark) | $QB | $(ratio "$QB" "$RS") x Redis | >= 1.0 |"
  echo "| Redis primary+replica SET req/s (redis-benchmark) | $RS | | |"
  echo "| AkkaRepl quorum SET req/s vs Redis, both with akkarepl bench resp | $QT / $RT | $(ratio "$QT" "$RT") x Redis | |"
  echo "| 1-client quorum SET p50 us | $QP | $(ratio "$QP" "$IDEAL") x (fdatasync p50 + RTT) | <= 1.5 |"
  echo "| 1-client local SET p50 us (same cluster) | $LP | $(ratio "$LP" "$IDEAL") x (fdatasync p50 + RTT) | |"
  echo "| fdatasync p50 + request RTT (1-client GET p50) us | $fsync_p50 + $RTT = $IDEAL | | |"
  echo "| Redis 1-client SET p50 us (appendfsync always) | $RP | | |"
  echo
  echo "Replication links dropped during the AkkaRepl runs: $(cat artifacts/bench-replicated-cluster-*.log 2>/dev/null | grep -c 'Replication link to' || true) (node logs: artifacts/bench-replicated-cluster-*.log)"
} | tee artifacts/bench-replicated.md
