#!/usr/bin/env bash
# Runs the whole Switchboard path on this machine, in the foreground:
#   Redis -> Kafka (single-node KRaft, from Maven Central) -> router -> N workers -> gateway
# Builds first when needed. Ctrl-C or SIGTERM stops every process it started.
#
# Environment (all optional):
#   SWITCHBOARD_MODEL       GGUF model path. Default: a small chat model downloaded once into
#                           $SWITCHBOARD_CACHE (SWITCHBOARD_MODEL_URL says from where).
#   SWITCHBOARD_PORT        gateway port on 127.0.0.1 (8080)
#   SWITCHBOARD_WORKERS     number of workers (1)
#   SWITCHBOARD_SLOTS       parallel sequences per worker (4)
#   SWITCHBOARD_ENGINE      llama (default) or simulated (no model: load tests of the platform)
#   SWITCHBOARD_API_KEY     the local dev key (sk-switchboard-local) of the tenant 'local'
#   SWITCHBOARD_ADMIN_KEY   the admin API's key (sk-switchboard-admin-local)
#   SWITCHBOARD_TENANTS_FILE  a tenants file (YAML) to serve instead of the generated one with tenant 'local'
#   SWITCHBOARD_CACHE       cache folder for downloaded models (~/.cache/switchboard)
#   SWITCHBOARD_RUN_DIR     logs and broker data (deploy/local/.run)
#   SWITCHBOARD_REBUILD=1   build even when the packaged services look current
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=lib.sh
. "$ROOT/deploy/local/lib.sh"

START_NS=$(date +%s%N)
PORT=${SWITCHBOARD_PORT:-8080}
WORKERS=${SWITCHBOARD_WORKERS:-1}
SLOTS=${SWITCHBOARD_SLOTS:-4}
ENGINE=${SWITCHBOARD_ENGINE:-llama}
API_KEY=${SWITCHBOARD_API_KEY:-sk-switchboard-local}
ADMIN_KEY=${SWITCHBOARD_ADMIN_KEY:-sk-switchboard-admin-local}
CACHE=${SWITCHBOARD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/switchboard}
RUN_DIR=${SWITCHBOARD_RUN_DIR:-$ROOT/deploy/local/.run}
MODEL_URL=${SWITCHBOARD_MODEL_URL:-https://huggingface.co/HuggingFaceTB/SmolLM2-135M-Instruct-GGUF/resolve/main/smollm2-135m-instruct-q8_0.gguf}

log() { printf '[run.sh] %s\n' "$*" >&2; }
die() { printf '[run.sh] error: %s\n' "$*" >&2; exit 1; }

JAVA_HOME=$(switchboard_find_jdk) || exit 1
export JAVA_HOME
JAVA="$JAVA_HOME/bin/java"
switchboard_ensure_redis || exit 1
command -v curl >/dev/null || die "curl is required"

# ---- model ----------------------------------------------------------------------------------------
if [ "$ENGINE" = llama ]; then
  if [ -z "${SWITCHBOARD_MODEL:-}" ]; then
    SWITCHBOARD_MODEL="$CACHE/models/$(basename "${MODEL_URL%%\?*}")"
    if [ ! -s "$SWITCHBOARD_MODEL" ]; then
      mkdir -p "$(dirname "$SWITCHBOARD_MODEL")"
      log "no SWITCHBOARD_MODEL set: downloading $MODEL_URL"
      log "  into $SWITCHBOARD_MODEL (once)"
      if ! curl -fL --retry 2 --connect-timeout 15 --progress-bar -o "$SWITCHBOARD_MODEL.part" "$MODEL_URL"; then
        rm -f "$SWITCHBOARD_MODEL.part"
        die "could not download the model (offline?). Point SWITCHBOARD_MODEL at a local GGUF file, e.g.
    SWITCHBOARD_MODEL=../shared/models/stories260K.gguf deploy/local/run.sh"
      fi
      mv "$SWITCHBOARD_MODEL.part" "$SWITCHBOARD_MODEL"
    fi
  fi
  [ -f "$SWITCHBOARD_MODEL" ] || die "SWITCHBOARD_MODEL=$SWITCHBOARD_MODEL is not a file"
  SWITCHBOARD_MODEL=$(cd "$(dirname "$SWITCHBOARD_MODEL")" && pwd)/$(basename "$SWITCHBOARD_MODEL")
  MODEL_ID=${SWITCHBOARD_MODEL_ID:-$(basename "$SWITCHBOARD_MODEL" .gguf)}
else
  MODEL_ID=${SWITCHBOARD_MODEL_ID:-simulated}
fi

# ---- build (when needed) ----------------------------------------------------------------------------
apps=("$ROOT/gateway-service" "$ROOT/router-service" "$ROOT/inference-worker")
need_build=${SWITCHBOARD_REBUILD:-0}
for app in "${apps[@]}"; do
  jar="$app/target/quarkus-app/quarkus-run.jar"
  if [ ! -f "$jar" ] || [ -n "$(find "$app/src/main" "$ROOT/common-schema/src/main" -newer "$jar" -type f -print -quit)" ]; then
    need_build=1
  fi
done
if [ "$need_build" = 1 ]; then
  log "building (./mvnw install -DskipTests)"
  (cd "$ROOT" && ./mvnw -B -q install -DskipTests) || die "build failed"
fi
KAFKA_CP_FILE="$ROOT/deploy/kafka/target/classpath.txt"
if [ ! -s "$KAFKA_CP_FILE" ]; then
  log "resolving the Kafka broker from Maven Central"
  (cd "$ROOT" && ./mvnw -B -q -f deploy/kafka/pom.xml dependency:build-classpath -Dmdep.outputFile="$KAFKA_CP_FILE") \
    || die "could not resolve the Kafka broker"
fi

# ---- processes ------------------------------------------------------------------------------------
mkdir -p "$RUN_DIR/logs"
PIDS=()
stop_pids() { # stops the given processes together, waiting up to 15 s before killing
  local pid
  for pid in "$@"; do kill "$pid" 2>/dev/null || true; done
  for _ in $(seq 150); do
    local alive=0
    for pid in "$@"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && return 0
    sleep 0.1
  done
  for pid in "$@"; do kill -9 "$pid" 2>/dev/null || true; done
}
cleanup() {
  trap - INT TERM EXIT
  if [ ${#PIDS[@]} -gt 0 ]; then
    log "stopping ${#PIDS[@]} processes"
    # the services first, together (workers end their streams with an error), then Kafka and Redis
    [ ${#PIDS[@]} -gt 2 ] && stop_pids "${PIDS[@]:2}"
    stop_pids "${PIDS[@]:0:2}"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

REDIS_PORT=$(switchboard_free_port "${SWITCHBOARD_REDIS_PORT:-6380}")
# Redis is the system of record of tenants, keys and usage: append-only file, kept across runs
mkdir -p "$RUN_DIR/redis"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly yes --appendfsync everysec \
  --dir "$RUN_DIR/redis" >"$RUN_DIR/logs/redis.log" 2>&1 &
PIDS+=($!)
log "redis on 127.0.0.1:$REDIS_PORT"

KAFKA_PORT=$(switchboard_free_port "${SWITCHBOARD_KAFKA_PORT:-19092}")
CONTROLLER_PORT=$(switchboard_free_port 19093)
KAFKA_DIR="$RUN_DIR/kafka"
rm -rf "$KAFKA_DIR" && mkdir -p "$KAFKA_DIR/data"
cat >"$KAFKA_DIR/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$KAFKA_DIR/data
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
EOF
KAFKA_CP=$(cat "$KAFKA_CP_FILE")
KAFKA_JVM=(-Xms256m -Xmx512m -XX:+UseSerialGC -cp "$KAFKA_CP")
"$JAVA" "${KAFKA_JVM[@]}" kafka.tools.StorageTool format -t "$("$JAVA" -cp "$KAFKA_CP" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1)" \
  -c "$KAFKA_DIR/server.properties" >"$RUN_DIR/logs/kafka-format.log" 2>&1 || die "kafka storage format failed: see $RUN_DIR/logs/kafka-format.log"
"$JAVA" "${KAFKA_JVM[@]}" kafka.Kafka "$KAFKA_DIR/server.properties" >"$RUN_DIR/logs/kafka.log" 2>&1 &
KAFKA_PID=$!
PIDS+=($KAFKA_PID)
for _ in $(seq 600); do
  (exec 3<>"/dev/tcp/127.0.0.1/$KAFKA_PORT") 2>/dev/null && break
  kill -0 $KAFKA_PID 2>/dev/null || die "kafka exited: see $RUN_DIR/logs/kafka.log"
  sleep 0.1
done
log "kafka on 127.0.0.1:$KAFKA_PORT"

COMMON=(-Dquarkus.http.host=127.0.0.1
  -Dquarkus.redis.hosts="redis://127.0.0.1:$REDIS_PORT" -Dkafka.bootstrap.servers="127.0.0.1:$KAFKA_PORT"
  -XX:+UseSerialGC --enable-native-access=ALL-UNNAMED)

start_service() { # name port jar [jvm args...]
  local name=$1 port=$2 jar=$3
  shift 3
  "$JAVA" "${COMMON[@]}" -Dquarkus.http.port="$port" "$@" -jar "$jar" >"$RUN_DIR/logs/$name.log" 2>&1 &
  local pid=$!
  PIDS+=($pid)
  switchboard_wait_http "http://127.0.0.1:$port/q/health/ready" 120 $pid \
    || die "$name did not become ready: see $RUN_DIR/logs/$name.log"
  log "$name ready on 127.0.0.1:$port (log: $RUN_DIR/logs/$name.log)"
}

ROUTER_PORT=$(switchboard_free_port "${SWITCHBOARD_ROUTER_PORT:-8081}")
start_service router "$ROUTER_PORT" "$ROOT/router-service/target/quarkus-app/quarkus-run.jar"

for ((w = 1; w <= WORKERS; w++)); do
  WPORT=$(switchboard_free_port $((8090 + w)))
  args=(-Dswitchboard.worker.id="worker-$w" -Dswitchboard.worker.engine="$ENGINE" -Dswitchboard.worker.slots="$SLOTS"
    -Dswitchboard.worker.model-id="$MODEL_ID")
  [ "$ENGINE" = llama ] && args+=(-Dswitchboard.worker.llama.model="$SWITCHBOARD_MODEL")
  start_service "worker-$w" "$WPORT" "$ROOT/inference-worker/target/quarkus-app/quarkus-run.jar" "${args[@]}"
done

# tenants: the given file, or one with the tenant 'local' (class standard, no limits) and the dev key, by hash
TENANTS_FILE=${SWITCHBOARD_TENANTS_FILE:-$RUN_DIR/tenants.yaml}
if [ -z "${SWITCHBOARD_TENANTS_FILE:-}" ]; then
  cat >"$TENANTS_FILE" <<EOF
# Written by deploy/local/run.sh: the local tenant and its key (SWITCHBOARD_API_KEY), given by SHA-256.
tenants:
  - id: local
    name: Local development
    class: standard
    keys:
      - id: key_local
        name: SWITCHBOARD_API_KEY
        sha256: $(printf %s "$API_KEY" | sha256sum | cut -d' ' -f1)
        prefix: ${API_KEY:0:8}
EOF
fi
[ -f "$TENANTS_FILE" ] || die "SWITCHBOARD_TENANTS_FILE=$TENANTS_FILE is not a file"

[ "$PORT" = "$(switchboard_free_port "$PORT")" ] || die "port $PORT is taken (set SWITCHBOARD_PORT)"
# the admin key goes through the environment, not the command line (which any local user can read with ps)
export SWITCHBOARD_ADMIN_KEY="$ADMIN_KEY"
start_service gateway "$PORT" "$ROOT/gateway-service/target/quarkus-app/quarkus-run.jar" \
  -Dswitchboard.gateway.tenancy.file="$TENANTS_FILE" -Dswitchboard.gateway.models="$MODEL_ID"

# ready when the router has every worker and a first request answers
for _ in $(seq 300); do
  n=$(curl -fsS "http://127.0.0.1:$ROUTER_PORT/router/workers" 2>/dev/null | grep -o '"workerId"' | wc -l || true)
  [ "${n:-0}" -ge "$WORKERS" ] && break
  sleep 0.1
done
curl -fsS -o /dev/null -H "Authorization: Bearer $API_KEY" -H 'Content-Type: application/json' \
  -d "{\"model\":\"$MODEL_ID\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":1}" \
  "http://127.0.0.1:$PORT/v1/chat/completions" || die "the first request failed: see $RUN_DIR/logs/"
ELAPSED_MS=$((($(date +%s%N) - START_NS) / 1000000))

cat <<EOF

Switchboard is serving '$MODEL_ID' on http://127.0.0.1:$PORT ($WORKERS worker(s) x $SLOTS slots, $ENGINE engine; ready in ${ELAPSED_MS} ms)
API key: $API_KEY (tenant 'local')   admin key: $ADMIN_KEY (/admin/v1)

  curl -N http://127.0.0.1:$PORT/v1/chat/completions \\
    -H 'Authorization: Bearer $API_KEY' -H 'Content-Type: application/json' \\
    -d '{"model":"$MODEL_ID","messages":[{"role":"user","content":"Tell me a story"}],"stream":true}'

Logs: $RUN_DIR/logs   Ctrl-C stops everything.
EOF

# foreground until any process exits or we are told to stop
wait -n "${PIDS[@]}" || true
log "a process exited; shutting down (logs: $RUN_DIR/logs)"
exit 1
