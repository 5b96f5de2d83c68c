#!/usr/bin/env bash
# nginx/selftest.sh — checks nginx/spike.conf.template's behaviour with real nginx processes on
# 127.0.0.1, without .NET: a second nginx plays the API nodes.
#
#   nginx/selftest.sh            (needs nginx and curl; ~2 s; prints "N passed, N failed")
#
# Fake nodes (one nginx, several ports): "echo" nodes answer 200 with what they received; a "drop"
# node reads the request and closes the connection without any answer (nginx's 444: a node killed
# after it got the request); a "fail" node answers 503; a "dead" port has no listener (a killed node).
# Each scenario renders its own front config with render.sh (fresh round-robin state) and checks:
#   - nginx -t accepts the defaults and odd inputs; mismatched lists are refused
#   - weights 1:2:3:4 and 5:1 give exactly those shares
#   - a dead node: GET and POST are retried on the next node (the node never saw them); with three
#     of four nodes dead a request still finds the live one
#   - a node that got the request and died: a GET buy is resent WITH THE SAME requestId (nginx adds
#     one when the client gave none); a POST is NOT resent (502)
#   - a 503 answer is passed back, not retried
#   - client address headers reach the node; upstream keepalive (no "Connection: close")
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
NGINX="${NGINX:-$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)}"
[ -x "$NGINX" ] || { echo "selftest: nginx not found (set NGINX=...)" >&2; exit 2; }
command -v curl >/dev/null || { echo "selftest: curl not found" >&2; exit 2; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/spike-nginx-selftest.XXXXXX")"
PIDFILES=()
cleanup() {
  local f
  for f in ${PIDFILES[@]+"${PIDFILES[@]}"}; do
    [ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null
  done
  sleep 0.2
  rm -rf "$WORK"
}
trap cleanup EXIT

PASS=0 FAIL=0
ok() { PASS=$((PASS + 1)); printf 'ok    %s\n' "$1"; }
bad() { FAIL=$((FAIL + 1)); printf 'FAIL  %s\n' "$1"; [ -n "${2:-}" ] && printf '      %s\n' "$2"; }
check() { # name condition-result(0/1) detail
  if [ "$2" -eq 0 ]; then ok "$1"; else bad "$1" "${3:-}"; fi
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# pick N consecutive free ports from a random base
pick_ports() {
  local n="$1" base i
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    base=$((20000 + (RANDOM % 400) * 20))
    for ((i = 0; i < n; i++)); do port_free $((base + i)) || continue 2; done
    echo "$base"
    return 0
  done
  echo "selftest: no free ports" >&2
  exit 2
}

BASE="$(pick_ports 12)"
E1=$BASE E2=$((BASE + 1)) E3=$((BASE + 2)) E4=$((BASE + 3))
DROP=$((BASE + 4)) FAILP=$((BASE + 5)) DEAD=$((BASE + 6)) FRONT=$((BASE + 7)) DEAD2=$((BASE + 8)) DEAD3=$((BASE + 9))

# ---- fake nodes --------------------------------------------------------------------------------
mkdir -p "$WORK/nodes/temp"
echo_server() {
  cat <<EOF
    server {
        listen 127.0.0.1:$1;
        location / {
            return 200 "port=\$server_port method=\$request_method args=\$args realip=\$http_x_real_ip xff=\$http_x_forwarded_for conn=\$http_connection traceparent=\$http_traceparent tracestate=\$http_tracestate\n";
        }
    }
EOF
}
cat >"$WORK/nodes/nginx.conf" <<EOF
worker_processes 1;
pid "$WORK/nodes/nginx.pid";
error_log "$WORK/nodes/error.log" warn;
events { worker_connections 256; }
http {
    client_body_temp_path "$WORK/nodes/temp/c";
    proxy_temp_path "$WORK/nodes/temp/p";
    fastcgi_temp_path "$WORK/nodes/temp/f";
    uwsgi_temp_path "$WORK/nodes/temp/u";
    scgi_temp_path "$WORK/nodes/temp/s";
    default_type text/plain;
    log_format seen '\$request_method \$args';
    access_log off;
$(echo_server "$E1")
$(echo_server "$E2")
$(echo_server "$E3")
$(echo_server "$E4")
    server {
        listen 127.0.0.1:$DROP;
        access_log "$WORK/nodes/drop.log" seen;
        # read the request (and its body), then close without answering
        location / { client_body_in_single_buffer on; return 444; }
    }
    server {
        listen 127.0.0.1:$FAILP;
        location / { return 503 "unavailable\n"; }
    }
}
EOF
"$NGINX" -c "$WORK/nodes/nginx.conf" -p "$WORK/nodes/" -e "$WORK/nodes/error.log" \
  || { cat "$WORK/nodes/error.log" >&2; echo "selftest: cannot start the fake nodes" >&2; exit 2; }
PIDFILES+=("$WORK/nodes/nginx.pid")

# ---- front instances ---------------------------------------------------------------------------
# front name "ports" "weights" [KEY=VALUE...] — render + start a front nginx on $FRONT (stops the
# previous one); with X-Spike-Upstream on (the checks count nodes with it) unless the settings say otherwise
CUR=""
front() {
  local name="$1" ports="$2" weights="$3" dir="$WORK/$1"
  local settings=(SPIKE_NGINX_UPSTREAM_HEADER=on "${@:4}")
  if [ -n "$CUR" ] && [ -s "$WORK/$CUR/nginx.pid" ]; then
    kill "$(cat "$WORK/$CUR/nginx.pid")" 2>/dev/null
    local i
    for i in $(seq 50); do port_free "$FRONT" && break; sleep 0.05; done
  fi
  env SPIKE_NGINX_PORT="$FRONT" SPIKE_API_PORTS="$ports" SPIKE_API_WEIGHTS="$weights" SPIKE_NGINX_DAEMON=on "${settings[@]}" \
    "$HERE/render.sh" "$dir/nginx.conf" "$dir" || { bad "render $name"; return 1; }
  "$NGINX" -c "$dir/nginx.conf" -p "$dir/" -e "$dir/error.log" || { bad "start $name" "$(tail -3 "$dir/error.log")"; return 1; }
  PIDFILES+=("$dir/nginx.pid")
  CUR="$name"
  local i
  for i in $(seq 50); do port_free "$FRONT" || return 0; sleep 0.05; done
  bad "start $name" "nothing listens on $FRONT"
  return 1
}
# req [curl args...] — prints "<status>|<X-Spike-Upstream>|<body>"
req() {
  local hdr body code
  hdr="$WORK/h.$$"
  body="$(curl -s --max-time 20 -D "$hdr" "$@" "http://127.0.0.1:$FRONT${URLPATH:-/ping}")"
  code="$(awk 'NR == 1 { print $2 }' "$hdr")"
  printf '%s|%s|%s\n' "$code" "$(awk -F': ' 'tolower($1) == "x-spike-upstream" { sub(/\r$/, "", $2); print $2 }' "$hdr")" "$body"
}
A() { printf '127.0.0.1:%s' "$1"; }

# ---- nginx -t ----------------------------------------------------------------------------------
t="$WORK/t"
"$HERE/render.sh" --test "$t/default.conf" "$t/default" 2>"$t.err"
check "nginx -t: defaults (8080, 3001-3004, weights 1 2 3 4)" $? "$(cat "$t.err")"
SPIKE_API_PORTS="3001 3002" SPIKE_API_WEIGHTS="5 1" SPIKE_NGINX_PORT=18080 SPIKE_NGINX_DAEMON=off \
  SPIKE_NGINX_ACCESS_LOG=on SPIKE_NGINX_WORKERS=auto SPIKE_NGINX_LISTEN=0.0.0.0 \
  "$HERE/render.sh" --test "$t/odd.conf" "$t/odd" 2>"$t.err"
check "nginx -t: 2 ports, weights 5 1, daemon off, access log on, workers auto, 0.0.0.0" $? "$(cat "$t.err")"
SPIKE_API_PORTS="3001 3002 3003" SPIKE_API_WEIGHTS="1 2" "$HERE/render.sh" "$t/bad.conf" "$t/bad" 2>"$t.err"
rc=$?
[ "$rc" -ne 0 ] && grep -q 'SPIKE_API_PORTS has 3 entries' "$t.err" && [ ! -e "$t/bad.conf" ]
check "render refuses 3 ports with 2 weights (exit $rc, no file written)" $? "$(cat "$t.err")"

# ---- weights -----------------------------------------------------------------------------------
count_shares() { # n — n GET /ping; prints "port:count ..." sorted by port
  local i
  for ((i = 0; i < $1; i++)); do req; done | cut -d'|' -f2 | sort | uniq -c | awk '{ sub(/.*:/, "", $2); printf "%s:%s ", $2, $1 }'
}
if front weights "$E1 $E2 $E3 $E4" "1 2 3 4"; then
  got="$(count_shares 100)"
  want="$E1:10 $E2:20 $E3:30 $E4:40 "
  [ "$got" = "$want" ]; check "weights 1:2:3:4 over 100 requests = 10/20/30/40" $? "got $got"
fi
if front weights51 "$E1 $E2" "5 1"; then
  got="$(count_shares 60)"
  [ "$got" = "$E1:50 $E2:10 " ]; check "weights 5:1 over 60 requests = 50/10" $? "got $got"
fi

# ---- client address, keepalive -----------------------------------------------------------------
if front headers "$E1" "1"; then
  r="$(req -H 'X-Forwarded-For: 203.0.113.7')"
  [[ "$r" == 200*"realip=127.0.0.1 xff=203.0.113.7, 127.0.0.1 conn="* ]]
  check "X-Real-IP and X-Forwarded-For reach the node; no 'Connection: close' upstream" $? "$r"
fi

# ---- a dead node (nothing listens): retried, even a POST ---------------------------------------
if front dead "$DEAD $E1" "1 1"; then
  r="$(req)"
  [[ "$r" == "200|$(A "$DEAD"), $(A "$E1")|"* ]]; check "dead node: GET is retried on the next node" $? "$r"
  front dead2 "$DEAD $E1" "1 1"
  r="$(URLPATH=/buy/ticket req -X POST -H 'Content-Type: application/json' --data '{"sale":"s","user":"u"}')"
  [[ "$r" == "200|$(A "$DEAD"), $(A "$E1")|port=$E1 method=POST"* ]]
  check "dead node: POST is retried too (the connection failed: the node never saw it)" $? "$r"
  # the POST was failure 1 of max_fails=2; the next pick of the dead node is failure 2, then it is out
  for i in 1 2 3 4 5 6 7 8; do req; done >"$WORK/after-dead"
  [ "$(grep -c "$(A "$DEAD")" "$WORK/after-dead")" -le 1 ] && ! tail -n 5 "$WORK/after-dead" | grep -q "$(A "$DEAD")"
  check "dead node: taken out after max_fails=2 (then every request goes straight to a live node)" $? "$(cat "$WORK/after-dead")"
fi

if front three-dead "$DEAD $DEAD2 $DEAD3 $E1" "4 3 2 1"; then
  r="$(URLPATH='/buy/ticket?sale=s&user=u' req)"
  [[ "$r" == "200|$(A "$DEAD"), $(A "$DEAD2"), $(A "$DEAD3"), $(A "$E1")|"* ]]
  check "three of four nodes dead: a request still reaches the live one" $? "$r"
fi

# ---- a node that got the request and died -------------------------------------------------------
if front drop-get "$DROP $E1" "1 1"; then
  r="$(URLPATH='/buy/ticket?sale=s&user=u' req)"
  id="$(sed -n 's/.*args=sale=s&user=u&requestId=\([0-9a-f]\{32\}\) .*/\1/p' <<<"$r")"
  [[ "$r" == "200|$(A "$DROP"), $(A "$E1")|"* && -n "$id" ]]
  check "died after receipt: GET buy without requestId is resent, nginx added a requestId" $? "$r"
  grep -q "^GET sale=s&user=u&requestId=$id\$" "$WORK/nodes/drop.log"
  check "died after receipt: the first node got the SAME requestId (one purchase, Lua idempotency)" $? \
    "drop node saw: $(cat "$WORK/nodes/drop.log"), retry carried: $id"
fi
if front drop-get-own "$DROP $E1" "1 1"; then
  r="$(URLPATH='/buy/ticket?sale=s&user=u&requestId=mine-1' req)"
  [[ "$r" == "200|$(A "$DROP"), $(A "$E1")|port=$E1 method=GET args=sale=s&user=u&requestId=mine-1 "* ]]
  check "died after receipt: GET buy with its own requestId is resent untouched" $? "$r"
fi
if front empty-id "$E1" "1"; then
  r="$(URLPATH='/buy/ticket?sale=s&requestId=&user=u' req)"
  [[ "$r" == "200|$(A "$E1")|port=$E1 method=GET args=sale=s&requestId=&user=u "* ]]
  check "an empty requestId is passed untouched (the node refuses it), none is added" $? "$r"
  r="$(URLPATH='/buy/ticket?sale=s&user=u&REQUESTID=x9' req)"
  [[ "$r" == "200|$(A "$E1")|port=$E1 method=GET args=sale=s&user=u&REQUESTID=x9 "* ]]
  check "requestId is recognised in any letter case (as the node does)" $? "$r"
  r="$(URLPATH='/buy/ticket?sale=s&user=u&notrequestId=x9' req)"
  [[ "$r" == *"args=sale=s&user=u&notrequestId=x9&requestId="[0-9a-f]* ]]
  check "a parameter that merely ends in 'requestId' is not taken for one" $? "$r"
fi
if front drop-post "$DROP $E1" "1 1"; then
  r="$(URLPATH=/buy/ticket req -X POST -H 'Content-Type: application/json' --data '{"sale":"s","user":"u"}')"
  [[ "$r" == "502|$(A "$DROP")|"* ]]
  check "died after receipt: POST is NOT resent to another node (502)" $? "$r"
fi
if front ping-get "$E1" "1"; then
  r="$(URLPATH='/ping?x=1' req)"
  [[ "$r" == "200|$(A "$E1")|port=$E1 method=GET args=x=1 "* ]]
  check "requestId is added only on /buy/ (other paths untouched)" $? "$r"
fi

# ---- an answer is an answer ------------------------------------------------------------------
if front fail "$FAILP $E1" "1 1"; then
  r="$(URLPATH='/buy/ticket?sale=s&user=u&requestId=r1' req)"
  [[ "$r" == "503|$(A "$FAILP")|"* ]]; check "a 503 from a node is passed back, not retried" $? "$r"
fi

if front health "$DEAD" "1"; then
  r="$(URLPATH=/nginx/healthz req)"
  [[ "$r" == "200||ok" ]]; check "/nginx/healthz answers without any node" $? "$r"
fi

# ---- what the public port does not show ------------------------------------------------------------
if front admin "$E1" "1"; then
  all=1 seen=""
  for path in /admin/sales/s /ADMIN/sales/s /Admin /admin%2Fsales%2Fs //admin/sales/s /admin/../admin/sales/s; do
    r="$(URLPATH="$path" req -H 'Authorization: Bearer anything')"
    seen+="$path -> $r; "
    [[ "$r" == '403||{"status":"forbidden",'* ]] || all=0
  done
  [ "$all" = 1 ]; check "the admin API is refused on the public port (any case, encoded, dot segments), no node asked" $? "$seen"
  r="$(URLPATH=/administrators req)"
  [[ "$r" == "200|$(A "$E1")|"* ]]; check "only /admin itself is refused (/administrators reaches a node)" $? "$r"
  all=1 seen=""
  for path in /metrics /METRICS /metrics/ /metrics%2F //metrics /openapi/v1.json /OpenAPI/v1.json /openapi%2Fv1.json; do
    r="$(URLPATH="$path" req)"
    seen+="$path -> $r; "
    [[ "$r" == '403||{"status":"forbidden",'* ]] || all=0
  done
  [ "$all" = 1 ]; check "the Prometheus metrics and the OpenAPI document are refused on the public port (any case, encoded), no node asked" $? "$seen"
fi
if front admin-allowed "$E1" "1" SPIKE_NGINX_ADMIN=allow; then
  r="$(URLPATH=/admin/sales/s req)"
  [[ "$r" == "200|$(A "$E1")|"* ]]; check "SPIKE_NGINX_ADMIN=allow passes /admin/ to the nodes" $? "$r"
  for path in /metrics /openapi/v1.json; do
    r="$(URLPATH=$path req)"
    [[ "$r" == "200|$(A "$E1")|"* ]]; check "SPIKE_NGINX_ADMIN=allow passes $path to the nodes" $? "$r"
  done
fi
if front no-upstream "$E1" "1" SPIKE_NGINX_UPSTREAM_HEADER=off; then
  r="$(req)"
  [[ "$r" == "200||port=$E1 "* ]]; check "no X-Spike-Upstream (internal addresses) unless asked for" $? "$r"
fi

if front trace "$E1" "1"; then
  r="$(req -H 'traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' -H 'tracestate: a=b')"
  [[ "$r" == *"traceparent= tracestate="* ]]; check "a client's trace context is not passed to the nodes (it could make them trace every request)" $? "$r"
fi

echo ""
echo "nginx selftest: $PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
