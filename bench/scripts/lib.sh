# Sourced by every benchmark script, with $root set to the repository: processes started with
# `run_bg` (or `run_fg`) are stopped, with all their children, whenever the script ends: normally,
# on an error, or on Ctrl-C / kill.
# `work` is a temporary directory removed at the same moment.

work="$(mktemp -d)"
bench_pids=()

# Starts a command in the background and remembers it; its pid is in $last_pid.
run_bg() {
  "$@" &
  last_pid=$!
  bench_pids+=("$last_pid")
}

# Runs a command as a remembered background process and waits for it, so that a signal to the
# script stops it too (bash runs traps only between foreground commands). Returns its status.
run_fg() {
  run_bg "$@"
  wait "$last_pid"
}

# Stops a process and its descendants: TERM first, KILL for whatever is left after 5 s.
stop_tree() {
  local pid="$1" child
  for child in $(pgrep -P "$pid" 2>/dev/null); do stop_tree "$child"; done
  kill -TERM "$pid" 2>/dev/null || true
}

stop_all() {
  local pid waited=0
  for pid in "${bench_pids[@]}"; do stop_tree "$pid"; done
  for pid in "${bench_pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 50 ]; do sleep 0.1; waited=$((waited + 1)); done
    kill -KILL "$pid" 2>/dev/null || true
  done
  bench_pids=()
}

# Stops one remembered process (and its children) before the script goes on.
stop_one() {
  stop_tree "$1"
  wait "$1" 2>/dev/null || true
}

# Exits with a hint unless wrk is installed.
require_wrk() {
  command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
}

# Builds the named modules' jars (linkly-app, bench, cli) when any of them is missing.
build_jars() {
  local module jar missing=0
  for module in "$@"; do
    case "$module" in
      linkly-app) jar=linkly.jar ;;
      cli) jar=iii.jar ;;
      *) jar="$module.jar" ;;
    esac
    [ -f "$root/$module/target/$jar" ] || missing=1
  done
  [ "$missing" = 0 ] || (cd "$root" && ./mvnw -B -q -DskipTests -pl "$(IFS=,; echo "$*")" -am package)
}

# Waits (up to 60 s) for a line of log $1 that sed expression $2 prints something for; prints it.
await_line() {
  local v
  for _ in $(seq 1 600); do
    v="$(sed -n "$2" "$1" | head -1)"
    [ -n "$v" ] && { echo "$v"; return; }
    sleep 0.1
  done
  echo "timed out waiting in $1" >&2; tail -20 "$1" >&2; exit 1
}

trap 'stop_all; rm -rf "$work"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
