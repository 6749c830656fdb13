# ChatX — the two commands a new user runs are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check -q
STAMP  := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

QUESTION ?= how do we roll back a failed deploy?

.PHONY: run test test-fast vscode claude-code bench bench-scale lint schemas clean pg pg-stop

$(PY):
	$(PYTHON) -m venv $(VENV)

# torch first, pinned: 2.13.0 is the CPU build on this machine; anything else pulls CUDA.
$(STAMP): pyproject.toml | $(PY)
	$(PIP) install torch==2.13.0
	$(PIP) install -e '.[local]'
	$(PY) -m chatx.shield.lexicon
	@touch $@

$(DEVSTAMP): $(STAMP)
	$(PIP) install -e '.[dev,local]'
	@touch $@

run: $(STAMP)
	$(VENV)/bin/chatx index examples/workspace
	$(VENV)/bin/chatx query "$(QUESTION)" --workspace examples/workspace --k 3
	$(VENV)/bin/chatx ask "$(QUESTION)" --workspace examples/workspace

# The editor and agent suites run a second time with every process indexing into PostgreSQL.
test: $(DEVSTAMP) vscode claude-code
	$(PY) -m pytest -q tests
	$(PY) -m pytest -q --store pgvector tests/lsp tests/unit/test_mcp_server.py tests/unit/test_memory_mcp.py

# The pure tier: no model load, no process started (tests/conftest.py marks the rest slow).
test-fast: $(DEVSTAMP)
	$(PY) -m pytest -q -m "not slow" tests

# The VS Code extension must install and compile (VS Code itself cannot run here).
vscode:
	cd client-config/vscode && npm ci --no-audit --no-fund --loglevel=error && npm run -s compile

# The Claude Code CLI (pinned in tests/agent/package.json) that tests/agent drive headless.
claude-code:
	cd tests/agent && npm ci --no-audit --no-fund --loglevel=error

# A throwaway PostgreSQL 16 with pgvector (pgserver) in .pg/, on a Unix socket, for trying
# vectorStore = "pgvector" (ADR 0017); it prints the URL to give as CHATX_PG_URL. The tests
# start their own.
pg: $(DEVSTAMP)
	@$(PY) -c "import pgserver; print(pgserver.get_server('$(CURDIR)/.pg', cleanup_mode=None).get_uri())"

pg-stop: $(DEVSTAMP)
	@$(PY) -c "import pgserver; pgserver.get_server('$(CURDIR)/.pg', cleanup_mode='stop').cleanup()"

lint: $(DEVSTAMP)
	$(VENV)/bin/ruff check server tests bench
	$(VENV)/bin/mypy

bench: $(DEVSTAMP)
	$(PY) bench/index_bench.py --messages 50000
	$(PY) bench/query_bench.py --chunks 100000
	$(PY) bench/reindex_bench.py --files 1000
	$(PY) bench/cold_query_bench.py
	$(PY) bench/lsp_bench.py --chunks 100000
	$(PY) bench/agent_bench.py --chunks 100000
	$(PY) bench/memory_bench.py --entities 10000 --observations 100000
	$(PY) bench/formats_bench.py --messages 100000
	$(PY) bench/conversation_bench.py
	$(PY) bench/shield_bench.py --messages 100000
	$(PY) bench/shield_bench.py --messages 100000 --corpus dense
	$(PY) bench/shield_eval.py
	$(PY) bench/route_bench.py

# The 1M-message iMessage database indexed end to end (about an hour on 2 cores), and 1M
# chunks with cached vectors in LanceDB and in PostgreSQL with pgvector (ADR 0017)
bench-scale: $(DEVSTAMP)
	$(PY) bench/imessage_index_bench.py --messages 1000000
	$(PY) bench/scale_bench.py --chunks 1000000

schemas: $(STAMP)
	$(PY) -m chatx.schemas schemas

clean:
	rm -rf examples/workspace/.claude-context
