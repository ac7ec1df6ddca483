# The README's commands. Needs only Python 3.11 (or 3.12) and make: the first run of any target
# creates .venv and installs the project into it; later runs reinstall only when pyproject.toml
# is newer than the stamp files under .venv/.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV        := .venv
VENV_PY     := $(VENV)/bin/python
VENV_CFG    := $(VENV)/pyvenv.cfg
STAMP       := $(VENV)/.rrm-installed
DEV_STAMP   := $(VENV)/.rrm-installed-dev
PIP_INSTALL := $(VENV_PY) -m pip install --quiet --disable-pip-version-check

# Interpreters tried in order to create .venv; `make PYTHON=/path/to/python3.11 ...` picks one.
PYTHON      ?=
PYTEST_ARGS ?=
BENCH_ARGS  ?=

.PHONY: help run test lint bench venv venv-dev

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-9s %s\n", $$1, $$2}'

run: $(STAMP) ## migrate, load the demo, start web + Celery worker + beat on 127.0.0.1:$PORT (8000)
	$(VENV_PY) scripts/run.py

test: $(DEV_STAMP) ## run pytest (extra arguments: PYTEST_ARGS="-k foo -x")
	@$(VENV_PY) -m pytest $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then \
		echo "make test: FAILED: pytest collected no tests (exit status 5)" >&2; \
	fi; \
	exit $$status

lint: $(DEV_STAMP) ## ruff, mypy and the layer contracts (lint-imports); all run, any failing fails
	@status=0; \
	echo "ruff check ."; $(VENV)/bin/ruff check . || status=1; \
	echo "mypy ."; $(VENV)/bin/mypy . || status=1; \
	echo "lint-imports"; $(VENV)/bin/lint-imports --no-cache || status=1; \
	exit $$status

bench: $(STAMP) ## run the benchmarks (bench/run.py; arguments: BENCH_ARGS=...)
	$(VENV_PY) bench/run.py $(BENCH_ARGS)

venv: $(STAMP) ## create .venv with the project installed
venv-dev: $(DEV_STAMP) ## create .venv with the project and its dev tools installed

$(VENV_CFG):
	@py=""; \
	for candidate in $(PYTHON) python3.11 python3; do \
		if command -v "$$candidate" >/dev/null 2>&1 && "$$candidate" -c \
			'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] < (3, 13))' 2>/dev/null; then \
			py="$$candidate"; break; \
		fi; \
	done; \
	if [ -z "$$py" ]; then \
		echo "make: need Python 3.11 or 3.12 (python3.11 or python3 on PATH, or PYTHON=...)" >&2; \
		exit 1; \
	fi; \
	echo "Creating $(VENV) with $$(command -v $$py) ($$($$py -V 2>&1))"; \
	"$$py" -m venv --clear $(VENV) && \
	$(PIP_INSTALL) --upgrade pip

$(STAMP): pyproject.toml $(VENV_CFG)
	@echo "Installing the project into $(VENV) (pip install -e .)"
	@$(PIP_INSTALL) -e .
	@touch $@

$(DEV_STAMP): pyproject.toml $(VENV_CFG)
	@echo "Installing the project and its dev tools into $(VENV) (pip install -e '.[dev]')"
	@$(PIP_INSTALL) -e '.[dev]'
	@touch $@ $(STAMP)
