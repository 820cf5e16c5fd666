#!/bin/sh
# Installs the Debian packages rbmap needs, only those missing; sudo when not root.
set -eu
PACKAGES="build-essential pkg-config xxd clang libclang-rt-14-dev
 postgresql postgresql-contrib postgresql-15-postgis-3 postgis libpq-dev
 libproj-dev proj-bin proj-data libgdal-dev gdal-bin libgeos-dev
 libmicrohttpd-dev libjansson-dev zlib1g-dev libprotobuf-c-dev protobuf-c-compiler
 libcairo2-dev libpng-dev libjwt-dev libssl-dev
 python3-pytest python3-psycopg2 python3-gdal python3-owslib curl"
missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
