# Quick start: `make run` runs the example program, `make test` runs the whole test suite.
# Both create and fill the virtual environment in .venv when it is missing or stale.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-slow bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# compat mode puts the source folder on sys.path instead of an import hook, which keeps
	# start-up fast (the hook imports pathlib and importlib.util into every run)
	$(BIN)/python -m pip install --quiet -e '.[dev]' --config-settings editable_mode=compat
	# bytecode written up front: runs start fast even where PYTHONDONTWRITEBYTECODE is set
	$(BIN)/python -m compileall -q hypnoscript
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/hyp exec examples/hello.hyp

test: $(STAMP)
	$(BIN)/python -m pytest -q

# the long suites too (soak and crash tests); .ci/run runs it after `make test`
test-slow: $(STAMP)
	$(BIN)/python -m pytest -q --slow -m slow || test $$? -eq 5  # 5: none marked slow

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .pytest_cache .hypcache
