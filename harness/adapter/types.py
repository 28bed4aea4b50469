"""The values that cross the adapter seam, in both directions.

Everything here is plain data or a small Protocol, so an adapter can be written without knowing
the harness's internals; an adapter may import these names (``from harness.adapter import ...``)
or return structurally equal objects of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol


@dataclass(frozen=True)
class Endpoints:
    """What the implementation under test must use: the systems, through the harness's proxies
    when the suite checks exchanges. Secrets never appear in ``repr``."""

    netbox_url: str = ""
    netbox_token: str = field(default="", repr=False)
    github_url: str = ""
    github_token: str = field(default="", repr=False)
    github_owner: str = ""
    github_repo: str = ""
    github_branch: str = "main"
    kubeconfig: str = ""
    kube_context: str = ""
    # where the implementation keeps its own files (state, logs); the harness deletes it afterwards
    workdir: Path = Path()
    # the project's spec root (state machines, error catalogs), for implementations that read them
    spec_root: Path = Path()
    # anything else the suite wants to set (gitops_mode, webhook_secret, api_token, ready_timeout_s...)
    settings: Mapping[str, str] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class Command:
    """A process the harness starts, watches and, for crash injection, kills (SIGKILL).

    ``env`` is added to the harness's environment; ``ready_url`` (for services) answers 2xx once
    the service accepts requests."""

    argv: list[str]
    env: Mapping[str, str] = field(default_factory=dict, repr=False)
    cwd: Path | None = None
    ready_url: str | None = None


@dataclass(frozen=True)
class Service:
    """A long-running service of the implementation (webhook receiver and status API)."""

    command: Command
    url: str
    webhook_path: str = "/webhooks/github"
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)  # what the harness sends to read status


@dataclass(frozen=True)
class FireResult:
    """The system's answer to a trigger: accepted (and the state it reports) or refused with a code."""

    accepted: bool
    state: str
    code: str | None = None
    message: str = ""


class MachineBinding(Protocol):
    """Performs triggers on, and observes, the entities of state machines in a system under test.

    A fresh binding is made per Hypothesis example (a clean system), and closed after it."""

    def fire(self, machine_id: str, entity: str, trigger: str, dest: str | None) -> FireResult:
        """Ask the system to take ``trigger`` (towards ``dest`` when guards choose among several)."""
        ...

    def observe(self, machine_id: str, entity: str) -> str:
        """The state the system reports for ``entity``."""
        ...

    def invariant(self, machine_id: str, entity: str, name: str) -> bool | None:
        """Evaluate a named invariant on the system; None when this binding cannot observe it."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Rejection:
    """The system refused the input: its catalog code and message."""

    code: str
    message: str


@dataclass(frozen=True)
class ImportIssue:
    """A problem the inverse (import) side reports for one rendered file."""

    file: str
    code: str
    message: str


class RenderRejected(Exception):
    """The renderer refused the input with a catalog code."""

    def __init__(self, rejection: Rejection) -> None:
        self.rejection = rejection
        super().__init__(f"{rejection.code}: {rejection.message}")


class Renderer(Protocol):
    """The optional pure side of an implementation: NetBox records -> Hedgehog objects -> files.

    ``site`` and ``records`` are the raw NetBox records the property suites generate (see
    ``harness.generate.property_fabric``); keys starting with ``_`` are test aids to ignore."""

    prefix: str

    def render(self, site: Mapping[str, Any], records: Mapping[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
        """The rendered objects; raise :class:`RenderRejected` when the input is refused."""
        ...

    def files(self, fabric: str, objects: list[dict[str, Any]]) -> dict[str, bytes]:
        """The GitOps files (path -> bytes) the system writes for ``objects``."""
        ...

    def reimport(self, files: Mapping[str, bytes]) -> tuple[list[dict[str, Any]], list[ImportIssue]]:
        """Read ``files`` back offline: the objects loaded and every problem reported."""
        ...
