#!/usr/bin/env bash
# spike.sh — run, test and benchmark Spike on this machine.
#
#   ./spike.sh up       start Redis and the node(s); wait until every node is ready
#   ./spike.sh down     stop everything `up` started
#   ./spike.sh status   show the processes and their readiness
#   ./spike.sh demo     bring the system up and run a tiny sale with curl, then audit it
#   ./spike.sh test     run every test (installs redis-server, nginx, wrk first when missing)
#   ./spike.sh bench    benchmark the running node with wrk and print one table
#   ./spike.sh deps     install the system packages the other commands need (apt-get, root)
#
# Everything listens on 127.0.0.1 only. Pids, logs, the published build, Redis data and the admin
# token live in .run/ (git-ignored). Configuration comes from the environment; see README.md.
#
# Layout for later topologies: every process is started by start_process() and recorded as one line
# of .run/procs ("name pid kind port log"); down/status only read that file. `plan_nodes` decides
# which node processes exist — adding inventory nodes or more API nodes (and nginx) means adding
# lines there and, for a new kind, a case in start_node().

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RUN="$ROOT/.run"
LOGS="$RUN/logs"
PROCS="$RUN/procs"          # one line per process started by `up`: name pid kind port log
STATE="$RUN/state"          # the configuration the running system was started with
TOKEN_FILE="$RUN/admin-token"
PUBLISH="$RUN/publish"
HOST=127.0.0.1

# ---- configuration (environment) ----------------------------------------------------------------
REDIS_PORT="${SPIKE_REDIS_PORT:-6379}"
API_PORTS="${SPIKE_API_PORTS:-3001}"
AKKA_BASE_PORT="${SPIKE_AKKA_BASE_PORT:-4053}"
APPENDFSYNC="${SPIKE_REDIS_APPENDFSYNC:-everysec}"
READY_TIMEOUT="${SPIKE_READY_TIMEOUT:-120}"
BUILD_CONFIGURATION="${SPIKE_BUILD_CONFIGURATION:-Release}"
TEST_CONFIGURATION="${SPIKE_TEST_CONFIGURATION:-Release}"
BENCH_SECONDS="${SPIKE_BENCH_SECONDS:-10}"
BENCH_WARMUP="${SPIKE_BENCH_WARMUP:-3}"
BENCH_CONNECTIONS="${SPIKE_BENCH_CONNECTIONS:-100}"
BENCH_THREADS="${SPIKE_BENCH_THREADS:-2}"
BENCH_STOCK="${SPIKE_BENCH_STOCK:-5000000}"
BENCH_REPLAY_MAX="${SPIKE_BENCH_REPLAY_MAX:-20000}"
BENCH_KEEP_DATA="${SPIKE_BENCH_KEEP_DATA:-0}"
LOG_LEVEL="${SPIKE_LOG_LEVEL:-}"          # optional override of the node's default log level

# ---- output helpers -----------------------------------------------------------------------------
say() { printf '%s\n' "$*"; }
step() { printf '==> %s\n' "$*"; }
warn() { printf 'spike: warning: %s\n' "$*" >&2; }
die() { printf 'spike: error: %s\n' "$*" >&2; exit 1; }

usage() {
  cat <<EOF
usage: ./spike.sh <command>

  up       start Redis (AOF on) and the node(s) on 127.0.0.1; wait until ready; print URLs and token
  down     stop everything 'up' started (pids from .run/procs)
  status   show the processes and whether each node is ready
  demo     bring the system up (when it is not) and run a tiny sale with curl, then audit it
  test     run every test: dotnet test Spike.sln (installs redis-server, nginx, wrk when missing)
  bench    wrk benchmark of the running node (brings it up when needed): success path, sold-out
           path, /ping ceiling; one table with targets and an audit
  deps     install the system packages the commands need (apt-get; needs root)

environment: SPIKE_REDIS_PORT (6379), SPIKE_API_PORTS ("3001"), SPIKE_ADMIN_TOKEN (generated),
  SPIKE_REDIS_APPENDFSYNC (everysec), SPIKE_AKKA_BASE_PORT (4053), SPIKE_READY_TIMEOUT (120 s),
  SPIKE_DEFAULT_SALE, SPIKE_LOG_LEVEL, SPIKE_BENCH_SECONDS (10), SPIKE_BENCH_WARMUP (3), SPIKE_BENCH_CONNECTIONS (100),
  SPIKE_BENCH_THREADS (2), SPIKE_BENCH_STOCK (5000000), SPIKE_TEST_CONFIGURATION (Release)
EOF
}

# ---- packages -----------------------------------------------------------------------------------
has_cmd() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]; }

# ensure_pkgs command:package ... — installs the missing ones with apt-get when root, else explains.
ensure_pkgs() {
  local missing=() pair
  for pair in "$@"; do
    has_cmd "${pair%%:*}" || missing+=("${pair#*:}")
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

# ---- process bookkeeping ------------------------------------------------------------------------
# The command-line fragment that identifies each kind of process (guards against pid reuse).
kind_match() {
  case "$1" in
    redis) printf 'redis-server' ;;
    api) printf 'Spike.Api.dll' ;;
    inventory) printf 'Spike.Host.dll' ;;
    nginx) printf 'nginx' ;;
    *) printf '%s' "$1" ;;
  esac
}

# is_ours pid kind — the pid is alive and runs what we started
is_ours() {
  local pid="$1" kind="$2" cmdline
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
  [[ "$cmdline" == *"$(kind_match "$kind")"* ]]
}

# node kinds answer /ready on their HTTP port
is_node() { [ "$1" = api ] || [ "$1" = inventory ]; }

port_busy() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

# read_procs — fills P_NAME P_PID P_KIND P_PORT P_LOG from .run/procs
read_procs() {
  P_NAME=() P_PID=() P_KIND=() P_PORT=() P_LOG=()
  [ -f "$PROCS" ] || return 0
  local name pid kind port log
  while read -r name pid kind port log; do
    [ -n "${name:-}" ] || continue
    P_NAME+=("$name") P_PID+=("$pid") P_KIND+=("$kind") P_PORT+=("$port") P_LOG+=("$log")
  done <"$PROCS"
}

# alive_count — how many recorded processes are still ours and alive
alive_count() {
  read_procs
  local i n=0
  for i in "${!P_PID[@]}"; do
    is_ours "${P_PID[$i]}" "${P_KIND[$i]}" && n=$((n + 1))
  done
  printf '%d' "$n"
}

# load_state — when the system is up, its ports and token win over the environment
load_state() {
  if [ -f "$STATE" ]; then
    # shellcheck source=/dev/null
    . "$STATE"
  fi
  if [ -f "$TOKEN_FILE" ] && [ -z "${SPIKE_ADMIN_TOKEN:-}" ]; then
    ADMIN_TOKEN="$(cat "$TOKEN_FILE")"
  else
    ADMIN_TOKEN="${SPIKE_ADMIN_TOKEN:-}"
  fi
  read -r -a API_PORT_LIST <<<"$API_PORTS"
}

# start_process name kind port logfile workdir command... — detached (own session), recorded
start_process() {
  local name="$1" kind="$2" port="$3" log="$4" dir="$5"
  shift 5
  : >"$log"
  (cd "$dir" && exec setsid "$@" >>"$log" 2>&1 </dev/null) &
  local pid=$!
  printf '%s %s %s %s %s\n' "$name" "$pid" "$kind" "$port" "$log" >>"$PROCS"
  LAST_PID=$pid
}

http_code() { # url — prints the HTTP status code (000 when nothing answered)
  curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1" 2>/dev/null || true
}

# ---- the node plan (issue 2: one node per API port, carrying both roles) -------------------------
# Prints one line per node process: name kind http_port akka_port roles(comma separated)
plan_nodes() {
  local i=0 port
  for port in $API_PORTS; do
    printf 'api-%s api %s %s api,inventory\n' "$port" "$port" "$((AKKA_BASE_PORT + i))"
    i=$((i + 1))
  done
}

seed_node() { printf 'akka.tcp://spike@%s:%s' "$HOST" "$AKKA_BASE_PORT"; }

# ---- redis --------------------------------------------------------------------------------------
redis_cli() { redis-cli -h "$HOST" -p "$REDIS_PORT" "$@"; }

start_redis() {
  mkdir -p "$RUN/redis"
  step "starting redis-server on $HOST:$REDIS_PORT (AOF on, appendfsync $APPENDFSYNC, data in .run/redis)"
  start_process redis redis "$REDIS_PORT" "$LOGS/redis.log" "$RUN/redis" \
    redis-server --bind "$HOST" --port "$REDIS_PORT" --protected-mode yes \
    --dir "$RUN/redis" --appendonly yes --appendfsync "$APPENDFSYNC" --save "" \
    --daemonize no --logfile ""
  local pid=$LAST_PID deadline=$((SECONDS + 15))
  until [ "$(redis_cli ping 2>/dev/null || true)" = "PONG" ]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 20 "$LOGS/redis.log" >&2 || true
      die "redis-server exited at start (log: $LOGS/redis.log)"
    fi
    [ "$SECONDS" -lt "$deadline" ] || { tail -n 20 "$LOGS/redis.log" >&2; die "redis did not answer PING within 15 s"; }
    sleep 0.2
  done
}

# ---- build --------------------------------------------------------------------------------------
build_nodes() {
  need_dotnet
  step "building Spike.Api ($BUILD_CONFIGURATION) into .run/publish/api (log: .run/logs/build.log)"
  if ! (cd "$ROOT" && dotnet publish Spike.Api/Spike.Api.csproj -c "$BUILD_CONFIGURATION" \
        -o "$PUBLISH/api" --nologo) >"$LOGS/build.log" 2>&1; then
    grep -E 'error|Error' "$LOGS/build.log" | sort -u | tail -n 20 >&2 || true
    tail -n 5 "$LOGS/build.log" >&2
    die "build failed (full log: $LOGS/build.log)"
  fi
}

# build_commit — the commit the build comes from, "+dirty" when the working tree has changes
build_commit() {
  local c
  c="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  git -C "$ROOT" diff --quiet HEAD -- 2>/dev/null || c="$c+dirty"
  printf '%s' "$c"
}

# start_node name kind http_port akka_port roles
start_node() {
  local name="$1" kind="$2" port="$3" akka="$4" roles="$5"
  local envs=(
    "ASPNETCORE_ENVIRONMENT=Production"
    "DOTNET_NOLOGO=1"
    "Spike__Redis=$HOST:$REDIS_PORT"
    "Spike__AdminToken=$ADMIN_TOKEN"
    "Spike__Node__Hostname=$HOST"
    "Spike__Node__Port=$akka"
    "Spike__Node__SeedNodes__0=$(seed_node)"
  )
  local i=0 role
  IFS=, read -r -a role_list <<<"$roles"
  for role in "${role_list[@]}"; do
    envs+=("Spike__Node__Roles__$i=$role")
    i=$((i + 1))
  done
  [ -n "${SPIKE_DEFAULT_SALE:-}" ] && envs+=("Spike__DefaultSale=$SPIKE_DEFAULT_SALE")
  [ -n "$LOG_LEVEL" ] && envs+=("Logging__LogLevel__Default=$LOG_LEVEL")
  case "$kind" in
    api)
      envs+=("ASPNETCORE_URLS=http://$HOST:$port")
      start_process "$name" api "$port" "$LOGS/$name.log" "$PUBLISH/api" \
        env "${envs[@]}" dotnet Spike.Api.dll
      ;;
    *) die "unknown node kind $kind" ;;
  esac
  say "    $name: pid $LAST_PID, http $HOST:$port, akka $HOST:$akka, roles $roles"
}

# wait_ready — every api node answers /ready with 200 before the deadline
wait_ready() {
  local deadline=$((SECONDS + READY_TIMEOUT)) i all
  step "waiting for /ready (up to ${READY_TIMEOUT} s)"
  while :; do
    read_procs
    all=1
    for i in "${!P_NAME[@]}"; do
      is_node "${P_KIND[$i]}" || continue
      if ! is_ours "${P_PID[$i]}" "${P_KIND[$i]}"; then
        say "" >&2
        say "--- last lines of ${P_LOG[$i]} ---" >&2
        tail -n 40 "${P_LOG[$i]}" >&2 || true
        stop_all >/dev/null
        die "${P_NAME[$i]} exited before it became ready (log above; everything started was stopped)"
      fi
      [ "$(http_code "http://$HOST:${P_PORT[$i]}/ready")" = 200 ] || all=0
    done
    [ "$all" -eq 1 ] && { say ""; return 0; }
    if [ "$SECONDS" -ge "$deadline" ]; then
      say "" >&2
      for i in "${!P_NAME[@]}"; do
        is_node "${P_KIND[$i]}" || continue
        say "--- ${P_NAME[$i]}: /ready = $(http_code "http://$HOST:${P_PORT[$i]}/ready"); last lines of ${P_LOG[$i]} ---" >&2
        tail -n 30 "${P_LOG[$i]}" >&2 || true
      done
      stop_all >/dev/null
      die "not ready after ${READY_TIMEOUT} s (logs above and in $LOGS; everything started was stopped)"
    fi
    printf '.'
    sleep 1
  done
}

print_summary() {
  load_state
  read_procs
  local i
  say ""
  say "Spike is up."
  for i in "${!P_NAME[@]}"; do
    case "${P_KIND[$i]}" in
      redis) say "  redis       redis://$HOST:${P_PORT[$i]}   pid ${P_PID[$i]}   log ${P_LOG[$i]}" ;;
      api) say "  ${P_NAME[$i]}    http://$HOST:${P_PORT[$i]}   pid ${P_PID[$i]}   log ${P_LOG[$i]}" ;;
      *) say "  ${P_NAME[$i]}    ${P_KIND[$i]}:${P_PORT[$i]}   pid ${P_PID[$i]}   log ${P_LOG[$i]}" ;;
    esac
  done
  say "  admin token $ADMIN_TOKEN   (also in .run/admin-token)"
  say ""
  say "  try:  curl 'http://$HOST:${API_PORT_LIST[0]}/buy/ticket?sale=demo&user=alice'"
  say "        ./spike.sh status | ./spike.sh bench | ./spike.sh down"
}

# ---- commands -----------------------------------------------------------------------------------
cmd_up() {
  mkdir -p "$RUN" "$LOGS"
  if [ -f "$PROCS" ]; then
    read_procs
    local alive
    alive="$(alive_count)"
    if [ "$alive" -gt 0 ] && [ "$alive" -eq "${#P_PID[@]}" ]; then
      say "Spike is already up (started with the configuration in .run/state); reusing it."
      print_summary
      return 0
    elif [ "$alive" -gt 0 ]; then
      die "Spike is partly running ($alive of ${#P_PID[@]} processes alive); run ./spike.sh down first"
    fi
    rm -f "$PROCS" "$STATE"   # stale: nothing of it is alive
  fi

  ensure_pkgs redis-server:redis-server redis-cli:redis-tools curl:curl
  need_dotnet

  # refuse ports that something else holds, before starting anything
  local port line busy=()
  port_busy "$REDIS_PORT" && busy+=("$REDIS_PORT (redis; set SPIKE_REDIS_PORT)")
  while read -r _ _ port akka _; do
    port_busy "$port" && busy+=("$port (http; set SPIKE_API_PORTS)")
    port_busy "$akka" && busy+=("$akka (akka remoting; set SPIKE_AKKA_BASE_PORT)")
  done < <(plan_nodes)
  [ "${#busy[@]}" -eq 0 ] || die "ports already in use on $HOST: ${busy[*]}"

  # admin token: env, else the one of the last run, else a new one
  if [ -n "${SPIKE_ADMIN_TOKEN:-}" ]; then
    ADMIN_TOKEN="$SPIKE_ADMIN_TOKEN"
  elif [ -s "$TOKEN_FILE" ]; then
    ADMIN_TOKEN="$(cat "$TOKEN_FILE")"
  else
    ADMIN_TOKEN="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    say "generated admin token (saved in .run/admin-token)"
  fi
  (umask 077 && printf '%s' "$ADMIN_TOKEN" >"$TOKEN_FILE")

  build_nodes

  : >"$PROCS"
  {
    printf 'REDIS_PORT=%q\n' "$REDIS_PORT"
    printf 'API_PORTS=%q\n' "$API_PORTS"
    printf 'AKKA_BASE_PORT=%q\n' "$AKKA_BASE_PORT"
    printf 'BUILD_COMMIT=%q\n' "$(build_commit)"
  } >"$STATE"

  start_redis
  step "starting nodes (seed $(seed_node))"
  while read -r line; do
    # shellcheck disable=SC2086
    start_node $line
  done < <(plan_nodes)
  wait_ready
  print_summary
}

# stop_all — TERM every recorded process (newest first), KILL what is left after a grace period
stop_all() {
  read_procs
  local i pid kind n=${#P_PID[@]} deadline
  for ((i = n - 1; i >= 0; i--)); do
    pid="${P_PID[$i]}" kind="${P_KIND[$i]}"
    if is_ours "$pid" "$kind"; then
      say "stopping ${P_NAME[$i]} (pid $pid)"
      kill -TERM "$pid" 2>/dev/null || true
      deadline=$((SECONDS + 20))
      while is_ours "$pid" "$kind" && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
      if is_ours "$pid" "$kind"; then
        warn "${P_NAME[$i]} (pid $pid) did not stop within 20 s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
      fi
    fi
  done
  rm -f "$PROCS" "$STATE"
}

cmd_down() {
  if [ ! -f "$PROCS" ]; then
    say "nothing to stop (no .run/procs)"
    return 0
  fi
  stop_all
  say "Spike is down (logs kept in .run/logs, Redis data in .run/redis)."
}

cmd_status() {
  if [ ! -f "$PROCS" ]; then
    say "Spike is not up (no .run/procs)."
    return 3
  fi
  load_state
  read_procs
  local i pid rss ready ok=1
  printf '%-12s %-8s %-10s %-7s %-7s %-9s %s\n' NAME PID KIND PORT ALIVE READY "RSS"
  for i in "${!P_NAME[@]}"; do
    pid="${P_PID[$i]}" ready=-
    if is_ours "$pid" "${P_KIND[$i]}"; then
      rss="$(awk '/VmRSS/{printf "%d MB", $2/1024}' "/proc/$pid/status" 2>/dev/null || true)"
      case "${P_KIND[$i]}" in
        redis)
          if [ "$(redis_cli ping 2>/dev/null || true)" = PONG ]; then ready=PONG; else ready=no ok=0; fi
          ;;
        api | inventory) ready="$(http_code "http://$HOST:${P_PORT[$i]}/ready")"; [ "$ready" = 200 ] || ok=0 ;;
      esac
      printf '%-12s %-8s %-10s %-7s %-7s %-9s %s\n' "${P_NAME[$i]}" "$pid" "${P_KIND[$i]}" "${P_PORT[$i]}" yes "$ready" "$rss"
    else
      ok=0
      printf '%-12s %-8s %-10s %-7s %-7s %-9s %s\n' "${P_NAME[$i]}" "$pid" "${P_KIND[$i]}" "${P_PORT[$i]}" NO - -
    fi
  done
  if [ "$ok" -eq 1 ]; then say "all up and ready"; else say "NOT all up and ready (logs in .run/logs)"; return 1; fi
}

cmd_deps() {
  ensure_pkgs redis-server:redis-server redis-cli:redis-tools nginx:nginx wrk:wrk curl:curl
  say "redis-server, nginx, wrk and curl are installed"
}

cmd_test() {
  ensure_pkgs redis-server:redis-server nginx:nginx wrk:wrk
  need_dotnet
  mkdir -p "$LOGS"
  local log="$LOGS/test.log" rc
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

admin() {
  local method="$1" path="$2" body="${3:-}"
  local args=(-s --max-time 10 -X "$method" -H "Authorization: Bearer $ADMIN_TOKEN" -w '\n%{http_code}')
  [ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data "$body")
  curl "${args[@]}" "$BASE$path" || printf '\n000'
}

json_num() { # field json — the first integer value of "field"
  sed -n "s/.*\"$1\":[[:space:]]*\(-\{0,1\}[0-9][0-9]*\).*/\1/p" <<<"$2" | head -n 1
}

code_of() { tail -n 1 <<<"$1"; }
body_of() { sed '$d' <<<"$1"; }

create_sale() { # id stock
  local r
  r="$(admin PUT "/admin/sales/$1" "{\"stock\":$2,\"perUserLimit\":1,\"paymentWindowSeconds\":300}")"
  case "$(code_of "$r")" in
    2??) ;;
    *) die "PUT /admin/sales/$1 answered $(code_of "$r"): $(body_of "$r")" ;;
  esac
}

# sale_counts id — sets S_TOTAL S_HELD S_AVAIL from GET /admin/sales/{id}
sale_counts() {
  local r b
  r="$(admin GET "/admin/sales/$1")"
  [ "$(code_of "$r")" = 200 ] || die "GET /admin/sales/$1 answered $(code_of "$r"): $(body_of "$r")"
  b="$(body_of "$r")"
  S_TOTAL="$(json_num total "$b")" S_HELD="$(json_num held "$b")" S_AVAIL="$(json_num available "$b")"
}

ensure_up_for() { # command name — bring the system up when it is not
  if [ ! -f "$PROCS" ] || [ "$(alive_count)" -eq 0 ]; then
    say "The system is not up: '$1' brings it up first (./spike.sh up)."
    cmd_up
    STARTED_BY_US=1
  elif ! cmd_status >/dev/null; then
    cmd_status || true
    die "the system is not fully up and ready; ./spike.sh down && ./spike.sh up"
  fi
  load_state
  BASE="http://$HOST:${API_PORT_LIST[0]}"
}

cmd_demo() {
  ensure_pkgs curl:curl
  STARTED_BY_US=0
  ensure_up_for demo
  local sale
  sale="demo-$(date +%s)"
  say ""
  step "a tiny sale: '$sale' with 3 tickets, 1 per user, on $BASE"
  create_sale "$sale" 3
  say "    PUT /admin/sales/$sale {\"stock\":3,\"perUserLimit\":1,\"paymentWindowSeconds\":300}"

  local reserved=0 r c
  demo_buy() { # label method path-or-body
    if [ "$2" = GET ]; then r="$(api GET "$3")"; else r="$(api POST /buy/ticket "$3")"; fi
    c="$(code_of "$r")"
    printf '    %-34s -> %s %s\n' "$1" "$c" "$(body_of "$r")"
    [ "$c" = 200 ] && reserved=$((reserved + 1))
    return 0
  }
  demo_buy "alice buys (GET)" GET "/buy/ticket?sale=$sale&user=alice&requestId=demo-a1"
  demo_buy "bob buys (POST)" POST "{\"sale\":\"$sale\",\"user\":\"bob\",\"quantity\":1,\"requestId\":\"demo-b1\"}"
  demo_buy "alice again (limit 1)" GET "/buy/ticket?sale=$sale&user=alice&requestId=demo-a2"
  demo_buy "carol buys" GET "/buy/ticket?sale=$sale&user=carol&requestId=demo-c1"
  local carol_first=$reserved carol_answer
  carol_answer="$(body_of "$r")"
  demo_buy "carol retries the same requestId" GET "/buy/ticket?sale=$sale&user=carol&requestId=demo-c1"
  local carol_retry
  carol_retry="$(body_of "$r")"
  # the retry repeats carol's first outcome; it is not a second reservation
  [ "$reserved" -gt "$carol_first" ] && reserved=$carol_first
  demo_buy "dave (stock is gone)" GET "/buy/ticket?sale=$sale&user=dave&requestId=demo-d1"
  demo_buy "unknown sale" GET "/buy/ticket?sale=no-such-sale-$sale&user=erin"
  demo_buy "empty user (bad input)" GET "/buy/ticket?sale=$sale&user="

  sale_counts "$sale"
  say ""
  step "audit of '$sale' (from Redis via GET /admin/sales/$sale)"
  local ok=1
  audit_line "reserved answers == held" "$reserved == $S_HELD" "$([ "$reserved" = "$S_HELD" ] && echo 1)" || ok=0
  audit_line "held + available == total" "$S_HELD + $S_AVAIL == $S_TOTAL" "$([ $((S_HELD + S_AVAIL)) = "$S_TOTAL" ] && echo 1)" || ok=0
  audit_line "held <= total (no oversell)" "$S_HELD <= $S_TOTAL" "$([ "$S_HELD" -le "$S_TOTAL" ] && echo 1)" || ok=0
  audit_line "same requestId, same outcome" "carol: retry == first answer" "$([ "$carol_answer" = "$carol_retry" ] && echo 1)" || ok=0
  say ""
  say "The system stays up: ./spike.sh status | ./spike.sh bench | ./spike.sh down"
  [ "$ok" -eq 1 ] || die "the demo audit failed"
}

audit_line() { # label values pass(1|empty)
  if [ "${3:-}" = 1 ]; then
    printf '    %-30s %-28s PASS\n' "$1" "$2"
  else
    printf '    %-30s %-28s FAIL\n' "$1" "$2"
    return 1
  fi
}

# ---- bench --------------------------------------------------------------------------------------
# redis_stat_calls — eval-family calls and all calls, from INFO commandstats: "<eval> <all>"
redis_stat_calls() {
  redis_cli INFO commandstats | tr -d '\r' | awk -F'[:=,]' '
    /^cmdstat_/ {
      name = $1; sub(/^cmdstat_/, "", name)
      all += $3
      if (name ~ /^(eval|evalsha|eval_ro|evalsha_ro|fcall|fcall_ro)$/) ev += $3
    }
    END { printf "%d %d\n", ev, all }'
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

# wrk_run label mode sale seconds — runs wrk, keeps its output in $BENCH_DIR/<label>.out
wrk_run() {
  local label="$1" mode="$2" sale="$3" secs="$4"
  local out="$BENCH_DIR/$label.out"
  local b0 t0 q0 n0 r0 c0 b1 t1 q1 n1 r1 c1
  read -r b0 t0 q0 < <(machine_ticks)
  n0="$(proc_ticks "${NODE_PID:-}")" r0="$(proc_ticks "${REDIS_PID:-}")" c0="$(proc_ticks $$ children)"
  wrk -t"$BENCH_THREADS" -c"$BENCH_CONNECTIONS" -d"${secs}s" --timeout 5s \
    -s "$ROOT/bench/spike.lua" "$BASE" -- "$mode" "$sale" "$RUN_ID-$label" >"$out" 2>&1 \
    || { cat "$out" >&2; die "wrk failed ($label)"; }
  c1="$(proc_ticks $$ children)"   # wrk's CPU lands in this shell's children times once it is reaped
  read -r b1 t1 q1 < <(machine_ticks)
  n1="$(proc_ticks "${NODE_PID:-}")" r1="$(proc_ticks "${REDIS_PID:-}")"
  # CPU during the run, in cores: node, redis, wrk, and everything else on the machine
  awk -v b=$((b1 - b0)) -v t=$((t1 - t0)) -v q=$((q1 - q0)) -v n=$((n1 - n0)) -v r=$((r1 - r0)) -v w=$((c1 - c0)) \
    -v cores="$(nproc)" \
    'BEGIN { wall = t / cores; if (wall <= 0) wall = 1
             o = b - q - n - r - w; if (o < 0) o = 0
             printf "CPU node=%.2f redis=%.2f wrk=%.2f irq=%.2f other=%.2f\n", n / wall, r / wall, w / wall, q / wall, o / wall }' >>"$out"
  grep -q '^RESULT ' "$out" || { cat "$out" >&2; die "wrk printed no RESULT line ($label)"; }
  if [ -n "${NODE_PID:-}" ] && ! is_ours "$NODE_PID" api; then
    grep -v '^PENDING ' "$out" >&2
    say "--- last lines of $NODE_LOG ---" >&2
    tail -n 30 "$NODE_LOG" >&2 || true
    if grep -q 'CLR termination hook' "$NODE_LOG" 2>/dev/null; then
      say "(the node shut down gracefully: something outside sent it SIGTERM)" >&2
    fi
    die "the node (pid $NODE_PID) is gone after run '$label'; no table (raw output in $BENCH_DIR)"
  fi
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
  local _attempt
  for _attempt in 1 2 3; do
    curl -s --max-time 30 -K "$cfg" -w '%{http_code}\n' >"$codes" || true
    # 429 / 503 / no answer: the outcome is not final; retry those with the same requestId
    if ! grep -qvE '^(200|409|404|400)$' "$codes"; then break; fi
    sleep 1
  done
  REPLAY_200="$(grep -c '^200$' "$codes" || true)"
  REPLAY_UNRESOLVED="$(grep -cvE '^(200|409|404|400)$' "$codes" || true)"
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

cmd_bench() {
  ensure_pkgs wrk:wrk curl:curl redis-cli:redis-tools
  STARTED_BY_US=0
  ensure_up_for bench
  read_procs
  local i node_pid=""
  NODE_PID="" NODE_LOG="" REDIS_PID=""
  for i in "${!P_NAME[@]}"; do
    [ "${P_KIND[$i]}" = redis ] && REDIS_PID="${P_PID[$i]}"
    if [ "${P_KIND[$i]}" = api ] && [ "${P_PORT[$i]}" = "${API_PORT_LIST[0]}" ]; then
      node_pid="${P_PID[$i]}" NODE_PID="${P_PID[$i]}" NODE_LOG="${P_LOG[$i]}"
    fi
  done
  RUN_ID="b$(date +%s)"
  BENCH_DIR="$RUN/bench/$RUN_ID"
  mkdir -p "$BENCH_DIR"
  local sale_a="$RUN_ID-a" sale_b="$RUN_ID-b" sale_w="$RUN_ID-w"

  step "bench $RUN_ID against $BASE: wrk -t$BENCH_THREADS -c$BENCH_CONNECTIONS, ${BENCH_SECONDS} s per run (raw output in .run/bench/$RUN_ID)"
  step "warm-up ${BENCH_WARMUP} s: buy path and /ping"
  create_sale "$sale_w" "$BENCH_STOCK"
  wrk_run warm-buy buy "$sale_w" "$BENCH_WARMUP"
  wrk_run warm-ping ping - "$BENCH_WARMUP"

  step "(a) success path: sale $sale_a, stock $BENCH_STOCK, every request a new user"
  create_sale "$sale_a" "$BENCH_STOCK"
  sleep 1
  local ev0 all0 ev1 all1
  read -r ev0 all0 < <(redis_stat_calls)
  wrk_run a buy-track "$sale_a" "$BENCH_SECONDS"
  sleep 1
  replay_pending a "$sale_a"
  read -r ev1 all1 < <(redis_stat_calls)
  sale_counts "$sale_a"
  local a_total=$S_TOTAL a_held=$S_HELD a_avail=$S_AVAIL
  local a_200 a_answered
  a_200="$(result a s200)"
  a_answered=$((a_200 + REPLAY_200))

  step "(b) sold-out path: sale $sale_b, stock 1, its one ticket sold first"
  create_sale "$sale_b" 1
  local r
  r="$(api GET "/buy/ticket?sale=$sale_b&user=$RUN_ID-first&requestId=r$RUN_ID-first")"
  [ "$(code_of "$r")" = 200 ] || die "buying the one ticket of $sale_b answered $(code_of "$r"): $(body_of "$r")"
  sleep 1
  local ev2 ev3
  read -r ev2 _ < <(redis_stat_calls)
  wrk_run b buy "$sale_b" "$BENCH_SECONDS"
  read -r ev3 _ < <(redis_stat_calls)
  sleep 1
  sale_counts "$sale_b"
  local b_total=$S_TOTAL b_held=$S_HELD b_avail=$S_AVAIL

  step "(c) HTTP ceiling: GET /ping"
  sleep 1
  wrk_run c ping - "$BENCH_SECONDS"

  local hwm="n/a"
  [ -n "$node_pid" ] && hwm="$(awk '/VmHWM/{printf "%d MB", $2/1024}' "/proc/$node_pid/status" 2>/dev/null || echo n/a)"

  # ---- the table ----
  local rps_a rps_b rps_c
  rps_a="$(result a rps)" rps_b="$(result b rps)" rps_c="$(result c rps)"
  local ac bc calls_per all_per
  ac="$(ratio "$rps_a" "$rps_c")" bc="$(ratio "$rps_b" "$rps_c")"
  calls_per="$(awk -v d=$((ev1 - ev0)) -v h="$a_held" 'BEGIN { if (h > 0) printf "%.4f", d / h; else print "n/a" }')"
  all_per="$(awk -v d=$((all1 - all0)) -v h="$a_held" 'BEGIN { if (h > 0) printf "%.4f", d / h; else print "n/a" }')"
  local cpu
  cpu="$(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo 2>/dev/null || true)"

  local table="$BENCH_DIR/table.txt"
  {
    say ""
    say "Spike bench $RUN_ID — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores${cpu:+ ($cpu)}, $(. /etc/os-release 2>/dev/null && printf '%s' "$PRETTY_NAME"), .NET SDK $(dotnet --version 2>/dev/null || echo '?'), build ${BUILD_COMMIT:-?}"
    say "wrk $BENCH_THREADS threads, $BENCH_CONNECTIONS connections, ${BENCH_SECONDS} s per run after a ${BENCH_WARMUP} s warm-up; one node on $BASE; every request a new user"
    say ""
    printf '| %-22s | %9s | %8s | %8s | %9s | %9s | %6s | %6s | %6s | %6s | %-38s |\n' run "req/s" "p50 ms" "p99 ms" 200 409 429 503 other errors "CPU cores: node/redis/wrk/irq/other"
    printf '|%s|\n' "------------------------|-----------|----------|----------|-----------|-----------|--------|--------|--------|--------|----------------------------------------"
    local l name
    for l in a b c; do
      case $l in a) name="(a) success path" ;; b) name="(b) sold-out path" ;; c) name="(c) GET /ping ceiling" ;; esac
      printf '| %-22s | %9s | %8s | %8s | %9s | %9s | %6s | %6s | %6s | %6s | %-38s |\n' "$name" \
        "$(fmt_int "$(result $l rps)")" "$(result $l p50_ms)" "$(result $l p99_ms)" \
        "$(result $l s200)" "$(result $l s409)" "$(result $l s429)" "$(result $l s503)" "$(other_codes $l)" "$(errors_of $l)" \
        "$(cpu_of $l node) / $(cpu_of $l redis) / $(cpu_of $l wrk) / $(cpu_of $l irq) / $(cpu_of $l other)"
    done
    say ""
    printf '| %-44s | %-26s | %-10s | %-6s |\n' check measured target result
    printf '|%s|\n' "----------------------------------------------|----------------------------|------------|--------"
    printf '| %-44s | %-26s | %-10s | %-6s |\n' "a/c (success path vs HTTP ceiling)" "$ac" ">= 0.65" "$(timing_verdict "a c" ge "$ac" 0.65)"
    printf '| %-44s | %-26s | %-10s | %-6s |\n' "b/c (sold-out path vs HTTP ceiling)" "$bc" ">= 0.85" "$(timing_verdict "b c" ge "$bc" 0.85)"
    printf '| %-44s | %-26s | %-10s | %-6s |\n' "p99 latency (a)" "$(result a p99_ms) ms" "<= 10 ms" "$(timing_verdict a le "$(result a p99_ms)" 10)"
    printf '| %-44s | %-26s | %-10s | %-6s |\n' "p99 latency (b)" "$(result b p99_ms) ms" "<= 10 ms" "$(timing_verdict b le "$(result b p99_ms)" 10)"
    printf '| %-44s | %-26s | %-10s | %-6s |\n' "Redis script calls per reserved ticket (a)" "$calls_per ($((ev1 - ev0)) / $a_held)" "<= 0.2" "$(verdict le "$calls_per" 0.2)"
    printf '| %-44s | %-26s | %-10s | %-6s |\n' "Redis commands run per ticket, incl. in Lua" "$all_per" "info" "-"
    printf '| %-44s | %-26s | %-10s | %-6s |\n' "Redis script calls during (b), sold out" "$((ev3 - ev2))" "0" "$(verdict test $((ev3 - ev2)) -eq 0)"
    printf '| %-44s | %-26s | %-10s | %-6s |\n' "node peak memory (VmHWM, pid ${node_pid:-?})" "$hwm" "info" "-"
    printf '| %-44s | %-26s | %-10s | %-6s |\n' "audit (a): reserved answers == held" "$a_answered == $a_held" "equal" "$(verdict test "$a_answered" = "$a_held")"
    printf '| %-44s | %-26s | %-10s | %-6s |\n' "audit (a): held + available == total" "$a_held + $a_avail == $a_total" "equal" "$(verdict test $((a_held + a_avail)) = "$a_total")"
    printf '| %-44s | %-26s | %-10s | %-6s |\n' "audit (a): held <= total" "$a_held <= $a_total" "no oversell" "$(verdict test "$a_held" -le "$a_total")"
    printf '| %-44s | %-26s | %-10s | %-6s |\n' "audit (b): held == 1 + reserved answers" "$b_held == 1 + $(result b s200)" "equal" "$(verdict test "$b_held" = $((1 + $(result b s200))))"
    printf '| %-44s | %-26s | %-10s | %-6s |\n' "audit (b): held + available == total" "$b_held + $b_avail == $b_total" "equal" "$(verdict test $((b_held + b_avail)) = "$b_total")"
    say ""
    for l in a b c; do
      if noisy $l; then
        say "NOTE: other processes used $(cpu_of $l other) CPU cores during run ($l): its numbers are disturbed (NOISY); rerun on a quiet machine."
      fi
    done
    say "reserved answers (a) = $a_200 200s seen by wrk + $REPLAY_200 of $REPLAY_N requests retried with their requestId after wrk stopped (not answered 200 during the run or cut off in flight; $REPLAY_UNRESOLVED unresolved)"
  } | tee "$table"

  # the bench sales hold hundreds of thousands of reservations: drop their keys (spike:{<sale>}:*)
  if [ "$BENCH_KEEP_DATA" != 1 ]; then
    local n
    n="$(redis_cli --scan --pattern "spike:{$RUN_ID-*" | tee "$BENCH_DIR/keys" | wc -l)"
    [ "$n" -gt 0 ] && xargs -r -n 100 redis-cli -h "$HOST" -p "$REDIS_PORT" UNLINK <"$BENCH_DIR/keys" >/dev/null
    say "removed the bench sales' $n Redis keys (SPIKE_BENCH_KEEP_DATA=1 keeps them)"
  fi

  if [ "$STARTED_BY_US" -eq 1 ]; then
    say ""
    say "bench brought the system up; it stays up (./spike.sh down to stop it)."
  fi
}

# ---- main ---------------------------------------------------------------------------------------
main() {
  local cmd="${1:-}"
  [ $# -gt 0 ] && shift
  case "$cmd" in
    up) cmd_up "$@" ;;
    down) cmd_down "$@" ;;
    status) cmd_status "$@" ;;
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
