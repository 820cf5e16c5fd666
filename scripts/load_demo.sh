#!/bin/sh
# Loads territories and the demo dataset into CONNINFO unless they are already there,
# so `make run` and `make test` can run any number of times without duplicating data.
set -eu
DB="$1"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA="${RBMAP_DATA:-$ROOT/../shared/data}"
BIN="$ROOT/build/rbmap"
count() { psql "$DB" -tAc "$1" 2>/dev/null || echo 0; }
if [ "$(count 'SELECT count(*) FROM cities')" = "0" ]; then
  "$BIN" import-territories --db "$DB" --data "$DATA"
fi
"$BIN" demo-data --db "$DB" --seed "${RBMAP_DEMO_SEED:-1}"
# The geocoder index: the BAN extracts plus every commune of the territories. Rebuilt
# when it predates the communes (format 2 marker), written aside then renamed so a
# running server keeps its mapped copy.
if [ ! -f "$ROOT/var/ban.idx" ] || [ ! -f "$ROOT/var/ban.idx.communes" ]; then
  "$BIN" import-ban --db "$DB" --output "$ROOT/var/ban.idx.new" "$DATA/addresses/ban-54084.csv" "$DATA/addresses/ban-addok-988.ndjson.gz"
  mv "$ROOT/var/ban.idx.new" "$ROOT/var/ban.idx"
  touch "$ROOT/var/ban.idx.communes"
fi
