#!/usr/bin/env bash
# Runs the whole Switchboard path on this machine, in the foreground, as a small cluster:
#   Redis -> Kafka (single-node KRaft, from Maven Central) -> N routers -> M workers -> gateway
# Builds first when needed. It supervises what it started: a service that exits is started again (as Kubernetes
# would, under the same name, id and port) after a short backoff, and each restart is logged. Ctrl-C or SIGTERM stops
# every process it started.
#
# Environment (all optional):
#   SWITCHBOARD_MODEL       GGUF model path. Default: a small chat model downloaded once into
#                           $SWITCHBOARD_CACHE (SWITCHBOARD_MODEL_URL says from where).
#   SWITCHBOARD_PORT        gateway port on 127.0.0.1 (8080)
#   SWITCHBOARD_WORKERS     number of workers (1); worker-N listens on 8090+N
#   SWITCHBOARD_ROUTERS     number of routers (1): one is active, the others stand by (a lease in Redis);
#                           router-N listens on SWITCHBOARD_ROUTER_PORT+2(N-1) (8081, 8083, ...)
#   SWITCHBOARD_ROUTER_PORT the first router's port (8081)
#   SWITCHBOARD_SLOTS       parallel sequences per worker (4)
#   SWITCHBOARD_ENGINE      llama (default: llama.cpp in-process), llama-server (the worker runs llama.cpp's own
#                           server beside it: native speed; needs SWITCHBOARD_LLAMA_SERVER=/path/to/llama-server),
#                           openai (drives an OpenAI-compatible server: SWITCHBOARD_WORKER_OPENAI_BASE_URL, optional
#                           SWITCHBOARD_WORKER_OPENAI_API_KEY; vLLM, SGLang or a cloud provider) or simulated (no model)
#   SWITCHBOARD_API_KEY     the local dev key (sk-switchboard-local) of the tenant 'local'
#   SWITCHBOARD_ADMIN_KEY   the admin API's key (sk-switchboard-admin-local)
#   SWITCHBOARD_TENANTS_FILE  a tenants file (YAML) to serve instead of the generated one with tenant 'local'
#   SWITCHBOARD_CACHE       cache folder for downloaded models (~/.cache/switchboard)
#   SWITCHBOARD_RUN_DIR     logs, broker data, process ids (deploy/local/.run)
#   SWITCHBOARD_REDIS_PORT, SWITCHBOARD_KAFKA_PORT  preferred ports of Redis (6380) and Kafka (19092)
#   SWITCHBOARD_RESTART_BACKOFF  seconds before a service that exited is started again (1); doubled, up to 30 s,
#                           while it keeps exiting within 10 s of its start
#   SWITCHBOARD_REBUILD=1   build even when the packaged services look current
#   SWITCHBOARD_SKIP_BUILD=1  never build nor resolve anything (tests that run it from inside Maven)
#   SWITCHBOARD_KAFKA_CLASSPATH  the Kafka broker's class path, instead of resolving it with Maven
#   SWITCHBOARD_AOT_CACHE=0 never give the services JDK AOT caches (by default, on a JDK 25, each app's first run
#                           records one, written as it stops: that first Ctrl-C takes up to a minute)
# Any other Quarkus setting goes through the environment to every service, e.g.
#   SWITCHBOARD_GATEWAY_REQUEST_TIMEOUT=20s, SWITCHBOARD_WORKER_SIMULATED_TOKENS_PER_SECOND=200.
#
# What it leaves in $SWITCHBOARD_RUN_DIR while it runs:
#   logs/<service>.log     each service's output (a restart appends to it after a marker line)
#   pids/<service>.pid     the process id of each service, rewritten on every restart: redis, kafka, router (or
#                          router-1..N when SWITCHBOARD_ROUTERS > 1), worker-1..M, gateway
#   endpoints              one line per service: <service> <port> (127.0.0.1)
# and, kept across runs: redis/ (the append-only file), cds/ (the broker's class archive), aot/<app>.aot (the services'
# AOT caches, with the fingerprint of the jars and JDK they were made from)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=lib.sh
. "$ROOT/deploy/local/lib.sh"

START_NS=$(date +%s%N)
PORT=${SWITCHBOARD_PORT:-8080}
WORKERS=${SWITCHBOARD_WORKERS:-1}
ROUTERS=${SWITCHBOARD_ROUTERS:-1}
RESTART_BACKOFF=${SWITCHBOARD_RESTART_BACKOFF:-1}
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
if [ "$ENGINE" = llama-server ]; then
  [ -n "${SWITCHBOARD_LLAMA_SERVER:-}" ] || die "SWITCHBOARD_ENGINE=llama-server needs SWITCHBOARD_LLAMA_SERVER=/path/to/llama-server"
  [ -x "$SWITCHBOARD_LLAMA_SERVER" ] || die "SWITCHBOARD_LLAMA_SERVER=$SWITCHBOARD_LLAMA_SERVER is not an executable file"
  SWITCHBOARD_LLAMA_SERVER=$(cd "$(dirname "$SWITCHBOARD_LLAMA_SERVER")" && pwd)/$(basename "$SWITCHBOARD_LLAMA_SERVER")
fi
if [ "$ENGINE" = openai ]; then
  [ -n "${SWITCHBOARD_WORKER_OPENAI_BASE_URL:-}" ] || die "SWITCHBOARD_ENGINE=openai needs SWITCHBOARD_WORKER_OPENAI_BASE_URL (and SWITCHBOARD_MODEL_ID)"
fi
if [ "$ENGINE" = llama ] || [ "$ENGINE" = llama-server ]; then
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
[[ $WORKERS =~ ^[1-9][0-9]*$ ]] || die "SWITCHBOARD_WORKERS=$WORKERS: give a number >= 1"
[[ $ROUTERS =~ ^[1-9][0-9]*$ ]] || die "SWITCHBOARD_ROUTERS=$ROUTERS: give a number >= 1"
[[ $RESTART_BACKOFF =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "SWITCHBOARD_RESTART_BACKOFF=$RESTART_BACKOFF: give seconds"
need_build=${SWITCHBOARD_REBUILD:-0}
for app in "${apps[@]}"; do
  jar="$app/target/quarkus-app/quarkus-run.jar"
  if [ ! -f "$jar" ] || [ -n "$(find "$app/src/main" "$ROOT/common-schema/src/main" -newer "$jar" -type f -print -quit)" ]; then
    need_build=1
  fi
done
if [ "${SWITCHBOARD_SKIP_BUILD:-0}" = 1 ]; then
  for app in "${apps[@]}"; do
    [ -f "$app/target/quarkus-app/quarkus-run.jar" ] || die "$app is not packaged (SWITCHBOARD_SKIP_BUILD=1)"
  done
elif [ "$need_build" = 1 ]; then
  log "building (./mvnw install -DskipTests)"
  (cd "$ROOT" && ./mvnw -B -q install -DskipTests) || die "build failed"
fi
if [ -n "${SWITCHBOARD_KAFKA_CLASSPATH:-}" ]; then
  KAFKA_CP=$SWITCHBOARD_KAFKA_CLASSPATH
else
  KAFKA_CP_FILE="$ROOT/deploy/kafka/target/classpath.txt"
  if [ ! -s "$KAFKA_CP_FILE" ]; then
    [ "${SWITCHBOARD_SKIP_BUILD:-0}" = 1 ] && die "no Kafka class path (set SWITCHBOARD_KAFKA_CLASSPATH)"
    log "resolving the Kafka broker from Maven Central"
    (cd "$ROOT" && ./mvnw -B -q -f deploy/kafka/pom.xml dependency:build-classpath -Dmdep.outputFile="$KAFKA_CP_FILE") \
      || die "could not resolve the Kafka broker"
  fi
  KAFKA_CP=$(cat "$KAFKA_CP_FILE")
fi

BACKOFF_MS=$(awk -v s="$RESTART_BACKOFF" 'BEGIN { printf "%d", s * 1000 }')

# ---- processes: started once in order, then supervised ----------------------------------------------
LOGS="$RUN_DIR/logs"
PID_DIR="$RUN_DIR/pids"
mkdir -p "$LOGS" "$RUN_DIR/redis"
rm -rf "$PID_DIR" && mkdir -p "$PID_DIR"
: >"$RUN_DIR/endpoints"

SERVICES=()   # names, in start order
declare -A AOT_TRAINER=() SVC_LOG_AT=()
declare -A SVC_PORT=() SVC_PID=() SVC_STARTED_US=() SVC_RESTARTS=() SVC_BACKOFF_MS=() SVC_DUE_US=() SVC_DOWN_US=() \
  SVC_AWAITED=()
PHASE=starting   # starting, then supervising; a signal while starting exits at once, later at the next tick
STOP_STATUS=
HURRY=0   # a second Ctrl-C while the services stop: kill them at once (Kafka and Redis still stop cleanly)
NOW_US=0
now_us() { NOW_US=${EPOCHREALTIME//[!0-9]/}; }   # microseconds, without a fork

stop_pids() { # grace (s), pids: stops the processes together, waiting up to the grace before killing
  local pid grace=$1
  shift
  for pid in "$@"; do kill "$pid" 2>/dev/null || true; done
  for _ in $(seq $((grace * 10))); do
    local alive=0
    for pid in "$@"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && return 0
    [ "$HURRY" = 1 ] && break
    sleep 0.1
  done
  for pid in "$@"; do
    pkill -KILL -P "$pid" 2>/dev/null || true   # a JVM writing its AOT cache does it in a child JVM
    kill -9 "$pid" 2>/dev/null || true
  done
}
cleanup() {
  trap - INT TERM EXIT
  trap 'HURRY=1' INT TERM
  local was=$PHASE
  PHASE=stopping
  local name pid app services=() infra=()
  for name in "${SERVICES[@]}"; do
    pid=${SVC_PID[$name]:-}
    [ -n "$pid" ] || continue
    kill -CONT "$pid" 2>/dev/null || true   # one paused with SIGSTOP could not stop otherwise
    case $name in redis | kafka) infra+=("$pid") ;; *) services+=("$pid") ;; esac
  done
  if [ $((${#services[@]} + ${#infra[@]})) -gt 0 ]; then
    log "stopping $((${#services[@]} + ${#infra[@]})) processes"
    # the services first, together (workers end their streams with an error), then Kafka and Redis
    # a service recording its AOT cache writes it as it stops (a cache of a start that failed is not kept)
    local grace=15 training= infra_grace=15
    for app in "${!AOT_TRAINER[@]}"; do
      name=${AOT_TRAINER[$app]}
      [ -n "$name" ] && [ -n "${SVC_PID[$name]:-}" ] && training+=" $name"
    done
    [ "$was" = supervising ] && [ "${AOT_TRAINER[kafka]:-}" = kafka ] && infra_grace=90
    if [ -n "$training" ] && [ "$was" = supervising ]; then
      grace=90
      log "writing the class caches of$training for their next start (a first run only: a minute or two; Ctrl-C again: not)"
    fi
    [ ${#services[@]} -gt 0 ] && stop_pids "$grace" "${services[@]}"
    for app in "${!AOT_TRAINER[@]}"; do
      name=${AOT_TRAINER[$app]}
      [ -n "$name" ] && [ "$app" != kafka ] || continue
      if [ "$was" = supervising ]; then aot_promote "$app" "$name"; else aot_discard "$app"; fi
    done
    HURRY=0
    [ ${#infra[@]} -gt 0 ] && stop_pids "$infra_grace" "${infra[@]}"
    if [ -n "${AOT_TRAINER[kafka]:-}" ]; then
      if [ "$was" = supervising ]; then aot_promote kafka kafka; else aot_discard kafka; fi
    fi
  fi
  # a process started just as the signal came, before its id was noted: this shell's own children only
  if command -v pkill >/dev/null; then pkill -KILL -P $$ 2>/dev/null || true; fi
  rm -rf "$PID_DIR"
}
on_signal() { # exit status
  if [ "$PHASE" = supervising ]; then STOP_STATUS=$1; else exit "$1"; fi
}
trap cleanup EXIT
trap 'on_signal 130' INT
trap 'on_signal 143' TERM

add_service() { # name port: declares it (its log starts empty, its port is kept across restarts)
  SERVICES+=("$1")
  SVC_PORT[$1]=$2
  SVC_RESTARTS[$1]=0
  SVC_BACKOFF_MS[$1]=$BACKOFF_MS
  SVC_AWAITED[$1]=1
  : >"$LOGS/$1.log"
  echo "$1 $2" >>"$RUN_DIR/endpoints"
}

# JDK 25 AOT cache of each Quarkus service and of the Kafka broker (its classes loaded and linked, and method
# profiles, from a training run), one per app in $RUN_DIR/aot: when it is missing, or was made from other jars or
# another JDK (a fingerprint of both beside it: this JDK may not notice changed jars itself), the app's first instance
# records one this run, written as it stops (the launcher then waits up to 90 s) and kept once its JVM reported it
# whole; later starts map it. Other instances of an app run without meanwhile. SWITCHBOARD_AOT_CACHE=0, or a JDK
# before 25, runs without (the broker then with a CDS archive of its classes).
AOT_DIR="$RUN_DIR/aot"
AOT_ON=0
if [ "${SWITCHBOARD_AOT_CACHE:-1}" = 1 ] && "$JAVA" -XX:+PrintFlagsFinal -version 2>/dev/null | grep -q ' AOTCacheOutput '; then
  AOT_ON=1
  AOT_JDK=$("$JAVA" -version 2>&1 | tr '\n' ' ')
  mkdir -p "$AOT_DIR"
fi
aot_fingerprint() { # app-dir: of the JDK and of every file of the packaged app (path, size, time)
  { printf '%s\n' "$AOT_JDK"; find "$1/target/quarkus-app" -type f -printf '%P %s %T@\n' | LC_ALL=C sort; } \
    | sha256sum | cut -d' ' -f1
}
aot_promote() { # app trainer: the cache its trainer wrote whole (its JVM said so in its log since it started) is kept
  local new="$AOT_DIR/$1.aot.new"
  if [ -f "$new" ] && tail -c +$((${SVC_LOG_AT[$2]:-0} + 1)) "$LOGS/$2.log" 2>/dev/null \
      | grep -qF "AOTCache creation is complete: $new"; then
    mv -f "$new" "$AOT_DIR/$1.aot"
    mv -f "$new.fp" "$AOT_DIR/$1.aot.fp"
  fi
  aot_discard "$1"
}
aot_discard() { # app: what its trainer left unpromoted goes (the cache, its fingerprint, the JVM's recording)
  rm -f "$AOT_DIR/$1.aot.new"*
  AOT_TRAINER[$1]=
}
aot_kafka_fingerprint() { # of the JDK and of every jar of the broker's class path (path, size, time)
  local entries entry f
  IFS=: read -ra entries <<<"$KAFKA_CP"
  { printf '%s\n' "$AOT_JDK"
    for entry in "${entries[@]}"; do
      for f in $entry; do # a wildcard entry (/opt/kafka/libs/*) stands for its jars
        stat -c '%n %s %Y' "$f" 2>/dev/null || echo "$f (missing)"
      done
    done; } | sha256sum | cut -d' ' -f1
}
aot_args() { # name app fingerprint-command [its args...]: sets AOT_ARGS for that instance's JVM: the app's cache,
  # recording it, or nothing
  AOT_ARGS=()
  [ "$AOT_ON" = 1 ] || return 0
  local app=$2 fp
  # the app's trainer starting again: what it wrote as it stopped may be whole
  [ "${AOT_TRAINER[$app]:-}" = "$1" ] && aot_promote "$app" "$1"
  fp=$("${@:3}")
  if [ -s "$AOT_DIR/$app.aot" ] && [ "$(cat "$AOT_DIR/$app.aot.fp" 2>/dev/null)" = "$fp" ]; then
    AOT_ARGS=(-XX:AOTCache="$AOT_DIR/$app.aot")
  elif [ -z "${AOT_TRAINER[$app]:-}" ]; then
    rm -f "$AOT_DIR/$app.aot" "$AOT_DIR/$app.aot.fp"
    echo "$fp" >"$AOT_DIR/$app.aot.new.fp"
    AOT_ARGS=(-XX:AOTCacheOutput="$AOT_DIR/$app.aot.new")
    AOT_TRAINER[$app]=$1
    SVC_LOG_AT[$1]=$(stat -c %s "$LOGS/$1.log" 2>/dev/null || echo 0)
  fi
  return 0
}

# Starts one service in the background, the same way the first time and on every restart, and notes its pid.
spawn() { # name
  local name=$1 port=${SVC_PORT[$1]} log="$LOGS/$1.log"
  case $name in
    redis)
      # Redis is the system of record of tenants, keys and usage: append-only file, kept across runs
      redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly yes --appendfsync everysec \
        --dir "$RUN_DIR/redis" >>"$log" 2>&1 &
      ;;
    kafka)
      # on a JDK 25 an AOT cache like the services' (classes and method profiles), else the CDS archive (classes)
      aot_args kafka kafka aot_kafka_fingerprint
      local broker=("${KAFKA_BROKER_JVM[@]}")
      # JDK 25.0.3 warns at each start that a few adapter stubs in the broker's cache do not match (it makes them
      # anew): only errors of the AOT cache go to its log
      [ ${#AOT_ARGS[@]} -gt 0 ] && broker=("${AOT_ARGS[@]}" -Xlog:aot*=error)
      "$JAVA" "${KAFKA_JVM[@]}" "${broker[@]}" kafka.Kafka "$KAFKA_DIR/server.properties" >>"$log" 2>&1 &
      ;;
    router*)
      # the id through the environment (switchboard.router.id), so a router that has no such setting ignores it
      aot_args "$name" router aot_fingerprint "$ROOT/router-service"
      SWITCHBOARD_ROUTER_ID=$name "$JAVA" "${COMMON[@]}" ${AOT_ARGS[@]+"${AOT_ARGS[@]}"} -Dquarkus.http.port="$port" \
        -jar "$ROOT/router-service/target/quarkus-app/quarkus-run.jar" >>"$log" 2>&1 &
      ;;
    worker-*)
      aot_args "$name" worker aot_fingerprint "$ROOT/inference-worker"
      "$JAVA" "${COMMON[@]}" ${AOT_ARGS[@]+"${AOT_ARGS[@]}"} -Dquarkus.http.port="$port" -Dswitchboard.worker.id="$name" "${WORKER_ARGS[@]}" \
        -jar "$ROOT/inference-worker/target/quarkus-app/quarkus-run.jar" >>"$log" 2>&1 &
      ;;
    gateway)
      # the admin key goes through the environment, not the command line (which any local user can read with ps)
      aot_args "$name" gateway aot_fingerprint "$ROOT/gateway-service"
      SWITCHBOARD_ADMIN_KEY=$ADMIN_KEY "$JAVA" "${COMMON[@]}" ${AOT_ARGS[@]+"${AOT_ARGS[@]}"} -Dquarkus.http.port="$port" \
        -Dswitchboard.gateway.tenancy.file="$TENANTS_FILE" -Dswitchboard.gateway.models="$MODEL_ID" \
        -jar "$ROOT/gateway-service/target/quarkus-app/quarkus-run.jar" >>"$log" 2>&1 &
      ;;
    *) die "unknown service $name" ;;
  esac
  SVC_PID[$name]=$!
  now_us
  SVC_STARTED_US[$name]=$NOW_US
  echo "${SVC_PID[$name]}" >"$PID_DIR/$name.pid"
}

# The URL that says a service is up: readiness, but liveness for a router (a standby need not be ready).
health_url() { # name
  case $1 in
    redis | kafka) echo "" ;;
    router*) echo "http://127.0.0.1:${SVC_PORT[$1]}/q/health/live" ;;
    *) echo "http://127.0.0.1:${SVC_PORT[$1]}/q/health/ready" ;;
  esac
}
is_up() { # name
  local url; url=$(health_url "$1")
  if [ -z "$url" ]; then (exec 3<>"/dev/tcp/127.0.0.1/${SVC_PORT[$1]}") 2>/dev/null; else curl -fsS -m 3 -o /dev/null "$url" 2>/dev/null; fi
}

start_service() { # name port [health url]: starts it and waits until it is ready (or live)
  local name=$1 port=$2 url=${3:-http://127.0.0.1:$2/q/health/ready}
  add_service "$name" "$port"
  spawn "$name"
  switchboard_wait_http "$url" 120 "${SVC_PID[$name]}" \
    || die "$name did not become ready: see $LOGS/$name.log"
  log "$name ready on 127.0.0.1:$port (log: $LOGS/$name.log)"
}

describe_exit() { # status
  if [ "$1" -gt 128 ]; then echo "ended by SIG$(kill -l $(($1 - 128)) 2>/dev/null || echo $(($1 - 128)))"; else echo "exited with status $1"; fi
}

# Restarts what exits, as Kubernetes would (restartPolicy Always): after SVC_BACKOFF_MS, doubled up to 30 s while a
# service keeps exiting within 10 s of its start. A paused process (SIGSTOP) is alive: it is left alone.
supervise() {
  local name pid status ran_us down
  PHASE=supervising
  while [ -z "$STOP_STATUS" ]; do
    sleep 0.2 &
    wait $! 2>/dev/null || true
    [ -n "$STOP_STATUS" ] && break
    now_us
    for name in "${SERVICES[@]}"; do
      pid=${SVC_PID[$name]}
      if [ -n "$pid" ]; then
        if kill -0 "$pid" 2>/dev/null; then
          if [ -z "${SVC_AWAITED[$name]:-}" ] && is_up "$name"; then
            SVC_AWAITED[$name]=1
            now_us
            down=$((NOW_US - SVC_DOWN_US[$name]))
            log "$name is up again, $((down / 1000000)).$((down / 100000 % 10)) s after it went down"
          fi
          continue
        fi
        status=0
        wait "$pid" 2>/dev/null || status=$?
        ran_us=$((NOW_US - SVC_STARTED_US[$name]))
        if [ $ran_us -lt 10000000 ] && [ "${SVC_RESTARTS[$name]}" -gt 0 ]; then
          SVC_BACKOFF_MS[$name]=$((SVC_BACKOFF_MS[$name] * 2 > 30000 ? 30000 : SVC_BACKOFF_MS[$name] * 2))
        else
          SVC_BACKOFF_MS[$name]=$BACKOFF_MS
        fi
        SVC_PID[$name]=
        SVC_DOWN_US[$name]=$NOW_US
        SVC_DUE_US[$name]=$((NOW_US + SVC_BACKOFF_MS[$name] * 1000))
        rm -f "$PID_DIR/$name.pid"
        log "$name (pid $pid) $(describe_exit $status) after $((ran_us / 1000000)) s; restarting it in ${SVC_BACKOFF_MS[$name]} ms"
      elif [ "$NOW_US" -ge "${SVC_DUE_US[$name]}" ]; then
        SVC_RESTARTS[$name]=$((SVC_RESTARTS[$name] + 1))
        printf '\n---- [run.sh] %s restarted (restart %d) at %s ----\n' "$name" "${SVC_RESTARTS[$name]}" "$(date '+%F %T')" \
          >>"$LOGS/$name.log"
        spawn "$name"
        SVC_AWAITED[$name]=
        log "$name restarted (pid ${SVC_PID[$name]}, restart ${SVC_RESTARTS[$name]}; log: $LOGS/$name.log)"
      fi
    done
  done
  exit "$STOP_STATUS"
}

add_service redis "$(switchboard_free_port "${SWITCHBOARD_REDIS_PORT:-6380}")"
spawn redis
log "redis on 127.0.0.1:${SVC_PORT[redis]}"

KAFKA_PORT=$(switchboard_free_port "${SWITCHBOARD_KAFKA_PORT:-19092}")
CONTROLLER_PORT=$(switchboard_free_port 19093)
KAFKA_DIR="$RUN_DIR/kafka"
rm -rf "$KAFKA_DIR" && mkdir -p "$KAFKA_DIR/data"
switchboard_kafka_properties "$KAFKA_DIR/data" "$KAFKA_PORT" "$CONTROLLER_PORT" >"$KAFKA_DIR/server.properties"
KAFKA_JVM=(-Xms256m -Xmx512m -XX:+UseSerialGC -cp "$KAFKA_CP")
# class data sharing without an AOT cache (SWITCHBOARD_AOT_CACHE=0, a JDK before 25): the broker's first run writes an
# archive of the classes it loaded (at its exit), later runs map it (deploy/bench/broker-cds.sh: the port opens in about 1.4 s instead of 2.6 s, 25 MB less resident); a new JDK or
# jar rewrites it
mkdir -p "$RUN_DIR/cds"
KAFKA_BROKER_JVM=(-XX:SharedArchiveFile="$RUN_DIR/cds/kafka.jsa" -XX:+AutoCreateSharedArchive)
# formatted once: a restarted broker keeps its data, as one on a persistent volume would
"$JAVA" "${KAFKA_JVM[@]}" kafka.tools.StorageTool format -t "$("$JAVA" -cp "$KAFKA_CP" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1)" \
  -c "$KAFKA_DIR/server.properties" >"$LOGS/kafka-format.log" 2>&1 || die "kafka storage format failed: see $LOGS/kafka-format.log"
add_service kafka "$KAFKA_PORT"
spawn kafka
for _ in $(seq 600); do
  (exec 3<>"/dev/tcp/127.0.0.1/$KAFKA_PORT") 2>/dev/null && break
  kill -0 "${SVC_PID[kafka]}" 2>/dev/null || die "kafka exited: see $LOGS/kafka.log"
  sleep 0.1
done
log "kafka on 127.0.0.1:$KAFKA_PORT"

COMMON=(-Dquarkus.http.host=127.0.0.1
  -Dquarkus.redis.hosts="redis://127.0.0.1:${SVC_PORT[redis]}" -Dkafka.bootstrap.servers="127.0.0.1:$KAFKA_PORT"
  -XX:+UseSerialGC --enable-native-access=ALL-UNNAMED)

# routers: one is 'router' (id router); several are router-1..N (ids the same), on every other port from 8081
ROUTER_BASE_PORT=${SWITCHBOARD_ROUTER_PORT:-8081}
ROUTER_NAMES=()
for ((r = 1; r <= ROUTERS; r++)); do
  name=router
  [ "$ROUTERS" -gt 1 ] && name=router-$r
  ROUTER_NAMES+=("$name")
  rport=$(switchboard_free_port $((ROUTER_BASE_PORT + 2 * (r - 1))))
  # the first must be ready (it creates the topics and, alone, takes the lease); a standby need only be live
  if [ "$r" = 1 ]; then
    ROUTER_PORT=$rport
    start_service "$name" "$rport"
  else
    start_service "$name" "$rport" "http://127.0.0.1:$rport/q/health/live"
  fi
done

WORKER_ARGS=(-Dswitchboard.worker.engine="$ENGINE" -Dswitchboard.worker.slots="$SLOTS" -Dswitchboard.worker.model-id="$MODEL_ID")
if [ "$ENGINE" = llama ] || [ "$ENGINE" = llama-server ]; then
  WORKER_ARGS+=(-Dswitchboard.worker.llama.model="$SWITCHBOARD_MODEL")
fi
[ "$ENGINE" = llama-server ] && WORKER_ARGS+=(-Dswitchboard.worker.llama-server.path="$SWITCHBOARD_LLAMA_SERVER")
for ((w = 1; w <= WORKERS; w++)); do
  start_service "worker-$w" "$(switchboard_free_port $((8090 + w)))"
done

# tenants: the given file, or one with the tenant 'local' (class standard, no limits) and the dev key, by hash
TENANTS_FILE=${SWITCHBOARD_TENANTS_FILE:-$RUN_DIR/tenants.yaml}
if [ -z "${SWITCHBOARD_TENANTS_FILE:-}" ]; then
  cat >"$TENANTS_FILE" <<TENANTS
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
TENANTS
fi
[ -f "$TENANTS_FILE" ] || die "SWITCHBOARD_TENANTS_FILE=$TENANTS_FILE is not a file"

[ "$PORT" = "$(switchboard_free_port "$PORT")" ] || die "port $PORT is taken (set SWITCHBOARD_PORT)"
start_service gateway "$PORT"

# ready when the router has every worker and a first request answers
for _ in $(seq 300); do
  n=$(curl -fsS "http://127.0.0.1:$ROUTER_PORT/router/workers" 2>/dev/null | grep -o '"workerId"' | wc -l || true)
  [ "${n:-0}" -ge "$WORKERS" ] && break
  sleep 0.1
done
curl -fsS -o /dev/null -H "Authorization: Bearer $API_KEY" -H 'Content-Type: application/json' \
  -d "{\"model\":\"$MODEL_ID\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":1}" \
  "http://127.0.0.1:$PORT/v1/chat/completions" || die "the first request failed: see $LOGS/"
ELAPSED_MS=$((($(date +%s%N) - START_NS) / 1000000))

ROUTERS_TEXT=
[ "$ROUTERS" -gt 1 ] && ROUTERS_TEXT=", $ROUTERS routers (one active)"
cat <<MSG

Switchboard is serving '$MODEL_ID' on http://127.0.0.1:$PORT ($WORKERS worker(s) x $SLOTS slots, $ENGINE engine$ROUTERS_TEXT; ready in ${ELAPSED_MS} ms)
API key: $API_KEY (tenant 'local')   admin key: $ADMIN_KEY (/admin/v1)

  curl -N http://127.0.0.1:$PORT/v1/chat/completions \\
    -H 'Authorization: Bearer $API_KEY' -H 'Content-Type: application/json' \\
    -d '{"model":"$MODEL_ID","messages":[{"role":"user","content":"Tell me a story"}],"stream":true}'

Logs: $LOGS   Process ids: $PID_DIR   A service that exits is restarted; Ctrl-C stops everything.
MSG

# foreground: restart what exits, until told to stop
supervise
