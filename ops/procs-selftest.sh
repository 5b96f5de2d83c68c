#!/usr/bin/env bash
# ops/procs-selftest.sh [path/to/spike.sh] — checks spike.sh's process bookkeeping (wait_ready,
# stop_all, alive_count) against the start-up race of a loaded machine, with fake nodes, in a few
# seconds, without .NET, Redis or nginx.
#
# The race: start_process forks a subshell that execs setsid -> env -> the program. Until the exec,
# the recorded pid is alive but its command line is still this script's, so it does not look like
# the node it will become. On a busy machine that window can last a long time. Code that takes "does
# not look like ours" for "exited" and then `wait`s on the pid for its exit code blocks for as long
# as the (live) node runs: `./spike.sh up` hangs forever.
#
# Here the window is made long on purpose: the fake nodes are started by a copy of start_process that
# sleeps between the fork and the exec. Everything else (wait_ready, stop_all, alive_count, the pid
# checks) is the code of the spike.sh under test, sourced. Each scenario runs in its own bash with a
# time limit, so a hang shows up as HANG instead of blocking this script; whatever a scenario started
# is killed afterwards by its recorded pid.
#
#   ops/procs-selftest.sh                          # the spike.sh next to this directory
#   ops/procs-selftest.sh /tmp/old-spike.sh        # another version of it (e.g. from git show)
#
# Exit code 0 when every scenario passes.

set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ "${1:-}" = --scenario ]; then
  SPIKE="$PROCS_SELFTEST_SPIKE"   # set by the runner below
else
  SPIKE="$(cd "$(dirname "${1:-$HERE/../spike.sh}")" && pwd)/$(basename "${1:-$HERE/../spike.sh}")"
fi
DELAY="${PROCS_SELFTEST_DELAY:-2}"        # seconds between fork and exec of the fake nodes
LIMIT="${PROCS_SELFTEST_LIMIT:-$((DELAY + 12))}"   # a scenario taking longer than this hangs
FAKE_MARK=procs-selftest-fake             # in the fake nodes' command lines, for the clean-up
command -v python3 >/dev/null || { echo "procs-selftest: python3 is needed for the fake nodes" >&2; exit 2; }
[ -f "$SPIKE" ] || { echo "procs-selftest: no such file: $SPIKE" >&2; exit 2; }

# ---- inside one scenario (this script run again with --scenario NAME DIR) -------------------------
if [ "${1:-}" = --scenario ]; then
  name="$2" dir="$3"
  # spike.sh without its last line (`main "$@"`): only its functions and settings
  # shellcheck source=/dev/null
  source <(sed 's/^main "\$@"$/:/' "$SPIKE")
  set +e   # spike.sh sets -e; the checks below look at exit codes themselves
  RUN="$dir" LOGS="$dir/logs" PROCS="$dir/procs" STATE="$dir/state"
  mkdir -p "$LOGS"
  READY_TIMEOUT=$((DELAY + 6))

  # start_slow name log command... — start_process of the spike.sh under test, with a pause between
  # the fork and the exec (what a loaded machine does to the subshell); recorded the same way
  start_slow() {
    local name="$1" log="$2"
    shift 2
    : >"$log"
    (cd "$dir" && sleep "$DELAY" && exec setsid "$@" >>"$log" 2>&1 </dev/null) &
    local pid=$!
    printf '%s %s %s %s %s\n' "$name" "$pid" api "$FAKE_PORT" "$log" >>"$PROCS"
    echo "$pid" >>"$dir/started"   # for the runner's clean-up (stop_all removes .run/procs)
    # the new spike.sh remembers what this shell started (to collect exit codes); the old one has
    # no such table, and setting it there is harmless
    declare -p STARTED_HERE >/dev/null 2>&1 && STARTED_HERE[$pid]=1
    LAST_PID=$pid
  }

  # a fake API node: serves GET /ready with 200 on FAKE_PORT (ready_code of spike.sh asks it with
  # curl), and its command line names Spike.Api.dll, as a real API node's does (kind_match)
  fake_node_cmd() { # port [exit-code-after-start]
    if [ -n "${2:-}" ]; then
      printf '%s\0' python3 -c "import sys; sys.exit(int(sys.argv[3]))" Spike.Api.dll "$FAKE_MARK" "$2"
    else
      printf '%s\0' python3 -c '
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/ready" else 404); self.end_headers()
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[3])), H).serve_forever()' Spike.Api.dll "$FAKE_MARK" "$1"
    fi
  }
  # a port that nothing listens on, below Linux's ephemeral range (32768-60999 by default): a port
  # in that range can be taken by some outgoing connection between this check and the fake node's bind
  free_port() {
    local p
    for _ in $(seq 1 50); do
      p=$((20000 + RANDOM % 12000))
      port_busy "$p" || { printf '%s' "$p"; return 0; }
    done
    return 1
  }
  FAKE_PORT="$(free_port)" || { echo "no free port"; exit 2; }
  mapfile -d '' -t ok_cmd < <(fake_node_cmd "$FAKE_PORT")
  mapfile -d '' -t bad_cmd < <(fake_node_cmd "$FAKE_PORT" 3)

  case "$name" in
    slow-exec-becomes-ready)
      # wait_ready must wait for a node that has not exec'd yet and return once it answers /ready
      start_slow api-fake "$LOGS/fake.log" "${ok_cmd[@]}"
      wait_ready >/dev/null
      echo "wait_ready returned $?"
      ;;
    slow-exec-then-exits)
      # a node that exits (code 3) after a slow exec: wait_ready must fail, promptly, with its code
      # (in this shell, not a subshell: only the shell that started a process can collect its code;
      # wait_ready ends this shell through die, so the check runs on EXIT)
      start_slow api-fake "$LOGS/fake.log" "${bad_cmd[@]}"
      # (the trap runs inside wait_ready's redirections: it writes to the saved stdout, fd 3)
      exec 3>&1
      trap 'rc=$?; echo "wait_ready exited $rc: $(grep -o "exited.*ready" "$dir/err" | head -n 1)" >&3
            [ "$rc" -ne 0 ] && grep -q "exited with code 3 before" "$dir/err" && exit 0; exit 1' EXIT
      wait_ready >/dev/null 2>"$dir/err"
      ;;
    alive-count-counts-starting)
      # `up` asks alive_count whether anything of a run is left; a node being started is
      start_slow api-fake "$LOGS/fake.log" "${ok_cmd[@]}"
      n="$(alive_count)"
      echo "alive_count = $n while the node has not exec'd yet"
      [ "$n" = 1 ] || exit 1
      ;;
    stop-all-stops-starting)
      # stop_all right after the start (wait_ready failing on another node does that): the node that
      # has not exec'd yet must be stopped too, not left running with nothing recording it
      start_slow api-fake "$LOGS/fake.log" "${ok_cmd[@]}"
      pid=$LAST_PID
      stop_all >/dev/null
      sleep "$((DELAY + 1))"
      if kill -0 "$pid" 2>/dev/null && [ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" != Z ]; then
        echo "pid $pid still runs after stop_all (nothing records it any more)"
        exit 1
      fi
      echo "pid $pid stopped"
      ;;
    *) echo "unknown scenario $name"; exit 2 ;;
  esac
  exit 0
fi

# ---- the runner ---------------------------------------------------------------------------------
passed=0 failed=0
run_scenario() {
  local name="$1" dir rc out
  dir="$(mktemp -d)"
  out="$(PROCS_SELFTEST_SPIKE="$SPIKE" timeout -k 2 "$LIMIT" bash "$HERE/procs-selftest.sh" --scenario "$name" "$dir" 2>&1)"
  rc=$?
  # whatever the scenario started is killed by its pid (the fake nodes run in their own sessions, so
  # the time limit does not reach them), when that pid still runs a fake node
  if [ -f "$dir/started" ]; then
    local pid
    while read -r pid; do
      [[ "$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline")" == *"Spike.Api.dll $FAKE_MARK"* ]] && kill -KILL "$pid" 2>/dev/null
    done <"$dir/started"
  fi
  rm -rf "$dir"
  if [ "$rc" -eq 0 ]; then
    printf 'PASS  %-30s %s\n' "$name" "$(tail -n 1 <<<"$out")"
    passed=$((passed + 1))
  elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    printf 'HANG  %-30s still running after %s s (killed)\n' "$name" "$LIMIT"
    failed=$((failed + 1))
  else
    printf 'FAIL  %-30s exit %s: %s\n' "$name" "$rc" "$(tail -n 3 <<<"$out" | tr '\n' ' ')"
    failed=$((failed + 1))
  fi
}

echo "procs-selftest of $SPIKE: fake nodes exec $DELAY s after their fork; a scenario over $LIMIT s hangs"
for s in slow-exec-becomes-ready slow-exec-then-exits alive-count-counts-starting stop-all-stops-starting; do
  run_scenario "$s"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
