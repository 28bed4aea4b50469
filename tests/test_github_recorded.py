"""The GitHub twin answers real recorded GitHub traffic the way GitHub answered it.

Every api.github.com scenario of ``@octokit/fixtures`` (pinned in package.json) is replayed in order against a
fresh twin by ``harness.targets.github.recorded``: the recording's own setup requests build the state it
assumed, recorded commit shas are mapped to the twin's. For each operation our GitHub contracts use (and every
other one the twin serves), every recorded exchange of it must have been compared, and must agree on the
status, the headers clients act on (Content-Type media type, ETag, Location, Link rels, retry-after,
x-ratelimit-*) and the body's shape (keys and JSON types, recursively; keys only the twin sends are notes).

Operations with no recording in the fixtures are listed, with the reason, in ``UNRECORDED``; their tests check
that they still have none (a fixtures upgrade that records one fails here until it is compared) and print the
reason. ``test_the_replay_summary`` prints what happened to every recorded exchange.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness.spec.loader import load_specs
from harness.targets.github import GitHubTwin, routes
from harness.targets.github.recorded import LOGIN, SCENARIOS, Outcome, Replay, load, summary
from harness.targets.github.recorded_diff import Diff, compare_headers, compare_shape

ROOT = Path(__file__).resolve().parents[1]
_LOADED = load_specs([ROOT / "contracts" / "github"], ROOT / "specs" / "schema", ROOT)
CONTRACT_OPERATIONS = sorted(_LOADED.specs.operations())
TWIN_ONLY = sorted({r.operation for r in routes.ROUTES} - set(CONTRACT_OPERATIONS))

_NO_GIT_DATA = "no scenario uses the git data API for blobs, trees or commits (git-refs commits through contents)"
_NO_PULLS = "no scenario opens, reads, lists, edits or merges a pull request"
_DELIVERY = "a webhook delivery GitHub sends to the integration; the fixtures record requests to the API only"
UNRECORDED: dict[str, str] = {
    "github.contents.delete": "no scenario deletes a file through the contents API",
    "github.git.create_blob": _NO_GIT_DATA,
    "github.git.get_blob": _NO_GIT_DATA,
    "github.git.create_tree": _NO_GIT_DATA,
    "github.git.get_tree": _NO_GIT_DATA,
    "github.git.create_commit": _NO_GIT_DATA,
    "github.git.get_commit": _NO_GIT_DATA,
    "github.git.get_ref": "git-refs lists every ref (GET /git/refs/) but never reads a single one",
    "github.pulls.create": _NO_PULLS,
    "github.pulls.get": _NO_PULLS,
    "github.pulls.list": _NO_PULLS,
    "github.pulls.merge": _NO_PULLS,
    "github.pulls.update": _NO_PULLS,
    "github.pulls.check_merged": _NO_PULLS,
    "github.repos.create_for_user": "every scenario creates its repository in the octokit-fixture-org organisation",
    "github.repos.list_for_user": "no scenario lists repositories",
    "github.repos.list_for_org": "no scenario lists repositories",
    "github.repos.get_branch": "branch-protection reads /branches/main/protection, never the branch itself",
    "github.rate_limit.get": "no scenario reads /rate_limit (the x-ratelimit-* headers of every answer are compared)",
    "github.users.get_authenticated": "no scenario reads /user",
    "webhook.github.push": _DELIVERY,
    "webhook.github.pull_request": _DELIVERY,
    "webhook.github.ping": _DELIVERY,
}


@pytest.fixture(scope="module")
def outcomes() -> Iterator[list[Outcome]]:
    directory = ROOT / SCENARIOS
    if not directory.is_dir():
        pytest.fail(f"@octokit/fixtures is expected at {directory}; run `npm ci` in the project root")
    twin = GitHubTwin(owner=LOGIN)
    endpoint = twin.start()
    try:
        with httpx.Client(base_url=endpoint.url, headers={"Authorization": f"token {endpoint.secret}"},
                          timeout=30) as client:  # fmt: skip
            replay = Replay(client)
            yield [o for name, exchanges in load(directory).items() for o in replay.scenario(name, exchanges)]
    finally:
        twin.stop()


def test_the_contracts_load() -> None:
    assert not _LOADED.diagnostics and CONTRACT_OPERATIONS


@pytest.mark.parametrize("operation", CONTRACT_OPERATIONS + TWIN_ONLY)
def test_the_twin_answers_recorded_traffic_like_github(
    operation: str, outcomes: list[Outcome], record_property: pytest.RecordProperty
) -> None:
    mine = [o for o in outcomes if o.operation == operation]
    if operation in UNRECORDED:
        assert not mine, (f"{operation} now has recorded exchanges ({', '.join(o.exchange.name for o in mine)}): "
                          "remove it from UNRECORDED so they are compared")  # fmt: skip
        record_property("recorded_github_traffic", f"none: {UNRECORDED[operation]}")
        print(f"{operation}: no recording in @octokit/fixtures: {UNRECORDED[operation]}")
        return
    compared = [o for o in mine if o.compared]
    found = "; ".join(summary(mine)) or "none recorded"
    assert compared, f"{operation}: no recorded exchange was compared ({found}); compare one or list it in UNRECORDED"
    differing = [line for o, line in zip(compared, summary(compared), strict=True) if o.differs]
    assert not differing, "the twin answers differently from recorded GitHub:\n" + "\n".join(differing)
    record_property("recorded_github_traffic", ", ".join(o.exchange.name for o in compared))
    print("\n".join(summary(mine)))


def test_the_replay_summary(outcomes: list[Outcome]) -> None:
    """Every recorded exchange of an operation the twin serves was compared, or says why it could not be."""
    lines = summary(outcomes)
    print("\n".join(lines))
    served = [o for o in outcomes if o.operation is not None]
    assert all(o.compared or (o.skipped or "").startswith("after ") for o in served)
    compared_operations = {o.operation for o in served if o.compared}
    recorded = set(CONTRACT_OPERATIONS + TWIN_ONLY) - set(UNRECORDED)
    assert compared_operations == recorded, f"compared {sorted(compared_operations)}, expected {sorted(recorded)}"
    assert not set(UNRECORDED) - set(CONTRACT_OPERATIONS + TWIN_ONLY), "UNRECORDED names an unknown operation"


def test_the_comparison_reports_what_clients_would_notice() -> None:
    recorded = {"content-type": "application/json; charset=utf-8", "etag": '"abc"', "x-ratelimit-remaining": "1",
                "link": '<u?page=2>; rel="next"', "location": "https://api.github.com/repos/o/r"}  # fmt: skip
    twin = {"content-type": "application/vnd.github.raw; charset=utf-8", "x-ratelimit-remaining": "x",
            "location": "http://127.0.0.1/repos/o/other"}  # fmt: skip
    found = compare_headers(recorded, twin, "/repos/o/r")
    assert [line.split(":")[0] for line in found] == [
        "content-type", "etag", "location", "link", "x-ratelimit-remaining"]  # fmt: skip
    diff = Diff()
    compare_shape({"a": 1, "b": {"c": "x"}, "d": [{"e": True}], "n": None},
                  {"a": "1", "b": {}, "d": [{"e": True, "f": 1}], "n": 3}, diff)  # fmt: skip
    assert diff.differences == ["body/a: recorded number, twin string", "body/b/c: recorded, missing in the twin"]
    assert diff.notes == ["body/d/0/f: only in the twin"]
