#!/usr/bin/env bash
# Runs the router's discrete-event simulator: every scenario of deploy/sim/scenarios (or the files and folders named)
# under every policy (switchboard, fcfs, round-robin, load-only, rr-free-slot) plus each scenario's reference run, in
# virtual time, driving the router's real Dispatcher, flow control and placement scorers; prints one table per
# scenario and whether its goal is met. Deterministic: the same files give the same tables.
# Usage: deploy/sim/run.sh [scenario.properties|folder ...]   (SIM_OUT=file also writes the tables there)
# Needs router-service's dependencies in the local Maven repository (run ./mvnw install once, or build it first).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$ROOT/deploy/local/lib.sh"
JAVA_HOME=$(switchboard_find_jdk); export JAVA_HOME
OUT=${SIM_OUT:-$(mktemp)}
abs() { (cd "$(dirname "$1")" && echo "$(pwd)/$(basename "$1")"); }
status=0
for target in "${@:-$ROOT/deploy/sim/scenarios}"; do
  file=$(abs "$target")
  part=$(mktemp)
  (cd "$ROOT" && ./mvnw -B -q -o -pl router-service test -Dtest=SimulationReport -Dsurefire.failIfNoSpecifiedTests=false \
      -Dsim.scenarios="$file" -Dsim.out="$part" >"$part.log" 2>&1) || { cat "$part.log" >&2; status=1; continue; }
  cat "$part" | tee -a "$OUT"
  rm -f "$part" "$part.log"
done
[ -n "${SIM_OUT:-}" ] || rm -f "$OUT"
exit $status
