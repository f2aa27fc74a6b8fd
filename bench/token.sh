#!/usr/bin/env bash
# `smart token` with a valid stored token, keychain read included (target:
# ≤ 30 ms wall). Runs inside a private D-Bus session with gnome-keyring, and
# sets the figure side by side with `secret-tool lookup` of the same item
# (the reference: one Secret Service read by the system's own tool).
#
# Needs: gnome-keyring, dbus, libsecret-tools, hyperfine, curl (Debian packages).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
for c in hyperfine secret-tool gnome-keyring-daemon dbus-run-session curl; do
  command -v "$c" >/dev/null || { echo "bench/token.sh needs $c (apt-get install hyperfine libsecret-tools gnome-keyring dbus curl)" >&2; exit 1; }
done

XDG_DATA_HOME="$(mktemp -d)" exec dbus-run-session -- bash -euo pipefail -c '
  printf %s bench | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1
  smart="$PWD/target/release/smart"
  work="$(mktemp -d)"
  export SMART_CONFIG="$work/config.toml" SMART_STATE_DIR="$work/state"
  unset SMART_TOKEN_STORE CI
  mkfifo "$work/ready"
  "$smart" sandbox --port 0 --auto-approve --json >"$work/ready" &
  sb=$!
  trap "kill $sb 2>/dev/null || true" EXIT
  read -r ready <"$work/ready"
  base="$(printf %s "$ready" | sed -n "s/.*\"fhir_base\": *\"\([^\"]*\)\".*/\1/p")"
  "$smart" profile add bench --fhir-base "$base" --client-id smart-cli >/dev/null
  printf "#!/bin/sh\ncurl -sS -L -o /dev/null \"\$1\" &\n" >"$work/browser"; chmod +x "$work/browser"
  BROWSER="$work/browser" "$smart" login >/dev/null 2>&1
  "$smart" token >/dev/null
  hyperfine -N --warmup 5 --runs 100 --export-json "$work/h.json" \
    "$smart token" "secret-tool lookup service smart username bench" >&2
  python3 - "$work/h.json" <<PY
import json, sys
r = json.load(open(sys.argv[1]))["results"]
s, ref = r[0]["mean"] * 1000, r[1]["mean"] * 1000
verdict = "ok" if s <= 30 else "MISSED"
print(f"smart token: {s:.1f} ms (target <= 30 ms: {verdict})")
print(f"secret-tool lookup: {ref:.1f} ms; ratio smart/secret-tool = {s/ref:.2f}")
PY
'
