# Open Day. The quick start is `make run` and `make test`; both work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test lint format messages screenshots install install-dev e2e-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

# axe-core for the accessibility checks in the browser tests, installed when missing
# (package-lock.json pins it).
node_modules/axe-core/axe.min.js:
	npm ci --no-audit --no-fund --silent

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev node_modules/axe-core/axe.min.js

## make run: the demo open day on SQLite at http://127.0.0.1:$(PORT)
run: install
	DEBUG=true $(BIN)/python manage.py migrate --noinput
	DEBUG=true $(BIN)/python manage.py load_demo
	DEBUG=true $(BIN)/python manage.py load_demo_feedback
	DEBUG=true $(BIN)/python manage.py demo_admin --url http://127.0.0.1:$(PORT)/admin/
	DEBUG=true $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

## make test: the whole suite; on PostgreSQL when DATABASE_URL=postgres://... is set
test: install-dev
	DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

## make lighthouse: Lighthouse scores of the public pages, served as in production (needs PostgreSQL, nginx, Chromium)
lighthouse: install-dev
	$(BIN)/python bench/lighthouse.py --runs 3

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## make screenshots: every picture in README.md, taken from a fresh demo open day
screenshots: install-dev
	$(BIN)/python scripts/screenshots.py

## make messages: refresh the translation catalogues and compile them
messages: install-dev
	DEBUG=true $(BIN)/python manage.py makemessages -l zh_Hans -l en --no-obsolete --ignore '.venv/*' --ignore 'static/vendor/*'
	DEBUG=true $(BIN)/python manage.py compilemessages --ignore '.venv/*'

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-wal db.sqlite3-shm staticfiles
