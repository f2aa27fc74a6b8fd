#!/usr/bin/env bash
# `smart export` (FHIR Bulk Data) against `smart sandbox --patients N`, side by
# side with (issue 13's performance targets; figures, not pass/fail tests):
#   1. curl fetching the same manifest's files, N in parallel (xargs -P), with
#      the same token: download throughput, target >= 1.0x curl;
#   2. smart export's max RSS (/usr/bin/time -v): target <= 30 MB whatever the
#      file size;
#   3. the reference Node `bulk-data-client` (smart-on-fhir) on the same job,
#      kick-off to last byte: wall time ratio, aim <= 0.5x.
#
# Usage: bench/export.sh [--patients N] [--parallel P] [--file-lines L]
# Needs: curl, jq, /usr/bin/time (apt-get install curl jq time), node + npm.
# bulk-data-client is not published on the npm registry: set
# BULK_DATA_CLIENT=/path/to/a/checkout of github.com/smart-on-fhir/bulk-data-client
# (its dependencies are installed from npm into bench/.bulk-data-client). Without
# it the Node comparison is left out and the script says so.
#
# bulk-data-client declares node >=15 <19. On node >= 19 its unmodified code
# never gets past start-up: it exits 0 at once, printing nothing. Node 19 made
# http.globalAgent keep-alive; a kept-alive request is marked destroyed as soon
# as its response ends and the socket goes back to the pool. The client fetches
# /metadata and .well-known/smart-configuration through got 11 with got's HTTP
# cache (lib/utils.js, HTTP_CACHE), and cacheable-request hands got a clone of
# the response whose `complete` is a copy taken while it was still false (got
# issue #1385); got's `aborted` getter (request destroyed && !complete) is then
# true, as-promise returns without settling, the idle socket is unref'd and the
# event loop empties. Any server does it (a bare node http server too), so it
# is no sandbox bug. The client is run unmodified with `node -r` of a two-line
# preload that puts back node 18's default global agents (no keep-alive), i.e.
# the runtime the client supports; nothing else is changed.
set -euo pipefail
cd "$(dirname "$0")/.."
patients=100000
parallel=4
lines=50000
while [ $# -gt 0 ]; do
  case "$1" in
    --patients) patients="$2"; shift 2 ;;
    --parallel) parallel="$2"; shift 2 ;;
    --file-lines) lines="$2"; shift 2 ;;
    *) echo "usage: bench/export.sh [--patients N] [--parallel P] [--file-lines L]" >&2; exit 1 ;;
  esac
done
for c in curl jq python3; do
  command -v "$c" >/dev/null || { echo "bench/export.sh needs $c" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "bench/export.sh needs /usr/bin/time (apt-get install time)" >&2; exit 1; }

cargo build --release --quiet
smart="${CARGO_TARGET_DIR:-$PWD/target}/release/smart"

bdc=""
if [ -n "${BULK_DATA_CLIENT:-}" ]; then
  command -v npm >/dev/null || { echo "bench/export.sh: BULK_DATA_CLIENT needs node and npm" >&2; exit 1; }
  bdc="$PWD/bench/.bulk-data-client"
  if [ ! -d "$bdc/node_modules" ]; then
    rm -rf "$bdc" && mkdir -p "$bdc"
    (cd "$BULK_DATA_CLIENT" && tar -cf - package.json package-lock.json built config) | tar -xf - -C "$bdc"
    # It declares node <19; it runs on 20 (engine-strict is its own .npmrc's).
    (cd "$bdc" && npm install --omit=dev --no-audit --no-fund --engine-strict=false --loglevel=error >/dev/null)
  fi
fi

work="$(mktemp -d)"
export SMART_CONFIG="$work/config.toml" SMART_STATE_DIR="$work/state" SMART_TOKEN_STORE=file
unset SMART_PROFILE SMART_FHIR_BASE SMART_ACCESS_TOKEN CI
mkfifo "$work/ready"
"$smart" sandbox --patients "$patients" --port 0 --json --export-delay 0 --export-file-lines "$lines" \
  >"$work/ready" 2>"$work/sandbox.log" &
sb=$!
trap 'kill $sb 2>/dev/null || true; rm -rf "$work"' EXIT
read -r ready <"$work/ready"
base="$(printf %s "$ready" | sed -n 's/.*"fhir_base": *"\([^"]*\)".*/\1/p')"
[ -n "$base" ] || { echo "sandbox did not start: $ready" >&2; exit 1; }

# One backend client, registered with its RS384 key; the Node client signs
# with the same key (as a JWK).
"$smart" -p bot keys generate --alg RS384 --out "$work/keys" >/dev/null 2>&1
"$smart" -p bot register --fhir-base "$base" --private-key "$work/keys/bot.key.pem" \
  --scope 'system/*.rs' >/dev/null
"$smart" -p bot login >/dev/null
client_id="$("$smart" -p bot status --json | jq -r '.settings.client_id.value // .client_id')"
tok="$("$smart" -p bot token)"
echo "sandbox: $base, $patients patients, $lines resources a file, $parallel downloads at a time" >&2

ms() { python3 -c 'import time; print(int(time.time() * 1000))'; }

# 1. curl: kick off and poll by hand, then time the download of every file.
kick() {
  curl -sS -D - -o /dev/null -H "Authorization: Bearer $tok" -H 'Accept: application/fhir+json' \
    -H 'Prefer: respond-async' "$base/\$export" | tr -d '\r' | sed -n 's/^[Cc]ontent-[Ll]ocation: //p'
}
status_url="$(kick)"
until code=$(curl -sS -o "$work/manifest.json" -w '%{http_code}' -H "Authorization: Bearer $tok" "$status_url") \
  && [ "$code" = 200 ]; do sleep 0.2; done
jq -r '.output[].url' "$work/manifest.json" >"$work/urls"
mkdir "$work/curl"
t0=$(ms)
(cd "$work/curl" && xargs -P "$parallel" -n 1 curl -sS -O -H "Authorization: Bearer $tok" <"$work/urls")
t1=$(ms)
curl_bytes=$(cat "$work"/curl/* | wc -c)
curl -sS -X DELETE -o /dev/null -H "Authorization: Bearer $tok" "$status_url"

# 2. smart export: its own job, kick-off to summary.
mkdir "$work/smart"
/usr/bin/time -v "$smart" -p bot export system --out "$work/smart" --parallel "$parallel" --json \
  >"$work/smart.json" 2>"$work/smart.time"

# 3. bulk-data-client: its own job, same key, same parallelism, its defaults
# otherwise (its log, its NDJSON checks; it asks for gzip whatever its options).
node_ms=""
if [ -n "$bdc" ]; then
  node -e '
    const c = require("crypto"), fs = require("fs");
    const [pem, jwks, out, base, id, dest, par] = process.argv.slice(1);
    const jwk = c.createPrivateKey(fs.readFileSync(pem)).export({ format: "jwk" });
    const pub = JSON.parse(fs.readFileSync(jwks, "utf8")).keys[0];
    Object.assign(jwk, { kid: pub.kid, alg: "RS384" });
    fs.writeFileSync(out, "module.exports = " + JSON.stringify({
      fhirUrl: base, tokenUrl: "", clientId: id, privateKey: jwk, scope: "system/*.rs",
      reporter: "text", global: true, destination: dest, parallelDownloads: Number(par),
    }));
  ' "$work/keys/bot.key.pem" "$work/keys/bot.jwks.json" "$work/bdc.config.js" "$base" "$client_id" \
    "$work/node" "$parallel"
  # node 18's default agents (see the top of this file).
  printf '%s\n' 'require("http").globalAgent = new (require("http").Agent)();' \
    'require("https").globalAgent = new (require("https").Agent)();' >"$work/node18-agents.js"
  mkdir "$work/node"
  n0=$(ms)
  # The text reporter and AUTO_RETRY_TRANSIENT_ERRORS: no prompt, no /dev/tty.
  (cd "$bdc" && AUTO_RETRY_TRANSIENT_ERRORS=1 timeout 1800 node -r "$work/node18-agents.js" . \
    --config "$work/bdc.config.js" </dev/null >"$work/node.log" 2>&1) \
    || { echo "bulk-data-client failed:" >&2; tail -20 "$work/node.log" >&2; exit 1; }
  n1=$(ms)
  node_ms=$((n1 - n0))
fi

python3 - "$work" "$((t1 - t0))" "$curl_bytes" "${node_ms:-}" <<'PY'
import json, os, re, sys
work, curl_ms, curl_bytes, node_ms = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
s = json.load(open(f"{work}/smart.json"))
t = open(f"{work}/smart.time").read()
wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", t)
wall_s = int(wall.group(1) or 0) * 3600 + int(wall.group(2)) * 60 + float(wall.group(3))
rss_mb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1)) / 1024
dl_s, dl_bytes = s["download_seconds"], s["bytes"]
mb = 1 << 20
curl_rate, smart_rate = curl_bytes / (curl_ms / 1000) / mb, dl_bytes / dl_s / mb
print(f"files: smart {s['files']}, {sum(f['resources'] for f in s['file_list'])} resources, {dl_bytes / mb:.0f} MiB; curl {curl_bytes / mb:.0f} MiB")
print(f"curl download:  {curl_ms / 1000:.2f} s = {curl_rate:.0f} MiB/s")
print(f"smart download: {dl_s:.2f} s = {smart_rate:.0f} MiB/s; ratio {smart_rate / curl_rate:.2f}x curl (target >= 1.0: {'ok' if smart_rate >= curl_rate else 'MISSED'})")
print(f"smart export wall (kick-off to summary): {wall_s:.2f} s; max RSS {rss_mb:.1f} MB (target <= 30 MB: {'ok' if rss_mb <= 30 else 'MISSED'})")
if node_ms:
    # Its files are <n>.<Type>.ndjson with no newline after the last line; a
    # time is reported only if it wrote what smart wrote, type by type.
    want, got = {}, {}
    for f in s["file_list"]:
        if f["part"] == "output":
            want[f["type"]] = want.get(f["type"], 0) + f["resources"]
    for name in os.listdir(f"{work}/node"):
        m = re.fullmatch(r"\d+\.(\w+)\.ndjson", name)
        if m:
            with open(f"{work}/node/{name}", "rb") as fh:
                got[m.group(1)] = got.get(m.group(1), 0) + sum(1 for line in fh if line.strip())
    if got != want:
        sys.exit(f"bulk-data-client wrote other resources than smart: {got} (smart: {want})")
    print(f"bulk-data-client: {sum(got.values())} resources, the same per type as smart")
    n = int(node_ms) / 1000
    print(f"bulk-data-client wall: {n:.2f} s; smart / node = {wall_s / n:.2f}x (aim <= 0.5: {'ok' if wall_s / n <= 0.5 else 'MISSED'})")
else:
    print("bulk-data-client: not run (set BULK_DATA_CLIENT to a checkout)")
PY
