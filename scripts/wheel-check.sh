#!/usr/bin/env bash
# The harness as a stranger installs it: build the wheels of the harness and of the reference (the
# implementation under test), install them into a fresh virtualenv, and in an empty directory outside
# the repository run `harness init`, `harness validate` and `harness run --profile offline`; then the
# same run in the repository. The two reports must agree: the same totals and the same verdicts.
# Then, from the installed wheels, the embedded profile's live items (the offline ones just ran):
# they must pass, and agree with the offline verdicts on every element both exercised.
# This is the live tier of `make test`: its events go to EVENTS_DIR (the merged report and the gate).
# Usage: scripts/wheel-check.sh [WORKDIR [EVENTS_DIR]]   (needs .venv from scripts/bootstrap.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
work=${1:-$(mktemp -d /tmp/hh-wheel-check.XXXXXX)}
crds=${HARNESS_CRDS_DIR:-$repo/../shared/hedgehog-crds}
python=$(.venv/bin/python -c 'import sys; print(sys.executable)')
python=$(PYENV_VERSION=3.12.1 python3.12 -c 'import sys; print(sys.executable)' 2>/dev/null || echo "$python")
mkdir -p "$work"
# with HARNESS_TIMINGS_DIR set, the runs' seconds go there (the benchmarks' budget rows)
timing() { [ -z "${HARNESS_TIMINGS_DIR:-}" ] || { mkdir -p "$HARNESS_TIMINGS_DIR" && echo "$2" >"$HARNESS_TIMINGS_DIR/$1.s"; }; }
echo "wheel-check: building wheels into $work/dist" >&2
rm -rf "$work/dist" "$work/venv" "$work/project"
.venv/bin/python -m pip wheel --quiet --disable-pip-version-check --no-deps -w "$work/dist" . ./reference >/dev/null
"$python" -m venv "$work/venv"
echo "wheel-check: installing $(cd "$work/dist" && echo *.whl) into a fresh virtualenv" >&2
"$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check "$work"/dist/*.whl
mkdir -p "$work/project"
cd "$work/project"
# nothing of the repository may be reachable from here
env -u HARNESS_PROJECT_ROOT -u PYTHONPATH "$work/venv/bin/harness" init . --adapter reference --crds "$crds"
# the recorded corpus is the project's own data (harness record writes it); the replay item uses it
cp -r "$repo/tests/cassettes" cassettes
sed -i 's|^tests = \[\]$|tests = []\ncassettes = "cassettes"|' harness.toml
grep -q '^cassettes = "cassettes"$' harness.toml
env -u HARNESS_PROJECT_ROOT -u PYTHONPATH "$work/venv/bin/harness" validate
set +e
began=$SECONDS
env -u HARNESS_PROJECT_ROOT -u PYTHONPATH -u HARNESS_EVENTS_DIR "$work/venv/bin/harness" run --profile offline \
    --seed 0 --workers 2 --report "$work/project/reports" >"$work/installed.log" 2>&1
installed=$?
timing offline-profile $((SECONDS - began))
cd "$repo"
env -u HARNESS_EVENTS_DIR .venv/bin/harness run --profile offline --seed 0 --workers 2 \
    --report "$work/in-repo" >"$work/in-repo.log" 2>&1
in_repo=$?
set -e
tail -n 1 "$work/installed.log" >&2
tail -n 1 "$work/in-repo.log" >&2
if [ "$installed" -ne 0 ] || [ "$in_repo" -ne 0 ]; then
    echo "wheel-check: harness run exited $installed (installed) and $in_repo (in the repository); logs in $work" >&2
    exit 1
fi
.venv/bin/python - "$work/project/reports/report.json" "$work/in-repo/report.json" <<'PY'
import json
import sys

def summary(path):
    report = json.load(open(path))
    totals = {kind: (t["exercised"], t["total"]) for kind, t in report["totals"].items()}
    verdicts = {e["id"]: e["verdict"] for e in report["elements"]}
    return totals, verdicts

(installed, v_installed), (in_repo, v_in_repo) = summary(sys.argv[1]), summary(sys.argv[2])
print(f"wheel-check: installed {installed}", file=sys.stderr)
print(f"wheel-check: in-repo   {in_repo}", file=sys.stderr)
differ = sorted(k for k in v_installed.keys() | v_in_repo.keys() if v_installed.get(k) != v_in_repo.get(k))
if installed != in_repo or differ:
    print(f"wheel-check: the reports differ: {differ[:20]}", file=sys.stderr)
    sys.exit(1)
print("wheel-check: ok (same totals and verdicts)", file=sys.stderr)
PY
[ "${SKIP_EMBEDDED:-}" = 1 ] && exit 0
echo "wheel-check: the embedded profile from the installed wheels (the live suites against the managed NetBox)" >&2
cd "$work/project"
set +e
began=$SECONDS
# two workers: each manages its own NetBox (base port, base port + 100) and runs whole world kinds
env -u HARNESS_PROJECT_ROOT -u PYTHONPATH -u HARNESS_EVENTS_DIR "$work/venv/bin/harness" run --profile embedded \
    --seed 0 --workers 2 --report "$work/project/embedded" -- -m live 2>&1 | tee "$work/embedded.log" | grep -vE '^\s*$' >&2
embedded=${PIPESTATUS[0]}
timing embedded-live $((SECONDS - began))
set -e
cd "$repo"
if [ -n "${2:-}" ]; then
    mkdir -p "$2"
    for f in "$work/project/embedded/events"/events-*.ndjson; do cp "$f" "$2/events-wheel-embedded-${f##*/events-}"; done
fi
if [ "$embedded" -ne 0 ]; then
    echo "wheel-check: the embedded profile from the installed wheels exited $embedded; log: $work/embedded.log" >&2
    exit 1
fi
.venv/bin/python - "$work/project/embedded/report.json" "$work/in-repo/report.json" <<'PY'
import json
import sys

def verdicts(path):
    return {e["id"]: e["verdict"] for e in json.load(open(path))["elements"] if e["exercised"]}

embedded, offline = verdicts(sys.argv[1]), verdicts(sys.argv[2])
differ = sorted(k for k in embedded.keys() & offline.keys() if embedded[k] != offline[k])
if differ:
    print(f"wheel-check: embedded and offline verdicts differ: {differ[:20]}", file=sys.stderr)
    sys.exit(1)
totals = json.load(open(sys.argv[1]))["totals"]
print("wheel-check: embedded ok: " + ", ".join(f"{k} {t['exercised']}/{t['total']}" for k, t in totals.items()),
      file=sys.stderr)
PY
