# Two commands for a fresh machine: `make demo` and `make test`. Each installs what it needs first:
# the Python packages (pyproject.toml), the front-end packages (package.json, from npm) and the few
# Debian packages (scripts/system_deps.sh).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ASSETS := src/cyplan/web/static/vendor/.built
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test lint bench clean system system-test mutate

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(ASSETS): package.json package-lock.json src/cyplan/web/scss/cyplan.scss scripts/build_web_assets.sh
	scripts/build_web_assets.sh

system:
	scripts/system_deps.sh

system-test:
	scripts/system_deps.sh --test

# The demo area, then the web app on it: open the address it prints.
demo: $(STAMP) $(ASSETS) system
	$(BIN)/cyplan demo
	$(BIN)/cyplan serve --workspace exampleshire --host $(HOST) --port $(PORT)

# the tests on two workers (pytest-xdist), each taking a whole test file at a time, so its fixtures are built once;
# the slowest files are queued first (tests/slow_first.py)
test: $(STAMP) $(ASSETS) system-test
	$(BIN)/ruff check .
	$(BIN)/pytest -n 2 --dist loadfile

bench: $(STAMP) $(ASSETS)
	@echo "run a benchmark alone, e.g. $(BIN)/python benchmarks/<name>.py"

clean:
	rm -rf $(VENV) exampleshire .pytest_cache .ruff_cache .hypothesis node_modules src/cyplan/web/static/vendor

# Mutation testing (issue 19) over model/ (disclosure included) and returns/: slow (tens of minutes a
# module on two cores), so not part of `make test`. `scripts/mutate.sh model/gap` runs one module;
# docs/testing.md has the score and every surviving mutant.
mutate: $(STAMP) $(ASSETS)
	BIN=$(BIN) scripts/mutate.sh
