# Rammeaftaleportalen — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
MANAGE := $(PY) manage.py
UV_VERSION := 0.13.9

.PHONY: run test install install-dev npm messages lock lint format typecheck check ci-checks clean worker beat

# --- setup -------------------------------------------------------------------------------------

$(VENV)/.created:
	@PYBIN=$$(scripts/find-python.sh) || exit 1; \
	echo "Using $$PYBIN"; \
	"$$PYBIN" -m venv $(VENV) && $(BIN)/pip install --quiet "uv==$(UV_VERSION)"
	@touch $@

$(VENV)/.installed: $(VENV)/.created requirements.txt
	$(BIN)/uv pip sync --quiet --python $(PY) requirements.txt
	@rm -f $(VENV)/.installed-dev
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.created requirements.txt requirements-dev.txt
	$(BIN)/uv pip sync --quiet --python $(PY) requirements-dev.txt
	@touch $(VENV)/.installed $@

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm (Node.js >= 20) is needed for the DKFDS front end"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: $(VENV)/.installed node_modules/.installed messages
install-dev: $(VENV)/.installed-dev node_modules/.installed messages

npm: node_modules/.installed

messages: $(VENV)/.installed
	$(MANAGE) compile_translations

# Regenerate the pinned lock files from pyproject.toml (run after changing dependencies).
lock: $(VENV)/.created
	$(BIN)/uv pip compile --quiet pyproject.toml --python-version 3.12 --generate-hashes -o requirements.txt
	$(BIN)/uv pip compile --quiet pyproject.toml --extra dev --python-version 3.12 --generate-hashes -o requirements-dev.txt

# --- the two commands --------------------------------------------------------------------------

run: install
	$(MANAGE) migrate --noinput -v 0
	$(MANAGE) seed_demo
	$(MANAGE) ensure_demo_login
	$(MANAGE) runserver 127.0.0.1:8000

test: install-dev
	$(BIN)/pytest $(PYTEST_ARGS)

# --- production-like processes (need REDIS_URL and DATABASE_URL) --------------------------------

worker: install
	$(BIN)/celery -A rammeaftale worker -l info

beat: install
	$(BIN)/celery -A rammeaftale beat -l info

# --- quality -------------------------------------------------------------------------------------

# Each linter runs even when an earlier one found something; lint fails if any did.
lint: install-dev
	@rc=0; \
	echo "ruff check ."; $(BIN)/ruff check . || rc=1; \
	echo "ruff format --check ."; $(BIN)/ruff format --check . || rc=1; \
	echo "djlint templates --lint"; $(BIN)/djlint templates --lint || rc=1; \
	exit $$rc

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: install-dev
	$(BIN)/mypy .

check: install-dev
	$(MANAGE) makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=rammeaftale.settings.production \
	  DJANGO_SECRET_KEY=check-deploy-$$(head -c 48 /dev/urandom | base64 | tr -dc A-Za-z0-9) \
	  DJANGO_ALLOWED_HOSTS=rammeaftale.example.dk \
	  SMTP_URL=smtp+tls://mail.example.dk:587 \
	  $(MANAGE) check --deploy --fail-level WARNING

ci-checks: lint typecheck check

clean:
	rm -rf $(VENV) node_modules staticfiles var/static
