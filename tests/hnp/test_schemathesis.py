"""Schemathesis over HNP's REST API, from the OpenAPI document NetBox serves for it.

NetBox's ``/api/schema/`` is cut down to ``/api/plugins/hedgehog/``; every operation gets a few
generated requests with the API token. Checks: no server error, the declared content type and
status codes, and answers that match HNP's own declared schema. Failures are grouped by check
and recorded as findings, each with the operation and the shrunk request's first line.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import schemathesis
from hh_hnp_harness.client import API
from hh_hnp_harness.findings import Observed
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from harness.targets.base import Endpoint

EXAMPLES = 4
# check -> the finding it is recorded as. Not checked: status-code conformance, because NetBox's served
# document declares no 4xx for any endpoint (NetBox core, not HNP: every 404 would be "undocumented").
CHECKS = {
    "HNP-API-5XX": not_a_server_error,
    "HNP-API-SCHEMA": response_schema_conformance,
    "HNP-API-CONTENT-TYPE": content_type_conformance,
}


@pytest.fixture(scope="module")
def hnp_schema(hnp_netbox: Endpoint) -> Any:
    assert hnp_netbox.secret is not None
    headers = {"Authorization": f"Bearer {hnp_netbox.secret}", "Accept": "application/json"}
    with httpx.Client(base_url=hnp_netbox.url, headers=headers, timeout=300) as http:
        document = http.get("/api/schema/", params={"format": "json"}).raise_for_status().json()
    document["paths"] = {p: item for p, item in document["paths"].items() if p.startswith(f"{API}/")}
    assert document["paths"], f"NetBox's OpenAPI document has no path under {API}/"
    schema = schemathesis.openapi.from_dict(document)
    schema.config.update(base_url=hnp_netbox.url, headers=headers)
    return schema


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
def test_hnp_rest_answers_within_its_own_schema(method: str, hnp_schema: Any, findings: Observed) -> None:
    failures: dict[str, list[str]] = {}
    operations = [result.ok() for result in hnp_schema.get_all_operations() if result.ok().method.upper() == method]
    assert operations, f"no {method} operation under {API}/"
    for operation in operations:
        for finding_id, wrong in _failures(operation).items():
            failures.setdefault(finding_id, []).append(f"{method} {operation.path}: {wrong}")
    for finding_id, where in failures.items():
        findings.add(finding_id, f"{len(where)} operations, first: {where[0][:300]}")
    findings.verify()


def _failures(operation: Any) -> dict[str, str]:
    """Per finding id, the first failure of its check among ``operation``'s generated requests."""
    seen: dict[str, str] = {}

    # derandomized: the same requests every run, so a recorded finding does not come and go
    @settings(
        max_examples=EXAMPLES, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )
    @given(case=operation.as_strategy())
    def run(case: Any) -> None:
        response = case.call(timeout=60)
        for finding_id, check in CHECKS.items():
            bulk = isinstance(case.body, list) or _is_list(response)
            if finding_id in seen or (check is response_schema_conformance and bulk):
                continue  # bulk requests and answers: NetBox core's document describes them as objects, not HNP
            try:
                case.validate_response(response, checks=[check])
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - Schemathesis's FailureGroup is a BaseExceptionGroup
                lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
                seen[finding_id] = (
                    f"{case.method} {case.formatted_path} -> {response.status_code}: {' '.join(lines)[:240]}"
                )

    run()
    return seen


def _is_list(response: Any) -> bool:
    try:
        return isinstance(response.json(), list)
    except ValueError:
        return False
