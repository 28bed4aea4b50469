#!/usr/bin/env bash
# Install the Debian packages the managed NetBox target needs, only those missing.
#
#   postgresql     initdb/pg_ctl/pg_dump/pg_restore for the private cluster
#   redis-server   NetBox's task queue and cache
#   libpq-dev gcc  NetBox pins psycopg[c], which compiles against libpq
#   python3-dev    C headers for any sdist built during `pip install netbox`
#
# Idempotent: runs `apt-get update` and `apt-get install` only when something is missing.
# Must run as root (or with sudo available) on Debian 12; never prompts.
set -euo pipefail

packages=(postgresql redis-server libpq-dev gcc python3-dev)

missing=()
for pkg in "${packages[@]}"; do
    if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        echo "system-deps: $pkg already installed"
    else
        missing+=("$pkg")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    echo "system-deps: nothing to install"
    exit 0
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
        echo "system-deps: need root to install: ${missing[*]} (run as root or install sudo)" >&2
        exit 2
    fi
    sudo_cmd=(sudo)
fi

echo "system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"

# Debian's packages start system-wide services; the harness runs its own private instances
# on other ports, so the system ones are left as the package configured them.
echo "system-deps: installed ${missing[*]}"
