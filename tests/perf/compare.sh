#!/usr/bin/env bash
# AkkaRepl side by side with Redis and PostgreSQL, in one run, on loopback, with the same client counts and durations.
#
#   AkkaRepl    `akkarepl cluster --nodes 2`: primary + 1 replica, both fdatasync their WAL; SET at durability
#               local (primary flushed), replicas 1 (replica flushed too) and applied 1 (replica applied too).
#   Redis       primary + replica, appendonly yes, appendfsync always; SET (acknowledged after the primary's fsync;
#               the replica is asynchronous) and SET + WAIT 1 (the replica has received it).
#   PostgreSQL  primary + synchronous standby (synchronous_standby_names), pgbench's simple-update (-N: one
#               transaction = UPDATE + SELECT + INSERT) with synchronous_commit off / local / on / remote_apply.
#
# Closest equivalents, compared as ratios (AkkaRepl / peer) at each client count:
#   local      vs Redis SET (both: the primary's fsync only)      and PostgreSQL synchronous_commit=local
#   replicas 1 vs PostgreSQL on (standby flushed)                  and Redis SET+WAIT 1 (replica received, not synced)
#   applied 1  vs PostgreSQL remote_apply (standby applied)
#   PostgreSQL off (no fsync wait at all) is listed for scale; AkkaRepl has no level that skips the local fsync.
# Also measured in the same run: the disk's fdatasync rate and latency and the loopback TCP round trip (the
# physical limits), and AkkaRepl's replication lag over time under load (3 nodes, local durability).
#
# Usage: tests/perf/compare.sh [--install] [--clients "1 8 32 64"] [--seconds S] [--rounds R] [--out DIR]
#                             [--failover-trials N | --no-failover]
#   --install   apt-get install Debian's redis-server, redis-tools, postgresql, jq first (needs root)
# Writes DIR (default artifacts/compare): results.csv (every point), report.md (tables and ratios),
# throughput.svg, latency-p99.svg, replication-lag.svg, failover.svg (kill -9 of the primary to the first write
# acknowledged by the new one, N trials with default election settings).
# PostgreSQL refuses to run as root: as root the script runs its server as the `postgres` user (runuser).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

clients_list="1 8 32 64"; seconds=5; rounds=1; install=0; out=artifacts/compare; failover=1; failover_trials=30
while [ $# -gt 0 ]; do
  case "$1" in
    --install) install=1 ;;
    --clients) clients_list="$2"; shift ;;
    --seconds) seconds="$2"; shift ;;
    --rounds) rounds="$2"; shift ;;
    --out) out="$2"; shift ;;
    --no-failover) failover=0 ;;
    --failover-trials) failover_trials="$2"; shift ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "compare.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

if [ "$install" = 1 ]; then
  echo "installing redis-server, redis-tools, postgresql, jq..." >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server redis-tools postgresql jq >/dev/null
fi
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
for tool in redis-server redis-cli jq curl; do
  command -v "$tool" >/dev/null || { echo "compare.sh: $tool not found: run with --install" >&2; exit 2; }
done
[ -n "$pgbin" ] && [ -x "$pgbin/pg_ctl" ] && [ -x "$pgbin/pgbench" ] || { echo "compare.sh: PostgreSQL not found under /usr/lib/postgresql: run with --install" >&2; exit 2; }

work=$(mktemp -d /var/tmp/akkarepl-compare.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  for p in "${pids[@]:-}"; do kill -TERM "$p" 2>/dev/null || true; done
  [ -d "$work/pg/primary" ] && as_pg "$pgbin/pg_ctl" -D "$work/pg/primary" -m immediate stop >/dev/null 2>&1 || true
  [ -d "$work/pg/standby" ] && as_pg "$pgbin/pg_ctl" -D "$work/pg/standby" -m immediate stop >/dev/null 2>&1 || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

echo "building akkarepl (Release)..." >&2
dotnet build src/AkkaRepl.Server -c Release -v q -nologo >/dev/null
bin=$root/src/AkkaRepl.Server/bin/Release/net10.0/akkarepl.dll
akkarepl() { dotnet "$bin" "$@"; }
field() { sed -n "s/^$1=//p"; }
mkdir -p "$out"
csv="$out/results.csv"
echo "system,level,clients,round,ops_per_second,p50_us,p99_us" > "$csv"
point() { echo "$1,$2,$3,$4,$5,$6,$7" >> "$csv"; echo "  $1 $2 c=$3: $5 ops/s p50 $6 us p99 $7 us" >&2; }
# A run that got error replies (e.g. -LEASELOST when a starved primary's lease lapsed) is not a point: it is left out of
# the medians, its first error is shown now and listed in the report, and the comparison goes on.
failures="$work/failures.txt"; : > "$failures"
failed() {
  local line
  line="$1 $2 c=$3 round $4: $(echo "$5" | field errors) error replies, first: $(echo "$5" | field first_error)"
  echo "$line" >> "$failures"; echo "  FAILED $line" >&2
}

# --- the physical limits, same run --------------------------------------------------------------------------
fsync_rate=$(akkarepl bench fsync --dir "$work" --seconds 3 | field fdatasync_per_second)
fsync_p50=$(akkarepl bench fsync --dir "$work" --seconds 3 --overwrite | field fdatasync_p50_us)
rtt_p50=$(akkarepl bench loopback --seconds 2 | field loopback_rtt_p50_us)
echo "disk: $fsync_rate fdatasync/s, p50 $fsync_p50 us; loopback RTT p50 $rtt_p50 us" >&2

# --- AkkaRepl ---------------------------------------------------------------------------------------------------
start_akkarepl() {  # $1 = nodes, $2 = default durability
  rm -rf "$work/akka"
  dotnet "$bin" cluster --nodes "$1" --dir "$work/akka" --durability "$2" >"$work/akka.out" 2>"$work/akka.err" &
  akka_pid=$!; pids+=("$akka_pid")
  for _ in $(seq 600); do
    akka_port=$(sed -n 's/^Cluster ready. Primary n[0-9]*: redis-cli -p \([0-9]*\);.*/\1/p' "$work/akka.out")
    akka_http=$(sed -n 's/^Cluster ready.*--node 127.0.0.1:\([0-9]*\)\..*/\1/p' "$work/akka.out")
    [ -n "$akka_port" ] && return
    kill -0 "$akka_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "akkarepl cluster did not start" >&2; cat "$work/akka.out" "$work/akka.err" >&2; exit 1
}
stop_akkarepl() { kill -TERM "$akka_pid" 2>/dev/null || true; wait "$akka_pid" 2>/dev/null || true; }
run_akkarepl() {  # $1 = level, $2 = clients, $3 = round
  local o
  o=$(akkarepl bench resp --port "$akka_port" --clients "$2" --seconds "$seconds" --mix set --durability "$1") || { failed akkarepl "$1" "$2" "$3" "$o"; return; }
  point akkarepl "$1" "$2" "$3" "$(echo "$o" | field requests_per_second)" "$(echo "$o" | field p50_us)" "$(echo "$o" | field p99_us)"
}

# --- Redis --------------------------------------------------------------------------------------------------------
source tests/perf/redis-pair.sh   # start_redis, stop_redis
run_redis() {  # $1 = level (set | set+wait1), $2 = clients, $3 = round
  local o wait=0
  [ "$1" = "set+wait1" ] && wait=1
  o=$(akkarepl bench resp --port 16379 --clients "$2" --seconds "$seconds" --mix set --wait-replicas "$wait") || { failed redis "$1" "$2" "$3" "$o"; return; }
  point redis "$1" "$2" "$3" "$(echo "$o" | field requests_per_second)" "$(echo "$o" | field p50_us)" "$(echo "$o" | field p99_us)"
}

# --- PostgreSQL -----------------------------------------------------------------------------------------------------
start_postgres() {
  rm -rf "$work/pg"; mkdir -p "$work/pg"; chown postgres: "$work/pg" 2>/dev/null || true
  as_pg "$pgbin/initdb" -D "$work/pg/primary" -A trust -U postgres >/dev/null
  cat >> "$work/pg/primary/postgresql.conf" <<EOF
port = 15432
listen_addresses = '127.0.0.1'
unix_socket_directories = '$work/pg'
max_connections = 300
shared_buffers = 256MB
wal_level = replica
max_wal_senders = 4
synchronous_standby_names = 'standby1'
EOF
  as_pg "$pgbin/pg_ctl" -D "$work/pg/primary" -l "$work/pg/primary.log" -w start >/dev/null
  as_pg "$pgbin/pg_basebackup" -h 127.0.0.1 -p 15432 -U postgres -D "$work/pg/standby" -X stream -R >/dev/null
  cat >> "$work/pg/standby/postgresql.auto.conf" <<EOF
port = 15433
primary_conninfo = 'host=127.0.0.1 port=15432 user=postgres application_name=standby1'
EOF
  as_pg "$pgbin/pg_ctl" -D "$work/pg/standby" -l "$work/pg/standby.log" -w start >/dev/null
  for _ in $(seq 200); do
    [ "$("$pgbin/psql" -h 127.0.0.1 -p 15432 -U postgres -Atc "select sync_state from pg_stat_replication" 2>/dev/null)" = sync ] && break
    sleep 0.1
  done
  "$pgbin/pgbench" -h 127.0.0.1 -p 15432 -U postgres -i -s 10 -q postgres >/dev/null 2>&1
}
stop_postgres() {
  as_pg "$pgbin/pg_ctl" -D "$work/pg/standby" -m fast stop >/dev/null 2>&1 || true
  as_pg "$pgbin/pg_ctl" -D "$work/pg/primary" -m fast stop >/dev/null 2>&1 || true
}
run_postgres() {  # $1 = synchronous_commit, $2 = clients, $3 = round
  local o logs="$work/pglog" threads=$(( $2 < 4 ? $2 : 4 )) tps p50 p99
  rm -rf "$logs"; mkdir -p "$logs"
  o=$(cd "$logs" && PGOPTIONS="-c synchronous_commit=$1" "$pgbin/pgbench" -h 127.0.0.1 -p 15432 -U postgres -N -M prepared \
      -c "$2" -j "$threads" -T "$seconds" -l postgres 2>&1)
  tps=$(echo "$o" | sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p')
  # Per-transaction log: the third column is the latency in microseconds.
  read -r p50 p99 < <(cat "$logs"/pgbench_log.* | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END{ if (NR) print a[int(NR*0.5)+1], a[int(NR*0.99)+1]; else print "", "" }')
  point postgresql "$1" "$2" "$3" "${tps%.*}" "$p50" "$p99"
}

warm_up() {  # $1 = port, then extra bench options: 2 s of SETs whose figures are thrown away
  local port=$1; shift
  akkarepl bench resp --port "$port" --clients 16 --seconds 2 --mix set "$@" >/dev/null 2>&1 || true
}

# --- the runs: systems alternate at every client count ------------------------------------------------------------
for round in $(seq "$rounds"); do
  for c in $clients_list; do
    echo "round $round, $c client(s):" >&2
    start_akkarepl 2 local
    warm_up "$akka_port" --durability local   # JIT and the first segment's allocation, not charged to the first level
    for level in local "replicas 1" "applied 1"; do run_akkarepl "$level" "$c" "$round"; done
    stop_akkarepl
    start_redis
    warm_up 16379
    for level in set set+wait1; do run_redis "$level" "$c" "$round"; done
    stop_redis
    start_postgres
    "$pgbin/pgbench" -h 127.0.0.1 -p 15432 -U postgres -N -M prepared -c "$c" -T 2 postgres >/dev/null 2>&1 || true   # warm-up
    for level in off local on remote_apply; do run_postgres "$level" "$c" "$round"; done
    stop_postgres
  done
done

# --- replication lag over time: 3 nodes, local durability, a timed load; /status sampled every 250 ms ---------------
start_akkarepl 3 local
lag="$work/lag.csv"; : > "$lag"
akkarepl bench resp --port "$akka_port" --clients 32 --seconds 10 --mix set --durability local >/dev/null 2>&1 &
load=$!
t0=$(date +%s%N)
while kill -0 "$load" 2>/dev/null; do
  t=$(( ($(date +%s%N) - t0) / 1000000 ))
  curl -s "http://127.0.0.1:$akka_http/status" | jq -r --arg t "$t" '.replicas[]? | "\(.nodeId) lag ms,\($t|tonumber/1000),\(.lagMs)"' >> "$lag" || true
  sleep 0.25
done
wait "$load" || true
stop_akkarepl

# --- failover time, when the failover benchmark exists ----------------------------------------------------------------
# FailoverTimeBench (tests/AkkaRepl.MultiNode.Tests) kills the primary N times with default election settings and
# prints each trial as "trial N: ... after M ms"; skipped with --no-failover (it takes about 10 s per trial).
failover_note="not measured (--no-failover)"
if [ "$failover" = 1 ]; then
  AKKAREPL_FAILOVER_TRIALS=$failover_trials dotnet test tests/AkkaRepl.MultiNode.Tests --filter "FullyQualifiedName~FailoverTimeBench" \
    --logger "console;verbosity=detailed" > "$work/failover.out" 2>&1 || true
  sed -n 's/.*trial \([0-9]*\): .* after \([0-9.]*\) ms.*/\1,\2/p' "$work/failover.out" | sort -t, -k1,1n -u > "$work/failover.csv" || true
  if [ -s "$work/failover.csv" ]; then
    failover_note=$(sort -t, -k2 -g "$work/failover.csv" | awk -F, '{a[NR]=$2} END{printf "%d trials, min %.0f ms, median %.0f ms, max %.0f ms", NR, a[1], a[int((NR+1)/2)], a[NR]}')
  else
    failover_note="the failover benchmark printed no trials (see its output)"
  fi
fi

# --- report ---------------------------------------------------------------------------------------------------------------
machine="$(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); $(date -u +%Y-%m-%dT%H:%MZ); load $(cut -d' ' -f1-3 /proc/loadavg)"
med() { awk -F, -v s="$1" -v l="$2" -v c="$3" -v col="$4" '$1==s && $2==l && $3==c {print $col}' "$csv" | sort -g | awk '{a[NR]=$1} END{ if (NR%2) print a[(NR+1)/2]; else if (NR) print (a[NR/2]+a[NR/2+1])/2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a!="" && b>0) printf "%.2f", a/b; else print "n/a" }'; }
{
  echo "# AkkaRepl vs Redis vs PostgreSQL"
  echo
  echo "Machine: $machine. Each point: $seconds s, median of $rounds round(s); 100-byte values, 100,000 keys for the key-value stores; pgbench -N scale 10."
  echo "Physical limits (same run): ${fsync_rate} fdatasync/s (4 KiB append), fdatasync p50 ${fsync_p50} us (4 KiB overwrite), loopback TCP round trip p50 ${rtt_p50} us."
  echo
  echo "## Ratios (AkkaRepl / peer, throughput; >1 means AkkaRepl is faster)"
  echo
  echo "| clients | local / Redis SET | local / PG local | replicas 1 / PG on | replicas 1 / Redis SET+WAIT 1 | applied 1 / PG remote_apply |"
  echo "|---:|---:|---:|---:|---:|---:|"
  for c in $clients_list; do
    al=$(med akkarepl local "$c" 5); ar=$(med akkarepl "replicas 1" "$c" 5); aa=$(med akkarepl "applied 1" "$c" 5)
    echo "| $c | $(ratio "$al" "$(med redis set "$c" 5)") | $(ratio "$al" "$(med postgresql local "$c" 5)") | $(ratio "$ar" "$(med postgresql on "$c" 5)") | $(ratio "$ar" "$(med redis set+wait1 "$c" 5)") | $(ratio "$aa" "$(med postgresql remote_apply "$c" 5)") |"
  done
  echo
  echo "## Every point (medians)"
  echo
  echo "| system | level | clients | ops/s | p50 us | p99 us |"
  echo "|---|---|---:|---:|---:|---:|"
  tail -n +2 "$csv" | cut -d, -f1-3 | sort -u -t, -k1,1 -k2,2 -k3,3n | while IFS=, read -r s l c; do
    echo "| $s | $l | $c | $(med "$s" "$l" "$c" 5) | $(med "$s" "$l" "$c" 6) | $(med "$s" "$l" "$c" 7) |"
  done
  echo
  echo "1-client latency against the physical floor (fdatasync p50 + loopback RTT p50 = $(( fsync_p50 + rtt_p50 )) us): AkkaRepl replicas 1 p50 $(med akkarepl "replicas 1" "$(echo $clients_list | cut -d' ' -f1)" 6) us."
  echo
  if [ -s "$failures" ]; then
    echo "Runs left out of the medians because they got error replies:"; echo
    sed 's/^/- /' "$failures"; echo
  fi
  echo "Failover: $failover_note"
  echo
  echo "Charts: throughput.svg, latency-p99.svg, replication-lag.svg$( [ -s "$work/failover.csv" ] && echo ", failover.svg")."
} > "$out/report.md"

series() { tail -n +2 "$csv" | cut -d, -f1-3 | sort -u -t, -k1,1 -k2,2 -k3,3n | while IFS=, read -r s l c; do echo "$s $l,$c,$(med "$s" "$l" "$c" "$1")"; done; }
series 5 | awk -F, -v title="Throughput vs clients" -v subtitle="$machine" -v xlabel="clients" -v ylabel="ops/s" -v logx=1 -f tests/perf/svgplot.awk > "$out/throughput.svg"
series 7 | awk -F, -v title="p99 latency vs clients" -v subtitle="$machine" -v xlabel="clients" -v ylabel="p99 us" -v logx=1 -f tests/perf/svgplot.awk > "$out/latency-p99.svg"
awk -F, -v title="AkkaRepl replication lag under load (3 nodes, local durability, 32 clients)" -v subtitle="$machine" -v xlabel="seconds" -v ylabel="lag ms" -f tests/perf/svgplot.awk "$lag" > "$out/replication-lag.svg"
if [ -s "$work/failover.csv" ]; then
  awk -F, '{print "failover ms," $1 "," $2}' "$work/failover.csv" | awk -F, -v title="Failover time per trial (kill -9 to first acknowledged write)" -v subtitle="$machine" -v xlabel="trial" -v ylabel="ms" -f tests/perf/svgplot.awk > "$out/failover.svg"
fi
cat "$out/report.md"
echo "wrote $out/: results.csv report.md and the charts" >&2
