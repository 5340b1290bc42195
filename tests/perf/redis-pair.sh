# Sourced by tests/perf/compare.sh and compare-replicated.sh: a Redis 7 primary on 16379 with a replica on 16380,
# both appendonly with appendfsync always, in "$work" (the caller's scratch directory; pids go to its "pids" array).
start_redis() {
  rm -rf "$work/redis-p" "$work/redis-r"; mkdir -p "$work/redis-p" "$work/redis-r"
  redis-server --save '' --daemonize no --dir "$work/redis-p" --appendonly yes --appendfsync always \
    --port 16379 --bind 127.0.0.1 >"$work/redis-p.log" 2>&1 &
  redis_p=$!; pids+=("$redis_p")
  redis-server --save '' --daemonize no --dir "$work/redis-r" --appendonly yes --appendfsync always \
    --port 16380 --bind 127.0.0.1 --replicaof 127.0.0.1 16379 >"$work/redis-r.log" 2>&1 &
  redis_r=$!; pids+=("$redis_r")
  for _ in $(seq 200); do
    redis-cli -p 16380 info replication 2>/dev/null | grep -q 'master_link_status:up' && return
    sleep 0.1
  done
  echo "redis primary/replica did not start" >&2; cat "$work"/redis-*.log >&2; exit 1
}
stop_redis() { kill "$redis_p" "$redis_r" 2>/dev/null || true; wait "$redis_p" "$redis_r" 2>/dev/null || true; }
