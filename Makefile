# Two commands on a fresh machine: `make demo` and `make test`. Each sets up what is missing
# first (a Python virtualenv in .venv, npm packages in node_modules, the Solidity compiler).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
export PATH := $(CURDIR)/node_modules/.bin:$(CURDIR)/$(VENV)/bin:$(PATH)
# this checkout's own compiler folder for py-solc-x and brownie (toolchain/register_solc.py)
export SOLCX_BINARY_PATH := $(CURDIR)/$(VENV)/solcx

.PHONY: setup test test-contracts test-slither test-grid test-oracle test-sdk test-market test-pages demo gas bench clean

# schemathesis (the grid's API fuzz test) needs newer hypothesis and pytest than eth-brownie pins: its own venv
FUZZ_VENV := .venv-fuzz

setup: $(VENV)/.installed node_modules/.installed $(FUZZ_VENV)/.installed
	@$(PY) toolchain/register_solc.py
	@$(PY) toolchain/register_networks.py
	@$(PY) toolchain/check_path.py --warn
	@out=$$($(VENV)/bin/brownie compile 2>&1) || { echo "$$out"; exit 1; }; echo "$$out" | tail -1

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[bench,test]"
	touch $@

$(FUZZ_VENV)/.installed:
	test -x $(FUZZ_VENV)/bin/python || python3 -m venv $(FUZZ_VENV)
	$(FUZZ_VENV)/bin/python -m pip install -q "schemathesis==4.32.5"
	touch $@

node_modules/.installed: package.json package-lock.json
	# npm ci refuses lock files without the other platforms' optional anvil binaries, which npm 11
	# leaves out; package.json pins exact versions, so install resolves the same packages
	npm install --no-audit --no-fund
	touch $@

test: setup test-contracts test-slither test-grid test-oracle test-sdk test-market test-pages

# brownie starts its development chain (anvil) on a free port that tests/contracts/conftest.py picks
test-contracts: setup
	$(VENV)/bin/brownie test tests/contracts

# slither over the contracts, through solc-js; fails on a high or medium finding not triaged
SLITHER_VENV := .venv-slither
$(SLITHER_VENV)/.installed: toolchain/slither-requirements.txt
	test -x $(SLITHER_VENV)/bin/python || python3 -m venv $(SLITHER_VENV)
	$(SLITHER_VENV)/bin/python -m pip install -q --upgrade pip
	$(SLITHER_VENV)/bin/python -m pip install -q -r toolchain/slither-requirements.txt
	touch $@

test-slither: setup $(SLITHER_VENV)/.installed
	$(SLITHER_VENV)/bin/python toolchain/slither_check.py

test-grid: setup
	$(PY) -m pytest -p no:pytest-brownie tests/grid

test-oracle: setup
	$(PY) -m pytest -p no:pytest-brownie tests/oracle

# the dashboard and the vanity front end in Debian's headless chromium (screenshots in reports/screenshots)
test-pages: setup
	$(PY) -m pytest -p no:pytest-brownie tests/pages

test-sdk: setup
	$(PY) -m pytest -p no:pytest-brownie tests/sdk tests/toolchain

# the order book, the oracle's pool orders and the market's command line, as real processes on anvil
test-market: setup
	$(PY) -m pytest -p no:pytest-brownie tests/market

demo: setup
	$(PY) -m oracle.demo

gas: setup
	@$(PY) toolchain/check_path.py
	$(VENV)/bin/brownie run scripts/gas_table.py

bench: setup
	$(PY) -m bench.grid_bench --jobs 2000 --workers 4 --slots 8
	$(PY) -m bench.oracle_bench

clean:
	rm -rf build reports var
