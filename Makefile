# The two commands the README starts with:
#   make run   - set up everything on a fresh machine and run the product on its embedded default
#   make test  - set up (if needed) and run the whole test suite
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
UV_VERSION := 0.13.9
# uv reads the platform's CA store (a TLS-inspecting proxy's CA is installed there, not in uv's
# bundled roots); both spellings, for older and newer uv.
export UV_SYSTEM_CERTS := 1
export UV_NATIVE_TLS := 1

.PHONY: setup run demo stop test lint sandbox migrate bench clean

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip "uv==$(UV_VERSION)"
	$(VENV)/bin/uv pip sync --python $(PY) requirements.txt
	$(VENV)/bin/uv pip install --python $(PY) --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)

run: setup
	bash scripts/run_local.sh

demo: setup
	bash scripts/run_local.sh --no-serve

# every process make run/demo started (sandbox, Airflow's API server, scheduler, DAG processor,
# triggerer), by the process ids it recorded in .run/*.pid; each one's own process group.
stop:
	@bash scripts/run_local.sh --stop

test: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/python -m pytest

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

sandbox: setup
	$(VENV)/bin/python -m qbo_sandbox --port 8765

migrate: setup
	$(VENV)/bin/qbo-sync migrate

bench: setup
	for b in bench/bench_*.py; do $(PY) $$b || exit 1; done

clean: stop
	rm -rf $(VENV) .airflow .airflow-test .run
