#!/usr/bin/env bash
# Where an idle local stack spends its CPU, per thread: every thread's CPU time (utime + stime, from /proc) over
# SECONDS without requests, as % of one core, the busiest threads of each process first. Against a stack started by
# deploy/local/run.sh (e.g. SWITCHBOARD_RUN_DIR=/tmp/sb deploy/local/run.sh), left alone a few minutes first:
#   deploy/bench/idle-threads.sh /tmp/sb 60
# Threads that end during the window are not counted. Linux (/proc).
# Usage: idle-threads.sh RUN_DIR [SECONDS (60)] [THREADS PER PROCESS (8)]
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: idle-threads.sh RUN_DIR [SECONDS (60)] [THREADS PER PROCESS (8)]" >&2; exit 2; }
RUN_DIR=$1 SECS=${2:-60} TOP=${3:-8}
TCK=$(getconf CLK_TCK)
threads() { # one line per thread: process thread-id name ticks
  for f in "$RUN_DIR"/pids/*.pid; do
    name=$(basename "$f" .pid) pid=$(cat "$f")
    for t in /proc/"$pid"/task/*; do
      stat=$(cat "$t/stat" 2>/dev/null) || continue
      comm=${stat#*(}; comm=${comm%)*}; comm=${comm// /_}
      echo "$name ${t##*/} $comm $(echo "${stat##*) }" | awk '{print $12 + $13}')"
    done
  done
}
threads >"$RUN_DIR/threads-before.txt"
sleep "$SECS"
threads >"$RUN_DIR/threads-after.txt"
awk -v tck="$TCK" -v secs="$SECS" -v top="$TOP" 'FNR == NR { before[$1 " " $2] = $4; next }
  { d = $4 - before[$1 " " $2]; total[$1] += d; if (d > 0) { n[$1]++; row[$1, n[$1]] = d; who[$1, n[$1]] = $3 } }
  END {
    for (p in total) {
      line = sprintf("%-9s %5.2f%% of a core:", p, total[p] * 100 / tck / secs)
      for (k = 1; k <= top && k <= n[p]; k++) { # the busiest first (selection, n is small)
        best = 0
        for (i = 1; i <= n[p]; i++) if (!(p SUBSEP i in used) && (best == 0 || row[p, i] > row[p, best])) best = i
        if (best == 0) break
        used[p, best] = 1
        line = line sprintf(" %s %.2f", who[p, best], row[p, best] * 100 / tck / secs)
      }
      print line; sum += total[p]
    }
    printf "%-9s %5.2f%% of a core\n", "total", sum * 100 / tck / secs
  }' "$RUN_DIR/threads-before.txt" "$RUN_DIR/threads-after.txt"
