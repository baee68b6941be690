# Two commands do all the set-up on a fresh machine (Python 3.10+ and pip):
#   make demo   deploy serverless.yml.example to the embedded AWS emulator, show it, remove it
#   make test   lint (ruff, mypy) and run the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FN := $(BIN)/fn
DEMO := -c serverless.yml.example --local

.PHONY: demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-local: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[local]'
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,local]'
	touch $@

demo: $(VENV)/.installed-local
	$(FN) local start
	$(BIN)/python example/sources.py --local
	$(FN) deploy $(DEMO) --yes
	$(FN) info $(DEMO)
	$(FN) invoke $(DEMO) -f hello --data '{"name": "demo"}'
	$(FN) invoke $(DEMO) -f hello --event http
	$(FN) logs $(DEMO) -f hello --since 5m
	$(FN) deploy $(DEMO) --yes
	$(FN) remove $(DEMO) --yes
	$(FN) local stop

lint: $(VENV)/.installed-test
	$(BIN)/ruff check fnship tests bench
	$(BIN)/ruff format --check fnship tests bench
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest -q

bench: $(VENV)/.installed-test
	for script in bench/bench_*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .fn build dist
