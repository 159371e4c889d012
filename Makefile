# The two commands of the README: `make run` (the development config and demo data in
# instance/demo.sqlite, never the production database) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HTMX := app/static/vendor/htmx.min.js

.PHONY: setup run test lint bench clean

$(BIN)/activate: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/activate

node_modules/htmx.org/dist/htmx.min.js: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

$(HTMX): node_modules/htmx.org/dist/htmx.min.js
	mkdir -p $(dir $@)
	cp $< $@

setup: $(BIN)/activate $(HTMX)

run: export ENDORSEMENT_ENV = development
# The demo association keeps its calendar in Denver: forms and pages in MST/MDT (override with
# TIME_ZONE=... make run).
run: export TIME_ZONE ?= America/Denver
run: setup
	$(FLASK) db upgrade
	$(FLASK) demo --history
	$(FLASK) run --host 127.0.0.1 --port 5000

test: setup
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check app tests bench

bench: setup
	$(BIN)/python bench/analysis.py
	$(BIN)/python bench/autosave.py

clean:
	rm -rf $(VENV) node_modules app/static/vendor instance/demo.sqlite*  # never the production file
