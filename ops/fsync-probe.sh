#!/usr/bin/env bash
# ops/fsync-probe.sh always|everysec — how often Redis fsyncs on the success path, and how long that
# takes (docs/durability.md). Needs perf (perf trace) and the rights to trace redis-server.
#
# Stops the system ./spike.sh runs and wipes its Redis data (.run/redis), then brings up one API node
# carrying both roles with SPIKE_REDIS_FSYNC=<mode>, creates a sale of 5,000,000 tickets, warms up with
# 3 s of wrk, and runs 10 s of wrk on the buy path (bench/spike.lua, every request a new user) while
# `perf trace -s -e fdatasync` watches redis-server for 11 s. Prints requests/s, p50/p99, the tickets
# reserved and the Redis script calls in that window, and perf's fdatasync summary per thread; stops
# the system again. The ports come from the environment like ./spike.sh's (SPIKE_REDIS_PORT,
# SPIKE_API_PORTS: its first port is used).
set -euo pipefail

mode="${1:-}"
case "$mode" in always | everysec) ;; *) echo "usage: $0 always|everysec" >&2; exit 2 ;; esac
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
command -v perf >/dev/null || { echo "fsync-probe: perf is not installed" >&2; exit 2; }
port="${SPIKE_API_PORTS:-3001}"
port="${port%% *}"
redis_port="${SPIKE_REDIS_PORT:-6379}"
export SPIKE_INVENTORY_NODES=0 SPIKE_API_PORTS="$port" SPIKE_API_WEIGHTS=1 SPIKE_REDIS_FSYNC="$mode"
base="http://127.0.0.1:$port"
out="$ROOT/.run/fsync-probe-$mode"

./spike.sh down >/dev/null
rm -rf .run/redis
./spike.sh up >/dev/null
token="$(cat .run/admin-token)"
redis_pid="$(awk '$1 == "redis" { print $2 }' .run/procs)"
sale="probe-$mode-$(date +%s)"

held() { curl -s -H "Authorization: Bearer $token" "$base/admin/sales/$sale" | sed -n 's/.*"held":\([0-9]*\).*/\1/p'; }
script_calls() {
  redis-cli -p "$redis_port" INFO commandstats | tr -d '\r' |
    awk -F'[:=,]' '/^cmdstat_(eval|evalsha):/ { n += $3 } END { print n + 0 }'
}

curl -s -o /dev/null -X PUT -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d '{"stock":5000000,"perUserLimit":1,"paymentWindowSeconds":300}' "$base/admin/sales/$sale"
wrk -t2 -c100 -d3s -s bench/spike.lua "$base" -- buy "$sale" "w$sale" >/dev/null
sleep 1
h0="$(held)" e0="$(script_calls)"
perf trace -s -e fdatasync -p "$redis_pid" -o "$out.perf" -- sleep 11 &
perf_pid=$!
wrk -t2 -c100 -d10s -s bench/spike.lua "$base" -- buy "$sale" "m$sale" >"$out.wrk" 2>&1
wait "$perf_pid"
sleep 1
h1="$(held)" e1="$(script_calls)"

echo "appendfsync $mode: $(grep '^RESULT' "$out.wrk" | tr ' ' '\n' | grep -E '^(rps|p50_ms|p99_ms)=' | tr '\n' ' ')"
echo "tickets reserved $((h1 - h0)), Redis script calls $((e1 - e0)) (wrk 10 s inside perf's 11 s)"
echo "fdatasync of redis-server's threads (perf trace -s; all times in ms):"
grep -E '^ [a-z_-]+ \([0-9]+\)|fdatasync' "$out.perf" || echo "  (none)"
./spike.sh down >/dev/null
