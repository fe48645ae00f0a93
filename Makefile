# yzt — the two commands a newcomer needs: `make demo` and `make test`.
# Both install what they need: Debian packages (when run as root), a .venv, the project.

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEB_PACKAGES := pcscd vsmartcard-vpcd libpcsclite-dev gcc espeak-ng sox chromium \
	fonts-noto-cjk iproute2 prometheus wrk nginx-light cage xwayland \
	postgresql-client python3-venv systemd
PYTEST_ARGS ?=

.PHONY: demo test lint format bench deps debian clean

demo: deps
	$(BIN)/yzt demo

test: deps lint
	$(BIN)/pytest $(PYTEST_ARGS)

lint: deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: deps
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: deps
	$(BIN)/python -m benchmarks

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

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build *.egg-info
