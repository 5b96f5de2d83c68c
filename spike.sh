#!/usr/bin/env bash
# spike.sh — run, test and benchmark Spike on this machine.
#
#   ./spike.sh up       start Redis, the inventory nodes, the API nodes and nginx; wait until all are ready
#   ./spike.sh down     stop everything `up` started
#   ./spike.sh status   show the processes and their readiness
#   ./spike.sh demo     bring the system up and run a flash sale through nginx with a node crash, then audit it
#   ./spike.sh test     run every test (installs redis-server, nginx, wrk first when missing)
#   ./spike.sh bench    benchmark the running system with wrk (cluster through nginx, or one node) and print one table
#   ./spike.sh deps     install the system packages the other commands need (apt-get, root)
#
# Everything listens on 127.0.0.1 only. Pids, logs, the published build, Redis data and the tokens
# live in .run/ (git-ignored). Configuration comes from the environment; see README.md.
#
# up, down, status, logs and cli are the spike tool's (Spike.Cli): this script installs what it needs,
# publishes it into .run/publish/cli and hands those commands to it.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RUN="$ROOT/.run"
LOGS="$RUN/logs"
TOKEN_FILE="$RUN/admin-token"
PUBLISH="$RUN/publish"
HOST=127.0.0.1

# ---- configuration (environment) ----------------------------------------------------------------
# The cluster's own settings (SPIKE_REDIS_PORT, SPIKE_API_PORTS, SPIKE_INVENTORY_NODES, SPIKE_REDIS_FSYNC, ...)
# are read by the spike tool (Spike.Cli/Local/LocalSettings.cs); demo and bench take them from the
# running cluster (load_state). Until then, these are unknown:
REDIS_PORT="" API_PORTS="" API_WEIGHTS="" INVENTORY_NODES="" NGINX_PORT="" NODE_ENV="" BUILD_COMMIT=""
BUILD_CONFIGURATION="${SPIKE_BUILD_CONFIGURATION:-Release}"
TEST_CONFIGURATION="${SPIKE_TEST_CONFIGURATION:-Release}"
BENCH_SECONDS="${SPIKE_BENCH_SECONDS:-10}"
BENCH_WARMUP="${SPIKE_BENCH_WARMUP:-3}"
CLUSTER_WARMUP="${SPIKE_BENCH_CLUSTER_WARMUP:-10}"   # six processes' JIT tiers take longer to settle
BENCH_CONNECTIONS="${SPIKE_BENCH_CONNECTIONS:-100}"
BENCH_THREADS="${SPIKE_BENCH_THREADS:-2}"
BENCH_STOCK="${SPIKE_BENCH_STOCK:-5000000}"
BENCH_REPLAY_MAX="${SPIKE_BENCH_REPLAY_MAX:-20000}"
BENCH_KEEP_DATA="${SPIKE_BENCH_KEEP_DATA:-0}"
# The anchors bench runs beside Spike (see "bench anchors" below): their ports, and where the Go
# anchor's source is (the bench skips that anchor, saying so, when it is not there).
NODE_ANCHOR_PORT="${SPIKE_NODE_ANCHOR_PORT:-3201}"
GO_ANCHOR_SRC="${SPIKE_GO_ANCHOR_SRC:-$ROOT/../shared/anchors/seed-go}"
GO_ANCHOR_PORT_OFFSET="${SPIKE_GO_ANCHOR_PORT_OFFSET:-300}"   # a Go server per API port, on that port + this
GO_ANCHOR_NGINX_PORT="${SPIKE_GO_ANCHOR_NGINX_PORT:-8081}"
SELLOUT_STOCK="${SPIKE_BENCH_SELLOUT_STOCK:-100000}"
SELLOUT_BUYERS="${SPIKE_BENCH_SELLOUT_BUYERS:-300000}"
SELLOUT_MAX_SECONDS="${SPIKE_BENCH_SELLOUT_MAX_SECONDS:-120}"

# ---- output helpers -----------------------------------------------------------------------------
say() { printf '%s\n' "$*"; }
step() { printf '==> %s\n' "$*"; }
warn() { printf 'spike: warning: %s\n' "$*" >&2; }
die() { printf 'spike: error: %s\n' "$*" >&2; exit 1; }

usage() {
  cat <<EOF
usage: ./spike.sh <command>

  up       start Redis (AOF on), the inventory nodes (the seeds), the API nodes and nginx on 127.0.0.1;
           wait until every one is ready; print URLs, token and pids. On a partly running system
           (a node was killed), restart the dead nodes.
  down     stop everything 'up' started: each node leaves the cluster, then nginx and Redis stop
  status   show every process (kind, port, pid, alive, ready, memory; each node's index and command host)
  logs     <process> [-n N] [-f]: the last lines of a process's log (a node's index or name, redis, nginx)
  cli      <node> [command...]: inspect the cluster through a node's command host (node: its index in
           status, or its name), e.g. ./spike.sh cli 0 cluster show; no command: interactive
  demo     up (when needed), then a flash sale through nginx: SPIKE_DEMO_STOCK tickets, 3x as many
           unique buyers, one API node and one inventory node killed with SIGKILL halfway; audit
  test     run every test: nginx/selftest.sh and dotnet test Spike.sln
           (installs redis-server, nginx, wrk when missing)
  bench    [cluster|node] wrk benchmark of the running system (brings it up when needed).
           cluster (default when inventory nodes run): success path through nginx and directly on
           one API node, /ping through nginx, time to sell out 100,000 tickets to 300,000 buyers.
           node: success path, sold-out path, /ping ceiling of one API node.
  deps     install the system packages the commands need (apt-get; needs root)

environment: SPIKE_REDIS_PORT (6379), SPIKE_API_PORTS ("3001 3002 3003 3004"), SPIKE_API_WEIGHTS
  ("1 2 3 4"), SPIKE_INVENTORY_NODES (2; 0 = API nodes carry both roles), SPIKE_INVENTORY_BASE_PORT
  (3101), SPIKE_NGINX_PORT (8080), SPIKE_AKKA_BASE_PORT (4053), SPIKE_COMMAND_BASE_PORT (9110),
  SPIKE_ADMIN_TOKEN (generated), SPIKE_CMD_TOKEN (generated),
  SPIKE_REDIS_FSYNC (always | everysec), SPIKE_READY_TIMEOUT (120 s), SPIKE_DEFAULT_SALE, SPIKE_LOG_LEVEL,
  SPIKE_DEMO_STOCK (10000), SPIKE_DEMO_BUYERS (3 x stock), SPIKE_DEMO_CONCURRENCY (150), SPIKE_DEMO_KILL (1),
  SPIKE_DEMO_PAY_WINDOW (30 s), SPIKE_DEMO_PAY_SHARE (0.6), SPIKE_DEMO_CANCEL_SHARE (0.1),
  SPIKE_BENCH_SECONDS (10), SPIKE_BENCH_WARMUP (3), SPIKE_BENCH_CONNECTIONS (100), SPIKE_BENCH_THREADS (2),
  SPIKE_BENCH_STOCK (5000000), SPIKE_BENCH_SELLOUT_STOCK (100000), SPIKE_BENCH_SELLOUT_BUYERS (300000),
  SPIKE_TEST_CONFIGURATION (Release)
EOF
}

# ---- packages -----------------------------------------------------------------------------------
has_cmd() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]; }

# ensure_pkgs command:package ... — installs the missing ones with apt-get when root, else explains.
# A /path instead of a command names a file the package installs (a library).
ensure_pkgs() {
  local missing=() pair want
  for pair in "$@"; do
    want="${pair%%:*}"
    if [[ "$want" == /* ]]; then [ -e "$want" ]; else has_cmd "$want"; fi || missing+=("${pair#*:}")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    die "missing: ${missing[*]}. Install it with:  sudo apt-get install -y ${missing[*]}"
  fi
  has_cmd apt-get || die "missing: ${missing[*]}, and there is no apt-get here; install it with your package manager"
  step "installing ${missing[*]} (apt-get)"
  # Keep the packages' own services (a system-wide redis on 6379, nginx on 0.0.0.0:80) from being
  # started by the install: a temporary policy-rc.d, only when the machine has none of its own.
  local policy=/usr/sbin/policy-rc.d added_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# temporary, from spike.sh: do not start services during apt-get install\nexit 101\n' >"$policy"
    chmod +x "$policy"
    added_policy=1
  fi
  local rc=0
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"; then
    DEBIAN_FRONTEND=noninteractive apt-get update && \
      DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" || rc=$?
  fi
  [ "$added_policy" -eq 1 ] && rm -f "$policy"
  [ "$rc" -eq 0 ] || die "apt-get install ${missing[*]} failed"
}

need_dotnet() {
  has_cmd dotnet || die "dotnet is not on PATH; install the .NET 10 SDK (https://dot.net) and retry"
}

# ---- the spike tool and the running cluster -----------------------------------------------------
# up, down, status, logs and cli are the spike tool's (Spike.Cli, `spike up` ...): it starts and stops
# the processes and records them in .run/state.json. demo and bench below read that state through
# `spike status --format procs|env`.

# spike_tool args... — the spike tool published in .run/publish/cli, (re)published first when it is
# missing or older than its sources (a pull or an edit since)
SPIKE_TOOL="$PUBLISH/cli/spike.dll"
spike_tool() {
  if [ ! -f "$SPIKE_TOOL" ] || [ -n "$(cd "$ROOT" && find Spike.Cli Spike.Commands Spike.Sales Directory.Build.props Directory.Packages.props \
       \( -name bin -o -name obj \) -prune -o -type f -newer "$SPIKE_TOOL" -print -quit)" ]; then
    need_dotnet
    mkdir -p "$LOGS"
    publish_project Spike.Cli cli >&2
  fi
  SPIKE_ROOT="$ROOT" dotnet "$SPIKE_TOOL" "$@"
}

# publish_project project dir [project file] — dotnet publish into .run/publish/<dir>
publish_project() {
  step "building $1 ($BUILD_CONFIGURATION) into .run/publish/$2 (log: .run/logs/build.log)"
  if ! (cd "$ROOT" && dotnet publish "${3:-$1/$1.csproj}" -c "$BUILD_CONFIGURATION" \
        -o "$PUBLISH/$2" --nologo) >>"$LOGS/build.log" 2>&1; then
    grep -E 'error|Error' "$LOGS/build.log" | sort -u | tail -n 20 >&2 || true
    tail -n 5 "$LOGS/build.log" >&2
    die "build of $1 failed (full log: $LOGS/build.log)"
  fi
}

# The command-line fragment that identifies each kind of process (a pid reused by another program is
# not ours).
kind_match() {
  case "$1" in
    redis) printf 'redis-server' ;;
    api) printf 'Spike.Api.dll' ;;
    inventory) printf 'Spike.Host.dll' ;;
    nginx) printf 'nginx' ;;
    *) printf '%s' "$1" ;;
  esac
}

# is_gone pid — the process has exited: no such pid, or a zombie
is_gone() {
  local stat
  [ -n "$1" ] && kill -0 "$1" 2>/dev/null && stat="$(cat 2>/dev/null "/proc/$1/stat")" || return 0
  case "$(awk '{ print $1 }' <<<"${stat##*) }")" in Z | X | x) return 0 ;; esac
  return 1
}

# is_ours pid kind — the pid is alive and runs what the cluster started there
is_ours() {
  ! is_gone "$1" && [[ "$(tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline")" == *"$(kind_match "$2")"* ]]
}

# read_procs — fills P_NAME P_PID P_KIND P_PORT P_LOG from the cluster's state, in start order
read_procs() {
  P_NAME=() P_PID=() P_KIND=() P_PORT=() P_LOG=()
  local name pid kind port log _alive
  while read -r name pid kind port log _alive; do
    [ -n "${name:-}" ] || continue
    P_NAME+=("$name") P_PID+=("$pid") P_KIND+=("$kind") P_PORT+=("$port") P_LOG+=("$log")
  done < <(spike_tool status --format procs || true)
}

# alive_count — how many recorded processes still run
alive_count() {
  spike_tool status --format procs | awk '$6 == "yes" { n++ } END { print n + 0 }' || true
}

# load_state — the running cluster's configuration (it wins over the environment) and tokens
load_state() {
  eval "$(spike_tool status --format env || true)"
  ADMIN_TOKEN="$(cat "$TOKEN_FILE" 2>/dev/null || printf '%s' "${SPIKE_ADMIN_TOKEN:-}")"
  read -r -a API_PORT_LIST <<<"$API_PORTS"
  read -r -a API_WEIGHT_LIST <<<"$API_WEIGHTS"
}

# ready_code kind port — what the process's readiness check answers: an HTTP status (000 = nothing),
# PONG for Redis
ready_code() {
  case "$1" in
    redis) redis_cli ping 2>/dev/null || printf 'no' ;;
    api | inventory) http_code "http://$HOST:$2/ready" ;;
    nginx) http_code "http://$HOST:$2/nginx/healthz" ;;
    *) printf '-' ;;
  esac
}

port_busy() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

http_code() { # url — prints the HTTP status code (000 when nothing answered)
  curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1" 2>/dev/null || true
}

nginx_bin() {
  if command -v nginx >/dev/null 2>&1; then command -v nginx; elif [ -x /usr/sbin/nginx ]; then printf '/usr/sbin/nginx'; else return 1; fi
}

redis_cli() { redis-cli -h "$HOST" -p "$REDIS_PORT" "$@"; }

# redis_fsync_now — the appendfsync of the running Redis (CONFIG GET), "?" when it does not answer
redis_fsync_now() {
  local v
  v="$(redis_cli CONFIG GET appendfsync 2>/dev/null | sed -n 2p)"
  printf '%s' "${v:-?}"
}

# weight_of port — the nginx weight of an API port
weight_of() {
  local i
  for i in "${!API_PORT_LIST[@]}"; do
    [ "${API_PORT_LIST[$i]}" = "$1" ] && { printf '%s' "${API_WEIGHT_LIST[$i]:-?}"; return 0; }
  done
  printf '?'
}

# ---- commands -----------------------------------------------------------------------------------
cmd_up() {
  ensure_pkgs redis-server:redis-server redis-cli:redis-tools curl:curl nginx:nginx
  spike_tool up
}

cmd_down() { spike_tool down; }

cmd_status() { spike_tool status "$@"; }

cmd_logs() { spike_tool logs "$@"; }

cmd_cli() { spike_tool cli "$@"; }

cmd_deps() {
  ensure_pkgs redis-server:redis-server redis-cli:redis-tools nginx:nginx wrk:wrk curl:curl
  say "redis-server, nginx, wrk and curl are installed"
}

cmd_test() {
  ensure_pkgs redis-server:redis-server nginx:nginx wrk:wrk curl:curl
  need_dotnet
  mkdir -p "$LOGS"
  local log="$LOGS/test.log" rc nginx_rc nginx_summary
  # nginx/selftest.sh: the nginx config's weights, retries, added requestId and headers, checked with
  # real nginx processes (a few seconds, no .NET)
  step "nginx/selftest.sh (output also in .run/logs/nginx-selftest.log)"
  set +e
  bash "$ROOT/nginx/selftest.sh" 2>&1 | tee "$LOGS/nginx-selftest.log"
  nginx_rc=${PIPESTATUS[0]}
  set -e
  nginx_summary="$(grep -oE '[0-9]+ passed, [0-9]+ failed' "$LOGS/nginx-selftest.log" | tail -n 1)"
  say ""
  step "dotnet test Spike.sln -c $TEST_CONFIGURATION (output also in .run/logs/test.log)"
  set +e
  (cd "$ROOT" && dotnet test Spike.sln -c "$TEST_CONFIGURATION" --nologo) 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  set -e
  # VSTest prints per test assembly: "Passed!  - Failed: 0, Passed: 12, Skipped: 0, Total: 12, ..."
  local passed failed skipped
  read -r passed failed skipped < <(awk '
    /(Passed|Failed)! *- *Failed:/ {
      for (i = 1; i <= NF; i++) {
        v = $(i + 1); gsub(/,/, "", v)
        if ($i == "Failed:") f += v; else if ($i == "Passed:") p += v; else if ($i == "Skipped:") s += v
      }
      seen = 1
    }
    END { printf "%d %d %d\n", p, f, s }' "$log")
  say ""
  if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ] && [ "$rc" -ne 0 ]; then
    grep -E ': error [A-Z]+[0-9]+' "$log" | sed 's/ \[[^]]*\]$//' | sort -u | head -n 20 || true
    say "tests did not run (build failed? see $log): exit code $rc"
  else
    say "$passed passed, $failed failed, $skipped skipped"
  fi
  say "nginx/selftest.sh: ${nginx_summary:-no summary line} (exit code $nginx_rc)"
  [ "$rc" -ne 0 ] || rc=$nginx_rc
  return "$rc"
}

# ---- HTTP helpers for demo and bench ------------------------------------------------------------
# api method path [json] — prints the body, then the status code on its own last line
api() {
  local method="$1" path="$2" body="${3:-}"
  local args=(-s --max-time 10 -X "$method" -w '\n%{http_code}')
  [ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data "$body")
  curl "${args[@]}" "$BASE$path" || printf '\n000'
}

# admin method path [json] — like api, on the first API node's own port (nginx does not serve /admin/)
admin() {
  local method="$1" path="$2" body="${3:-}"
  local args=(-s --max-time 10 -X "$method" -H "Authorization: Bearer $ADMIN_TOKEN" -w '\n%{http_code}')
  [ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data "$body")
  curl "${args[@]}" "http://$HOST:${API_PORT_LIST[0]}$path" || printf '\n000'
}

json_num() { # field json — the first integer value of "field"
  sed -n "s/.*\"$1\":[[:space:]]*\(-\{0,1\}[0-9][0-9]*\).*/\1/p" <<<"$2" | head -n 1
}

code_of() { tail -n 1 <<<"$1"; }
body_of() { sed '$d' <<<"$1"; }

create_sale() { # id stock [payment window, seconds]
  local r
  r="$(admin PUT "/admin/sales/$1" "{\"stock\":$2,\"perUserLimit\":1,\"paymentWindowSeconds\":${3:-300}}")"
  case "$(code_of "$r")" in
    2??) ;;
    *) die "PUT /admin/sales/$1 answered $(code_of "$r"): $(body_of "$r")" ;;
  esac
}

# read_sale id — sets S_TOTAL S_HELD S_AVAIL S_CALLS S_RESERVED S_PAID S_RELEASED S_ORDERS S_LAG from
# GET /admin/sales/{id}; returns 1 (S_RESERVED empty) when it does not answer 200
read_sale() {
  local r b
  r="$(admin GET "/admin/sales/$1")"
  [ "$(code_of "$r")" = 200 ] || { S_RESERVED="" READ_SALE_ANSWER="$(code_of "$r"): $(body_of "$r")"; return 1; }
  b="$(body_of "$r")"
  S_TOTAL="$(json_num total "$b")" S_HELD="$(json_num held "$b")" S_AVAIL="$(json_num available "$b")"
  S_CALLS="$(json_num reserveCalls "$b")" S_RESERVED="$(json_num reserved "$b")" S_PAID="$(json_num paid "$b")"
  S_RELEASED="$(json_num released "$b")" S_ORDERS="$(json_num orders "$b")" S_LAG="$(json_num orderLag "$b")"
}

# sale_counts id — read_sale, or stop when the sale cannot be read
sale_counts() { read_sale "$1" || die "GET /admin/sales/$1 answered $READ_SALE_ANSWER"; }

# wait_orders sale... — waits (up to 300 s) until the order feed has created every order of the sales;
# sets ORDERS_WAIT_S to the seconds it took ("timeout" when it did not catch up)
wait_orders() {
  local start=$SECONDS sale lag
  while :; do
    lag=0
    for sale in "$@"; do sale_counts "$sale"; lag=$((lag + S_LAG)); done
    [ "$lag" -eq 0 ] && { ORDERS_WAIT_S=$((SECONDS - start)); return 0; }
    [ $((SECONDS - start)) -lt 300 ] || { ORDERS_WAIT_S=timeout; warn "the order feed still had $lag orders to create after 300 s"; return 0; }
    sleep 0.5
  done
}

ensure_up_for() { # command name — bring the system up, or restart what died, when it is not all ready
  if ! spike_tool status >/dev/null; then
    [ "$(alive_count)" -gt 0 ] || { say "The system is not up: '$1' brings it up first (./spike.sh up)."; STARTED_BY_US=1; }
    cmd_up
    spike_tool status >/dev/null || { spike_tool status || true; die "the system is not fully up and ready; ./spike.sh down && ./spike.sh up"; }
  fi
  load_state
  NGINX_BASE="http://$HOST:$NGINX_PORT"
  BASE="$NGINX_BASE"
}

fmt_n() { printf "%'d" "$1" 2>/dev/null || printf '%s' "$1"; }

# ---- demo ---------------------------------------------------------------------------------------
# The demo is the spike tool's (Spike.Cli/Demo/FlashDemo.cs): the sale, the kills, the checkout, the
# re-sale and the audits, on the cluster it brings up (or restarts) first.
cmd_demo() {
  ensure_pkgs redis-server:redis-server redis-cli:redis-tools curl:curl nginx:nginx
  spike_tool demo
}

# ---- bench --------------------------------------------------------------------------------------
# redis_stat_calls — from INFO commandstats: "<all calls> <all but the order feed's idle polling>"
redis_stat_calls() {
  redis_cli INFO commandstats | tr -d '\r' | awk -F'[:=,]' '
    /^cmdstat_/ {
      name = $1; sub(/^cmdstat_/, "", name)
      if (name != "info") all += $3   # not the reads of these counters themselves
      # what the order feed reads when it has nothing to do (its rounds every 500 ms, its sale list)
      if (name ~ /^(xreadgroup|xrevrange|zrangebyscore|smembers|exists)$/) feed += $3
    }
    END { printf "%d %d\n", all, all - feed }'
}

# machine_ticks — "<busy> <total> <irq+softirq>" jiffies of all CPUs, from /proc/stat (interrupt time is
# mostly the loopback traffic of the run itself, so it is shown apart from "other")
machine_ticks() {
  awk '/^cpu / { t = 0; for (i = 2; i <= 9; i++) t += $i; print t - $5 - $6, t, $7 + $8; exit }' /proc/stat
}

# proc_ticks pid [children] — utime+stime jiffies of a process (0 when gone); with "children", the
# cutime+cstime of its reaped children instead
proc_ticks() {
  local pid="$1" line
  if [ -z "$pid" ] || ! line="$(cat "/proc/$pid/stat" 2>/dev/null)"; then
    printf '0'
    return 0
  fi
  line="${line##*) }"   # drop "pid (comm) ", comm may hold spaces
  # now: state(1) ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime(12) stime(13) cutime cstime
  awk -v want="${2:-}" '{ if (want == "children") print $14 + $15; else print $12 + $13 }' <<<"$line"
}

# cpu_of label key — a field of the CPU line of a run
cpu_of() {
  local v
  v="$(grep '^CPU ' "$BENCH_DIR/$1.out" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1)"
  printf '%s' "${v:-?}"
}

# CPU accounting of a run: CPU_GROUPS holds "name=pid,pid,..." entries (set by cmd_bench); each
# group's utime+stime during the run is shown in cores, with wrk, interrupts and everything else
CPU_GROUPS=()

# group_ticks pids(comma separated) — summed utime+stime jiffies
group_ticks() {
  local pid sum=0
  for pid in ${1//,/ }; do sum=$((sum + $(proc_ticks "$pid"))); done
  printf '%d' "$sum"
}

# all_ticks — "<name>=<ticks> ..." of every CPU group
all_ticks() {
  local g out=""
  for g in "${CPU_GROUPS[@]}"; do out+="${g%%=*}=$(group_ticks "${g#*=}") "; done
  printf '%s' "$out"
}

# bench_report title — spike bench report of this bench ($BENCH_DIR) into bench/results, naming the build the
# running system was published from (BUILD_COMMIT, maybe +dirty) rather than the checkout's HEAD, which may have
# moved since; a warning if it fails, since the bench itself ran
bench_report() {
  local commit=()
  [ -z "${BUILD_COMMIT:-}" ] || commit=(--commit "$BUILD_COMMIT")
  spike_tool bench report "$BENCH_DIR" --title "$1" "${commit[@]}" \
    || warn "spike bench report failed: no results in bench/results (raw output in $BENCH_DIR)"
}

# bench_cleanup — after a bench: drop its sales' keys (they hold hundreds of thousands of
# reservations, spike:{<run>-*}:*) unless SPIKE_BENCH_KEEP_DATA=1, and say when bench started the system
bench_cleanup() {
  if [ "$BENCH_KEEP_DATA" != 1 ]; then
    local n
    # the sales' keys (Spike.Sales/SaleKeys.cs) and their orders' journals (Spike.Persistence.Redis/PersistenceKeys.cs,
    # persistence id order-<orderId>, order ids <sale>-<n>)
    n="$( { redis_cli --scan --pattern "spike:{$RUN_ID-*"; redis_cli --scan --pattern "spike:journal:{order-$RUN_ID-*"; } \
      | tee "$BENCH_DIR/keys" | wc -l)"
    [ "$n" -gt 0 ] && xargs -r -n 100 redis-cli -h "$HOST" -p "$REDIS_PORT" UNLINK <"$BENCH_DIR/keys" >/dev/null
    say "removed the bench sales' $n Redis keys (SPIKE_BENCH_KEEP_DATA=1 keeps them)"
  fi
  if [ "$STARTED_BY_US" -eq 1 ]; then
    say ""
    say "bench brought the system up; it stays up (./spike.sh down to stop it)."
  fi
}

# wrk_run label mode sale seconds [url] — runs wrk with bench/spike.lua against url (default $BASE),
# keeps its output in $BENCH_DIR/<label>.out, adds the CPU line
wrk_run() {
  local label="$1" mode="$2" sale="$3" secs="$4" url="${5:-$BASE}"
  local out="$BENCH_DIR/$label.out"
  local b0 t0 q0 g0 c0 b1 t1 q1 g1 c1
  read -r b0 t0 q0 < <(machine_ticks)
  g0="$(all_ticks)" c0="$(proc_ticks $$ children)"
  wrk -t"$BENCH_THREADS" -c"$BENCH_CONNECTIONS" -d"${secs}s" --timeout 5s \
    -s "$ROOT/bench/spike.lua" "$url" -- "$mode" "$sale" "$RUN_ID-$label" >"$out" 2>&1 \
    || { cat "$out" >&2; die "wrk failed ($label)"; }
  c1="$(proc_ticks $$ children)"   # wrk's CPU lands in this shell's children times once it is reaped
  read -r b1 t1 q1 < <(machine_ticks)
  g1="$(all_ticks)"
  cpu_line "$((b1 - b0))" "$((t1 - t0))" "$((q1 - q0))" "$g0" "$g1" "$((c1 - c0))" >>"$out"
  grep -q '^RESULT ' "$out" || { cat "$out" >&2; die "wrk printed no RESULT line ($label)"; }
  check_alive "$label" "$out"
}

# cpu_line busy total irq "groups before" "groups after" wrk — "CPU <group>=<cores> ... wrk= irq= other="
cpu_line() {
  awk -v b="$1" -v t="$2" -v q="$3" -v g0="$4" -v g1="$5" -v w="$6" -v cores="$(nproc)" '
    BEGIN {
      wall = t / cores; if (wall <= 0) wall = 1
      n = split(g0, A, " "); split(g1, B, " ")
      line = "CPU"; used = 0
      for (i = 1; i <= n; i++) {
        split(A[i], a, "="); split(B[i], c, "=")
        d = c[2] - a[2]; if (d < 0) d = 0
        used += d
        line = line sprintf(" %s=%.2f", a[1], d / wall)
      }
      o = b - q - used - w; if (o < 0) o = 0
      printf "%s wrk=%.2f irq=%.2f other=%.2f\n", line, w / wall, q / wall, o / wall
    }'
}

# check_alive label out — every process of the system is still running after a run
check_alive() {
  read_procs
  local i
  for i in "${!P_NAME[@]}"; do
    is_ours "${P_PID[$i]}" "${P_KIND[$i]}" && continue
    grep -v -e '^PENDING ' -e '^RETRY ' "$2" >&2
    say "--- last lines of ${P_LOG[$i]} ---" >&2
    tail -n 30 "${P_LOG[$i]}" >&2 || true
    if grep -q 'CLR termination hook' "${P_LOG[$i]}" 2>/dev/null; then
      say "(the node shut down gracefully: something outside sent it SIGTERM)" >&2
    fi
    die "${P_NAME[$i]} (pid ${P_PID[$i]}) is gone after run '$1'; no table (raw output in $BENCH_DIR)"
  done
}

# nginx_pids master — the master and its workers, comma separated
nginx_pids() {
  local out="$1" c
  for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do out+=",$c"; done
  printf '%s' "$out"
}

# result label key — one value from the RESULT line of a run (0 when absent)
result() {
  local v
  v="$(grep '^RESULT ' "$BENCH_DIR/$1.out" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1)"
  printf '%s' "${v:-0}"
}

# other_codes label — count of statuses other than 200/409/429/503
other_codes() {
  grep '^RESULT ' "$BENCH_DIR/$1.out" | tr ' ' '\n' |
    awk -F= '/^s[0-9]+=/ { c = substr($1, 2); if (c != 200 && c != 409 && c != 429 && c != 503) n += $2 } END { print n + 0 }'
}

errors_of() {
  echo $(( $(result "$1" err_connect) + $(result "$1" err_read) + $(result "$1" err_write) + $(result "$1" err_timeout) ))
}

# replay_curl curl-config codes-file — sends the config's buys (same users and requestIds) until each
# has a final answer, 3 rounds at most (429 / 503 / no answer are not final). Sets REPLAY_200
# REPLAY_UNRESOLVED.
replay_curl() {
  local cfg="$1" codes="$2" _attempt
  for _attempt in 1 2 3; do
    curl -s --max-time 30 -K "$cfg" -w '%{http_code}\n' >"$codes" || true
    if ! grep -qvE '^(200|409|404|400)$' "$codes"; then break; fi
    sleep 1
  done
  REPLAY_200="$(grep -c '^200$' "$codes" || true)"
  REPLAY_UNRESOLVED="$(grep -cvE '^(200|409|404|400)$' "$codes" || true)"
}

# replay_pending label sale — retries every request wrk left without a 200 (answered otherwise or cut
# off in flight when wrk stopped) with the same user and requestId, as a client would. Sets
# REPLAY_N REPLAY_200 REPLAY_UNRESOLVED.
replay_pending() {
  local label="$1" sale="$2" cfg="$BENCH_DIR/$1.replay.curl" codes="$BENCH_DIR/$1.replay.codes"
  REPLAY_N=0 REPLAY_200=0 REPLAY_UNRESOLVED=0
  grep '^PENDING ' "$BENCH_DIR/$label.out" | while read -r _ u; do
    user="$RUN_ID-$label-$u"
    printf 'url = "%s/buy/ticket?sale=%s&user=%s&requestId=r%s"\noutput = "/dev/null"\n' "$BASE" "$sale" "$user" "$user"
  done >"$cfg"
  REPLAY_N="$(grep -c '^url' "$cfg" || true)"
  [ "$REPLAY_N" -gt 0 ] || return 0
  if [ "$REPLAY_N" -gt "$BENCH_REPLAY_MAX" ]; then
    warn "$REPLAY_N requests of run '$label' got no 200 (socket errors?); more than SPIKE_BENCH_REPLAY_MAX=$BENCH_REPLAY_MAX, not retrying them: the audit cannot be exact"
    REPLAY_UNRESOLVED=$REPLAY_N
    return 0
  fi
  replay_curl "$cfg" "$codes"
}

fmt_int() { awk -v v="$1" 'BEGIN { printf "%.0f", v }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "n/a" && a + 0 >= b + 0) }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "n/a" && a + 0 <= b + 0) }'; }
verdict() { if "$@"; then printf PASS; else printf MISS; fi; }
# noisy run... — true when other processes took more than 0.15 cores during any of these runs
noisy() {
  local l
  for l in "$@"; do
    awk -v o="$(cpu_of "$l" other)" 'BEGIN { exit !(o + 0 > 0.15) }' && return 0
  done
  return 1
}
# timing_verdict "runs" check... — PASS/MISS, or NOISY when a run involved was disturbed
timing_verdict() {
  local runs="$1"
  shift
  # shellcheck disable=SC2086
  if noisy $runs; then printf NOISY; else verdict "$@"; fi
}

# ---- bench anchors -------------------------------------------------------------------------------
# The systems Spike is measured against, started by the bench beside the running system and stopped
# when it ends, on the same Redis with keys of their own:
#   node:  bench/Anchors (Spike.Anchors) on SPIKE_NODE_ANCHOR_PORT: GET /ping answers constant JSON (a
#          bare Kestrel endpoint), GET /buy/ticket runs Spike's own reserve script for one buyer per
#          request through the same store code (no actors, no batching).
#   cluster: the Go anchor, a rebuild of the Go + Redis + nginx ticket-spike server Spike's design comes
#          from (SPIKE_GO_ANCHOR_SRC), one per API port (+ SPIKE_GO_ANCHOR_PORT_OFFSET)
#          with the API ports' weights, behind an nginx rendered from the same template on
#          SPIKE_GO_ANCHOR_NGINX_PORT.
ANCHOR_DIR="$RUN/anchors"
ANCHOR_PIDS=()

# anchor_start log dir command... — a process of the bench (own session, so anchor_stop ends it whole)
anchor_start() {
  local log="$1" dir="$2"
  shift 2
  (cd "$dir" && exec setsid "$@" >"$log" 2>&1 </dev/null) &
  ANCHOR_PIDS+=("$!")
  LAST_PID=$!
}

anchor_stop() {
  local pid
  for pid in "${ANCHOR_PIDS[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${ANCHOR_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  ANCHOR_PIDS=()
}

# anchor_wait url name — until the url answers 200 (30 s)
anchor_wait() {
  local deadline=$((SECONDS + 30))
  until [ "$(http_code "$1")" = 200 ]; do
    [ "$SECONDS" -lt "$deadline" ] || { anchor_stop; die "the $2 anchor did not answer $1 within 30 s (log in .run/anchors/)"; }
    sleep 0.2
  done
}

anchor_port_free() { # port what
  ! port_busy "$1" || die "port $1 ($2) is in use; set ${3}"
}

# start_node_anchor — Spike.Anchors; sets NODE_ANCHOR_PID
start_node_anchor() {
  anchor_port_free "$NODE_ANCHOR_PORT" "the node anchor" SPIKE_NODE_ANCHOR_PORT
  publish_project Spike.Anchors anchors bench/Anchors/Spike.Anchors.csproj
  mkdir -p "$ANCHOR_DIR"
  local envs=("ASPNETCORE_URLS=http://$HOST:$NODE_ANCHOR_PORT" "Redis=$HOST:$REDIS_PORT") extra
  for extra in $NODE_ENV; do envs+=("$extra"); done   # the same runtime settings as Spike's nodes
  anchor_start "$ANCHOR_DIR/node.log" "$PUBLISH/anchors" env "${envs[@]}" dotnet Spike.Anchors.dll
  NODE_ANCHOR_PID=$LAST_PID
  anchor_wait "http://$HOST:$NODE_ANCHOR_PORT/ping" node
}

# start_go_anchor — builds and starts the Go servers and their nginx; sets GO_ANCHOR_PIDS (servers and
# nginx, comma separated) and GO_ANCHOR_NGINX_PIDS, or GO_ANCHOR_SKIP with the reason it cannot run
start_go_anchor() {
  GO_ANCHOR_PIDS="" GO_ANCHOR_NGINX_PIDS="" GO_ANCHOR_SKIP=""
  if [ ! -f "$GO_ANCHOR_SRC/main.go" ]; then
    GO_ANCHOR_SKIP="no $GO_ANCHOR_SRC/main.go (SPIKE_GO_ANCHOR_SRC)"
    return 0
  fi
  ensure_pkgs go:golang-go /usr/share/gocode/src/github.com/gomodule/redigo:golang-github-gomodule-redigo-dev
  mkdir -p "$ANCHOR_DIR/gopath/src"
  ln -sfn /usr/share/gocode/src/github.com "$ANCHOR_DIR/gopath/src/github.com"
  step "building the Go anchor from $GO_ANCHOR_SRC into .run/anchors/seed-spike"
  (cd "$GO_ANCHOR_SRC" && GOPATH="$ANCHOR_DIR/gopath" GO111MODULE=off go build -o "$ANCHOR_DIR/seed-spike" main.go) \
    >"$ANCHOR_DIR/go-build.log" 2>&1 || { cat "$ANCHOR_DIR/go-build.log" >&2; die "go build of the Go anchor failed"; }
  local port go_ports=""
  for port in $API_PORTS; do go_ports+="${go_ports:+ }$((port + GO_ANCHOR_PORT_OFFSET))"; done
  for port in $go_ports; do anchor_port_free "$port" "a Go anchor server" SPIKE_GO_ANCHOR_PORT_OFFSET; done
  anchor_port_free "$GO_ANCHOR_NGINX_PORT" "the Go anchor's nginx" SPIKE_GO_ANCHOR_NGINX_PORT
  # the Go server's counts, far above what a run sells (its local stock likewise)
  redis_cli HSET ticket_hash_key ticket_total_nums 1000000000 ticket_sold_nums 0 >/dev/null
  for port in $go_ports; do
    anchor_start "$ANCHOR_DIR/go-$port.log" "$ANCHOR_DIR" "$ANCHOR_DIR/seed-spike" -port "$port" -local-stock 1000000000 -redis "$HOST:$REDIS_PORT"
    GO_ANCHOR_PIDS+="${GO_ANCHOR_PIDS:+,}$LAST_PID"
  done
  local bin dir="$ANCHOR_DIR/nginx"
  bin="$(nginx_bin)" || die "nginx is not installed (sudo apt-get install -y nginx)"
  mkdir -p "$dir"
  PATH="$(dirname "$bin"):$PATH" SPIKE_NGINX_PORT="$GO_ANCHOR_NGINX_PORT" SPIKE_API_PORTS="$go_ports" SPIKE_API_WEIGHTS="$API_WEIGHTS" \
    SPIKE_API_HOST="$HOST" SPIKE_NGINX_DAEMON=off "$ROOT/nginx/render.sh" --test "$dir/nginx.conf" "$dir" >"$ANCHOR_DIR/nginx-render.log" 2>&1 \
    || { cat "$ANCHOR_DIR/nginx-render.log" >&2; anchor_stop; die "nginx/render.sh failed for the Go anchor"; }
  anchor_start "$ANCHOR_DIR/nginx.log" "$dir" "$bin" -c "$dir/nginx.conf" -p "$dir/" -e "$dir/error.log"
  for port in $go_ports; do anchor_wait "http://$HOST:$port/buy/ticket" "Go"; done
  anchor_wait "http://$HOST:$GO_ANCHOR_NGINX_PORT/buy/ticket" "Go (nginx)"
  GO_ANCHOR_NGINX_PIDS="$(nginx_pids "$LAST_PID")"
}

# cpu_ms_per_ticket label — CPU of the server processes (every group but wrk, irq and other) during a
# run, in ms per 200 answer
cpu_ms_per_ticket() {
  grep '^CPU ' "$BENCH_DIR/$1.out" | awk -v s="$(result "$1" seconds)" -v n="$(result "$1" s200)" '
    { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] != "wrk" && kv[1] != "irq" && kv[1] != "other") c += kv[2] } }
    END { if (n > 0) printf "%.3f", c * s * 1000 / n; else print "n/a" }'
}

cmd_bench() {
  local mode="${1:-}"
  case "$mode" in
    "" | cluster | node) ;;
    *) die "unknown bench mode '$mode' (cluster | node)" ;;
  esac
  ensure_pkgs wrk:wrk curl:curl redis-cli:redis-tools
  trap anchor_stop EXIT
  STARTED_BY_US=0
  ensure_up_for bench
  if [ -z "$mode" ]; then
    if [ "$INVENTORY_NODES" -gt 0 ]; then mode=cluster; else mode=node; fi
  fi
  if [ "$mode" = cluster ]; then
    bench_cluster
  else
    bench_node
  fi
}

# bench_node — the benchmark of one API node, directly: success path, sold-out path, /ping
bench_node() {
  BASE="http://$HOST:${API_PORT_LIST[0]}"
  read_procs
  local i node_pid="" rest=""
  NODE_PID="" REDIS_PID=""
  for i in "${!P_NAME[@]}"; do
    [ "${P_KIND[$i]}" = redis ] && REDIS_PID="${P_PID[$i]}"
    if [ "${P_KIND[$i]}" = api ] && [ "${P_PORT[$i]}" = "${API_PORT_LIST[0]}" ]; then
      node_pid="${P_PID[$i]}" NODE_PID="${P_PID[$i]}"
    elif [ "${P_KIND[$i]}" = nginx ]; then
      rest+="${rest:+,}$(nginx_pids "${P_PID[$i]}")"
    elif [ "${P_KIND[$i]}" != redis ]; then
      rest+="${rest:+,}${P_PID[$i]}"
    fi
  done
  # CPU: the node under test, the rest of Spike (other nodes, inventory nodes, nginx), Redis
  CPU_GROUPS=("node=$NODE_PID" "rest=$rest" "redis=$REDIS_PID")
  RUN_ID="b$(date +%s)"
  BENCH_DIR="$RUN/bench/$RUN_ID"
  mkdir -p "$BENCH_DIR"
  local sale_a="$RUN_ID-a" sale_b="$RUN_ID-b" sale_w="$RUN_ID-w"

  step "bench $RUN_ID against $BASE: wrk -t$BENCH_THREADS -c$BENCH_CONNECTIONS, ${BENCH_SECONDS} s per run (raw output in .run/bench/$RUN_ID)"
  step "warm-up ${BENCH_WARMUP} s: buy path and /ping"
  create_sale "$sale_w" "$BENCH_STOCK"
  wrk_run warm-buy buy "$sale_w" "$BENCH_WARMUP"
  wrk_run warm-ping ping - "$BENCH_WARMUP"

  # the runs without Spike's buy path first, each once the order feed has created the orders before it
  # (the Lua anchor reserves through Spike's script, so its sale has orders too): the feed's work after a
  # buying run belongs to that run
  wait_orders "$sale_w"
  step "(c) HTTP ceiling: GET /ping"
  sleep 1
  wrk_run c ping - "$BENCH_SECONDS"

  step "anchors on $HOST:$NODE_ANCHOR_PORT (bench/Anchors): (l) one Lua call per request, (k) bare Kestrel"
  start_node_anchor
  local node_groups=("${CPU_GROUPS[@]}") sale_l="$RUN_ID-l"
  CPU_GROUPS=("node=$NODE_ANCHOR_PID" "rest=$rest,$NODE_PID" "redis=$REDIS_PID")   # the anchor in the node's column
  create_sale "$sale_l" "$BENCH_STOCK"
  wrk_run warm-l buy "$sale_l" "$BENCH_WARMUP" "http://$HOST:$NODE_ANCHOR_PORT"
  wrk_run l buy "$sale_l" "$BENCH_SECONDS" "http://$HOST:$NODE_ANCHOR_PORT"
  wait_orders "$sale_l"
  wrk_run k ping - "$BENCH_SECONDS" "http://$HOST:$NODE_ANCHOR_PORT"
  anchor_stop
  CPU_GROUPS=("${node_groups[@]}")

  step "(a) success path: sale $sale_a, stock $BENCH_STOCK, every request a new user"
  create_sale "$sale_a" "$BENCH_STOCK"
  sleep 1
  local all0 all1
  read -r all0 _ < <(redis_stat_calls)
  wrk_run a buy-track "$sale_a" "$BENCH_SECONDS"
  sleep 1
  replay_pending a "$sale_a"
  read -r all1 _ < <(redis_stat_calls)
  sale_counts "$sale_a"
  local a_total=$S_TOTAL a_held=$S_HELD a_avail=$S_AVAIL a_calls=$S_CALLS
  wait_orders "$sale_a"
  local orders_wait_s=$ORDERS_WAIT_S
  local a_200 a_answered
  a_200="$(result a s200)"
  a_answered=$((a_200 + REPLAY_200))

  step "(b) sold-out path: sale $sale_b, stock 1, its one ticket sold first"
  create_sale "$sale_b" 1
  local r
  r="$(api GET "/buy/ticket?sale=$sale_b&user=$RUN_ID-first&requestId=r$RUN_ID-first")"
  [ "$(code_of "$r")" = 200 ] || die "buying the one ticket of $sale_b answered $(code_of "$r"): $(body_of "$r")"
  wait_orders "$sale_b"   # its order's creation is Redis work, not the sold-out path's
  local all2 all3 b_calls0=$S_CALLS
  read -r _ all2 < <(redis_stat_calls)
  wrk_run b first "$sale_b" "$BENCH_SECONDS"
  step "(d) sold-out path, every request with a requestId of its own (the node cannot tell it from a retry)"
  wrk_run d buy "$sale_b" "$BENCH_SECONDS"
  read -r _ all3 < <(redis_stat_calls)
  sleep 1
  sale_counts "$sale_b"
  local b_total=$S_TOTAL b_held=$S_HELD b_avail=$S_AVAIL b_calls=$((S_CALLS - b_calls0))

  local hwm="n/a"
  [ -n "$node_pid" ] && hwm="$(awk '/VmHWM/{printf "%d MB", $2/1024}' "/proc/$node_pid/status" 2>/dev/null || echo n/a)"

  # ---- the table ----
  local rps_a rps_b rps_c rps_d rps_l rps_k
  rps_a="$(result a rps)" rps_b="$(result b rps)" rps_c="$(result c rps)" rps_d="$(result d rps)"
  rps_l="$(result l rps)" rps_k="$(result k rps)"
  local ac al bk dk calls_per all_per
  ac="$(ratio "$rps_a" "$rps_c")" al="$(ratio "$rps_a" "$rps_l")" bk="$(ratio "$rps_b" "$rps_k")" dk="$(ratio "$rps_d" "$rps_k")"
  calls_per="$(awk -v d="$a_calls" -v h="$a_held" 'BEGIN { if (h > 0) printf "%.4f", d / h; else print "n/a" }')"
  all_per="$(awk -v d=$((all1 - all0)) -v h="$a_held" 'BEGIN { if (h > 0) printf "%.4f", d / h; else print "n/a" }')"
  local cpu
  cpu="$(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo 2>/dev/null || true)"

  local table="$BENCH_DIR/table.txt"
  {
    say ""
    say "Spike bench $RUN_ID — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores${cpu:+ ($cpu)}, $(. /etc/os-release 2>/dev/null && printf '%s' "$PRETTY_NAME"), .NET SDK $(dotnet --version 2>/dev/null || echo '?'), build ${BUILD_COMMIT:-?}"
    say "wrk $BENCH_THREADS threads, $BENCH_CONNECTIONS connections, ${BENCH_SECONDS} s per run after a ${BENCH_WARMUP} s warm-up; one node on $BASE, directly; every request a new user; node env: ${NODE_ENV:-none}"
    say "Redis: AOF, appendfsync $(redis_fsync_now)"
    say ""
    printf '| %-28s | %9s | %8s | %8s | %9s | %9s | %6s | %6s | %6s | %6s | %-45s |\n' run "req/s" "p50 ms" "p99 ms" 200 409 429 503 other errors "CPU cores: node/rest/redis/wrk/irq/other"
    printf '|%s|\n' "------------------------------|-----------|----------|----------|-----------|-----------|--------|--------|--------|--------|-----------------------------------------------"
    local l name
    for l in a b d c l k; do
      case $l in
        a) name="(a) success path" ;; b) name="(b) sold-out path" ;; d) name="(d) sold out, own ids" ;; c) name="(c) GET /ping ceiling" ;;
        l) name="(l) anchor: Lua per request" ;; k) name="(k) anchor: bare Kestrel" ;;
      esac
      printf '| %-28s | %9s | %8s | %8s | %9s | %9s | %6s | %6s | %6s | %6s | %-45s |\n' "$name" \
        "$(fmt_int "$(result $l rps)")" "$(result $l p50_ms)" "$(result $l p99_ms)" \
        "$(result $l s200)" "$(result $l s409)" "$(result $l s429)" "$(result $l s503)" "$(other_codes $l)" "$(errors_of $l)" \
        "$(cpu_of $l node) / $(cpu_of $l rest) / $(cpu_of $l redis) / $(cpu_of $l wrk) / $(cpu_of $l irq) / $(cpu_of $l other)"
    done
    say ""
    printf '| %-46s | %-27s | %-11s | %-6s |\n' check measured target result
    printf '|%s|\n' "------------------------------------------------|-----------------------------|-------------|--------"
    printf '| %-46s | %-27s | %-11s | %-6s |\n' "a/l (success path vs one Lua call a request)" "$al" ">= 1.2" "$(timing_verdict "a l" ge "$al" 1.2)"
    printf '| %-46s | %-27s | %-11s | %-6s |\n' "b/k (sold-out path vs bare Kestrel)" "$bk" ">= 0.85" "$(timing_verdict "b k" ge "$bk" 0.85)"
    printf '| %-46s | %-27s | %-11s | %-6s |\n' "d/k (sold out with requestIds vs bare Kestrel)" "$dk" ">= 0.85" "$(timing_verdict "d k" ge "$dk" 0.85)"
    printf '| %-46s | %-27s | %-11s | %-6s |\n' "a/c (success path vs Spike's /ping)" "$ac" "info" "-"
    printf '| %-46s | %-27s | %-11s | %-6s |\n' "p99 latency (a)" "$(result a p99_ms) ms" "<= 10 ms" "$(timing_verdict a le "$(result a p99_ms)" 10)"
    printf '| %-46s | %-27s | %-11s | %-6s |\n' "p99 latency (b)" "$(result b p99_ms) ms" "<= 10 ms" "$(timing_verdict b le "$(result b p99_ms)" 10)"
    printf '| %-46s | %-27s | %-11s | %-6s |\n' "Redis reserve calls per reserved ticket (a)" "$calls_per ($a_calls / $a_held)" "<= 0.2" "$(verdict le "$calls_per" 0.2)"
    printf '| %-46s | %-27s | %-11s | %-6s |\n' "order feed: every order of (a) created, after it" "$orders_wait_s s" "info" "-"
    printf '| %-46s | %-27s | %-11s | %-6s |\n' "Redis commands per ticket (a), with orders'" "$all_per" "info" "-"
    printf '| %-46s | %-27s | %-11s | %-6s |\n' "reserve calls for (b) and (d), sold out" "$b_calls" "0" "$(verdict test "$b_calls" -eq 0)"
    printf '| %-46s | %-27s | %-11s | %-6s |\n' "Redis commands meanwhile, all clients" "$((all3 - all2)) (not the feed's polling)" "info" "-"
    printf '| %-46s | %-27s | %-11s | %-6s |\n' "node peak memory (VmHWM, pid ${node_pid:-?})" "$hwm" "info" "-"
    printf '| %-46s | %-27s | %-11s | %-6s |\n' "audit (a): reserved answers == held" "$a_answered == $a_held" "equal" "$(verdict test "$a_answered" = "$a_held")"
    printf '| %-46s | %-27s | %-11s | %-6s |\n' "audit (a): held + available == total" "$a_held + $a_avail == $a_total" "equal" "$(verdict test $((a_held + a_avail)) = "$a_total")"
    printf '| %-46s | %-27s | %-11s | %-6s |\n' "audit (a): held <= total" "$a_held <= $a_total" "no oversell" "$(verdict test "$a_held" -le "$a_total")"
    printf '| %-46s | %-27s | %-11s | %-6s |\n' "audit (b, d): held == 1 + reserved answers" "$b_held == 1 + $(result b s200) + $(result d s200)" "equal" "$(verdict test "$b_held" = $((1 + $(result b s200) + $(result d s200))))"
    printf '| %-46s | %-27s | %-11s | %-6s |\n' "audit (b): held + available == total" "$b_held + $b_avail == $b_total" "equal" "$(verdict test $((b_held + b_avail)) = "$b_total")"
    say ""
    for l in a b d c l k; do
      if noisy $l; then
        say "NOTE: other processes used $(cpu_of $l other) CPU cores during run ($l): its numbers are disturbed (NOISY); rerun on a quiet machine."
      fi
    done
    say "(l), (k): the node's CPU column is the anchor process (bench/Anchors), measured in the same run"
    say "reserved answers (a) = $a_200 200s seen by wrk + $REPLAY_200 of $REPLAY_N requests retried with their requestId after wrk stopped (not answered 200 during the run or cut off in flight; $REPLAY_UNRESOLVED unresolved)"
  } | tee "$table"
  bench_report "node bench"

  bench_cleanup
}

# ---- bench: the cluster through nginx ----------------------------------------------------------
# replay_ids file — retries each requestId of the file (one per line, "r<user>") with its own user and
# requestId, as a client would, until it gets a final answer (3 rounds). Sets REPLAY_N REPLAY_200
# REPLAY_UNRESOLVED.
replay_ids() {
  local ids="$1" cfg="$1.curl" codes="$1.codes" id
  REPLAY_N=0 REPLAY_200=0 REPLAY_UNRESOLVED=0
  while read -r id; do
    [ -n "$id" ] || continue
    printf 'url = "%s/buy/ticket?sale=%s&user=%s&requestId=%s"\noutput = "/dev/null"\n' "$BASE" "$SELLOUT_SALE" "${id#r}" "$id"
  done <"$ids" >"$cfg"
  REPLAY_N="$(grep -c '^url' "$cfg" || true)"
  [ "$REPLAY_N" -gt 0 ] || return 0
  replay_curl "$cfg" "$codes"
}

# sellout_run — SELLOUT_STOCK tickets, up to SELLOUT_BUYERS unique buyers through nginx (wrk with
# bench/sellout.lua); measures from the start of wrk until GET /admin/sales/<sale> shows available == 0
# (polled every 0.1 s). Sets SELLOUT_S (seconds or "none") and the sale's counts.
sellout_run() {
  SELLOUT_SALE="$RUN_ID-s"
  local out="$BENCH_DIR/s.out" sale="$SELLOUT_SALE"
  create_sale "$sale" "$SELLOUT_STOCK"
  sleep 1
  local b0 t0 q0 g0 b1 t1 q1 g1 w1 start now avail r wrk_pid
  read -r b0 t0 q0 < <(machine_ticks)
  g0="$(all_ticks)"
  start="$(date +%s.%N)"
  wrk -t"$BENCH_THREADS" -c"$BENCH_CONNECTIONS" -d"$((SELLOUT_MAX_SECONDS + 15))s" --timeout 5s \
    -s "$ROOT/bench/sellout.lua" "$NGINX_BASE" -- "$sale" "$RUN_ID-s" "$SELLOUT_BUYERS" >"$out" 2>&1 &
  wrk_pid=$!
  SELLOUT_S=none
  while :; do
    r="$(admin GET "/admin/sales/$sale" | sed '$d')"
    avail="$(json_num available "$r")"
    now="$(date +%s.%N)"
    if [ "$avail" = 0 ]; then
      w1="$(proc_ticks "$wrk_pid")"
      read -r b1 t1 q1 < <(machine_ticks)
      g1="$(all_ticks)"
      SELLOUT_S="$(awk -v a="$start" -v b="$now" 'BEGIN { printf "%.2f", b - a }')"
      break
    fi
    if is_gone "$wrk_pid" || awk -v a="$start" -v b="$now" -v m="$SELLOUT_MAX_SECONDS" 'BEGIN { exit !(b - a > m) }'; then
      w1="$(proc_ticks "$wrk_pid")"
      read -r b1 t1 q1 < <(machine_ticks)
      g1="$(all_ticks)"
      break
    fi
    sleep 0.1
  done
  # every wrk thread stops buying after 20 sold-out answers; 2 s for the buys in flight to be answered
  sleep 2
  kill -INT "$wrk_pid" 2>/dev/null || true
  wait "$wrk_pid" || true
  cpu_line "$((b1 - b0))" "$((t1 - t0))" "$((q1 - q0))" "$g0" "$g1" "$w1" >>"$out"
  grep -q '^RESULT ' "$out" || { cat "$out" >&2; die "wrk printed no RESULT line (sell-out)"; }
  check_alive sell-out "$out"
  sed -n 's/^RETRY //p' "$out" >"$BENCH_DIR/s.retry"
  replay_ids "$BENCH_DIR/s.retry"
  sale_counts "$sale"
}

bench_cluster() {
  read_procs
  local i api="" inv="" ngx="" redis="" direct_port="${SPIKE_BENCH_DIRECT_PORT:-${API_PORT_LIST[0]}}" direct_name=""
  for i in "${!P_NAME[@]}"; do
    case "${P_KIND[$i]}" in
      api) api+="${api:+,}${P_PID[$i]}"; [ "${P_PORT[$i]}" = "$direct_port" ] && direct_name="${P_NAME[$i]}" ;;
      inventory) inv+="${inv:+,}${P_PID[$i]}" ;;
      nginx) ngx="$(nginx_pids "${P_PID[$i]}")" ;;
      redis) redis="${P_PID[$i]}" ;;
    esac
  done
  [ -n "$direct_name" ] || die "SPIKE_BENCH_DIRECT_PORT=$direct_port is not one of the API ports ($API_PORTS)"
  [ -n "$ngx" ] || die "nginx is not part of the running system; ./spike.sh down && ./spike.sh up"
  CPU_GROUPS=("api=$api" "inventory=$inv" "nginx=$ngx" "redis=$redis")
  BASE="$NGINX_BASE"
  local direct="http://$HOST:$direct_port"
  RUN_ID="c$(date +%s)"
  BENCH_DIR="$RUN/bench/$RUN_ID"
  mkdir -p "$BENCH_DIR"
  local sale_n="$RUN_ID-n" sale_d="$RUN_ID-d" sale_w="$RUN_ID-w"
  local napi ninv
  napi="$(wc -w <<<"$API_PORTS")" ninv="$INVENTORY_NODES"

  step "cluster bench $RUN_ID: nginx $NGINX_BASE over $napi API nodes (weights ${API_WEIGHTS// /:}), $ninv inventory nodes; wrk -t$BENCH_THREADS -c$BENCH_CONNECTIONS, ${BENCH_SECONDS} s per run (raw output in .run/bench/$RUN_ID)"
  step "warm-up ${CLUSTER_WARMUP} s: buy path and /ping through nginx"
  create_sale "$sale_w" "$BENCH_STOCK"
  wrk_run warm-buy buy "$sale_w" "$(( (CLUSTER_WARMUP + 1) / 2 ))" "$NGINX_BASE"
  [ $((CLUSTER_WARMUP / 2)) -eq 0 ] || wrk_run warm-ping ping - "$((CLUSTER_WARMUP / 2))" "$NGINX_BASE"

  # the runs without Spike's buy path first, once the order feed has created the warm-up's orders: its
  # work after a buying run belongs to that run, not to the runs that follow
  wait_orders "$sale_w"
  step "(p) GET /ping through nginx: the HTTP ceiling of nginx + the API nodes"
  sleep 1
  wrk_run p ping - "$BENCH_SECONDS" "$NGINX_BASE"

  step "(g) the Go anchor (the ticket-spike server Spike's design comes from), one per API port with the same weights, behind its own nginx ($HOST:$GO_ANCHOR_NGINX_PORT)"
  start_go_anchor
  if [ -n "$GO_ANCHOR_SKIP" ]; then
    say "    skipped: $GO_ANCHOR_SKIP"
  else
    local spike_groups=("${CPU_GROUPS[@]}")
    CPU_GROUPS=("api=$GO_ANCHOR_PIDS" "inventory=" "nginx=$GO_ANCHOR_NGINX_PIDS" "redis=$redis")   # the Go servers in the API column
    wrk_run warm-g buy anchor "$BENCH_WARMUP" "http://$HOST:$GO_ANCHOR_NGINX_PORT"
    wrk_run g buy anchor "$BENCH_SECONDS" "http://$HOST:$GO_ANCHOR_NGINX_PORT"
    anchor_stop
    redis_cli DEL ticket_hash_key >/dev/null
    CPU_GROUPS=("${spike_groups[@]}")
  fi

  step "(n) success path through nginx: sale $sale_n, stock $BENCH_STOCK, every request a new user"
  create_sale "$sale_n" "$BENCH_STOCK"
  sleep 1
  local all0 all1
  read -r all0 _ < <(redis_stat_calls)
  wrk_run n buy-track "$sale_n" "$BENCH_SECONDS" "$NGINX_BASE"
  sleep 1
  replay_pending n "$sale_n"
  read -r all1 _ < <(redis_stat_calls)
  local n_rn=$REPLAY_N n_r200=$REPLAY_200 n_unres=$REPLAY_UNRESOLVED
  sale_counts "$sale_n"
  local n_total=$S_TOTAL n_held=$S_HELD n_avail=$S_AVAIL n_calls=$S_CALLS n_answered=$(($(result n s200) + REPLAY_200))

  step "(d) success path directly on $direct_name ($direct): sale $sale_d, stock $BENCH_STOCK"
  create_sale "$sale_d" "$BENCH_STOCK"
  sleep 1
  wrk_run d buy-track "$sale_d" "$BENCH_SECONDS" "$direct"
  sleep 1
  replay_pending d "$sale_d"
  local d_rn=$REPLAY_N d_r200=$REPLAY_200 d_unres=$REPLAY_UNRESOLVED
  sale_counts "$sale_d"
  local d_total=$S_TOTAL d_held=$S_HELD d_avail=$S_AVAIL d_answered=$(($(result d s200) + REPLAY_200))

  step "(s) sell-out: $(fmt_n "$SELLOUT_STOCK") tickets, up to $(fmt_n "$SELLOUT_BUYERS") unique buyers through nginx (at most ${SELLOUT_MAX_SECONDS} s)"
  sellout_run
  local s_total=$S_TOTAL s_held=$S_HELD s_avail=$S_AVAIL s_calls=$S_CALLS
  local s_sent s_answered s_200 s_409 s_429 s_503 s_other s_err s_unanswered s_reserved s_unresolved
  s_sent="$(result s sent)" s_answered="$(result s answered)"
  s_200="$(result s s200)" s_409="$(result s s409)" s_429="$(result s s429)" s_503="$(result s s503)"
  s_other="$(other_codes s)" s_err="$(errors_of s)"
  s_unanswered=$((s_sent - s_answered))
  s_reserved=$((s_200 + REPLAY_200))
  s_unresolved=$((s_unanswered + REPLAY_UNRESOLVED))
  # The order feed creates the bench's orders (it ran during every buying run above); how long it takes
  # to catch up after the sell-out is its throughput.
  wait_orders "$sale_n" "$sale_d" "$SELLOUT_SALE"
  local orders_wait_s=$ORDERS_WAIT_S
  # Invariant 6 through the front door: after sell-out a buy is answered without Redis. 200 buys of new
  # users through nginx, one at a time, without a requestId (nginx adds its own); Redis commands counted
  # from INFO commandstats (not its own INFO calls, nor the order feed's polling: it has caught up)
  local so_cfg="$BENCH_DIR/soldout.curl" so_all0 so_all1 so_codes
  for i in $(seq 1 200); do
    printf 'url = "%s/buy/ticket?sale=%s&user=%s-late-%s"\noutput = "/dev/null"\n' "$NGINX_BASE" "$SELLOUT_SALE" "$RUN_ID" "$i"
  done >"$so_cfg"
  sale_counts "$SELLOUT_SALE"
  local so_calls0=$S_CALLS so_calls
  read -r _ so_all0 < <(redis_stat_calls)
  so_codes="$(curl -s --max-time 30 -K "$so_cfg" -w '%{http_code}\n' | sort | uniq -c | awk '{ printf "%s%sx%s", sep, $1, $2; sep = " " }')"
  read -r _ so_all1 < <(redis_stat_calls)
  sale_counts "$SELLOUT_SALE"
  so_calls=$((S_CALLS - so_calls0))
  local so_per
  so_per="$(awk -v d=$((so_all1 - so_all0)) 'BEGIN { printf "%.2f", d / 200 }')"
  # the sold-out sale's invariants from Redis (spike audit, Spike.Sales/SaleAudit.cs)
  local s_audit s_audit_rc=0
  s_audit="$(spike_tool audit "$SELLOUT_SALE" --redis "$HOST:$REDIS_PORT" --expect-sold-out 2>&1)" || s_audit_rc=$?
  local rate="n/a"
  [ "$SELLOUT_S" != none ] && rate="$(awk -v n="$s_held" -v t="$SELLOUT_S" 'BEGIN { if (t > 0) printf "%.0f", n / t; else print "n/a" }')"
  local shares
  shares="$(awk -v ports="$API_PORTS" -v weights="$API_WEIGHTS" -v host="$HOST" '
    BEGIN { np = split(ports, P, " "); split(weights, W, " "); for (i = 1; i <= np; i++) tw += W[i] }
    /^UPSTREAM / { a[$2] = $3; t += $3 }
    END { for (i = 1; i <= np; i++) { u = host ":" P[i]; printf "%s%s %.1f%% (w %.0f%%)", sep, P[i], t ? 100 * a[u] / t : 0, 100 * W[i] / tw; sep = ", " } }' "$BENCH_DIR/s.out")"

  local calls_per all_per cpu
  calls_per="$(awk -v d="$n_calls" -v h="$n_held" 'BEGIN { if (h > 0) printf "%.4f", d / h; else print "n/a" }')"
  all_per="$(awk -v d=$((all1 - all0)) -v h="$n_held" 'BEGIN { if (h > 0) printf "%.4f", d / h; else print "n/a" }')"
  cpu="$(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo 2>/dev/null || true)"
  local table="$BENCH_DIR/table.txt" ok=1 l name fmt
  fmt='| %-38s | %9s | %8s | %8s | %9s | %9s | %6s | %6s | %6s | %6s | %-44s |\n'
  {
    say ""
    say "Spike cluster bench $RUN_ID — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores${cpu:+ ($cpu)}, $(. /etc/os-release 2>/dev/null && printf '%s' "$PRETTY_NAME"), .NET SDK $(dotnet --version 2>/dev/null || echo '?'), build ${BUILD_COMMIT:-?}"
    say "nginx $NGINX_BASE -> $napi API nodes ($API_PORTS, weights ${API_WEIGHTS// /:}), $ninv inventory nodes, Redis (AOF, appendfsync $(redis_fsync_now)); all on this machine"
    say "wrk $BENCH_THREADS threads, $BENCH_CONNECTIONS connections, ${BENCH_SECONDS} s per run after a ${CLUSTER_WARMUP} s warm-up; every request a new user; node env: ${NODE_ENV:-none}"
    say ""
    # shellcheck disable=SC2059
    printf "$fmt" run "req/s" "p50 ms" "p99 ms" 200 409 429 503 other errors "CPU cores: api/inventory/nginx/redis/wrk/irq/other"
    printf '|%s|\n' "----------------------------------------|-----------|----------|----------|-----------|-----------|--------|--------|--------|--------|----------------------------------------------"
    local rows="n d p"
    [ -n "$GO_ANCHOR_SKIP" ] || rows+=" g"
    for l in $rows; do
      case $l in
        n) name="(n) success path, through nginx" ;;
        d) name="(d) success path, $direct_name directly" ;;
        p) name="(p) GET /ping, through nginx" ;;
        g) name="(g) anchor: Go server, through nginx" ;;
      esac
      # shellcheck disable=SC2059
      printf "$fmt" "$name" \
        "$(fmt_int "$(result $l rps)")" "$(result $l p50_ms)" "$(result $l p99_ms)" \
        "$(result $l s200)" "$(result $l s409)" "$(result $l s429)" "$(result $l s503)" "$(other_codes $l)" "$(errors_of $l)" \
        "$(cpu_of $l api) / $(cpu_of $l inventory) / $(cpu_of $l nginx) / $(cpu_of $l redis) / $(cpu_of $l wrk) / $(cpu_of $l irq) / $(cpu_of $l other)"
    done
    say ""
    printf '| %-60s | %-62s |\n' "(s) sell-out through nginx" "measured"
    printf '|%s|\n' "--------------------------------------------------------------|----------------------------------------------------------------"
    printf '| %-60s | %-62s |\n' "tickets / unique buyers (at most)" "$(fmt_n "$SELLOUT_STOCK") / $(fmt_n "$SELLOUT_BUYERS")"
    printf '| %-60s | %-62s |\n' "time to sell out (first request -> available == 0)" "$SELLOUT_S s"
    printf '| %-60s | %-62s |\n' "tickets sold per second until then" "$rate"
    printf '| %-60s | %-62s |\n' "buys sent / answered (the last ones after sell-out)" "$s_sent / $s_answered"
    printf '| %-60s | %-62s |\n' "answers 200 / 409 / 429 / 503 / other, socket errors" "$s_200 / $s_409 / $s_429 / $s_503 / $s_other, $s_err"
    printf '| %-60s | %-62s |\n' "answers per API node (share, weight's share)" "$shares"
    printf '| %-60s | %-62s |\n' "Redis reserve calls per ticket" "$(awk -v d="$s_calls" -v h="$s_held" 'BEGIN { if (h > 0) printf "%.4f", d / h; else print "n/a" }')"
    printf '| %-60s | %-62s |\n' "order feed: every order created (n, d, s), after sell-out" "$orders_wait_s s"
    printf '| %-60s | %-62s |\n' "CPU cores until sold out: api/inv/nginx/redis/wrk/irq/other" "$(cpu_of s api) / $(cpu_of s inventory) / $(cpu_of s nginx) / $(cpu_of s redis) / $(cpu_of s wrk) / $(cpu_of s irq) / $(cpu_of s other)"
    say ""
    printf '| %-50s | %-30s | %-11s | %-6s |\n' check measured target result
    printf '|%s|\n' "----------------------------------------------------|--------------------------------|-------------|--------"
    local np ng
    np="$(ratio "$(result n rps)" "$(result p rps)")" ng="$(ratio "$(result n rps)" "$(result g rps)")"
    if [ -n "$GO_ANCHOR_SKIP" ]; then
      printf '| %-50s | %-30s | %-11s | %-6s |\n' "(n)/(g): Spike vs the Go anchor" "skipped" ">= 1.2" "-"
    else
      printf '| %-50s | %-30s | %-11s | %-6s |\n' "(n)/(g): Spike vs the Go anchor" "$ng" ">= 1.2" "$(timing_verdict "n g" ge "$ng" 1.2)"
    fi
    printf '| %-50s | %-30s | %-11s | %-6s |\n' "(n)/(p): success path vs /ping, through nginx" "$np" ">= 0.7" "$(timing_verdict "n p" ge "$np" 0.7)"
    printf '| %-50s | %-30s | %-11s | %-6s |\n' "p99 latency (n)" "$(result n p99_ms) ms" "<= 50 ms" "$(timing_verdict n le "$(result n p99_ms)" 50)"
    printf '| %-50s | %-30s | %-11s | %-6s |\n' "CPU ms per reserved ticket (n), server processes" "$(cpu_ms_per_ticket n)" "info" "-"
    [ -n "$GO_ANCHOR_SKIP" ] || printf '| %-50s | %-30s | %-11s | %-6s |\n' "CPU ms per ticket (g), Go servers + nginx + Redis" "$(cpu_ms_per_ticket g)" "info" "-"
    printf '| %-50s | %-30s | %-11s | %-6s |\n' "(n)/(d): $napi nodes behind nginx vs one node" "$(ratio "$(result n rps)" "$(result d rps)")" "info" "-"
    printf '| %-50s | %-30s | %-11s | %-6s |\n' "Redis reserve calls per reserved ticket (n)" "$calls_per ($n_calls / $n_held)" "<= 0.2" "$(verdict le "$calls_per" 0.2)"
    printf '| %-50s | %-30s | %-11s | %-6s |\n' "Redis commands per ticket (n), with orders'" "$all_per" "info" "-"
    printf '| %-50s | %-30s | %-11s | %-6s |\n' "reserve calls for 200 sold-out answers via nginx" "$so_calls ($so_codes)" "0" "$(verdict test "$so_calls" -eq 0)"
    printf '| %-50s | %-30s | %-11s | %-6s |\n' "Redis commands per sold-out answer, all clients" "$so_per (not the feed's polling)" "info" "-"
    audit_row() { # label measured pass(1|empty)
      local v=FAIL
      [ "${3:-}" = 1 ] && v=PASS
      [ "$v" = PASS ] || ok=0
      printf '| %-50s | %-30s | %-11s | %-6s |\n' "$1" "$2" "${4:-equal}" "$v"
    }
    audit_row "audit (n): reserved answers == held" "$n_answered == $n_held" "$([ "$n_answered" = "$n_held" ] && [ "$n_unres" = 0 ] && echo 1)"
    audit_row "audit (n): held + available == total" "$n_held + $n_avail == $n_total" "$([ $((n_held + n_avail)) = "$n_total" ] && echo 1)"
    audit_row "audit (d): reserved answers == held" "$d_answered == $d_held" "$([ "$d_answered" = "$d_held" ] && [ "$d_unres" = 0 ] && echo 1)"
    audit_row "audit (d): held + available == total" "$d_held + $d_avail == $d_total" "$([ $((d_held + d_avail)) = "$d_total" ] && echo 1)"
    audit_row "audit (s): sold out within ${SELLOUT_MAX_SECONDS} s" "$SELLOUT_S s" "$([ "$SELLOUT_S" != none ] && echo 1)" "sold out"
    audit_row "audit (s): reserved answers == held" "$s_reserved == $s_held" "$([ "$s_reserved" = "$s_held" ] && [ "$s_unresolved" = 0 ] && echo 1)"
    say ""
    say "spike audit $SELLOUT_SALE (s):"
    sed 's/^/    /' <<<"$s_audit"
    [ "$s_audit_rc" -eq 0 ] || ok=0
    say ""
    for l in n d p s $([ -n "$GO_ANCHOR_SKIP" ] || echo g); do
      if noisy $l; then
        say "NOTE: other processes used $(cpu_of $l other) CPU cores during run ($l): its numbers are disturbed (NOISY); rerun on a quiet machine."
      fi
    done
    [ -n "$GO_ANCHOR_SKIP" ] || say "(g): the API column is the Go servers, the nginx column their own nginx; same Redis, measured in the same run"
    say "reserved answers (n) = $(result n s200) 200s seen by wrk + $n_r200 of $n_rn requests retried with their requestId after wrk stopped ($n_unres unresolved); (d) = $(result d s200) + $d_r200 of $d_rn ($d_unres unresolved)"
    say "reserved answers (s) = $s_200 200s seen by wrk + $REPLAY_200 of $REPLAY_N buys answered 429/503 and retried with their requestId; $s_unanswered buys unanswered when wrk stopped, $REPLAY_UNRESOLVED unresolved after the retries"
    [ "$ok" -eq 1 ] && printf 'AUDIT PASS\n' || printf 'AUDIT FAIL\n'
  } | tee "$table"
  bench_report "cluster bench"

  bench_cleanup
  grep -q '^AUDIT PASS$' "$table" || die "an audit line of the cluster bench failed (table above, raw output in $BENCH_DIR)"
}

# ---- main ---------------------------------------------------------------------------------------
main() {
  local cmd="${1:-}"
  [ $# -gt 0 ] && shift
  case "$cmd" in
    up) cmd_up "$@" ;;
    down) cmd_down "$@" ;;
    status) cmd_status "$@" ;;
    cli) cmd_cli "$@" ;;
    logs) cmd_logs "$@" ;;
    demo) cmd_demo "$@" ;;
    test) cmd_test "$@" ;;
    bench) cmd_bench "$@" ;;
    deps) cmd_deps "$@" ;;
    -h | --help | help) usage ;;
    *)
      usage >&2
      exit 2
      ;;
  esac
}

main "$@"
