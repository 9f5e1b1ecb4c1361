#!/usr/bin/env bash
# `make run`: validates the shipped flows, then explains and draws one of them.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/debug/shopflow
flows=$(find workflows -name '*.yaml' | sort)
echo "== shopflow validate"
# shellcheck disable=SC2086
$bin validate $flows
sample=workflows/samples/order-paid-thanks.yaml
echo
echo "== shopflow explain $sample"
$bin explain "$sample"
echo
echo "== shopflow graph $sample --format mermaid"
$bin graph "$sample" --format mermaid
echo
echo "== shopflow run $sample (a small order: no thank-you, straight to record)"
$bin run "$sample" --input '{"orderId": "T1001", "amount": 99}'
