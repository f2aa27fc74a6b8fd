#!/usr/bin/env bash
# Before/after figures for a change to the build's shape (issue 10): release
# binary size, clean release build time, clean test build time, the test
# rebuild after a one-file change in src/ (what a developer waits for), test
# run time, and `smart token` / `smart get` wall time side by side with curl.
# Both revisions are built from clean in their own worktree and target dir,
# one after the other, so the figures come from the same machine and load.
#
# Usage: bench/reshape.sh [BEFORE_REV [AFTER_REV]]   (default: 0cd57bd HEAD)
# Needs: hyperfine, curl (apt-get install hyperfine curl). Takes ~20 min on
# 2 cores. Tokens are in the file store for both (bench/token.sh measures the
# keychain read).
set -euo pipefail
cd "$(dirname "$0")/.."
before_rev="${1:-0cd57bd}"
after_rev="${2:-HEAD}"
for c in hyperfine curl python3; do
  command -v "$c" >/dev/null || { echo "bench/reshape.sh needs $c" >&2; exit 1; }
done

work="$(mktemp -d)"
cleanup() {
  [ -n "${sb:-}" ] && kill "$sb" 2>/dev/null || true
  git worktree remove --force "$work/before" 2>/dev/null || true
  git worktree remove --force "$work/after" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

seconds() { python3 -c 'import sys,time; print(f"{time.time():.3f}")'; }
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$1" "$2"; }

declare -A size build test_build test_rebuild test_run
for side in before after; do
  rev="$before_rev"; [ "$side" = after ] && rev="$after_rev"
  git worktree add --quiet --detach "$work/$side" "$rev"
  (
    cd "$work/$side"
    export CARGO_TARGET_DIR="$work/$side/target" CARGO_TERM_COLOR=never
    unset CI
    t0=$(seconds); cargo build --release --quiet --bin smart; t1=$(seconds)
    echo "build=$(elapsed "$t0" "$t1")" >"$work/$side.txt"
    t0=$(seconds); cargo test --workspace --no-run --quiet 2>/dev/null; t1=$(seconds)
    echo "test_build=$(elapsed "$t0" "$t1")" >>"$work/$side.txt"
    touch src/error.rs
    t0=$(seconds); cargo test --workspace --no-run --quiet 2>/dev/null; t1=$(seconds)
    echo "test_rebuild=$(elapsed "$t0" "$t1")" >>"$work/$side.txt"
    t0=$(seconds); cargo test --workspace --quiet >/dev/null 2>&1; t1=$(seconds)
    echo "test_run=$(elapsed "$t0" "$t1")" >>"$work/$side.txt"
    echo "size=$(stat -c %s target/release/smart)" >>"$work/$side.txt"
  )
  while IFS== read -r k v; do
    case "$k" in
      build) build[$side]=$v ;; test_build) test_build[$side]=$v ;;
      test_rebuild) test_rebuild[$side]=$v ;;
      test_run) test_run[$side]=$v ;; size) size[$side]=$v ;;
    esac
  done <"$work/$side.txt"
done

old="$work/before/target/release/smart"
new="$work/after/target/release/smart"
export SMART_CONFIG="$work/config.toml" SMART_STATE_DIR="$work/state" SMART_TOKEN_STORE=file
unset SMART_PROFILE SMART_FHIR_BASE SMART_ACCESS_TOKEN CI
mkfifo "$work/ready"
"$new" sandbox --port 0 --json --auto-approve >"$work/ready" 2>"$work/sandbox.log" &
sb=$!
read -r ready <"$work/ready"
base="$(printf %s "$ready" | sed -n 's/.*"fhir_base": *"\([^"]*\)".*/\1/p')"
"$new" profile add bench --fhir-base "$base" --client-id smart-cli >/dev/null
printf '#!/bin/sh\ncurl -sS -L -o /dev/null "$1" &\n' >"$work/browser"; chmod +x "$work/browser"
BROWSER="$work/browser" "$new" login --scope "openid fhirUser user/*.rs offline_access" >/dev/null 2>&1
# The reference request reads its header from a file: no token in the log.
printf 'Authorization: Bearer %s\n' "$("$new" token)" >"$work/auth-header"
hyperfine -N --warmup 10 --runs 200 --export-json "$work/h.json" \
  "$old token" "$new token" \
  "$old get Patient/p000001" "$new get Patient/p000001" \
  "curl -s -o /dev/null -H @$work/auth-header $base/Patient/p000001" >&2

python3 - "$work/h.json" "$before_rev" "$after_rev" \
  "${size[before]}" "${size[after]}" "${build[before]}" "${build[after]}" \
  "${test_build[before]}" "${test_build[after]}" "${test_rebuild[before]}" "${test_rebuild[after]}" \
  "${test_run[before]}" "${test_run[after]}" <<'PY'
import json, sys
h, b_rev, a_rev = sys.argv[1:4]
sb, sa, bb, ba, tbb, tba, tib, tia, trb, tra = map(float, sys.argv[4:14])
r = [x["mean"] * 1000 for x in json.load(open(h))["results"]]
tok_b, tok_a, get_b, get_a, curl = r
print(f"{'':28}{'before (' + b_rev + ')':>18}{'after (' + a_rev + ')':>18}{'ratio':>8}")
row = lambda name, b, a, unit: print(f"{name:28}{b:>16.1f}{unit:2}{a:>16.1f}{unit:2}{a / b:>8.2f}")
row("release binary", sb / 1e6, sa / 1e6, "MB")
row("clean release build", bb, ba, "s ")
row("clean test build", tbb, tba, "s ")
row("test rebuild, src/ touched", tib, tia, "s ")
row("test run (cargo test)", trb, tra, "s ")
row("smart token (file store)", tok_b, tok_a, "ms")
row("smart get Patient/<id>", get_b, get_a, "ms")
print(f"{'curl, same GET':28}{curl:>16.1f}ms; smart get / curl: before {get_b / curl:.2f}, after {get_a / curl:.2f}")
PY
