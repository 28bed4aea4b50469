"""Our boundary contracts are subsets of what the providers publish.

GitHub: checked offline against @octokit/openapi (pinned in package.json). Kubernetes: checked
offline against the Hedgehog CRDs beside the project. NetBox: checked against the OpenAPI a live
NetBox serves (the live tier always provides one).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from jsonschema import Draft202012Validator
from support.contracts_crd import check_resource, load_crds, pruned_fields, served_schema
from support.contracts_openapi import check_http_contract, check_webhook_contract, load_contract

REPO = Path(__file__).resolve().parents[1]
CONTRACTS = REPO / "contracts"
OCTOKIT = REPO / "node_modules" / "@octokit" / "openapi" / "generated" / "api.github.com.json"
MANIFESTS = Path(__file__).parent / "data" / "manifests"
GITHUB_REST = sorted(p for p in (CONTRACTS / "github").glob("*.yaml") if p.stem != "webhooks")
NETBOX = sorted((CONTRACTS / "netbox").glob("*.yaml"))
KUBERNETES = sorted((CONTRACTS / "kubernetes").glob("*.yaml"))


@pytest.fixture(scope="session")
def github_openapi() -> dict[str, Any]:
    """GitHub's official description, loaded once per session (13 MB)."""
    if not OCTOKIT.is_file():
        pytest.fail(f"{OCTOKIT} is missing: run `npm ci` in {REPO} to install @octokit/openapi")
    data: dict[str, Any] = json.loads(OCTOKIT.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="session")
def crds(crds_dir: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """The upstream CRDs keyed by (group, plural)."""
    return load_crds(crds_dir)


def _report(problems: list[str]) -> str:
    return "contract does not match upstream:\n  " + "\n  ".join(problems)


# --- GitHub -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", GITHUB_REST, ids=lambda p: p.stem)
def test_github_rest_contract_is_a_subset_of_octokit_openapi(path: Path, github_openapi: dict[str, Any]) -> None:
    contract = load_contract(path)
    assert contract["provider"]["source"]["version"] == github_openapi["info"]["version"]
    problems = check_http_contract(contract, path.name, github_openapi, by_operation_id=True)
    assert not problems, _report(problems)


def test_github_webhook_contract_fits_upstream_webhooks(github_openapi: dict[str, Any]) -> None:
    path = CONTRACTS / "github" / "webhooks.yaml"
    problems = check_webhook_contract(load_contract(path), path.name, github_openapi)
    assert not problems, _report(problems)


def test_upstream_check_names_a_property_github_does_not_have(github_openapi: dict[str, Any]) -> None:
    contract = load_contract(CONTRACTS / "github" / "git.yaml")
    broken = copy.deepcopy(contract)
    broken["components"]["ref"]["properties"]["object"]["properties"]["colour"] = {"type": "string"}
    problems = check_http_contract(broken, "git.yaml", github_openapi, by_operation_id=True)
    assert any("object/colour" in p and "not upstream" in p for p in problems), problems


def test_upstream_check_names_a_path_github_does_not_have(github_openapi: dict[str, Any]) -> None:
    broken = copy.deepcopy(load_contract(CONTRACTS / "github" / "pulls.yaml"))
    broken["operations"][0]["http"]["path"] = "/repos/{owner}/{repo}/pull-requests"
    problems = check_http_contract(broken, "pulls.yaml", github_openapi, by_operation_id=True)
    assert any("github.pulls.create" in p and "/pull-requests" in p for p in problems), problems


def test_upstream_check_names_an_incompatible_type(github_openapi: dict[str, Any]) -> None:
    broken = copy.deepcopy(load_contract(CONTRACTS / "github" / "pulls.yaml"))
    broken["components"]["pull"]["properties"]["number"] = {"type": "string"}
    problems = check_http_contract(broken, "pulls.yaml", github_openapi, by_operation_id=True)
    assert any("/number: type ['string']" in p for p in problems), problems


# --- NetBox -------------------------------------------------------------------------------------


def check_netbox_contracts_against_openapi(openapi: dict[str, Any]) -> list[str]:
    """Mismatches between every NetBox contract and a NetBox OpenAPI document (by method + path)."""
    problems: list[str] = []
    for path in NETBOX:
        problems += check_http_contract(load_contract(path), path.name, openapi, by_operation_id=False)
    return problems


def test_netbox_check_reports_operations_missing_upstream() -> None:
    status_body = {"content": {"application/json": {"schema": {"type": "object"}}}}
    status_only = {"paths": {"/api/status/": {"get": {"responses": {"200": status_body}}}}}
    problems = check_netbox_contracts_against_openapi(status_only)
    assert any("netbox.dcim.devices.update" in p and "PATCH /api/dcim/devices/{id}/" in p for p in problems)
    assert not any("netbox.status.get" in p for p in problems)


@pytest.mark.live
def test_netbox_contracts_are_a_subset_of_the_live_openapi(netbox_http: httpx.Client) -> None:
    response = netbox_http.get("/api/schema/", params={"format": "json"}, timeout=300.0)
    assert response.status_code == 200, f"GET /api/schema/ answered {response.status_code}"
    openapi = response.json()
    version = openapi.get("info", {}).get("version", "")
    assert version.startswith("4.7."), f"live NetBox is {version}, the contracts pin >=4.7.0,<4.8.0"
    problems = check_netbox_contracts_against_openapi(openapi)
    assert not problems, _report(problems)


# --- Kubernetes ---------------------------------------------------------------------------------


def _resources() -> list[dict[str, Any]]:
    return [resource for path in KUBERNETES for resource in load_contract(path).get("resources", ())]


RESOURCES = _resources()
BY_TYPE = {(f"{r['group']}/{r['version']}", r["kind"]): r for r in RESOURCES}


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r["kind"])
def test_kubernetes_resource_is_served_and_compatible_with_its_crd(
    resource: dict[str, Any], crds: dict[tuple[str, str], dict[str, Any]]
) -> None:
    problems = check_resource(resource, crds)
    assert not problems, _report(problems)


def test_crd_check_rejects_a_field_the_crd_would_prune(crds: dict[tuple[str, str], dict[str, Any]]) -> None:
    server = copy.deepcopy(BY_TYPE[("wiring.githedgehog.com/v1beta1", "Server")])
    server["schema"]["properties"]["spec"]["properties"]["rack"] = {"type": "string"}
    assert any("spec.rack" in p and "prune" in p for p in check_resource(server, crds))


def test_crd_check_rejects_an_enum_value_the_crd_does_not_allow(crds: dict[tuple[str, str], dict[str, Any]]) -> None:
    switch = copy.deepcopy(BY_TYPE[("wiring.githedgehog.com/v1beta1", "Switch")])
    switch["schema"]["properties"]["spec"]["properties"]["role"]["enum"].append("super-spine")
    assert any("spec.role" in p and "super-spine" in p for p in check_resource(switch, crds))


def _manifests(kind: str) -> list[Any]:
    """A pytest param (file name, header comments, object) per object of the corpus ``kind``."""
    found = []
    for path in sorted((MANIFESTS / kind).glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        header = "\n".join(line for line in text.splitlines() if line.startswith("#"))
        for index, obj in enumerate(yaml.safe_load_all(text)):
            name = f"{path.name}#{index}"
            found.append(pytest.param(name, header, obj, id=name))
    return found


def _contract_errors(obj: dict[str, Any]) -> list[str]:
    resource = BY_TYPE.get((obj.get("apiVersion"), obj.get("kind")))
    assert resource is not None, f"no contract resource for {obj.get('apiVersion')} {obj.get('kind')}"
    validator = Draft202012Validator(resource["schema"])
    return ["/".join(map(str, e.absolute_path)) + ": " + e.message for e in validator.iter_errors(obj)]


def _crd_errors(obj: dict[str, Any], crds: dict[tuple[str, str], dict[str, Any]]) -> list[str]:
    group, version = obj["apiVersion"].split("/")
    resource = BY_TYPE[(obj["apiVersion"], obj["kind"])]
    schema = served_schema(crds[(group, resource["plural"])], version)
    assert schema is not None
    errors = [e.message for e in Draft202012Validator(schema).iter_errors(obj)]
    return errors + [f"{path}: unknown field" for path in pruned_fields(obj, schema)]


@pytest.mark.parametrize(("name", "header", "obj"), _manifests("valid"))
def test_valid_manifest_passes_our_contract_and_the_crd(
    name: str, header: str, obj: dict[str, Any], crds: dict[tuple[str, str], dict[str, Any]]
) -> None:
    assert _contract_errors(obj) == [], name
    assert _crd_errors(obj, crds) == [], name


def _expectation(header: str, key: str) -> str:
    for line in header.splitlines():
        if line.startswith(f"# {key}:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"invalid manifest lacks a '# {key}:' header line")


@pytest.mark.parametrize(("name", "header", "obj"), _manifests("invalid"))
def test_invalid_manifest_is_rejected_by_our_contract_for_its_reason(
    name: str, header: str, obj: dict[str, Any], crds: dict[tuple[str, str], dict[str, Any]]
) -> None:
    errors = _contract_errors(obj)
    expected_at = _expectation(header, "expect-error-at")
    assert any(e.split(": ", 1)[0] == expected_at for e in errors), (
        f"{name}: expected an error at {expected_at}: {errors}"
    )
    # Most of these pass the CRD: that gap is why our contract is stricter than the CRD.
    crd_verdict = "accept" if not _crd_errors(obj, crds) else "reject"
    assert crd_verdict == _expectation(header, "crd-schema-verdict"), name
