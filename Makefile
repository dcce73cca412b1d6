# loyalty-warehouse — every target works on a fresh machine: the first one creates .venv from uv.lock.
# Settings (see README "Knobs"): SOURCE AS_OF SCALE SEED DIRTY DATA_DIR LANDING_DIR SIM_START PARTITIONS_START
#   ALLOW_EMPTY_DAYS VERBOSE
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := $(CURDIR)/.venv
PY := $(VENV)/bin/python

export SOURCE AS_OF SCALE SEED DIRTY DATA_DIR LANDING_DIR SIM_START DATE FROM TO SCHEDULE_TIME SCHEDULE_TZ SHOP_TZ
export QUARANTINE_TOLERANCE DBT_VARS DUCKDB_MEMORY_LIMIT DBT_THREADS SHOP_CURRENCY PARTITIONS_START
export ALLOW_EMPTY_DAYS VERBOSE
export DAGSTER_HOME ?= $(CURDIR)/dagster_home
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DAGSTER_DISABLE_TELEMETRY := 1
export GX_ANALYTICS_ENABLED := false
export DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS ?= 1
export PATH := $(VENV)/bin:$(PATH)
export WAREHOUSE_BUILD_DB := $(if $(DATA_DIR),$(abspath $(DATA_DIR)),$(CURDIR)/data)/build/warehouse.duckdb

.PHONY: help install build daily backfill test test-quick dev docs docs-serve lint clean bench freshness

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'
	@echo "settings are make variables, e.g. make build SCALE=0.1 AS_OF=2026-06-30 (README.md \"Knobs\")"
	@echo "what each command reads: .venv/bin/python -m dagster_project.cli --help"
	@echo "cron / scripts: bin/warehouse daily keeps the exit codes (1 run failed, 2 bad setting; make says 2 for both)"

$(VENV)/.installed: pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet uv
	@uv sync --frozen --quiet
	@touch $@

install: $(VENV)/.installed  ## create .venv with the pinned dependencies (uv.lock)

build: $(VENV)/.installed  ## the main job: ingest → dbt → quality gates → publish (Dagster, in-process)
	@$(PY) -m dagster_project.cli build

daily: $(VENV)/.installed  ## what the schedule runs for one day: make daily DATE=YYYY-MM-DD (keeps history)
	@$(PY) -m dagster_project.cli daily

backfill: $(VENV)/.installed  ## load a range of days in one run: make backfill FROM=YYYY-MM-DD TO=YYYY-MM-DD
	@$(PY) -m dagster_project.cli backfill

TEST_WORKERS ?= 2
test: $(VENV)/.installed  ## the whole test suite, including real builds on small data (TEST_WORKERS processes)
	@$(PY) -m dagster_project.cli prepare
	@$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile --durations=12 $(PYTEST_ARGS)

test-quick: $(VENV)/.installed  ## the tests that run no build (CLI, dbt, Dagster job): the edit-test loop
	@$(PY) -m dagster_project.cli prepare
	@$(PY) -m pytest -q -n $(TEST_WORKERS) -m "not build" $(PYTEST_ARGS)

bench: $(VENV)/.installed  ## benchmarks vs DuckDB floor and pandas (BENCH_DATASETS=sim-1,tpch-sf1 BENCH_RUNS=3)
	@$(PY) -m bench.run $(if $(BENCH_DATASETS),--datasets $(BENCH_DATASETS)) $(if $(BENCH_RUNS),--runs $(BENCH_RUNS)) $(if $(BENCH_DAILY_RUNS),--daily-runs $(BENCH_DAILY_RUNS)) $(BENCH_ARGS)

dev: $(VENV)/.installed  ## Dagster UI on http://127.0.0.1:3000 (asset graph, checks, schedule)
	@$(PY) -m dagster_project.cli prepare
	@$(VENV)/bin/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

docs: $(VENV)/.installed  ## dbt docs + GX Data Docs as pages that open from disk, offline (after a build)
	@$(PY) -m dagster_project.cli prepare
	@$(PY) -m dagster_project.quality.docs

DOCS_PORT ?= 8080
docs-serve: docs  ## make docs, then serve both on http://127.0.0.1:$(DOCS_PORT) (DOCS_PORT)
	@$(PY) -m dagster_project.quality.docs serve $(DOCS_PORT)

freshness: $(VENV)/.installed  ## how old the build's newest raw load is: dbt source freshness (warn 36 h, error 72 h)
	@$(PY) -m dagster_project.cli prepare
	@cd dbt && $(VENV)/bin/dbt source freshness --profiles-dir .

lint: $(VENV)/.installed  ## ruff + mypy (dagster_project/) + sqlfluff (duckdb dialect); also the pre-commit hooks
	@$(VENV)/bin/ruff check dagster_project tests bench
	@$(VENV)/bin/ruff format --check dagster_project tests bench
	@$(VENV)/bin/mypy
	@$(VENV)/bin/sqlfluff lint dbt/models dbt/tests --processes 2

clean:  ## remove generated data, dbt artefacts and Dagster run history (keeps .venv)
	rm -rf data dbt/target dbt/logs logs expectations/gx/uncommitted
	find dagster_home -mindepth 1 ! -name dagster.yaml -exec rm -rf {} +

# --- dashboards (reports/: Observable Framework, markdown pages + build-time data loaders on the serving file)
.PHONY: report report-dev
SERVING_DB := $(if $(DATA_DIR),$(abspath $(DATA_DIR)),$(CURDIR)/data)/serving/warehouse.duckdb
REPORT_ENV := SERVING_DB="$(SERVING_DB)" REPORT_PYTHON="$(PY)" OBSERVABLE_TELEMETRY_DISABLE=true

reports/node_modules/.package-lock.json: reports/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "report: needs Node.js 18+ with npm (apt-get install nodejs npm)"; exit 1; }
	@cd reports && npm ci --no-audit --no-fund --loglevel=error

report: $(VENV)/.installed reports/node_modules/.package-lock.json  ## the dashboards as a static site, reports/dist/ (after a build)
	@test -f "$(SERVING_DB)" || { echo "report: serving file not found: $(SERVING_DB) (run make build first)"; exit 1; }
	@rm -rf reports/src/.observablehq/cache/data  # the loaders re-run only without a cached result: always fresh
	@cd reports && $(REPORT_ENV) node_modules/.bin/observable build >build.log 2>&1 \
		|| { grep -v ' → ' build.log | tail -25; echo "report: build failed (reports/build.log)"; exit 1; }
	@echo "report: reports/$${REPORT_DIST:-dist}/index.html (open it served: python3 -m http.server -d reports/dist)"

report-dev: $(VENV)/.installed reports/node_modules/.package-lock.json  ## the dashboards with live reload on http://127.0.0.1:3001
	@rm -rf reports/src/.observablehq/cache/data
	@cd reports && $(REPORT_ENV) node_modules/.bin/observable preview --host 127.0.0.1 --port 3001 --no-open
