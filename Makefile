# Two commands: `make run` and `make test`. Everything else is a helper for them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install bench lint clean e2e-deps

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## Set up and start web + worker + cron + SMTP sink on embedded defaults (Ctrl-C stops all).
run: $(STAMP)
	$(BIN)/python -m webforms.dev.supervisor

## Set up and run the whole test suite.
test: $(STAMP) tests/tools/node_modules/.installed
	$(BIN)/python -m pytest $(PYTEST_ARGS)

tests/tools/node_modules/.installed: tests/tools/package-lock.json
	scripts/test-tools.sh

## Benchmarks against the stack's own limits (see README, Performance).
bench: $(STAMP)
	$(BIN)/python -m bench.run_all

lint: $(STAMP)
	$(BIN)/python -m pip install --quiet ruff
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
