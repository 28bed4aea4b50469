#!/usr/bin/env bash
# Make this checkout ready to run: a Python 3.12 virtualenv in .venv with the harness
# (editable) and its dev tools, GitHub's OpenAPI description from npm, and, with
# --system, the Debian packages the managed NetBox needs. Idempotent and quiet when
# there is nothing to do.
set -euo pipefail
cd "$(dirname "$0")/.."

find_python() {
  local candidate
  for candidate in "${HARNESS_PYTHON:-}" python3.12 /root/.pyenv/versions/3.12*/bin/python3 /usr/bin/python3.12; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       PYENV_VERSION=3.12.1 "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' 2>/dev/null; then
      PYENV_VERSION=3.12.1 "$candidate" -c 'import sys; print(sys.executable)'
      return 0
    fi
  done
  echo "bootstrap: Python 3.12 not found (NetBox 4.7 needs it); install it (e.g. pyenv install 3.12) or set HARNESS_PYTHON" >&2
  return 1
}

if [ "${1:-}" = "--system" ]; then
  bash scripts/system-deps.sh
fi

stamp=.venv/.bootstrap-stamp
if [ ! -x .venv/bin/python ] || [ pyproject.toml -nt "$stamp" ] || [ reference/pyproject.toml -nt "$stamp" ]; then
  python=$(find_python)
  [ -x .venv/bin/python ] || "$python" -m venv .venv
  echo "bootstrap: installing the harness and its dev tools into .venv" >&2
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]' -e './reference[test]' 'tox>=4.20'
  touch "$stamp"
fi

if [ ! -f node_modules/@octokit/openapi/generated/api.github.com.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "bootstrap: installing GitHub's OpenAPI description (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
