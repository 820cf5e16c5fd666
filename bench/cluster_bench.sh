#!/bin/sh
# Cluster index build, side by side in one run: rbmap's supercluster port (C) and
# supercluster (npm, Node) on the same uniform random world points, without and with
# aggregates (rbmap: population + status + field type counters; supercluster: the same
# through map/reduce). Times are CPU times of the build (the machine may be shared) and
# wall times (rbmap's build uses a second thread when the level is large enough);
# memory is peak RSS and bytes per point (rbmap: the index itself; supercluster: RSS
# growth over load()). rbmap's main-thread CPU time is the build's serial path: a lower
# bound of its wall time with the second core free (it leaves out the main thread's
# waits for the worker); on a loaded machine the wall time is longer.
# Prints one JSON line per run, then one table with ratios.
#   sh bench/cluster_bench.sh [--quick] [N ...]     (default 100000 1000000; --quick: 100000)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
sizes="100000 1000000"
if [ "${1:-}" = "--quick" ]; then
  sizes=100000
  shift
fi
[ $# -gt 0 ] && sizes=$*
make -s -j2 build/rbmap >&2
mkdir -p build/bench
vars=$(make -s -p -n 2>/dev/null)
LDLIBS=$(echo "$vars" | grep '^LDLIBS *:=' | head -1 | sed 's/^LDLIBS *:= *//')
CFLAGS=$(echo "$vars" | grep '^CFLAGS_BASE *:=' | head -1 | sed 's/^CFLAGS_BASE *:= *//')
# shellcheck disable=SC2086
cc -O2 $CFLAGS bench/cluster_bench.c $(find build/obj -name '*.o' ! -path build/obj/server/main.o) \
  -o build/bench/cluster_bench $LDLIBS
node_ok=0
if command -v node >/dev/null && [ -d tests/js/node_modules/supercluster ]; then
  node_ok=1
else
  echo "node or tests/js/node_modules/supercluster missing: rbmap only" >&2
fi
out=build/bench/cluster_bench.jsonl
: > "$out"
for n in $sizes; do
  for agg in 0 1; do
    build/bench/cluster_bench "$n" "$agg" | tee -a "$out"
    if [ $node_ok = 1 ]; then
      node --max-old-space-size=8192 tests/js/cluster_bench.mjs "$n" "$agg" | tee -a "$out"
    fi
  done
done
/usr/bin/python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
ours = {(r["points"], r["aggregates"]): r for r in rows if r["impl"] == "rbmap"}
theirs = {(r["points"], r["aggregates"]): r for r in rows if r["impl"] == "supercluster"}
ratio = lambda a, b: f"{a / b:.1f}x" if a and b else "-"
print()
print("| points | aggregates | build CPU s rbmap / supercluster | CPU speed-up | build wall s rbmap / supercluster "
      "| wall speed-up | rbmap main-thread CPU s | supercluster CPU / rbmap main-thread CPU | peak RSS MB rbmap / supercluster | bytes/point rbmap / supercluster | slowest cluster tile ms (zoom) |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for key in sorted(ours):
    o, t = ours[key], theirs.get(key, {})
    print(f"| {key[0]:,} | {'yes' if key[1] else 'no'} | {o['build_cpu_s']:.2f} / {t.get('build_cpu_s', '-')} "
          f"| {ratio(t.get('build_cpu_s'), o['build_cpu_s'])} | {o['build_wall_s']:.2f} / {t.get('build_wall_s', '-')} "
          f"| {ratio(t.get('build_wall_s'), o['build_wall_s'])} | {o['build_main_thread_cpu_s']:.2f} "
          f"| {ratio(t.get('build_cpu_s'), o['build_main_thread_cpu_s'])} | {o['peak_rss_mb']:.0f} / {t.get('peak_rss_mb', '-')} "
          f"| {o['bytes_per_point']:.0f} / {t.get('bytes_per_point', '-')} | {o['tile_max_ms']:.2f} (z{o['tile_max_zoom']}) |")
PY
