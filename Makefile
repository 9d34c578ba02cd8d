# make run  - start livertx on embedded defaults (web app on 127.0.0.1:8000)
# make test - install what the tests need (venv, Chromium, Java), then ruff, mypy and every test
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install system-deps bench lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,spark]'
	touch $(STAMP)

install: $(STAMP)

system-deps:
	bash scripts/install-system-deps.sh

run: install
	$(BIN)/livertx serve --host 127.0.0.1 --port 8000

test: install system-deps
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/mypy src
	$(BIN)/python -m pytest

bench: install
	for b in benchmarks/*.py; do $(BIN)/python $$b || exit 1; done

lint: install
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/mypy src

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache screenshots
