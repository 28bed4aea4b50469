# Two entry points that work on a fresh machine (Debian 12 + Python 3.12):
#   make run   - the main job
#   make test  - every test tier through tox
.PHONY: run test setup lint types clean bench wheel-check

PY312_BIN := $(dir $(shell PYENV_VERSION=3.12.1 python3.12 -c 'import sys; print(sys.executable)' 2>/dev/null || ls /root/.pyenv/versions/3.12*/bin/python3 2>/dev/null | head -n1))
export PATH := $(CURDIR)/.venv/bin:$(PY312_BIN):$(PATH)

setup:
	bash scripts/bootstrap.sh --system

# Coverage the gate demands of the reference integration (percent): every declared transition
# and every error-catalog code (the offline fault items execute the webhook codes, the live
# fault items of the embedded profile, run from the installed wheel by wheel-check, the other 56).
MIN_TRANSITION_COVERAGE ?= 100
MIN_ERROR_COVERAGE ?= 100

# two workers: the offline items split between them, the live world kinds side by side (each
# worker manages its own NetBox: port 8765 and 8865)
run: setup
	harness run --profile embedded --workers 2 --report reports

# lint, then type and the offline tier in tox's `ci` environment (both cores busy), beside them the
# managed NetBox's install and migrated dump (minutes on a machine with no caches, a second on one with
# them); then the harness's
# own live tests (`ci` again, its part live) beside the HNP tier: both mostly wait on their NetBox.
# `ci` was installed just before: --skip-pkg-install keeps the two tox runs from building the package
# into the shared .tox/.pkg at once (tox-dev/tox#3473)
# this run's durations (the offline tier, the offline and embedded profiles, the run so far), which the
# benchmarks print against their budgets
test: export HARNESS_TIMINGS_DIR := $(CURDIR)/reports/timings
test: setup
	rm -rf reports && mkdir -p reports/events reports/timings
	echo $${HARNESS_CI_STARTED:-$$(date +%s)} > reports/timings/started
	@date +"make test: tox started %T, the managed NetBox prepared beside it"
	HARNESS_EVENTS_DIR=$(CURDIR)/reports/events bash scripts/beside.sh reports/prepare-netbox.log \
		"tox run -e lint,ci -- type offline" "bash scripts/prepare-netbox.sh"
	@date +"make test: the harness's own live tests beside the HNP tier started %T"
	HARNESS_EVENTS_DIR=$(CURDIR)/reports/events bash scripts/beside.sh reports/hnp-tier.log \
		"tox run -e ci --skip-pkg-install -- live" "tox run -e hnp"
	@date +"make test: wheel check (installed wheels: offline and embedded profiles) started %T"
	bash scripts/wheel-check.sh $(CURDIR)/reports/wheel-check $(CURDIR)/reports/events
	python -m harness.report --events reports/events --out reports --profile tox
	harness gate reports/report.json --min-transition-coverage $(MIN_TRANSITION_COVERAGE) \
		--min-error-coverage $(MIN_ERROR_COVERAGE)
	@date +"make test: secret scan started %T"
	python -m harness.secrets_scan
	python -m harness.secrets_scan reports tests/cassettes tests/regressions
	@date +"make test: benchmarks started %T"
	date +%s > reports/timings/benchmarks.started
	python -m benchmarks --quick
	@date +"make test: done %T"

# The harness as a stranger installs it: wheels in a fresh virtualenv, a project made by
# `harness init` outside the repository, the same verdicts as the in-repository run.
wheel-check: setup
	bash scripts/wheel-check.sh $(CURDIR)/reports/wheel-check

# Every cost of the fast-gate table as a ratio to a reference run beside it (see benchmarks/README.md).
bench: setup
	python -m benchmarks $(BENCH_ARGS)

lint:
	tox run -e lint,type

clean:
	rm -rf .venv .tox build *.egg-info
