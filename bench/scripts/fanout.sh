#!/usr/bin/env bash
# Stream fan-out benchmark (DESIGN.md §5): 1,000 WebSocket subscribers on one group and one SDK
# writer stepping stream::set up, beside Redis pub/sub fan-out to 1,000 Lettuce connections in the
# same run; then heap per idle subscriber with 10,000 connected (engine alone in a child JVM).
# Loopback only. Usage: bench/scripts/fanout.sh [seconds-per-step] [subscribers] [idle-subscribers]
# Env: REDIS_URL (default redis://127.0.0.1:6379, "none" to skip the anchor),
#      FANOUT_JFR=<file.jfr> to record the fan-out run with JFR (profile settings),
#      FANOUT_JVM_OPTS extra JVM options for the fan-out run (e.g. -XX:+UseZGC; default G1),
#      FANOUT_CLUSTER=1 to add one engine and then two engines with their streams on that Redis
#      (issue 14); their keys (iii-bench-*) are removed when the script ends.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
. "$root/scripts/java-env.sh"
step="${1:-3}"
subscribers="${2:-1000}"
idle="${3:-10000}"
redis="${REDIS_URL:-redis://127.0.0.1:6379}"
jar="$root/bench/target/bench.jar"

if [ ! -f "$jar" ] || [ -n "$(find "$root/bench/src" "$root/bench/pom.xml" -newer "$jar" -print -quit)" ]; then
  (cd "$root" && ./mvnw -B -q -DskipTests -pl bench -am package)
fi

# 10,000 sockets on each side of loopback; the soft limit may be lower than that
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

echo "== $(date -u '+%F %T UTC') stream fan-out benchmark, $(nproc) cores, $(java -version 2>&1 | head -1)"
echo "   load average at start: $(cut -d' ' -f1-3 /proc/loadavg); open-files limit $(ulimit -n)"
if [ "$redis" != none ]; then
  if command -v redis-cli >/dev/null; then
    echo "   anchor: Redis $(redis-cli -u "$redis" info server 2>/dev/null | sed -n 's/^redis_version:\([^\r]*\).*/\1/p') at $redis"
  else
    echo "   anchor: Redis at $redis"
  fi
fi

. "$root/bench/scripts/lib.sh"
mode=()
if [ -n "${FANOUT_CLUSTER:-}" ] && [ "$redis" != none ]; then
  mode=(cluster)
  trap 'stop_all; redis-cli -u "$redis" --scan --pattern "iii-bench-*" | xargs -r redis-cli -u "$redis" del >/dev/null; rm -rf "$work"' EXIT
fi
jfr=()
[ -n "${FANOUT_JFR:-}" ] && jfr=("-XX:StartFlightRecording=filename=$FANOUT_JFR,settings=profile")
# shellcheck disable=SC2086
run_fg java -Xms2g -Xmx2g ${FANOUT_JVM_OPTS:-} "${jfr[@]}" --enable-native-access=ALL-UNNAMED -cp "$jar" \
  io.linkly.iii.bench.FanoutBench "$subscribers" "$step" "$redis" "${mode[@]}" > >(grep -v 'Connection is already closed') 2>&1
echo
run_fg java --enable-native-access=ALL-UNNAMED -Dbench.child.jvm=--enable-native-access=ALL-UNNAMED -cp "$jar" \
  io.linkly.iii.bench.IdleHeapBench "$idle" 1g
echo "   load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
