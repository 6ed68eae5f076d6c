#!/usr/bin/env bash
# CPU per request of each process of a running local stack: the processes' CPU time (utime + stime, from /proc)
# over one open-loop run, divided by the requests it sent. Against a stack started by deploy/local/run.sh with the
# simulated engine, e.g.
#   SWITCHBOARD_ENGINE=simulated SWITCHBOARD_MODEL_ID=simulated SWITCHBOARD_SLOTS=256 \
#   SWITCHBOARD_WORKER_SIMULATED_TIME_TO_FIRST_TOKEN=0ms SWITCHBOARD_WORKER_SIMULATED_TOKENS_PER_SECOND=2000 \
#   SWITCHBOARD_RUN_DIR=/tmp/sb deploy/local/run.sh
# then (after a warm-up: the JIT takes minutes of load on 2 cores)
#   deploy/bench/cpu-per-request.sh /tmp/sb http://127.0.0.1:8080 200 30
# Usage: cpu-per-request.sh RUN_DIR URL [RATE (200)] [SECONDS (30)]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$ROOT/deploy/local/lib.sh"
JAVA_HOME=$(switchboard_find_jdk)
RUN_DIR=$1 URL=$2 RATE=${3:-200} SECS=${4:-30}
TCK=$(getconf CLK_TCK)
ticks() { for f in "$RUN_DIR"/pids/*.pid; do
  echo "$(basename "$f" .pid) $(sed 's/^.*) //' "/proc/$(cat "$f")/stat" | awk '{print $12 + $13}')"; done; }
ticks >"$RUN_DIR/cpu-before.txt"
"$JAVA_HOME/bin/java" "$ROOT/deploy/bench/Bench.java" --url "$URL" --model simulated --rate "$RATE" --duration-s "$SECS" \
  --connections 256 --max-tokens 8 --label "open-loop $RATE/s" | grep -v '^ '
ticks >"$RUN_DIR/cpu-after.txt"
awk -v tck="$TCK" -v n="$((RATE * SECS))" 'FNR == NR { before[$1] = $2; next }
  { ms = ($2 - before[$1]) * 1000 / tck; printf "%-9s %8.0f ms CPU, %6.3f ms per request\n", $1, ms, ms / n; total += ms }
  END { printf "%-9s %8.0f ms CPU, %6.3f ms per request\n", "total", total, total / n }' \
  "$RUN_DIR/cpu-before.txt" "$RUN_DIR/cpu-after.txt"
