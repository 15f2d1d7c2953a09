# trainsim — build, run an example, test. Works on a fresh Debian machine as root;
# a user who already has Open MPI and pkg-config is never asked for root.
SWIFT ?= swift
EXAMPLE ?= Experiments/quickstart-llama3-8b-a100.json
export OMPI_ALLOW_RUN_AS_ROOT ?= 1
export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM ?= 1

.PHONY: deps build run test bench clean

deps:
	@if pkg-config --exists ompi 2>/dev/null && command -v mpirun >/dev/null 2>&1; then \
	  :; \
	else \
	  echo "trainsim: installing Open MPI and pkg-config (libopenmpi-dev openmpi-bin pkgconf)"; \
	  if [ "$$(id -u)" != 0 ]; then echo "trainsim: run as root, or install libopenmpi-dev openmpi-bin pkgconf yourself" >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libopenmpi-dev openmpi-bin pkgconf >/dev/null; \
	fi

build: deps
	$(SWIFT) build -c release --product trainsim

run: build
	./.build/release/trainsim run $(EXAMPLE)

test: deps
	$(SWIFT) build -c release --product trainsim
	TRAINSIM_BIN=$(CURDIR)/.build/release/trainsim $(SWIFT) test --no-parallel --disable-swift-testing

bench: build
	./.build/release/trainsim bench

clean:
	rm -rf .build
