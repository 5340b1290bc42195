#!/usr/bin/env bash
# Read scaling (issue 6): GETs on the primary alone vs spread over two replicas, in one run, with the CPU each
# process spent in each phase, so the report says where the time went.
#   Starts `akkarepl cluster --nodes 3` (1 primary + 2 replicas, separate processes, loopback), then runs
#   `akkarepl bench reads` R times against it (four phases each: primary alone, replicas eventual, replicas
#   read-your-writes, then read-your-writes latency over eventual while writes go on).
#   --node-cpu F gives every node its own CPU budget of F cores (a cgroup CPU quota: cgroup v2 cpu.max or v1
#   cpu.cfs_quota_us; needs root). That is the question the 2x target asks: does a replica add the capacity of
#   its own CPU? Without it all three nodes and the load generator share the machine's cores, and moving GETs
#   from one process to two others on the same cores creates no CPU.
# Usage: tests/perf/read-scaling.sh [--rounds R] [--seconds S] [--clients C] [--pipeline P] [--node-cpu F]
# Prints a Markdown table and writes it to artifacts/bench-read-scaling.md. Linux only (reads /proc).
set -euo pipefail
cd "$(dirname "$0")/../.."

rounds=3; seconds=5; clients=16; pipeline=16; node_cpu=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift ;;
    --seconds) seconds="$2"; shift ;;
    --clients) clients="$2"; shift ;;
    --pipeline) pipeline="$2"; shift ;;
    --node-cpu) node_cpu="$2"; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

work=$(mktemp -d /var/tmp/akkarepl-reads.XXXXXX)
pids=(); cgroups=()
cleanup() {
  for p in "${pids[@]:-}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for g in "${cgroups[@]:-}"; do [ -n "$g" ] && rmdir "$g" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

dotnet build src/AkkaRepl.Server -c Release -v q -nologo >/dev/null
mkdir -p artifacts
bin=src/AkkaRepl.Server/bin/Release/net10.0/akkarepl.dll
hz=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

dotnet "$bin" cluster --nodes 3 --dir "$work/cluster" >"$work/cluster.out" 2>"$work/cluster.err" &
pids+=("$!")
for _ in $(seq 600); do
  [ "$(grep -c READY "$work/cluster.out" || true)" -ge 3 ] && break
  sleep 0.1
done
[ "$(grep -c READY "$work/cluster.out" || true)" -ge 3 ] || { echo "the cluster did not start:" >&2; cat "$work/cluster.err" >&2; exit 1; }
declare -A node_pid
for n in n1 n2 n3; do node_pid[$n]=$(pgrep -f "$work/cluster/$n.conf" | head -n 1); done
seed=$(sed -n 's/.*\[n2\] READY .* resp=\([0-9]*\).*/\1/p' "$work/cluster.out")

# Each node in its own cgroup with a quota of F cores (all its threads, present and future).
if [ -n "$node_cpu" ]; then
  quota=$(awk -v f="$node_cpu" 'BEGIN{printf "%d", f * 100000}')
  for n in n1 n2 n3; do
    if [ -f /sys/fs/cgroup/cgroup.controllers ]; then           # cgroup v2
      g=/sys/fs/cgroup/akkarepl-reads-$n; mkdir -p "$g"; echo "$quota 100000" > "$g/cpu.max"
    elif [ -d /sys/fs/cgroup/cpu ]; then                         # cgroup v1
      g=/sys/fs/cgroup/cpu/akkarepl-reads-$n; mkdir -p "$g"
      echo 100000 > "$g/cpu.cfs_period_us"; echo "$quota" > "$g/cpu.cfs_quota_us"
    else
      echo "--node-cpu needs a cgroup CPU controller (/sys/fs/cgroup)" >&2; exit 2
    fi
    cgroups+=("$g")
    echo "${node_pid[$n]}" > "$g/cgroup.procs"
  done
fi

# Samples every node's CPU ticks when a phase starts; the differences are the CPU each node spent per phase.
table="$work/table.md"
{
  echo "| round | primary alone GET/s | replicas eventual GET/s (ratio) | replicas read-your-writes GET/s (ratio) | RYW added p50 | CPU s per phase 1/2/3: primary · replica n2 · replica n3 · bench client | machine busy 1/2/3 |"
  echo "|---:|---:|---:|---:|---:|---|---|"
} > "$table"
for r in $(seq "$rounds"); do
  out="$work/round-$r.txt"; samples="$work/samples-$r.txt"; : > "$samples"
  dotnet "$bin" bench reads --seeds "127.0.0.1:$seed" --clients "$clients" --pipeline "$pipeline" --seconds "$seconds" 2>&1 \
    | while IFS= read -r line; do
        echo "$line" >> "$out"
        case "$line" in
          "phase "[1-4]":"*) echo "${line:6:1} $(ticks "${node_pid[n1]}") $(ticks "${node_pid[n2]}") $(ticks "${node_pid[n3]}")" >> "$samples" ;;
        esac
      done
  grep -q '^replicas_eventual_vs_primary=' "$out" || { echo "bench reads failed in round $r:" >&2; cat "$out" >&2; exit 1; }
  get() { sed -n "s/^$1=//p" "$out"; }
  rate() { grep "^$1" "$out" | awk '{gsub(",", "", $3); print $3}'; }
  busy() { grep "^$1" "$out" | sed -n 's/.*machine CPU busy \([0-9]*\) %.*/\1/p'; }
  client() { grep "^$1" "$out" | sed -n 's/.*bench client CPU \([0-9.]*\) s.*/\1/p'; }
  cpu=$(awk -v hz="$hz" '{t[$1]=$0} END{
      for (p = 1; p <= 3; p++) { split(t[p], a, " "); split(t[p+1], b, " ");
        printf "%s%.1f · %.1f · %.1f", (p > 1 ? " / " : ""), (b[2]-a[2])/hz, (b[3]-a[3])/hz, (b[4]-a[4])/hz } }' "$samples")
  printf '| %s | %s | %s (%sx) | %s (%sx) | %s µs | %s · client %s/%s/%s | %s/%s/%s %% |\n' "$r" \
    "$(rate 'primary, eventual')" "$(rate 'replicas, eventual')" "$(get replicas_eventual_vs_primary)" \
    "$(rate 'replicas, read-your-writes')" "$(get replicas_read_your_writes_vs_primary)" "$(get read_your_writes_added_p50_us)" \
    "$cpu" "$(client 'primary, eventual')" "$(client 'replicas, eventual')" "$(client 'replicas, read-your-writes')" \
    "$(busy 'primary, eventual')" "$(busy 'replicas, eventual')" "$(busy 'replicas, read-your-writes')" >> "$table"
done

{
  echo "Read scaling, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "Per-node CPU budget: ${node_cpu:+$node_cpu cores each}${node_cpu:-none (all processes share the machine)}; $clients connections x $pipeline pipelined GETs, $seconds s per phase"
  echo
  cat "$table"
} | tee artifacts/bench-read-scaling.md
