#!/usr/bin/env bash
# A/B of CPU per request between builds: Redis 7 (appendonly yes, appendfsync always) and one node of each build,
# alternating within every round, under `redis-benchmark -t MIX -n REQUESTS -c 64 -d 100` (issue 2's client).
# Prints one line per server and round: req/s, CPU us per request (utime + stime of the server process, /proc/PID/stat)
# and context switches per request (voluntary + involuntary, all its threads), with the load average and the time.
# The same measurement as tests/perf/cpu-per-request.sh --tool redis-benchmark --single, for builds made elsewhere
# (e.g. main built in a second worktree). Take medians over rounds: on a shared machine single rounds swing +-20 %.
# Usage: tests/perf/cpu-per-request-ab.sh MIX REQUESTS ROUNDS NAME=path/to/akkarepl.dll[:VAR=value,VAR=value] ...
#   e.g. tests/perf/cpu-per-request-ab.sh set 200000 3 base=/work/wt-base/src/AkkaRepl.Server/bin/Release/net10.0/akkarepl.dll \
#          branch=src/AkkaRepl.Server/bin/Release/net10.0/akkarepl.dll
# ABDIR=/dev/shm puts the data directories on tmpfs (fdatasync is then free: CPU cost of the request path alone).
set -uo pipefail
[ $# -ge 4 ] || { sed -n '2,12p' "$0"; exit 2; }
mix=$1; requests=$2; rounds=$3; shift 3
command -v redis-server >/dev/null || { echo "redis-server not found (apt-get install redis-server redis-tools)" >&2; exit 2; }
hz=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
switches() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/^(non)?voluntary_ctxt_switches/{n+=$2} END{print n+0}'; }
measure() { # port pid -> "req/s us-per-request switches-per-request"
  local port=$1 p=$2 b sb a sa rps
  b=$(ticks "$p"); sb=$(switches "$p")
  rps=$(timeout 300 redis-benchmark -p "$port" -t "$mix" -n "$requests" -c 64 -d 100 -q 2>/dev/null | tr '\r' '\n' | awk '/requests per second/{v=$2} END{print v}')
  a=$(ticks "$p"); sa=$(switches "$p")
  awk -v r="$rps" -v a="$b" -v b="$a" -v hz="$hz" -v n="$requests" -v s1="$sb" -v s2="$sa" 'BEGIN{printf "%s %.1f %.2f\n", r, (b-a)/hz*1e6/n, (s2-s1)/n}'
}
work=$(mktemp -d "${ABDIR:-/var/tmp}/akkarepl-ab.XXXXXX")
pids=()
trap 'for p in "${pids[@]:-}"; do kill -TERM "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT
echo "server round req/s cpu-us/req switches/req load time(UTC)"
for r in $(seq "$rounds"); do
  redis-server --save '' --daemonize no --dir "$work" --appendonly yes --appendfsync always --port 16397 --bind 127.0.0.1 >"$work/redis.log" 2>&1 &
  rp=$!; pids+=("$rp")
  for _ in $(seq 100); do redis-cli -p 16397 ping >/dev/null 2>&1 && break; sleep 0.1; done
  echo "redis $r $(measure 16397 "$rp") $(cut -d' ' -f1 /proc/loadavg) $(date -u +%H:%M:%S)"
  kill "$rp"; wait "$rp" 2>/dev/null; rm -rf "$work/appendonlydir"
  for nb in "$@"; do
    name=${nb%%=*}; dll=${nb#*=}; extra=""
    case "$dll" in *:*) extra=${dll#*:}; extra=${extra//,/ }; dll=${dll%%:*} ;; esac
    rm -rf "$work/n1" "$work/n1.out" # the old READY line must not be read for the new node
    env $extra dotnet "$dll" node --data-dir "$work/n1" --resp-port 0 --http-port 0 --repl-port 0 --log-level Warning >"$work/n1.out" 2>"$work/n1.err" &
    np=$!; pids+=("$np"); port=""
    for _ in $(seq 300); do port=$(sed -n 's/^READY .* resp=\([0-9]*\) .*/\1/p' "$work/n1.out" 2>/dev/null); [ -n "$port" ] && break; sleep 0.1; done
    [ -n "$port" ] || { echo "$name did not start: $(tail -3 "$work/n1.err")" >&2; exit 1; }
    echo "$name $r $(measure "$port" "$np") $(cut -d' ' -f1 /proc/loadavg) $(date -u +%H:%M:%S)"
    kill -TERM "$np"; wait "$np" 2>/dev/null
  done
done
