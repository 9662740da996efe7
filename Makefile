# jepa_lab: `make lab` to learn, `make test` to check everything (what CI runs).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Pinned here for reproducible installs; the package itself asks for torch>=2.3.
TORCH  := torch==2.13.0
NBVAL  := --nbval-lax --nbval-current-env --nbval-cell-timeout=600

# The busy-machine thread policy (README, "When the machine is busy"): every kernel and run started here
# gets a short OpenMP spin before torch starts, and jepa_lab keeps torch's threads at the free cores.
# A wait policy of your own, or JEPA_LAB_THREADS=off, wins.
ifeq ($(origin OMP_WAIT_POLICY),undefined)
ifneq ($(JEPA_LAB_THREADS),off)
export GOMP_SPINCOUNT ?= 10000
endif
endif

.PHONY: install lab test unit notebooks course book lint clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "installing into $(VENV) (log: $(VENV)/install.log) ..."
	@$(BIN)/python -m pip install --upgrade pip > $(VENV)/install.log 2>&1 || (tail -40 $(VENV)/install.log; exit 1)
	@$(BIN)/python -m pip install "$(TORCH)" -e ".[dev]" >> $(VENV)/install.log 2>&1 || (tail -40 $(VENV)/install.log; exit 1)
	@$(BIN)/python -c "import torch, jepa_lab; print('installed jepa_lab', jepa_lab.__version__, 'with torch', torch.__version__)"
	@touch $(STAMP)

install: $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

test: $(STAMP)
	JEPA_LAB_MODE=fast $(BIN)/python -m pytest tests notebooks $(NBVAL)

unit: $(STAMP)
	JEPA_LAB_MODE=fast $(BIN)/python -m pytest tests

notebooks: $(STAMP)
	JEPA_LAB_MODE=fast $(BIN)/python -m pytest notebooks $(NBVAL)

course: $(STAMP)
	$(BIN)/python tools/run_course.py

book: $(STAMP)
	$(BIN)/python tools/build_book.py --mode cpu

lint: $(STAMP)
	$(BIN)/ruff check jepa_lab tests tools notebooks

clean:
	rm -rf build .pytest_cache .hypothesis
