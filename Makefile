# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
ASSETS := static/vendor/.installed
PYTEST_ARGS ?=

.PHONY: run test install bench lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $@

$(ASSETS): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --no-audit --no-fund --loglevel=error && \
	  mkdir -p static/vendor && \
	  cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.css node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js static/vendor/ && \
	  sed -i -e 's/@font-face{[^}]*}//g' static/vendor/govuk-frontend.min.css && \
	  rm -rf static/vendor/assets && cp -r node_modules/govuk-frontend/dist/govuk/assets static/vendor/assets && \
	  rm -rf static/vendor/assets/fonts && \
	  touch $@; \
	else echo "npm not found: pages will work but without the GOV.UK styles"; fi

install: $(STAMP) $(ASSETS)

## make run: venv, install, migrate a SQLite database under instance/, demo data, serve on 127.0.0.1:5000
run: install
	$(BIN)/caseflow db upgrade
	$(BIN)/caseflow demo
	@echo "Serving Caseflow on http://127.0.0.1:5000 (Ctrl-C to stop)"
	$(BIN)/caseflow serve --host 127.0.0.1 --port 5000

## make test: install what the tests need (PostgreSQL running, Chromium) and run the whole suite
test: install
	bash .ci/ensure-system-deps
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

## make bench: our benchmarks and the peer's, in one run, as JSON (setup chatter goes to stderr)
bench:
	@$(MAKE) --no-print-directory install >&2
	@bash .ci/ensure-system-deps >&2
	@$(BIN)/python benchmarks/run.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) node_modules static/vendor instance test-output
