# Two commands: `make run` and `make test`. Everything else is a helper for them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install bench lint clean e2e-deps system-packages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip 'setuptools>=81'  # the venv's bundled 65.5 has known CVEs (review F23)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## The Debian packages the suite and `make run` need (scripts/system-packages.sh: installs them as root,
## else stops naming them and the command).
system-packages:
	sh scripts/system-packages.sh

## Set up and start web + worker + cron + SMTP sink on embedded defaults (Ctrl-C stops all).
run: system-packages $(STAMP)
	$(BIN)/python -m webforms.dev.supervisor

## Set up and run the whole test suite.
test: system-packages $(STAMP) tests/tools/node_modules/.installed
	$(BIN)/python -m pytest $(PYTEST_ARGS)

tests/tools/node_modules/.installed: tests/tools/package-lock.json
	scripts/test-tools.sh

## Benchmarks against the stack's own limits (see README, Performance).
bench: $(STAMP)
	$(BIN)/python -m bench.run_all

## ruff comes with the test extras (pyproject.toml), so linting needs nothing at run time.
lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
