"""The adapter of YOUR implementation for hh-harness: the only code the harness calls.

Register it in your package's pyproject.toml (then name it in harness.toml: adapter = "mine"):

    [project.entry-points."hh_harness.adapters"]
    mine = "my_package.harness_adapter"

or name it directly in harness.toml: adapter = "my_package.harness_adapter". Implement the hooks
your implementation supports; a suite that needs a hook you leave out reports its elements as
"not applicable" with the hook's name. Every hook is documented in harness.adapter.hookspecs.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from harness.adapter import Command, Endpoints, Service, hookimpl


@hookimpl
def harness_adapter_info() -> Mapping[str, str]:
    """Name and version shown in the report."""
    return {"name": "my-integration", "version": "0.0.0"}


@hookimpl
def harness_command(action: str, endpoints: Endpoints, options: Mapping[str, str]) -> Command | None:
    """The process for an action: ``setup``, ``sync`` / ``drift`` (options["fabric"]), ``import``
    (fabric, repo, path, ref, consume). Exit 0 = done; stderr is the message you surfaced. The harness
    may SIGKILL it at any point and run it again (crash injection). None: action not supported."""
    env = {
        "MY_NETBOX_URL": endpoints.netbox_url,
        "MY_NETBOX_TOKEN": endpoints.netbox_token,
        "MY_GITHUB_URL": endpoints.github_url,
        "MY_GITHUB_TOKEN": endpoints.github_token,
        "MY_GITHUB_REPO": f"{endpoints.github_owner}/{endpoints.github_repo}",
        "MY_KUBECONFIG": endpoints.kubeconfig,
        "MY_STATE_DIR": str(endpoints.workdir),
    }
    if action == "setup":
        return Command([sys.executable, "-m", "my_package", "init"], env, endpoints.workdir)
    if action in ("sync", "drift"):
        return Command([sys.executable, "-m", "my_package", action, options["fabric"]], env, endpoints.workdir)
    return None


@hookimpl
def harness_service(endpoints: Endpoints, port: int) -> Service | None:
    """Your webhook receiver and status API on 127.0.0.1:port (ready_url answers 2xx when ready)."""
    return None


@hookimpl
def harness_observe(endpoints: Endpoints, fabric: str) -> Mapping[str, Any] | None:
    """What you report for the fabric: {"fabric": {"fabric_sync": {"state": ...}, "connections": {...},
    "pull_requests": {...}}, "resources": [{"plural", "name", "lifecycle": {"state"}, "drift": {"state"}}],
    "alerts": [{"code", "severity", "state", "message"}], "open_syncs": [...]}, read through your
    public interface (status API, CLI)."""
    return None


# Optional, for the world suite (without it, it sees only the states at the ends of each step):
#
# @hookimpl
# def harness_transitions(endpoints, fabric, after) -> list[dict]: the state changes you made after
#     id `after`, oldest first: {"id", "machine", "entity", "from", "to", "trigger"}
#
# Optional, for the offline suites:
#
# @hookimpl
# def harness_renderer() -> harness.adapter.Renderer: your pure NetBox records -> objects -> files
#
# @hookimpl
# def harness_machine_binding(endpoints) -> harness.adapter.MachineBinding: fire triggers at your state layer
