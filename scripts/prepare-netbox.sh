#!/usr/bin/env bash
# Install the managed NetBox and cache its migrated databases (the plain one, then the one with the
# HNP plugin, which starts from the plain one's and migrates the plugin), starting nothing: the live
# tiers then restore a dump instead of paying the migrations. On a machine with its caches warm,
# a second. Instances 8790 and 8791 are used only for this. Needs .venv (scripts/bootstrap.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
plugin=${HARNESS_HNP_PLUGIN:-$(pwd)/../shared/hnp/hh-netbox-plugin-607a728.tar.gz}
harness=.venv/bin/harness
env -u HARNESS_NETBOX_URL -u HARNESS_NETBOX_PLUGINS "$harness" up netbox --prepare --port 8790
if [ -f "$plugin" ]; then
  env -u HARNESS_NETBOX_URL -u HARNESS_NETBOX_PLUGINS "$harness" up netbox --prepare --port 8791 --plugin "$plugin"
else
  echo "prepare-netbox: no HNP plugin archive at $plugin; the HNP tier will install it itself" >&2
fi
