# Fangkong — `make help` lists the targets.
SHELL := /bin/sh
VENV := .venv
PY := $(VENV)/bin/python
FK := $(VENV)/bin/fangkong
STAMP := $(VENV)/.installed
DEMO_RESIDENTS ?= 20000
DEMO_SEED ?= 1
DEMO_AS_OF ?=
DEMO_ARGS = --residents $(DEMO_RESIDENTS) --seed $(DEMO_SEED)$(if $(DEMO_AS_OF), --as-of $(DEMO_AS_OF))
PORT ?= 8000

.PHONY: help run serve test check fmt env assets messages system browser bench demo clean

# The development server runs with DEBUG on (and DEBUG's local secret key); `make serve` never does.
run: export FANGKONG_DEBUG := 1

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml package.json
	@PYBIN=$$(scripts/find-python) && echo "using $$PYBIN" && \
	  { [ -x $(PY) ] || $$PYBIN -m venv $(VENV); }
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	npm install --no-audit --no-fund --silent
	@touch $(STAMP)

env: $(STAMP) messages system ## create the virtualenv, install Python, npm and Debian packages, compile translations

system:
	@scripts/ensure-system

messages: $(STAMP)
	@command -v msgfmt >/dev/null || { apt-get update -qq && apt-get install -y -qq gettext >/dev/null; }
	@cd src/fangkong && ../../$(FK) compilemessages -v 0

run: env ## migrate SQLite, load the demo city (first time), serve http://127.0.0.1:8000 + task worker
	@mkdir -p var
	$(FK) migrate -v 0
	$(FK) demo $(DEMO_ARGS) --if-empty
	@$(FK) db_worker & WORKER=$$!; trap 'kill $$WORKER 2>/dev/null' EXIT INT TERM; \
	  $(FK) runserver 127.0.0.1:$(PORT)

serve: env ## production: gunicorn workers + WhiteNoise + task worker (needs FANGKONG_SECRET_KEY; docs/deploy.md)
	@scripts/serve

demo: env ## rebuild the demo city (DEMO_RESIDENTS, DEMO_SEED, DEMO_AS_OF=YYYY-MM-DD)
	@mkdir -p var
	$(FK) migrate -v 0
	$(FK) demo $(DEMO_ARGS) --replace

browser:
	@scripts/ensure-system --browser

test: env browser ## the whole suite on SQLite and on PostgreSQL (if reachable), both at once
	@mkdir -p var
	@scripts/test

check: env ## ruff, ruff format --check, mypy, import layers (lint-imports), makemigrations --check
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy src
	$(VENV)/bin/lint-imports
	$(FK) makemigrations --check --dry-run

fmt: env ## apply ruff fixes and formatting
	$(VENV)/bin/ruff check --fix src tests bench
	$(VENV)/bin/ruff format src tests bench

bench: env ## registry benchmark at 1M residents (SQLite and PostgreSQL)
	$(PY) bench/registry.py

clean: ## remove the virtualenv, node_modules and var/
	rm -rf $(VENV) node_modules var
