"""The saved failure corpus (tests/regressions/) replays offline: every saved failure is read,
its recorded exchange re-checked against today's contracts, and must still show the failure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from harness.proxy.check import ContractChecker
from harness.proxy.exchange import Exchange
from harness.proxy.match import OperationMatcher
from harness.replay.corpus import RegressionError, load_corpus, load_regression, replay_regression, save_regression
from harness.report.events import Recorder
from harness.spec.loader import load_specs
from harness.spec.models import SpecSet
from harness.spec.project import default_spec_paths, schema_dir

pytestmark = pytest.mark.replay
ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "regressions"
SPECS: SpecSet = load_specs(default_spec_paths(ROOT), schema_dir(ROOT), ROOT).specs
SAVED = load_corpus(CORPUS)


def test_the_corpus_holds_at_least_one_real_saved_failure() -> None:
    assert SAVED, f"no regression under {CORPUS}"


@pytest.mark.parametrize("regression", SAVED, ids=[f"{r.spec_element}::{r.name}" for r in SAVED])
def test_a_saved_failure_still_reproduces_from_its_recording(regression, harness_recorder: Recorder) -> None:  # type: ignore[no-untyped-def]
    replay = replay_regression(regression, SPECS)
    # A saved failure of a provider (not of the integration) is an open finding the report
    # lists as a warning; it does not make the provider's operation count as non-conformant.
    if replay.reproduced:
        harness_recorder.warn(
            f"open finding {regression.name} on {regression.spec_element} "
            f"(seed {regression.seed}): {regression.message}"
        )
    assert replay.exchange is not None, replay.detail
    assert replay.reproduced, (
        f"{regression.path}: the saved {regression.check} failure no longer shows in its recording ({replay.detail}); "
        f"re-run {regression.found_by} with seed {regression.seed} and update or delete the regression"
    )


def _exchange(status: int, body: dict[str, object]) -> Exchange:
    ex = Exchange("GET", "/api/dcim/sites/", "limit=1000&slug=x", [("Accept", "application/json")], b"",
                  "http://127.0.0.1:1")  # fmt: skip
    ex.status, ex.response_headers = status, [("Content-Type", "application/json")]
    ex.response_body = json.dumps(body).encode()
    return ex


def test_save_then_replay_round_trips_a_contract_failure(tmp_path: Path) -> None:
    # A sites list answer whose results is not an array breaks the contract: that is the saved failure.
    ex = _exchange(200, {"count": 1, "next": None, "previous": None, "results": "not-a-list"})
    match = OperationMatcher(SPECS, "netbox").match("GET", ex.path, {"limit": ["1000"], "slug": ["x"]}, [])
    ex.operation_id = match.operation.id if match.operation else None
    ex.findings = ContractChecker(SPECS, "netbox").check(ex, match)
    assert ex.findings, "the broken answer should break the contract"
    saved = save_regression(
        tmp_path,
        "sites-results-not-a-list",
        spec_element="contracts/netbox/dcim.yaml::netbox.dcim.sites.list",
        found_by="this test",
        seed=7,
        example={"method": "GET", "path": ex.path, "query": {"limit": ["1000"], "slug": ["x"]}},
        check="contract",
        message="results is a string",
        exchanges={"netbox": [ex]},
        secrets=["nbt_secret.value"],
    )
    regression = load_regression(saved)
    assert regression.findings and regression.seed == "7"
    assert replay_regression(regression, SPECS).reproduced

    # Saved findings the checker no longer produces (a changed contract) make the replay say so.
    data = yaml.safe_load((saved / "scenario.yaml").read_text())
    data["failure"]["findings"] = ["a finding the checker does not produce"]
    (saved / "scenario.yaml").write_text(yaml.safe_dump(data))
    assert not replay_regression(load_regression(saved), SPECS).reproduced


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.pop("seed"), r"missing field\(s\) seed"),
        (lambda d: d["failure"].update(check="flaky"), "/failure/check must be one of"),
        (lambda d: d.update(cassettes={"netbox": "cassettes/absent.yaml"}), "/cassettes/netbox: no file"),
        (lambda d: d["falsifying_example"].pop("path"), "/falsifying_example needs"),
    ],
    ids=["missing-seed", "unknown-check", "missing-cassette", "example-without-path"],
)
def test_a_malformed_regression_is_a_clear_error(tmp_path: Path, edit, message: str) -> None:  # type: ignore[no-untyped-def]
    saved = save_regression(
        tmp_path,
        "x",
        spec_element="e",
        found_by="f",
        seed=1,
        example={"method": "GET", "path": "/api/dcim/sites/"},
        check="server_error",
        message="m",
        exchanges={"netbox": [_exchange(500, {"error": "boom"})]},
    )
    data = yaml.safe_load((saved / "scenario.yaml").read_text())
    edit(data)
    (saved / "scenario.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(RegressionError, match=message) as info:
        load_regression(saved)
    assert "scenario.yaml" in str(info.value)


def test_a_bad_regression_name_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RegressionError, match="lower-case"):
        save_regression(
            tmp_path,
            "Bad Name",
            spec_element="e",
            found_by="f",
            seed=1,
            example={"method": "GET", "path": "/"},
            check="server_error",
            message="m",
            exchanges={},
        )
