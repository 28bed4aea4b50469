"""The reference integration's adapter for hh-harness (entry point ``hh_harness.adapters: reference``).

This package is the bridge: ``hh_reference`` itself never imports the harness; this adapter
translates the harness's hooks into the reference's public interfaces: its command line
(``reference init|sync|drift|import``, configured with ``REFERENCE_*`` variables), its service
(webhooks and the status API), its status API for observations, and its pure renderer and state
layer for the offline property and stateful suites.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from harness.adapter import Command, Endpoints, MachineBinding, Renderer, Service, hookimpl

# the action -> the `reference` sub-command and the options it takes
_ACTIONS = {"setup": "init", "sync": "sync", "drift": "drift", "import": "import", "alert": "alert"}


def environment(endpoints: Endpoints) -> dict[str, str]:
    """The REFERENCE_* settings for ``endpoints`` (the reference reads no other configuration here)."""
    env = {
        "REFERENCE_NETBOX_URL": endpoints.netbox_url,
        "REFERENCE_NETBOX_TOKEN": endpoints.netbox_token,
        "REFERENCE_GITHUB_URL": endpoints.github_url,
        "REFERENCE_GITHUB_TOKEN": endpoints.github_token,
        "REFERENCE_GITHUB_OWNER": endpoints.github_owner,
        "REFERENCE_GITHUB_REPO": endpoints.github_repo,
        "REFERENCE_GITHUB_BRANCH": endpoints.github_branch,
        "REFERENCE_KUBECONFIG": endpoints.kubeconfig,
        "REFERENCE_KUBE_CONTEXT": endpoints.kube_context,
        "REFERENCE_STATE_DB": str(Path(endpoints.workdir) / "state.sqlite3"),
        "REFERENCE_SPEC_ROOT": str(endpoints.spec_root),
    }
    for key, value in endpoints.settings.items():
        env[f"REFERENCE_{key.upper()}"] = value
    return env


@hookimpl
def harness_adapter_info() -> Mapping[str, str]:
    try:
        release = version("hh-reference")
    except PackageNotFoundError:  # a source checkout on sys.path
        release = "source"
    return {"name": "hh-reference", "version": release}


@hookimpl
def harness_command(action: str, endpoints: Endpoints, options: Mapping[str, str]) -> Command | None:
    if action not in _ACTIONS:
        return None
    argv = [sys.executable, "-m", "hh_reference.cli", "-v", _ACTIONS[action]]
    if action != "setup":
        argv += ["--fabric", options["fabric"]]
    if action == "import":
        argv += ["--repo", options["repo"], "--path", options["path"]]
        if options.get("ref"):
            argv += ["--ref", options["ref"]]
        if options.get("consume"):
            argv.append("--consume")
    if action == "alert":
        argv += ["--id", options["alert"], "--change", options["change"]]
        argv += [arg for name in ("operator", "reason") if options.get(name) for arg in (f"--{name}", options[name])]
    return Command(argv=argv, env=environment(endpoints), cwd=Path(endpoints.workdir))


@hookimpl
def harness_service(endpoints: Endpoints, port: int) -> Service:
    """The webhook receiver and status API; with ``settings["run_syncs"] == "false"`` queued syncs
    are only recorded (what the offline webhook suite needs: no NetBox to sync against)."""
    env = {**environment(endpoints), "REFERENCE_LISTEN_HOST": "127.0.0.1", "REFERENCE_LISTEN_PORT": str(port)}
    run_syncs = endpoints.settings.get("run_syncs", "true") != "false"
    module = "hh_reference.cli" if run_syncs else "hh_reference_harness.service"
    argv = [sys.executable, "-m", module, *(["serve"] if run_syncs else [])]
    env.pop("REFERENCE_RUN_SYNCS", None)
    url = f"http://127.0.0.1:{port}"
    token = endpoints.settings.get("api_token", "")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return Service(Command(argv=argv, env=env, cwd=Path(endpoints.workdir), ready_url=f"{url}/healthz"), url,
                   headers=headers)  # fmt: skip


@hookimpl
def harness_observe(endpoints: Endpoints, fabric: str) -> Mapping[str, Any]:
    """The status API's view of ``fabric``, read in-process over the state file."""
    from hh_reference_harness.service import observe  # noqa: PLC0415 - starlette only when observing

    return observe(endpoints, fabric)


@hookimpl
def harness_transitions(endpoints: Endpoints, fabric: str, after: int) -> Sequence[Mapping[str, Any]]:
    """The status API's transition log, read in-process over the state file."""
    from hh_reference_harness.service import transitions  # noqa: PLC0415

    return transitions(endpoints, fabric, after)


@hookimpl
def harness_machine_binding(endpoints: Endpoints) -> MachineBinding:
    from hh_reference_harness.state import ReferenceStateBinding  # noqa: PLC0415

    return ReferenceStateBinding(Path(endpoints.spec_root))


@hookimpl
def harness_renderer(spec_root: Path) -> Renderer:
    """The renderer, with the error catalogs of the project's specs (the reference reads them at run time)."""
    from hh_reference.errors import install_catalog  # noqa: PLC0415
    from hh_reference.specs import load_catalog  # noqa: PLC0415

    from hh_reference_harness.render import ReferenceRenderBinding  # noqa: PLC0415

    install_catalog(load_catalog(spec_root))
    return ReferenceRenderBinding(spec_root=spec_root)
