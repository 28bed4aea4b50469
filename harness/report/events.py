"""Coverage events: generated tests record what they exercised, the report reads it back.

Each process (the pytest controller, or each pytest-xdist worker) appends to its own
NDJSON file in a shared directory, so workers never contend for a file; ``load_events``
merges every file of the directory. One line is one JSON object with a ``type``:
``event`` (an element was exercised), ``target`` (a target's version) or ``warning``.
"""

from __future__ import annotations

import json
import os
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from harness.report.elements import KINDS

VERDICTS = ("pass", "fail")
EVENT_GLOB = "events-*.ndjson"


@dataclass(frozen=True)
class Event:
    """One exercise of one spec element and its outcome."""

    element: str
    kind: str
    verdict: str
    detail: str = ""
    reproduction: str | None = None
    worker: str = "main"


@dataclass
class EventLog:
    """Everything recorded by every process of a run."""

    events: list[Event] = field(default_factory=list)
    targets: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


class Recorder:
    """Records events for one process. Thread-safe; the file is opened on first use.

    With ``directory=None`` nothing is written and only the in-process counts are kept
    (enough for a suite that runs until every transition was taken).
    """

    def __init__(self, directory: Path | None, worker: str = "main") -> None:
        self.directory = directory
        self.worker = worker
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._fh: IO[str] | None = None

    @property
    def path(self) -> Path | None:
        """This process's events file (it exists once something was recorded)."""
        if self.directory is None:
            return None
        return self.directory / f"events-{self.worker}-{os.getpid()}.ndjson"

    def record(
        self,
        element_id: str,
        kind: str,
        verdict: str,
        detail: str = "",
        reproduction: str | None = None,
    ) -> None:
        """Record that ``element_id`` (of ``kind``) was exercised with ``verdict`` pass or fail."""
        if kind not in KINDS:
            raise ValueError(f"unknown element kind {kind!r}; expected one of {', '.join(KINDS)}")
        if verdict not in VERDICTS:
            raise ValueError(f"unknown verdict {verdict!r}; expected 'pass' or 'fail'")
        line = {"type": "event", "element": element_id, "kind": kind, "verdict": verdict, "detail": detail}
        if reproduction is not None:
            line["reproduction"] = reproduction
        with self._lock:
            self._counts[element_id] += 1
            self._write(line)

    def target_version(self, name: str, version: str) -> None:
        """Record which version of a target (NetBox, Kubernetes stand-in, ...) the run used."""
        with self._lock:
            self._write({"type": "target", "name": name, "version": version})

    def warn(self, message: str) -> None:
        """Record a warning that belongs in the report (``harness gate --fail-on-warnings``)."""
        with self._lock:
            self._write({"type": "warning", "message": message})

    def exercised(self, element_id: str) -> int:
        """How often this process recorded ``element_id``."""
        with self._lock:
            return self._counts[element_id]

    def close(self) -> None:
        """Close the events file; a later record reopens it in append mode."""
        with self._lock:
            if self._fh is not None:
                self._fh.close()
                self._fh = None

    def _write(self, line: dict[str, Any]) -> None:
        path = self.path
        if path is None:
            return
        if self._fh is None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = path.open("a", encoding="utf-8")
        line["worker"] = self.worker
        # One write and a flush per line: a worker that crashes keeps what it recorded.
        self._fh.write(json.dumps(line, sort_keys=True) + "\n")
        self._fh.flush()


def load_events(directory: Path) -> EventLog:
    """Merge the events files in ``directory`` (none yet is an empty log).

    A line that is not a valid record becomes a warning naming its file and line, so a
    worker killed mid-write does not hide what the others recorded.
    """
    log = EventLog()
    if not directory.is_dir():
        return log
    for path in sorted(directory.glob(EVENT_GLOB)):
        with path.open(encoding="utf-8") as fh:
            for number, text in enumerate(fh, start=1):
                if text.strip():
                    problem = _add_line(log, text)
                    if problem:
                        log.warnings.append(f"{path}:{number}: {problem}; line ignored")
    return log


def _add_line(log: EventLog, text: str) -> str | None:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return f"not JSON ({exc.msg})"
    if not isinstance(data, dict):
        return "not a JSON object"
    kind = data.get("type")
    if kind == "target" and isinstance(data.get("name"), str) and isinstance(data.get("version"), str):
        log.targets[data["name"]] = data["version"]
    elif kind == "warning" and isinstance(data.get("message"), str):
        if data["message"] not in log.warnings:
            log.warnings.append(data["message"])
    elif kind == "event":
        return _add_event(log, data)
    else:
        return f"unknown record type {kind!r}"
    return None


def _add_event(log: EventLog, data: dict[str, Any]) -> str | None:
    element, kind, verdict = data.get("element"), data.get("kind"), data.get("verdict")
    if not isinstance(element, str) or not element:
        return "event without an 'element' id"
    if kind not in KINDS:
        return f"event for {element} has unknown kind {kind!r}"
    if verdict not in VERDICTS:
        return f"event for {element} has unknown verdict {verdict!r}"
    reproduction = data.get("reproduction")
    log.events.append(
        Event(
            element=element,
            kind=str(kind),
            verdict=str(verdict),
            detail=str(data.get("detail", "")),
            reproduction=reproduction if isinstance(reproduction, str) else None,
            worker=str(data.get("worker", "main")),
        )
    )
    return None
