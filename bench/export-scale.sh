#!/usr/bin/env bash
# `smart export` at scale (issue 19 §4; figures, not pass/fail tests). Two
# scenarios, each on a sandbox of its own, each side by side with curl on the
# same job's files at the same parallelism:
#   big:   --patients 100000 --export-file-lines 50000 (53 files, 1.8 GiB);
#   small: --patients 10000  --export-file-lines 25    (about 10,000 files of
#          about 18 KiB: the case where a state rewritten per file cost GBs).
# For each it prints:
#   - download throughput, smart / curl (target >= 1.0), line checks on (they
#     always are);
#   - disk bytes written by the smart process (write_bytes of /proc/<pid>/io,
#     read in the parent after the wait: a reaped child's I/O is added to its
#     parent's) against the bytes of the files (target <= 1.2x at 10,000 files);
#   - max RSS (target <= 30 MB whatever the files).
# curl: `xargs -P P curl --remote-name-all` over the manifest's URLs, 1 URL per
# curl for the big files, 100 per curl (one connection each) for the small
# ones, so that process start-up does not count against curl.
#
# Usage: bench/export-scale.sh [--parallel P] [--only big|small]
# Needs: curl, jq, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
parallel=4
only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --parallel) parallel="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    *) echo "usage: bench/export-scale.sh [--parallel P] [--only big|small]" >&2; exit 1 ;;
  esac
done
for c in curl jq python3; do
  command -v "$c" >/dev/null || { echo "bench/export-scale.sh needs $c" >&2; exit 1; }
done

# SMART_BIN: a smart binary already built (else the release build).
if [ -n "${SMART_BIN:-}" ]; then
  smart="$SMART_BIN"
else
  cargo build --release --quiet -p smart
  smart="${CARGO_TARGET_DIR:-$PWD/target}/release/smart"
fi

run() { # name patients lines per-curl
  local name="$1" patients="$2" lines="$3" per_curl="$4"
  local work
  work="$(mktemp -d)"
  (
    export SMART_CONFIG="$work/config.toml" SMART_STATE_DIR="$work/state" SMART_TOKEN_STORE=file
    unset SMART_PROFILE SMART_FHIR_BASE SMART_ACCESS_TOKEN CI
    mkfifo "$work/ready"
    "$smart" sandbox --patients "$patients" --port 0 --json --export-delay 0 \
      --export-file-lines "$lines" >"$work/ready" 2>"$work/sandbox.log" &
    sb=$!
    trap 'kill $sb 2>/dev/null || true; rm -rf "$work"' EXIT
    read -r ready <"$work/ready"
    base="$(printf %s "$ready" | sed -n 's/.*"fhir_base": *"\([^"]*\)".*/\1/p')"
    [ -n "$base" ] || { echo "sandbox did not start: $ready" >&2; exit 1; }
    "$smart" -p bot keys generate --alg RS384 --out "$work/keys" >/dev/null 2>&1
    "$smart" -p bot register --fhir-base "$base" --private-key "$work/keys/bot.key.pem" \
      --scope 'system/*.rs' >/dev/null
    "$smart" -p bot login >/dev/null
    tok="$("$smart" -p bot token)"

    # curl: kick off and poll by hand, then time the files.
    status_url="$(curl -sS -D - -o /dev/null -H "Authorization: Bearer $tok" \
      -H 'Accept: application/fhir+json' -H 'Prefer: respond-async' "$base/\$export" \
      | tr -d '\r' | sed -n 's/^[Cc]ontent-[Ll]ocation: //p')"
    until code=$(curl -sS -o "$work/manifest.json" -w '%{http_code}' \
      -H "Authorization: Bearer $tok" "$status_url") && [ "$code" = 200 ]; do sleep 0.2; done
    jq -r '.output[].url, .error[].url' "$work/manifest.json" >"$work/urls"
    mkdir "$work/curl"
    t0=$(python3 -c 'import time; print(time.time())')
    (cd "$work/curl" && xargs -P "$parallel" -n "$per_curl" curl -sS --remote-name-all \
      -H "Authorization: Bearer $tok" <"$work/urls")
    t1=$(python3 -c 'import time; print(time.time())')
    curl_bytes=$(find "$work/curl" -type f -printf '%s\n' | awk '{s+=$1} END {printf "%.0f\n", s}')
    curl -sS -X DELETE -o /dev/null -H "Authorization: Bearer $tok" "$status_url"
    rm -rf "$work/curl"

    # smart export: its own job, under a parent that reads its I/O and RSS.
    python3 - "$smart" "$work" "$parallel" "$t0" "$t1" "$curl_bytes" "$name" <<'PY'
import json, resource, subprocess, sys
smart, work, parallel, t0, t1, curl_bytes, name = sys.argv[1:]
def wb():
    for line in open("/proc/self/io"):
        if line.startswith("write_bytes:"):
            return int(line.split()[1])
before = wb()
p = subprocess.run([smart, "-p", "bot", "export", "system", "--out", f"{work}/smart",
                    "--parallel", parallel, "--json"], capture_output=True, text=True)
if p.returncode != 0:
    sys.exit(f"smart export failed: {p.stderr}")
written = wb() - before
rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
s = json.loads(p.stdout)
mb = 1 << 20
curl_s = float(t1) - float(t0)
curl_rate = int(float(curl_bytes)) / curl_s / mb
smart_rate = s["bytes"] / s["download_seconds"] / mb
ratio = smart_rate / curl_rate
w = written / s["bytes"]
print(f"[{name}] {s['files']} files, {s['bytes'] / mb:.0f} MiB (curl {int(float(curl_bytes)) / mb:.0f} MiB), {parallel} at a time")
print(f"[{name}] curl  download {curl_s:.2f} s = {curl_rate:.0f} MiB/s")
print(f"[{name}] smart download {s['download_seconds']:.2f} s = {smart_rate:.0f} MiB/s; ratio {ratio:.2f}x curl (target >= 1.0: {'ok' if ratio >= 1 else 'MISSED'})")
print(f"[{name}] smart wrote {written / mb:.1f} MiB to disk for {s['bytes'] / mb:.1f} MiB of files = {w:.3f}x (target <= 1.2: {'ok' if w <= 1.2 else 'MISSED'})")
print(f"[{name}] smart max RSS {rss_mb:.1f} MB (target <= 30: {'ok' if rss_mb <= 30 else 'MISSED'})")
PY
  )
}

[ "$only" = small ] || run big 100000 50000 1
[ "$only" = big ] || run small 10000 25 100
