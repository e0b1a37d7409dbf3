# campus-share: `make run` to try it, `make test` to test it.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PORT ?= 5000
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app booking

.PHONY: run test install install-test translations messages lint bench clean

run: install translations
	$(FLASK) db upgrade
	$(FLASK) demo --if-empty
	@echo "Serving on http://127.0.0.1:$(PORT) (Ctrl-C stops the server and the scheduler)"
	$(BIN)/python scripts/run_dev.py --flask $(BIN)/flask --port $(PORT)

test: install-test translations
	bash scripts/test-deps.sh
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/pytest

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "campus-share needs Python 3.11 or newer (found: $$($(PYTHON) --version))"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e ".[test]"
	@touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

translations: install
	@$(BIN)/pybabel compile --use-fuzzy -d booking/translations > /dev/null

# Re-extract the strings after changing them, then translate what is new in
# booking/translations/zh_Hans/LC_MESSAGES/messages.po.
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		--project campus-share --copyright-holder "campus-share contributors" \
		-o booking/messages.pot .
	$(BIN)/pybabel update -i booking/messages.pot -d booking/translations --no-fuzzy-matching --width 100

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

bench: install-test translations
	bash scripts/test-deps.sh
	$(BIN)/python bench/slot_generation.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
