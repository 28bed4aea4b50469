"""Fault-injection cases generated from the error catalogs, and the checks of their outcome.

One :class:`FaultCase` per catalog entry (test id ``specs/errors/<file>.yaml::<code>``). The
checks are pure functions over what a test observed: the proxy's exchanges (retries and their
spacing), the reference's status view (transitions, alerts) and its surfaced text (message).
Each returns a list of problems; an empty list is conformance.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any, Protocol

from harness.proxy.exchange import Exchange
from harness.report.elements import error_id, spec_file, transition_id
from harness.spec.models import ErrorEntry, SpecSet

OFFLINE_KINDS = frozenset({"webhook"})
SLACK_S = 1.5  # processing time allowed on top of a backoff bound (a sync step, a subprocess)
# Entries whose webhook recipe only means something after a sync opened a pull request.
NEEDS_SYNC = frozenset({"HH-GIT-010"})


@dataclass(frozen=True)
class FaultCase:
    """One error-catalog entry to execute."""

    element: str
    file: str
    entry: ErrorEntry

    @property
    def code(self) -> str:
        return self.entry.code

    @property
    def kind(self) -> str:
        return str(self.entry.inject.get("kind"))

    @property
    def offline(self) -> bool:
        """True when the recipe needs no NetBox (a webhook against the reference's endpoint)."""
        return self.kind in OFFLINE_KINDS and self.code not in NEEDS_SYNC


def fault_cases(specs: SpecSet, root: Path) -> list[FaultCase]:
    """Every catalog entry of ``specs``, in catalog order."""
    cases = []
    for catalog in specs.catalogs:
        file = spec_file(catalog.loc, root)
        cases += [FaultCase(error_id(file, e.code), file, e) for e in catalog.errors]
    return cases


def machine_files(specs: SpecSet, root: Path) -> dict[str, str]:
    """Machine id -> its spec file, for transition element ids."""
    return {m.id: spec_file(m.loc, root) for m in specs.machines}


def transition_element(files: Mapping[str, str], machine: str, source: str, dest: str) -> str:
    """The element id of a machine edge (``state_machines/fabric_sync.yaml::syncing->error``)."""
    return transition_id(files.get(machine, f"state_machines/{machine}.yaml"), source, dest)


# -- retries -------------------------------------------------------------------------------------


def max_attempts(entry: ErrorEntry) -> int:
    """Attempts the catalog allows for one call failing with ``entry`` (1 when not retryable)."""
    if not entry.retryable or not entry.retry:
        return 1
    return int(entry.retry.get("max_attempts", 1))


def expected_faulted(entry: ErrorEntry, times: int | None) -> tuple[int, bool]:
    """(faulted attempts the proxy must see for the first call, whether the call then fails)."""
    n = max_attempts(entry)
    if times is None or times >= n:
        return n, True
    return times, False


@dataclass(frozen=True)
class CallAttempts:
    """The first faulted call of an operation: its faulted attempts and what followed."""

    faulted: list[Exchange]
    recovered: Exchange | None  # the next exchange of the same method and path, when it succeeded


def first_call(exchanges: Sequence[Exchange], operation: str, code: str, *, same_body: bool) -> CallAttempts:
    """The leading run of faulted exchanges of ``operation``.

    Attempts of one call repeat the method and path (and the body, unless the unit rebuilds it
    before retrying, as a rebase does); a later write with a different body is a different call.
    """
    # in the order the requests arrived: a held (timed-out) attempt is recorded after its retry
    ops = sorted((ex for ex in exchanges if ex.operation_id == operation), key=lambda ex: ex.started_at)
    start = next((i for i, ex in enumerate(ops) if ex.fault == code), None)
    if start is None:
        return CallAttempts([], None)
    first = ops[start]
    run: list[Exchange] = []
    recovered = None
    for ex in ops[start:]:
        if (ex.method, ex.path) != (first.method, first.path):
            continue
        if same_body and ex.request_body != first.request_body:
            continue
        if ex.fault == code:
            run.append(ex)
            continue
        if ex.status is not None and ex.status < 400:
            recovered = ex
        break
    return CallAttempts(run, recovered)


def retry_problems(
    entry: ErrorEntry,
    attempts: CallAttempts,
    times: int | None,
    fired_at: list[float],
    exchanges: Sequence[Exchange] | None = None,
) -> list[str]:
    """Count and spacing (``fired_at``: the proxy's firing times) of the attempts against ``retry``.

    With the proxy's ``exchanges``, a retry starts at the first request after the failure (a
    retried unit, such as a whole read, re-runs its first call before reaching the faulted
    one again); without them, at the next faulted attempt."""
    code = entry.code
    want, fails = expected_faulted(entry, times)
    got = len(attempts.faulted)
    problems = []
    if got == 0:
        return [f"{code}: the recipe's operation {entry.inject.get('operation')} was never faulted"]
    if got != want:
        problems.append(f"{code}: {got} faulted attempt(s) of one call, the catalog expects {want}")
    if not fails and attempts.recovered is None:
        problems.append(f"{code}: after {got} faulted attempt(s) the call was not retried to a success")
    fired = fired_at[:got]
    if exchanges is None:
        gaps = [b - a for a, b in pairwise(fired)]
    else:
        starts = sorted(ex.started_at for ex in exchanges)
        gaps = [next((t for t in starts if t > a), b) - a for a, b in pairwise(fired)]
    problems += _spacing_problems(entry, gaps)
    return problems


def backoff_bounds(entry: ErrorEntry, attempt: int) -> tuple[float, float]:
    """(lowest, highest) wait after failed attempt ``attempt`` (1-based) the policy allows."""
    retry = entry.retry or {}
    backoff = retry.get("backoff", {})
    base = min(float(backoff.get("initial_s", 0)) * float(backoff.get("multiplier", 1)) ** (attempt - 1),
               float(backoff.get("max_s", 0)))  # fmt: skip
    jitter = backoff.get("jitter", "none")
    low = {"full": 0.0, "equal": base / 2}.get(jitter, base)
    hint = _honoured_hint(entry)
    if hint is not None:
        return hint, hint
    return low, base


def _honoured_hint(entry: ErrorEntry) -> float | None:
    """The wait the recipe's headers ask for, when the entry honours that header."""
    honour = set((entry.retry or {}).get("honour", []))
    headers = {str(k).lower(): str(v) for k, v in entry.inject.get("headers", {}).items()}
    if "retry-after" in honour and "retry-after" in headers:
        return float(headers["retry-after"])
    if "x-ratelimit-reset" in honour and "x-ratelimit-reset" in headers:
        return 0.0  # the recipe's reset lies in the past
    return None


def _spacing_problems(entry: ErrorEntry, gaps: list[float]) -> list[str]:
    """Each wait between a failed attempt and its retry against the policy's bounds."""
    hold = float(entry.inject.get("delay_s", 0)) if entry.inject.get("kind") == "timeout" else 0.0
    problems = []
    for attempt, gap in enumerate(gaps, start=1):
        low, high = backoff_bounds(entry, attempt)
        if gap < low - 0.05:
            problems.append(f"{entry.code}: retry {attempt} came {gap:.2f} s after the failure, before {low:.2f} s")
        if gap > high + hold + SLACK_S:
            problems.append(
                f"{entry.code}: retry {attempt} came {gap:.2f} s after the failure, later than {high:.2f} s (+ slack)"
            )
    return problems


# -- state, alerts, messages -----------------------------------------------------------------------


def connection_entity(boundary: str) -> str | None:
    """The connection_status endpoint a boundary's failure concerns."""
    return {"github": "git", "kubernetes": "kubernetes"}.get(boundary)


def observed_state(view: Mapping[str, Any], machine: str, boundary: str) -> str | None:
    """The state of ``machine`` for the entity the failure concerns, from the status API view
    (``{"fabric": GET /api/v1/fabrics/F, "resources": [...], "pull_requests": {...}}``)."""
    fabric = view.get("fabric") or {}
    if machine == "fabric_sync":
        return str((fabric.get("fabric_sync") or {}).get("state"))
    if machine == "connection_status":
        endpoint = connection_entity(boundary)
        conn = (fabric.get("connections") or {}).get(endpoint or "", {})
        return str(conn.get("state")) if conn else None
    if machine == "pull_request":  # the fabric's newest sync pull request
        pulls = fabric.get("pull_requests") or {}
        newest = max(pulls, key=int, default=None)
        return str(pulls[newest].get("state")) if newest is not None else None
    return None


def transition_problems(entry: ErrorEntry, view: Mapping[str, Any]) -> tuple[list[str], list[tuple[str, str]]]:
    """Problems with the entry's fabric-level transitions, and the (machine, to) pairs that held.

    Several transitions of one machine are alternatives (test_failed or connection_lost, by the
    state the connection was in); one of them reaching its ``to`` is enough. Pull-request states
    are those of the fabric's newest sync pull request; resource-level machines are checked by
    :func:`resource_problems`."""
    problems, held = [], []
    by_machine: dict[str, set[str]] = {}
    for t in entry.transitions:
        by_machine.setdefault(t.machine, set()).add(t.to)
    for machine, targets in by_machine.items():
        if machine not in ("fabric_sync", "connection_status", "pull_request"):
            continue
        state = observed_state(view, machine, entry.boundary)
        if state in targets:
            held.append((machine, state))
        else:
            problems.append(f"{entry.code}: {machine} is {state!r} after the run, the catalog says {sorted(targets)}")
    return problems, held


# the resource-level machines and the field of an observed resource that holds each one's state
RESOURCE_FIELDS: Mapping[str, str] = {"resource_lifecycle": "lifecycle", "resource_drift": "drift"}


def recipe_times(recipe: Mapping[str, Any]) -> int | None:
    """How many calls a recipe faults (None: always)."""
    return None if recipe.get("times", 1) == "always" else int(recipe.get("times", 1))


def resource_problems(
    entry: ErrorEntry, resources: Sequence[Mapping[str, Any]], before: Sequence[Mapping[str, Any]] | None = None
) -> tuple[list[str], list[tuple[str, str]]]:
    """Resource-level transitions: some resource must be in each named ``to`` state. Given the
    resources observed ``before`` the faulted run, only a resource the run moved counts (new, or in
    another state or with another code than before): a state left by an earlier run is no evidence."""
    problems, held = [], []
    for t in entry.transitions:
        if t.machine not in RESOURCE_FIELDS:
            continue
        field = RESOURCE_FIELDS[t.machine]
        was = {_resource_id(r): r.get(field) or {} for r in before or ()}
        moved = [r for r in resources if before is None or (r.get(field) or {}) != was.get(_resource_id(r))]
        states = {str((r.get(field) or {}).get("state")) for r in moved}
        if t.to in states:
            held.append((t.machine, t.to))
        else:
            problems.append(f"{entry.code}: no resource's {t.machine} moved to {t.to!r} "
                            f"(moved to {sorted(states)}; unchanged: {len(resources) - len(moved)})")  # fmt: skip
    return problems, held


def _resource_id(resource: Mapping[str, Any]) -> tuple[str, str]:
    return str(resource.get("plural")), str(resource.get("name"))


def active_alerts(observation: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The alerts an observation lists as active: an implementation may list resolved ones too, and an
    earlier item's resolved alert is no evidence for this one."""
    return [a for a in observation.get("alerts", []) if a.get("state", "active") == "active"]


def alert_problems(entry: ErrorEntry, alerts: Sequence[Mapping[str, Any]]) -> list[str]:
    """An active alert with the entry's code and severity, when the entry declares an alert."""
    if not entry.alert:
        return []
    severity = entry.alert.get("severity")
    mine = [a for a in alerts if a.get("code") == entry.code and a.get("state", "active") == "active"]
    if not mine:
        return [
            f"{entry.code}: no active alert with this code (active: {sorted({str(a.get('code')) for a in alerts})})"
        ]
    if not any(a.get("severity") == severity for a in mine):
        return [f"{entry.code}: the alert's severity is {mine[0].get('severity')!r}, the catalog says {severity!r}"]
    return []


def message_problems(entry: ErrorEntry, surfaced: str) -> list[str]:
    """The code appears in what the reference surfaced (CLI stderr, an alert or API message)."""
    if entry.code not in surfaced:
        return [f"{entry.code}: the code does not appear in the surfaced message: {surfaced[-300:]!r}"]
    return []


class EventSink(Protocol):
    """What the checks need of :class:`harness.report.events.Recorder`."""

    def record(
        self, element_id: str, kind: str, verdict: str, detail: str = "", reproduction: str | None = None
    ) -> None: ...


def record_case(
    sink: EventSink,
    case: FaultCase,
    problems: Sequence[str],
    edges: Sequence[tuple[str, str, str]],
    files: Mapping[str, str],
) -> None:
    """Record the error code's verdict and each (machine, source, dest) edge the fault caused."""
    verdict = "fail" if problems else "pass"
    detail = "; ".join(problems) or f"{case.kind} recipe executed; outcome as the catalog says"
    reproduction = f"pytest -k '{case.code}'" if problems else None
    sink.record(case.element, "error", verdict, detail, reproduction)
    for machine, source, dest in edges:
        sink.record(transition_element(files, machine, source, dest), "transition", verdict, f"caused by {case.code}")
