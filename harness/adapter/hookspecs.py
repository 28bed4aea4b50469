"""The adapter hooks: everything the harness may ask of an implementation under test.

An adapter implements any subset of these with ``pluggy.HookimplMarker("hh_harness")`` (exported
as :data:`harness.adapter.hookimpl`). A suite that needs a hook the adapter does not implement
reports its spec elements as *not applicable* with the hook's name, never as passed or skipped.

Every hook is ``firstresult``: one adapter answers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pluggy

from harness.adapter.types import Command, Endpoints, MachineBinding, Renderer, Service

PROJECT = "hh_harness"
hookspec = pluggy.HookspecMarker(PROJECT)


@hookspec(firstresult=True)
def harness_adapter_info() -> Mapping[str, str] | None:
    """``{"name": ..., "version": ...}`` of the implementation, shown in the report."""


@hookspec(firstresult=True)
def harness_command(action: str, endpoints: Endpoints, options: Mapping[str, str]) -> Command | None:
    """The process that performs ``action`` against ``endpoints``, or None if unsupported.

    Actions: ``setup`` (prepare NetBox: custom fields, tags, choices), ``sync`` / ``drift``
    (``options["fabric"]``), ``import`` (``fabric``, ``repo`` as OWNER/REPO, ``path``, optional
    ``ref`` and ``consume``), ``alert`` (an operator's change of one alert: ``fabric``, ``alert``
    as the id the observation lists, ``change`` acknowledge or suppress, ``operator``,
    ``reason``). Exit status 0 means the action completed; anything else is a
    failed run whose stderr is the message the implementation surfaced. The harness may kill the
    process at any point (crash injection) and run it again."""


@hookspec(firstresult=True)
def harness_service(endpoints: Endpoints, port: int) -> Service | None:
    """The long-running service (webhook receiver, status API) listening on 127.0.0.1:``port``."""


@hookspec(firstresult=True)
def harness_observe(endpoints: Endpoints, fabric: str) -> Mapping[str, Any] | None:
    """What the implementation reports for ``fabric``, in the shape of
    ``contracts/implementation/status.yaml``: ``{"fabric": {...}, "resources": [...], "alerts": [...]}``."""


@hookspec(firstresult=True)
def harness_transitions(endpoints: Endpoints, fabric: str, after: int) -> Sequence[Mapping[str, Any]] | None:
    """The state changes the implementation made for ``fabric``, oldest first, after the one whose
    ``id`` is ``after`` (0: from the start), in the shape of ``observation.schema.json#/$defs/transition``:
    ``{"id", "machine", "entity", "from", "to", "trigger"}``, each entity named as the observation
    names it (the fabric, the connection's endpoint, the pull request's number, ``<plural>/<name>``,
    the alert's id) and ``from`` null when the entity came into being. Ids increase. The world
    suite checks each change against the machine's declared edges and against the states it
    observes before and after a step, and reports every edge taken; without this hook it sees only
    the states at the ends of a step."""


@hookspec(firstresult=True)
def harness_machine_binding(endpoints: Endpoints) -> MachineBinding | None:
    """A fresh binding that fires state-machine triggers at the implementation's state layer and
    observes the states it keeps (one per Hypothesis example; closed after it)."""


@hookspec(firstresult=True)
def harness_renderer(spec_root: Path) -> Renderer | None:
    """The pure render function (NetBox records -> objects -> files, and the offline re-import),
    for the property suites; ``spec_root`` is the project's spec root, for implementations that
    read the specs (error catalogs) at run time."""
