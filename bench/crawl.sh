#!/usr/bin/env bash
# `smart export --crawl` against SMART Fetch (`smart-fetch crawl`, PyPI) on the
# same `smart sandbox --patients N --quirk no-bulk-export` (issue 20 §5; figures,
# not pass/fail tests):
#   - wall time of each (/usr/bin/time -v), and the ratio: target smart <= 0.5x;
#   - max RSS of each: target smart <= 50 MB;
#   - the two outputs compared type by type: resource counts and ids.
#
# Both get the same cohort (a file of the sandbox's N patient ids: smart's
# --patients, smart-fetch's --id-file; without one, smart-fetch gets its
# patients from a bulk export, which this server does not have), the same
# backend client and key, the same types (the Patient compartment types the
# server has) and the same number of requests at once (smart-fetch's fixed 5).
# smart-fetch runs with --no-default-filters: by default it narrows
# Observation to some categories, which is a different export.
#
# Usage: bench/crawl.sh [--patients N]
# Needs: curl, jq, /usr/bin/time (apt-get install curl jq time), python3 with
# venv. smart-fetch is installed from PyPI into bench/.venv-smart-fetch (or set
# SMART_FETCH=/path/to/smart-fetch). SMART_BIN=/path/to/smart skips the build.
set -euo pipefail
cd "$(dirname "$0")/.."
patients=1000
while [ $# -gt 0 ]; do
  case "$1" in
    --patients) patients="$2"; shift 2 ;;
    *) echo "usage: bench/crawl.sh [--patients N]" >&2; exit 1 ;;
  esac
done
for c in curl jq python3; do
  command -v "$c" >/dev/null || { echo "bench/crawl.sh needs $c" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "bench/crawl.sh needs /usr/bin/time (apt-get install time)" >&2; exit 1; }

if [ -z "${SMART_BIN:-}" ]; then
  cargo build --release --quiet
  smart="${CARGO_TARGET_DIR:-$PWD/target}/release/smart"
else
  smart="$SMART_BIN"
fi
if [ -z "${SMART_FETCH:-}" ]; then
  venv="$PWD/bench/.venv-smart-fetch"
  [ -x "$venv/bin/smart-fetch" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q smart-fetch; }
  SMART_FETCH="$venv/bin/smart-fetch"
fi

work="$(mktemp -d)"
export SMART_CONFIG="$work/config.toml" SMART_STATE_DIR="$work/state" SMART_TOKEN_STORE=file
unset SMART_PROFILE SMART_FHIR_BASE SMART_ACCESS_TOKEN CI
mkfifo "$work/ready"
"$smart" sandbox --patients "$patients" --port 0 --json --quirk no-bulk-export \
  >"$work/ready" 2>"$work/sandbox.log" &
sb=$!
trap 'kill $sb 2>/dev/null || true; rm -rf "$work"' EXIT
read -r ready <"$work/ready"
base="$(printf %s "$ready" | sed -n 's/.*"fhir_base": *"\([^"]*\)".*/\1/p')"
[ -n "$base" ] || { echo "sandbox did not start: $ready" >&2; exit 1; }

# One backend client (RS384 key, registered with its JWKS); smart-fetch
# signs with the same PEM key and asks its own (v1, per type) scopes.
"$smart" -p bot keys generate --alg RS384 --out "$work/keys" >/dev/null 2>&1
"$smart" -p bot register --fhir-base "$base" --private-key "$work/keys/bot.key.pem" \
  --scope 'system/*.rs' >/dev/null
"$smart" -p bot login >/dev/null
client_id="$("$smart" -p bot status --json | jq -r '.settings.client_id.value // .client_id')"
tok="$("$smart" -p bot token)"
curl -sS -H "Authorization: Bearer $tok" "$base/Patient?_count=1000" >"$work/page.json"
jq -r '.entry[].resource.id' "$work/page.json" >"$work/ids.txt"
next="$(jq -r '.link[]? | select(.relation=="next") | .url' "$work/page.json")"
while [ -n "$next" ]; do
  curl -sS -H "Authorization: Bearer $tok" "$next" >"$work/page.json"
  jq -r '.entry[].resource.id' "$work/page.json" >>"$work/ids.txt"
  next="$(jq -r '.link[]? | select(.relation=="next") | .url' "$work/page.json")"
done
echo "sandbox: $base, $(wc -l <"$work/ids.txt") patients in the cohort" >&2

/usr/bin/time -v "$smart" -p bot export --crawl --patients "$work/ids.txt" --parallel 5 \
  --out "$work/smart" --json >"$work/smart.json" 2>"$work/smart.time" \
  || { cat "$work/smart.time" >&2; exit 1; }
/usr/bin/time -v "$SMART_FETCH" crawl --fhir-url "$base" --smart-client-id "$client_id" \
  --smart-key "$work/keys/bot.key.pem" --id-file "$work/ids.txt" --no-default-filters \
  "$work/sf" >"$work/sf.out" 2>"$work/sf.time" \
  || { tail -30 "$work/sf.out" "$work/sf.time" >&2; exit 1; }

python3 - "$work" <<'PY'
import glob, json, os, re, sys
work = sys.argv[1]

def timing(path):
    t = open(path).read()
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", t).group(1)
    secs = 0.0
    for part in wall.split(":"):
        secs = secs * 60 + float(part)
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1))
    return secs, rss / 1024

def ids(folder):
    out = {}
    for p in glob.glob(os.path.join(folder, "**", "*.ndjson*"), recursive=True):
        if os.path.basename(p).startswith("log.") or "/.meta" in p:
            continue
        opener = open
        if p.endswith(".gz"):
            import gzip
            opener = gzip.open
        with opener(p, "rt") as f:
            for line in f:
                if not line.strip():
                    continue
                r = json.loads(line)
                t = r.get("resourceType")
                if t in (None, "OperationOutcome"):
                    continue
                out.setdefault(t, []).append(r.get("id"))
    return out

s_secs, s_rss = timing(f"{work}/smart.time")
f_secs, f_rss = timing(f"{work}/sf.time")
print(f"smart export --crawl : {s_secs:7.1f} s, max RSS {s_rss:6.1f} MB")
print(f"smart-fetch crawl    : {f_secs:7.1f} s, max RSS {f_rss:6.1f} MB")
print(f"wall-time ratio smart/smart-fetch: {s_secs / f_secs:.2f} (target <= 0.5); smart RSS target <= 50 MB")
a, b = ids(f"{work}/smart"), ids(f"{work}/sf")
print(f"{'type':<20} {'smart':>8} {'smart-fetch':>12}  ids")
for t in sorted(set(a) | set(b)):
    x, y = a.get(t, []), b.get(t, [])
    dup = "" if len(set(y)) == len(y) else f" (smart-fetch: {len(y) - len(set(y))} duplicates)"
    same = "same" if set(x) == set(y) else f"differ: {len(set(x) - set(y))} only in smart, {len(set(y) - set(x))} only in smart-fetch"
    print(f"{t:<20} {len(x):>8} {len(y):>12}  {same}{dup}")
PY
s_req="$(jq '.crawl.requests' "$work/smart.json")"
echo "smart: $s_req search requests" >&2
