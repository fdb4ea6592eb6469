#!/usr/bin/env bash
# Soak benchmark (issue 9): redirects at a steady rate for a long time (default 10 minutes) with
# 200 subscribers on the clicks stream; Linkly's RSS and used heap (after a full GC) sampled every
# 10 s. Reports the first and last samples and the least-squares slope of each over the run after
# the first minute (warm-up). Loopback only; every process started here is stopped at the end.
# Usage: bench/scripts/soak.sh [seconds] [requests-per-second-target] [subscribers]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
. "$root/scripts/java-env.sh"
. "$root/bench/scripts/lib.sh"
seconds="${1:-600}"
rate="${2:-2000}"
subscribers="${3:-200}"
require_wrk
build_jars linkly-app bench

connections=20
delay_ms=$(( connections * 1000 / rate )) # each connection waits this long before its next request
echo "== $(date -u '+%F %T UTC') soak benchmark, $(nproc) cores, ${seconds}s, ~${rate} redirects/s ($connections connections, ${delay_ms} ms apart), $subscribers stream subscribers"
cd "$work"
III_PORT=0 LINKLY_HTTP_PORT=0 LINKLY_STREAM_PORT=0 LINKLY_BROWSER_PORT=0 LINKLY_DATA="$work/data" \
  run_bg java ${LINKLY_JAVA_OPTS:-} -jar "$root/linkly-app/target/linkly.jar" >"$work/linkly.log" 2>&1
linkly="$last_pid"
http="$(await_line "$work/linkly.log" 's#.*Linkly is up: POST http://127.0.0.1:\([0-9]*\).*#\1#p')"
stream="$(await_line "$work/linkly.log" 's#.*iii-stream listening on ws://127.0.0.1:\([0-9]*\).*#\1#p')"
curl -s -o /dev/null -X POST "http://127.0.0.1:$http/links" -H 'Content-Type: application/json' -d '{"url":"https://iii.dev","code":"soak"}'
run_bg java -cp "$root/bench/target/bench.jar" io.linkly.iii.bench.ClickFeedBench 127.0.0.1 "$stream" "$subscribers" >"$work/feed.log" 2>&1
await_line "$work/feed.log" 's/^\(click-feed ready.*\)/\1/p'

printf 'function delay()\n  return %d\nend\n' "$delay_ms" >"$work/steady.lua"
run_bg wrk -t1 -c"$connections" -d"${seconds}s" -s "$work/steady.lua" --latency "http://127.0.0.1:$http/s/soak" >"$work/wrk.txt" 2>&1
wrk_pid="$last_pid"
echo "   t_s rss_mib heap_used_mib"
start="$(date +%s)"
: >"$work/samples"
while kill -0 "$wrk_pid" 2>/dev/null; do
  t=$(( $(date +%s) - start ))
  rss_kib="$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$linkly/status")"
  jcmd "$linkly" GC.run >/dev/null 2>&1 || true
  heap_kib="$(jcmd "$linkly" GC.heap_info 2>/dev/null | sed -n 's/.* used \([0-9]*\)K.*/\1/p' | head -1)"
  echo "$t $((rss_kib / 1024)) $(( ${heap_kib:-0} / 1024 ))" | tee -a "$work/samples" | sed 's/^/   /'
  sleep 10
done
wait "$wrk_pid" || true
grep -E 'Requests/sec|requests in|Non-2xx|errors|99%' "$work/wrk.txt" | sed 's/^/   /'
awk 'BEGIN { n = 0 }
     $1 >= 60 { n++; x[n] = $1; r[n] = $2; h[n] = $3 }
     END {
       if (n < 2) { print "   too few samples after the first minute"; exit }
       for (i = 1; i <= n; i++) { sx += x[i]; sr += r[i]; sh += h[i] }
       mx = sx / n; mr = sr / n; mh = sh / n
       for (i = 1; i <= n; i++) { vx += (x[i]-mx)^2; cr += (x[i]-mx)*(r[i]-mr); ch += (x[i]-mx)*(h[i]-mh) }
       printf "   after the first minute: RSS %d -> %d MiB, slope %.3f MiB/min (%.1f %% of the mean over the run)\n", r[1], r[n], 60*cr/vx, 100*(cr/vx)*(x[n]-x[1])/mr
       printf "                           heap %d -> %d MiB, slope %.3f MiB/min (%.1f %% of the mean over the run)\n", h[1], h[n], 60*ch/vx, 100*(ch/vx)*(x[n]-x[1])/mh
     }' "$work/samples"
sed -n 's/^click-feed creates=\([0-9]*\).*unexpected_closes=\([0-9]*\).*/   stream: \1 clicks reached the lag subscriber; \2 subscribers cut off/p' "$work/feed.log" | tail -1
