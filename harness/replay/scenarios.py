"""Recording scenarios: what ``harness record`` runs against live targets, and the corpus it writes.

A scenario drives the implementation through its adapter while a :class:`ContractProxy`
stands at every boundary, then writes one redacted VCR.py cassette per boundary::

    <out>/<scenario>/<boundary>.yaml      e.g. tests/cassettes/sync/netbox.yaml

Scenarios run in order on one world, because a later one builds on the state an earlier one
left (``drift`` edits the cluster after ``sync`` applied it). :func:`load_corpus` reads a
corpus back with every exchange checked against its contract, and :func:`compare_corpora`
reports per operation what changed between two recordings (:mod:`harness.replay.drift`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from harness.proxy.server import ContractProxy
from harness.replay.cassette import Cassette, load_cassette
from harness.replay.drift import DriftReport, drift
from harness.spec.models import SpecSet
from harness.world.process import RunResult

BOUNDARIES = ("netbox", "github", "kubernetes")


class ScenarioError(RuntimeError):
    """A scenario step did not do what the scenario needs; the message says which and why."""


class ScenarioWorld(Protocol):
    """What a scenario needs of a world (:class:`harness.world.live.World` provides it)."""

    proxies: dict[str, ContractProxy]

    def act(self, action: str, *, timeout_s: float = 300, **options: str) -> RunResult: ...

    def observe(self) -> Mapping[str, Any]: ...

    def custom_objects(self) -> Any: ...


@dataclass(frozen=True)
class Scenario:
    """A named sequence of actions of the implementation, recorded as one cassette per boundary."""

    name: str
    description: str
    run: Callable[[ScenarioWorld, str], None]


def _act(world: ScenarioWorld, action: str) -> Mapping[str, Any]:
    """Run ``action`` through the adapter; what the implementation reports afterwards."""
    result = world.act(action)
    if result.returncode != 0:
        raise ScenarioError(f"the {action} action exited {result.returncode}: {result.stderr.strip()[-500:]}")
    return world.observe()


def _sync(world: ScenarioWorld, fabric: str) -> None:
    state = (_act(world, "sync").get("fabric") or {}).get("fabric_sync", {}).get("state")
    if state != "in_sync":
        raise ScenarioError(f"the sync of {fabric} ended in state {state!r}, expected 'in_sync'")


def _drift(world: ScenarioWorld, fabric: str) -> None:
    # Edit one switch in the cluster directly (not through the proxy), so the drift check
    # has a spec drift to find; the recording is the check's reads of all three systems.
    api = world.custom_objects()
    switches = api.list_namespaced_custom_object("wiring.githedgehog.com", "v1beta1", "default", "switches")["items"]
    if not switches:
        raise ScenarioError("the drift scenario needs a synced fabric: no Switch in the cluster")
    live = switches[0]
    live["spec"]["description"] = "changed in the cluster"
    api.replace_namespaced_custom_object(
        "wiring.githedgehog.com", "v1beta1", "default", "switches", live["metadata"]["name"], live
    )
    resources = _act(world, "drift").get("resources", [])
    drifts = {(r.get("drift") or {}).get("state") for r in resources}
    if "spec_drift" not in drifts:
        raise ScenarioError(
            f"the drift check did not report the cluster edit as spec_drift: {sorted(map(str, drifts))}"
        )


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("sync", "a full sync of the test fabric into an empty repository and cluster", _sync),
    Scenario("drift", "a cluster edit after the sync, then a drift check", _drift),
)


@dataclass
class Recording:
    """What one scenario wrote: a cassette per boundary, and the contract findings seen live."""

    scenario: str
    cassettes: dict[str, Path]
    exchanges: dict[str, int]
    findings: list[str]


def record_scenarios(
    world: ScenarioWorld, fabric: str, out: Path, secrets: Sequence[str], names: Sequence[str] = ()
) -> list[Recording]:
    """Run the scenarios (all, or those named) in order and write their redacted cassettes under ``out``."""
    known = {s.name: s for s in SCENARIOS}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ScenarioError(f"unknown scenario(s) {', '.join(unknown)}; expected some of {', '.join(known)}")
    missing = [b for b in BOUNDARIES if b not in world.proxies]
    if missing:
        raise ScenarioError(f"recording needs a proxied world; no proxy for {', '.join(missing)}")
    recordings = []
    for scenario in SCENARIOS:
        if names and scenario.name not in names:
            continue
        for proxy in world.proxies.values():
            proxy.clear()
        scenario.run(world, fabric)
        recording = Recording(scenario.name, {}, {}, [])
        for boundary in BOUNDARIES:
            proxy = world.proxies[boundary]
            path = out / scenario.name / f"{boundary}.yaml"
            recording.cassettes[boundary] = proxy.write_cassette(path, secrets=list(secrets))
            recording.exchanges[boundary] = len(proxy.exchanges)
            recording.findings += [str(f) for f in proxy.findings]
        recordings.append(recording)
    return recordings


def cassette_paths(corpus: Path) -> dict[tuple[str, str], Path]:
    """``(scenario, boundary) -> path`` for every cassette of a corpus directory."""
    if not corpus.is_dir():
        raise ScenarioError(f"{corpus}: no such cassette directory")
    found = {}
    for path in sorted(corpus.glob("*/*.yaml")):
        boundary = path.stem
        if boundary not in BOUNDARIES:
            raise ScenarioError(f"{path}: the file name must be a boundary ({', '.join(BOUNDARIES)}).yaml")
        found[(path.parent.name, boundary)] = path
    return found


def load_corpus(corpus: Path, specs: SpecSet, *, strict: bool = True) -> dict[tuple[str, str], Cassette]:
    """Load every cassette of ``corpus``, each exchange checked against its boundary's contract."""
    return {key: load_cassette(path, specs, key[1], strict=strict) for key, path in cassette_paths(corpus).items()}


def compare_corpora(old: Path, new: Path, specs: SpecSet) -> dict[tuple[str, str], DriftReport]:
    """Per cassette present in either corpus, the drift from ``old`` to ``new`` per operation.

    Neither side is loaded strictly: a newer provider that breaks the contract is exactly what
    a comparison has to show, not refuse."""
    before, after = load_corpus(old, specs, strict=False), load_corpus(new, specs, strict=False)
    empty = Cassette(Path("-"), "", [])
    return {key: drift(before.get(key, empty), after.get(key, empty)) for key in sorted(before.keys() | after.keys())}
