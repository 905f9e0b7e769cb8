# Ningju: set-up, demo and tests. Everything installs into .venv from PyPI, pinned by requirements.lock.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install demo serve test test-only lint check-migrations ci clean

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=24"
	$(PY) -m pip install --quiet -c requirements.lock -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)
	$(PY) scripts/vendor_assets.py  # ECharts and Leaflet as local static files (pinned npm tarballs, hashes checked)

## make demo: install, migrate SQLite, load the demo city, print the logins, serve on 127.0.0.1:8000
demo: install
	$(PY) manage.py migrate --no-input
	$(PY) manage.py load_demo
	@echo "凝聚 demo: http://127.0.0.1:8000  (logins above, password shown in the table title)"
	$(PY) manage.py runserver 127.0.0.1:8000

serve: install
	$(PY) manage.py runserver 127.0.0.1:8000

## make test: install and run the whole suite (browser tests skip with a notice if Chromium is absent)
test: install test-only

test-only:
	$(VENV)/bin/pytest

lint: install check-migrations
	$(VENV)/bin/ruff check .

check-migrations:
	$(PY) manage.py makemigrations --check --dry-run

ci:
	bash .ci/run

clean:
	rm -rf $(VENV) var test-artifacts
