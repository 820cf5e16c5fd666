#!/bin/sh
# Tile benchmark entry point: `make bench` runs `sh bench/run.sh DEMO_CONNINFO`.
#
# Installs what it needs when missing (MapServer 8 from Debian, psycopg2, a C compiler),
# creates the benchmark databases next to the demo database the first time (4,000 and
# 1,000,000 demo sites; the 1M load takes several minutes once) and reuses them after,
# builds the HTTP load client, then runs bench/tiles_bench.py and prints its tables.
#
# Knobs (environment):
#   RBMAP_BENCH_RUNS=3         runs on the 4,000-site database (medians are printed)
#   RBMAP_BENCH_LARGE_RUNS=3   runs on the 1,000,000-site database
#   RBMAP_BENCH_LARGE_SITES=1000000, RBMAP_BENCH_SMALL_SITES=4000
#   RBMAP_BENCH_LARGE=0        skip the large database
#   RBMAP_BENCH_PEER_PER_ZOOM=2  tiles per zoom the peers get at 1M (0 = the whole list)
#   RBMAP_BENCH_MAPSERVER=0    leave MapServer out
#   RBMAP_BENCH_WORKDIR=DIR    where logs, the raw JSON and the last table go
#                              (default ${TMPDIR:-/tmp}/rbmap-bench)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEMO=${1:-}
[ -n "$DEMO" ] || { echo "usage: sh bench/run.sh CONNINFO   (make bench passes the demo database)" >&2; exit 2; }
PY=/usr/bin/python3
WORK=${RBMAP_BENCH_WORKDIR:-${TMPDIR:-/tmp}/rbmap-bench}
mkdir -p "$WORK"

# --- packages ---------------------------------------------------------------------
need=""
command -v mapserv >/dev/null 2>&1 || need="$need cgi-mapserver mapserver-bin"
command -v cc >/dev/null 2>&1 || need="$need gcc libc6-dev"
command -v psql >/dev/null 2>&1 || need="$need postgresql-client"
[ -x "$PY" ] || need="$need python3"
"$PY" -c 'import psycopg2' >/dev/null 2>&1 || need="$need python3-psycopg2"
if [ "${RBMAP_BENCH_MAPSERVER:-1}" = 0 ]; then need=$(echo "$need" | sed 's/cgi-mapserver mapserver-bin//'); fi
if [ -n "$(echo "$need" | tr -d ' ')" ]; then
  echo "bench: installing$need" >&2
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $need >&2 || {
    $SUDO apt-get update >&2 && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $need >&2; }
fi

# --- rbmap and the load client ----------------------------------------------------
[ -x "$ROOT/build/rbmap" ] || make -C "$ROOT" build/rbmap >&2
cc -O2 -std=c11 -Wall -Wextra -pthread "$ROOT/bench/tileclient.c" -o "$WORK/tileclient"

# --- databases (created once, reused) -----------------------------------------------
SMALL_SITES=${RBMAP_BENCH_SMALL_SITES:-4000}
LARGE_SITES=${RBMAP_BENCH_LARGE_SITES:-1000000}
# rbmap_bench_4k, rbmap_bench_1m, ...
dbname() { "$PY" -c 'import sys; n = int(sys.argv[1]); print("rbmap_bench_" + ("%dm" % (n // 10**6) if n % 10**6 == 0
  else "%dk" % (n // 1000) if n % 1000 == 0 else str(n)))' "$1"; }
small_db=$(sh "$ROOT/bench/make_db.sh" "$DEMO" "$(dbname "$SMALL_SITES")" "$SMALL_SITES")
datasets=$("$PY" -c 'import json,sys; print(json.dumps({"name": sys.argv[2], "db": sys.argv[1],
  "runs": int(sys.argv[3]), "per_zoom": 30}))' "$small_db" "$(dbname "$SMALL_SITES")" "${RBMAP_BENCH_RUNS:-3}")
set -- --dataset "$datasets"
if [ "${RBMAP_BENCH_LARGE:-1}" != 0 ]; then
  if large_db=$(sh "$ROOT/bench/make_db.sh" "$DEMO" "$(dbname "$LARGE_SITES")" "$LARGE_SITES"); then
    large=$("$PY" -c 'import json,sys; print(json.dumps({"name": sys.argv[2],
      "db": sys.argv[1], "runs": int(sys.argv[3]), "per_zoom": 30, "peer_per_zoom": int(sys.argv[4]),
      "peer_second_pass": False, "mapserver_c8": False}))' "$large_db" "$(dbname "$LARGE_SITES")" \
      "${RBMAP_BENCH_LARGE_RUNS:-3}" "${RBMAP_BENCH_PEER_PER_ZOOM:-2}")
    set -- "$@" --dataset "$large"
  else
    echo "bench: the $LARGE_SITES-site database could not be made (see above); measuring the small one only" >&2
  fi
fi
if [ "${RBMAP_BENCH_MAPSERVER:-1}" = 0 ]; then set -- "$@" --no-mapserver; fi
rm -rf "$WORK"/rbmap-bench-*  # the previous run's logs and mapfiles

# --- run ------------------------------------------------------------------------------
# Progress goes to stderr as it happens; the tables come at the end.
status=0
"$PY" "$ROOT/bench/tiles_bench.py" "$@" --rbmap "$ROOT/build/rbmap" --client "$WORK/tileclient" \
  --workdir "$WORK" --json "$WORK/last.json" > "$WORK/last.md" || status=$?
cat "$WORK/last.md"
[ "$status" -eq 0 ] || { echo "bench: tiles_bench.py failed ($status)" >&2; exit "$status"; }
echo "bench: tables saved to $WORK/last.md, raw measurements to $WORK/last.json" >&2
