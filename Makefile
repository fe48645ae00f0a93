# yzt — the two commands a newcomer needs: `make demo` and `make test`.
# Both install what they need: Debian packages (when run as root), a .venv, the project.

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEB_PACKAGES := pcscd vsmartcard-vpcd libpcsclite-dev gcc espeak-ng sox chromium \
	fonts-noto-cjk iproute2 prometheus wrk nginx-light cage xwayland \
	postgresql-client python3-venv systemd libcairo2 poppler-utils
PYTEST_ARGS ?=

.PHONY: demo test lint format bench bench-scale fuzz deps debian clean

demo: deps
	$(BIN)/yzt demo

test: deps lint
	$(BIN)/pytest $(PYTEST_ARGS)

lint: deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: deps
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: deps
	$(BIN)/python -m benchmarks

# serving at scale (issue 13): nginx ceiling, /healthz, /v1/verify at 1 and 2 workers;
# e.g. make bench-scale BENCH_SCALE_ARGS="--store postgresql --people 1000000"
bench-scale: deps
	$(BIN)/python -m benchmarks.bench_scale $(BENCH_SCALE_ARGS)

# The parser fuzz tests with many more, fresh inputs (the `fuzz` Hypothesis profile in
# tests/conftest.py; FUZZ_EXAMPLES=N per test), then the API contract test with
# YZT_API_EXAMPLES per operation. Keep what it finds in tests/fuzz/corpus/.
YZT_API_EXAMPLES ?= 2000
fuzz: deps
	$(BIN)/pytest tests/fuzz -p no:cacheprovider --hypothesis-profile=fuzz --timeout=3600
	YZT_API_EXAMPLES=$(YZT_API_EXAMPLES) $(BIN)/pytest tests/verifier/test_api_contract.py \
		-p no:cacheprovider

deps: debian $(VENV)/.installed

# Installs only what is missing, and only as root; otherwise says what to install.
debian:
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null \
		| grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "Installing Debian packages: $$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
		else \
			echo "Missing Debian packages (run as root or install them): $$missing"; \
		fi; \
	fi

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@
	@echo "yzt is installed in $(BIN)/, not on your PATH: run '. $(BIN)/activate' once per shell" \
		"and the yzt … commands in README.md and docs/ work as written."

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache build *.egg-info
