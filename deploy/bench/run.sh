#!/usr/bin/env bash
# Reruns every figure of the README's "Measured" table, side by side in one run, on this machine:
#   1. time from deploy/local/run.sh to the first answer (services already built, model on disk)
#   2. TTFT and tokens/s for 1 and 8 concurrent streams, llama.cpp worker (8 slots), tiny model
#   3. the platform's own time to first token, on a warm stack (BENCH_WARMUP_SECONDS, 120, of open loop at 250/s
#      first): the same path with the simulated engine set to a 0 ms time to first token, so everything measured is
#      gateway + Kafka + router + worker + Redis, and how it splits between the hops: from the platform's own
#      timestamps (Hops.java, 1 ms) and, where tcpdump is installed and the user is root, packet by packet on the
#      wire (wire-hops.sh, 1 us)
#   4. what authentication plus tenant limits add to a request: a tenant without limits and one with every
#      counted limit set (high enough never to refuse), alternated, both as time to first token at the client
#      and as the gateway's own admission timer (switchboard_gateway_admission_seconds, limits=off|on); then both at
#      once under steady open-loop load (BENCH_ADMISSION_RATE, 100/s each), after a minute of both
# Usage: deploy/bench/run.sh [path/to/model.gguf]   (default: ../shared/models/stories260K.gguf)
#   5. fair share: tenants of weights 1 and 2 (standard), a batch flood and a critical tenant on one simulated worker
#      of 2 slots, all at once for 15 s: the token shares and the critical tenant's time to first token; then the
#      critical tenant alone and beside a batch flood alone (time to first token p50/p99 of each)
#   6. engines: llama.cpp's own llama-server alone, then Switchboard in front of the same llama-server build and model
#      (the managed llama-server engine), then Switchboard on the in-process binding, at 1, 4 and 8 concurrent
#      streams, each after BENCH_ENGINE_WARMUP_SECONDS (180) of unmeasured load; prints Switchboard's tokens/s as a
#      share of the engine's own and the added time to first token.
#      Needs BENCH_LLAMA_SERVER (default ../shared/engines/llama-server/llama-server); skipped when it is absent.
#   7. open loop (in part platform): requests scheduled at a fixed rate (500/s for 20 s, then 1,000/s for
#      BENCH_OPEN_LOOP_SECONDS, default 60) over BENCH_OPEN_LOOP_CONNECTIONS (256) keep-alive connections, latency counted
#      from each request's scheduled time; achieved rate, time to first token, total time, tokens/s, errors by status
#   8. tokens: streamed tokens/s from the worker to the clients at 64 and 128 concurrent streams of long answers
#      (BENCH_STREAM_MAX_TOKENS, 2048) from a fast simulated engine (BENCH_STREAM_TOKENS_PER_SECOND per stream, 2000),
#      after an unmeasured warm-up (BENCH_TOKENS_WARMUP_REQUESTS, 1536, at 128 streams); content chunks/s beside them
#   9. idle: each process's CPU (% of one core) and resident memory over BENCH_IDLE_SECONDS (30) without requests,
#      on a stack of its own (simulated engine) after a warm-up and BENCH_IDLE_SETTLE_SECONDS (60) of quiet; twice:
#      the services without JDK AOT caches ("idle"), then as run.sh starts them on a JDK 25, each mapping the AOT cache
#      its first run recorded ("idle-aot": a training run of BENCH_IDLE_TRAIN_REQUESTS, 2000, is started and stopped
#      first, not measured); skipped without a JDK 25
#  10. streams: BENCH_STREAMS (10000) concurrent streams held open and idle (BENCH_STREAMS_SLOTS, 128, of them running:
#      first token at once, the next one 1000 s later; the others queued in the router): the gateway's heap per open
#      stream (after a forced GC, before and while they are open), its resident memory and its Redis connections
#  11. overload: open loop at 5x the rate one simulated worker serves (BENCH_OVERLOAD_FACTOR; BENCH_OVERLOAD_SLOTS 8
#      slots, jobs of about 1 s) with a 5 s request deadline (BENCH_OVERLOAD_TIMEOUT_S): served, refused and how fast
#      each refusal came (from its send), errors by status (no 504: nothing may end by its deadline)
#  12. choices: jobs of n = 1, 2, 4 and 8 choices (BENCH_CHOICES_SLOTS, 32, slots of a simulated engine at
#      BENCH_CHOICES_TOKENS_PER_SECOND, 500, per choice; 8 streams closed loop, 64 tokens per choice): time to first
#      token and tokens/s summed over choices; at n = 8 the 64 choices asked for are twice the slots, so jobs wait
#  A summary at the end repeats every figure, one per line.
#   BENCH_PARTS=llama,platform,admission,overload,fairness,engines,tokens,idle,streams,choices (default: all) runs only those parts;
#   BENCH_REQUESTS scales the closed-loop ones; BENCH_AOT_CACHE=1 runs the services with JDK AOT caches (off by default:
#   see deploy/bench/service-aot.sh).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$ROOT/deploy/local/lib.sh"
JAVA_HOME=$(switchboard_find_jdk); export JAVA_HOME
MODEL=${1:-$ROOT/../shared/models/stories260K.gguf}
MODEL=$(cd "$(dirname "$MODEL")" && pwd)/$(basename "$MODEL")
PORT=${BENCH_PORT:-18181}
OUT=$(mktemp -d)
CORES=$(nproc)
# open streams take a descriptor each, at the client and at the gateway: as many as allowed (the services inherit it)
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
echo "== machine: $CORES cores ($(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)),"\
  "$(awk '/^MemTotal/ {printf "%.0f", $2 / 1048576}' /proc/meminfo) GiB memory, open files $(ulimit -n);" \
  "every process (the client too) runs on it"
SUMMARY=$OUT/summary.txt
sum() { printf '%s\n' "$*" >>"$SUMMARY"; }
sum "cores: $CORES"
REQUESTS=${BENCH_REQUESTS:-64}
[ "${BENCH_SKIP_BUILD:-0}" = 1 ] || (cd "$ROOT" && ./mvnw -B -q install -DskipTests)

RUN_PID=
STACK_DIR=
STACK_OUT=
start() { # engine slots model-id [extra env...]   (FIRST_MAX_TOKENS: the first answer's max_tokens, 4)
  local engine=$1 slots=$2 model_id=$3; shift 3
  local t0; t0=$(date +%s%N)
  STACK_DIR="$OUT/run-$engine"
  STACK_OUT="$OUT/$engine.out"
  # without the services' AOT caches by default (a stack's first run would record them, and measure that): the figures
  # stay comparable with earlier runs; deploy/bench/service-aot.sh measures what the caches change
  env SWITCHBOARD_AOT_CACHE="${BENCH_AOT_CACHE:-0}" "$@" SWITCHBOARD_MODEL_ID="$model_id" SWITCHBOARD_ENGINE="$engine" SWITCHBOARD_SLOTS="$slots" SWITCHBOARD_PORT=$PORT SWITCHBOARD_MODEL="$MODEL" \
    SWITCHBOARD_RUN_DIR="$STACK_DIR" "$ROOT/deploy/local/run.sh" >"$STACK_OUT" 2>&1 &
  RUN_PID=$!
  for _ in $(seq 1800); do
    grep -q 'Switchboard is serving' "$OUT/$engine.out" 2>/dev/null && break
    kill -0 $RUN_PID 2>/dev/null || { cat "$OUT/$engine.out"; exit 1; }
    sleep 0.1
  done
  local answered; answered=$(curl -fsS -H 'Authorization: Bearer sk-switchboard-local' -H 'Content-Type: application/json' \
    -d '{"model":"'"$model_id"'","messages":[{"role":"user","content":"Hi"}],"max_tokens":'"${FIRST_MAX_TOKENS:-4}"'}' "http://127.0.0.1:$PORT/v1/chat/completions" >/dev/null && date +%s%N)
  echo "startup ($engine): run.sh to first answer $(( (answered - t0) / 1000000 )) ms"
  sum "startup ($engine, $slots slots): run.sh to first answer $(( (answered - t0) / 1000000 )) ms"
}
stop() { [ -n "$RUN_PID" ] || return 0; kill -TERM "$RUN_PID" 2>/dev/null || true; wait "$RUN_PID" 2>/dev/null || true; RUN_PID=; }
trap stop EXIT
# every Bench result line also goes to the summary (its error details and progress lines, indented, are left out there)
bench() { "$JAVA_HOME/bin/java" "$ROOT/deploy/bench/Bench.java" --url "http://127.0.0.1:$PORT" "$@" | tee -a "$SUMMARY"; }
# a load that is not a measurement (a warm-up, a flood beside one): nothing printed
unmeasured() { "$JAVA_HOME/bin/java" "$ROOT/deploy/bench/Bench.java" --url "http://127.0.0.1:$PORT" "$@" >/dev/null; }

PARTS=,${BENCH_PARTS:-llama,platform,admission,overload,fairness,engines,tokens,idle,streams,choices},
part() { [[ $PARTS == *",$1,"* ]]; }

MODEL_ID=$(basename "$MODEL" .gguf)
if part llama; then
echo "== llama.cpp worker, 1 worker x 8 slots, model $MODEL_ID"
start llama 8 "$MODEL_ID"
bench --model "$MODEL_ID" --concurrency 1 --requests $((REQUESTS / 4)) --max-tokens 128 --label "llama c=1"
bench --model "$MODEL_ID" --concurrency 8 --requests "$REQUESTS" --max-tokens 128 --label "llama c=8"
stop
fi

if part platform || part admission; then
# enough slots that the worker is never what refuses the open-loop runs (256 connections: at most 256 requests at once)
PSLOTS=${BENCH_PLATFORM_SLOTS:-256}
echo "== simulated engine (0 ms TTFT, 2000 tok/s), 1 worker x $PSLOTS slots: platform overhead"
start simulated "$PSLOTS" simulated SWITCHBOARD_WORKER_SIMULATED_TIME_TO_FIRST_TOKEN=0ms SWITCHBOARD_WORKER_SIMULATED_TOKENS_PER_SECOND=2000
if part platform; then
# the figures below are of a warm stack: on 2 cores the JIT compilers of five JVMs take a minute or more of load to
# settle (a cold stack answers in tens of milliseconds for minutes); the warm-up is printed, not measured
WARM_S=${BENCH_WARMUP_SECONDS:-120}
echo "== warm-up: open loop 250/s for $WARM_S s (JIT), not a measurement"
"$JAVA_HOME/bin/java" "$ROOT/deploy/bench/Bench.java" --url "http://127.0.0.1:$PORT" --model simulated --rate 250 \
  --duration-s "$WARM_S" --connections 256 --max-tokens 8 --label "warm-up 250/s" | grep -v '^ ' || true
sleep 5
bench --model simulated --concurrency 1 --requests $((REQUESTS * 4)) --max-tokens 8 --warmup 20 --label "platform c=1"
bench --model simulated --concurrency 8 --requests $((REQUESTS * 4)) --max-tokens 8 --warmup 20 --label "platform c=8"
echo "== where the platform's time to first token goes (c=1)"
KAFKA=$(grep -o 'kafka on [0-9.:]*' "$OUT/simulated.out" | awk '{print $3}')
REDIS_PORT=$(grep -o 'redis on [0-9.:]*' "$OUT/simulated.out" | awk -F: '{print $2}')
"$JAVA_HOME/bin/java" -cp "$(cat "$ROOT/deploy/kafka/target/classpath.txt")" "$ROOT/deploy/bench/Hops.java" \
  "http://127.0.0.1:$PORT" "$KAFKA" "$REDIS_PORT" 2>&1 | grep -v '^SLF4J' | tee "$OUT/hops.txt"
# a hop table's lines into the summary, each after a prefix
hop_lines() { # prefix file
  awk -v P="$1" '/ p50=/ { line = $0; sub(/^ +/, "", line); sub(/ +p50=/, ": p50=", line); gsub(/ +/, " ", line); print P " " line }' \
    "$2" >>"$SUMMARY"
}
hop_lines "hop (c=1)" "$OUT/hops.txt"
echo "== the same to the microsecond, packet by packet on the loopback interface (no client in it)"
"$ROOT/deploy/bench/wire-hops.sh" "http://127.0.0.1:$PORT" "${KAFKA##*:}" "$REDIS_PORT" 200 "$OUT" | tee "$OUT/wire-hops.txt" || true
hop_lines "wire hop (c=1, us)" "$OUT/wire-hops.txt"

OPEN_S=${BENCH_OPEN_LOOP_SECONDS:-60}
OPEN_C=${BENCH_OPEN_LOOP_CONNECTIONS:-256}
echo "== open loop: requests scheduled at a fixed rate over $OPEN_C keep-alive connections, not paced by the answers;"
echo "   each request's times count from when it was due (a request that found every connection busy waited for one);"
echo "   max_tokens 8; arrivals still unsent 15 s after the schedule's end are counted as errors 'unsent', not sent"
bench --model simulated --rate 200 --duration-s 5 --connections "$OPEN_C" --max-tokens 8 --label "open-loop warm-up 200/s"
sleep 2
bench --model simulated --rate 500 --duration-s 20 --connections "$OPEN_C" --max-tokens 8 --label "open-loop 500/s"
sleep 2
bench --model simulated --rate 1000 --duration-s "$OPEN_S" --connections "$OPEN_C" --max-tokens 8 --label "open-loop 1000/s"
sleep 2
fi

if part admission; then
AC=${BENCH_ADMISSION_CONCURRENCY:-1}
PAUSE=${BENCH_ADMISSION_PAUSE_MS:-0}
echo "== what authentication plus tenant limits add (c=$AC): limits off (tenant local) and on, alternated"
GW="http://127.0.0.1:$PORT"
ADMIN=(-H 'Authorization: Bearer sk-switchboard-admin-local' -H 'Content-Type: application/json')
curl -fsS "${ADMIN[@]}" -o /dev/null -d '{"id":"bench-limited","limits":{"requests_per_minute":1000000,
  "tokens_per_minute":1000000000000,"max_concurrent_requests":100000,"tokens_per_day":1000000000000,
  "tokens_per_month":1000000000000}}' "$GW/admin/v1/tenants"
LIMITED_KEY=$(curl -fsS "${ADMIN[@]}" -d '{}' "$GW/admin/v1/tenants/bench-limited/keys" | sed 's/.*"key":"\([^"]*\)".*/\1/')
# one unmeasured round of each warms both paths up; then the gateway's own histograms are read before and after
# the measured rounds, so the figures below are of those rounds alone
bench --model simulated --concurrency "$AC" --requests $((REQUESTS * 2)) --max-tokens 8 --warmup 20 --label "warm-up, limits off"
bench --model simulated --concurrency "$AC" --requests $((REQUESTS * 2)) --max-tokens 8 --warmup 20 --key "$LIMITED_KEY" \
  --label "warm-up, limits on"
curl -fsS "$GW/q/metrics" >"$OUT/metrics-before.txt"
for round in 1 2; do
  bench --model simulated --concurrency "$AC" --requests $((REQUESTS * 2)) --max-tokens 8 --warmup 0 --pause-ms "$PAUSE" \
    --label "limits off, round $round"
  bench --model simulated --concurrency "$AC" --requests $((REQUESTS * 2)) --max-tokens 8 --warmup 0 --pause-ms "$PAUSE" \
    --key "$LIMITED_KEY" \
    --label "limits on,  round $round"
done
curl -fsS "$GW/q/metrics" >"$OUT/metrics-after.txt"
# a gateway timer's quantiles over the measured part (metrics-before.txt to metrics-after.txt), into the summary too
quantiles() { # metric, file under $OUT, the summary's prefix
  awk -v NAME="$1" -f "$ROOT/deploy/bench/quantiles.awk" "$OUT/metrics-before.txt" "$OUT/metrics-after.txt" | tee "$OUT/$2"
  sed "s|^|$3 |" "$OUT/$2" >>"$SUMMARY"
}
echo "gateway admission timer (arrival to admission decision: auth, parse, validation, limits), measured rounds:"
quantiles switchboard_gateway_admission_seconds admission.txt "gateway admission timer"
echo "of which the limit script's round trip to Redis (limits on):"
quantiles switchboard_gateway_limits_check_seconds limits-check.txt "gateway limit script round trip (limits on)"
# the same under steady load: both tenants at once (open loop, BENCH_ADMISSION_RATE each), after a warm-up of both, so
# both paths run warm and in the same conditions (c=1 with pauses measures an idle machine: every process asleep)
AR=${BENCH_ADMISSION_RATE:-100}
echo "== the same under steady load: limits off and on at once, $AR requests/s each (open loop), after 60 s of both"
unmeasured --model simulated --rate "$AR" --duration-s 60 --connections 64 --max-tokens 8 &
BOTH=$!
unmeasured --model simulated --rate "$AR" --duration-s 60 --connections 64 --max-tokens 8 --key "$LIMITED_KEY" \
  || { kill "$BOTH" 2>/dev/null; exit 1; }
wait $BOTH
curl -fsS "$GW/q/metrics" >"$OUT/metrics-before.txt"
bench --model simulated --rate "$AR" --duration-s 30 --connections 64 --max-tokens 8 --label "open-loop limits off" &
BOTH=$!
bench --model simulated --rate "$AR" --duration-s 30 --connections 64 --max-tokens 8 --key "$LIMITED_KEY" \
  --label "open-loop limits on" || { kill "$BOTH" 2>/dev/null; exit 1; }
wait $BOTH
curl -fsS "$GW/q/metrics" >"$OUT/metrics-after.txt"
echo "gateway admission timer, both at $AR/s:"
quantiles switchboard_gateway_admission_seconds admission-load.txt "gateway admission timer at $AR/s each"
echo "of which the limit script's round trip to Redis (limits on):"
quantiles switchboard_gateway_limits_check_seconds limits-check-load.txt "gateway limit script round trip at $AR/s each"
fi
stop
fi

if part overload; then
# issue 9: past capacity the platform refuses at once (503 or 429 with Retry-After) instead of answering late
OSLOTS=${BENCH_OVERLOAD_SLOTS:-8}
OTOKENS=${BENCH_OVERLOAD_MAX_TOKENS:-20}
OTPS=${BENCH_OVERLOAD_TOKENS_PER_SECOND:-20}
OTIMEOUT=${BENCH_OVERLOAD_TIMEOUT_S:-5}
# one job takes about OTOKENS/OTPS s: the worker serves OSLOTS*OTPS/OTOKENS jobs a second (at least 1 here)
CAPACITY=$((OSLOTS * OTPS / OTOKENS)); [ "$CAPACITY" -ge 1 ] || CAPACITY=1
ORATE=$((CAPACITY * ${BENCH_OVERLOAD_FACTOR:-5}))
echo "== overload: 1 simulated worker x $OSLOTS slots, jobs of about $((OTOKENS * 1000 / OTPS)) ms ($CAPACITY/s), request timeout" \
  "${OTIMEOUT} s; open loop at $ORATE/s (${BENCH_OVERLOAD_FACTOR:-5}x the rate it serves): served within the deadline or refused at once"
FIRST_MAX_TOKENS=$OTOKENS start simulated "$OSLOTS" simulated SWITCHBOARD_WORKER_SIMULATED_TIME_TO_FIRST_TOKEN=5ms \
  SWITCHBOARD_WORKER_SIMULATED_TOKENS_PER_SECOND="$OTPS" SWITCHBOARD_GATEWAY_REQUEST_TIMEOUT="${OTIMEOUT}s"
# the first overload warms the refusal path up (and lets the router learn the jobs' length); the second is measured
unmeasured --model simulated --rate "$ORATE" --duration-s 10 --connections 256 --max-tokens "$OTOKENS" --timeout-s 30
sleep $((OTIMEOUT + 1))
bench --model simulated --rate "$ORATE" --duration-s 30 --connections 256 --max-tokens "$OTOKENS" --timeout-s 30 \
  --label "overload ${BENCH_OVERLOAD_FACTOR:-5}x"
stop
fi

if part idle; then
IDLE_S=${BENCH_IDLE_SECONDS:-30}
TCK=$(getconf CLK_TCK)
stack_ticks() { # name pid ticks (utime + stime of the whole process), one line per process of the stack
  local f name pid
  for f in "$STACK_DIR"/pids/*.pid; do
    name=$(basename "$f" .pid); pid=$(cat "$f")
    [ -r "/proc/$pid/stat" ] || continue
    echo "$name $pid $(sed 's/^.*) //' "/proc/$pid/stat" | awk '{print $12 + $13}')"
  done
}
idle_start() { # [extra env...]: the idle part's stack (simulated engine, 1 worker x 64 slots)
  start simulated 64 simulated SWITCHBOARD_WORKER_SIMULATED_TIME_TO_FIRST_TOKEN=0ms \
    SWITCHBOARD_WORKER_SIMULATED_TOKENS_PER_SECOND=2000 "$@"
}
idle_stack() { # label [extra env...]: a stack of its own (nothing the other parts left behind, streams expiring in
  # Redis, usage records, is counted): started, warmed up with a few hundred requests, then left alone and measured
  local label=$1; shift
  idle_start "$@"
  bench --model simulated --concurrency 8 --requests 400 --max-tokens 8 --warmup 20 --label "$label warm-up c=8" || true
  # the warm-up's last usage records, compilations and the like settle (the JIT compilers take the longest)
  sleep "${BENCH_IDLE_SETTLE_SECONDS:-60}"
  echo "== $label: each process of the stack (simulated engine, 1 worker x 64 slots) over $IDLE_S s without requests"
  echo "   (CPU as % of one core; $CORES cores)"
  stack_ticks >"$OUT/$label-before.txt"
  local t0 t1; t0=$(date +%s%N)
  sleep "$IDLE_S"
  stack_ticks >"$OUT/$label-after.txt"
  t1=$(date +%s%N)
  while read -r name pid ticks; do
    echo "$name $pid $ticks $(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)"
  done <"$OUT/$label-after.txt" >"$OUT/$label-rss.txt"
  awk -v tck="$TCK" -v secs="$(( (t1 - t0) / 1000000 ))" -v label="$label" '
    FNR == 1 { file++ }
    file == 1 { before[$1] = $3; next }
    { name = $1; cpu = 100 * ($3 - before[name]) / tck / (secs / 1000); rss = $4 / 1024
      printf "%s %-9s (pid %7d): CPU %5.1f%% of a core, RSS %6.0f MB\n", label, name, $2, cpu, rss
      tc += cpu; tr += rss }
    END { printf "%s total    over %.1f s: CPU %5.1f%% of a core, RSS %6.0f MB\n", label, secs / 1000, tc, tr }' \
    "$OUT/$label-before.txt" "$OUT/$label-rss.txt" | tee -a "$SUMMARY"
  stop
}
idle_stack idle SWITCHBOARD_AOT_CACHE=0
# as run.sh starts the services on a JDK 25: each maps the AOT cache (classes loaded and linked, method profiles) its
# first run recorded, so it reaches compiled code sooner and compiles less later; that first run is started here, given
# load and stopped (its caches are written as it stops), unmeasured
if "$JAVA_HOME/bin/java" -XX:+PrintFlagsFinal -version 2>/dev/null | grep -q ' AOTCacheOutput '; then
  rm -rf "$OUT/run-simulated/aot"
  idle_start SWITCHBOARD_AOT_CACHE=1
  unmeasured --model simulated --concurrency 8 --requests "${BENCH_IDLE_TRAIN_REQUESTS:-2000}" --max-tokens 8 || true
  stop
  idle_stack idle-aot SWITCHBOARD_AOT_CACHE=1
else
  echo "== idle-aot: skipped (no JDK 25 AOT cache in $JAVA_HOME)"
fi
fi

if part fairness; then
echo "== fair share (simulated worker, 2 slots, 300 tok/s): weights 1 and 2, a batch flood, a critical tenant, 15 s at once"
start simulated 2 simulated SWITCHBOARD_WORKER_SIMULATED_TIME_TO_FIRST_TOKEN=5ms SWITCHBOARD_WORKER_SIMULATED_TOKENS_PER_SECOND=300
GW="http://127.0.0.1:$PORT"
ADMIN=(-H 'Authorization: Bearer sk-switchboard-admin-local' -H 'Content-Type: application/json')
key_of() { # id, tenant JSON fields
  curl -fsS "${ADMIN[@]}" -o /dev/null -d "{\"id\":\"$1\",$2}" "$GW/admin/v1/tenants"
  curl -fsS "${ADMIN[@]}" -d '{}' "$GW/admin/v1/tenants/$1/keys" | sed 's/.*"key":"\([^"]*\)".*/\1/'
}
W1=$(key_of fair-w1 '"class":"standard","weight":1'); W2=$(key_of fair-w2 '"class":"standard","weight":2')
BATCH=$(key_of fair-batch '"class":"batch"'); CRIT=$(key_of fair-critical '"class":"critical"')
bench --model simulated --concurrency 1 --requests 20 --max-tokens 3 --warmup 5 --key "$CRIT" --label "critical, unloaded"
LOADS=()
for t in w1:$W1 w2:$W2 batch:$BATCH; do
  bench --model simulated --concurrency 6 --duration-s 15 --max-tokens 20 --warmup 0 --key "${t#*:}" --label "tenant ${t%%:*}" \
    >"$OUT/fair-${t%%:*}.txt" 2>&1 &
  LOADS+=($!)
done
sleep 2
bench --model simulated --concurrency 1 --duration-s 12 --max-tokens 3 --warmup 0 --key "$CRIT" --label "critical, beside them"
wait "${LOADS[@]}"
cat "$OUT"/fair-w1.txt "$OUT"/fair-w2.txt "$OUT"/fair-batch.txt
awk '/^tenant/ && match($0, /\([0-9]+ tokens in/) { tokens[$2] = substr($0, RSTART + 1, RLENGTH - 10) }
  END { printf "token shares: weight 1 %d, weight 2 %d (ratio %.2f), batch %d (batch runs only while no standard request waits)\n", tokens["w1"], tokens["w2"],
        tokens["w2"] / (tokens["w1"] > 0 ? tokens["w1"] : 1), tokens["batch"] }' "$OUT"/fair-w1.txt "$OUT"/fair-w2.txt "$OUT"/fair-batch.txt \
  | tee -a "$SUMMARY"
# goal 1 on the real stack: the critical tenant alone, then beside a batch flood that would hold both slots all along
# (6 clients of 100-token answers, ~330 ms each): a slot held back for critical jobs keeps its time to first token
echo "== critical alone, then beside a batch flood (6 clients, 100-token answers) on the same worker"
bench --model simulated --concurrency 1 --requests 300 --max-tokens 3 --warmup 20 --key "$CRIT" --label "critical, alone"
unmeasured --model simulated --concurrency 6 --duration-s 20 --max-tokens 100 --warmup 0 --key "$BATCH" &
FLOOD=$!
sleep 2
bench --model simulated --concurrency 1 --requests 300 --max-tokens 3 --warmup 0 --key "$CRIT" \
  --label "critical, beside batch flood" || { kill "$FLOOD" 2>/dev/null; exit 1; }
wait $FLOOD
stop
fi

if part tokens; then
STPS=${BENCH_STREAM_TOKENS_PER_SECOND:-2000}
STOK=${BENCH_STREAM_MAX_TOKENS:-2048}
echo "== streamed tokens/s: simulated engine at $STPS tok/s per stream, 0 ms to first token, answers of $STOK tokens,"
echo "   1 worker x 128 slots; aggregate = completion tokens delivered to the clients / wall time"
start simulated 128 simulated SWITCHBOARD_WORKER_SIMULATED_TIME_TO_FIRST_TOKEN=0ms SWITCHBOARD_WORKER_SIMULATED_TOKENS_PER_SECOND="$STPS"
# a cold stack streams far slower than a warm one (JIT; one sequence of 1,152-request runs on this machine: 80k tokens/s
# after 10 s of this load, then 94k, 111k, 108k), so an unmeasured warm-up of BENCH_TOKENS_WARMUP_REQUESTS (1536, about 40 s) first
"$JAVA_HOME/bin/java" "$ROOT/deploy/bench/Bench.java" --url "http://127.0.0.1:$PORT" --model simulated --concurrency 128 \
  --requests "${BENCH_TOKENS_WARMUP_REQUESTS:-1536}" --max-tokens "$STOK" --warmup 2 --label "tokens warm-up c=128 (not measured)" \
  | grep -v '^ ' || true
for c in 64 128; do
  echo "   c=$c: the engine offers $((c * STPS)) tok/s"
  bench --model simulated --concurrency $c --requests $((c * 3)) --max-tokens "$STOK" --warmup 2 --label "streamed tokens c=$c" || true
done
stop
fi

if part streams; then
NSTREAMS=${BENCH_STREAMS:-10000}
# Worker slots: each running sequence holds a platform thread (its slot), which checks every 5 ms whether its job was
# cancelled, so 10,000 running sequences would take the worker alone past this machine's cores. By default a few run (they get their
# first token and then idle) and the others wait in the router's queue; both are open streams at the gateway, which
# relays each the same way (an XREAD loop on the job's stream). BENCH_STREAMS_SLOTS=$BENCH_STREAMS runs them all.
SSLOTS=${BENCH_STREAMS_SLOTS:-128}
echo "== open streams: $NSTREAMS concurrent streaming requests held open and idle: 1 worker x $SSLOTS slots whose streams"
echo "   get their first token at once and the next one 1000 s later (running); the others wait in the router's queue"
echo "   (waiting: no answer yet); the gateway's heap after a forced full GC, before and while they are open"
# the router's queue and the gateway's deadline are raised so that none is shed or timed out while they are held
FIRST_MAX_TOKENS=1 start simulated "$SSLOTS" simulated SWITCHBOARD_WORKER_SIMULATED_TIME_TO_FIRST_TOKEN=0ms \
  SWITCHBOARD_WORKER_SIMULATED_TOKENS_PER_SECOND=0.001 SWITCHBOARD_GATEWAY_REQUEST_TIMEOUT=900s \
  SWITCHBOARD_ROUTER_MAX_QUEUED_PER_TENANT=$((NSTREAMS * 2)) SWITCHBOARD_ROUTER_MAX_QUEUED_PER_MODEL=$((NSTREAMS * 2))
GW_PID=$(cat "$STACK_DIR/pids/gateway.pid")
REDIS_PORT=$(awk '$1 == "redis" {print $2}' "$STACK_DIR/endpoints")
bench --model simulated --concurrency 8 --requests 200 --max-tokens 1 --warmup 20 --label "streams warm-up (1 token)" || true
sleep 3
gw_active() { curl -fsS -m 10 "http://127.0.0.1:$PORT/q/metrics" | awk '/^switchboard_gateway_active_streams/ {printf "%.0f", $2}'; }
gw_state() { # label: the gateway's used heap after a full GC, its RSS, its Redis connections, Redis' clients, its streams
  "$JAVA_HOME/bin/jcmd" "$GW_PID" GC.run >/dev/null
  local heap rss conns clients active
  # the heap's generations (Serial: DefNew, Tenured; G1: one line), "total NK, used NK"; Metaspace has no total
  heap=$("$JAVA_HOME/bin/jcmd" "$GW_PID" GC.heap_info | grep -o 'total [0-9]*K, used [0-9]*K' \
    | awk '{ sub(/K/, "", $4); s += $4 * 1024 } END {printf "%.0f", s}')
  active=$(gw_active)
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$GW_PID/status")
  conns=$(ss -Htnp state established "( dport = :$REDIS_PORT )" 2>/dev/null | grep -c "pid=$GW_PID," || true)
  clients=$(redis-cli -p "$REDIS_PORT" INFO clients | tr -d '\r' | awk -F: '$1 == "connected_clients" {print $2}')
  echo "$1 ${heap:-0} ${rss:-0} ${conns:-0} ${clients:-0} ${active:-0}"
}
gw_state before >"$OUT/streams-state.txt"
rm -f "$OUT/streams.stop"
"$JAVA_HOME/bin/java" "$ROOT/deploy/bench/Bench.java" --url "http://127.0.0.1:$PORT" --model simulated --streams "$NSTREAMS" \
  --open-rate "${BENCH_STREAMS_OPEN_RATE:-250}" --open-timeout-s "${BENCH_STREAMS_OPEN_TIMEOUT_S:-180}" --hold-s 900 \
  --expect-running "$SSLOTS" \
  --stop-file "$OUT/streams.stop" --label "open streams" >"$OUT/streams.txt" 2>&1 &
SPID=$!
trap 'kill $SPID 2>/dev/null || true; stop' EXIT
until grep -q '^streams ready:' "$OUT/streams.txt" 2>/dev/null || ! kill -0 $SPID 2>/dev/null; do sleep 1; done
cat "$OUT/streams.txt"
# the gateway may still be admitting what was sent last: wait until its count of streams stops growing (up to 60 s)
prev=-1
for _ in $(seq 20); do
  now=$(gw_active || true); now=${now:-0}
  [ "$now" -le "$prev" ] && break
  prev=$now; sleep 3
done
gw_state during >>"$OUT/streams-state.txt"
touch "$OUT/streams.stop"
wait $SPID || true
trap stop EXIT
grep -v '^  streams:' "$OUT/streams.txt" | grep -v '^streams ready:' | tee -a "$SUMMARY"
# per open stream: the heap's growth over the streams the gateway was relaying then (its own gauge)
awk '
  $1 == "before" { h0 = $2; r0 = $3; c0 = $4; k0 = $5; a0 = $6 }
  $1 == "during" { h1 = $2; r1 = $3; c1 = $4; k1 = $5; a1 = $6 }
  END {
    printf "streams: gateway heap after a full GC %.1f MB before, %.1f MB while relaying %d streams: %.1f KB per open stream\n",
      h0 / 1048576, h1 / 1048576, a1, (a1 > 0 ? (h1 - h0) / 1024 / a1 : 0)
    printf "streams: gateway RSS %.0f MB before, %.0f MB while open (%.1f KB per open stream)\n", r0 / 1024, r1 / 1024,
      (a1 > 0 ? (r1 - r0) / a1 : 0)
    printf "streams: gateway Redis connections %d before, %d while open; Redis connected_clients (all services) %d before, %d while open\n",
      c0, c1, k0, k1 }' "$OUT/streams-state.txt" | tee -a "$SUMMARY"
stop
fi

if part choices; then
# issue 7: a job of n choices takes n slots and streams them all; the load they make, beside jobs of one choice
CSLOTS=${BENCH_CHOICES_SLOTS:-32}
CTPS=${BENCH_CHOICES_TOKENS_PER_SECOND:-500}
echo "== choices: jobs of n choices, 8 streams closed loop, 64 tokens per choice, 1 worker x $CSLOTS slots of $CTPS tok/s each"
start simulated "$CSLOTS" simulated SWITCHBOARD_WORKER_SIMULATED_TIME_TO_FIRST_TOKEN=0ms \
  SWITCHBOARD_WORKER_SIMULATED_TOKENS_PER_SECOND="$CTPS"
unmeasured --model simulated --concurrency 8 --duration-s "${BENCH_CHOICES_WARMUP_SECONDS:-30}" --max-tokens 64 --n 4 || true
for n in 1 2 4 8; do
  bench --model simulated --concurrency 8 --requests $((REQUESTS * 2)) --max-tokens 64 --warmup 0 --n "$n" \
    --label "choices n=$n c=8" || true
done
stop
fi

LLAMA_SERVER=${BENCH_LLAMA_SERVER:-$ROOT/../shared/engines/llama-server/llama-server}
if part engines && [ ! -x "$LLAMA_SERVER" ]; then
  echo "== engines: skipped ($LLAMA_SERVER is not an executable llama-server; set BENCH_LLAMA_SERVER)"
elif part engines; then
ESLOTS=8
CTX=${BENCH_CTX_PER_SLOT:-2048}
ETOK=${BENCH_ENGINE_MAX_TOKENS:-64}
# the managed engine's default threads (cores - 1, leaving one to the worker), the same for the engine alone
ETHREADS=${BENCH_ENGINE_THREADS:-$(( $(nproc) > 1 ? $(nproc) - 1 : 1 ))}
# 192 answers a row (3 to 15 s here): rows of 48 (1 to 4 s) moved by up to 29 points between runs
EREQ=${BENCH_ENGINE_REQUESTS:-192}
# each side is measured warm: an unmeasured closed loop of 8 streams for EWARM s first. The services' JIT compilers
# take minutes of load on 2 cores: through llama-server at 4 streams, their compiler threads took 45% of a core in
# the first 30 s, 11 to 15% after one to two minutes and 5 to 10% after three, and the services' own CPU at the same
# load fell by more than half meanwhile (a minute of warm-up left much of both in the measured rows); llama-server
# gets the same, so both sides are measured alike
EWARM=${BENCH_ENGINE_WARMUP_SECONDS:-180}
engine_warmup() { # url [model]
  echo "   warm-up: 8 streams for $EWARM s, not measured"
  "$JAVA_HOME/bin/java" "$ROOT/deploy/bench/Bench.java" --url "$1" --model "${2:-$MODEL_ID}" --concurrency 8 --duration-s "$EWARM" \
    --max-tokens "$ETOK" --fresh-connections true --label "engine warm-up" >/dev/null || true
}
echo "== engines: llama-server alone vs Switchboard in front of it (managed engine) vs the in-process binding"
echo "   model $MODEL_ID, $ESLOTS slots x $CTX context, $ETHREADS llama.cpp threads, $ETOK tokens per answer, $(nproc) cores, everything on this machine"
LS_PORT=$(switchboard_free_port 18290)
"$LLAMA_SERVER" -m "$MODEL" -np $ESLOTS -c $((ESLOTS * CTX)) -t "$ETHREADS" --host 127.0.0.1 --port "$LS_PORT" --jinja \
  >"$OUT/llama-server.out" 2>&1 &
LS_PID=$!
trap 'kill -KILL $LS_PID 2>/dev/null || true; stop' EXIT
for _ in $(seq 300); do curl -fsS "http://127.0.0.1:$LS_PORT/health" >/dev/null 2>&1 && break; sleep 0.1; done
engine_warmup "http://127.0.0.1:$LS_PORT"
for c in 1 4 8; do
  "$JAVA_HOME/bin/java" "$ROOT/deploy/bench/Bench.java" --url "http://127.0.0.1:$LS_PORT" --model "$MODEL_ID" --concurrency $c \
    --requests "$EREQ" --max-tokens "$ETOK" --warmup 4 --fresh-connections true --label "engine alone c=$c" \
    | tee -a "$OUT/engines.txt" "$SUMMARY" || true
done
kill -KILL $LS_PID 2>/dev/null || true; wait $LS_PID 2>/dev/null || true
trap stop EXIT
start llama-server $ESLOTS "$MODEL_ID" SWITCHBOARD_LLAMA_SERVER="$LLAMA_SERVER" SWITCHBOARD_WORKER_LLAMA_CTX_PER_SLOT="$CTX" \
  SWITCHBOARD_WORKER_LLAMA_THREADS="$ETHREADS"
engine_warmup "http://127.0.0.1:$PORT"
for c in 1 4 8; do
  bench --model "$MODEL_ID" --concurrency $c --requests "$EREQ" --max-tokens "$ETOK" --warmup 4 --fresh-connections true \
    --label "switchboard+llama-server c=$c" | tee -a "$OUT/engines.txt" || true
done
stop
start llama $ESLOTS "$MODEL_ID" SWITCHBOARD_WORKER_LLAMA_CTX_PER_SLOT="$CTX" SWITCHBOARD_WORKER_LLAMA_THREADS="$ETHREADS"
engine_warmup "http://127.0.0.1:$PORT"
for c in 1 4 8; do
  bench --model "$MODEL_ID" --concurrency $c --requests "$EREQ" --max-tokens "$ETOK" --warmup 4 --fresh-connections true \
    --label "switchboard+in-process c=$c" | tee -a "$OUT/engines.txt" || true
done
stop
# the platform's own time to first token with the same requests (the issue's bound is it + 1 ms over the engine's):
# the simulated engine at 0 ms to first token, streaming at the engine's own rate (its per-stream p50 alone at 1
# stream), so the platform carries as many tokens as with the engine; warmed up the same way
EPACE=$(awk '/^engine alone c=1 / { match($0, /per-stream tok\/s p50=[0-9]+/); print substr($0, RSTART + 21, RLENGTH - 21) }' \
  "$OUT/engines.txt"); EPACE=${EPACE:-1000}
start simulated $ESLOTS simulated SWITCHBOARD_WORKER_SIMULATED_TIME_TO_FIRST_TOKEN=0ms \
  SWITCHBOARD_WORKER_SIMULATED_TOKENS_PER_SECOND="$EPACE"
engine_warmup "http://127.0.0.1:$PORT" simulated
for c in 1 4 8; do
  bench --model simulated --concurrency $c --requests "$EREQ" --max-tokens "$ETOK" --warmup 4 --fresh-connections true \
    --label "switchboard+simulated c=$c" | tee -a "$OUT/engines.txt" || true
done
stop
awk '/^(engine|switchboard)/ { label = $1; for (i = 1; i <= NF; i++) { if ($i ~ /^c=/) c = $i }
       match($0, /ttft_ms p50=[0-9.]+/); ttft = substr($0, RSTART + 12, RLENGTH - 12)
       match($0, /aggregate tok\/s=[0-9.]+/); tps = substr($0, RSTART + 16, RLENGTH - 16)
       key = label " " c; T[key] = ttft; R[key] = tps }
  END { printf "%-4s | %-28s | %-40s | %-28s | %s\n", "c", "llama-server alone", "Switchboard + llama-server (target: 90%, +platform+1 ms)",
          "Switchboard in-process", "platform alone (simulated, 0 ms)"
        for (n = 1; n <= 8; n *= 2) { if (n == 2) continue; c = "c=" n
          e = "engine " c; s = "switchboard+llama-server " c; b = "switchboard+in-process " c; p = "switchboard+simulated " c
          printf "%-4s | %7s tok/s, ttft %6s ms | %7s tok/s (%3.0f%%), +%6.2f ms (%s, %s) | %7s tok/s (%3.0f%%), +%6.2f ms | ttft %6s ms\n", n,
            R[e], T[e], R[s], 100 * R[s] / R[e], T[s] - T[e], R[s] + 0 >= 0.9 * R[e] ? "met" : "missed",
            T[s] - T[e] <= T[p] + 1 ? "met" : "missed", R[b], 100 * R[b] / R[e], T[b] - T[e], T[p] } }' "$OUT/engines.txt" \
  | tee "$OUT/engines-table.txt"
sed 's/^/engines /' "$OUT/engines-table.txt" >>"$SUMMARY"
fi

echo
echo "== summary: every figure of this run, one per line ($CORES cores; times in ms)"
grep -v '^ ' "$SUMMARY" | grep -v -e '^streams ready:' -e 'warm-up'
