# Quantiles of Prometheus histograms over a time span: reads two scrapes of /q/metrics (before, after) and, for
# every histogram series whose name matches NAME (and labels other than le), prints p50 and p99 in ms of the
# observations made between the scrapes, interpolating linearly within buckets as histogram_quantile does.
# Usage: awk -v NAME=switchboard_gateway_admission_seconds -f quantiles.awk before.txt after.txt
FNR == 1 { file++ }
$1 ~ ("^" NAME "_bucket\\{") {
  series = $1; le = series; sub(/.*le="/, "", le); sub(/".*/, "", le)
  key = series; sub(/,?le="[^"]*"/, "", key); sub(/^[^{]*/, "", key)
  count[file, key, le] = $2; les[key, le] = le; keys[key] = 1
}
END {
  for (key in keys) {
    n = 0
    for (kl in les) { split(kl, p, SUBSEP); if (p[1] == key) { b[++n] = (p[2] == "+Inf" ? 1e300 : p[2] + 0) } }
    asort(b, sorted, "@val_num_asc")
    total = delta(key, sorted[n], n)
    if (total <= 0) { printf "%s no observations\n", key; continue }
    printf "%s n=%d p50=%.3f ms p99=%.3f ms\n", key, total, q(key, 0.5, total, n) * 1000, q(key, 0.99, total, n) * 1000
  }
}
function label(v) { return v >= 1e300 ? "+Inf" : sprintf("%s", v) }
function delta(key, v, n,   l) { l = find(key, v); return count[2, key, l] - count[1, key, l] }
function find(key, v,   kl, p) { for (kl in les) { split(kl, p, SUBSEP); if (p[1] == key && (p[2] == "+Inf" ? 1e300 : p[2] + 0) == v) return p[2] } }
function q(key, phi, total, n,   i, rank, prev, prevc, c) {
  rank = phi * total; prev = 0; prevc = 0
  for (i = 1; i <= n; i++) {
    c = delta(key, sorted[i], n)
    if (c >= rank) { if (sorted[i] >= 1e300) return prev; return prev + (sorted[i] - prev) * (rank - prevc) / (c - prevc) }
    prev = sorted[i]; prevc = c
  }
  return prev
}
