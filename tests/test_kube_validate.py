"""``harness kube validate`` gives the verdicts the API server gives over HTTP, on the same corpus."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from harness.cli import main
from harness.kube.manifests import load_documents
from harness.targets.kube.local import LocalKube, default_crds_dir

CORPUS = Path(__file__).parent / "data" / "kube"
VALID = sorted((CORPUS / "valid").glob("*.yaml"))
INVALID = sorted((CORPUS / "invalid").glob("*.yaml"))
CRDS = str(default_crds_dir())


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["kube", "validate", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def custom() -> Iterator[client.CustomObjectsApi]:
    kube = LocalKube(ready_delay=5)
    endpoint = kube.start()
    api = config.new_client_from_config(config_file=endpoint.extra["kubeconfig"])
    yield client.CustomObjectsApi(api)
    api.close()
    kube.stop()


def http_verdict(custom: client.CustomObjectsApi, body: dict[str, Any]) -> tuple[bool, int]:
    """Create ``body`` the way kubectl apply does: discover the plural, then POST with Strict."""
    group, version = body["apiVersion"].split("/")
    try:
        resources = custom.get_api_resources(group, version).resources
    except ApiException as exc:
        return False, exc.status
    plural = next((r.name for r in resources if r.kind == body["kind"] and "/" not in r.name), None)
    if plural is None:
        return False, 404
    try:
        custom.create_namespaced_custom_object(
            group, version, body["metadata"]["namespace"], plural, body, field_validation="Strict"
        )
    except ApiException as exc:
        return False, exc.status
    custom.delete_namespaced_custom_object(
        group, version, body["metadata"]["namespace"], plural, body["metadata"]["name"]
    )
    return True, 201


def corpus_documents() -> list[tuple[str, int, Any]]:
    return [(str(path), doc.line, doc.body) for path in VALID + INVALID for doc in load_documents(path)]


def test_corpus_has_both_kinds_of_manifest() -> None:
    assert len(VALID) >= 5 and len(INVALID) >= 5


def test_valid_corpus_passes_with_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, *map(str, VALID), "--crds", CRDS, "--format", "json")
    rows = json.loads(out)
    assert code == 0
    assert all(row["ok"] and row["errors"] == [] for row in rows)
    assert len(rows) == sum(len(load_documents(p)) for p in VALID)
    assert set(rows[0]) == {"file", "apiVersion", "kind", "name", "ok", "errors"}


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_each_invalid_manifest_fails_with_exit_1(capsys: pytest.CaptureFixture[str], path: Path) -> None:
    code, out, _ = run_cli(capsys, str(path), "--crds", CRDS, "--format", "json")
    [row] = json.loads(out)
    assert code == 1
    assert row["ok"] is False and row["errors"]


@pytest.mark.parametrize(
    ("file", "line", "body"), corpus_documents(), ids=lambda v: Path(str(v)).name if isinstance(v, str) else ""
)
def test_offline_verdict_equals_the_stand_in_verdict(
    capsys: pytest.CaptureFixture[str], custom: client.CustomObjectsApi, file: str, line: int, body: Any
) -> None:
    _, out, _ = run_cli(capsys, file, "--crds", CRDS, "--format", "json")
    offline = next(row for row in json.loads(out) if row["file"] == f"{file}:{line}")
    online, status = http_verdict(custom, body)
    assert offline["ok"] == online, f"offline {offline['errors']} vs HTTP {status}"
    assert status in (201, 400, 404, 422)


def test_text_format_prints_one_line_per_object(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, str(CORPUS / "valid" / "wiring-servers.yaml"), str(INVALID[0]), "--crds", CRDS)
    lines = out.splitlines()
    assert code == 1 and len(lines) == 4
    assert lines[0].endswith(": ok") and ": invalid: " in lines[3]


def test_missing_manifest_is_a_usage_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run_cli(capsys, str(tmp_path / "nope.yaml"), "--crds", CRDS)
    assert code == 2 and out == ""
    assert f"{tmp_path / 'nope.yaml'}: no such file" in err


def test_unreadable_yaml_names_file_and_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: v1\nkind: [unclosed\n")
    code, _, err = run_cli(capsys, str(bad), "--crds", CRDS)
    assert code == 2 and f"{bad}:3" in err and "Traceback" not in err


def test_duplicate_keys_are_rejected(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    dup = tmp_path / "dup.yaml"
    dup.write_text("apiVersion: v1\nkind: Switch\nkind: Server\n")
    code, _, err = run_cli(capsys, str(dup), "--crds", CRDS)
    assert code == 2 and f"{dup}:3" in err and "duplicate key 'kind'" in err


def test_bad_crd_directory_is_a_usage_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "crd.yaml").write_text(
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {}\n"
    )
    code, _, err = run_cli(capsys, str(VALID[0]), "--crds", str(tmp_path))
    assert code == 2 and "crd.yaml:1" in err and "metadata.name is required" in err
    code, _, err = run_cli(capsys, str(VALID[0]), "--crds", str(tmp_path / "missing"))
    assert code == 2 and "no such file or directory" in err
