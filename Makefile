# Two entry points that work on a fresh machine (Debian 12 + Python 3.12):
#   make run   - the main job
#   make test  - every test tier through tox
.PHONY: run test setup lint types clean

PY312_BIN := $(dir $(shell PYENV_VERSION=3.12.1 python3.12 -c 'import sys; print(sys.executable)' 2>/dev/null || ls /root/.pyenv/versions/3.12*/bin/python3 2>/dev/null | head -n1))
export PATH := $(CURDIR)/.venv/bin:$(PY312_BIN):$(PATH)

setup:
	bash scripts/bootstrap.sh --system

run: setup
	harness validate --crds ../shared/hedgehog-crds

test: setup
	tox run

lint:
	tox run -e lint,type

clean:
	rm -rf .venv .tox build *.egg-info
