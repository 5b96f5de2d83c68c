#!/usr/bin/env bash
# nginx/render.sh — render nginx/spike.conf.template into a complete, standalone nginx.conf.
#
#   nginx/render.sh [--test] <output.conf> <run-dir>
#
# <run-dir> is created when missing and receives everything nginx writes: nginx.pid, error.log
# (unless SPIKE_NGINX_ERROR_LOG says otherwise), access.log (when on) and temp/. The output file is
# written atomically. With --test, `nginx -t` checks the rendered file before render.sh returns.
# Then run it (foreground when SPIKE_NGINX_DAEMON=off):
#
#   nginx -c <abs output.conf> -p <abs run-dir>/ -e <abs run-dir>/error.log
#
# (-e, nginx >= 1.19.5, is where nginx logs before it has read the config; without it nginx first
# opens its compiled-in /var/log/nginx/error.log, which a non-root user cannot.)
#
# Environment (defaults in parentheses):
#   SPIKE_NGINX_PORT                port nginx listens on (8080)
#   SPIKE_NGINX_LISTEN              address nginx listens on (127.0.0.1; 0.0.0.0 in a container)
#   SPIKE_API_PORTS                 API node HTTP ports, space separated ("3001 3002 3003 3004")
#   SPIKE_API_WEIGHTS               one weight per port, same order ("1 2 3 4")
#   SPIKE_API_HOST                  host of every API node (127.0.0.1)
#   SPIKE_API_HOSTS                 optional: one host per port, same order (Docker: "api-1 api-2 ...");
#                                   overrides SPIKE_API_HOST
#   SPIKE_NGINX_DAEMON              on | off | empty = nginx's default (on). spike.sh and Docker: off
#   SPIKE_NGINX_WORKERS             worker_processes: a number or auto (1; see the template)
#   SPIKE_NGINX_WORKER_CONNECTIONS  per worker (4096: about 2,000 concurrent proxied clients)
#   SPIKE_NGINX_ACCESS_LOG          off | on (off; on = buffered <run-dir>/access.log)
#   SPIKE_NGINX_ERROR_LOG           a file or "stderr" (<run-dir>/error.log)
#   SPIKE_NGINX_MAX_FAILS           failed attempts that take a node out (2)
#   SPIKE_NGINX_FAIL_TIMEOUT        window for them and time a node stays out (5s)
#   SPIKE_NGINX_ADMIN               deny | allow (deny): /admin/, /metrics and /openapi/ on this public port. Denied,
#                                   operators reach them on a node's own port (not published)
#   SPIKE_NGINX_UPSTREAM_HEADER     off | on (off): X-Spike-Upstream, the internal address of the node
#                                   that answered, on every answer (the demo counts nodes with it)
#   SPIKE_NGINX_RESOLVER            optional DNS server for the node names, re-resolved while running
#                                   (Docker: 127.0.0.11). Needs nginx >= 1.27.3 ("resolve" in upstream).
#   NGINX                           the nginx binary for --test (nginx on PATH, else /usr/sbin/nginx)
set -euo pipefail
shopt -u patsub_replacement 2>/dev/null || true   # bash 5.2: '&' in a replacement stays a '&'

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TEMPLATE="$HERE/spike.conf.template"

die() { printf 'render.sh: error: %s\n' "$*" >&2; exit 2; }
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}" >&2; exit 2; }

TEST=0
while [ $# -gt 0 ]; do
  case "$1" in
    --test) TEST=1; shift ;;
    -h|--help) usage ;;
    --) shift; break ;;
    -*) die "unknown option $1 (usage: render.sh [--test] <output.conf> <run-dir>)" ;;
    *) break ;;
  esac
done
[ $# -eq 2 ] || die "usage: render.sh [--test] <output.conf> <run-dir>"
OUT="$1" DIR="$2"

# ---- inputs ------------------------------------------------------------------------------------
NGINX_PORT="${SPIKE_NGINX_PORT:-8080}"
LISTEN="${SPIKE_NGINX_LISTEN:-127.0.0.1}"
read -r -a PORTS <<<"${SPIKE_API_PORTS:-3001 3002 3003 3004}"
read -r -a WEIGHTS <<<"${SPIKE_API_WEIGHTS:-1 2 3 4}"
API_HOST="${SPIKE_API_HOST:-127.0.0.1}"
read -r -a HOSTS <<<"${SPIKE_API_HOSTS:-}"
DAEMON="${SPIKE_NGINX_DAEMON:-}"
WORKERS="${SPIKE_NGINX_WORKERS:-1}"
WORKER_CONNECTIONS="${SPIKE_NGINX_WORKER_CONNECTIONS:-4096}"
ACCESS_LOG="${SPIKE_NGINX_ACCESS_LOG:-off}"
ERROR_LOG="${SPIKE_NGINX_ERROR_LOG:-}"
MAX_FAILS="${SPIKE_NGINX_MAX_FAILS:-2}"
FAIL_TIMEOUT="${SPIKE_NGINX_FAIL_TIMEOUT:-5s}"
RESOLVER="${SPIKE_NGINX_RESOLVER:-}"
ADMIN="${SPIKE_NGINX_ADMIN:-deny}"
UPSTREAM_HEADER="${SPIKE_NGINX_UPSTREAM_HEADER:-off}"

is_port() { [[ "$1" =~ ^[0-9]{1,5}$ ]] && [ "$1" -ge 1 ] && [ "$1" -le 65535 ]; }
is_word() { [[ "$1" =~ ^[A-Za-z0-9._:-]+$ ]]; }   # host names, IPv4 addresses, "[::1]"-less words
# a path we can put between double quotes in nginx.conf
safe_path() { [[ "$1" != *[\"\$\\\;\{\}]* && "$1" != *$'\n'* && -n "$1" ]]; }

is_port "$NGINX_PORT" || die "SPIKE_NGINX_PORT='$NGINX_PORT' is not a port number (1-65535)"
is_word "$LISTEN" || die "SPIKE_NGINX_LISTEN='$LISTEN' is not an address (e.g. 127.0.0.1 or 0.0.0.0)"
[ "${#PORTS[@]}" -gt 0 ] || die "SPIKE_API_PORTS is empty: no API node to send requests to"
if [ "${#PORTS[@]}" -ne "${#WEIGHTS[@]}" ]; then
  die "SPIKE_API_PORTS has ${#PORTS[@]} entries (${PORTS[*]}) but SPIKE_API_WEIGHTS has ${#WEIGHTS[@]} (${WEIGHTS[*]:-}); give one weight per port"
fi
if [ "${#HOSTS[@]}" -gt 0 ] && [ "${#HOSTS[@]}" -ne "${#PORTS[@]}" ]; then
  die "SPIKE_API_HOSTS has ${#HOSTS[@]} entries (${HOSTS[*]}) but SPIKE_API_PORTS has ${#PORTS[@]} (${PORTS[*]}); give one host per port"
fi
for i in "${!PORTS[@]}"; do
  is_port "${PORTS[$i]}" || die "SPIKE_API_PORTS entry '${PORTS[$i]}' is not a port number (1-65535)"
  if ! [[ "${WEIGHTS[$i]}" =~ ^[0-9]+$ ]] || [ "${WEIGHTS[$i]}" -lt 1 ] || [ "${WEIGHTS[$i]}" -gt 1000 ]; then
    die "SPIKE_API_WEIGHTS entry '${WEIGHTS[$i]}' is not a whole number from 1 to 1000"
  fi
done
for h in "$API_HOST" ${HOSTS[@]+"${HOSTS[@]}"}; do
  is_word "$h" || die "API host '$h' is not a host name or address"
done
case "$DAEMON" in on|off|"") ;; *) die "SPIKE_NGINX_DAEMON='$DAEMON': use on, off or leave it empty" ;; esac
[[ "$WORKERS" == auto || ( "$WORKERS" =~ ^[0-9]+$ && "$WORKERS" -ge 1 ) ]] \
  || die "SPIKE_NGINX_WORKERS='$WORKERS': use a positive number or auto"
if ! [[ "$WORKER_CONNECTIONS" =~ ^[0-9]+$ ]] || [ "$WORKER_CONNECTIONS" -lt 64 ]; then
  die "SPIKE_NGINX_WORKER_CONNECTIONS='$WORKER_CONNECTIONS': use a number >= 64"
fi
case "$ACCESS_LOG" in on|off) ;; *) die "SPIKE_NGINX_ACCESS_LOG='$ACCESS_LOG': use on or off" ;; esac
case "$ADMIN" in deny|allow) ;; *) die "SPIKE_NGINX_ADMIN='$ADMIN': use deny or allow" ;; esac
case "$UPSTREAM_HEADER" in on|off) ;; *) die "SPIKE_NGINX_UPSTREAM_HEADER='$UPSTREAM_HEADER': use on or off" ;; esac
[[ "$MAX_FAILS" =~ ^[0-9]+$ ]] || die "SPIKE_NGINX_MAX_FAILS='$MAX_FAILS' is not a number"
[[ "$FAIL_TIMEOUT" =~ ^[0-9]+(ms|s|m)?$ ]] || die "SPIKE_NGINX_FAIL_TIMEOUT='$FAIL_TIMEOUT': use e.g. 5s"
resolver_re='^[][A-Za-z0-9.: =_-]+$'   # addresses, [ipv6], :port, valid=..., ipv6=off
[[ -z "$RESOLVER" || "$RESOLVER" =~ $resolver_re ]] \
  || die "SPIKE_NGINX_RESOLVER='$RESOLVER' is not a resolver address list"
safe_path "$OUT" || die "output path '$OUT' is empty or has one of  \" \$ \\ ; { }  or a newline"
safe_path "$DIR" || die "run directory '$DIR' is empty or has one of  \" \$ \\ ; { }  or a newline"
[ -f "$TEMPLATE" ] || die "template $TEMPLATE is missing"

# ---- paths -------------------------------------------------------------------------------------
mkdir -p "$DIR/temp" "$(dirname "$OUT")" || die "cannot create $DIR or the directory of $OUT"
DIR="$(cd "$DIR" && pwd)"
OUT="$(cd "$(dirname "$OUT")" && pwd)/$(basename "$OUT")"
[ -n "$ERROR_LOG" ] || ERROR_LOG="$DIR/error.log"
[ "$ERROR_LOG" = stderr ] || safe_path "$ERROR_LOG" || die "SPIKE_NGINX_ERROR_LOG='$ERROR_LOG' is not usable"

# worker_rlimit_nofile: two descriptors per connection plus room for logs and listeners, but never
# above the hard limit (a non-root nginx cannot raise it and would log an alert at every start).
RLIMIT=$((2 * WORKER_CONNECTIONS + 1024))
HARD="$(ulimit -Hn 2>/dev/null || echo unlimited)"
if [[ "$HARD" =~ ^[0-9]+$ ]] && [ "$RLIMIT" -gt "$HARD" ]; then RLIMIT="$HARD"; fi

# ---- values of the placeholders ----------------------------------------------------------------
declare -A V
V[SPIKE_NGINX_DIR]="$DIR"
V[SPIKE_NGINX_PORT]="$NGINX_PORT"
V[SPIKE_NGINX_LISTEN]="$LISTEN"
V[SPIKE_NGINX_WORKERS]="$WORKERS"
V[SPIKE_NGINX_WORKER_CONNECTIONS]="$WORKER_CONNECTIONS"
V[SPIKE_NGINX_RLIMIT_NOFILE]="$RLIMIT"
V[SPIKE_NGINX_ERROR_LOG]="\"$ERROR_LOG\""
if [ -n "$DAEMON" ]; then
  V[SPIKE_NGINX_DAEMON_LINE]="daemon $DAEMON;"
else
  V[SPIKE_NGINX_DAEMON_LINE]="# daemon: nginx's default (on); SPIKE_NGINX_DAEMON=off keeps it in the foreground."
fi
if [ "$ACCESS_LOG" = on ]; then
  V[SPIKE_NGINX_ACCESS_LOG_LINE]="access_log \"$DIR/access.log\" spike buffer=64k flush=5s;"
else
  V[SPIKE_NGINX_ACCESS_LOG_LINE]="access_log off;"
fi
if [ "$UPSTREAM_HEADER" = on ]; then
  V[SPIKE_NGINX_UPSTREAM_HEADER_LINE]='add_header X-Spike-Upstream $upstream_addr always;'
else
  V[SPIKE_NGINX_UPSTREAM_HEADER_LINE]="# (no X-Spike-Upstream: SPIKE_NGINX_UPSTREAM_HEADER=off)"
fi
if [ "$ADMIN" = deny ]; then
  V[SPIKE_NGINX_ADMIN_LOCATION]='        # The operator endpoints (the admin API, the Prometheus metrics, the OpenAPI document) are not served on the public
        # port (SPIKE_NGINX_ADMIN=deny): answered here, without a node, the same way whatever the path or
        # token. Any letter case (the nodes route /ADMIN/... as /admin/...); nginx matches after decoding
        # %XX and merging slashes.
        location ~* ^/(admin|metrics|openapi)(/|$) {
            default_type application/json;
            return 403 "{\"status\":\"forbidden\",\"detail\":\"operator endpoints are not served on this port\"}\n";
        }
'
else
  V[SPIKE_NGINX_ADMIN_LOCATION]="        # /admin/, /metrics and /openapi/ go to the nodes like every other path (SPIKE_NGINX_ADMIN=allow)."
fi
RESOLVE_PARAM=""
if [ -n "$RESOLVER" ]; then
  V[SPIKE_NGINX_RESOLVER_LINE]="
    # Re-resolve the node names while running (SPIKE_NGINX_RESOLVER): a restarted container may come
    # back with another address. Without it nginx resolves each name once, at start.
    resolver $RESOLVER valid=5s ipv6=off;
    resolver_timeout 2s;
"
  RESOLVE_PARAM=" resolve"
else
  V[SPIKE_NGINX_RESOLVER_LINE]=""
fi
servers=""
for i in "${!PORTS[@]}"; do
  host="$API_HOST"
  [ "${#HOSTS[@]}" -gt 0 ] && host="${HOSTS[$i]}"
  [ -n "$servers" ] && servers+=$'\n'
  servers+="        server $host:${PORTS[$i]} weight=${WEIGHTS[$i]} max_fails=$MAX_FAILS fail_timeout=$FAIL_TIMEOUT$RESOLVE_PARAM;"
done
V[SPIKE_UPSTREAM_SERVERS]="$servers"

# ---- render ------------------------------------------------------------------------------------
text="$(cat "$TEMPLATE")"
for name in "${!V[@]}"; do
  pattern="\${$name}"
  value="${V[$name]}"
  text="${text//"$pattern"/$value}"
done
# shellcheck disable=SC2016  # a literal ${SPIKE_...}: placeholders that were not replaced
if leftover="$(grep -o '\${SPIKE_[A-Z0-9_]*}' <<<"$text" | sort -u | tr '\n' ' ')" && [ -n "$leftover" ]; then
  die "the template has placeholders render.sh does not know: $leftover"
fi

tmp="$OUT.tmp.$$"
printf '%s\n' "$text" >"$tmp" || die "cannot write $tmp"
mv -f "$tmp" "$OUT"

if [ "$TEST" -eq 1 ]; then
  nginx_bin="${NGINX:-}"
  if [ -z "$nginx_bin" ]; then
    nginx_bin="$(command -v nginx 2>/dev/null || true)"
    [ -n "$nginx_bin" ] || { [ -x /usr/sbin/nginx ] && nginx_bin=/usr/sbin/nginx; }
  fi
  [ -n "$nginx_bin" ] || die "--test: no nginx binary (install nginx or set NGINX=/path/to/nginx)"
  err="$ERROR_LOG"
  # env -u NGINX: nginx reads an NGINX variable as inherited listening sockets ("invalid socket number")
  if ! env -u NGINX "$nginx_bin" -t -q -c "$OUT" -p "$DIR/" -e "$err"; then
    die "nginx -t rejected $OUT"
  fi
fi
