# Two commands on a fresh machine: `make run` (the app on SQLite with a Celery worker
# and beat on a filesystem broker, demo data) and `make test` (the whole test suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint install bench bench-small contract screenshots messages compilemessages restore-drill poe-eval

# Catalogues: locale/<lang>/LC_MESSAGES/django.po are committed; the .mo files are
# built from them here (never committed: a binary cannot be merged, and a stale one
# would silently show old text). `make messages` re-extracts every msgid, keeps the
# translations, and lists what is left to translate.
LANGS := pt_BR it zh_Hans es
MO := $(foreach l,$(LANGS),locale/$(l)/LC_MESSAGES/django.mo)
MSG_IGNORE := --ignore=.venv --ignore=.ci --ignore=staticfiles --ignore=var --ignore=tests --ignore=bench --ignore=docs

$(BIN)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(BIN)/.installed $(MO)

run: $(BIN)/.installed $(MO)
	bash scripts/run.sh

test: $(BIN)/.installed $(MO)
	$(BIN)/python -m pytest

messages: $(BIN)/.installed
	$(BIN)/python manage.py makemessages $(addprefix --locale=,$(LANGS)) --add-location=file --no-obsolete $(MSG_IGNORE)
	-$(BIN)/python scripts/untranslated.py

compilemessages: $(MO)

locale/%/LC_MESSAGES/django.mo: locale/%/LC_MESSAGES/django.po
	@command -v msgfmt >/dev/null || { echo "msgfmt missing: install Debian's gettext (apt-get install gettext)"; exit 1; }
	msgfmt --check-format -o $@ $<

# Writes docs/screenshots/ (tracked files): only on request, never from `make test` (the browser
# tests take their screenshots only with CPOR_SCREENSHOTS=1).
screenshots: $(BIN)/.installed $(MO)
	CPOR_SCREENSHOTS=1 $(BIN)/python -m pytest tests/browser tests/browser/screenshots_i18n.py -p no:cacheprovider

lint: $(BIN)/.installed
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/lint-imports

# Benchmarks of issue 8 on a PostgreSQL server of their own (bench/pgserver.py), see docs/benchmarks.md.
bench: $(BIN)/.installed
	$(BIN)/python -m bench $(ARGS)

bench-small: $(BIN)/.installed
	$(BIN)/python -m bench --small $(ARGS)

# The API contract test run longer than in CI: more examples per operation and a longer
# stateful phase (needs PostgreSQL: DATABASE_URL=postgres://...).
contract: $(BIN)/.installed
	CPOR_CONTRACT_EXAMPLES=$${CPOR_CONTRACT_EXAMPLES:-50} CPOR_CONTRACT_STATEFUL_STEPS=$${CPOR_CONTRACT_STATEFUL_STEPS:-300} \
		$(BIN)/python -m pytest tests/integration/test_api_contract.py -p no:cacheprovider

# Backs up PostgreSQL (pg_dump) and the stored files (manage.py files_backup), drops both, restores
# them and checks the same claims and files are served, on the filesystem, S3 (moto) and Azure Blob
# (Azurite): docs/operations.md, "Backups". Needs DATABASE_URL=postgres://...
restore-drill: $(BIN)/.installed
	$(BIN)/python -m pytest tests/storage/test_restore_drill.py -p no:cacheprovider
# The PoE pre-check measured (issue 24): a generated corpus of 50 documents (PDF, scanned PDF,
# DOCX, PNG/JPEG scans in five languages) read by the real extractors and Tesseract in a temp dir;
# prints precision and recall per check and the timings, exits 1 below the goal. See docs/benchmarks.md.
poe-eval: $(BIN)/.installed
	$(BIN)/python -m tests.poe.eval
