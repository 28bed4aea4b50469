"""The generated suites, collected from the project's spec files.

The harness's pytest plugin turns each spec file under the project's spec directories into test
items named by the spec element they exercise (``state_machines/fabric_sync.yaml::machine``,
``specs/errors/webhook.yaml::HH-HOOK-001``, ``contracts/kubernetes/vpc.yaml::VPC``,
``contracts/mappings/vpc.yaml::rejects:gateway_outside_subnet``), and the mappings directory into
the fabric-wide render properties (``contracts/mappings::rendered-objects``). Items reach the
implementation only through the adapter (``harness_adapter`` fixture).

Suites by marker: ``stateful``, ``property``, ``fault``; ``live`` for those that need the live world
(``specs/errors/netbox.yaml::HH-NB-001``, ``specs/patterns/gitops_sync.yaml::crash-after:apply``).
An item whose suite needs a hook the adapter does not implement is reported *not applicable* with
the hook's name.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.adapter import NotProvided
from harness.pytest_plugin import NOT_APPLICABLE
from harness.spec.models import SpecSet

Body = Callable[..., None]


def _not_applicable(body: Body) -> Body:
    """Run ``body``; an adapter without the hook it needs makes the item not applicable, said why."""

    def run(*args: Any, **kwargs: Any) -> None:
        try:
            body(*args, **kwargs)
        except NotProvided as exc:
            pytest.skip(f"{NOT_APPLICABLE} {exc}")

    return run


# World kinds whose items are dealt round-robin into this many xdist groups: the direct world holds
# most live items (the fault entries and the Schemathesis reads), so on two workers it would be the
# long pole; as two groups it runs on both, each worker building its own direct world.
LIVE_SHARDS = {"direct": 2}
# The order the live world groups are collected in, and so dealt to xdist workers (`harness run` turns
# off xdist's reordering by group size), after the items of no world (the pacts' group, seconds): the
# model world first, whose world item with its tour is the longest single group, then the direct
# world's groups, the pull-request world last. On two workers
# (CI, 2026-12-01: model 358 s, direct 309 + 262, pull_request 183) one runs model then
# pull_request, the other both direct groups: 571 s at most, where the order by size (the direct
# groups first) left model and a direct group on one worker, 620 s.
SCHEDULE = ("model", "direct", "pull_request")
_DEALT: pytest.StashKey[dict[str, int]] = pytest.StashKey()


def live_group(world_kind: str | None, index: int = 0) -> str:
    """The xdist group of a live item (``--dist loadgroup``): a worker runs a group's items in order.

    With the managed NetBox every worker has its own (see ``harness_netbox_target``), so each world
    kind is a group of its own (the kinds in LIVE_SHARDS several, ``index`` is the item's place among
    that kind's items) and groups run side by side on different workers; the live items that need no
    world share one more. An external NetBox (HARNESS_NETBOX_URL) is one for all workers: then every
    live item is in one group, on one worker, as the worlds reset that NetBox."""
    if world_kind is None or os.environ.get("HARNESS_NETBOX_URL"):
        return "live-world"
    shards = LIVE_SHARDS.get(world_kind, 1)
    return f"live-world-{world_kind}" + (f"-{index % shards}" if shards > 1 else "")


def _item(parent: pytest.Collector, name: str, markers: str, fn: Callable[..., None]) -> pytest.Function:
    item = pytest.Function.from_parent(parent, name=name, callobj=fn)
    for marker in markers.split():
        item.add_marker(getattr(pytest.mark, marker))
    kind = getattr(fn, "world_kind", None)
    if "live" in markers.split():
        dealt = parent.config.stash.setdefault(_DEALT, {})
        index = dealt[str(kind)] = dealt.get(str(kind), -1) + 1  # collection order: the same on every worker
        item.add_marker(pytest.mark.xdist_group(live_group(kind, index)))
    if kind is not None:
        item.stash[WORLD_KIND] = kind
    return item


class SpecFile(pytest.File):
    """One spec file: the generated items for the elements it declares."""

    def collect(self) -> Iterator[pytest.Item]:
        from harness.suites import items  # noqa: PLC0415 - hypothesis and friends only when collecting

        specs: SpecSet = self.config.stash[SPECS_KEY]
        for name, marker, fn in items.for_file(self.path, specs, self.config.stash[ROOT_KEY]):
            yield _item(self, name, marker, _keep_signature(fn, _not_applicable(fn)))


class SpecDir(pytest.Directory):
    """A spec directory with items of its own (``contracts/mappings::rendered-objects``,
    ``contracts/netbox::pact``), besides its spec files' items."""

    def collect(self) -> Iterator[pytest.Item | pytest.Collector]:
        from harness.suites import items  # noqa: PLC0415

        for path in sorted(self.path.iterdir()):
            if path.is_file():
                yield from self.ihook.pytest_collect_file(file_path=path, parent=self)
            elif path.is_dir() and (sub := self.ihook.pytest_collect_directory(path=path, parent=self)) is not None:
                yield sub
        for name, marker, fn in items.directory_items(self.path, self.config.stash[SPECS_KEY]):
            yield _item(self, name, marker, _keep_signature(fn, _not_applicable(fn)))


class CassetteCorpus(pytest.Directory):
    """The project's recorded corpus (``[tool.harness] cassettes``): a scenario directory per recording."""

    def collect(self) -> Iterator[pytest.Collector]:
        for path in sorted(self.path.iterdir()):
            if path.is_dir() and path.name == "sync" and (path / "netbox.yaml").is_file():
                yield RecordedScenario.from_parent(self, path=path)


class RecordedScenario(pytest.Directory):
    """One recorded scenario: replayed into the implementation (``tests/cassettes/sync::replay``), and
    served by a Pact mock to the implementation's own client (``tests/cassettes/sync::pact-consumer``)."""

    def collect(self) -> Iterator[pytest.Item]:
        scenario = self.path

        def replay_test(  # noqa: PLR0917 - pytest passes fixtures positionally
            harness_adapter: Any, harness_specs: SpecSet, harness_crds_dir: Path, harness_root: Path,
            harness_recorder: Any, tmp_path: Path,
        ) -> None:  # fmt: skip
            from harness.suites.replay import replay_sync  # noqa: PLC0415

            replay_sync(scenario, harness_adapter, harness_specs, crds_dir=harness_crds_dir, root=harness_root,
                        workdir=tmp_path, recorder=harness_recorder)  # fmt: skip

        yield _item(self, "replay", "replay", _keep_signature(replay_test, _not_applicable(replay_test)))

        def pact_consumer_test(  # noqa: PLR0917 - pytest passes fixtures positionally
            harness_adapter: Any, harness_specs: SpecSet, harness_crds_dir: Path, harness_root: Path,
            harness_recorder: Any, tmp_path: Path, request: pytest.FixtureRequest,
        ) -> None:  # fmt: skip
            from harness.suites.pact_consumer import pact_consumer_sync  # noqa: PLC0415

            report = request.config.getoption("--harness-report", None)
            pacts = Path(report) / "pacts" if report is not None else tmp_path / "pacts"
            pact_consumer_sync(scenario, harness_adapter, harness_specs, crds_dir=harness_crds_dir,
                               root=harness_root, workdir=tmp_path, pact_dir=pacts,
                               recorder=harness_recorder)  # fmt: skip

        yield _item(self, "pact-consumer", "contract",
                    _keep_signature(pact_consumer_test, _not_applicable(pact_consumer_test)))  # fmt: skip


def _keep_signature(original: Body, wrapper: Body) -> Body:
    """pytest reads the fixtures a test needs from its signature: give the wrapper the body's."""
    import functools  # noqa: PLC0415

    return functools.wraps(original)(wrapper)


SPECS_KEY = pytest.StashKey[SpecSet]()
WORLD_KIND = pytest.StashKey[str]()  # the live world an item runs in; the plugin orders items by it
ROOT_KEY = pytest.StashKey[Path]()
