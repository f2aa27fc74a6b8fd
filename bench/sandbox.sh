#!/usr/bin/env bash
# Sandbox FHIR search throughput and memory (issue 4's performance target):
# one client pages GET /fhir/Patient?_count=1000 through 100k synthetic
# patients. Targets: >= 50,000 resources/s, <= 300 MB RSS.
#
# Usage: bench/sandbox.sh [--patients N] [--rounds R] [--count C] [--raw]
# (--raw: the client does not parse JSON, isolating the server's share)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --example sandbox_bench
exec target/release/examples/sandbox_bench "$@"
