"""The Pact items can fail: a provider that breaks the pact generated from our contract fails
verification (the twin without its provider state answers 404 for the repository)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from harness.generate.pact import build_pact, exercise, verify
from harness.spec.models import SpecSet
from harness.suites.contracts_live import REPO_EXISTS, StateHandler, github_cases
from harness.targets.github.target import GitHubTwin

pytestmark = [pytest.mark.live, pytest.mark.contract]


def test_a_provider_that_breaks_the_pact_fails_verification(harness_specs: SpecSet, tmp_path: Path) -> None:
    twin = GitHubTwin()
    endpoint = twin.start()
    try:
        cases = github_cases(endpoint.extra["owner"])[1:2]  # github.repos.get, which needs the repository
        pact_dir = exercise(build_pact(harness_specs, "github", cases), harness_specs, cases, tmp_path / "pacts")
        auth = {"Authorization": f"Bearer {endpoint.secret}"}
        with httpx.Client(base_url=endpoint.url, headers=auth, timeout=10) as http:
            handler = StateHandler(http, setup={REPO_EXISTS: lambda *_: None}, teardown={})
            url = endpoint.url.replace("127.0.0.1", "localhost")
            with pytest.raises(RuntimeError):
                verify(pact_dir, "github", url, handler, headers=auth)
    finally:
        twin.stop()
