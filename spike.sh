#!/usr/bin/env bash
# spike.sh — run, test and benchmark Spike on this machine.
#
#   ./spike.sh up       start Redis, the inventory nodes, the API nodes and nginx; wait until all are ready
#   ./spike.sh down     stop everything `up` started
#   ./spike.sh status   show the processes and their readiness
#   ./spike.sh demo     bring the system up and run a flash sale through nginx with a node crash, then audit it
#   ./spike.sh test     run every test (installs redis-server, nginx, wrk first when missing)
#   ./spike.sh bench    benchmark the running system with wrk (cluster through nginx, or one node) and print its tables
#   ./spike.sh deps     install the system packages the other commands need (apt-get, root)
#
# Everything listens on 127.0.0.1 only. Pids, logs, the published build, Redis data and the tokens
# live in .run/ (git-ignored). Configuration comes from the environment; see README.md.
#
# up, down, status, logs, cli, demo and bench are the spike tool's (Spike.Cli): this script installs the
# system packages they need, publishes the tool into .run/publish/cli and hands those commands to it.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RUN="$ROOT/.run"
LOGS="$RUN/logs"
PUBLISH="$RUN/publish"

# ---- configuration (environment) ----------------------------------------------------------------
# The cluster's settings (SPIKE_REDIS_PORT, SPIKE_API_PORTS, ...) and the demo's and bench's (SPIKE_DEMO_*,
# SPIKE_BENCH_*, ...) are read by the spike tool (Spike.Cli/Local/LocalSettings.cs, Spike.Cli/Demo/DemoSettings.cs,
# Spike.Cli/Bench/BenchSettings.cs).
BUILD_CONFIGURATION="${SPIKE_BUILD_CONFIGURATION:-Release}"
TEST_CONFIGURATION="${SPIKE_TEST_CONFIGURATION:-Release}"

# ---- output helpers -----------------------------------------------------------------------------
say() { printf '%s\n' "$*"; }
step() { printf '==> %s\n' "$*"; }
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
  bench    [cluster|node|overload] wrk benchmark of the running system (brings it up when needed), its tables,
           then its report in bench/results; raw output in .run/bench/<run>/.
           cluster (default when inventory nodes run): success path through nginx and directly on
           one API node, /ping through nginx, the Go anchor, time to sell out 100,000 tickets to
           300,000 buyers. node: success path, sold-out paths, /ping of one API node, the node anchors.
           overload: one API node at its capacity, then at 5x the connections that saturate it, with
           a timed probe of its own buys, the node's memory and thread pool.
  deps     install the system packages the commands need (apt-get; needs root), Go for the bench's Go anchor

configuration: SPIKE_* environment variables (ports, nodes, weights, tokens, fsync, the demo's and the
  bench's settings), each with its default, in README.md under "Configuration".
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

# ---- the spike tool -----------------------------------------------------------------------------
# up, down, status, logs, cli, demo and bench are the spike tool's (Spike.Cli, `spike up` ...): it starts and
# stops the processes and records them in .run/state.json.

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

# publish_project project dir — dotnet publish into .run/publish/<dir>
publish_project() {
  step "building $1 ($BUILD_CONFIGURATION) into .run/publish/$2 (log: .run/logs/build.log)"
  if ! (cd "$ROOT" && dotnet publish "$1/$1.csproj" -c "$BUILD_CONFIGURATION" \
        -o "$PUBLISH/$2" --nologo) >>"$LOGS/build.log" 2>&1; then
    grep -E 'error|Error' "$LOGS/build.log" | sort -u | tail -n 20 >&2 || true
    tail -n 5 "$LOGS/build.log" >&2
    die "build of $1 failed (full log: $LOGS/build.log)"
  fi
}

# ---- commands -----------------------------------------------------------------------------------
cmd_up() {
  ensure_pkgs redis-server:redis-server nginx:nginx
  spike_tool up
}

cmd_down() { spike_tool down; }

cmd_status() { spike_tool status "$@"; }

cmd_logs() { spike_tool logs "$@"; }

cmd_cli() { spike_tool cli "$@"; }

cmd_deps() {
  ensure_pkgs redis-server:redis-server nginx:nginx wrk:wrk curl:curl \
    go:golang-go /usr/share/gocode/src/github.com/gomodule/redigo:golang-github-gomodule-redigo-dev
  say "redis-server, nginx, wrk, curl and Go with redigo (the bench's Go anchor) are installed"
}

cmd_test() {
  # curl: nginx/selftest.sh's client; chromium: the dashboard's browser specs (Playwright drives it)
  ensure_pkgs redis-server:redis-server nginx:nginx wrk:wrk curl:curl chromium:chromium
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

# ---- demo ---------------------------------------------------------------------------------------
# The demo is the spike tool's (Spike.Cli/Demo/FlashDemo.cs): the sale, the kills, the checkout, the
# re-sale and the audits, on the cluster it brings up (or restarts) first.
cmd_demo() {
  ensure_pkgs redis-server:redis-server nginx:nginx
  spike_tool demo
}

# ---- bench --------------------------------------------------------------------------------------
# The bench is the spike tool's (Spike.Cli/Bench: NodeBench, ClusterBench, OverloadBench): wrk runs with bench/*.lua, the
# anchors, the CPU lines, the tables and audits, and the report into bench/results, on the cluster it brings
# up (or restarts) first.
cmd_bench() {
  ensure_pkgs redis-server:redis-server nginx:nginx wrk:wrk
  spike_tool bench "$@"
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
