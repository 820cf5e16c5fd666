#!/bin/sh
# OGC API Features: items/s of limit=1000 pages of `sites`, rbmap against MapServer 8's
# OGC API on the same databases (see bench/ogc_bench.py). Uses the benchmark databases
# of bench/make_db.sh (rbmap_bench_4k, rbmap_bench_1m) on the demo cluster:
#   sh bench/ogc_bench.sh "$(sh scripts/pg.sh url)"
# Knobs: RBMAP_OGC_BENCH_DBS (comma list), RBMAP_OGC_BENCH_RUNS (default 3),
#        RBMAP_BENCH_MAPSERVER=0 (rbmap only).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
conninfo=${1:?usage: ogc_bench.sh CONNINFO}
command -v mapserv >/dev/null || { echo "mapserv missing: apt-get install cgi-mapserver mapserver-bin" >&2; exit 1; }
[ -x "$here/../build/rbmap" ] || make -C "$here/.." -j2
for db in $(echo "${RBMAP_OGC_BENCH_DBS:-rbmap_bench_4k,rbmap_bench_1m}" | tr ',' ' '); do
    sh "$here/make_db.sh" "$conninfo" "$db" >/dev/null 2>&1 || true
done
exec /usr/bin/python3 "$here/ogc_bench.py" "$conninfo" \
    --databases "${RBMAP_OGC_BENCH_DBS:-rbmap_bench_4k,rbmap_bench_1m}" \
    --runs "${RBMAP_OGC_BENCH_RUNS:-3}" --mapserver "${RBMAP_BENCH_MAPSERVER:-1}"
