#!/usr/bin/env bash
# How long `smart check` takes against `smart sandbox --auto-approve`, in its
# default settings (an export job takes 2 s there, as it did when the target
# was set). Two runs make the whole check of the sandbox:
#   1. as a public client (discovery, authorize, token, FHIR, revocation...),
#      side by side with the time curl takes for the same number of HTTP
#      exchanges one after the other ("checks cost N x the bare requests");
#   2. as a backend client (`-p bot`: backend services and the `bulk` group,
#      Bulk Data export at the levels the CapabilityStatement declares).
# Target (issue 18): the two together under 10 s.
#
# Usage: bench/check.sh            Needs: hyperfine, curl, python3
#        SMART_BIN=path            uses a binary already built (else a release build)
set -euo pipefail
cd "$(dirname "$0")/.."
for c in hyperfine curl python3; do
  command -v "$c" >/dev/null || { echo "bench/check.sh needs $c" >&2; exit 1; }
done
if [ -n "${SMART_BIN:-}" ]; then
  smart="$SMART_BIN"
else
  cargo build --release --quiet
  smart=target/release/smart
fi
work="$(mktemp -d)"
cleanup() { [ -n "${sb:-}" ] && kill "$sb" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

export SMART_CONFIG="$work/config.toml" SMART_STATE_DIR="$work/state" SMART_TOKEN_STORE=file
export XDG_CONFIG_HOME="$work/config" XDG_STATE_HOME="$work/state"
unset SMART_PROFILE SMART_FHIR_BASE SMART_ACCESS_TOKEN CI

"$smart" sandbox --auto-approve --port 0 --json >"$work/sb.json" 2>/dev/null &
sb=$!
for _ in $(seq 50); do [ -s "$work/sb.json" ] && break; sleep 0.1; done
base=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["fhir_base"])' "$work/sb.json")

# The backend client: its own key, registered with the sandbox.
"$smart" -p bot keys generate --alg RS384 --out "$work/keys" >/dev/null 2>&1
"$smart" -p bot register --fhir-base "$base" --private-key "$work/keys/bot.key.pem" \
  --scope 'system/*.rs' >/dev/null

public="$smart check $base --client-id smart-cli --other-patient p000002"
backend="$smart -p bot check"
# One run of each first: both must pass, or the times mean nothing.
$public --transcript "$work/t.txt" >/dev/null || { echo "public check failed" >&2; $public; exit 1; }
$backend --json >"$work/backend.json" || { echo "backend check failed" >&2; $backend; exit 1; }
python3 - "$work/backend.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
bulk = [c for c in r["results"] if c["id"].startswith("bulk.")]
ran = [c for c in bulk if c["status"] != "skip"]
print(f"backend check: {len(bulk)} bulk checks, {len(ran)} of them run (not skipped)")
PY
n=$(grep -c '^> \(GET\|POST\) ' "$work/t.txt")
# The reference: as many sequential GETs of the discovery document.
printf '%s\n' $(seq "$n") | sed "s|.*|url = \"$base/.well-known/smart-configuration\"\noutput = /dev/null|" >"$work/curl.cfg"

echo "public check: $n HTTP exchanges per run"
hyperfine --warmup 1 --runs 10 --export-json "$work/h.json" \
  -n "public" "$public" \
  -n "curl x$n" "curl -s -K $work/curl.cfg" \
  -n "backend" "$backend" >/dev/null
python3 - "$work/h.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
p, b = r["public"], r["backend"]
k = [v for n, v in r.items() if n.startswith("curl")][0]
print(f"smart check, public client   {p['mean']*1000:7.1f} ms ± {p['stddev']*1000:.1f}")
print(f"{k['command']:28} {k['mean']*1000:7.1f} ms ± {k['stddev']*1000:.1f}  (ratio public / curl: {p['mean']/k['mean']:.2f}x)")
print(f"smart check, backend + bulk  {b['mean']*1000:7.1f} ms ± {b['stddev']*1000:.1f}")
total = p["mean"] + b["mean"]
print(f"whole check of the sandbox   {total*1000:7.1f} ms  (target < 10000 ms: {total/10:.2f} of it)")
PY
