# Two entry points for a fresh machine: `make run` and `make test`.
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3
APP := search_app/app.py

.PHONY: run test index bench load

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

# Built when missing, or rebuilt when the engine cannot open it (an index of an older format).
# The index folder reaches Python through the environment (POLICY_SEARCH_INDEX, default index/), never pasted
# into code or a command line: a path holding quotes or $(...) is a path, nothing more.
index: $(VENV)/.installed
	@POLICY_SEARCH_INDEX="$${POLICY_SEARCH_INDEX:-index}"; export POLICY_SEARCH_INDEX; \
	test -e "$$POLICY_SEARCH_INDEX/current" \
		&& $(BIN)/python -c "from indexer.api import open_engine; open_engine()" 2>/dev/null \
		|| $(BIN)/policy-search index

run: index
	@if [ -f $(APP) ]; then \
		$(BIN)/streamlit run $(APP) --browser.gatherUsageStats false; \
	else \
		$(BIN)/policy-search --help; \
		echo; echo '示例：policy-search search "养老服务 青岛"'; \
		$(BIN)/policy-search search "养老服务 青岛" --limit 3; \
	fi

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest

bench: $(VENV)/.installed
	$(BIN)/policy-search bench --baseline --out benchmarks/results

# 30 concurrent readers (Chromium tabs) × 3 searches against one app on loopback; not part of `make test`.
load: $(VENV)/.installed-test index
	$(BIN)/python benchmarks/load.py --index-dir "$(INDEX_DIR)" --readers 30 --searches 3 --out benchmarks/results
