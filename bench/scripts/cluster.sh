#!/usr/bin/env bash
# Cluster benchmark (issue 14): redirects/s of Linkly as one engine on its own files (the default
# profile), as one engine of the cluster profile (state, streams and pub/sub on the local Redis,
# the click queue on RabbitMQ, links and clicks on PostgreSQL), and as two cluster engines serving
# at once (one wrk per engine, half the connections each, the rates summed), then the bare Netty
# 302 as the ceiling: all in one run, on this machine, loopback only. A rate counts only with no
# Non-2xx and no dropped click; every click a run makes must be recorded before the next run.
# The run uses a PostgreSQL schema, a Redis key prefix and a RabbitMQ namespace of its own and
# removes them when it ends, fails or is interrupted.
# Usage: bench/scripts/cluster.sh [seconds] [warm-up seconds]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
. "$root/scripts/java-env.sh"
. "$root/bench/scripts/lib.sh"
seconds="${1:-20}"
warmup="${2:-30}"
require_wrk
build_jars linkly-app bench cli

run_id="bench$(date +%s)"
schema="linkly_$run_id"
prefix="linkly-$run_id:"
namespace="linkly-$run_id"
pg() { psql -q -h 127.0.0.1 -U postgres -d test -v ON_ERROR_STOP=1 -c "$1" >/dev/null; }
cleanup_stores() {
  pg "DROP SCHEMA IF EXISTS $schema CASCADE" || true
  redis-cli -h 127.0.0.1 --scan --pattern "$prefix*" | xargs -r redis-cli -h 127.0.0.1 del >/dev/null || true
  redis-cli -h 127.0.0.1 hdel state:links bench >/dev/null || true
  if command -v rabbitmqctl >/dev/null; then
    rabbitmqctl -q list_queues name 2>/dev/null | grep "^$namespace" | while read -r q; do rabbitmqctl -q delete_queue "$q" >/dev/null; done || true
  fi
}
trap 'stop_all; cleanup_stores; rm -rf "$work"' EXIT
pg "CREATE SCHEMA $schema"
db_url="postgres://postgres@127.0.0.1:5432/test?currentSchema=$schema"

echo "== $(date -u '+%F %T UTC') cluster redirect benchmark, $(nproc) cores, load $(cut -d" " -f1 /proc/loadavg), ${seconds}s per run (warm-up ${warmup}s), 64 connections in all"
cd "$work"

# Starts one Linkly ($1: label, $2: profile) with its own data dir; sets $started_pid, $started_http, $started_engine.
start_linkly() {
  local label="$1" profile="$2"
  mkdir -p "$work/$label"
  local stores=()
  if [ "$profile" = cluster ]; then
    stores=(LINKLY_DATABASE_URL="$db_url" LINKLY_ANALYTICS_DATABASE_URL="$db_url" LINKLY_REDIS_PREFIX="$prefix" LINKLY_AMQP_NAMESPACE="$namespace")
  fi
  run_bg env III_PORT=0 LINKLY_HTTP_PORT=0 LINKLY_STREAM_PORT=0 LINKLY_BROWSER_PORT=0 LINKLY_DATA="$work/$label" "${stores[@]}" \
    java ${LINKLY_JAVA_OPTS:-} -jar "$root/linkly-app/target/linkly.jar" --profile "$profile" >"$work/$label.log" 2>&1
  started_pid="$last_pid"
  started_http="$(await_line "$work/$label.log" 's#.*Linkly is up: POST http://127.0.0.1:\([0-9]*\).*#\1#p')"
  started_engine="$(await_line "$work/$label.log" 's#.*iii-worker-manager listening on ws://127.0.0.1:\([0-9]*\).*#\1#p')"
}
clicks_waiting() { # the clicks queue's depth as engine $1 sees it
  java -jar "$root/cli/target/iii.jar" trigger engine::queue::topic_stats topic=clicks --address "ws://127.0.0.1:$1" 2>/dev/null |
    sed -n 's/.*"depth": *\([0-9]*\).*/\1/p'
}
drain() { for _ in $(seq 1 300); do [ "$(clicks_waiting "$1")" = 0 ] && return; sleep 1; done; echo "clicks still queued after 300 s" >&2; }
# wrk against the given HTTP ports at once, $2 connections each; prints the summed req/s, or "invalid"
load() {
  local duration="$1" conns="$2"; shift 2
  local i=0 port pids=()
  for port in "$@"; do
    run_bg wrk -t1 -c"$conns" -d"${duration}s" --latency "http://127.0.0.1:$port/s/bench" >"$work/wrk.$i"
    pids+=("$last_pid")
    i=$((i + 1))
  done
  wait "${pids[@]}"
  cat "$work"/wrk.* | grep -E 'Requests/sec|99%|Non-2xx' >&2
  if grep -q Non-2xx "$work"/wrk.*; then echo invalid; else awk '/Requests\/sec/ { s += $2 } END { printf "%.0f", s }' "$work"/wrk.*; fi
  rm -f "$work"/wrk.*
}
dropped() { curl -s "http://127.0.0.1:$1/metrics" | awk '/^linkly_clicks_dropped_total/ { print $2 }'; }

# 1. the default profile: one engine, SQLite, the builtin queue
start_linkly single single
curl -s -o /dev/null -X POST "http://127.0.0.1:$started_http/links" -H 'Content-Type: application/json' -d '{"url":"https://iii.dev","code":"bench"}'
load "$warmup" 64 "$started_http" >/dev/null 2>&1; drain "$started_engine"
echo "-- one engine, default profile (SQLite, builtin queue)"
single="$(load "$seconds" 64 "$started_http")"; drain "$started_engine"
echo "   req/s $single, dropped clicks $(dropped "$started_engine")"
stop_one "$started_pid"

# 2. the cluster profile: one engine
start_linkly a cluster
a_pid="$started_pid" a_http="$started_http" a_engine="$started_engine"
curl -s -o /dev/null -X POST "http://127.0.0.1:$a_http/links" -H 'Content-Type: application/json' -d '{"url":"https://iii.dev","code":"bench"}'
load "$warmup" 64 "$a_http" >/dev/null 2>&1; drain "$a_engine"
echo "-- one engine, cluster profile (Redis, RabbitMQ, PostgreSQL)"
one="$(load "$seconds" 64 "$a_http")"; drain "$a_engine"
echo "   req/s $one, dropped clicks $(dropped "$a_engine")"

# 3. the cluster profile: two engines, both loaded
start_linkly b cluster
b_http="$started_http" b_engine="$started_engine"
load "$warmup" 32 "$a_http" "$b_http" >/dev/null 2>&1; drain "$a_engine"
echo "-- two engines, cluster profile, 32 connections each"
two="$(load "$seconds" 32 "$a_http" "$b_http")"; drain "$a_engine"
echo "   req/s $two (sum), dropped clicks $(dropped "$a_engine") + $(dropped "$b_engine")"
recorded="$(psql -At -h 127.0.0.1 -U postgres -d test -c "SELECT COUNT(*) FROM $schema.clicks")"
unique="$(psql -At -h 127.0.0.1 -U postgres -d test -c "SELECT COUNT(DISTINCT click_key) FROM $schema.clicks")"
echo "   clicks recorded in PostgreSQL over the cluster runs: $recorded ($unique distinct keys)"
stop_all

run_bg java -cp "$root/bench/target/bench.jar" io.linkly.iii.bench.BareRedirectServer 0 >"$work/bare.log" 2>&1
bare="$(await_line "$work/bare.log" 's#.*bare-redirect listening on http://127.0.0.1:\([0-9]*\).*#\1#p')"
load 3 64 "$bare" >/dev/null 2>&1
echo "-- bare Netty 302 (ceiling)"
ceiling="$(load "$seconds" 64 "$bare")"
echo "== req/s: default profile $single | cluster, one engine $one | cluster, two engines $two | bare Netty $ceiling"
