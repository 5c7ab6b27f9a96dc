# Matchmaker. `make run` serves the app with demo data; `make test` runs ruff and the tests.
# Needs only Python 3.11+ (with venv) and make; everything else is installed into .venv.

PYTHON ?= python3
PORT ?= 5000
VENV := .venv
BIN := $(VENV)/bin
FLASK := MATCHMAKER_ENV=$${MATCHMAKER_ENV:-development} FLASK_APP=wsgi $(BIN)/flask
TRANSLATIONS := matchmaker/translations
PO_FILES := $(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

.DEFAULT_GOAL := help
.PHONY: help run test lint install translations extract-messages bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-18s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

install: $(VENV)/.installed ## create .venv and install the pinned dependencies

%.mo: %.po $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -i $< -o $@ 2>&1 | grep -v '^$$' || true
	@test -f $@

translations: $(MO_FILES) ## compile the translation catalogues

extract-messages: install ## re-extract strings and update the .po files after changing the UI
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k _ln:1,2 -o $(TRANSLATIONS)/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --no-fuzzy-matching --ignore-obsolete

run: install translations ## serve on http://127.0.0.1:$(PORT) with demo data (SQLite)
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty
	@echo ""
	@echo "  Matchmaker is starting on http://127.0.0.1:$(PORT)"
	@echo "  Demo logins (password: matchmaker-demo):"
	@echo "    organiser@example.com  producer@example.com  distributor@example.com"
	@echo ""
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

test: install translations ## ruff, then the whole test suite (SQLite; PostgreSQL too with TEST_DATABASE_URL)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: install ## ruff only
	$(BIN)/ruff check .

bench: install ## run the benchmarks in bench/
	@for f in $(wildcard bench/*.py); do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean: ## remove the virtualenv and compiled catalogues (keeps instance/ data)
	rm -rf $(VENV) $(MO_FILES)
