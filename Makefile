# The two commands of the README: `make demo` (run the program) and `make test` (run the tests).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: test lint demo bench setup tools

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Python and npm dependencies, reinstalled only when their lists change.
$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

setup: $(VENV)/.installed node_modules/.installed

# The real Pulumi CLI (with its Python host), influxd 2.7.12 and 2.8.0, built pinned from the Go
# module proxy into .tools/bin; skipped in seconds when nothing changed.
tools: $(VENV)/.installed
	$(BIN)/python -m testbed.tools

# pytest workers: one more than the cores (at most 6; each starts its own servers), since a
# worker often waits on a server or a task run; measured on 2 cores: 17.8 minutes with 2 workers,
# 13.8 with 3. Work stealing keeps a module's tests on one worker unless another runs out, so a
# module-scoped fixture (an org after a real `pulumi up`, a benchmark run) is rarely set up twice
# (pytest-xdist 3.8's `loadgroup` cannot group under pytest 9.2, whose node IDs it no longer
# rewrites). Exit status 5 (no tests collected) is a failure like any other non-zero status.
WORKERS ?= $(shell cores=$$(nproc); echo $$(( cores < 6 ? cores + 1 : 6 )))

test: setup tools
	$(BIN)/ruff check .
	$(BIN)/python -m pytest --numprocesses $(WORKERS) --dist worksteal

demo: $(VENV)/.installed
	$(BIN)/python -m testbed.demo

# Every engine on every server at 10, 100 and 1000 apps, the real CLI's runs with the floor beside
# them; the CLI writing the state after every step (Pulumi's default, quadratic) at 10 and 100
# only; then the steady state, what the deployed tasks cost influxd (1000 apps at 5 pods only). Each
# line adds its runs to bench/results.json and rewrites bench/RESULTS.md from them all.
BENCH := $(BIN)/python bench/run.py --report bench/RESULTS.md

bench: setup tools
	$(BENCH) --engine standin --server emulator --buckets 10 100 1000
	$(BENCH) --engine standin --server real --buckets 10 100 1000
	$(BENCH) --engine real --server emulator --buckets 10 100 1000
	$(BENCH) --engine real --server real --buckets 10 100 1000
	$(BENCH) --engine real-checkpoints --server emulator --buckets 10 100
	$(BENCH) --steady-state --buckets 10 100 1000 --pods 5
	$(BENCH) --steady-state --buckets 10 100 --pods 50
