#!/bin/sh
# Installs the Debian packages rbmap needs, only those missing; sudo when not root.
set -eu
PACKAGES="build-essential pkg-config xxd clang libclang-rt-14-dev
 postgresql postgresql-contrib postgresql-15-postgis-3 postgis libpq-dev
 libproj-dev proj-bin proj-data libgdal-dev gdal-bin libgeos-dev
 libmicrohttpd-dev libjansson-dev zlib1g-dev libprotobuf-c-dev protobuf-c-compiler
 libcairo2-dev libpng-dev libjpeg-dev libjwt-dev libssl-dev
 libsqlite3-dev sqlite3
 python3-pytest python3-psycopg2 python3-gdal python3-owslib curl
 python3-qgis qgis-providers chromium sqlmap nginx-light mapserver-bin cgi-mapserver libfcgi-bin spawn-fcgi
 libxml2-utils wrk fonts-dejavu-core libdeflate-dev valgrind"
missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
fi

# Node.js ships with the machine image; install Debian's when it is absent.
if ! command -v npm >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm
fi

# JavaScript test peers (@mapbox/vector-tile, mvt-fixtures, supercluster, ...).
if [ -f "$(dirname "$0")/../tests/js/package.json" ]; then
  (cd "$(dirname "$0")/../tests/js" && { [ -d node_modules ] || npm install --no-audit --no-fund --loglevel=error; })
fi

# The viewer's packages (maplibre-gl, ol, proj4, esbuild) and its browser judges
# (playwright-core, the MapLibre style-spec validator); the build bundles them.
if [ -f "$(dirname "$0")/../web/package.json" ]; then
  (cd "$(dirname "$0")/../web" && { [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error; })
fi
