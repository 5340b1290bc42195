#!/usr/bin/env bash
# Snapshot rebuild of a replica, end to end (issue 3: "Snapshot rebuild of a 1 GiB dataset: at least 200 MB/s").
# Starts `akkarepl cluster --nodes 3` (Release build), loads about --size of values into the primary with
# redis-benchmark (local durability, pipelined, distinct keys), then forces a rebuild of replica n2
# (`akkarepl rebuild`, which posts /admin/rebuild and waits until n2 streams again) and times it from the
# request to streaming. Rate = the snapshot's bytes (from the primary's log line) / that time.
# Data under --dir (default /var/tmp/akkarepl-rebuild-bench), deleted at the end.
# --rounds N rebuilds n2 N times on the same loaded cluster (the load is the slow part), one line per round with the
# load average, then the median. Before the first round it waits (--settle-seconds, default 15; 0: no wait) until no
# node's newest snapshot moved for that long: every node checkpoints its whole state every 256 MiB of log (or its
# last snapshot's size of log, when that is more: akkarepl.snapshot.log-to-state-ratio), so right
# after the bulk load all three may still be writing a ~1 GB checkpoint, which the first rebuild would compete with.
#   tests/perf/rebuild.sh [--size-mib 1024] [--value-bytes 16384] [--rounds 1] [--dir DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
size_mib=1024; value_bytes=16384; load_clients=8; rounds=1; settle=15; base_port=17900; dir=/var/tmp/akkarepl-rebuild-bench
while [ $# -gt 0 ]; do
  case "$1" in
    --size-mib) size_mib=$2; shift 2 ;;
    --value-bytes) value_bytes=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --base-port) base_port=$2; shift 2 ;;
    --load-clients) load_clients=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --settle-seconds) settle=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
bin=${AKKAREPL_BIN:-src/AkkaRepl.Server/bin/Release/net10.0/akkarepl.dll}  # AKKAREPL_BIN: another build to compare
[ -f "$bin" ] || { echo "build first: dotnet build src/AkkaRepl.Server -c Release" >&2; exit 2; }
keys=$(( size_mib * 1024 * 1024 / value_bytes ))
rm -rf "$dir"; mkdir -p "$dir"; : >"$dir/cluster.out"  # exists before the background job opens it
dotnet "$bin" cluster --nodes 3 --base-port "$base_port" --dir "$dir/cluster" --durability local >"$dir/cluster.out" 2>"$dir/cluster.err" &
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
http2=$(sed -n 's/.*id = n2, host = "127.0.0.1", resp-port = [0-9]*, http-port = \([0-9]*\).*/\1/p' "$dir/cluster/members.conf")
echo "date: $(date -u +%Y-%m-%dT%H:%MZ); load: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"
echo "loading $keys keys x $value_bytes B (~$size_mib MiB) into the primary on port $port"
t0=$(date +%s.%N)
# Bounded load (--load-clients connections, default 8, one request in flight each): a single unbounded `redis-cli --pipe` of the whole
# dataset starved the node's lease heartbeats on the shared 2 cores and the primary stepped down. Keys are drawn
# uniformly from `keys`, 2 x keys requests, so about 86 % of them end up distinct; the rate below uses the
# snapshot's real size.
dotnet "$bin" bench resp --port "$port" --clients "$load_clients" --requests $(( keys * 2 )) --keyspace "$keys" --value-bytes "$value_bytes" \
  --mix set --durability local >"$dir/load.out" 2>&1 || { grep -E 'errors|error|LEASE|READONLY' "$dir/load.out" | head -5 >&2; grep -h -iE 'lease|elected|step' "$dir/cluster.err" | head -5 >&2; exit 1; }
grep -E '^(requests_per_second|errors)=' "$dir/load.out"
t1=$(date +%s.%N)
echo "load took $(echo "$t1 - $t0" | bc) s"
if [ "$settle" -gt 0 ]; then
  https=$(sed -n 's/.*http-port = \([0-9]*\).*/\1/p' "$dir/cluster/members.conf")
  snapshots() { for h in $https; do curl -s "http://127.0.0.1:$h/status" | grep -o '"snapshotLsn": *[0-9]*'; done | tr '\n' ' '; }
  s0=$(date +%s); last=$(snapshots); stable_since=$s0
  while [ $(( $(date +%s) - stable_since )) -lt "$settle" ] && [ $(( $(date +%s) - s0 )) -lt 300 ]; do
    sleep 1; now=$(snapshots)
    [ "$now" = "$last" ] || { last=$now; stable_since=$(date +%s); }
  done
  echo "settled after $(( $(date +%s) - s0 )) s (no node's snapshot moved for $settle s): $last"
fi
rates=()
for round in $(seq "$rounds"); do
  before=$(cat "$dir/cluster.out" "$dir/cluster.err" | { grep -c 'Snapshot of [0-9]* bytes' || true; })
  load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  t2=$(date +%s.%N)
  dotnet "$bin" rebuild --node "127.0.0.1:$http2" --timeout-seconds 900 >"$dir/rebuild.out" 2>&1 || { cat "$dir/rebuild.out" >&2; exit 1; }
  t3=$(date +%s.%N)
  secs=$(echo "$t3 - $t2" | bc -l)
  after=$(cat "$dir/cluster.out" "$dir/cluster.err" | { grep -c 'Snapshot of [0-9]* bytes' || true; })
  [ "$after" -gt "$before" ] || { echo "round $round: no new 'Snapshot of N bytes' line from the primary" >&2; exit 1; }
  bytes=$(grep -h -o 'Snapshot of [0-9]* bytes' "$dir/cluster.out" "$dir/cluster.err" | tail -1 | grep -o '[0-9]*' | tail -1)
  rate=$(echo "$bytes / $secs / 1000000" | bc -l | xargs printf '%.0f')
  rates+=("$rate")
  # Inside the nodes (no CLI start-up, no 250 ms status polling): the primary's "Rebuilding replica n2" line to n2's
  # "Rebuilt from a snapshot" line, from the log timestamps (HH:MM:SS.mmm).
  inside=$(cat "$dir/cluster.out" "$dir/cluster.err" | awk '
    function t(s) { split(s, a, ":"); return a[1] * 3600 + a[2] * 60 + a[3] }
    /\[n1\].*Rebuilding replica n2 from a snapshot/ { start = t($2) }
    /\[n2\].*Rebuilt from a snapshot/ { end = t($2) }
    END { if (start && end >= start) printf "%.3f", end - start; else print "?" }')
  inside_rate="?"
  if [ "$inside" != "?" ] && [ -n "$inside" ]; then inside_rate=$(echo "$bytes / $inside / 1000000" | bc -l | xargs printf '%.0f'); fi
  echo "round $round: $(date -u +%H:%M:%S) UTC, load before $load_before, after $(cut -d' ' -f1-3 /proc/loadavg): rebuild of n2 (request -> streaming) $secs s; snapshot $bytes bytes; $rate MB/s; inside the nodes $inside s ($inside_rate MB/s)"
done
echo "rebuild_seconds=$secs"
echo "snapshot_bytes=$bytes"
echo "rebuild_mb_per_second=$rate"
echo "rebuild_mb_per_second_all=${rates[*]}"
echo "rebuild_mb_per_second_median=$(printf '%s\n' "${rates[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2)}')"
grep -h -E 'Snapshot to|Snapshot from|Rebuilt from|Snapshot of|Rebuilding from' "$dir/cluster.out" "$dir/cluster.err" | sed 's/^/  log: /' | tail -12
