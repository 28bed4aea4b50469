"""Schemathesis against the real NetBox, on exactly the operations our NetBox contracts name.

NetBox's own OpenAPI document (``/api/schema/``) is cut down to the method+path pairs of
``contracts/netbox``; Schemathesis generates requests from it (positive data), sends them with
the token and checks: no server error, the declared content type, and a 2xx answer to a request
our contract covers satisfies our contract (:class:`harness.proxy.check.ContractChecker`).
NetBox's answers are not held to NetBox's own document: in 4.7.3 it declares choice fields such
as Device.face and Cable.profile as non-null objects while answering null for them.
Only the query filters our contract declares are generated: NetBox's hundreds of other filters
are not what the integration relies on (fuzzing them found a NetBox 500, saved in
tests/regressions/netbox-datetime-filter-tz-offset-500). GET operations are safe to fuzz; POSTs
would leave objects behind, so they are left to the Pact suite, which sets up what it needs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance

from harness.proxy.check import ContractChecker
from harness.proxy.exchange import Exchange
from harness.proxy.match import OperationMatcher
from harness.replay.corpus import save_regression
from harness.report.elements import operation_id, spec_file
from harness.report.events import Recorder
from harness.spec.loader import load_specs
from harness.spec.models import Operation, SpecSet
from harness.spec.project import default_spec_paths, schema_dir
from harness.targets.base import Endpoint
from harness.targets.netbox.live import auth_header
from tests.live.reference_world import ROOT

pytestmark = [pytest.mark.live, pytest.mark.contract]
SPECS: SpecSet = load_specs(default_spec_paths(ROOT), schema_dir(ROOT), ROOT).specs
NETBOX_OPS = [op for op in SPECS.operations().values() if op.http is not None and op.id.startswith("netbox.")]
GET_OPS = [op for op in NETBOX_OPS if op.http is not None and op.http.method == "GET"]
EXAMPLES = 15  # per operation: list operations carry hundreds of filters, each example is a real request


def _element(op: Operation) -> str:
    return operation_id(spec_file(op.loc, ROOT), op.id)


@pytest.fixture(scope="module")
def restricted_schema(netbox: Endpoint) -> Any:
    """NetBox's OpenAPI document with only the paths and methods of contracts/netbox."""
    assert netbox.secret is not None
    headers = {**auth_header(netbox.secret), "Accept": "application/json"}
    with httpx.Client(base_url=netbox.url, headers=headers, timeout=120) as http:
        response = http.get("/api/schema/", params={"format": "json"})
    response.raise_for_status()
    document = response.json()
    wanted: dict[str, set[str]] = {}
    for op in NETBOX_OPS:
        assert op.http is not None
        wanted.setdefault(op.http.path, set()).add(op.http.method.lower())
    missing = sorted(p for p in wanted if p not in document["paths"])
    assert not missing, f"contracts/netbox names paths NetBox {netbox.url} does not serve: {missing}"
    by_route = {(op.http.path, op.http.method.lower()): op for op in NETBOX_OPS if op.http is not None}
    document["paths"] = {
        path: {
            method: _restricted(operation, by_route[(path, method)])
            for method, operation in item.items()
            if method in wanted[path]
        }
        for path, item in document["paths"].items()
        if path in wanted
    }
    schema = schemathesis.openapi.from_dict(document)
    schema.config.update(base_url=netbox.url, headers=headers)
    return schema


def _restricted(operation: dict[str, Any], op: Operation) -> dict[str, Any]:
    """The NetBox operation with only the parameters our contract declares: path parameters and
    the query filters the integration sends (NetBox's hundreds of other filters are not ours)."""
    ours = set(op.request.get("query", {}).get("properties", {}))
    params = [
        p for p in operation.get("parameters", []) if p["in"] == "path" or (p["in"] == "query" and p["name"] in ours)
    ]
    return {**operation, "parameters": params}


@pytest.mark.parametrize("op", GET_OPS, ids=[_element(op) for op in GET_OPS])
def test_netbox_answers_generated_requests_within_its_schema_and_our_contract(  # noqa: PLR0917 - fixtures
    op: Operation, restricted_schema: Any, netbox: Endpoint, recorder: Recorder, harness_regressions: Path,
    request: pytest.FixtureRequest,
) -> None:  # fmt: skip
    seed = request.config.getoption("--harness-seed")
    assert op.http is not None
    api_operation = restricted_schema[op.http.path][op.http.method]
    matcher, checker = OperationMatcher(SPECS, "netbox"), ContractChecker(SPECS, "netbox")
    contract_findings: list[str] = []
    covered: list[int] = []  # statuses of the answers to requests our contract covers

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )
    @given(case=api_operation.as_strategy())
    def run(case: Any) -> None:
        response = case.call(timeout=60)
        try:
            case.validate_response(response, checks=[not_a_server_error, content_type_conformance])
        except Exception as exc:
            failing.append((response, str(exc)))  # Hypothesis replays the shrunk example last
            raise
        if 200 <= response.status_code < 300:
            contract_findings.extend(_contract_findings(matcher, checker, netbox.url, response, covered))

    failing: list[tuple[Any, str]] = []
    try:
        run()
    except Exception as exc:
        saved = _save_failure(op, failing[-1], harness_regressions, netbox, seed) if failing else None
        where = f"; saved as {saved}" if saved else ""
        recorder.record(_element(op), "operation", "fail", f"schemathesis: {str(exc)[:300]}{where}")
        if saved:
            raise AssertionError(f"{exc}\n\nThe shrunk failure is saved as {saved} (replayable offline)") from exc
        raise
    assert covered, f"no generated request for {op.id} was one our contract covers; nothing was checked"
    verdict = "fail" if contract_findings else "pass"
    recorder.record(_element(op), "operation", verdict, "; ".join(sorted(set(contract_findings)))[:500])
    assert not contract_findings, (
        f"NetBox answers that break our contract for {op.id}: {sorted(set(contract_findings))}"
    )


def _save_failure(op: Operation, failure: tuple[Any, str], root: Path, netbox: Endpoint, seed: int | None) -> Path:
    """The shrunk failing request and NetBox's answer as a regression scenario under ``root``."""
    response, message = failure
    exchange = _exchange(netbox.url, response)
    query = {k: list(v) for k, v in parse_qs(exchange.query, keep_blank_values=True).items()}
    check = "server_error" if response.status_code >= 500 else "contract"
    name = f"{op.id.replace('.', '-').replace('_', '-')}-{check.replace('_', '-')}"
    return save_regression(
        root, name[:63], spec_element=_element(op), found_by="tests/live/test_schemathesis_netbox.py (Schemathesis)",
        seed=seed if seed is not None else "unseeded", example={"method": exchange.method, "path": exchange.path,
        "query": query}, check=check, message=message[:2000], exchanges={"netbox": [exchange]},
        secrets=[netbox.secret or ""],
    )  # fmt: skip


def _exchange(base: str, response: Any) -> Exchange:
    """One Schemathesis request and its answer as a proxy Exchange."""
    request = response.request
    split = urlsplit(str(request.url))
    body = request.body if isinstance(request.body, bytes) else (request.body or "").encode()
    exchange = Exchange(request.method, split.path, split.query, list(request.headers.items()), body, base)
    exchange.status = response.status_code
    exchange.response_headers = [(k, v) for k, vs in response.headers.items() for v in vs]
    exchange.response_body = response.content
    return exchange


def _contract_findings(
    matcher: OperationMatcher, checker: ContractChecker, base: str, response: Any, covered: list[int]
) -> list[str]:
    """Findings about NetBox's answer under our contract, for requests our contract covers.

    NetBox's schema allows requests ours does not (a negative limit, a repeated filter); such a
    request is not one the integration sends, so its answer is not held to our contract."""
    exchange = _exchange(base, response)
    match = matcher.match(exchange.method, exchange.path, parse_qs(exchange.query), exchange.request_headers)
    findings = checker.check(exchange, match)
    if any(f.part.startswith("request.") for f in findings):
        return []
    covered.append(response.status_code)
    return [str(f) for f in findings]
