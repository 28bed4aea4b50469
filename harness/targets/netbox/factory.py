"""Choose the NetBox target: an existing one when a URL is given, otherwise the managed one."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from harness.targets.base import Target
from harness.targets.netbox.live import ENV_TOKEN, ENV_URL, LiveNetBox
from harness.targets.netbox.managed import DEFAULT_PORT, DEFAULT_VERSION, ManagedNetBox

ENV_PORT = "HARNESS_NETBOX_PORT"
# plugin archives for the managed NetBox, separated by os.pathsep (like PATH)
ENV_PLUGINS = "HARNESS_NETBOX_PLUGINS"


def plugins_from_env() -> list[Path]:
    """The plugin archives named by HARNESS_NETBOX_PLUGINS (empty when unset)."""
    return [Path(item) for item in os.environ.get(ENV_PLUGINS, "").split(os.pathsep) if item]


def netbox_from_env(
    url: str | None = None,
    token: str | None = None,
    *,
    home: Path | None = None,
    port: int | None = None,
    version: str | None = None,
    plugins: Sequence[Path] | None = None,
) -> Target:
    """A LiveNetBox when a URL is given (argument or HARNESS_NETBOX_URL), otherwise the ManagedNetBox
    (on HARNESS_NETBOX_PORT when set, so parallel suites can each own an instance) with ``plugins``
    (default: HARNESS_NETBOX_PLUGINS) installed and enabled."""
    url = url or os.environ.get(ENV_URL)
    if url:
        return LiveNetBox(url, token or os.environ.get(ENV_TOKEN, ""))
    port = port or int(os.environ.get(ENV_PORT, DEFAULT_PORT))
    plugins = plugins_from_env() if plugins is None else plugins
    return ManagedNetBox(home=home, port=port, version=version or DEFAULT_VERSION, plugins=plugins)
