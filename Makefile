# One command per developer workflow. `make demo` and `make test` work on a fresh clone.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1/postgres
PORT ?= 8000

.PHONY: setup demo serve test test-sqlite test-postgres lint bench clean

$(BIN)/dailypapers: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

setup: $(BIN)/dailypapers  ## create .venv with the app and test tools

demo: setup  ## fill ./demo-data with the bundled sample corpus and serve it on :$(PORT)
	$(BIN)/dailypapers demo --port $(PORT)

serve: setup
	$(BIN)/dailypapers serve --port $(PORT)

test: setup  ## lint, type-check, then the whole suite on SQLite and again on PostgreSQL
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/pytest -q
	DAILYPAPERS_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest -q

test-sqlite: setup
	$(BIN)/pytest -q

test-postgres: setup
	DAILYPAPERS_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest -q

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

bench: setup  ## all benchmarks; figures are printed and written to bench/results/
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) demo-data .pytest_cache
