#!/usr/bin/env bash
# Queue benchmark: TriggerAction.Enqueue through iii-queue (engine in process, Java SDK caller and
# worker) with the builtin adapter and the RabbitMQ adapter, beside plain RabbitMQ (Java client,
# publisher confirms, persistent messages) in the same run. Loopback only; about 1.5 minutes.
# Usage: bench/scripts/queue.sh [seconds-per-throughput-run] [latency-rate-per-s] [latency-seconds]
# RabbitMQ: amqp://guest:guest@127.0.0.1:5672 (override with AMQP_URL); its rows are skipped when
# the broker is not running. Everything the run declares there is deleted at the end.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
. "$root/scripts/java-env.sh"
[ -f "$root/bench/target/bench.jar" ] || (cd "$root" && ./mvnw -B -q -DskipTests -pl bench -am package)

. "$root/bench/scripts/lib.sh"
cd "$work"  # the engine must not write into the checkout
run_fg timeout 300 java -Xmx1g -cp "$root/bench/target/bench.jar" io.linkly.iii.bench.QueueBench \
  "${1:-5}" "${2:-1000}" "${3:-5}" "${AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/%2f}" 2> >(grep -v '^WARNING: ' >&2)

# Belt and braces: no queue of a qbench namespace may be left in the broker.
if command -v rabbitmqctl >/dev/null 2>&1; then
  left="$(timeout 20 rabbitmqctl -q list_queues name 2>/dev/null | grep -c '^qbench-' || true)"
  echo "rabbitmqctl: ${left:-?} qbench-* queues left in the broker"
fi
