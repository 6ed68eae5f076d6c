#!/usr/bin/env bash
# The local broker with and without class data sharing (the archive deploy/local/run.sh writes and maps): starts a
# single-node KRaft broker with the launcher's properties (switchboard_kafka_properties) RUNS times each way, and
# prints when its port opened and its resident memory 5 s after that. The first run with the archive writes it (at its exit). Needs
# the broker's classpath (deploy/kafka/target/classpath.txt, written by deploy/local/run.sh or the build); Linux
# (/proc, GNU date).
# Usage: broker-cds.sh [RUNS (2)]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$ROOT/deploy/local/lib.sh"
JAVA_HOME=$(switchboard_find_jdk)
CP=$(cat "$ROOT/deploy/kafka/target/classpath.txt")
RUNS=${1:-2}
DIR=$(mktemp -d)
BROKER=
trap '[ -n "$BROKER" ] && kill -KILL "$BROKER" 2>/dev/null; rm -rf "$DIR"' EXIT
PORT=$(switchboard_free_port 29092) CPORT=$(switchboard_free_port 29093)
switchboard_kafka_properties "$DIR/data" "$PORT" "$CPORT" >"$DIR/server.properties"
"$JAVA_HOME/bin/java" -cp "$CP" kafka.tools.StorageTool format -c "$DIR/server.properties" \
  -t "$("$JAVA_HOME/bin/java" -cp "$CP" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1)" >"$DIR/format.log" 2>&1 \
  || { echo "broker storage format failed:" >&2; cat "$DIR/format.log" >&2; exit 1; }
run() { # label extra-jvm-args...
  local label=$1; shift
  local t0 t1 pid rss
  t0=$(date +%s%N)
  "$JAVA_HOME/bin/java" -Xms256m -Xmx512m -XX:+UseSerialGC "$@" -cp "$CP" kafka.Kafka "$DIR/server.properties" \
    >"$DIR/broker.log" 2>&1 &
  pid=$! BROKER=$!
  for _ in $(seq 3000); do # 60 s at most
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || { echo "the broker exited:" >&2; tail -20 "$DIR/broker.log" >&2; exit 1; }
    sleep 0.02
  done
  t1=$(date +%s%N)
  sleep 5
  rss=$(awk '/VmRSS/ { print int($2 / 1024) }' "/proc/$pid/status")
  kill -TERM "$pid"; wait "$pid" || true
  BROKER=
  printf "%-26s port open after %5d ms, resident %4d MB\n" "$label" $(((t1 - t0) / 1000000)) "$rss"
}
CDS=(-XX:SharedArchiveFile="$DIR/kafka.jsa" -XX:+AutoCreateSharedArchive)
run "with the archive (writes it)" "${CDS[@]}"
for i in $(seq "$RUNS"); do
  run "without an archive" 
  run "with the archive" "${CDS[@]}"
done
