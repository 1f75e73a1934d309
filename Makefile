# The project's commands. Each target installs what it needs on a fresh machine.
#   make demo   run the platform with the seeded demo companies 示范物业 and 绿城物业
#   make test   the whole suite against real PostgreSQL and Redis (+ Chromium for browser tests)
#   make lint   ruff + mypy
#   make bench  every benchmark (B=<name> for one)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SERVICES := eval "$$(bash infra/services.sh --print-env)"

.PHONY: demo test lint bench venv services chromium messages clean-db

venv: $(STAMP)
$(STAMP): pyproject.toml requirements/constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q -c requirements/constraints.txt -e ".[dev]"
	@touch $(STAMP)

services:
	@bash infra/services.sh

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests" >&2; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

demo: venv
	@$(SERVICES) && DJANGO_SETTINGS_MODULE=backend.settings.local $(PY) manage.py platform_setup -v 0 \
	  && DJANGO_SETTINGS_MODULE=backend.settings.local $(PY) manage.py seed_demo \
	  && bash infra/run_demo.sh

test: venv chromium
	@$(SERVICES) && $(PY) -m pytest $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .

bench: venv
	@$(SERVICES) && $(PY) -m infra.bench $(B)

messages: venv
	$(PY) manage.py makemessages -l zh_Hans --ignore=.venv --ignore=tests --ignore=infra
	$(PY) manage.py compilemessages -l zh_Hans --ignore=.venv

clean-db:
	@$(SERVICES) && psql "$${DATABASE_URL%/*}/postgres" -c "DROP DATABASE IF EXISTS test_wuye" >/dev/null && echo "test database dropped"
