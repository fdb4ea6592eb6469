#!/usr/bin/env bash
# Click -> dashboard latency (issue 11): Linkly from its jar, one dashboard tab in headless
# Chromium, and a raw subscriber on the stream socket in the same run as its anchor, while clicks
# arrive at a fixed rate (default 1,000/s for 30 s, after a 10 s warm-up at the same rate).
# Loopback only; every process started here is stopped at the end.
# Usage: bench/scripts/dashboard.sh [clicks/s] [seconds]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
. "$root/scripts/java-env.sh"
. "$root/bench/scripts/lib.sh"
rate="${1:-1000}"
seconds="${2:-30}"
build_jars linkly-app
[ -d "$root/interop/node/node_modules/playwright-core" ] || (cd "$root/interop/node" && npm ci --no-audit --no-fund >/dev/null)
command -v chromium >/dev/null || { echo "chromium is missing: apt-get install chromium" >&2; exit 1; }

echo "== $(date -u '+%F %T UTC') dashboard latency benchmark, $(nproc) cores, load $(cut -d" " -f1 /proc/loadavg), $rate clicks/s for ${seconds}s, one tab + one raw subscriber"
cd "$work"
III_PORT=0 LINKLY_HTTP_PORT=0 LINKLY_STREAM_PORT=0 LINKLY_BROWSER_PORT=0 LINKLY_DATA="$work/data" \
  run_bg java ${LINKLY_JAVA_OPTS:-} -jar "$root/linkly-app/target/linkly.jar" >"$work/linkly.log" 2>&1
http="$(await_line "$work/linkly.log" 's#.*Linkly is up: POST http://127.0.0.1:\([0-9]*\).*#\1#p')"
stream="$(await_line "$work/linkly.log" 's#.*iii-stream listening on ws://127.0.0.1:\([0-9]*\).*#\1#p')"
curl -s -o /dev/null -X POST "http://127.0.0.1:$http/links" -H 'Content-Type: application/json' -d '{"url":"https://iii.dev","code":"bench"}'
curl -s -o /dev/null -w "check: GET /s/bench -> %{http_code}\n" "http://127.0.0.1:$http/s/bench"
export PLAYWRIGHT="$root/interop/node/node_modules/playwright-core/index.mjs" WS="$root/interop/node/node_modules/ws/wrapper.mjs"
echo "-- warm-up (10 s, not counted)"
run_fg node "$root/bench/node/dashboard-latency.mjs" "$http" "$stream" bench "$rate" 10 >/dev/null || true
echo "-- measured"
run_fg node "$root/bench/node/dashboard-latency.mjs" "$http" "$stream" bench "$rate" "$seconds"
