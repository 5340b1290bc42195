#!/usr/bin/env bash
# Side-by-side benchmark of one AkkaRepl node against Redis 7 with the same durability, in one run:
#   Redis:    appendonly yes, appendfsync always (fsync before answering a write)
#   AkkaRepl: every SET answered only after fdatasync of its WAL record (group commit)
# Usage: tests/perf/compare-single-node.sh [--install] [--requests N] [--clients C] [--rounds R] [--warmup N]
# --install installs Debian's redis-server and redis-tools first (needs root and the apt registry).
# --warmup N (default 200000; 0 = none) runs the same redis-benchmark command with N requests against each freshly
# started server, and discards it, before the measured run: the node's JIT compiles and re-tiers its hot paths for
# a minute or two after start (its tiering thread alone takes 25-50 ms of CPU per second meanwhile), which a
# measured run right after start would charge to the node. Redis, compiled ahead of time, gets the same pass.
# Prints a Markdown table and writes it to artifacts/bench-single-node.md.
set -euo pipefail
cd "$(dirname "$0")/../.."

requests=500000; clients=64; rounds=2; install=0; warmup=200000
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

work=$(mktemp -d /var/tmp/akkarepl-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]:-}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

dotnet build src/AkkaRepl.Server -c Release -v q -nologo >/dev/null
bin=src/AkkaRepl.Server/bin/Release/net10.0/akkarepl.dll

# Runs redis-benchmark; prints "<set rps> <get rps>". $2: requests (default --requests).
bench() {
  redis-benchmark -p "$1" -t set,get -n "${2:-$requests}" -c "$clients" -d 100 -q 2>/dev/null \
    | tr '\r' '\n' | awk '/^SET:/{s=$2} /^GET:/{g=$2} END{print s, g}'
}

start_redis() {
  rm -rf "$work/redis"; mkdir -p "$work/redis"
  redis-server --save '' --daemonize no --dir "$work/redis" --appendonly yes --appendfsync always \
    --port 16379 --bind 127.0.0.1 >"$work/redis.log" 2>&1 &
  redis_pid=$!; pids+=("$redis_pid")
  for _ in $(seq 100); do redis-cli -p 16379 ping >/dev/null 2>&1 && return; sleep 0.1; done
  echo "redis-server did not start" >&2; cat "$work/redis.log" >&2; exit 1
}

start_akkarepl() {
  rm -rf "$work/akkarepl"
  : >"$work/akkarepl.out"
  dotnet "$bin" node --data-dir "$work/akkarepl" --resp-port 0 --http-port 0 --repl-port 0 --log-level Warning \
    >"$work/akkarepl.out" 2>"$work/akkarepl.err" &
  akka_pid=$!; pids+=("$akka_pid")
  for _ in $(seq 300); do
    akka_port=$(sed -n 's/^READY .* resp=\([0-9]*\) .*/\1/p' "$work/akkarepl.out")
    [ -n "$akka_port" ] && return
    sleep 0.1
  done
  echo "akkarepl did not start" >&2; cat "$work/akkarepl.err" >&2; exit 1
}

# The physical limit: how many fdatasyncs per second this disk does (4 KiB write + fdatasync, one thread).
fsync_rate=$(dotnet "$bin" bench fsync --dir "$work" --seconds 3 2>/dev/null | sed -n 's/^fdatasync_per_second=//p' || true)

declare -a rs rg as ag
for round in $(seq "$rounds"); do
  start_redis; [ "$warmup" -gt 0 ] && bench 16379 "$warmup" >/dev/null; read -r s g < <(bench 16379); kill "$redis_pid"; wait "$redis_pid" 2>/dev/null || true
  rs+=("$s"); rg+=("$g")
  start_akkarepl; [ "$warmup" -gt 0 ] && bench "$akka_port" "$warmup" >/dev/null; read -r s g < <(bench "$akka_port"); kill -TERM "$akka_pid"; wait "$akka_pid" 2>/dev/null || true
  as+=("$s"); ag+=("$g")
  echo "round $round: redis set=${rs[-1]} get=${rg[-1]}  akkarepl set=${as[-1]} get=${ag[-1]}" >&2
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END{ if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2 }'; }
RS=$(median "${rs[@]}"); RG=$(median "${rg[@]}"); AS=$(median "${as[@]}"); AG=$(median "${ag[@]}")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b>0) printf "%.2f", a/b; else print "n/a" }'; }

mkdir -p artifacts
{
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); date: $(date -u +%Y-%m-%dT%H:%MZ); load: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "Command: redis-benchmark -t set,get -n $requests -c $clients -d 100 (median of $rounds alternating rounds; each server freshly started, then $( [ "$warmup" -gt 0 ] && echo "a discarded warm-up pass of $warmup requests" || echo "no warm-up"))"
  echo "Disk: ${fsync_rate:-unknown} fdatasync/s (4 KiB write + fdatasync, one thread, same run)"
  echo
  echo "| | Redis $(redis-server --version | sed -n 's/.*v=\([0-9.]*\).*/\1/p') (appendfsync always) | AkkaRepl (fdatasync per ack) | ratio AkkaRepl/Redis |"
  echo "|---|---:|---:|---:|"
  echo "| SET req/s | $RS | $AS | $(ratio "$AS" "$RS") |"
  echo "| GET req/s | $RG | $AG | $(ratio "$AG" "$RG") |"
} | tee artifacts/bench-single-node.md
