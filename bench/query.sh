#!/usr/bin/env bash
# `smart get` and `smart query --all` side by side with curl, curl + jq and
# Python fhirpy, against one `smart sandbox` and one token (issue 6's
# performance targets; figures, not pass/fail tests):
#   1. smart get Patient/<id>  vs  curl -s -H "Authorization: Bearer …" URL
#      (wall, hyperfine; target ≤ 1.3×). Process start, config and token
#      store read included; tokens in the file store (bench/token.sh covers
#      the keychain read on its own).
#   2. smart query Patient --all --count 1000 --output ndjson > /dev/null over
#      N patients  vs  a shell loop of curl + jq following `next`  vs  a
#      fhirpy loop (throughput target ≥ 1.0× curl + jq; max RSS ≤ 20 MB from
#      /usr/bin/time -v).
#
# Usage: bench/query.sh [--patients N] [--runs R]
# Needs: hyperfine, curl, jq, /usr/bin/time (apt-get install hyperfine curl jq time),
# python3 with venv (fhirpy goes into bench/.venv from PyPI).
set -euo pipefail
cd "$(dirname "$0")/.."
patients=100000
runs=3
while [ $# -gt 0 ]; do
  case "$1" in
    --patients) patients="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    *) echo "usage: bench/query.sh [--patients N] [--runs R]" >&2; exit 1 ;;
  esac
done
for c in hyperfine curl jq python3; do
  command -v "$c" >/dev/null || { echo "bench/query.sh needs $c" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "bench/query.sh needs /usr/bin/time (apt-get install time)" >&2; exit 1; }

cargo build --release --quiet
smart="$PWD/target/release/smart"
if [ ! -x bench/.venv/bin/python ] || ! bench/.venv/bin/python -c 'import fhirpy' 2>/dev/null; then
  python3 -m venv bench/.venv
  bench/.venv/bin/pip install --quiet fhirpy
fi

work="$(mktemp -d)"
export SMART_CONFIG="$work/config.toml" SMART_STATE_DIR="$work/state" SMART_TOKEN_STORE=file
unset SMART_PROFILE SMART_FHIR_BASE SMART_ACCESS_TOKEN CI
mkfifo "$work/ready"
"$smart" sandbox --patients "$patients" --port 0 --json --auto-approve >"$work/ready" 2>"$work/sandbox.log" &
sb=$!
trap 'kill $sb 2>/dev/null || true; rm -rf "$work"' EXIT
read -r ready <"$work/ready"
base="$(printf %s "$ready" | sed -n 's/.*"fhir_base": *"\([^"]*\)".*/\1/p')"
[ -n "$base" ] || { echo "sandbox did not start: $ready" >&2; exit 1; }

"$smart" profile add bench --fhir-base "$base" --client-id smart-cli >/dev/null
printf '#!/bin/sh\ncurl -sS -L -o /dev/null "$1" &\n' >"$work/browser"
chmod +x "$work/browser"
BROWSER="$work/browser" "$smart" login --scope "openid fhirUser user/*.rs offline_access" >/dev/null 2>&1
tok="$("$smart" token 2>/dev/null)"
id="$("$smart" query Patient --limit 1 --output ids 2>/dev/null | cut -d/ -f2)"
echo "sandbox: $base, $patients patients; reading Patient/$id" >&2

# 1. One read.
hyperfine -N --warmup 10 --runs 200 --export-json "$work/get.json" \
  -n "smart get" "$smart get Patient/$id" \
  -n curl "curl -s -H 'Authorization: Bearer $tok' $base/Patient/$id" >&2

# 2. Every patient, 1000 a page.
cat >"$work/curl-jq.sh" <<'SH'
#!/usr/bin/env bash
# The shell way: curl a page, jq out its resources and its next link.
set -euo pipefail
url="$1/Patient?_count=1000"
while [ -n "$url" ]; do
  curl -s -H "Authorization: Bearer $2" "$url" >"$3"
  jq -c '.entry[]?.resource' "$3"
  url="$(jq -r '.link[]? | select(.relation == "next") | .url' "$3")"
done
SH
cat >"$work/fhirpy_all.py" <<'PY'
# fhirpy's sync client: iterate the search set (it follows `next`), one
# JSON line per resource.
import json, sys
from fhirpy import SyncFHIRClient
base, token = sys.argv[1], sys.argv[2]
client = SyncFHIRClient(base, authorization=f"Bearer {token}")
out = sys.stdout
for r in client.resources("Patient").limit(1000):
    out.write(json.dumps(r.serialize(), separators=(",", ":")))
    out.write("\n")
PY
chmod +x "$work/curl-jq.sh"
hyperfine --warmup 1 --runs "$runs" --export-json "$work/all.json" \
  -n "smart query --all" "$smart query Patient --all --count 1000 --output ndjson --quiet > /dev/null" \
  -n "curl + jq loop" "$work/curl-jq.sh $base $tok $work/page.json > /dev/null" \
  -n "fhirpy loop" "bench/.venv/bin/python $work/fhirpy_all.py $base $tok > /dev/null" >&2

# Same output?
"$smart" query Patient --all --count 1000 --output ndjson --quiet | wc -l >"$work/n.smart"
"$work/curl-jq.sh" "$base" "$tok" "$work/page.json" | wc -l >"$work/n.curl"

/usr/bin/time -v "$smart" query Patient --all --count 1000 --output ndjson --quiet \
  >/dev/null 2>"$work/time.txt"
rss_kb="$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time.txt")"

python3 - "$work" "$rss_kb" "$patients" <<'PY'
import json, sys
work, rss_kb, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
g = {r["command"]: r for r in json.load(open(f"{work}/get.json"))["results"]}
a = {r["command"]: r for r in json.load(open(f"{work}/all.json"))["results"]}
sg, cg = g["smart get"]["mean"] * 1000, g["curl"]["mean"] * 1000
print(f"smart get: {sg:.2f} ms, curl: {cg:.2f} ms; ratio {sg / cg:.2f} (target <= 1.3: {'ok' if sg / cg <= 1.3 else 'MISSED'})")
sq, cj, fp = (a[k]["mean"] for k in ("smart query --all", "curl + jq loop", "fhirpy loop"))
print(f"smart query --all: {sq:.2f} s = {n / sq:,.0f} resources/s")
print(f"curl + jq loop:    {cj:.2f} s = {n / cj:,.0f} resources/s; smart is {cj / sq:.2f}x its throughput (target >= 1.0: {'ok' if cj / sq >= 1.0 else 'MISSED'})")
print(f"fhirpy loop:       {fp:.2f} s = {n / fp:,.0f} resources/s; smart is {fp / sq:.2f}x its throughput")
print(f"smart query --all max RSS: {rss_kb / 1024:.1f} MB (target <= 20 MB: {'ok' if rss_kb <= 20 * 1024 else 'MISSED'})")
ns, nc = open(f"{work}/n.smart").read().strip(), open(f"{work}/n.curl").read().strip()
print(f"resources written: smart {ns}, curl + jq {nc}")
PY
