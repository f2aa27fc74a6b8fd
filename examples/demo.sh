#!/usr/bin/env bash
# The zero-setup tour: build smart, start the embedded sandbox, then
# discover → login → query against it. Nothing outside this repo is needed
# (curl plays the browser, since the sandbox runs with --auto-approve).
#
# Everything is kept in a temp dir: config, and tokens in the explicit file
# store (a fresh machine may have no OS keychain; `smart login` on a desktop
# uses the keychain by default).
set -euo pipefail
cd "$(dirname "$0")/.."

# The first run compiles smart (minutes on a small machine): show cargo's
# progress rather than a silent wait.
if [ ! -x target/debug/smart ]; then
    echo "demo: building smart first (the first build takes a few minutes; later runs start at once)" >&2
fi
cargo build
smart="$PWD/target/debug/smart"
work="$(mktemp -d)"
export SMART_CONFIG="$work/config.toml" SMART_STATE_DIR="$work/state" SMART_TOKEN_STORE=file
trap 'kill "$sandbox_pid" 2>/dev/null || true; rm -rf "$work"' EXIT

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

# Start the sandbox; its first stdout line (--json) tells where it listens.
mkfifo "$work/ready"
"$smart" sandbox --port 0 --auto-approve --patients 200 --json >"$work/ready" &
sandbox_pid=$!
read -r ready <"$work/ready"
base="$(printf %s "$ready" | sed -n 's/.*"fhir_base": *"\([^"]*\)".*/\1/p')"
[ -n "$base" ] || { echo "sandbox did not start: $ready" >&2; exit 1; }

step smart discover "$base"
"$smart" discover "$base"

step smart profile add sandbox --fhir-base "$base" --client-id smart-cli
"$smart" profile add sandbox --fhir-base "$base" --client-id smart-cli

# The "browser": follow the authorize URL to the loopback redirect.
cat >"$work/browser" <<'SH'
#!/bin/sh
curl -sS -L -o /dev/null "$1" &
SH
chmod +x "$work/browser"
step smart login
BROWSER="$work/browser" "$smart" login

step smart status
"$smart" status

step smart query Patient
"$smart" query Patient --output table

step smart query Observation code=8867-4 --limit 5
"$smart" query Observation code=8867-4 --limit 5 --output table

step 'smart get Patient/$(smart status --json | jq -r .context.patient)'
"$smart" get "Patient/$("$smart" status --json | sed -n 's/.*"patient": *"\([^"]*\)".*/\1/p' | head -n1)"

step smart logout
"$smart" logout
