#!/usr/bin/env bash
# Bulk import benchmark (issue 10): a generated CSV of N rows (default 1,000,000) streamed into a
# running Linkly with `./linkly import` (a data channel to bulk-importer::import_csv), rows/s and
# the growth of Linkly's live heap (heap after each GC during the import, minus the heap after a GC
# before it). Anchor in the same run: sqlite3's own `.import` of the same rows into the same table
# (the storage ceiling). Loopback only; every process started here is stopped at the end.
# Usage: bench/scripts/import.sh [rows]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
. "$root/scripts/java-env.sh"
. "$root/bench/scripts/lib.sh"
rows="${1:-1000000}"
command -v sqlite3 >/dev/null || { echo "sqlite3 is missing: apt-get install sqlite3" >&2; exit 1; }
build_jars linkly-app
schema="CREATE TABLE links (code TEXT PRIMARY KEY, url TEXT NOT NULL, created_at TEXT NOT NULL);"

echo "== $(date -u '+%F %T UTC') bulk import benchmark, $(nproc) cores, $rows rows"
cd "$work"
awk -v n="$rows" 'BEGIN { print "code,url"; for (i = 1; i <= n; i++) printf "imp%07d,https://example.com/articles/%d?ref=bulk\n", i, i }' >links.csv
echo "   links.csv: $(du -h links.csv | cut -f1), $(($(wc -l <links.csv) - 1)) rows"

III_PORT=0 LINKLY_HTTP_PORT=0 LINKLY_STREAM_PORT=0 LINKLY_BROWSER_PORT=0 LINKLY_DATA="$work/data" \
  run_bg java -Xlog:gc:file="$work/gc.log" ${LINKLY_JAVA_OPTS:-} -jar "$root/linkly-app/target/linkly.jar" >"$work/linkly.log" 2>&1
linkly_pid="$last_pid"
await_line "$work/linkly.log" 's#.*\(Linkly is up\).*#\1#p' >/dev/null
engine="$(await_line "$work/linkly.log" 's#.*iii-worker-manager listening on ws://127.0.0.1:\([0-9]*\).*#\1#p')"

# a small import first, so the JIT has seen the path (its rows are not counted)
awk 'BEGIN { print "code,url"; for (i = 1; i <= 20000; i++) printf "warm%06d,https://example.com/w/%d\n", i, i }' >warm.csv
java -jar "$root/linkly-app/target/linkly.jar" import warm.csv --address "ws://127.0.0.1:$engine" >/dev/null 2>&1
jcmd "$linkly_pid" GC.run >/dev/null
sleep 1
gc_lines_before="$(wc -l <"$work/gc.log")"
baseline="$(grep -o '[0-9]*M->[0-9]*M' "$work/gc.log" | tail -1 | sed 's/.*->\([0-9]*\)M/\1/')"

echo "-- ./linkly import links.csv"
started="$(date +%s.%N)"
${IMPORT_TIME:-} java ${IMPORT_JAVA_OPTS:-} -jar "$root/linkly-app/target/linkly.jar" import links.csv --address "ws://127.0.0.1:$engine" >report.json 2>progress.log
ended="$(date +%s.%N)"
imported="$(sed -n 's/.*"imported" *: *\([0-9]*\).*/\1/p' report.json | head -1)"
skipped="$(sed -n 's/.*"skipped_count" *: *\([0-9]*\).*/\1/p' report.json | head -1)"
in_db="$(sqlite3 "$work/data/iii.db" "SELECT COUNT(*) FROM links WHERE code LIKE 'imp%'")"
peak="$(tail -n +"$((gc_lines_before + 1))" "$work/gc.log" | grep -o '[0-9]*M->[0-9]*M' | sed 's/.*->\([0-9]*\)M/\1/' | sort -n | tail -1)"
seconds="$(awk "BEGIN{printf \"%.2f\", $ended-$started}")"
echo "   imported: $imported (skipped: ${skipped:-?}), rows in the database: $in_db, in $seconds s (the command's JVM start included)"
echo "   rate: $(awk "BEGIN{printf \"%.0f\", $in_db/($ended-$started)}") rows/s"
echo "   Linkly live heap: ${baseline:-?} MiB after a GC before the import, at most ${peak:-$baseline} MiB after any GC during it (growth $(( ${peak:-$baseline} - ${baseline:-0} )) MiB)"
[ "$imported" = "$rows" ] && [ "$in_db" = "$rows" ] || { echo "   NOT every row was imported: the figure does not count" >&2; cat report.json | head -30 >&2; exit 1; }
stop_all

echo "-- anchor: sqlite3 .import of the same rows into the same table"
awk -F, -v now="$(date -u +%FT%TZ)" 'NR > 1 { print $1 "," $2 "," now }' links.csv >anchor.csv
sqlite3 anchor.db "PRAGMA journal_mode=WAL;" "$schema" >/dev/null
started="$(date +%s.%N)"
sqlite3 anchor.db ".mode csv" ".import anchor.csv links"
ended="$(date +%s.%N)"
echo "   sqlite3 .import: $(sqlite3 anchor.db 'SELECT COUNT(*) FROM links') rows in $(awk "BEGIN{printf \"%.2f\", $ended-$started}") s: $(awk "BEGIN{printf \"%.0f\", $rows/($ended-$started)}") rows/s"
