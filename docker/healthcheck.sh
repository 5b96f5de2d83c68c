#!/bin/bash
# spike-healthcheck [path] [port] — exit 0 when http://127.0.0.1:<port><path> answers 200.
#
# The Docker HEALTHCHECK of every Spike image. The aspnet runtime image has neither curl nor wget;
# rather than apt-get curl into every image (~10 MB and a package index per build), this speaks
# HTTP/1.1 over bash's /dev/tcp, which is enough for one GET on loopback. Docker's --timeout kills
# it if the node does not answer.
#
#   path  /ready by default (cluster member Up and Redis answering)
#   port  SPIKE_HEALTH_PORT, else the port of the first URL in ASPNETCORE_URLS (http://0.0.0.0:3001)
set -u
path="${1:-/ready}"
port="${2:-${SPIKE_HEALTH_PORT:-}}"
if [ -z "$port" ]; then
  url="${ASPNETCORE_URLS:-}"
  url="${url%%;*}"
  url="${url%/}"
  port="${url##*:}"
fi
case "$port" in
  '' | *[!0-9]*) echo "spike-healthcheck: no port (give one, or set SPIKE_HEALTH_PORT or ASPNETCORE_URLS)"; exit 1 ;;
esac

{ exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null || { echo "spike-healthcheck: nothing listens on port $port"; exit 1; }
printf 'GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' "$path" >&3
IFS= read -r -t 5 status <&3 || { echo "spike-healthcheck: no answer on port $port"; exit 1; }
status="${status%$'\r'}"
case "$status" in
  "HTTP/1."?" 200"*) exit 0 ;;
esac
echo "spike-healthcheck: $path on port $port: $status"
exit 1
