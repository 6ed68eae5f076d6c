#!/usr/bin/env bash
# Reruns every figure of the README's "Measured" table, side by side in one run, on this machine:
#   1. time from deploy/local/run.sh to the first answer (services already built, model on disk)
#   2. TTFT and tokens/s for 1 and 8 concurrent streams, llama.cpp worker (8 slots), tiny model
#   3. the platform's own time to first token: the same path with the simulated engine set to a
#      0 ms time to first token, so everything measured is gateway + Kafka + router + worker + Redis,
#      and (Hops.java) how it splits between the hops
#   4. what authentication plus tenant limits add to a request: a tenant without limits and one with every
#      counted limit set (high enough never to refuse), alternated, both as time to first token at the client
#      and as the gateway's own admission timer (switchboard_gateway_admission_seconds, limits=off|on)
# Usage: deploy/bench/run.sh [path/to/model.gguf]   (default: ../shared/models/stories260K.gguf)
#   5. fair share: tenants of weights 1 and 2 (standard), a batch flood and a critical tenant on one simulated worker
#      of 2 slots, all at once for 15 s: the token shares and the critical tenant's time to first token
#   6. engines: llama.cpp's own llama-server alone, then Switchboard in front of the same llama-server build and model
#      (the managed llama-server engine), then Switchboard on the in-process binding, at 1, 4 and 8 concurrent
#      streams; prints Switchboard's tokens/s as a share of the engine's own and the added time to first token.
#      Needs BENCH_LLAMA_SERVER (default ../shared/engines/llama-server/llama-server); skipped when it is absent.
#   BENCH_PARTS=llama,platform,admission,fairness,engines (default: all) runs only those parts; BENCH_REQUESTS scales them.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$ROOT/deploy/local/lib.sh"
JAVA_HOME=$(switchboard_find_jdk); export JAVA_HOME
MODEL=${1:-$ROOT/../shared/models/stories260K.gguf}
MODEL=$(cd "$(dirname "$MODEL")" && pwd)/$(basename "$MODEL")
PORT=${BENCH_PORT:-18181}
OUT=$(mktemp -d)
REQUESTS=${BENCH_REQUESTS:-64}
[ "${BENCH_SKIP_BUILD:-0}" = 1 ] || (cd "$ROOT" && ./mvnw -B -q install -DskipTests)

RUN_PID=
start() { # engine slots model-id [extra env...]
  local engine=$1 slots=$2 model_id=$3; shift 3
  local t0; t0=$(date +%s%N)
  env "$@" SWITCHBOARD_MODEL_ID="$model_id" SWITCHBOARD_ENGINE="$engine" SWITCHBOARD_SLOTS="$slots" SWITCHBOARD_PORT=$PORT SWITCHBOARD_MODEL="$MODEL" \
    SWITCHBOARD_RUN_DIR="$OUT/run-$engine" "$ROOT/deploy/local/run.sh" >"$OUT/$engine.out" 2>&1 &
  RUN_PID=$!
  for _ in $(seq 1800); do
    grep -q 'Switchboard is serving' "$OUT/$engine.out" 2>/dev/null && break
    kill -0 $RUN_PID 2>/dev/null || { cat "$OUT/$engine.out"; exit 1; }
    sleep 0.1
  done
  local answered; answered=$(curl -fsS -H 'Authorization: Bearer sk-switchboard-local' -H 'Content-Type: application/json' \
    -d '{"model":"'"$model_id"'","messages":[{"role":"user","content":"Hi"}],"max_tokens":4}' "http://127.0.0.1:$PORT/v1/chat/completions" >/dev/null && date +%s%N)
  echo "startup ($engine): run.sh to first answer $(( (answered - t0) / 1000000 )) ms"
}
stop() { [ -n "$RUN_PID" ] || return 0; kill -TERM "$RUN_PID" 2>/dev/null || true; wait "$RUN_PID" 2>/dev/null || true; RUN_PID=; }
trap stop EXIT
bench() { "$JAVA_HOME/bin/java" "$ROOT/deploy/bench/Bench.java" --url "http://127.0.0.1:$PORT" "$@"; }

PARTS=,${BENCH_PARTS:-llama,platform,admission,fairness,engines},
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
echo "== simulated engine (0 ms TTFT, 2000 tok/s), 1 worker x 64 slots: platform overhead"
start simulated 64 simulated SWITCHBOARD_WORKER_SIMULATED_TIME_TO_FIRST_TOKEN=0ms SWITCHBOARD_WORKER_SIMULATED_TOKENS_PER_SECOND=2000
if part platform; then
bench --model simulated --concurrency 1 --requests $((REQUESTS * 4)) --max-tokens 8 --warmup 20 --label "platform c=1"
bench --model simulated --concurrency 8 --requests $((REQUESTS * 4)) --max-tokens 8 --warmup 20 --label "platform c=8"
echo "== where the platform's time to first token goes (c=1)"
KAFKA=$(grep -o 'kafka on [0-9.:]*' "$OUT/simulated.out" | awk '{print $3}')
REDIS_PORT=$(grep -o 'redis on [0-9.:]*' "$OUT/simulated.out" | awk -F: '{print $2}')
"$JAVA_HOME/bin/java" -cp "$(cat "$ROOT/deploy/kafka/target/classpath.txt")" "$ROOT/deploy/bench/Hops.java" \
  "http://127.0.0.1:$PORT" "$KAFKA" "$REDIS_PORT" 2>&1 | grep -v '^SLF4J'
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
echo "gateway admission timer (arrival to admission decision: auth, parse, validation, limits), measured rounds:"
awk -v NAME=switchboard_gateway_admission_seconds -f "$ROOT/deploy/bench/quantiles.awk" "$OUT/metrics-before.txt" "$OUT/metrics-after.txt"
echo "of which the limit script's round trip to Redis (limits on):"
awk -v NAME=switchboard_gateway_limits_check_seconds -f "$ROOT/deploy/bench/quantiles.awk" "$OUT/metrics-before.txt" "$OUT/metrics-after.txt"
fi
stop
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
awk '/^tenant/ { n = $0; sub(/.*\(/, "", n); sub(/ tokens.*/, "", n); tokens[$2] = n }
  END { printf "token shares: weight 1 %d, weight 2 %d (ratio %.2f), batch %d (batch runs only while no standard request waits)\n", tokens["w1"], tokens["w2"],
        tokens["w2"] / (tokens["w1"] > 0 ? tokens["w1"] : 1), tokens["batch"] }' "$OUT"/fair-w1.txt "$OUT"/fair-w2.txt "$OUT"/fair-batch.txt
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
EREQ=${BENCH_ENGINE_REQUESTS:-48}
echo "== engines: llama-server alone vs Switchboard in front of it (managed engine) vs the in-process binding"
echo "   model $MODEL_ID, $ESLOTS slots x $CTX context, $ETHREADS llama.cpp threads, $ETOK tokens per answer, $(nproc) cores, everything on this machine"
LS_PORT=$(switchboard_free_port 18290)
"$LLAMA_SERVER" -m "$MODEL" -np $ESLOTS -c $((ESLOTS * CTX)) -t "$ETHREADS" --host 127.0.0.1 --port "$LS_PORT" --jinja \
  >"$OUT/llama-server.out" 2>&1 &
LS_PID=$!
trap 'kill -KILL $LS_PID 2>/dev/null || true; stop' EXIT
for _ in $(seq 300); do curl -fsS "http://127.0.0.1:$LS_PORT/health" >/dev/null 2>&1 && break; sleep 0.1; done
for c in 1 4 8; do
  "$JAVA_HOME/bin/java" "$ROOT/deploy/bench/Bench.java" --url "http://127.0.0.1:$LS_PORT" --model "$MODEL_ID" --concurrency $c \
    --requests "$EREQ" --max-tokens "$ETOK" --warmup 4 --fresh-connections true --label "engine alone c=$c" \
    | tee -a "$OUT/engines.txt" || true
done
kill -KILL $LS_PID 2>/dev/null || true; wait $LS_PID 2>/dev/null || true
trap stop EXIT
start llama-server $ESLOTS "$MODEL_ID" SWITCHBOARD_LLAMA_SERVER="$LLAMA_SERVER" SWITCHBOARD_WORKER_LLAMA_CTX_PER_SLOT="$CTX" \
  SWITCHBOARD_WORKER_LLAMA_THREADS="$ETHREADS"
for c in 1 4 8; do
  bench --model "$MODEL_ID" --concurrency $c --requests "$EREQ" --max-tokens "$ETOK" --warmup 4 --fresh-connections true \
    --label "switchboard+llama-server c=$c" | tee -a "$OUT/engines.txt" || true
done
stop
start llama $ESLOTS "$MODEL_ID" SWITCHBOARD_WORKER_LLAMA_CTX_PER_SLOT="$CTX" SWITCHBOARD_WORKER_LLAMA_THREADS="$ETHREADS"
for c in 1 4 8; do
  bench --model "$MODEL_ID" --concurrency $c --requests "$EREQ" --max-tokens "$ETOK" --warmup 4 --fresh-connections true \
    --label "switchboard+in-process c=$c" | tee -a "$OUT/engines.txt" || true
done
stop
awk '/^(engine|switchboard)/ { label = $1; for (i = 1; i <= NF; i++) { if ($i ~ /^c=/) c = $i }
       match($0, /ttft_ms p50=[0-9.]+/); ttft = substr($0, RSTART + 12, RLENGTH - 12)
       match($0, /aggregate tok\/s=[0-9.]+/); tps = substr($0, RSTART + 16, RLENGTH - 16)
       key = label " " c; T[key] = ttft; R[key] = tps }
  END { printf "%-4s | %-28s | %-28s | %-28s\n", "c", "llama-server alone", "Switchboard + llama-server", "Switchboard in-process"
        for (n = 1; n <= 8; n *= 2) { if (n == 2) continue; c = "c=" n
          e = "engine " c; s = "switchboard+llama-server " c; b = "switchboard+in-process " c
          printf "%-4s | %7s tok/s, ttft %6s ms | %7s tok/s (%3.0f%%), +%6.2f ms | %7s tok/s (%3.0f%%), +%6.2f ms\n", n,
            R[e], T[e], R[s], 100 * R[s] / R[e], T[s] - T[e], R[b], 100 * R[b] / R[e], T[b] - T[e] } }' "$OUT/engines.txt"
fi
