#!/bin/sh
# Creates the first admin API token of a sluice deployment, once.
#
# `sluice api` refuses to listen on a non-loopback address (0.0.0.0 in a container) while no API
# token exists, and tokens are made through the API. This script breaks that circle the way the
# start-up message says: it starts `sluice api` on 127.0.0.1 inside its own container (so nothing
# else can reach it), creates an admin token, and stops the API again. When tokens exist already,
# the loopback API starts with authentication on, and the script does nothing.
#
# Needs the API's environment (SLUICE_DATABASE_URL, TEMPORAL_*, SLUICE_PAYLOAD_KEY, ...). The new
# token is written to $SLUICE_BOOTSTRAP_TOKEN_FILE (mode 600) when that is set, else to stdout.
# Runs from the image's working directory (/app): `sh deploy/bootstrap-admin-token.sh`.
set -eu

port="${SLUICE_BOOTSTRAP_PORT:-8788}"
url="http://127.0.0.1:${port}"
name="${SLUICE_BOOTSTRAP_TOKEN_NAME:-admin}"
out="${SLUICE_BOOTSTRAP_TOKEN_FILE:-}"

say() { echo "sluice bootstrap: $*" >&2; }

# Auth is decided from the stored tokens: off on loopback while there are none, on otherwise.
SLUICE_API_AUTH= node bin/sluice.js api --host 127.0.0.1 --port "$port" >&2 &
api=$!
cleanup() {
  kill "$api" 2>/dev/null || true
  wait "$api" 2>/dev/null || true
  if [ -n "$out" ]; then rm -f "$out.tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# /api/health answers 503 while Temporal is unreachable; either way its body says how auth is set:
# with auth off the whole report ("auth": "off"), with tokens on only the liveness (no "auth") to a
# caller without a token.
probe='fetch(process.argv[1]).then(r=>r.json()).then(b=>{console.log(b.auth??(b.time?"tokens":"unknown"));process.exit(0)},()=>process.exit(1))'
auth=
tries=0
while [ -z "$auth" ]; do
  if ! kill -0 "$api" 2>/dev/null; then
    say "sluice api stopped before it answered on ${url} (its error is above)"
    exit 1
  fi
  tries=$((tries + 1))
  if [ "$tries" -gt 120 ]; then
    say "sluice api did not answer on ${url} within 120 s"
    exit 1
  fi
  auth=$(node -e "$probe" "${url}/api/health" 2>/dev/null || true)
  [ -n "$auth" ] || sleep 1
done

if [ "$auth" = tokens ]; then
  say "API tokens exist already: nothing to do (create more with an admin token: sluice token create)"
  exit 0
fi
if [ "$auth" != off ]; then
  say "unexpected auth mode \"${auth}\" from ${url}/api/health"
  exit 1
fi

if [ -n "$out" ]; then
  umask 077
  node bin/sluice.js token create --url "$url" --name "$name" --role admin >"$out.tmp"
  mv "$out.tmp" "$out"
  say "admin token \"${name}\" created and written to ${out}; read it once, store it as SLUICE_TOKEN"
else
  node bin/sluice.js token create --url "$url" --name "$name" --role admin
fi
