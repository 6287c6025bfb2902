# Two commands: `make demo` (portal on http://127.0.0.1:5000) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PLUGINS := buergerportal wintersmart digitallabor lotsen
PG_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
PYTEST := $(BIN)/python -m pytest -p no:cacheprovider
TEST_PATHS := tests $(wildcard plugins/*/tests) $(wildcard sdk/tests)

.PHONY: demo test test-pg test-e2e install browser docs bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml $(wildcard plugins/*/pyproject.toml plugins/*/setup.py plugins/*/mash_*/*/*.c) $(wildcard sdk/pyproject.toml)
	$(BIN)/pip install -q -e '.[test,bench]' $(foreach p,$(wildcard plugins/*/pyproject.toml),-e $(dir $(p))) $(if $(wildcard sdk/pyproject.toml),-e sdk)
	touch $@

install: $(VENV)/.installed

# The portal with WinterSMART's demo simulator switched on (a cooling night over MQTT, looped;
# plans every 5 minutes) — the environment lock keeps it out of every other `mash run`.
demo: install
	$(BIN)/mash demo load
	MASH_SETTING_WINTERSMART_DEMO_SIMULATOR=true $(BIN)/mash run --host 127.0.0.1 --port 5000

# Debian's Chromium for the end-to-end tests (never `playwright install`).
browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

test: install browser
	$(PYTEST) -q $(TEST_PATHS) -m "not integration"

# The same suite against the PostgreSQL server, plus the tests marked integration.
test-pg: install
	MASH_TEST_DATABASE_URL=$(PG_URL) $(PYTEST) -q $(TEST_PATHS) -m "not e2e"

docs: install
	$(BIN)/mash-sdk docs

bench: install
	$(BIN)/python bench/portal.py

clean:
	rm -rf $(VENV) instance
