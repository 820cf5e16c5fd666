#!/bin/sh
# `make bench` / `make bench-quick`: rbmap against its peers in every area, written to
# bench/RESULTS.md (see bench/README.md).
#   sh bench/all.sh CONNINFO            the full run: 4,000 and 1,000,000 sites, < 30 min
#   BENCH_QUICK=1 sh bench/all.sh CONNINFO   4,000 sites, few requests: checks the harness
# CONNINFO is the demo database (make passes `sh scripts/pg.sh url`); the benchmark
# databases are made next to it once (bench/make_db.sh) and reused.
# Knobs: BENCH_AREAS=tiles,wms,ogc,clusters,geocoder,exports (default: all),
#        BENCH_DATASETS=4k,1m (default: both; the quick run has 4k only),
#        BENCH_OUT=FILE (default bench/RESULTS.md), RBMAP_BENCH_WORKDIR (work files).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEMO=${1:-}
[ -n "$DEMO" ] || { echo "usage: sh bench/all.sh CONNINFO   (make bench passes the demo database)" >&2; exit 2; }
PY=/usr/bin/python3
WORK=${RBMAP_BENCH_WORKDIR:-${TMPDIR:-/tmp}/rbmap-suite}
mkdir -p "$WORK"
# The shared data (territories, BAN extracts) next to the checkout, or next to its parent
# folder for a git worktree in a sub-folder.
if [ -z "${RBMAP_SHARED_DATA:-}" ]; then
  for d in "$ROOT/../shared/data" "$ROOT/../../shared/data"; do
    [ -d "$d" ] && { RBMAP_SHARED_DATA=$(cd "$d" && pwd); break; }
  done
fi
export RBMAP_SHARED_DATA="${RBMAP_SHARED_DATA:-$ROOT/../shared/data}"
export RBMAP_DATA="${RBMAP_DATA:-$RBMAP_SHARED_DATA}"

# --- tools: the peers are Debian packages (scripts/deps.sh lists them) -------------------
missing=""
for tool in mapserv nginx spawn-fcgi node psql cc; do
  command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
"$PY" -c 'import psycopg2' 2>/dev/null || missing="$missing python3-psycopg2"
[ -d "$ROOT/tests/js/node_modules/supercluster" ] || missing="$missing supercluster(npm: cd tests/js && npm ci)"
[ -z "$missing" ] || { echo "bench: missing:$missing (sh scripts/deps.sh installs them)" >&2; exit 1; }

# --- build: rbmap (copied: other engineers rebuild build/rbmap meanwhile), the client ---
make -C "$ROOT" -s -j2 build/rbmap >&2
cp "$ROOT/build/rbmap" "$WORK/rbmap"
cc -O2 -std=c11 -Wall -Wextra -pthread "$ROOT/bench/tileclient.c" -o "$WORK/tileclient"

# --- databases (made once, reused) -----------------------------------------------------
db4k=$(sh "$ROOT/bench/make_db.sh" "$DEMO" rbmap_bench_4k 4000)
set -- --demo "$DEMO" --db4k "$db4k"
if [ "${BENCH_QUICK:-0}" = 1 ]; then
  set -- "$@" --quick
elif db1m=$(sh "$ROOT/bench/make_db.sh" "$DEMO" rbmap_bench_1m 1000000); then
  set -- "$@" --db1m "$db1m"
else
  echo "bench: the 1,000,000-site database could not be made (see above); 4,000 sites only" >&2
fi

exec "$PY" "$ROOT/bench/suite.py" "$@" --rbmap "$WORK/rbmap" --client "$WORK/tileclient" --work "$WORK" \
  --areas "${BENCH_AREAS:-tiles,wms,ogc,clusters,geocoder,exports}" --datasets "${BENCH_DATASETS:-4k,1m}" \
  --out "${BENCH_OUT:-$ROOT/bench/RESULTS.md}"
