#!/usr/bin/env bash
# The local stack's start with and without the services' JDK 25 AOT caches (the ones deploy/local/run.sh trains on a
# service's first run and maps after): runs the launcher (simulated engine, already built) RUNS times without caches
# (SWITCHBOARD_AOT_CACHE=0), then once to train them (not counted), then RUNS times from them, in a run directory of
# its own, and prints for each start: run.sh to first answer, each service's own "started in", and each service's
# resident memory 5 s after the first answer. Needs the services packaged (./mvnw install -DskipTests) and a JDK 25
# (without one the cached runs are runs without). Linux (/proc).
# Usage: service-aot.sh [RUNS (2)]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RUNS=${1:-2}
DIR=$(mktemp -d)
PORT=${BENCH_PORT:-18191}
LAUNCHER=
trap '[ -n "$LAUNCHER" ] && kill -TERM "$LAUNCHER" 2>/dev/null && wait "$LAUNCHER" 2>/dev/null; rm -rf "$DIR"' EXIT
run() { # label aot(0|1)
  local t0 t1 name line rss
  t0=$(date +%s%N)
  SWITCHBOARD_SKIP_BUILD=1 SWITCHBOARD_AOT_CACHE=$2 SWITCHBOARD_ENGINE=simulated SWITCHBOARD_MODEL_ID=simulated \
    SWITCHBOARD_PORT=$PORT SWITCHBOARD_RUN_DIR="$DIR" "$ROOT/deploy/local/run.sh" >"$DIR/launcher.log" 2>&1 &
  LAUNCHER=$!
  for _ in $(seq 1200); do # 120 s at most: run.sh prints its usage once the first answer came
    grep -q '^Logs: ' "$DIR/launcher.log" && break
    kill -0 "$LAUNCHER" 2>/dev/null || { echo "run.sh exited:" >&2; tail -20 "$DIR/launcher.log" >&2; exit 1; }
    sleep 0.1
  done
  t1=$(date +%s%N)
  sleep 5
  line=$(printf "%-22s run.sh to first answer %6d ms;" "$1" $(((t1 - t0) / 1000000)))
  for name in gateway router worker-1; do
    rss=$(awk '/VmRSS/ { print int($2 / 1024) }' "/proc/$(cat "$DIR/pids/$name.pid")/status")
    line+=$(printf " %s started in %5ss, %3d MB;" "$name" \
      "$(grep -o 'started in [0-9.]*s' "$DIR/logs/$name.log" | tail -1 | tr -dc '0-9.')" "$rss")
  done
  kill -TERM "$LAUNCHER"; wait "$LAUNCHER" || true
  LAUNCHER=
  echo "$line"
}
for i in $(seq "$RUNS"); do run "without cache $i" 0; done
run "training run" 1 >/dev/null
ls "$DIR"/aot/*.aot >/dev/null 2>&1 || echo "no cache was written (a JDK before 25?): the runs below are without" >&2
for i in $(seq "$RUNS"); do run "from the cache $i" 1; done
