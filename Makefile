# Brug: the two quick-start commands are `make demo` and `make test`.
export PATH := $(HOME)/.cargo/bin:$(PATH)

.PHONY: test deps fmt-check clippy test-only ui-smoke fuzz-ci soak demo bench bench-quick

## make test: install what is missing, then fmt check, clippy -D warnings, all
## tests (100 convergence seeds, 50 server kills), the desktop app driven under
## Xvfb (when Xvfb is there), and 20 s of fuzzing per target.
test: deps fmt-check clippy test-only ui-smoke fuzz-ci

deps:
	./scripts/install-deps

fmt-check:
	cargo fmt --all --check

clippy:
	cargo clippy --workspace --all-targets -- -D warnings

# A hung test is a failure, not a stuck CI run. The command-line tests run
# the binaries, so they are built first.
# The PostgreSQL tests start their own cluster; here a missing PostgreSQL
# fails them instead of skipping them.
test-only:
	cargo build --workspace --bins
	BRUG_REQUIRE_POSTGRES=1 timeout 40m cargo test --workspace

## make demo: the sync server with demo data (a team in Harelbeke, three users,
## five households) and the Brug app enrolled as the demo supervisor. Prints
## the enrolment codes for a second device. Without a display the server
## keeps running and the codes are printed.
demo: deps
	cargo build -p brug-sync-server -p brug-device -p brug-app --bins
	./scripts/demo
## make bench: sync and device figures at caseload scale (release build), with
## the in-process automerge limit and RATIO lines; make bench-quick: smaller sizes.
bench: deps
	cargo build --release -p brug-sync-server -p brug-tests
	./target/release/brug-bench

bench-quick: deps
	cargo build --release -p brug-sync-server -p brug-tests
	./target/release/brug-bench --quick

# The real window under Xvfb: enrolment -> new case -> home visit -> sync.
# It types fast on a busy machine on purpose: a render that wrote a field's
# older text back over newer keystrokes once turned "Familie Rooktest" into
# "Famili oktest" (fixed: components/text_box.rs). Then every screen at
# phone size (390 x 844) and laptop size (1280 x 800) against the whole demo;
# a screen wider than the phone fails it.
ui-smoke:
	@if command -v Xvfb >/dev/null 2>&1; then timeout 10m ./scripts/ui-smoke && timeout 20m ./scripts/ui-sizes; \
	else echo "ui-smoke overgeslagen: Xvfb ontbreekt / skipped: no Xvfb" >&2; fi

fuzz-ci:
	./scripts/fuzz 20

## make soak: the long runs: 2,000 convergence seeds (1,000 more through two
## servers on PostgreSQL), 1,000 server kills, 500 seeds of server kills on
## PostgreSQL and 500 seeds of its merges,
## 2,000 idle connections against the default caps, the server process's
## memory with 200 live sessions, 5 minutes of fuzzing per target.
soak: deps
	BRUG_SEEDS=2000 BRUG_PG_CONVERGE_SEEDS=1000 timeout 4h cargo test --release -p brug-tests --test convergence -- --nocapture
	cargo build --release --workspace --bins
	BRUG_KILLS=1000 timeout 4h cargo test --release -p brug-tests --test crash -- --nocapture
	BRUG_PG_KILL_SEEDS=500 BRUG_PG_KILL_ROUNDS=3 timeout 4h cargo test --release -p brug-tests --test postgres_servers -- --nocapture
	BRUG_PG_SEEDS=500 BRUG_PG_CONVERGE_SEEDS=500 timeout 4h cargo test --release -p brug-tests --test postgres -- --nocapture
	ulimit -n 16384 2>/dev/null; BRUG_SOAK=1 cargo test --release -p brug-tests --test limits -- --include-ignored --nocapture
	./scripts/fuzz 300
