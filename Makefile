# shopflow: the two commands a user needs are `make run` and `make test`.
# Both install what is missing first (scripts/setup.sh is idempotent).

CARGO ?= cargo
export CARGO_TERM_COLOR ?= never

.PHONY: run test check lint fmt doc setup fuzz

## Build shopflow, check the shipped flows and run the demo: the sandbox platforms, the four
## flows and a day of traffic on an accelerated clock (Ctrl-C stops).
run: setup
	$(CARGO) build --locked --bin shopflow
	@scripts/run-demo.sh

## All tests (unit, CLI, conformance kit loading, invalid-flow snapshots).
test: setup
	$(CARGO) test --workspace --locked

## The one verify command: format, lints, docs, tests.
check: lint test

lint: setup
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps --locked

fmt:
	$(CARGO) fmt --all

setup:
	@scripts/setup.sh

## Fuzz load + validate for FUZZ_SECONDS (needs the nightly toolchain; see docs/development.md).
FUZZ_SECONDS ?= 60
fuzz:
	@scripts/fuzz.sh $(FUZZ_SECONDS)
