#!/usr/bin/env bash
# Redirect benchmark: wrk against Linkly's GET /s/:code (cache hit, 64 connections), then against
# a bare Netty server answering the same 302 (the ceiling), in the same run. Loopback only.
# Every measured redirect durably enqueues its click; Linkly's click pipeline (record_click, the
# clicks stream) runs beside the redirects as it would in production. The warm-up lets the JIT
# settle; the clicks it queued are drained before the measurement starts, and the queue's depth is
# printed after it (a growing depth means clicks arrive faster than they are recorded).
# Linkly runs three times: tracing off, on as Linkly ships (every trace, at most 100 a second),
# and on without the rate limit (every redirect traced) (issue 12: tracing may cost at most 10 %).
# This machine's run-to-run noise is about the size of the effect: ROUNDS=n alternates the three
# n times and prints the mean of each.
# Every request carries a desktop Chrome user agent and a referrer, as a visitor's click would, so
# each click is parsed and recorded with its visitor (issue 15).
# BASELINE_JAR=<linkly.jar of another build> measures that jar too, alternating with this one
# (same configurations, same rounds), to compare two versions in one run.
# CONFIGS picks the tracing configurations (default "off shipped all").
# Usage: bench/scripts/redirect.sh [seconds] [warm-up seconds]   Env: ROUNDS (default 1), CONFIGS, BASELINE_JAR
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
. "$root/scripts/java-env.sh"
. "$root/bench/scripts/lib.sh"
seconds="${1:-10}"
warmup="${2:-10}"
require_wrk
build_jars linkly-app bench cli

echo "== $(date -u '+%F %T UTC') redirect benchmark, $(nproc) cores, load $(cut -d" " -f1 /proc/loadavg), ${seconds}s per run, wrk -t1 -c64"
cd "$work"

# One Linkly run: start it with the given trace sampling and rate limit, warm up, drain, measure, stop.
ua='Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36'
referer='https://news.example.org/item?id=42'
measure_linkly() {
  local label="$1" sampling="$2" rate="$3" jar="${4:-$root/linkly-app/target/linkly.jar}"
  rm -rf "$work/data"
  III_PORT=0 LINKLY_HTTP_PORT=0 LINKLY_STREAM_PORT=0 LINKLY_BROWSER_PORT=0 LINKLY_DATA="$work/data" LINKLY_TRACE_SAMPLING="$sampling" LINKLY_TRACE_RATE="$rate" \
    run_bg java ${LINKLY_JAVA_OPTS:-} -jar "$jar" >"$work/linkly.log" 2>&1
  local linkly_pid="$last_pid"
  http="$(await_line "$work/linkly.log" 's#.*Linkly is up: POST http://127.0.0.1:\([0-9]*\).*#\1#p')"
  engine="$(sed -n 's#.*iii-worker-manager listening on ws://127.0.0.1:\([0-9]*\).*#\1#p' "$work/linkly.log" | head -1)"
  curl -s -o /dev/null -X POST "http://127.0.0.1:$http/links" -H 'Content-Type: application/json' -d '{"url":"https://iii.dev","code":"bench"}'
  curl -s -o /dev/null -w "check: GET /s/bench -> %{http_code}\n" "http://127.0.0.1:$http/s/bench"
  wrk -t1 -c64 -d"${warmup}s" -H "User-Agent: $ua" -H "Referer: $referer" "http://127.0.0.1:$http/s/bench" | grep -E 'Non-2xx' || true  # warm-up
  for _ in $(seq 1 180); do [ "$(click_depth)" = 0 ] && break; sleep 1; done
  echo "-- Linkly GET /s/:code, $label, $(basename "$(dirname "$(dirname "$(dirname "$jar")")")") (clicks queue depth before: $(click_depth))"
  wrk -t1 -c64 -d"${seconds}s" --latency -H "User-Agent: $ua" -H "Referer: $referer" "http://127.0.0.1:$http/s/bench" >"$work/wrk.out"
  grep -E 'Requests/sec|Latency|99%|50%|Non-2xx|requests in' "$work/wrk.out"
  if grep -q Non-2xx "$work/wrk.out"; then last_rate=invalid; else last_rate="$(awk '/Requests\/sec/ { print $2 }' "$work/wrk.out")"; fi
  echo "   clicks queue depth after: $(click_depth)"
  stop_one "$linkly_pid"
}
click_depth() {
  java -jar "$root/cli/target/iii.jar" trigger engine::queue::topic_stats topic=clicks --address "ws://127.0.0.1:$engine" 2>/dev/null |
    sed -n 's/.*"depth": *\([0-9]*\).*/\1/p'
}

declare -A rates=()
configs="${CONFIGS:-off shipped all}"
jars=("$root/linkly-app/target/linkly.jar")
[ -n "${BASELINE_JAR:-}" ] && jars+=("$BASELINE_JAR")
for _ in $(seq 1 "${ROUNDS:-1}"); do
  for config in $configs; do
    for i in "${!jars[@]}"; do
      case "$config" in
        off) measure_linkly "tracing off (LINKLY_TRACE_SAMPLING=0)" 0 100 "${jars[$i]}" ;;
        shipped) measure_linkly "tracing on as Linkly ships it (sampling 1.0, at most 100 traces/s)" 1.0 100 "${jars[$i]}" ;;
        all) measure_linkly "tracing every redirect (sampling 1.0, no rate limit)" 1.0 100000000 "${jars[$i]}" ;;
        *) echo "unknown configuration $config (off, shipped, all)" >&2; exit 2 ;;
      esac
      rates[$config.$i]="${rates[$config.$i]:-} $last_rate"
    done
  done
done
mean() { printf '%s\n' "$@" | awk '$1 != "invalid" { s += $1; n++ } END { printf "%.0f", n ? s / n : 0 }'; }
vs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.1f %%", (b - a) * 100 / a }'; }
for config in $configs; do
  # shellcheck disable=SC2086
  this="$(mean ${rates[$config.0]})"
  echo "-- req/s $config: ${rates[$config.0]} (mean $this)"
  if [ -n "${BASELINE_JAR:-}" ]; then
    # shellcheck disable=SC2086
    base="$(mean ${rates[$config.1]})"
    echo "-- req/s $config, baseline $BASELINE_JAR: ${rates[$config.1]} (mean $base); this build $(vs "$base" "$this") vs baseline"
  fi
done
[ -z "${rates[off.0]:-}" ] || [ -z "${rates[shipped.0]:-}" ] || echo "-- as shipped vs off: $(vs "$(mean ${rates[off.0]})" "$(mean ${rates[shipped.0]})")"

run_bg java -cp "$root/bench/target/bench.jar" io.linkly.iii.bench.BareRedirectServer 0 >"$work/bare.log" 2>&1
bare="$(await_line "$work/bare.log" 's#.*bare-redirect listening on http://127.0.0.1:\([0-9]*\).*#\1#p')"
wrk -t1 -c64 -d3s "http://127.0.0.1:$bare/s/bench" >/dev/null
echo "-- bare Netty 302 (ceiling)"
wrk -t1 -c64 -d"${seconds}s" --latency "http://127.0.0.1:$bare/s/bench" | grep -E 'Requests/sec|Latency|99%|50%|Non-2xx'
