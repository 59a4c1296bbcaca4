# sar_mm: `make demo` and `make test` are all a user needs; both set up .venv first.
VENV ?= .venv
TEST_WORKERS ?= 2
PY := $(VENV)/bin/python
export VENV

.PHONY: install test demo lint clean-venv

install:
	@bash tools/install/setup_env.sh

test: install
	$(PY) -m pytest tests -n $(TEST_WORKERS) --timeout=900 --durations=10

demo: install
	$(PY) tools/run_demo.py $(DEMO_ARGS)

# flake8, isort and yapf with the settings of setup.cfg (tests/test_lint.py runs the same checks)
LINT_PATHS := sar_mm tools benchmarks demo tests configs setup.py
lint: install
	$(PY) -m flake8 $(LINT_PATHS)
	$(PY) -m isort --check-only --diff $(LINT_PATHS)
	$(PY) -m yapf --diff --recursive --parallel $(LINT_PATHS)

clean-venv:
	rm -rf $(VENV)
