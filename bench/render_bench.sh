#!/bin/sh
# Builds bench/render_bench.c against the release objects and runs it over the tile list
# of bench/tile_list.py:   sh bench/render_bench.sh [SITES] [REPEATS]
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
make -s -j2 build/rbmap >&2
mkdir -p build/bench
vars=$(make -s -p -n 2>/dev/null)
LDLIBS=$(echo "$vars" | grep '^LDLIBS *:=' | head -1 | sed 's/^LDLIBS *:= *//')
CFLAGS=$(echo "$vars" | grep '^CFLAGS_BASE *:=' | head -1 | sed 's/^CFLAGS_BASE *:= *//')
# shellcheck disable=SC2086
cc -O2 $CFLAGS bench/render_bench.c $(find build/obj -name '*.o' ! -path build/obj/server/main.o) \
  -o build/bench/render_bench $LDLIBS
/usr/bin/python3 bench/tile_list.py | build/bench/render_bench "${1:-1000000}" "${2:-1}"
