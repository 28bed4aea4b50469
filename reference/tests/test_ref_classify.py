"""Error catalog loading, condition errors and classification against the repository's real catalogs."""

from __future__ import annotations

import email.utils
import json
from pathlib import Path

import httpx
import pytest
from hh_reference.classify import classify_exception, classify_response
from hh_reference.errors import IntegrationError, raise_condition
from hh_reference.specs import ConditionTrigger, ErrorCatalog, SpecError, load_catalog

NOW = 1_700_000_000.0


@pytest.fixture(scope="module")
def catalog(project_root: Path) -> ErrorCatalog:
    return load_catalog(project_root)


def test_every_catalog_message_contains_its_code(catalog: ErrorCatalog) -> None:
    assert catalog.entries, "the repository's catalogs are empty"
    for entry in catalog.entries:
        assert entry.code in entry.message, entry.code
        assert (entry.retry is not None) == entry.retryable, entry.code


def test_raise_condition_builds_the_catalog_error(catalog: ErrorCatalog) -> None:
    with pytest.raises(IntegrationError) as caught:
        raise_condition("transition_not_in_machine", catalog=catalog, machine="fabric_sync", state="error")
    error = caught.value
    entry = catalog.by_condition("transition_not_in_machine")
    assert entry is not None and isinstance(entry.trigger, ConditionTrigger)
    assert error.code == entry.code and error.code.startswith("HH-STATE-")
    assert error.code in error.message and "machine=fabric_sync" in error.message
    assert error.retryable is False and error.details == {"machine": "fabric_sync", "state": "error"}


def test_unknown_condition_is_a_programming_error(catalog: ErrorCatalog) -> None:
    with pytest.raises(LookupError, match="no_such_condition"):
        raise_condition("no_such_condition", catalog=catalog)


def test_status_only_entry_matches_any_operation(catalog: ErrorCatalog) -> None:
    error = classify_response(
        "netbox", "netbox.dcim.devices.list", 401, {}, '{"detail": "Invalid token"}', catalog=catalog
    )
    assert error is not None and error.code == "HH-AUTH-001" and not error.retryable


def test_operation_specific_entry_beats_boundary_wide(catalog: ErrorCatalog) -> None:
    specific = classify_response("netbox", "netbox.dcim.devices.get", 404, {}, "{}", catalog=catalog)
    assert specific is not None and specific.code == "HH-NB-003"
    # A 404 elsewhere is not the vanished-object case.
    assert classify_response("netbox", "netbox.dcim.cables.list", 404, {}, "{}", catalog=catalog) is None


def test_header_entry_beats_body_and_status_only(catalog: ErrorCatalog) -> None:
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(NOW) + 42)}
    error = classify_response(
        "github",
        "github.git.create_blob",
        403,
        headers,
        '{"message": "Resource not accessible"}',
        catalog=catalog,
        wall_clock=lambda: NOW,
    )
    assert error is not None and error.code == "HH-GIT-001"
    assert error.retry_after_s == 42.0 and error.details["retry_after_header"] == "x-ratelimit-reset"


def test_body_text_selects_the_permission_error(catalog: ErrorCatalog) -> None:
    body = json.dumps({"message": "Resource not accessible by personal access token"})
    error = classify_response(
        "github", "github.git.create_blob", 403, {"x-ratelimit-remaining": "4999"}, body, catalog=catalog
    )
    assert error is not None and error.code == "HH-AUTH-011"


def test_retry_after_seconds_and_http_date(catalog: ErrorCatalog) -> None:
    body = "You have exceeded a secondary rate limit."
    seconds = classify_response("github", "github.git.create_tree", 429, {"Retry-After": "7"}, body, catalog=catalog)
    assert seconds is not None and seconds.code == "HH-GIT-002" and seconds.retry_after_s == 7.0
    date = email.utils.formatdate(NOW + 90, usegmt=True)
    dated = classify_response(
        "github", "github.git.create_tree", 429, {"retry-after": date}, body, catalog=catalog, wall_clock=lambda: NOW
    )
    assert dated is not None and dated.retry_after_s == 90.0
    past = classify_response("github", "github.git.create_tree", 429, {"retry-after": "garbage"}, body, catalog=catalog)
    assert past is not None and past.retry_after_s is None


def test_success_is_not_an_error(catalog: ErrorCatalog) -> None:
    assert classify_response("github", "github.repos.get", 200, {}, "{}", catalog=catalog) is None


def test_exceptions_match_along_the_mro(catalog: ErrorCatalog) -> None:
    request = httpx.Request("GET", "http://127.0.0.1:1/api/dcim/devices/")
    refused = classify_exception(
        "netbox", "netbox.dcim.devices.list", httpx.ConnectError("refused", request=request), catalog=catalog
    )
    assert refused is not None and refused.code == "HH-NET-001" and refused.retryable
    timeout = classify_exception(
        "github", "github.repos.get", httpx.ReadTimeout("slow", request=request), catalog=catalog
    )
    assert timeout is not None and timeout.code == "HH-NET-011"
    html = classify_exception(
        "netbox", "netbox.dcim.sites.get", json.JSONDecodeError("x", "<html>", 0), catalog=catalog
    )
    assert html is not None and html.code == "HH-NB-005"
    assert classify_exception("netbox", "netbox.dcim.sites.get", ValueError("other"), catalog=catalog) is None


def test_an_integration_error_classifies_as_itself(catalog: ErrorCatalog) -> None:
    error = IntegrationError("HH-NB-001", "x")
    assert classify_exception("netbox", "netbox.status.get", error, catalog=catalog) is error
    assert error.message.startswith("HH-NB-001")


def test_broken_catalog_names_file_and_field(tmp_path: Path) -> None:
    (tmp_path / "specs" / "errors").mkdir(parents=True)
    path = tmp_path / "specs" / "errors" / "bad.yaml"
    path.write_text(
        "kind: ErrorCatalog\nid: bad\nboundary: internal\nerrors:\n"
        "  - {code: HH-SYNC-900, title: t, category: SYNC, boundary: internal, severity: info, retryable: true,\n"
        "     trigger: {condition: {name: x, description: d}}, outcome: {message: HH-SYNC-900 m, preserves: []}}\n"
    )
    with pytest.raises(
        SpecError, match=r"bad\.yaml: errors\[0\] \(HH-SYNC-900\): retryable is True but outcome.retry is absent"
    ):
        load_catalog(tmp_path)
    with pytest.raises(SpecError, match="no error catalogs"):
        load_catalog(tmp_path / "nowhere")
