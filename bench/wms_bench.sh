#!/bin/sh
# WMS GetMap throughput, rbmap against MapServer 8 under FastCGI (bench/wms_bench.py).
#   sh bench/wms_bench.sh [CONNINFO] [--seconds N] [--concurrency N] [--quick]
# CONNINFO defaults to the demo cluster (scripts/pg.sh url). Builds build/rbmap first.
set -eu
cd "$(dirname "$0")/.."
db=${1:-$(sh scripts/pg.sh url)}
[ $# -gt 0 ] && shift
command -v mapserv >/dev/null || { echo "mapserv missing: apt-get install mapserver-bin cgi-mapserver" >&2; exit 1; }
make -j2 build/rbmap >/dev/null
exec /usr/bin/python3 bench/wms_bench.py --db "$db" "$@"
