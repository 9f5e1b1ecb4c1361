#!/usr/bin/env bash
# Fuzzes load + validate for N seconds (default 60) with cargo-fuzz on the nightly toolchain.
# Seeds: the spec's example flows (../shared) and our samples; the corpus grows in fuzz/corpus.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds=${1:-60}
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
mkdir -p corpus/load_validate
cargo +nightly fuzz run load_validate corpus/load_validate ../workflows/samples ../../shared/conformance/examples -- \
  -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -timeout=10
