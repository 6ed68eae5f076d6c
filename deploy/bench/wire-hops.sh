#!/usr/bin/env bash
# Where the platform's time to first token goes, to the microsecond: captures the loopback traffic of the gateway,
# the broker and Redis (tcpdump) while REQUESTS streaming requests are sent one at a time (10 ms apart, 1 token each),
# then follows every request packet by packet (deploy/bench/WireHops.java). Against a local stack on the simulated
# engine at 0 ms to first token (deploy/local/run.sh), warmed up first. Needs tcpdump and the right to capture
# (root); without them it says so and does nothing.
# Usage: wire-hops.sh GATEWAY_URL KAFKA_PORT REDIS_PORT [REQUESTS (200)] [OUT_DIR (a temporary one)]
#   WIRE_MODEL (simulated) asks another model; WIRE_UPSTREAM_PORT, the port of the engine the worker drives over HTTP
#   (the managed llama-server's: `ss -ltnp | grep llama-server`), captures that too and splits the worker's hop to its
#   first token into its request upstream, the upstream's first token and the worker's write.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$ROOT/deploy/local/lib.sh"
JAVA_HOME=$(switchboard_find_jdk)
[ $# -ge 3 ] || { echo "usage: wire-hops.sh GATEWAY_URL KAFKA_PORT REDIS_PORT [REQUESTS] [OUT_DIR]" >&2; exit 2; }
URL=$1 KAFKA=$2 REDIS=$3 N=${4:-200} OUT=${5:-$(mktemp -d)}
if ! command -v tcpdump >/dev/null || [ "$(id -u)" != 0 ]; then
  echo "wire hops: skipped (needs tcpdump, e.g. apt-get install tcpdump, and root to capture)"
  exit 0
fi
GATEWAY=$(echo "$URL" | sed -E 's#.*:([0-9]+)/?$#\1#')
UPSTREAM=${WIRE_UPSTREAM_PORT:-}
tcpdump -i lo -s 0 -U -w "$OUT/wire.pcap" \
  "tcp port $GATEWAY or tcp port $KAFKA or tcp port $REDIS${UPSTREAM:+ or tcp port $UPSTREAM}" 2>"$OUT/tcpdump.err" &
CAPTURE=$!
sleep 1
"$JAVA_HOME/bin/java" "$ROOT/deploy/bench/Bench.java" --url "$URL" --model "${WIRE_MODEL:-simulated}" --concurrency 1 --requests "$N" \
  --max-tokens 1 --warmup 20 --pause-ms 10 --label "wire hops c=1" >"$OUT/wire-bench.txt" || true
sleep 1
kill -INT "$CAPTURE" 2>/dev/null || true
wait "$CAPTURE" 2>/dev/null || true
if [ ! -s "$OUT/wire.pcap" ]; then
  echo "wire hops: no capture ($(head -c 300 "$OUT/tcpdump.err" 2>/dev/null))"
  exit 0
fi
# the first 20 requests are the client's warm-up: not counted
"$JAVA_HOME/bin/java" "$ROOT/deploy/bench/WireHops.java" "$OUT/wire.pcap" "$GATEWAY" "$KAFKA" "$REDIS" 20 $UPSTREAM \
  || echo "wire hops: the capture could not be followed (see $OUT/wire.pcap)"
