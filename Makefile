# Two entry points for a fresh machine: `make demo` (the main job on the bundled samples) and
# `make test`. Each creates its own virtual environment in .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
OUT := out

.PHONY: demo test venv samples template bench clean

$(BIN)/workbook: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(BIN)/workbook

venv: $(BIN)/workbook

demo: venv
	$(BIN)/python scripts/demo.py $(OUT)

test: venv
	$(BIN)/python -m pytest -q

samples: venv
	$(BIN)/python scripts/make_samples.py

template: venv
	$(BIN)/python -m workbook.report_template

bench: venv
	$(BIN)/python benchmarks/bench_validate.py

clean:
	rm -rf $(VENV) $(OUT)
