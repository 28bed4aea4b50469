#!/usr/bin/env bash
# Install the managed NetBox and cache its migrated database, starting nothing: the live tiers then
# restore the dump instead of paying the migrations (minutes on a machine with no caches, a second
# on one with them). Instance 8790 is used only for this. Only the plain NetBox: the HNP tier makes
# its own dump from this one (restore, then the plugin's migrations) in the stage after, where it
# has minutes to spare beside the harness's live tests. Needs .venv (scripts/bootstrap.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
env -u HARNESS_NETBOX_URL -u HARNESS_NETBOX_PLUGINS .venv/bin/harness up netbox --prepare --port 8790
