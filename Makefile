# make run  - start livertx on embedded defaults (web app on 127.0.0.1:8000)
# make test - install what the tests need (venv, Chromium, Java), then ruff, mypy and every test
# make screenshot - redraw docs/screenshot-result.png for the README (scripts/readme_screenshot.py)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install system-deps bench lint clean screenshot

$(STAMP): pyproject.toml
	@echo "==> 1/3 creating the virtual environment in $(VENV)"
	@$(PYTHON) -m venv $(VENV)
	@echo "==> 2/3 updating pip"
	@$(BIN)/python -m pip install -q --upgrade pip
	@echo "==> 3/3 installing livertx with its test and Spark extras (a few minutes the first time)"
	@$(BIN)/python -m pip install -q -e '.[test,spark]'
	@touch $(STAMP)

# bytecode for the checkout, as pip writes it for an installed package: a cold `livertx`
# start reads it instead of compiling each changed module (PYTHONDONTWRITEBYTECODE shells)
install: $(STAMP)
	@$(BIN)/python -m compileall -q src

system-deps:
	@echo "==> checking system packages (Chromium, Java, PostgreSQL)"
	@bash scripts/install-system-deps.sh

run: install
	$(BIN)/livertx serve --host 127.0.0.1 --port 8000

test: install system-deps
	@echo "==> ruff (lint)"
	@$(BIN)/ruff check src tests benchmarks scripts
	@echo "==> mypy (types, strict)"
	@$(BIN)/mypy src
	@echo "==> pytest (every test; a few minutes)"
	@$(BIN)/python -m pytest

bench: install
	for b in benchmarks/*.py; do $(BIN)/python $$b || exit 1; done

screenshot: install system-deps
	@$(BIN)/python scripts/readme_screenshot.py

lint: install
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/mypy src

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache screenshots
