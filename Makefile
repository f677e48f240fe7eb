# One command to try the product, one to test it. Everything installs into .venv.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3
export DO_NOT_TRACK := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

.PHONY: install demo test lint format pytest bench package docs clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[aws,dev]'
	touch $@

demo: install
	$(BIN)/lead-scoring demo

# sqlfluff's dbt templater compiles the project and connects to the profile's warehouse. An
# in-memory DuckDB needs no file, so lint works on a fresh clone and parallel runs share no
# file lock. It holds no tables, so is_incremental() is false and each model's full-refresh
# SQL is linted. dbt's artifacts go to build/ rather than target/, which other dbt runs use.
# Macro files are not linted because the dbt templater skips them: they render to no SQL.
SQLFLUFF := LEAD_SCORING_DB=:memory: LEAD_SCORING_TARGET_PATH=$(CURDIR)/build/sqlfluff_target \
    $(BIN)/sqlfluff
SQL_PATHS := models tests/sql

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(SQLFLUFF) lint $(SQL_PATHS) --processes 2

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	$(SQLFLUFF) fix $(SQL_PATHS) --processes 2

pytest: install
	$(BIN)/pytest

test: lint pytest

# Generates 1M and 10M events and times full, incremental and baseline runs (about an hour).
bench: install
	$(BIN)/python scripts/bench.py

docs: install
	LEAD_SCORING_DB=$(CURDIR)/build/docs.duckdb $(BIN)/lead-scoring generate --db build/docs.duckdb
	LEAD_SCORING_DB=$(CURDIR)/build/docs.duckdb $(BIN)/dbt docs generate --profiles-dir . --project-dir .

clean:
	rm -rf target logs build warehouse dbt_packages .pytest_cache .ruff_cache

# Lambda deployment zip (build/lead-scoring-lambda.zip); fails above Lambda's 250 MB limit.
package: install
	$(BIN)/python scripts/package.py
