# Brug: the two quick-start commands are `make demo` and `make test`.
export PATH := $(HOME)/.cargo/bin:$(PATH)

.PHONY: test deps fmt-check clippy test-only demo

## make test: install what is missing, then fmt check, clippy -D warnings, all tests.
test: deps fmt-check clippy test-only

deps:
	./scripts/install-deps

fmt-check:
	cargo fmt --all --check

clippy:
	cargo clippy --workspace --all-targets -- -D warnings

test-only:
	cargo test --workspace

## make demo: the demo server and the app arrive with the sync-server and app issues.
demo: deps
	@echo "De demo (brug-sync-server demo + de app) bestaat nog niet: alleen de gedeelde kern (brug-shared) is gebouwd." >&2
	@echo "The demo (brug-sync-server demo + the app) does not exist yet: only the shared core (brug-shared) is built." >&2
	@echo "Probeer / try: make test" >&2
	@exit 1
