# Two entry points: `make run` (the product on the built-in demo model) and `make test` (everything).
# Each creates and fills .venv itself, so both work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck unit clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/flperf demo

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/lint-imports

# Each OS's branches (sys.platform checks) are type-checked on any machine; one cache each.
typecheck: $(STAMP)
	$(BIN)/mypy --platform linux --cache-dir .mypy_cache/linux
	$(BIN)/mypy --platform win32 --cache-dir .mypy_cache/win32
	$(BIN)/mypy --platform darwin --cache-dir .mypy_cache/darwin

# Two pytest workers: most tests wait on servers and simulators, so two halve the wall time on
# a 2-core machine; timing tests compare figures measured side by side, not absolute times.
test: $(STAMP)
	@bash scripts/ensure_test_deps.sh
	$(MAKE) --no-print-directory lint typecheck
	$(BIN)/pytest -q -p no:cacheprovider -n 2

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
