#!/bin/sh
# The demo's configuration file, var/rbmap.conf: created once with a random HS256
# secret so that `rbmap token` works out of the box, then left alone (tokens minted
# earlier stay valid across `make run`). Prints the file's path.
#   demo_config.sh            uses the repository's var/
#   RBMAP_VAR=DIR demo_config.sh
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VAR="${RBMAP_VAR:-$ROOT/var}"
CONF="$VAR/rbmap.conf"
if [ ! -s "$CONF" ]; then
  mkdir -p "$VAR"
  # 32 random bytes as 64 hex characters; the server uses the text as the key.
  secret=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
  [ "${#secret}" -eq 64 ] || { echo "demo_config.sh: could not read /dev/urandom" >&2; exit 1; }
  tmp="$CONF.tmp.$$"
  (
    umask 077
    cat >"$tmp" <<EOF
# rbmap demo configuration, written by scripts/demo_config.sh (see rbmap.conf.example).
# Requests without a credential see the public scope; mint a token with
#   build/rbmap token --config $CONF --scope departement:93 --flags justice
default_scope = public
jwt_secret = $secret
jwt_audience = rbmap
EOF
  )
  mv "$tmp" "$CONF" # atomic: two concurrent runs never see a half-written file
fi
echo "$CONF"
