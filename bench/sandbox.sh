#!/usr/bin/env bash
# Sandbox FHIR search throughput and memory (issue 4's performance target):
# one client pages GET /fhir/Patient?_count=1000 through 100k synthetic
# patients. Targets: >= 50,000 resources/s, <= 300 MB RSS.
#
# 1. In-process (crates/sandbox/examples/sandbox_bench.rs): a Rust client that parses every
#    page as JSON, as a real client does; RSS covers server + client.
# 2. Out-of-process (needs python3): `smart sandbox --patients 100000` as a
#    separate process, a token from the real authorization-code + PKCE flow,
#    pages fetched without parsing; RSS is the server's alone.
#
# Usage: bench/sandbox.sh [--patients N] [--rounds R] [--count C] [--raw] [--query Q]
# (arguments go to step 1; --raw: the client does not parse JSON)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin smart && cargo build --release --quiet -p smart-sandbox --example sandbox_bench

echo "== in-process: examples/sandbox_bench $*"
target/release/examples/sandbox_bench "$@"

if ! command -v python3 >/dev/null; then
    echo "== out-of-process: skipped (no python3)"
    exit 0
fi
echo "== out-of-process: smart sandbox --patients 100000"
fifo=$(mktemp -u)
mkfifo "$fifo"
target/release/smart sandbox --patients 100000 --port 0 --json --auto-approve >"$fifo" &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -f "$fifo"' EXIT
python3 bench/sandbox_client.py "$server" 3 <"$fifo"
