# carnet — `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DIR ?= .
PORT ?= 8888

.DEFAULT_GOAL := help

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(PY): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[test]'
	touch $(PY)

setup: $(PY) ## Create .venv with carnet, its dependencies and the test tools

serve: $(PY) ## Serve DIR (default: .) on http://127.0.0.1:PORT (default 8888)
	$(VENV)/bin/carnet serve "$(DIR)" --port $(PORT)

lint: $(PY) ## ruff and mypy --strict
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy

test: $(PY) lint ## Set up and run every test, lint and type check
	$(PY) -m pytest

bench: $(PY) ## Benchmark carnet against jupyter_server (see bench/README.md)
	$(PY) bench/run.py

fmt: $(PY) ## Format the code
	$(VENV)/bin/ruff format src tests bench
	$(VENV)/bin/ruff check --fix src tests bench

clean: ## Remove the environment and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

.PHONY: help setup serve lint test bench fmt clean
