# Brug: the two quick-start commands are `make demo` and `make test`.
export PATH := $(HOME)/.cargo/bin:$(PATH)

.PHONY: test deps fmt-check clippy test-only demo bench bench-quick

## make test: install what is missing, then fmt check, clippy -D warnings, all tests.
test: deps fmt-check clippy test-only

deps:
	./scripts/install-deps

fmt-check:
	cargo fmt --all --check

clippy:
	cargo clippy --workspace --all-targets -- -D warnings

# A hung test is a failure, not a stuck CI run.
test-only:
	timeout 40m cargo test --workspace

## make demo: the sync server with demo data: a team in Harelbeke, three users,
## five households; prints an enrolment QR code per user, then serves on :8443.
demo: deps
	cargo build -p brug-sync-server
	@echo "De Brug-app (Dioxus) bestaat nog niet; de server start met demodata." >&2
	@echo "The Brug app (Dioxus) does not exist yet; the server starts with demo data." >&2
	./target/debug/brug-sync-server --data ./brug-data demo

## make bench: sync and device figures at caseload scale (release build), with
## the in-process automerge limit and RATIO lines; make bench-quick: smaller sizes.
bench: deps
	cargo build --release -p brug-sync-server -p brug-tests
	./target/release/brug-bench

bench-quick: deps
	cargo build --release -p brug-sync-server -p brug-tests
	./target/release/brug-bench --quick
