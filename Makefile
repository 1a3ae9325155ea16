# Forening: `make run` serves the demo, `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
export FORENING_HOME := $(CURDIR)

.PHONY: run test install translations messages lint format typecheck browser-test bench clean

$(BIN)/forening: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/forening

install: $(BIN)/forening translations

# Compile the .po catalogues with Babel (pure Python: no GNU gettext needed to run).
translations: $(BIN)/forening
	$(BIN)/python -m forening.core.i18n_build

# SITE_URL follows PORT unless set, so the address printed with the demo logins and the
# links in e-mails point at the port served.
run: SITE_URL ?= http://127.0.0.1:$(PORT)
run: install
	mkdir -p var
	DEBUG=1 SITE_URL='$(SITE_URL)' $(BIN)/forening migrate --no-input
	DEBUG=1 SITE_URL='$(SITE_URL)' $(BIN)/forening demo --print-logins
	DEBUG=1 SITE_URL='$(SITE_URL)' $(BIN)/forening serve --port $(PORT)

test: install
	$(BIN)/pytest -q $(PYTEST_ARGS)

browser-test: install
	$(BIN)/pytest -q -m browser $(PYTEST_ARGS)

lint: $(BIN)/forening
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/lint-imports --no-cache

format: $(BIN)/forening
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

typecheck: $(BIN)/forening
	$(BIN)/mypy

# Extract new strings into the .po files (needs GNU gettext: apt-get install gettext).
messages: $(BIN)/forening
	cd src/forening && ../../$(BIN)/forening makemessages -l sv -l da -l en --no-obsolete --add-location file

# The register benchmark on PostgreSQL (DATABASE_URL, default forening_bench on localhost):
# builds 400,000 people once, then prints timings against the targets. See README.md.
bench: $(BIN)/forening
	$(BIN)/python -m bench.register $(BENCH_ARGS); register=$$?; \
	$(BIN)/python -m bench.billing; billing=$$?; \
	test $$register -eq 0 -a $$billing -eq 0

clean:
	rm -rf $(VENV) var build *.egg-info
