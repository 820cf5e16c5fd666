# rbmap build. `make` builds build/rbmap; `make run` and `make test` do the whole
# set-up (packages, private PostGIS under var/, schema, territories, demo data).

CC      ?= cc
PKGS    := libpq proj gdal libmicrohttpd jansson zlib libprotobuf-c geos libcrypto sqlite3 cairo libpng libjpeg libdeflate
CFLAGS_BASE := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wvla -I. -Ibuild/gen \
               $(shell pkg-config --cflags $(PKGS) 2>/dev/null) -I$(shell pg_config --includedir 2>/dev/null)
LDLIBS  := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm

RELEASE_FLAGS := -O2 -g
ASAN_FLAGS    := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined

MODULES := util geo db tiles styles ogc wms export server
SRC     := $(foreach m,$(MODULES),$(wildcard $(m)/*.c))
LIB_SRC := $(filter-out server/main.c,$(SRC))
MIGRATIONS := $(sort $(wildcard db/migrations/*.sql))
PROTOS  := $(wildcard tiles/*.proto)
PROTO_SRC := $(patsubst %.proto,build/gen/%.pb-c.c,$(PROTOS))
GEN_SRC := build/gen/migrations_embedded.c $(PROTO_SRC)
include web/web.mk
UNIT_TESTS := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c))

OBJ_REL  := $(patsubst %.c,build/obj/%.o,$(LIB_SRC) $(GEN_SRC))
OBJ_ASAN := $(patsubst %.c,build/asan-obj/%.o,$(LIB_SRC) $(GEN_SRC))

PG_SH := scripts/pg.sh

.PHONY: all asan deps db demo-db run test test-unit test-integration clean distclean bench bench-quick bench-tiles
all: build/rbmap

build/gen/migrations_embedded.c: $(MIGRATIONS) scripts/embed_migrations.sh
	@mkdir -p $(dir $@)
	sh scripts/embed_migrations.sh $(MIGRATIONS) > $@

# Generated protobuf-c code (build/gen/tiles/x.pb-c.h, included as "tiles/x.pb-c.h").
build/gen/%.pb-c.c build/gen/%.pb-c.h: %.proto
	@mkdir -p build/gen
	@echo "PROTOC $<"
	@protoc-c --c_out=build/gen $<

# Every object may include generated headers.
$(patsubst %.c,build/obj/%.o,$(LIB_SRC) server/main.c) $(patsubst %.c,build/asan-obj/%.o,$(LIB_SRC) server/main.c): | $(PROTO_SRC)

build/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "CC $<"
	@$(CC) $(CFLAGS_BASE) $(RELEASE_FLAGS) -MMD -MP -c $< -o $@
build/asan-obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "CC (asan) $<"
	@$(CC) $(CFLAGS_BASE) $(ASAN_FLAGS) -MMD -MP -c $< -o $@

build/rbmap: $(OBJ_REL) build/obj/server/main.o
	@echo "LD $@"
	@$(CC) $(RELEASE_FLAGS) $^ -o $@ $(LDLIBS)
build/asan/rbmap: $(OBJ_ASAN) build/asan-obj/server/main.o
	@mkdir -p $(dir $@)
	@echo "LD $@"
	@$(CC) $(ASAN_FLAGS) $^ -o $@ $(LDLIBS)
build/asan/tests/%: tests/unit/%.c tests/unit/unit.h $(OBJ_ASAN)
	@mkdir -p $(dir $@)
	@echo "LD $@"
	@$(CC) $(CFLAGS_BASE) $(ASAN_FLAGS) $< $(OBJ_ASAN) -o $@ $(LDLIBS)

asan: build/asan/rbmap $(addprefix build/asan/tests/,$(UNIT_TESTS))

# Installs the Debian packages that are missing (sudo when not root).
deps:
	@sh scripts/deps.sh

# Private PostgreSQL+PostGIS cluster under var/ with schema, territories and demo data.
db: deps build/rbmap
	@sh $(PG_SH) start
	@./build/rbmap migrate --db "$$(sh $(PG_SH) url)"
	@sh scripts/load_demo.sh "$$(sh $(PG_SH) url)"

demo-db: db
	@sh scripts/demo_config.sh >/dev/null
	@sh $(PG_SH) url

# The demo configuration (var/rbmap.conf) holds a generated token secret, so that
# `./build/rbmap token --config var/rbmap.conf --scope national` works out of the box.
run: db
	RBMAP_CONFIG="$$(sh scripts/demo_config.sh)" RBMAP_DB="$$(sh $(PG_SH) url)" RBMAP_GEOCODER_INDEX=$(CURDIR)/var/ban.idx ./build/rbmap serve $(if $(RBMAP_LISTEN),,--listen 127.0.0.1:8080)

test: db asan
	@sh scripts/run_tests.sh "$$(sh $(PG_SH) url)"

test-unit: asan
	@sh scripts/run_tests.sh --unit-only

# make bench: every area against its peers into bench/RESULTS.md (bench/all.sh, < 30 min);
# make bench-quick: the same at 4,000 sites with few requests (checks the harness);
# make bench-tiles: the detailed tile benchmark alone (bench/run.sh).
bench: db
	@sh bench/all.sh "$$(sh $(PG_SH) url)"
bench-quick: db
	@BENCH_QUICK=1 sh bench/all.sh "$$(sh $(PG_SH) url)"
bench-tiles: db
	@sh bench/run.sh "$$(sh $(PG_SH) url)"

clean:
	rm -rf build
distclean: clean
	-sh $(PG_SH) stop
	rm -rf var

include fuzz/fuzz.mk

-include $(shell find build -name '*.d' 2>/dev/null)
