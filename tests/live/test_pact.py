"""Consumer pacts (Pact V4) generated from our NetBox and GitHub contracts, verified against the
real NetBox and the GitHub twin.

The cases are requests the reference makes; ``harness.generate.pact`` checks each against its
operation's request schema, derives the response matchers from the response schema, plays the
cases against the Pact mock server (consumer side) and writes the pact to a temp directory.
The Pact verifier then replays it against the provider, with provider states created by the
state handlers below. Handlers never raise (the verifier retries a raising handler for
minutes): they record what went wrong, and the test reports it next to the verifier's output.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.generate.pact import PactCase, build_pact, exercise, verify
from harness.report.elements import operation_id, spec_file
from harness.report.events import Recorder
from harness.spec.loader import load_specs
from harness.spec.models import SpecSet
from harness.spec.project import default_spec_paths, schema_dir
from harness.targets.base import Endpoint
from harness.targets.github.target import GitHubTwin
from harness.targets.netbox.live import auth_header
from tests.live.reference_world import ROOT

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")
pytestmark = [pytest.mark.live, pytest.mark.contract]
SPECS: SpecSet = load_specs(default_spec_paths(ROOT), schema_dir(ROOT), ROOT).specs
REPO = "fabric-pact"

NETBOX_CASES = [
    PactCase("netbox.status.get", "/api/status/"),
    PactCase("netbox.dcim.sites.list", "/api/dcim/sites/", "an object with the slug exists",
             {"endpoint": "dcim/sites", "slug": "pact-site"}, {"slug": "pact-site"}, non_empty=True),
    PactCase("netbox.dcim.sites.create", "/api/dcim/sites/", "no object with the slug exists",
             {"endpoint": "dcim/sites", "slug": "pact-created"},
             body={"name": "Pact Created", "slug": "pact-created", "status": "active"}, status=201),
    PactCase("netbox.dcim.manufacturers.list", "/api/dcim/manufacturers/", "an object with the slug exists",
             {"endpoint": "dcim/manufacturers", "slug": "pact-vendor"}, {"slug": "pact-vendor"}, non_empty=True),
    PactCase("netbox.extras.tags.list", "/api/extras/tags/", "an object with the slug exists",
             {"endpoint": "extras/tags", "slug": "hh-pact-listed"}, {"slug": "hh-pact-listed"}, non_empty=True),
    PactCase("netbox.extras.tags.create", "/api/extras/tags/", "no object with the slug exists",
             {"endpoint": "extras/tags", "slug": "hh-pact"},
             body={"name": "hh-pact", "slug": "hh-pact", "color": "00ff00"}, status=201),
]  # fmt: skip


def github_cases(owner: str) -> list[PactCase]:
    state, params = "a repository exists", {"owner": owner, "repo": REPO}
    base = f"/repos/{owner}/{REPO}"
    return [
        PactCase("github.rate_limit.get", "/rate_limit"),
        PactCase("github.repos.get", base, state, params),
        PactCase("github.git.get_ref", f"{base}/git/ref/heads/main", state, params),
        PactCase("github.git.create_blob", f"{base}/git/blobs", state, params,
                 body={"content": "hello pact\n", "encoding": "utf-8"}, status=201),
    ]  # fmt: skip


class StateHandler:
    """Sets provider states through the provider's own API; collects errors instead of raising."""

    def __init__(self, http: httpx.Client, setup: dict[str, Any], teardown: dict[str, Any]) -> None:
        self.http, self.setup, self.teardown = http, setup, teardown
        self.errors: list[str] = []
        self.calls: list[tuple[str, str]] = []

    def __call__(self, state: str, action: str, parameters: dict[str, Any] | None) -> None:
        self.calls.append((state, action))
        table = self.setup if action == "setup" else self.teardown
        handler = table.get(state)
        if handler is None:
            if state:
                self.errors.append(f"no handler for provider state {state!r} ({action})")
            return
        try:
            handler(self.http, parameters or {})
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            self.errors.append(f"{action} of {state!r} with {parameters}: {type(exc).__name__}: {exc}")


def _nb_delete_slug(http: httpx.Client, p: dict[str, Any]) -> None:
    listed = http.get(f"/api/{p['endpoint']}/", params={"slug": p["slug"]})
    listed.raise_for_status()
    for obj in listed.json()["results"]:
        http.delete(f"/api/{p['endpoint']}/{obj['id']}/").raise_for_status()


def _nb_create_slug(http: httpx.Client, p: dict[str, Any]) -> None:
    _nb_delete_slug(http, p)
    http.post(f"/api/{p['endpoint']}/", json={"name": p["slug"], "slug": p["slug"]}).raise_for_status()


def _gh_create_repo(http: httpx.Client, p: dict[str, Any]) -> None:
    if http.get(f"/repos/{p['owner']}/{p['repo']}").status_code == 404:
        http.post("/user/repos", json={"name": p["repo"], "auto_init": True}).raise_for_status()


def _gh_delete_repo(http: httpx.Client, p: dict[str, Any]) -> None:
    answer = http.delete(f"/repos/{p['owner']}/{p['repo']}")
    if answer.status_code not in (204, 404):
        answer.raise_for_status()


def _record(recorder: Recorder, cases: list[PactCase], verdict: str, detail: str) -> None:
    for case in cases:
        op = SPECS.operations()[case.operation]
        recorder.record(operation_id(spec_file(op.loc, ROOT), op.id), "operation", verdict, f"pact: {detail}"[:300])


def _verify_and_report(
    recorder: Recorder,
    cases: list[PactCase],
    pact_dir: Path,
    provider_url: tuple[str, str],
    handler: StateHandler,
    *,
    headers: dict[str, str],
) -> None:
    provider, url = provider_url
    try:
        verifier = verify(pact_dir, provider, url, handler, headers=headers)
    except RuntimeError as exc:
        _record(recorder, cases, "fail", str(exc))
        pytest.fail(f"pact verification against {provider} failed: {exc}\nstate handler errors: {handler.errors}")
    _record(recorder, cases, "pass", f"verified against {provider}")
    assert not handler.errors, handler.errors
    results = verifier.results
    assert results.get("result") is True, results
    assert {s for s, _ in handler.calls} >= {c.state for c in cases if c.state}, "a provider state was never set up"


def test_netbox_honours_the_pact_generated_from_our_contract(
    netbox: Endpoint, tmp_path: Path, recorder: Recorder
) -> None:
    assert netbox.secret is not None
    pact_dir = tmp_path / "pacts"
    exercise(build_pact(SPECS, "netbox", NETBOX_CASES), SPECS, NETBOX_CASES, pact_dir)
    assert (pact_dir / "hh-reference-netbox.json").is_file()
    auth = auth_header(netbox.secret)
    with httpx.Client(base_url=netbox.url, headers={**auth, "Accept": "application/json"}, timeout=10) as http:
        exists, absent = "an object with the slug exists", "no object with the slug exists"
        handler = StateHandler(
            http,
            setup={exists: _nb_create_slug, absent: _nb_delete_slug},
            teardown={exists: _nb_delete_slug, absent: _nb_delete_slug},  # leave NetBox as it was
        )
        url = netbox.url.replace("127.0.0.1", "localhost")  # the verifier's host check wants localhost
        _verify_and_report(recorder, NETBOX_CASES, pact_dir, ("netbox", url), handler, headers=auth)


def test_the_github_twin_honours_the_pact_generated_from_our_contract(tmp_path: Path, recorder: Recorder) -> None:
    twin = GitHubTwin()
    endpoint = twin.start()
    try:
        cases = github_cases(endpoint.extra["owner"])
        pact_dir = tmp_path / "pacts"
        exercise(build_pact(SPECS, "github", cases), SPECS, cases, pact_dir)
        auth = {"Authorization": f"Bearer {endpoint.secret}"}
        with httpx.Client(base_url=endpoint.url, headers=auth, timeout=10) as http:
            state = "a repository exists"
            handler = StateHandler(http, setup={state: _gh_create_repo}, teardown={state: _gh_delete_repo})
            url = endpoint.url.replace("127.0.0.1", "localhost")
            _verify_and_report(recorder, cases, pact_dir, ("github", url), handler, headers=auth)
    finally:
        twin.stop()


def test_a_provider_that_breaks_the_pact_fails_verification(tmp_path: Path) -> None:
    """Without its provider state the twin answers 404 for the repository: verification must fail."""
    twin = GitHubTwin()
    endpoint = twin.start()
    try:
        cases = github_cases(endpoint.extra["owner"])[1:2]  # github.repos.get, which needs the repository
        pact_dir = exercise(build_pact(SPECS, "github", cases), SPECS, cases, tmp_path / "pacts")
        auth = {"Authorization": f"Bearer {endpoint.secret}"}
        with httpx.Client(base_url=endpoint.url, headers=auth, timeout=10) as http:
            handler = StateHandler(http, setup={"a repository exists": lambda *_: None}, teardown={})
            url = endpoint.url.replace("127.0.0.1", "localhost")
            with pytest.raises(RuntimeError):
                verify(pact_dir, "github", url, handler, headers=auth)
    finally:
        twin.stop()
