# Two commands on a fresh machine: `make run` (the app on SQLite with a Celery worker
# and beat on a filesystem broker, demo data) and `make test` (the whole test suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint install bench bench-small

$(BIN)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(BIN)/.installed

run: $(BIN)/.installed
	bash scripts/run.sh

test: $(BIN)/.installed
	$(BIN)/python -m pytest

lint: $(BIN)/.installed
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

# Benchmarks of issue 8 on PostgreSQL (DATABASE_URL's server, databases cpor_bench*), see README.
bench: $(BIN)/.installed
	$(BIN)/python -m bench $(ARGS)

bench-small: $(BIN)/.installed
	$(BIN)/python -m bench --small $(ARGS)
