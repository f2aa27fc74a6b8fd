#!/usr/bin/env bash
# A CI job that reads FHIR data with no person, no browser, no keychain and
# no config file: SMART Backend Services (client_credentials with a signed
# client assertion), configured from the environment.
#
#   1. smart keys generate      a P-384 key pair; the public JWKS on stdout
#   2. smart register           RFC 7591 dynamic registration of a backend client
#   3. smart query Patient      authenticated search, piped to jq
#
# Against a real server, steps 1 and 2 happen once (the key is kept as a CI
# secret, the client id as a variable) and the job is only step 3 with
# SMART_FHIR_BASE, SMART_CLIENT_ID and SMART_PRIVATE_KEY set. Here the
# embedded sandbox stands in for the server so the script runs anywhere.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --quiet
smart="$PWD/target/debug/smart"
work="$(mktemp -d)"
trap 'kill "$sandbox_pid" 2>/dev/null || true; rm -rf "$work"' EXIT

# What a CI runner looks like: CI set, nothing in HOME, no session bus.
export CI=true HOME="$work/home" DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent
unset SMART_PROFILE SMART_CONFIG XDG_CONFIG_HOME XDG_STATE_HOME
mkdir -p "$HOME"

mkfifo "$work/ready"
"$smart" sandbox --port 0 --json >"$work/ready" &
sandbox_pid=$!
read -r ready <"$work/ready"
export SMART_FHIR_BASE="$(jq -r .fhir_base <<<"$ready")"

echo "== 1. a key pair (private key 0600, public JWKS printed)" >&2
"$smart" keys generate --alg ES384 --out "$work/keys" | jq -c '.keys[] | {kid, alg, use}'

echo "== 2. register a backend client; it is saved as profile ci-bot" >&2
# Registration writes a profile, so this one step uses a config file.
SMART_CONFIG="$work/config.toml" SMART_TOKEN_STORE=none \
  "$smart" -p ci-bot register --private-key "$work/keys/smart.key.pem" --scope 'system/*.rs'
client_id="$(SMART_CONFIG="$work/config.toml" "$smart" profile show ci-bot --json | jq -r .client_id)"

echo "== 3. the job itself: configuration from the environment only" >&2
export SMART_CLIENT_ID="$client_id"
export SMART_PRIVATE_KEY="$(cat "$work/keys/smart.key.pem")"  # a CI secret, in practice
export SMART_SCOPE='system/*.rs'
export SMART_TOKEN_STORE=none                                  # nothing kept between steps

"$smart" query Patient --limit 5 --output ndjson \
  | jq -r '[.id, (.name[0].family // "?"), (.birthDate // "?")] | @tsv'
