# The viewer's assets (web/): npm packages bundled by esbuild, glyph PBFs generated from
# Debian's DejaVu Sans, all embedded into the binary as build/gen/web_embedded.c.
# Included by the Makefile right after GEN_SRC is defined (it appends to GEN_SRC, so it
# must come before OBJ_REL/OBJ_ASAN).

.DEFAULT_GOAL := all

WEB_SRC := $(wildcard web/src/*.js web/src/*.css web/*.html) web/build.mjs web/glyphs.mjs web/package-lock.json
GEN_SRC += build/gen/web_embedded.c

web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error

build/web/.stamp: $(WEB_SRC) web/node_modules/.package-lock.json
	@echo "WEB build/web"
	@rm -rf build/web && mkdir -p build/web
	@node web/build.mjs build/web
	@touch $@

build/gen/web_embedded.c: build/web/.stamp web/embed_assets.sh
	@mkdir -p $(dir $@)
	@echo "EMBED $@"
	@sh web/embed_assets.sh build/web > $@.tmp && mv $@.tmp $@
