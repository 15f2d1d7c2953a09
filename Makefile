# trainsim — build, run an example, test. Works on a fresh Debian machine as root;
# a user who already has Open MPI and pkg-config (and, for `make test`, Chromium) is never asked for root.
SWIFT ?= swift
EXAMPLE ?= Experiments/quickstart-llama3-8b-a100.json
export OMPI_ALLOW_RUN_AS_ROOT ?= 1
export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM ?= 1

.PHONY: deps test-deps build run test bench callgrind fuzz fuzz-engine fuzz-deps fuzz-typecheck clean

# Installs, with one apt-get update, the Debian packages that are missing: Open MPI and pkg-config
# always; with $(1) = browser also Chromium, which the HTML page tests render in, and Python 3, which
# runs the calibration fit a test checks (`make test`).
define install_missing
	@missing=""; \
	if ! { pkg-config --exists ompi 2>/dev/null && command -v mpirun >/dev/null 2>&1; }; then missing="libopenmpi-dev openmpi-bin pkgconf"; fi; \
	if [ "$(1)" = browser ] && ! command -v chromium >/dev/null 2>&1; then missing="$$missing chromium"; fi; \
	if [ "$(1)" = browser ] && ! command -v python3 >/dev/null 2>&1; then missing="$$missing python3"; fi; \
	missing="$${missing# }"; \
	if [ -n "$$missing" ]; then \
	  echo "trainsim: installing $$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "trainsim: run as root, or install $$missing yourself" >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi
endef

deps:
	$(call install_missing,)

test-deps:
	$(call install_missing,browser)

# Release builds enable testing (the tests' @testable imports of TrainSimCore and TrainSimMPI), the
# same for every target here, so that `make test` compiles only the test targets on top of the binary
# it tests instead of a second, debug build of every module: on the slowest host seen, 160 s against
# 416 s (116 s on a fresh clone), and a fresh clone's `make test` 21 -> 12 minutes. The tests are
# built with `swift build --build-tests` and run with `swift test --skip-build`: `swift test` building
# them itself plans the modules anew and compiles every one again. No measurable cost to the binary's
# speed (`trainsim bench timeline`, two runs of each build alternated: within the runs' noise).
RELEASE := -c release -Xswiftc -enable-testing

build: deps
	$(SWIFT) build $(RELEASE) --product trainsim

run: build
	./.build/release/trainsim run $(EXAMPLE)

test: test-deps
	$(SWIFT) build $(RELEASE) --product trainsim
	$(SWIFT) build $(RELEASE) --build-tests
	$(MAKE) --no-print-directory fuzz-typecheck
	TRAINSIM_BIN=$(CURDIR)/.build/release/trainsim $(SWIFT) test $(RELEASE) --skip-build --no-parallel --disable-swift-testing

bench: build
	./.build/release/trainsim bench

# Instructions one command executes, counted by callgrind: repeatable where wall and CPU times are
# not (at stop 57 one DeepSeek-V3 step measured 4.1 to 8.3 ms in runs of `trainsim bench timeline`
# within one hour on one machine), so that two versions of a hot path can be compared. For example
# `make callgrind ARGS="Experiments/deepseek-v3-h800-2048.json"`; the profile is left in
# .build/callgrind.out for callgrind_annotate. Valgrind 3.19 (Debian 12) cannot read the DWARF the
# Swift 6 toolchain writes ("unhandled dwarf2 abbrev form code 0x25", then it gives up), so it runs a
# copy of the binary without its debug sections; the symbol table, and so every function's name, stays.
ARGS ?= $(EXAMPLE)
callgrind: build
	@command -v valgrind >/dev/null 2>&1 || { \
	  echo "trainsim: installing valgrind"; \
	  if [ "$$(id -u)" != 0 ]; then echo "trainsim: run as root, or install valgrind yourself" >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null; }
	strip --strip-debug -o .build/trainsim-nodebug .build/release/trainsim
	TRAINSIM_HOME=$(CURDIR) valgrind --tool=callgrind --callgrind-out-file=.build/callgrind.out \
	  .build/trainsim-nodebug $(ARGS) >/dev/null 2>.build/callgrind.log || { cat .build/callgrind.log >&2; exit 1; }
	@grep "refs" .build/callgrind.log
	@callgrind_annotate .build/callgrind.out | sed -n '/^Ir/,$$p' | sed -n 3,20p | cut -c1-160

# libFuzzer over the experiment decoder and over the engine (see Fuzz/README.md); not part of `make test`.
SWIFTC ?= swiftc
FUZZ_DIR ?= .build/fuzz
FUZZ_SECONDS ?= 120
FUZZ_CORE := $(shell find Sources/TrainSimCore -name '*.swift' | sort)
FUZZ_SOURCES := $(FUZZ_CORE) Fuzz/FuzzExperiment.swift
# TrainSimCore imports swift-collections' HeapModule (the search's deferred heap): the fuzzers build it
# from the package's checkout as one module with its InternalCollectionsUtilities (the package's
# COLLECTIONS_SINGLE_MODULE mode), with the features and availability macro its Package.swift sets.
COLLECTIONS_SOURCES := .build/checkouts/swift-collections/Sources
HEAP_DIR := $(FUZZ_DIR)/heap
HEAP_FLAGS := -enable-experimental-feature 'AvailabilityMacro=SwiftStdlib 5.0: macOS 10.14.4, iOS 12.2, watchOS 5.2, tvOS 12.2' \
  -enable-experimental-feature BuiltinModule -enable-experimental-feature Lifetimes \
  -enable-experimental-feature InoutLifetimeDependence -enable-experimental-feature AddressableParameters \
  -enable-experimental-feature AddressableTypes -enable-upcoming-feature MemberImportVisibility
FUZZ_LINK := -I $(HEAP_DIR) -L $(HEAP_DIR) -lHeapModule

fuzz-deps:
	@if command -v ld.lld >/dev/null 2>&1 || [ -x "$$(dirname "$$(command -v $(SWIFTC))")/ld.lld" ]; then \
	  :; \
	else \
	  echo "trainsim: installing the lld linker (lld) for the fuzzer"; \
	  if [ "$$(id -u)" != 0 ]; then echo "trainsim: run as root, or install lld yourself" >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq lld >/dev/null; \
	fi

$(HEAP_DIR)/libHeapModule.a:
	@mkdir -p $(HEAP_DIR)
	@[ -d $(COLLECTIONS_SOURCES)/HeapModule ] || $(SWIFT) package resolve
	@echo "trainsim: building swift-collections' HeapModule for the fuzzers"
	@find $(COLLECTIONS_SOURCES)/HeapModule $(COLLECTIONS_SOURCES)/InternalCollectionsUtilities -name '*.swift' -print0 | sort -z | \
	  xargs -0 $(SWIFTC) -parse-as-library -O -module-name HeapModule -package-name swift_collections -D COLLECTIONS_SINGLE_MODULE \
	  $(HEAP_FLAGS) -emit-module -emit-module-path $(HEAP_DIR)/HeapModule.swiftmodule -emit-library -static -o $@

$(FUZZ_DIR)/fuzz-experiment: $(FUZZ_SOURCES) $(HEAP_DIR)/libHeapModule.a | fuzz-deps
	@mkdir -p $(FUZZ_DIR)
	@echo "trainsim: building the fuzzer (swiftc over Sources/TrainSimCore and Fuzz/)"
	@$(SWIFTC) -parse-as-library -sanitize=fuzzer,address -use-ld=lld -Onone -g -j 2 \
	  -module-name TrainSimFuzz $(FUZZ_SOURCES) $(FUZZ_LINK) -o $@

fuzz: $(FUZZ_DIR)/fuzz-experiment
	@mkdir -p $(FUZZ_DIR)/corpus
	@for f in Experiments/*.json Topologies/*.json Topologies/devices/*.json Topologies/frameworks/*.json; do \
	  cp "$$f" "$(FUZZ_DIR)/corpus/seed-$$(echo "$$f" | tr / _)"; \
	done
	cd $(FUZZ_DIR) && SWIFT_BACKTRACE=enable=no TRAINSIM_HOME=$(CURDIR) ./fuzz-experiment \
	  -dict=$(CURDIR)/Fuzz/experiment.dict -max_total_time=$(FUZZ_SECONDS) -max_len=16384 -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 corpus

FUZZ_ENGINE_SOURCES := $(FUZZ_CORE) Fuzz/engine/FuzzEngine.swift

$(FUZZ_DIR)/fuzz-engine: $(FUZZ_ENGINE_SOURCES) $(HEAP_DIR)/libHeapModule.a | fuzz-deps
	@mkdir -p $(FUZZ_DIR)
	@echo "trainsim: building the engine fuzzer (swiftc -O over Sources/TrainSimCore and Fuzz/engine/)"
	@$(SWIFTC) -parse-as-library -sanitize=fuzzer,address -use-ld=lld -O -j 2 \
	  -module-name TrainSimFuzz $(FUZZ_ENGINE_SOURCES) $(FUZZ_LINK) -o $@

# The fuzzers' sources still compile: nothing else in `make test` builds them (a type check, about 20 s).
fuzz-typecheck: $(HEAP_DIR)/libHeapModule.a
	@echo "trainsim: type-checking the fuzzers' sources"
	@$(SWIFTC) -parse-as-library -typecheck -module-name TrainSimFuzz $(sort $(FUZZ_SOURCES) $(FUZZ_ENGINE_SOURCES)) -I $(HEAP_DIR)

fuzz-engine: $(FUZZ_DIR)/fuzz-engine
	@mkdir -p $(FUZZ_DIR)/engine-corpus
	@for f in Experiments/*.json; do cp "$$f" "$(FUZZ_DIR)/engine-corpus/seed-$$(basename "$$f")"; done
	cd $(FUZZ_DIR) && SWIFT_BACKTRACE=enable=no TRAINSIM_HOME=$(CURDIR) ./fuzz-engine \
	  -dict=$(CURDIR)/Fuzz/experiment.dict -max_total_time=$(FUZZ_SECONDS) -max_len=16384 -timeout=20 -rss_limit_mb=4096 -print_final_stats=1 engine-corpus

clean:
	rm -rf .build
