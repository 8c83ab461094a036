# Two commands do all the set-up on a fresh machine:  `make run`  and  `make test`.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO := data/demo_project
PORT ?= 8501

.PHONY: setup run demo test test-postgres lint browser-deps benchmark-quick clean-demo

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch first, pinned: the CPU wheel; an unpinned torch would pull a multi-GB CUDA build.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[dev,ray]"
	touch $(STAMP)

# Local model builds (MiniLM's ONNX int8 graph from the checked weights); verified and kept if present.
setup: $(STAMP)
	HF_HUB_OFFLINE=1 $(VENV)/bin/screening build-models

$(DEMO)/project.yaml: | $(STAMP)
	$(VENV)/bin/screening init $(DEMO) --protocol data/protocols/donners_2021.yaml
	$(VENV)/bin/screening import $(DEMO) data/demo/donners_2021.csv
	$(VENV)/bin/screening dedup $(DEMO)
	$(VENV)/bin/screening add-reviewer $(DEMO) demo --role lead

demo: $(DEMO)/project.yaml

run: setup demo
	HF_HUB_OFFLINE=1 $(VENV)/bin/streamlit run app.py --server.headless true --server.port $(PORT) \
		--browser.gatherUsageStats false -- --project $(DEMO)

# The browser test drives Debian's Chromium; install it when missing (needs apt and root).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

test: $(STAMP) browser-deps
	HF_HUB_OFFLINE=1 $(VENV)/bin/pytest -q

# The store on PostgreSQL: starts Debian's local cluster (apt package postgresql) and a throwaway database;
# includes the two-app-server browser test (Chromium).
PG_URL ?= postgresql+psycopg://screening:screening@localhost/screening_test
test-postgres: $(STAMP) browser-deps
	@command -v pg_ctlcluster >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq postgresql >/dev/null)
	@pg_lsclusters -h | grep -q online || pg_ctlcluster $$(pg_lsclusters -h | head -1 | cut -d' ' -f1) main start
	@su postgres -c "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname='screening'\"" | grep -q 1 || \
		su postgres -c "psql -qc \"CREATE ROLE screening LOGIN PASSWORD 'screening'\""
	@su postgres -c "psql -tAc \"SELECT 1 FROM pg_database WHERE datname='screening_test'\"" | grep -q 1 || \
		su postgres -c "psql -qc 'CREATE DATABASE screening_test OWNER screening'"
	SCREENING_TEST_PG_URL=$(PG_URL) $(VENV)/bin/pytest -q -m postgres

lint: $(STAMP)
	$(VENV)/bin/ruff check .

benchmark-quick: $(STAMP)
	HF_HUB_OFFLINE=1 $(PY) evaluation/benchmark.py --quick

clean-demo:
	rm -rf $(DEMO)
