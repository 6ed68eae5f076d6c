#!/usr/bin/env bash
# Fault injection under load (issue 9): starts the platform with deploy/local/run.sh (simulated engine, 2 workers,
# 2 routers: one active, one standing by), then runs ChaosDriver (deploy/src/test/java/io/switchboard/chaos, JDK only,
# `java File.java`): an open-loop mixed load (half streaming, half not; CHAOS_RATE requests/s) and, for each fault in
# turn, a warm-up, the fault (through run.sh's pid files), a tail of load, then one row: requests sent, completed,
# errors by code, hung, lost, duplicated, recovery time, how long the service took to come back. The definitions of
# each column are in ChaosDriver's header. run.sh's supervisor restarts what the fault stopped.
#
# Faults (CHAOS_FAULTS, comma-separated service:action; default all of them, in this order):
#   gateway:kill gateway:term router:kill router:term worker:kill worker:term kafka:kill kafka:term kafka:pause
#   redis:kill redis:term
# kill = kill -9, term = SIGTERM, pause = SIGSTOP then SIGCONT after CHAOS_PAUSE_S. 'router' is the active router (the
# holder of the lease in Redis, else router-1); 'worker' is worker-1.
#
# Environment (all optional):
#   CHAOS_RATE (50)         requests per second          CHAOS_FAULTS          see above
#   CHAOS_WARMUP_S (10)     load before each fault       CHAOS_TAIL_S (50)     load after each fault
#   CHAOS_PAUSE_S (10)      how long a paused service stays stopped
#   CHAOS_PRIME_S (10)      load before the first fault, not counted (the services' code warms up)
#   CHAOS_TIMEOUT_S (20)    the gateway's request timeout (switchboard.gateway.request-timeout), short so that a
#                           request that hangs shows within the run; the client gives up 10 s after it (lost)
#   CHAOS_SLOTS (16)        slots per simulated worker
#   CHAOS_PORT (18480)      the gateway's port; the router 18481 (and 18483), Redis 16480, Kafka 19480
#   CHAOS_OUT               where the markdown table goes (deploy/chaos/.run/table.md)
#   SWITCHBOARD_SKIP_BUILD=1  use the packaged services as they are
# Takes about 75 s per fault plus start-up: some 15 minutes for all eleven.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$ROOT/deploy/local/lib.sh"
JAVA_HOME=$(switchboard_find_jdk) || exit 1
export JAVA_HOME

RUN_DIR="$ROOT/deploy/chaos/.run"
PORT=${CHAOS_PORT:-18480}
TIMEOUT_S=${CHAOS_TIMEOUT_S:-20}
OUT=${CHAOS_OUT:-$RUN_DIR/table.md}
FAULTS=${CHAOS_FAULTS:-gateway:kill,gateway:term,router:kill,router:term,worker:kill,worker:term,kafka:kill,kafka:term,kafka:pause,redis:kill,redis:term}

rm -rf "$RUN_DIR" && mkdir -p "$RUN_DIR"
echo "[chaos] starting the platform (log: $RUN_DIR/platform.out)"
# without the services' AOT caches by default: a service recording one writes it as it stops, which would slow the
# restarts the faults cause (CHAOS_AOT_CACHE=1 to run with them)
SWITCHBOARD_AOT_CACHE=${CHAOS_AOT_CACHE:-0} \
SWITCHBOARD_ENGINE=simulated SWITCHBOARD_WORKERS=2 SWITCHBOARD_ROUTERS=2 SWITCHBOARD_SLOTS=${CHAOS_SLOTS:-16} \
  SWITCHBOARD_RUN_DIR="$RUN_DIR/platform" SWITCHBOARD_PORT="$PORT" SWITCHBOARD_ROUTER_PORT=$((PORT + 1)) \
  SWITCHBOARD_REDIS_PORT=$((PORT - 2000)) SWITCHBOARD_KAFKA_PORT=$((PORT + 1000)) \
  SWITCHBOARD_GATEWAY_REQUEST_TIMEOUT="${TIMEOUT_S}s" \
  "$ROOT/deploy/local/run.sh" >"$RUN_DIR/platform.out" 2>&1 &
PLATFORM=$!
stop() {
  trap - EXIT INT TERM
  if kill -0 $PLATFORM 2>/dev/null; then
    echo "[chaos] stopping the platform"
    kill -TERM $PLATFORM 2>/dev/null || true
    wait $PLATFORM 2>/dev/null || true
  fi
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
for _ in $(seq 3000); do
  grep -q 'Switchboard is serving' "$RUN_DIR/platform.out" 2>/dev/null && break
  kill -0 $PLATFORM 2>/dev/null || { cat "$RUN_DIR/platform.out"; echo "[chaos] the platform did not start" >&2; exit 1; }
  sleep 0.1
done
grep -q 'Switchboard is serving' "$RUN_DIR/platform.out" || { echo "[chaos] the platform did not start in 300 s" >&2; exit 1; }
grep 'Switchboard is serving' "$RUN_DIR/platform.out"

status=0
"$JAVA_HOME/bin/java" "$ROOT/deploy/src/test/java/io/switchboard/chaos/ChaosDriver.java" \
  --url "http://127.0.0.1:$PORT" --run-dir "$RUN_DIR/platform" --rate "${CHAOS_RATE:-50}" --faults "$FAULTS" \
  --warmup-s "${CHAOS_WARMUP_S:-10}" --tail-s "${CHAOS_TAIL_S:-50}" --pause-s "${CHAOS_PAUSE_S:-10}" \
  --timeout-s "$TIMEOUT_S" --prime-s "${CHAOS_PRIME_S:-10}" --out "$OUT" --details "$RUN_DIR/requests.tsv" || status=$?
echo "[chaos] the platform's restarts:"
grep -E 'restart|up again|ended by|exited with' "$RUN_DIR/platform.out" | sed 's/^/  /' || true
echo "[chaos] table: $OUT   every request: $RUN_DIR/requests.tsv   logs: $RUN_DIR/platform/logs"
exit $status
