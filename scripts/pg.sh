#!/bin/sh
# A private PostgreSQL+PostGIS cluster under var/pg, for `make run`, `make test`,
# `make demo-db`. Listens on 127.0.0.1:$RBMAP_PGPORT (default 54329) and on a unix
# socket in var/pg/run. As root, initdb refuses to run, so the cluster is owned and run
# by the unprivileged `postgres` account (created by the Debian package).
#   pg.sh start | stop | status | url | psql [args]
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PGBASE="$ROOT/var/pg"
DATA="$PGBASE/data"
RUN="$PGBASE/run"
LOG="$PGBASE/postgres.log"
PORT="${RBMAP_PGPORT:-54329}"
DBNAME="${RBMAP_PGDATABASE:-rbmap}"
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$BIN" ] || { echo "pg.sh: no PostgreSQL server found; run 'make deps'" >&2; exit 1; }

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
owner_name() { if [ "$(id -u)" -eq 0 ]; then echo postgres; else id -un; fi; }

url() { echo "host=127.0.0.1 port=$PORT dbname=$DBNAME user=$(owner_name)"; }

start() {
  mkdir -p "$PGBASE"
  if [ "$(id -u)" -eq 0 ]; then
    # postgres must be able to reach var/pg through every parent directory.
    d="$PGBASE"; while [ "$d" != "/" ]; do chmod o+x "$d" 2>/dev/null || true; d=$(dirname "$d"); done
    chown postgres "$PGBASE"
  fi
  if [ ! -f "$DATA/PG_VERSION" ]; then
    as_owner "$BIN/initdb" -D "$DATA" -A trust -U "$(owner_name)" -E UTF8 --locale=C.UTF-8 >"$PGBASE/initdb.log" 2>&1 \
      || { cat "$PGBASE/initdb.log" >&2; exit 1; }
  fi
  as_owner mkdir -p "$RUN"
  if ! as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    as_owner "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start \
      -o "-p $PORT -k $RUN -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c shared_buffers=256MB -c max_wal_size=4GB" >/dev/null \
      || { tail -20 "$LOG" >&2; exit 1; }
  fi
  if ! "$BIN/psql" -h "$RUN" -p "$PORT" -U "$(owner_name)" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$DBNAME'" | grep -q 1; then
    "$BIN/createdb" -h "$RUN" -p "$PORT" -U "$(owner_name)" "$DBNAME"
  fi
}

stop() {
  [ -f "$DATA/PG_VERSION" ] || return 0
  as_owner "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null 2>&1 || true
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) as_owner "$BIN/pg_ctl" -D "$DATA" status ;;
  url) url ;;
  psql) shift; exec "$BIN/psql" -h "$RUN" -p "$PORT" -U "$(owner_name)" -d "$DBNAME" "$@" ;;
  *) echo "usage: pg.sh start|stop|status|url|psql" >&2; exit 2 ;;
esac
