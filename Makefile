# Two commands on a fresh machine: `make run` (the app on SQLite with a Celery worker
# and beat on a filesystem broker, demo data) and `make test` (the whole test suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint install screenshots

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

# Refreshes docs/screenshots from the browser tests (needs Chromium; see tests/browser).
screenshots: $(BIN)/.installed
	CPOR_SCREENSHOTS=1 $(BIN)/python -m pytest tests/browser -q -p no:cacheprovider
