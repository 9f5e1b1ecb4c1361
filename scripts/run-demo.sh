#!/usr/bin/env bash
# `make run`: checks the shipped flows, then starts the whole system on the embedded engine with
# the sandbox platforms, deploys the four flows and replays a day of shop traffic on an
# accelerated clock (`shopflow demo`); shopflow keeps serving until Ctrl-C.
#
# SHOPFLOW_DEMO_ARGS passes options to `shopflow demo` (e.g. `--speed 960 --listen 127.0.0.1:8090`
# or `--exit-after-summary`); see `shopflow demo --help`.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/debug/shopflow
flows=$(find workflows -name '*.yaml' | sort)
echo "== shopflow validate"
# shellcheck disable=SC2086
$bin validate $flows
echo
# shellcheck disable=SC2086
exec $bin demo ${SHOPFLOW_DEMO_ARGS:-}
