"""`harness record`'s scenarios against the live world: a full sync and a drift check recorded
through the contract proxies, one redacted cassette per boundary per scenario, every exchange
valid against its contract, no live token in any file, and no drift from the committed corpus."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.replay.scenarios import BOUNDARIES, SCENARIOS, Recording, compare_corpora, load_corpus, record_scenarios
from harness.spec.loader import load_specs
from harness.spec.project import default_spec_paths, schema_dir
from harness.targets.base import Endpoint, Target
from tests.live.reference_world import ROOT, World, make_world

pytestmark = [pytest.mark.live, pytest.mark.replay]
SPECS = load_specs(default_spec_paths(ROOT), schema_dir(ROOT), ROOT).specs
COMMITTED = ROOT / "tests" / "cassettes"


@pytest.fixture(scope="module")
def recorded(
    netbox_target: Target, netbox: Endpoint, crds_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[World, Path, list[Recording]]]:
    tmp = tmp_path_factory.mktemp("record")
    for world in make_world(netbox_target, netbox, crds_dir, tmp, proxied=True):
        secrets = [s for s in (netbox.secret, world.github.secret) if s]
        out = tmp / "cassettes"
        yield world, out, record_scenarios(world, world.fabric.site_slug, out, secrets)


def test_every_scenario_writes_a_cassette_per_boundary_with_no_contract_finding(
    recorded: tuple[World, Path, list[Recording]],
) -> None:
    _, out, recordings = recorded
    assert [r.scenario for r in recordings] == [s.name for s in SCENARIOS]
    for rec in recordings:
        assert set(rec.cassettes) == set(BOUNDARIES)
        assert all(rec.exchanges[b] > 0 for b in BOUNDARIES), rec.exchanges
        assert rec.findings == []
    loaded = load_corpus(out, SPECS)  # strict: raises on any exchange that breaks its contract
    assert set(loaded) == {(s.name, b) for s in SCENARIOS for b in BOUNDARIES}


def test_no_live_token_reaches_a_cassette(recorded: tuple[World, Path, list[Recording]], netbox: Endpoint) -> None:
    world, out, _ = recorded
    tokens = [t for t in (netbox.secret, world.github.secret) if t]
    assert len(tokens) == 2
    for path in out.rglob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        for token in tokens:
            assert token not in text, f"{path} holds a live token"
            # NetBox v2 tokens are nbt_<key>.<secret>: neither half may survive on its own.
            for part in token.removeprefix("nbt_").split("."):
                assert part not in text, f"{path} holds part of a live token"


def test_a_re_recording_shows_no_drift_from_the_committed_corpus(
    recorded: tuple[World, Path, list[Recording]],
) -> None:
    _, out, _ = recorded
    reports = compare_corpora(COMMITTED, out, SPECS)
    drifted = {f"{s}/{b}": str(r) for (s, b), r in reports.items() if r.drifted}
    assert drifted == {}, f"the providers answer differently from the committed recording: {drifted}"
