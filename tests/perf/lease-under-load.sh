#!/usr/bin/env bash
# Leadership under load: does the primary keep its lease while it is busy? Starts `akkarepl cluster --nodes N` from each
# build given, runs SETs from 64 clients for S seconds at `replicas 1`, and counts the run's error replies (READONLY or
# LEASELOST after a step-down) and the role changes the primary's /status lists after start-up. Builds alternate per
# round. Meant for a crowded machine: that is where a heartbeat that waits behind client work lets a lease lapse.
# Usage: tests/perf/lease-under-load.sh [--rounds R] [--seconds S] [--nodes N] [--client DIR] [--hogs K] [--no-load] NAME=DIR_WITH_akkarepl.dll ...
#   --no-load: no client load, the cluster idles for S seconds (with --hogs: is it the machine alone).
#   --hogs K: K busy loops run beside the cluster in every run (a crowded machine made on purpose).
#   --client DIR: run the load (`akkarepl bench resp`) from this build for every build measured (default: each its own).
set -euo pipefail
rounds=3; seconds=20; nodes=2; builds=(); client=""; noload=""; hogs=0; hog_pids=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift ;;
    --seconds) seconds="$2"; shift ;;
    --nodes) nodes="$2"; shift ;;
    --client) client="$2/akkarepl.dll"; shift ;;
    --hogs) hogs="$2"; shift ;;
    --no-load) noload=1 ;;
    *=*) builds+=("$1") ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done
[ ${#builds[@]} -gt 0 ] || { echo "name at least one build: NAME=DIR (the folder holding akkarepl.dll)" >&2; exit 2; }
work=$(mktemp -d /var/tmp/akkarepl-lease.XXXXXX); pid=""
cleanup() { [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; for h in "${hog_pids[@]:-}"; do [ -n "$h" ] && kill "$h" 2>/dev/null; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
echo "| round | build | load | SETs/s | error replies | first error | role changes after start-up |"
echo "|---:|---|---|---:|---:|---|---:|"
for round in $(seq "$rounds"); do
  for b in "${builds[@]}"; do
    name=${b%%=*}; bin=${b#*=}/akkarepl.dll
    rm -rf "$work/c"
    dotnet "$bin" cluster --nodes "$nodes" --dir "$work/c" > "$work/out" 2> "$work/err" & pid=$!
    port=""; http=""
    for _ in $(seq 600); do
      port=$(sed -n 's/^Cluster ready. Primary n[0-9]*: redis-cli -p \([0-9]*\);.*/\1/p' "$work/out")
      http=$(sed -n 's/^Cluster ready.*--node 127.0.0.1:\([0-9]*\)\..*/\1/p' "$work/out")
      [ -n "$port" ] && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.1
    done
    [ -n "$port" ] || { echo "$name: the cluster did not start" >&2; cat "$work/err" >&2; exit 1; }
    for _ in $(seq "$hogs"); do (while :; do :; done) & hog_pids+=($!); done
    before=$(curl -s "http://127.0.0.1:$http/status" | jq '.events | length')
    load=$(cut -d' ' -f1 /proc/loadavg)
    if [ -n "$noload" ]; then sleep "$seconds"; o=""
    else o=$(dotnet "${client:-$bin}" bench resp --port "$port" --clients 64 --seconds "$seconds" --mix set --durability "replicas 1" 2>/dev/null) || true; fi
    after=$(curl -s "http://127.0.0.1:$http/status" | jq '.events | length')
    for h in "${hog_pids[@]:-}"; do [ -n "$h" ] && kill "$h" 2>/dev/null; done; hog_pids=()
    rps=$(echo "$o" | sed -n 's/^requests_per_second=//p'); errors=$(echo "$o" | sed -n 's/^errors=//p')
    first=$(echo "$o" | sed -n 's/^first_error=//p' | cut -c1-60)
    echo "| $round | $name | $load | ${rps:-?} | ${errors:-?} | ${first:--} | $((after - before)) |"
    kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=""
  done
done
