#!/bin/sh
# Cluster index build, side by side: rbmap's supercluster port (C) and supercluster
# (npm, Node) on the same uniform random world points, 100,000 and 1,000,000, without
# and with aggregates (rbmap: population + status + field type counters; supercluster:
# the same through map/reduce). Prints one JSON line per run and a table.
#   sh bench/cluster_bench.sh [N ...]
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
make -s build/rbmap >/dev/null
mkdir -p build/bench
# shellcheck disable=SC2046
cc -std=c11 -D_GNU_SOURCE -O2 -I. bench/cluster_bench.c tiles/cluster_index.c tiles/cluster_query.c \
   tiles/cluster_kdbush.c -lm -o build/bench/cluster_bench
sizes=${*:-100000 1000000}
out=build/bench/cluster_bench.jsonl
: > "$out"
for n in $sizes; do
  for agg in 0 1; do
    build/bench/cluster_bench "$n" "$agg" | tee -a "$out"
    if command -v node >/dev/null && [ -d tests/js/node_modules/supercluster ]; then
      node --max-old-space-size=8192 tests/js/cluster_bench.mjs "$n" "$agg" | tee -a "$out"
    fi
  done
done
/usr/bin/python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print(f"{'impl':13} {'points':>9} {'agg':>4} {'build s':>8} {'peak RSS MB':>11} {'B/point':>8} {'getTile ms':>10}")
for r in rows:
    bpp = r.get("bytes_per_point", "")
    print(f"{r['impl']:13} {r['points']:>9} {str(r['aggregates'])[0]:>4} {r['build_s']:>8} {r['peak_rss_mb']:>11} "
          f"{bpp:>8} {r['tile_ms']:>10}")
PY
