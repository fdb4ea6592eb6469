#!/usr/bin/env bash
# Redirect benchmark: wrk against Linkly's GET /s/:code (cache hit, 64 connections), then against
# a bare Netty server answering the same 302 (the ceiling), in the same run. Loopback only.
# Usage: bench/scripts/redirect.sh [seconds]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
. "$root/scripts/java-env.sh"
seconds="${1:-10}"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
[ -f "$root/linkly-app/target/linkly.jar" ] && [ -f "$root/bench/target/bench.jar" ] ||
  (cd "$root" && ./mvnw -B -q -DskipTests -pl linkly-app,bench -am package)

. "$root/bench/scripts/lib.sh"

port_of() { # wait for "<what> http://127.0.0.1:<port>" in a log
  for _ in $(seq 1 300); do
    p="$(sed -n "s#.*$2 http://127.0.0.1:\([0-9]*\).*#\1#p" "$1" | head -1)"
    [ -n "$p" ] && { echo "$p"; return; }
    sleep 0.1
  done
  echo "timed out waiting for $2 in $1" >&2; cat "$1" >&2; exit 1
}

echo "== $(date -u +%F) redirect benchmark, $(nproc) cores, ${seconds}s per run, wrk -t1 -c64"
cd "$work"
III_PORT=0 LINKLY_HTTP_PORT=0 LINKLY_STREAM_PORT=0 LINKLY_DATA="$work/data" \
  run_bg java ${LINKLY_JAVA_OPTS:-} -jar "$root/linkly-app/target/linkly.jar" >"$work/linkly.log" 2>&1
linkly_pid="$last_pid"
http="$(port_of "$work/linkly.log" "Linkly is up: POST")"
curl -s -o /dev/null -X POST "http://127.0.0.1:$http/links" -H 'Content-Type: application/json' -d '{"url":"https://iii.dev","code":"bench"}'
curl -s -o /dev/null -w "check: GET /s/bench -> %{http_code}\n" "http://127.0.0.1:$http/s/bench"
wrk -t1 -c64 -d3s "http://127.0.0.1:$http/s/bench" >/dev/null  # warm-up
echo "-- Linkly GET /s/:code"
wrk -t1 -c64 -d"${seconds}s" --latency "http://127.0.0.1:$http/s/bench" | grep -E 'Requests/sec|Latency|99%|50%|Non-2xx'
stop_one "$linkly_pid"

run_bg java -cp "$root/bench/target/bench.jar" io.linkly.iii.bench.BareRedirectServer 0 >"$work/bare.log" 2>&1
bare="$(port_of "$work/bare.log" "bare-redirect listening on")"
wrk -t1 -c64 -d3s "http://127.0.0.1:$bare/s/bench" >/dev/null
echo "-- bare Netty 302 (ceiling)"
wrk -t1 -c64 -d"${seconds}s" --latency "http://127.0.0.1:$bare/s/bench" | grep -E 'Requests/sec|Latency|99%|50%|Non-2xx'
