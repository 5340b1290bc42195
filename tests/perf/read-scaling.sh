#!/usr/bin/env bash
# Read scaling (issue 6): GETs on the primary alone vs spread over two replicas, in one run, with the CPU each
# process spent in each phase, so the report says where the time went.
#   Starts `akkarepl cluster --nodes 3` (1 primary + 2 replicas, separate processes, loopback), then runs
#   `akkarepl bench reads` against it: first a warm-up run (each throughput phase once, unmeasured, before any CPU
#   quota is set, so no node pays for JIT tiering in a measured phase), then the measured run: R rounds of three throughput phases (primary alone, replicas eventual,
#   replicas read-your-writes; even rounds in reverse order), then read-your-writes latency over eventual while
#   writes go on. Every phase uses the same connections in total (--clients, spread evenly over the replicas) and the
#   same pipeline depth. The ratios are per round and their medians.
#   --node-cpu F gives every node its own CPU budget of F cores (a cgroup CPU quota: cgroup v2 cpu.max or v1
#   cpu.cfs_quota_us; needs root), as if each node were a small machine of its own; the load generator is not
#   limited. That is the question the 2x target asks: does a replica add the capacity of its own CPU? Without it all
#   three nodes and the load generator share the machine's cores, and moving GETs from one process to two others on
#   the same cores creates no CPU.
#   --period-ms M sets the quota's accounting period (default 100, the kernel's). A node may use F x M ms of CPU per
#   M ms: with the default it runs in 25 ms bursts and then waits up to 75 ms, which a small machine of its own never
#   does; 10 keeps the budget the same and the bursts short.
#   Between the warm-up and the measured run the script waits until no node's JIT tiering thread is busy; the
#   measured run warms up 2 s more under the quota, then idles --settle seconds (default 20) before its first round.
#   After the rounds the nodes are left idle for --idle-seconds and their CPU is sampled: what a node spends when
#   nothing happens (heartbeats, election tick, acks), per second.
#   --boost (with --node-cpu) gives the node cgroups, and a cgroup holding the load generator, the highest CPU weight
#   (v1 cpu.shares 262144, v2 cpu.weight 10000), so that on a machine crowded with other work each node still gets
#   its whole quota and the client keeps up: the nodes stay capped by their quotas (3 x F cores in all), but the
#   rest of the machine's work waits for the benchmark while it runs. Off by default.
#   --env KEY=VALUE (repeatable) sets an environment variable for the node processes only (for A/B runs of
#   runtime settings, e.g. --env DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=9, a hexadecimal count); --client-env
#   KEY=VALUE does the same for the load generator only. The load generator runs with .NET's default thread-pool spin
#   (9): akkarepl's runtimeconfig turns the spin off for nodes, and the client is the same program, but the load
#   generator is not the system measured and runs unlimited (runs at 17:56-18:20 UTC: no clear effect on the ratio
#   either way, docs/benchmarks.md).
# Usage: tests/perf/read-scaling.sh [--rounds R] [--seconds S] [--warmup W] [--settle T] [--clients C] [--pipeline P]
#                                   [--node-cpu F [--boost] [--period-ms M]] [--idle-seconds I] [--env KEY=VALUE]... [--client-env KEY=VALUE]...
#                                   [--out FILE]
# Prints Markdown tables and writes them to artifacts/bench-read-scaling.md (or --out). Linux only (reads /proc).
set -euo pipefail
cd "$(dirname "$0")/../.."

rounds=5; period_us=100000; seconds=5; warmup=5; settle=20; clients=16; pipeline=16; node_cpu=""; boost=""; idle=5; node_env=(); client_env=(DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=9); out_file=artifacts/bench-read-scaling.md
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift ;;
    --seconds) seconds="$2"; shift ;;
    --warmup) warmup="$2"; shift ;;
    --settle) settle="$2"; shift ;;
    --clients) clients="$2"; shift ;;
    --pipeline) pipeline="$2"; shift ;;
    --node-cpu) node_cpu="$2"; shift ;;
    --period-ms) period_us=$(awk -v m="$2" 'BEGIN{printf "%d", m * 1000}'); shift ;;
    --boost) boost=1 ;;
    --idle-seconds) idle="$2"; shift ;;
    --env) node_env+=("$2"); shift ;;
    --client-env) client_env+=("$2"); shift ;;
    --out) out_file="$2"; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

work=$(mktemp -d /var/tmp/akkarepl-reads.XXXXXX)
pids=(); cgroups=()
cleanup() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for g in "${cgroups[@]:-}"; do [ -n "$g" ] && rmdir "$g" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

dotnet build src/AkkaRepl.Server -c Release -v q -nologo >/dev/null
mkdir -p "$(dirname "$out_file")"
bin=src/AkkaRepl.Server/bin/Release/net10.0/akkarepl.dll
hz=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# CPU ticks of a node's JIT tiering threads (".NET Tiered Com...", the background compiler): what warm-up is meant to
# remove. The thread exits when idle and a new one starts later, so each is listed as TID:TICKS and a phase counts, per
# thread alive at its end, the ticks since its start (a thread that exited within the phase loses its last part).
jit_threads() { local out="" t; for t in /proc/"$1"/task/*; do
    if [[ "$(cat "$t/comm" 2>/dev/null)" == ".NET Tiered"* ]]; then out="$out${t##*/}:$(sed 's/.*) //' "$t/stat" 2>/dev/null | awk '{print $12 + $13}'),"; fi
  done; echo "${out:-none}"; }
jit_ticks() { jit_threads "$1" | tr ',' '\n' | awk -F: '$2 != "" {s += $2} END {print s + 0}'; }
throttled() { if [ -n "${cg[$1]:-}" ] && [ -f "${cg[$1]}/cpu.stat" ]; then awk '$1=="nr_throttled"{print $2}' "${cg[$1]}/cpu.stat"; else echo 0; fi; }
load_start=$(cut -d' ' -f1-3 /proc/loadavg); start_utc=$(date -u '+%Y-%m-%d %H:%M UTC')

env ${node_env[@]+"${node_env[@]}"} dotnet "$bin" cluster --nodes 3 --dir "$work/cluster" >"$work/cluster.out" 2>"$work/cluster.err" &
pids+=("$!")
for _ in $(seq 600); do
  [ "$(grep -c READY "$work/cluster.out" || true)" -ge 3 ] && break
  sleep 0.1
done
[ "$(grep -c READY "$work/cluster.out" || true)" -ge 3 ] || { echo "the cluster did not start:" >&2; cat "$work/cluster.err" >&2; exit 1; }
declare -A node_pid cg
for n in n1 n2 n3; do node_pid[$n]=$(pgrep -f "$work/cluster/$n.conf" | head -n 1); done
seed=$(sed -n 's/.*\[n2\] READY .* resp=\([0-9]*\).*/\1/p' "$work/cluster.out")

# Warm-up before any quota: every node serves each kind of load (and phase 4's writes) once, unmeasured, so the JIT's
# tiering is done at full speed and no measured phase (nor a quota-starved compiler thread) pays for it.
# On a busy machine the nodes may still be settling who is primary (an election right after start-up): try again.
for attempt in 1 2 3 4; do
  if env ${client_env[@]+"${client_env[@]}"} dotnet "$bin" bench reads --seeds "127.0.0.1:$seed" --clients "$clients" --pipeline "$pipeline" --seconds 1 \
       --warmup "$warmup" --rounds 1 > "$work/warmup.txt" 2>&1 && [ "$(grep -c '^role replica' "$work/warmup.txt")" -eq 2 ]; then break; fi
  [ "$attempt" -eq 4 ] && { echo "the warm-up failed:" >&2; cat "$work/warmup.txt" >&2; exit 1; }
  echo "warm-up attempt $attempt failed (cluster settling?), trying again: $(tail -n 1 "$work/warmup.txt")" >&2; sleep 3
done

# The JIT keeps tiering up for a while after the load that made methods hot (its background compiler lags the load):
# wait until every node's tiering thread has been quiet for 3 s (at most 90 s), so that work is not charged to a
# measured phase, nor starved by a quota.
jit_quiet_after=""
for waited in $(seq 0 3 90); do
  before=$(( $(jit_ticks "${node_pid[n1]}") + $(jit_ticks "${node_pid[n2]}") + $(jit_ticks "${node_pid[n3]}") ))
  sleep 3
  after=$(( $(jit_ticks "${node_pid[n1]}") + $(jit_ticks "${node_pid[n2]}") + $(jit_ticks "${node_pid[n3]}") ))
  if [ $((after - before)) -le 1 ]; then jit_quiet_after=$((waited + 3)); break; fi
done
jit_note=${jit_quiet_after:+"JIT tiering quiet on every node ${jit_quiet_after} s after the warm-up"}
jit_note=${jit_note:-"JIT tiering still busy 90 s after the warm-up"}

weigh() { if [ -f "$1/cpu.weight" ]; then echo 10000 > "$1/cpu.weight"; else echo 262144 > "$1/cpu.shares"; fi; }
# Each node in its own cgroup with a quota of F cores (all its threads, present and future).
if [ -n "$node_cpu" ]; then
  quota=$(awk -v f="$node_cpu" -v p="$period_us" 'BEGIN{printf "%d", f * p}')
  for n in n1 n2 n3; do
    if [ -f /sys/fs/cgroup/cgroup.controllers ]; then           # cgroup v2
      g=/sys/fs/cgroup/akkarepl-reads-$$-$n; mkdir -p "$g"; echo "$quota $period_us" > "$g/cpu.max"
    elif [ -d /sys/fs/cgroup/cpu ]; then                         # cgroup v1
      g=/sys/fs/cgroup/cpu/akkarepl-reads-$$-$n; mkdir -p "$g"
      echo "$period_us" > "$g/cpu.cfs_period_us"; echo "$quota" > "$g/cpu.cfs_quota_us"
    else
      echo "--node-cpu needs a cgroup CPU controller (/sys/fs/cgroup)" >&2; exit 2
    fi
    cgroups+=("$g"); cg[$n]=$g
    [ -n "$boost" ] && weigh "$g"
    echo "${node_pid[$n]}" > "$g/cgroup.procs"   # the whole process, all its threads
  done
fi
# The load generator: in its own cgroup with the highest weight and no quota when boosted, else as it is.
client_prefix=()
if [ -n "$boost" ] && [ -n "$node_cpu" ]; then
  if [ -f /sys/fs/cgroup/cgroup.controllers ]; then g=/sys/fs/cgroup/akkarepl-reads-$$-client; else g=/sys/fs/cgroup/cpu/akkarepl-reads-$$-client; fi
  mkdir -p "$g"; weigh "$g"; cgroups+=("$g")
  client_prefix=(sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$g")
fi

# Every node's CPU ticks (and cgroup throttled periods) at each measured phase's start and end.
out="$work/bench.txt"; samples="$work/samples.txt"; : > "$samples"
${client_prefix[@]+"${client_prefix[@]}"} env ${client_env[@]+"${client_env[@]}"} dotnet "$bin" bench reads --seeds "127.0.0.1:$seed" --clients "$clients" --pipeline "$pipeline" --seconds "$seconds" \
    --warmup 2 --settle "$settle" --rounds "$rounds" 2>&1 \
  | while IFS= read -r line; do
      case "$line" in
        "measure "*) set -- $line
          echo "$2 $3 $4 $(ticks "${node_pid[n1]}") $(ticks "${node_pid[n2]}") $(ticks "${node_pid[n3]}") $(throttled n1) $(throttled n2) $(throttled n3) $(jit_threads "${node_pid[n1]}") $(jit_threads "${node_pid[n2]}") $(jit_threads "${node_pid[n3]}")" >> "$samples" ;;
        *) echo "$line" >> "$out" ;;
      esac
    done
grep -q '^replicas_eventual_vs_primary=' "$out" || { echo "bench reads failed:" >&2; cat "$out" >&2; exit 1; }

# Which node is which: the cluster starts n1 as primary, but an election (slow start-up on a busy machine) may have
# chosen another. Columns are by role: the primary, then the two replicas (node index 1-3 = n1-n3).
node_of_port() { sed -n "s/.*\[\(n[0-9]\)\] READY .* resp=$1 .*/\1/p" "$work/cluster.out"; }
primary=$(node_of_port "$(sed -n 's/^role primary .*:\([0-9]*\)$/\1/p' "$out")")
mapfile -t replica_nodes < <(sed -n 's/^role replica .*:\([0-9]*\)$/\1/p' "$out" | while read -r port; do node_of_port "$port"; done)
[ -n "$primary" ] && [ "${#replica_nodes[@]}" -eq 2 ] || { echo "could not tell the roles from the bench output:" >&2; grep '^role' "$out" >&2; exit 1; }
ip=${primary#n}; ia=${replica_nodes[0]#n}; ib=${replica_nodes[1]#n}

# Idle: no client at all, the nodes' own background work.
i1=$(ticks "${node_pid[n1]}"); i2=$(ticks "${node_pid[n2]}"); i3=$(ticks "${node_pid[n3]}")
sleep "$idle"
idle_ms=$(awk -v hz="$hz" -v s="$idle" -v a="$i1 $i2 $i3" -v b="$(ticks "${node_pid[n1]}") $(ticks "${node_pid[n2]}") $(ticks "${node_pid[n3]}")" \
  -v ip="$ip" -v ia="$ia" -v ib="$ib" -v pn="$primary" -v an="${replica_nodes[0]}" -v bn="${replica_nodes[1]}" \
  'BEGIN{split(a, x, " "); split(b, y, " "); printf "primary %s %.0f, replica %s %.0f, replica %s %.0f", pn, (y[ip]-x[ip])*1000/hz/s, an, (y[ia]-x[ia])*1000/hz/s, bn, (y[ib]-x[ib])*1000/hz/s}')

# One row per round: rates and ratios from the bench, CPU per node per phase from the samples.
rate() { grep "^round $1 $2" "$out" | awk '{for (i = 1; i <= NF; i++) if ($i == "GET/s") { gsub(",", "", $(i-1)); print $(i-1) }}'; }
field() { grep "^round $1 $2" "$out" | sed -n "s/.*$3 \([0-9.]*\).*/\1/p"; }
table="$work/table.md"
{
  echo "| round (order) | primary alone GET/s | replicas eventual GET/s (ratio) | replicas read-your-writes GET/s (ratio) | CPU s in phase 1 / 2 / 3: primary $primary · replica ${replica_nodes[0]} · replica ${replica_nodes[1]} | CPU µs per GET: primary (ph. 1) · replicas (ph. 2) · replicas (ph. 3) | throttled periods ph. 1 / 2 / 3 (primary·replica·replica) | JIT tiering thread CPU s ph. 1 / 2 / 3 | bench client CPU s 1/2/3 | machine busy 1/2/3 |"
  echo "|---|---:|---:|---:|---|---|---|---|---|---|"
} > "$table"
for r in $(seq "$rounds"); do
  p1=$(rate "$r" "primary, eventual"); p2=$(rate "$r" "replicas, eventual"); p3=$(rate "$r" "replicas, read-your-writes")
  order=$(grep "^round $r order" "$out" | sed -n 's/.*order \([0-9,]*\):.*/\1/p')
  # samples: start|end ROUND PHASE ticks(n1 n2 n3) throttled(n1 n2 n3) jit(n1 n2 n3); node k: ticks field 3+k,
  # throttled 6+k, JIT tiering thread 9+k.
  cpu=$(awk -v r="$r" -v hz="$hz" -v g1="$p1" -v g2="$p2" -v g3="$p3" -v s="$seconds" -v P="$((3 + ip))" -v A="$((3 + ia))" -v B="$((3 + ib))" '
      function jit(startList, endList,   n, m, i, kv, before, sum) {   # per thread id: end - start (0 at start if new)
        delete before; n = split(startList, kv, ","); for (i = 1; i <= n; i++) { split(kv[i], m, ":"); if (m[2] != "") before[m[1]] = m[2] }
        sum = 0; n = split(endList, kv, ","); for (i = 1; i <= n; i++) { split(kv[i], m, ":"); if (m[2] != "") sum += m[2] - ((m[1] in before) ? before[m[1]] : 0) }
        return sum }
      $2 == r { if ($1 == "start") { for (i = 4; i <= 12; i++) a[$3, i] = $i }
                else { for (i = 4; i <= 9; i++) d[$3, i] = $i - a[$3, i]; for (i = 10; i <= 12; i++) d[$3, i] = jit(a[$3, i], $i) } }
      END {
        g[1] = g1 * s; g[2] = g2 * s; g[3] = g3 * s
        for (p = 1; p <= 3; p++) cpu = cpu sprintf("%s%.2f · %.2f · %.2f", (p > 1 ? " / " : ""), d[p, P]/hz, d[p, A]/hz, d[p, B]/hz)
        us = sprintf("%.2f · %.2f · %.2f", d[1, P]/hz*1e6/g[1], (d[2, A]+d[2, B])/hz*1e6/g[2], (d[3, A]+d[3, B])/hz*1e6/g[3])
        for (p = 1; p <= 3; p++) thr = thr sprintf("%s%d·%d·%d", (p > 1 ? " / " : ""), d[p, P+3], d[p, A+3], d[p, B+3])
        for (p = 1; p <= 3; p++) jt = jt sprintf("%s%.2f·%.2f·%.2f", (p > 1 ? " / " : ""), d[p, P+6]/hz, d[p, A+6]/hz, d[p, B+6]/hz)
        printf "%s | %s | %s | %s", cpu, us, thr, jt }' "$samples")
  printf '| %s (%s) | %s | %s (%sx) | %s (%sx) | %s | %s/%s/%s | %s/%s/%s %% |\n' "$r" "$order" "$p1" \
    "$p2" "$(awk -v a="$p2" -v b="$p1" 'BEGIN{printf "%.2f", a/b}')" "$p3" "$(awk -v a="$p3" -v b="$p1" 'BEGIN{printf "%.2f", a/b}')" "$cpu" \
    "$(field "$r" "primary, eventual" "client CPU")" "$(field "$r" "replicas, eventual" "client CPU")" "$(field "$r" "replicas, read-your-writes" "client CPU")" \
    "$(field "$r" "primary, eventual" "busy")" "$(field "$r" "replicas, eventual" "busy")" "$(field "$r" "replicas, read-your-writes" "busy")" >> "$table"
done
get() { sed -n "s/^$1=//p" "$out"; }

{
  echo "Read scaling, $start_utc to $(date -u '+%H:%M UTC'), $(nproc) cores, load average $load_start at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
  if [ -n "$node_cpu" ]; then budget="$node_cpu cores each (cgroup quota, period $((period_us / 1000)) ms; the client is not limited)${boost:+; boosted: nodes and client at the highest CPU weight}"; else budget="none (all processes share the machine)"; fi
  echo "Per-node CPU budget: $budget; $clients connections x $pipeline pipelined GETs in every phase; warm-up $warmup s per phase before any quota, 2 s more under it and $settle s idle; $jit_note; $rounds rounds of $seconds s per phase (even rounds in reverse order)${node_env[*]:+; node environment: ${node_env[*]}}${client_env[*]:+; client environment: ${client_env[*]}}"
  echo
  cat "$table"
  echo
  echo "**Median ratio over $rounds rounds: replicas eventual $(get replicas_eventual_vs_primary)x, replicas read-your-writes $(get replicas_read_your_writes_vs_primary)x the primary alone** (median primary alone $(get primary_get_per_second) GET/s)."
  echo "Read-your-writes latency while writes go on: $(grep '^latency on a replica' "$out" | sed 's/^latency on a replica during //'); added p50 $(get read_your_writes_added_p50_us) µs."
  echo "Idle CPU per node after the run ($idle s, no clients): $idle_ms ms per second."
} | tee "$out_file"
