#!/usr/bin/env bash
# Where the time goes, independent of machine load: CPU microseconds (user+system, from /proc/PID/stat) that each
# server process spends per request, for the same load from `akkarepl bench resp`:
#   Redis 7 (appendfsync always) | one AkkaRepl node | a 3-node AkkaRepl cluster at durability local and quorum
# Usage: tests/perf/cpu-per-request.sh [--requests N] [--clients C] [--pipeline P] [--mix set|get|S:G]
#          [--tool bench|redis-benchmark] [--single]
# --tool redis-benchmark: the load is `redis-benchmark -t MIX -d 100` (MIX set or get), the client of issue 2's target.
# --single: Redis and one node only (no 3-node cluster).
# Linux only (reads /proc). Prints a Markdown table and writes it to artifacts/bench-cpu-per-request.md.
set -euo pipefail
cd "$(dirname "$0")/../.."

requests=100000; clients=64; pipeline=1; mix=set; tool=bench; single=0
while [ $# -gt 0 ]; do
  case "$1" in
    --requests) requests="$2"; shift ;;
    --clients) clients="$2"; shift ;;
    --pipeline) pipeline="$2"; shift ;;
    --mix) mix="$2"; shift ;;
    --tool) tool="$2"; shift ;;
    --single) single=1 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done
command -v redis-server >/dev/null || { echo "redis-server not found (apt-get install redis-server)" >&2; exit 2; }

work=$(mktemp -d /var/tmp/akkarepl-cpu.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]:-}"; do kill -TERM "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
dotnet build src/AkkaRepl.Server -c Release -v q -nologo >/dev/null
bin=src/AkkaRepl.Server/bin/Release/net10.0/akkarepl.dll
hz=$(getconf CLK_TCK)

# CPU ticks (utime + stime) of a process.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# Context switches (voluntary + involuntary) summed over the process's live threads: each voluntary one is a
# thread going to sleep to wait, so per request they count the hand-offs between threads on the request path.
switches() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/^(non)?voluntary_ctxt_switches/{n+=$2} END{print n+0}'; }
# Runs the load against port $1 while measuring the CPU of the pids given after it; prints "rps us1 us2 ...".
measure() {
  local port=$1; shift
  local before=() after=() sw_before=() sw_after=() p out rps
  for p in "$@"; do before+=("$(ticks "$p")"); sw_before+=("$(switches "$p")"); done
  if [ "$tool" = redis-benchmark ]; then
    rps=$(redis-benchmark -p "$port" -t "$mix" -n "$requests" -c "$clients" -P "$pipeline" -d 100 -q 2>/dev/null \
      | tr '\r' '\n' | awk '/requests per second/{v=$2} END{print v}')
    out="requests_per_second=$rps"
  else
    out=$(dotnet "$bin" bench resp --port "$port" --clients "$clients" --requests "$requests" --pipeline "$pipeline" --mix "$mix" ${durability:+--durability "$durability"})
  fi
  for p in "$@"; do after+=("$(ticks "$p")"); sw_after+=("$(switches "$p")"); done
  rps=$(echo "$out" | sed -n 's/^requests_per_second=//p')
  local line="$rps"
  for i in "${!before[@]}"; do
    line="$line $(awk -v a="${before[$i]}" -v b="${after[$i]}" -v hz="$hz" -v n="$requests" 'BEGIN{printf "%.1f", (b-a)/hz*1e6/n}')"
  done
  local sw=0
  for i in "${!sw_before[@]}"; do sw=$((sw + ${sw_after[$i]} - ${sw_before[$i]})); done
  echo "$line $(awk -v s="$sw" -v n="$requests" 'BEGIN{printf "%.2f", s/n}')"
}

redis-server --save '' --daemonize no --dir "$work" --appendonly yes --appendfsync always --port 16395 --bind 127.0.0.1 >"$work/redis.log" 2>&1 &
rp=$!; pids+=("$rp")
for _ in $(seq 100); do redis-cli -p 16395 ping >/dev/null 2>&1 && break; sleep 0.1; done
durability=""; read -r redis_rps redis_us redis_sw < <(measure 16395 "$rp")
kill "$rp"; wait "$rp" 2>/dev/null || true

dotnet "$bin" node --data-dir "$work/n1" --resp-port 0 --http-port 0 --repl-port 0 --log-level Warning >"$work/n1.out" 2>"$work/n1.err" &
np=$!; pids+=("$np")
for _ in $(seq 300); do port=$(sed -n 's/^READY .* resp=\([0-9]*\) .*/\1/p' "$work/n1.out"); [ -n "$port" ] && break; sleep 0.1; done
read -r node_rps node_us node_sw < <(measure "$port" "$np")
kill -TERM "$np"; wait "$np" 2>/dev/null || true

if [ "$single" = 0 ]; then
dotnet "$bin" cluster --nodes 3 --dir "$work/cluster" >"$work/cluster.out" 2>"$work/cluster.err" &
cp=$!; pids+=("$cp")
for _ in $(seq 600); do port=$(sed -n 's/^Cluster ready. Primary n[0-9]*: redis-cli -p \([0-9]*\);.*/\1/p' "$work/cluster.out"); [ -n "$port" ] && break; sleep 0.1; done
mapfile -t nodes < <(for n in 1 2 3; do pgrep -f -- "--config $work/cluster/n$n.conf" | head -1; done)
durability=local; read -r local_rps l1 l2 l3 local_sw < <(measure "$port" "${nodes[@]}")
durability=quorum; read -r quorum_rps q1 q2 q3 quorum_sw < <(measure "$port" "${nodes[@]}")
kill -TERM "$cp"; wait "$cp" 2>/dev/null || true
fi

mkdir -p artifacts
{
  echo "date: $(date -u +%Y-%m-%dT%H:%MZ); load: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"
  if [ "$tool" = redis-benchmark ]; then echo "load: redis-benchmark -t $mix -n $requests -c $clients -P $pipeline -d 100"
  else echo "load: akkarepl bench resp --clients $clients --requests $requests --pipeline $pipeline --mix $mix"; fi
  echo
  echo "| server | req/s | CPU us per request (per process) | total CPU us/request | vs Redis | context switches/request (all server processes) |"
  echo "|---|---:|---|---:|---:|---:|"
  echo "| Redis appendfsync always | $redis_rps | $redis_us | $redis_us | 1.00 | $redis_sw |"
  echo "| AkkaRepl node | $node_rps | $node_us | $node_us | $(awk -v a="$node_us" -v b="$redis_us" 'BEGIN{printf "%.2f", a/b}') | $node_sw |"
  [ "$single" = 1 ] && exit 0
  echo "| AkkaRepl 3 nodes, local | $local_rps | primary $l1, replicas $l2 / $l3 | $(awk -v a="$l1" -v b="$l2" -v c="$l3" 'BEGIN{print a+b+c}') | $(awk -v a="$l1" -v b="$l2" -v c="$l3" -v r="$redis_us" 'BEGIN{printf "%.2f", (a+b+c)/r}') | $local_sw |"
  echo "| AkkaRepl 3 nodes, quorum | $quorum_rps | primary $q1, replicas $q2 / $q3 | $(awk -v a="$q1" -v b="$q2" -v c="$q3" 'BEGIN{print a+b+c}') | $(awk -v a="$q1" -v b="$q2" -v c="$q3" -v r="$redis_us" 'BEGIN{printf "%.2f", (a+b+c)/r}') | $quorum_sw |"
} | tee artifacts/bench-cpu-per-request.md
