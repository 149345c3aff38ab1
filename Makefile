# The two commands of the README:  `make demo` (main job)  and  `make test` (test suite).
BUILD_DIR ?= build
RECO := $(BUILD_DIR)/apps/reco/reco
JOBS ?= $(shell nproc)

.PHONY: all setup build demo test test-asan bench clean

all: build

setup:
	bash scripts/setup.sh --deps

build: setup
	BUILD_DIR=$(BUILD_DIR) bash scripts/setup.sh

# The quickstart trains a ranker and packs a serving bundle; the demo then serves it (Ctrl-C stops).
DEMO_PORT ?= 8080
demo: build
	$(RECO) quickstart --out $(BUILD_DIR)/quickstart
	@echo ""
	@echo "== serving the quickstart bundle at http://127.0.0.1:$(DEMO_PORT)/  (Ctrl-C stops)"
	rm -rf $(BUILD_DIR)/quickstart/state
	$(RECO) serve --bundle $(BUILD_DIR)/quickstart/bundle --state $(BUILD_DIR)/quickstart/state --port $(DEMO_PORT)

test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)

# Parser, container, neural-engine, optimizer and metric tests under AddressSanitizer + UndefinedBehaviorSanitizer.
# Labels are anchored: ctest -L is a regex, and an unanchored "eval" also picked up "retrieval",
# whose hnswlib search reads one link past a list on purpose (a prefetch) and trips ASan.
test-asan: setup
	cmake --preset asan-ubsan >/dev/null
	cmake --build build-asan -j $(JOBS)
	ctest --test-dir build-asan --output-on-failure -j $(JOBS) -L '^(core|data|features|nn|optim|eval|serve)$$'

bench: build
	bash scripts/setup.sh --bench-deps
	bash bench/run_ingest_bench.sh
	bash bench/run_dlrm_bench.sh

clean:
	rm -rf $(BUILD_DIR) build-asan build-debug
