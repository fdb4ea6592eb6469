#!/usr/bin/env bash
# Click capacity benchmark (issue 17): redirects at full speed for a while (wrk -t1 -c64 against
# GET /s/:code) with 200 subscribers on the clicks stream, then how long until every acknowledged
# click is a row and has reached every subscriber. Anchor in the same run: the same number of
# inserts into the same SQLite table from one thread, one row and 500 rows per transaction
# (capped at 30 s per phase). Loopback only; every process started here is stopped at the end.
# Usage: bench/scripts/clicks.sh [seconds] [subscribers] [warm-up seconds]
# Env: BENCH_LOG_DIR=<dir> keeps Linkly's and the subscribers' logs there.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
. "$root/scripts/java-env.sh"
. "$root/bench/scripts/lib.sh"
seconds="${1:-60}"
subscribers="${2:-200}"
warmup="${3:-10}"
require_wrk
build_jars linkly-app bench cli

echo "== $(date -u '+%F %T UTC') click capacity benchmark, $(nproc) cores, ${seconds}s of wrk -t1 -c64, $subscribers stream subscribers"
cd "$work"
III_PORT=0 LINKLY_HTTP_PORT=0 LINKLY_STREAM_PORT=0 LINKLY_BROWSER_PORT=0 LINKLY_DATA="$work/data" \
  run_bg java ${LINKLY_JAVA_OPTS:-} -jar "$root/linkly-app/target/linkly.jar" >"$work/linkly.log" 2>&1
http="$(await_line "$work/linkly.log" 's#.*Linkly is up: POST http://127.0.0.1:\([0-9]*\).*#\1#p')"
engine="$(await_line "$work/linkly.log" 's#.*iii-worker-manager listening on ws://127.0.0.1:\([0-9]*\).*#\1#p')"
stream="$(await_line "$work/linkly.log" 's#.*iii-stream listening on ws://127.0.0.1:\([0-9]*\).*#\1#p')"
iii() { java -jar "$root/cli/target/iii.jar" trigger "$@" --address "ws://127.0.0.1:$engine" 2>/dev/null; }
stat_of() { iii engine::queue::topic_stats topic=clicks | sed -n "s/.*\"$1\": *\([0-9.]*\).*/\1/p"; }
rows() { # sqlite3 reads the WAL database beside Linkly in milliseconds; `iii trigger` starts a JVM
  if command -v sqlite3 >/dev/null; then sqlite3 "$work/data/iii.db" "SELECT COUNT(*) FROM clicks"
  else iii database::query db=primary sql="SELECT COUNT(*) AS n FROM clicks" | tr -d ' \n' | sed -n 's/.*"n":\([0-9]*\).*/\1/p'; fi
}

curl -s -o /dev/null -X POST "http://127.0.0.1:$http/links" -H 'Content-Type: application/json' -d '{"url":"https://iii.dev","code":"bench"}'
curl -s -o /dev/null -w "check: GET /s/bench -> %{http_code}\n" "http://127.0.0.1:$http/s/bench"
wrk -t1 -c64 -d"${warmup}s" "http://127.0.0.1:$http/s/bench" >/dev/null # JIT warm-up
for _ in $(seq 1 300); do [ "$(stat_of depth)" = 0 ] && [ "$(rows)" = "$(stat_of enqueued_total)" ] && break; sleep 1; done

run_bg java -cp "$root/bench/target/bench.jar" io.linkly.iii.bench.ClickFeedBench 127.0.0.1 "$stream" "$subscribers" >"$work/feed.log" 2>&1
feed_pid="$last_pid"
await_line "$work/feed.log" 's/^\(click-feed ready.*\)/\1/p'

rows_before="$(rows)"
enqueued_before="$(stat_of enqueued_total)"
( peak=0; while true; do d="$(stat_of depth)"; [ -n "$d" ] && [ "$d" -gt "$peak" ] && peak="$d" && echo "$peak" >"$work/peak"; sleep 1; done ) &
sampler=$!
bench_pids+=("$sampler")
echo "-- wrk against Linkly GET /s/:code"
wrk -t1 -c64 -d"${seconds}s" --latency "http://127.0.0.1:$http/s/bench" | tee "$work/wrk.txt" | grep -E 'Requests/sec|Latency|99%|50%|Non-2xx|requests in|errors'
ended="$(date +%s.%N)"
( while true; do echo "$(date +%s.%N) $(rows)"; sleep 0.05; done ) >"$work/rows.log" &
poller=$!
bench_pids+=("$poller")
enqueued=$(( $(stat_of enqueued_total) - enqueued_before ))
responses="$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$work/wrk.txt")"
drained=""
for _ in $(seq 1 1200); do
  drained="$(awk -v want=$(( enqueued + rows_before )) '$2 >= want { print $1; exit }' "$work/rows.log")"
  [ -n "$drained" ] && break
  sleep 0.05
done
kill "$poller" 2>/dev/null || true
recorded=$(( $(rows) - rows_before ))
kill "$sampler" 2>/dev/null || true
echo "   clicks acknowledged by the queue: $enqueued (wrk counted $responses responses; the difference is requests still in flight when wrk stopped)"
echo "   clicks queue peak depth: $(cat "$work/peak" 2>/dev/null || echo 0)"
echo "   rows recorded: $recorded; every acknowledged click a row $(awk "BEGIN{printf \"%.1f\", $drained-$ended}") s after wrk ended"
for _ in $(seq 1 600); do
  creates="$(sed -n 's/^click-feed creates=\([0-9]*\).*/\1/p' "$work/feed.log" | tail -1)"
  [ -n "$creates" ] && [ "$creates" -ge "$recorded" ] 2>/dev/null && break
  sleep 0.1
done
# the counting subscribers share two event loops and may trail the parsing one: give them up to
# 60 s more to receive every frame, so that a short count means frames lost, not frames late
for _ in $(seq 1 600); do
  counted="$(sed -n 's/^click-feed creates=.* counted_frames=\([0-9]*\).*/\1/p' "$work/feed.log" | tail -1)"
  [ -n "$counted" ] && [ "$counted" -ge $(( (subscribers - 1) * recorded )) ] 2>/dev/null && break
  sleep 0.1
done
stop_one "$feed_pid"
grep -A2 'click-feed summary' "$work/feed.log" | sed 's/^/   /'
echo "   stream window: $(iii stream::list stream_name=clicks group_id=all | grep -c '"code"') items (LINKLY_LIVE_CLICKS keeps the newest)"
echo "   unstreamed rows left: $(iii database::query db=primary sql="SELECT COUNT(*) AS n FROM clicks WHERE streamed = 0" | tr -d ' \n' | sed -n 's/.*"n":\([0-9]*\).*/\1/p')"
stop_all
[ -n "${BENCH_LOG_DIR:-}" ] && mkdir -p "$BENCH_LOG_DIR" && cp "$work"/*.log "$BENCH_LOG_DIR"/
echo "-- anchor: SQLite, same table, one thread"
run_fg java --enable-native-access=ALL-UNNAMED -cp "$root/bench/target/bench.jar" io.linkly.iii.bench.SqliteInsertAnchor "$recorded" 30 "$work/anchor"
