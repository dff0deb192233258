# The two set-up commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_DB := instance/exchange.db
DEMO_FILE := instance/centre-littoral.json
export EXCHANGE_DATABASE_URL ?= sqlite:///$(CURDIR)/$(DEMO_DB)

.PHONY: demo test install browser npm clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Debian's Chromium for the Playwright browser tests (Playwright's own download fails here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; fi; }

# axe-core for the accessibility checks of the browser tests (node_modules/, pinned by package-lock.json).
NPM_STAMP := node_modules/.package-lock.json

npm: $(NPM_STAMP)

$(NPM_STAMP): package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm; fi; }
	npm ci --no-audit --no-fund
	touch $(NPM_STAMP)

demo: $(STAMP)
	mkdir -p instance
	$(BIN)/exchange init-db
	$(BIN)/exchange generate --seed 2026 --dwellings 2000 -o $(DEMO_FILE)
	$(BIN)/exchange import $(DEMO_FILE)
	$(BIN)/exchange run CACL
	$(BIN)/exchange demo-accounts CACL
	$(BIN)/python -m web --host 127.0.0.1 --port 5000

test: $(STAMP) browser $(NPM_STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadgroup

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis node_modules tests/web/screenshots
