# carnet — `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DIR ?= .
PORT ?= 8888
NODE_MODULES := frontend/node_modules/.package-lock.json
WEB := src/carnet/web/static/manifest.json
WEB_SOURCES := $(shell find frontend/src -type f 2>/dev/null) frontend/build.mjs frontend/tsconfig.json
CHROMIUM ?= /usr/bin/chromium
NGINX ?= /usr/sbin/nginx

.DEFAULT_GOAL := help

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(PY): pyproject.toml hatch_build.py
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[test]'
	touch $(PY)

setup: $(PY) ## Create .venv with carnet, its dependencies and the test tools

$(NODE_MODULES): frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	touch $(NODE_MODULES)

$(WEB): $(NODE_MODULES) $(WEB_SOURCES)
	cd frontend && npm run build

ui: $(WEB) ## Build the web UI (frontend/) into src/carnet/web/static/

ui-check: $(NODE_MODULES) ## Type-check the web UI and run its unit tests
	cd frontend && npm run check && npm test

chromium: ## Install Debian's Chromium for the browser tests, when it is missing
	@test -x $(CHROMIUM) || { apt-get update && apt-get install -y --no-install-recommends chromium fonts-liberation libatomic1; }

nginx: ## Install Debian's nginx for the reverse-proxy tests, when it is missing
	@test -x $(NGINX) || { apt-get update && apt-get install -y --no-install-recommends nginx-light || apt-get install -y --no-install-recommends nginx; }

serve: $(PY) $(WEB) ## Serve DIR (default: .) on http://127.0.0.1:PORT (default 8888)
	$(VENV)/bin/carnet serve "$(DIR)" --port $(PORT)

lint: $(PY) ## ruff and mypy --strict
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy

test: $(PY) $(WEB) lint ui-check chromium nginx ## Set up and run every test (browser tests too), lint and type check
	$(PY) -m pytest

bench: $(PY) ## Benchmark carnet against jupyter_server (see bench/README.md)
	$(PY) bench/run.py $(BENCH_ARGS)

fmt: $(PY) ## Format the code
	$(VENV)/bin/ruff format src tests bench
	$(VENV)/bin/ruff check --fix src tests bench

clean: ## Remove the environment and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

.PHONY: help setup ui ui-check chromium nginx serve lint test bench fmt clean
