# Two commands on a fresh machine: `make run` (the app on SQLite with a Celery worker
# and beat on a filesystem broker, demo data) and `make test` (the whole test suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint install bench bench-small contract screenshots

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
# The API contract test run longer than in CI: more examples per operation and a longer
# stateful phase (needs PostgreSQL: DATABASE_URL=postgres://...).
contract: $(BIN)/.installed
	CPOR_CONTRACT_EXAMPLES=$${CPOR_CONTRACT_EXAMPLES:-50} CPOR_CONTRACT_STATEFUL_STEPS=$${CPOR_CONTRACT_STATEFUL_STEPS:-300} \
		$(BIN)/python -m pytest tests/integration/test_api_contract.py -p no:cacheprovider

# Refreshes docs/screenshots from the browser tests (needs Chromium; see tests/browser).
screenshots: $(BIN)/.installed
	CPOR_SCREENSHOTS=1 $(BIN)/python -m pytest tests/browser -q -p no:cacheprovider
