#!/usr/bin/env bash
# How long `smart check` takes against `smart sandbox --auto-approve` (issue
# 12 asks for under 5 s for the whole check), side by side with the time curl
# takes for the same number of HTTP exchanges, one after the other, so the
# figure reads as "checks cost N× the bare requests".
#
# Usage: bench/check.sh            Needs: hyperfine, curl (apt-get install hyperfine curl)
set -euo pipefail
cd "$(dirname "$0")/.."
for c in hyperfine curl python3; do
  command -v "$c" >/dev/null || { echo "bench/check.sh needs $c" >&2; exit 1; }
done
cargo build --release --quiet
smart=target/release/smart
work="$(mktemp -d)"
cleanup() { [ -n "${sb:-}" ] && kill "$sb" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

"$smart" sandbox --auto-approve --port 0 --json >"$work/sb.json" 2>/dev/null &
sb=$!
for _ in $(seq 50); do [ -s "$work/sb.json" ] && break; sleep 0.1; done
base=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["fhir_base"])' "$work/sb.json")

export XDG_CONFIG_HOME="$work/config" XDG_STATE_HOME="$work/state"
"$smart" check "$base" --client-id smart-cli --other-patient p000002 \
  --transcript "$work/t.txt" >/dev/null
n=$(grep -c '^> \(GET\|POST\) ' "$work/t.txt")
# The reference: as many sequential GETs of the discovery document.
printf '%s\n' $(seq "$n") | sed "s|.*|url = \"$base/.well-known/smart-configuration\"\noutput = /dev/null|" >"$work/curl.cfg"

echo "smart check: $n HTTP exchanges per run"
hyperfine --warmup 2 --runs 20 --export-json "$work/h.json" \
  -n "smart check" "$smart check $base --client-id smart-cli --other-patient p000002" \
  -n "curl x$n" "curl -s -K $work/curl.cfg" >/dev/null
python3 - "$work/h.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
c, k = r["smart check"], [v for n, v in r.items() if n.startswith("curl")][0]
print(f"smart check  {c['mean']*1000:7.1f} ms ± {c['stddev']*1000:.1f}  (target < 5000 ms: {c['mean']/5:.4f} of it)")
print(f"{k['command']:12} {k['mean']*1000:7.1f} ms ± {k['stddev']*1000:.1f}")
print(f"ratio smart check / curl: {c['mean']/k['mean']:.2f}x")
PY
