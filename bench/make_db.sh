#!/bin/sh
# Creates (once) a benchmark database with SITES demo sites on the same PostgreSQL as the
# demo database, and reuses it afterwards: schema (rbmap migrate), territories (rbmap
# import-territories) and sites (rbmap demo-data --seed 1), each step only when missing.
#   sh bench/make_db.sh DEMO_CONNINFO DBNAME SITES
# Prints the database's connection string on stdout (everything else goes to stderr).
# The cluster is shared with other engineers' tests, which restart it: every step waits
# for PostgreSQL to answer and the whole is tried up to three times.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEMO=$1 DB=$2 SITES=$3
RBMAP="$ROOT/build/rbmap"
DATA="${RBMAP_DATA:-$ROOT/../shared/data}"
# Same server as the demo connection string (key=value or URI), another dbname.
dsn() { /usr/bin/python3 -c 'import sys, psycopg2.extensions as e; print(e.make_dsn(sys.argv[1], dbname=sys.argv[2]))' "$1" "$2"; }
CONN=$(dsn "$DEMO" "$DB")
ADMIN=$(dsn "$DEMO" postgres)
q() { psql "$1" -XtAqc "$2" 2>/dev/null; }
wait_pg() {
  i=0
  until q "$ADMIN" "SELECT 1" >/dev/null; do
    i=$((i + 1))
    [ $i -le 120 ] || { echo "bench: PostgreSQL does not answer ($ADMIN)" >&2; return 1; }
    sleep 1
  done
}

make_once() {
  wait_pg || return 1
  if [ "$(q "$ADMIN" "SELECT 1 FROM pg_database WHERE datname='$DB'")" != 1 ]; then
    echo "bench: creating database $DB" >&2
    psql "$ADMIN" -Xqc "CREATE DATABASE $DB" >&2 || return 1
  fi
  "$RBMAP" migrate --db "$CONN" >&2 || return 1
  cities=$(q "$CONN" "SELECT count(*) FROM cities WHERE geom IS NOT NULL" || echo 0)
  if [ "${cities:-0}" -lt 30000 ]; then
    echo "bench: importing territories into $DB (about a minute, once)" >&2
    "$RBMAP" import-territories --db "$CONN" --data "$DATA" >&2 || return 1
  fi
  have=$(q "$CONN" "SELECT count(*) FROM shantytowns" || echo 0)
  if [ "${have:-0}" -ne "$SITES" ]; then
    echo "bench: loading $SITES demo sites into $DB (has ${have:-0}; once; 1,000,000 take about 5 minutes)" >&2
    if [ "${have:-0}" -eq 0 ]; then
      "$RBMAP" demo-data --db "$CONN" --sites "$SITES" --seed 1 >&2 || return 1
    else
      "$RBMAP" demo-data --db "$CONN" --sites "$SITES" --seed 1 --replace >&2 || return 1
    fi
    psql "$CONN" -Xqc "VACUUM ANALYZE" >&2 || return 1
  fi
  [ "$(q "$CONN" "SELECT count(*) FROM shantytowns")" = "$SITES" ]
}

for attempt in 1 2 3; do
  if make_once; then
    echo "$CONN"
    exit 0
  fi
  echo "bench: making $DB failed (attempt $attempt of 3)" >&2
  sleep 5
done
exit 1
