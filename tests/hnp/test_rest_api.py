"""HNP's REST API asked the way any API client asks: default requests, no workarounds.

The adapter reads and writes with ``omit=display_url`` and ``ordering=id`` (see
hh_hnp_harness.client.WORKAROUND); these checks record what a client without them meets.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hh_hnp_harness.client import API, HNPClient
from hh_hnp_harness.findings import Observed
from hh_hnp_harness.kinds import COLLECTIONS


def test_fabric_answers_in_the_default_representation(
    hnp: HNPClient, fabric: dict[str, Any], findings: Observed
) -> None:
    broken = []
    for method, path, body in (
        ("GET", f"{API}/fabrics/", None),
        ("GET", f"{API}/fabrics/{fabric['id']}/", None),
        ("PATCH", f"{API}/fabrics/{fabric['id']}/", {"description": "harness"}),
    ):
        response = hnp.rest.request(method, path, json=body)
        if response.status_code >= 500:
            broken.append(f"{method} {path} -> {response.status_code} {response.json().get('exception')}")
    if broken:
        findings.add("HNP-REST-DISPLAY-URL", "; ".join(broken))
    findings.verify()


def test_creating_a_fabric_answers_what_happened(hnp: HNPClient, kube_proxy: Any, findings: Observed) -> None:
    """A 5xx to a create must mean nothing was created (a client retries it); a 2xx carries the object."""
    name = f"hh-create-{uuid.uuid4().hex[:8]}"
    response = hnp.rest.post(f"{API}/fabrics/", json={"name": name, "kubernetes_server": kube_proxy.url})
    created = hnp.named("fabrics", name)
    findings.saw = f"POST -> {response.status_code} {response.text[:200]!r}; {len(created)} fabric(s) so named"
    if response.status_code >= 500 and created:
        findings.add(
            "HNP-REST-500-AFTER-WRITE", f"POST {API}/fabrics/ -> {response.status_code}, yet the fabric exists"
        )
    findings.verify()


@pytest.mark.parametrize("collection", sorted(set(COLLECTIONS.values())))
def test_collection_lists_without_an_explicit_ordering(collection: str, hnp: HNPClient, findings: Observed) -> None:
    response = hnp.rest.get(f"{API}/{collection}/")
    if response.status_code >= 500:
        findings.add("HNP-REST-UNORDERED", f"GET {API}/{collection}/ -> {response.status_code}: {response.text[:120]}")
    findings.verify()


def test_collections_filter_by_name(hnp: HNPClient, fabric: dict[str, Any], findings: Observed) -> None:
    """NetBox's REST convention: ``?name=X`` answers only objects named X."""
    other = hnp.rest.get(f"{API}/fabrics/", params={"name": "no-such-fabric", "omit": "display_url"}).json()
    if other.get("count"):
        findings.add("HNP-REST-FILTER-IGNORED", f"GET {API}/fabrics/?name=no-such-fabric -> count {other['count']}")
    findings.verify()
