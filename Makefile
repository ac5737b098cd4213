# The README's two commands: `make demo` (set up + main job) and `make test` (set up + tests).
# Setting up is idempotent: the venv is rebuilt only when pyproject.toml changes.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.synthloop-installed
WORKSPACE ?= demo-workspace

.PHONY: setup demo test eval lint clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade "pip>=24"
	# torch first, pinned, so that nothing later resolves another build of it
	$(BIN)/python -m pip install -q "torch==2.14.1" "torchvision==0.29.1"
	$(BIN)/python -m pip install -q -e ".[embedded,dev]"
	@touch $(STAMP)

demo: setup
	$(BIN)/synthloop --workspace $(WORKSPACE) demo

test: setup
# the review desk's browser tests drive Debian's Chromium (never a downloaded browser)
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver)
	$(BIN)/ruff check agent tools prompts evals tests
	$(BIN)/python -m pytest -q

eval: setup
	$(BIN)/python -m synthloop.evals.run_all

lint: setup
	$(BIN)/ruff check agent tools prompts evals tests

clean:
	rm -rf $(VENV) demo-workspace
