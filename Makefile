# sar_mm: `make demo` and `make test` are all a user needs; both set up .venv first.
VENV ?= .venv
PY := $(VENV)/bin/python
export VENV

.PHONY: install test demo clean-venv

install:
	@bash tools/install/setup_env.sh

test: install
	$(PY) -m pytest tests --timeout=900 --durations=10

demo: install
	$(PY) tools/run_demo.py $(DEMO_ARGS)

clean-venv:
	rm -rf $(VENV)
