# Two commands for a fresh machine with Python 3.10+ (see README):
#   make lab    set up a virtual environment and open the lessons in JupyterLab
#   make test   set up a virtual environment and run the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: lab test lint benchmark clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,lab]"
	touch $(STAMP)

# Jupyter refuses to run as root unless told to (containers and Binder-like machines run as root).
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

lab: $(STAMP)
	$(BIN)/jupyter lab $(ROOT_FLAG) notebooks/01_tour.ipynb

test: $(STAMP)
	$(BIN)/ruff check lossviz tests benchmarks
	$(BIN)/python -m pytest

benchmark: $(STAMP)
	for script in benchmarks/bench_*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
