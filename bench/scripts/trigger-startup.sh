#!/usr/bin/env bash
# `iii trigger` start-up (issue 13): wall time of `./iii trigger engine::health::check` against a
# running engine, from the shell's fork to the command's exit, median of RUNS runs. Five
# unmeasured runs go first: the page cache, the engine's JIT, and the start-up cache ./iii makes on
# a first call (it records what the call loads, then builds the cache in a background JVM, which
# is waited for here).
# For reference, the same call through a bare `java -jar cli/target/iii.jar` of the launcher's tree
# (no launcher, no cache, no flags) is timed the same way. The engine is always this tree's.
# Usage: bench/scripts/trigger-startup.sh [runs]
# Env: III=path/to/another/iii launcher to time instead of this tree's ./iii (e.g. an older checkout).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
. "$root/scripts/java-env.sh"
. "$root/bench/scripts/lib.sh"
runs="${1:-15}"
iii="${III:-$root/iii}"
tree="$(cd "$(dirname "$iii")" && pwd)"
build_jars cli

# ./iii's background cache builder removes its recording when it is done (or has failed).
await_cache() {
  for _ in $(seq 1 120); do
    compgen -G "$tree/cli/target/iii-trigger-*.config" >/dev/null || return 0
    sleep 0.5
  done
}
trap 'stop_all; await_cache; rm -rf "$work"' EXIT

echo "== $(date -u '+%F %T UTC') iii trigger start-up, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $("$JAVA_HOME/bin/java" -version 2>&1 | head -1)"
cd "$work"
printf 'workers:\n  - name: iii-worker-manager\n    config: {port: 0}\n  - name: iii-http\n    config: {port: 0}\n  - name: iii-stream\n    config: {port: 0}\n' >config.yaml
# the engine runs from a copy, so that a rebuild of the jar during the run cannot break it
cp "$root/cli/target/iii.jar" engine.jar
run_bg java -jar engine.jar --config config.yaml >engine.log 2>&1
port="$(await_line engine.log 's#.*iii-worker-manager listening on ws://127.0.0.1:\([0-9]*\).*#\1#p')"
await_line engine.log '/engine ready/p' >/dev/null

# Runs "$@" $runs times after 5 unmeasured runs; prints the median, min and max wall time in ms.
measure() {
  local label="$1" i start end ms=()
  shift
  for i in 1 2 3 4 5; do
    run_fg "$@" >out.txt 2>err.txt || { echo "$label failed:" >&2; cat err.txt >&2; exit 1; }
    await_cache
  done
  grep -q '"status"' out.txt || { echo "$label: unexpected output" >&2; cat out.txt err.txt >&2; exit 1; }
  for i in $(seq 1 "$runs"); do
    start="$(date +%s%N)"
    run_fg "$@" >out.txt 2>err.txt
    end="$(date +%s%N)"
    ms+=($(((end - start) / 1000000)))
  done
  printf '%s\n' "${ms[@]}" | sort -n | awk -v label="$label" -v n="$runs" \
    '{ v[NR] = $1 } END { printf "%-44s median %4d ms  (min %d, max %d, %d runs)\n", label, v[int((NR + 1) / 2)], v[1], v[NR], n }'
}

measure "$(basename "$tree")/iii trigger engine::health::check" "$iii" trigger engine::health::check --port "$port"
measure "java -jar $(basename "$tree")/…/iii.jar trigger …" java -jar "$tree/cli/target/iii.jar" trigger engine::health::check --port "$port"
echo "   load after: $(cut -d' ' -f1-3 /proc/loadavg)"
