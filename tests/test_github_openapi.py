"""Every response the GitHub twin produces conforms to GitHub's own OpenAPI description.

The description is @octokit/openapi's api.github.com.json (OpenAPI 3.0.3). Each test drives routes of the
twin through success and error paths; every response goes through ``conform``, which finds the operation
by the twin's routing table, looks up the documented response for that status and validates the body.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from harness.targets.base import wait_for
from harness.targets.github import GitHubTwin, routes

SPEC = Path(__file__).resolve().parents[1] / "node_modules/@octokit/openapi/generated/api.github.com.json"
BASE = "urn:github-openapi"

# Statuses GitHub really answers but does not list for these operations: 404 for a repository that does not
# exist (every /repos/... route), 401 for a missing/bad token, 403 for rate limits, 422 validation on
# operations whose description lists only the success. They are checked against GitHub's generic error
# schemas instead; any other undocumented (operation, status) fails the test.
GENERIC = {401: "basic-error", 403: "basic-error", 404: "basic-error", 422: "validation-error", 429: "basic-error"}
UNDOCUMENTED_OK = {
    ("github.repos.create_in_org", 404),
    ("github.git.create_ref", 404),
    ("github.pulls.create", 404),
    ("github.statuses.create", 404),
    ("github.statuses.list", 404),
    ("github.statuses.create", 422),
    ("github.repos.get", 401),
    ("github.rate_limit.get", 401),
    ("github.repos.get", 403),
    ("github.contents.put", 403),
    ("github.repos.get", 429),
}


def _openapi_to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 schema dialect -> JSON Schema 2020-12.

    ``nullable: true`` becomes a null alternative. ``oneOf`` becomes ``anyOf``: GitHub's description has
    overlapping oneOf branches (e.g. basic-error vs repository-rule-violation-error, neither with required
    fields) that no real GitHub response could satisfy exactly once.
    """
    if isinstance(node, list):
        return [_openapi_to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _openapi_to_json_schema(value) for key, value in node.items()}
    if "oneOf" in out:
        out["anyOf"] = out.pop("oneOf")
        out.pop("discriminator", None)
    if out.pop("nullable", False) is True:
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


class OpenApi:
    """GitHub's description, loaded once, with one compiled validator per (path, method, status)."""

    def __init__(self, path: Path) -> None:
        self.doc = _openapi_to_json_schema(json.loads(path.read_text()))
        resource = Resource.from_contents(self.doc, default_specification=DRAFT202012)
        self.registry: Registry[Any] = Registry().with_resource(BASE, resource)
        self._validators: dict[str, Draft202012Validator] = {}

    def validator(self, pointer: str) -> Draft202012Validator:
        """A compiled validator for the schema at a JSON pointer into the description."""
        if pointer not in self._validators:
            schema = {"$ref": f"{BASE}#{pointer}"}
            self._validators[pointer] = Draft202012Validator(schema, registry=self.registry)
        return self._validators[pointer]

    def response(self, openapi_path: str, method: str, status: int) -> tuple[dict[str, Any] | None, str]:
        """The documented response object and its JSON pointer, resolving a components/responses $ref."""
        responses = self.doc["paths"][openapi_path][method.lower()]["responses"]
        found = responses.get(str(status))
        pointer = "/paths/{}/{}/responses/{}".format(
            openapi_path.replace("~", "~0").replace("/", "~1"), method.lower(), status
        )
        if found is not None and "$ref" in found:
            name = found["$ref"].rsplit("/", 1)[1]
            return self.doc["components"]["responses"][name], f"/components/responses/{name}"
        return found, pointer


@pytest.fixture(scope="session")
def openapi() -> OpenApi:
    if not SPEC.is_file():
        pytest.fail(f"GitHub's OpenAPI description is expected at {SPEC}; run `npm ci` in the project root")
    return OpenApi(SPEC)


@pytest.fixture(scope="module")
def twin() -> Iterator[GitHubTwin]:
    target = GitHubTwin(owner="hedgehog")
    target.start()
    yield target
    target.stop()


class Checked:
    """An httpx client whose every response to a twin route is validated against the description."""

    def __init__(self, twin: GitHubTwin, openapi: OpenApi) -> None:
        endpoint = twin.start()
        self.client = httpx.Client(
            base_url=endpoint.url, headers={"Authorization": f"Bearer {endpoint.secret}"}, timeout=10
        )
        self.openapi = openapi
        self.seen: set[tuple[str, int]] = set()

    def __call__(self, method: str, path: str, expect: int, **kwargs: Any) -> httpx.Response:
        response = self.client.request(method, path, **kwargs)
        assert response.status_code == expect, f"{method} {path}: {response.status_code} {response.text}"
        self.conform(response)
        return response

    def conform(self, response: httpx.Response) -> None:
        """Fail unless the response is what GitHub's description documents for its operation and status."""
        request = response.request
        found = routes.match(request.method, request.url.path)
        assert found is not None, f"{request.method} {request.url.path} is not a twin route"
        route = found[0]
        status = response.status_code
        self.seen.add((route.operation, status))
        if status == 304:
            # GitHub answers any conditional GET with 304; its description lists it for some operations only.
            assert response.content == b"" and "etag" in response.headers, f"{route.operation} 304 must be empty"
            return
        documented, pointer = self.openapi.response(route.openapi_path, request.method, status)
        if documented is None:
            assert (route.operation, status) in UNDOCUMENTED_OK, (
                f"{route.operation} answered {status}, which GitHub's description does not document"
            )
            pointer = f"/components/schemas/{GENERIC[status]}"
        elif "content" not in documented:
            # Documented without a body: successes must be empty; errors still carry GitHub's error body.
            if status < 400:
                assert response.content == b"", f"{route.operation} {status} must have an empty body"
                return
            pointer = f"/components/schemas/{GENERIC[status]}"
        else:
            content = documented["content"]
            asked = request.headers.get("accept", "").split(";")[0].strip()
            if asked.endswith(".raw") and not response.headers["content-type"].startswith("application/json"):
                # The description documents no schema for a raw file body: it is the file's bytes.
                assert response.headers["content-type"].startswith(asked), f"{route.operation} raw content-type"
                return
            media = asked if asked in content else "application/json" if "application/json" in content else next(
                iter(content))  # fmt: skip
            pointer += "/content/" + media.replace("/", "~1") + "/schema"
        assert response.headers["content-type"].startswith("application/json")
        errors = sorted(self.openapi.validator(pointer).iter_errors(response.json()), key=str)
        assert not errors, f"{route.operation} {status} does not match {pointer}: " + "; ".join(
            f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in errors[:5]
        )


@pytest.fixture
def gh(twin: GitHubTwin, openapi: OpenApi) -> Iterator[Checked]:
    twin.reset()
    checked = Checked(twin, openapi)
    yield checked
    checked.client.close()


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_repository_routes_conform(gh: Checked) -> None:
    gh("POST", "/user/repos", 201, json={"name": "r1", "auto_init": True, "description": "d"})
    gh("POST", "/user/repos", 422, json={"name": "r1"})
    gh("POST", "/user/repos", 422, json={"private": True})
    gh("POST", "/orgs/fabric/repos", 201, json={"name": "gitops", "private": True})
    gh("POST", "/orgs/hedgehog/repos", 404, json={"name": "x"})
    gh("GET", "/repos/hedgehog/r1", 200)
    gh("GET", "/repos/hedgehog/nope", 404)
    gh("GET", "/user/repos", 200)
    gh("GET", "/orgs/fabric/repos", 200)
    gh("GET", "/repos/hedgehog/r1/branches/main", 200)
    gh("GET", "/repos/hedgehog/r1/branches/nope", 404)
    gh("GET", "/user", 200)
    gh("GET", "/rate_limit", 200)
    gh("DELETE", "/repos/fabric/gitops", 204)
    gh("DELETE", "/repos/fabric/gitops", 404)


def test_auth_errors_conform(gh: Checked) -> None:
    gh("GET", "/user", 401, headers={"Authorization": ""})
    gh("GET", "/user", 401, headers={"Authorization": "token wrong"})
    gh("GET", "/repos/hedgehog/r1", 401, headers={"Authorization": "Bearer wrong"})
    gh("GET", "/rate_limit", 401, headers={"Authorization": "Bearer wrong"})


def test_contents_routes_conform(gh: Checked) -> None:
    gh("POST", "/user/repos", 201, json={"name": "empty"})
    gh("GET", "/repos/hedgehog/empty/contents/a.yaml", 404)
    gh("POST", "/user/repos", 201, json={"name": "c", "auto_init": True})
    path = "/repos/hedgehog/c/contents/fabric/switch.yaml"
    made = gh("PUT", path, 201, json={"message": "add", "content": b64("a: 1\n")}).json()
    sha = made["content"]["sha"]
    gh("PUT", path, 422, json={"message": "again", "content": b64("a: 2\n")})
    gh("PUT", path, 409, json={"message": "stale", "content": b64("a: 2\n"), "sha": "1" * 40})
    gh("PUT", path, 422, json={"message": "bad", "content": "%%%", "sha": sha})
    updated = gh("PUT", path, 200, json={"message": "upd", "content": b64("a: 2\n"), "sha": sha}).json()
    gh("PUT", path, 404, json={"message": "x", "content": b64("x"), "branch": "nope"})
    gh("GET", path, 200)
    gh("GET", "/repos/hedgehog/c/contents/fabric", 200)
    gh("GET", "/repos/hedgehog/c/contents/", 200)
    gh("GET", "/repos/hedgehog/c/contents/missing.yaml", 404)
    gh("DELETE", path, 422, json={"message": "no sha"})
    gh("DELETE", path, 409, json={"message": "stale", "sha": sha})
    gh("DELETE", path, 200, json={"message": "rm", "sha": updated["content"]["sha"]})
    gh("DELETE", path, 404, json={"message": "gone", "sha": sha})


def test_git_data_routes_conform(gh: Checked) -> None:
    gh("POST", "/user/repos", 201, json={"name": "e"})
    gh("GET", "/repos/hedgehog/e/git/ref/heads/main", 409)
    gh("POST", "/user/repos", 201, json={"name": "g", "auto_init": True})
    r = "/repos/hedgehog/g/git"
    blob = gh("POST", f"{r}/blobs", 201, json={"content": "hello\n"}).json()["sha"]
    gh("POST", f"{r}/blobs", 201, json={"content": b64("bin"), "encoding": "base64"})
    gh("POST", f"{r}/blobs", 422, json={"content": "x", "encoding": "rot13"})
    gh("GET", f"{r}/blobs/{blob}", 200)
    gh("GET", f"{r}/blobs/{'0' * 40}", 404)
    main = gh("GET", f"{r}/ref/heads/main", 200).json()["object"]["sha"]
    base_tree = gh("GET", f"{r}/commits/{main}", 200).json()["tree"]["sha"]
    gh("GET", f"{r}/commits/{'0' * 40}", 404)
    entries = [{"path": "a/b.txt", "mode": "100644", "type": "blob", "sha": blob},
               {"path": "README.md", "mode": "100644", "type": "blob", "sha": None}]  # fmt: skip
    tree = gh("POST", f"{r}/trees", 201, json={"tree": entries, "base_tree": base_tree}).json()["sha"]
    gh("POST", f"{r}/trees", 422, json={"tree": [{"path": "x", "mode": "777", "content": "x"}]})
    gh("GET", f"{r}/trees/{tree}?recursive=1", 200)
    gh("GET", f"{r}/trees/{'0' * 40}", 404)
    commit = gh("POST", f"{r}/commits", 201, json={"message": "m", "tree": tree, "parents": [main]}).json()
    gh("POST", f"{r}/commits", 422, json={"message": "m", "tree": "0" * 40})
    gh("POST", f"{r}/refs", 201, json={"ref": "refs/heads/topic", "sha": commit["sha"]})
    gh("POST", f"{r}/refs", 422, json={"ref": "refs/heads/topic", "sha": commit["sha"]})
    gh("POST", f"{r}/refs", 422, json={"ref": "topic", "sha": commit["sha"]})
    gh("GET", f"{r}/ref/heads/nope", 404)
    gh("PATCH", f"{r}/refs/heads/main", 200, json={"sha": commit["sha"]})
    gh("PATCH", f"{r}/refs/heads/main", 422, json={"sha": main})
    gh("PATCH", f"{r}/refs/heads/main", 200, json={"sha": main, "force": True})
    gh("PATCH", f"{r}/refs/heads/nope", 422, json={"sha": main})
    assert [x["ref"] for x in gh("GET", f"{r}/refs", 200).json()] == ["refs/heads/main", "refs/heads/topic"]
    assert [x["ref"] for x in gh("GET", f"{r}/matching-refs/heads/top", 200).json()] == ["refs/heads/topic"]
    gh("GET", "/repos/hedgehog/e/git/matching-refs/heads", 409)
    gh("DELETE", f"{r}/refs/heads/topic", 204)
    gh("DELETE", f"{r}/refs/heads/topic", 422)
    gh("POST", "/repos/hedgehog/missing/git/refs", 404, json={"ref": "refs/heads/x", "sha": main})


def _branch_with(gh: Checked, repo: str, branch: str, path: str, text: str) -> None:
    main = gh("GET", f"/repos/hedgehog/{repo}/git/ref/heads/main", 200).json()["object"]["sha"]
    gh("POST", f"/repos/hedgehog/{repo}/git/refs", 201, json={"ref": f"refs/heads/{branch}", "sha": main})
    gh("PUT", f"/repos/hedgehog/{repo}/contents/{path}", 201,
       json={"message": f"{branch}: {path}", "content": b64(text), "branch": branch})  # fmt: skip


def test_pull_request_routes_conform(gh: Checked) -> None:
    gh("POST", "/user/repos", 201, json={"name": "p", "auto_init": True})
    pulls = "/repos/hedgehog/p/pulls"
    gh("POST", pulls, 422, json={"title": "t", "head": "nope", "base": "main"})
    _branch_with(gh, "p", "feat", "x.yaml", "x: 1\n")
    main = gh("GET", "/repos/hedgehog/p/git/ref/heads/main", 200).json()["object"]["sha"]
    gh("POST", "/repos/hedgehog/p/git/refs", 201, json={"ref": "refs/heads/same", "sha": main})
    gh("POST", pulls, 422, json={"title": "t", "head": "same", "base": "main"})
    pr = gh("POST", pulls, 201, json={"title": "Add x", "head": "hedgehog:feat", "base": "main", "body": "b"}).json()
    gh("POST", pulls, 422, json={"title": "again", "head": "feat", "base": "main"})
    gh("GET", f"{pulls}/{pr['number']}", 200)
    gh("GET", f"{pulls}/99", 404)
    gh("GET", f"{pulls}?state=all", 200)
    gh("GET", f"{pulls}/{pr['number']}/merge", 404)
    gh("PUT", f"{pulls}/{pr['number']}/merge", 409, json={"sha": "0" * 40})
    gh("PUT", f"{pulls}/{pr['number']}/merge", 422, json={"merge_method": "octopus"})
    gh("PUT", f"{pulls}/{pr['number']}/merge", 200, json={"sha": pr["head"]["sha"]})
    gh("PUT", f"{pulls}/{pr['number']}/merge", 405, json={})
    gh("GET", f"{pulls}/{pr['number']}/merge", 204)
    gh("GET", f"{pulls}/{pr['number']}", 200)
    gh("POST", "/repos/hedgehog/nope/pulls", 404, json={"title": "t", "head": "a", "base": "b"})


def test_conflicting_pull_request_conforms(gh: Checked) -> None:
    gh("POST", "/user/repos", 201, json={"name": "q", "auto_init": True})
    _branch_with(gh, "q", "left", "same.yaml", "left\n")
    _branch_with(gh, "q", "right", "same.yaml", "right\n")
    first = gh("POST", "/repos/hedgehog/q/pulls", 201, json={"title": "l", "head": "left", "base": "main"})
    second = gh("POST", "/repos/hedgehog/q/pulls", 201, json={"title": "r", "head": "right", "base": "main"})
    gh("PUT", f"/repos/hedgehog/q/pulls/{first.json()['number']}/merge", 200, json={"merge_method": "squash"})
    number = second.json()["number"]
    assert gh("GET", f"/repos/hedgehog/q/pulls/{number}", 200).json()["mergeable"] is False
    gh("PUT", f"/repos/hedgehog/q/pulls/{number}/merge", 405, json={})


def test_pull_request_update_conforms(gh: Checked) -> None:
    gh("POST", "/user/repos", 201, json={"name": "u", "auto_init": True})
    _branch_with(gh, "u", "topic", "t.yaml", "t: 1\n")
    pulls = "/repos/hedgehog/u/pulls"
    number = gh("POST", pulls, 201, json={"title": "t", "head": "topic", "base": "main"}).json()["number"]
    gh("PATCH", f"{pulls}/{number}", 422, json={"state": "merged"})
    edited = gh("PATCH", f"{pulls}/{number}", 200, json={"title": "renamed"}).json()
    assert (edited["title"], edited["state"]) == ("renamed", "open")
    closed = gh("PATCH", f"{pulls}/{number}", 200, json={"state": "closed"}).json()
    assert (closed["state"], closed["merged"], closed["closed_at"] is not None) == ("closed", False, True)
    assert gh("GET", f"{pulls}?state=open", 200).json() == []
    assert gh("PATCH", f"{pulls}/{number}", 200, json={"state": "open"}).json()["state"] == "open"


def test_status_routes_conform(gh: Checked) -> None:
    gh("POST", "/user/repos", 201, json={"name": "s", "auto_init": True})
    sha = gh("GET", "/repos/hedgehog/s/git/ref/heads/main", 200).json()["object"]["sha"]
    gh("POST", f"/repos/hedgehog/s/statuses/{sha}", 201, json={"state": "success", "context": "hh/validate"})
    listed = gh("GET", "/repos/hedgehog/s/commits/main/statuses", 200).json()
    assert [status["context"] for status in listed] == ["hh/validate"]
    gh("GET", "/repos/hedgehog/nope/commits/main/statuses", 404)
    gh("GET", f"/repos/hedgehog/s/commits/{sha}/statuses", 200)
    gh("POST", f"/repos/hedgehog/s/statuses/{sha}", 422, json={"state": "great"})
    gh("POST", f"/repos/hedgehog/s/statuses/{'0' * 40}", 422, json={"state": "pending"})
    gh("POST", "/repos/hedgehog/nope/statuses/abc", 404, json={"state": "pending"})


def test_media_types_and_conditional_requests_conform(gh: Checked) -> None:
    gh("POST", "/user/repos", 201, json={"name": "m", "auto_init": True})
    gh("PUT", "/repos/hedgehog/m/contents/dir/a.yaml", 201, json={"message": "a", "content": b64("a: 1\n")})
    raw = gh("GET", "/repos/hedgehog/m/contents/dir/a.yaml", 200, headers={"Accept": "application/vnd.github.raw"})
    assert raw.content == b"a: 1\n"
    obj = {"Accept": "application/vnd.github.object"}
    assert gh("GET", "/repos/hedgehog/m/contents/dir", 200, headers=obj).json()["entries"]
    gh("GET", "/repos/hedgehog/m/contents/dir/a.yaml", 200, headers=obj)
    etag = gh("GET", "/repos/hedgehog/m", 200).headers["etag"]
    gh("GET", "/repos/hedgehog/m", 304, headers={"If-None-Match": etag})
    gh("GET", "/repos/hedgehog/m/pulls?per_page=1", 200)


def test_rate_limit_refusals_conform(gh: Checked) -> None:
    gh.client.post("/_twin/rate_limit", json={"writes_per_minute": 1, "retry_after": 7}).raise_for_status()
    gh("POST", "/user/repos", 201, json={"name": "limited", "auto_init": True})
    refused = gh("PUT", "/repos/hedgehog/limited/contents/a", 403, json={"message": "m", "content": b64("a")})
    assert refused.headers["retry-after"] == "7"
    gh.client.post("/_twin/rate_limit", json={"remaining": 0}).raise_for_status()
    exhausted = gh("GET", "/repos/hedgehog/limited", 403)
    assert exhausted.headers["x-ratelimit-remaining"] == "0"
    gh("GET", "/rate_limit", 200)
    gh.client.post("/_twin/rate_limit", json={"secondary_requests": 1, "secondary_status": 429}).raise_for_status()
    assert gh("GET", "/repos/hedgehog/limited", 429).headers["retry-after"] == "7"


def test_conform_rejects_a_body_that_breaks_the_description(gh: Checked) -> None:
    good = gh("POST", "/user/repos", 201, json={"name": "shape"})
    broken = good.json()
    del broken["owner"]
    forged = httpx.Response(201, json=broken, request=good.request)
    with pytest.raises(AssertionError, match=r"full-repository|owner"):
        gh.conform(forged)


WEBHOOKS = {("push", None): "push", ("ping", None): "ping", ("pull_request", "opened"): "pull-request-opened",
            ("pull_request", "closed"): "pull-request-closed",
            ("pull_request", "synchronize"): "pull-request-synchronize"}  # fmt: skip


def test_webhook_payloads_conform(gh: Checked, twin: GitHubTwin) -> None:
    """push and pull_request payloads match the description's x-webhooks request bodies."""
    received: list[tuple[str, dict[str, Any]]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.append((self.headers["X-GitHub-Event"], body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hook_url = f"http://127.0.0.1:{server.server_port}/"
    gh.client.put("/_twin/webhook", json={"url": hook_url, "secret": "s"}).raise_for_status()
    try:
        gh("POST", "/user/repos", 201, json={"name": "w", "auto_init": True})
        _branch_with(gh, "w", "f", "f.yaml", "f: 1\n")
        pr = gh("POST", "/repos/hedgehog/w/pulls", 201, json={"title": "f", "head": "f", "base": "main"}).json()
        gh("PUT", "/repos/hedgehog/w/contents/g.yaml", 201, json={"message": "g", "content": b64("g"), "branch": "f"})
        gh("PUT", f"/repos/hedgehog/w/pulls/{pr['number']}/merge", 200, json={})
        gh("DELETE", "/repos/hedgehog/w/git/refs/heads/f", 204)
        wait_for(lambda: {(e, p.get("action")) for e, p in received} >= set(WEBHOOKS), 10, "all webhook kinds")
    finally:
        gh.client.put("/_twin/webhook", json={"url": None}).raise_for_status()
        server.shutdown()
    for event, payload in received:
        name = WEBHOOKS[(event, payload.get("action"))]
        schema = gh.openapi.doc["x-webhooks"][name]["post"]["requestBody"]["content"]["application/json"]["schema"]
        pointer = "/components/schemas/" + schema["$ref"].rsplit("/", 1)[1]
        errors = list(gh.openapi.validator(pointer).iter_errors(payload))
        assert not errors, f"{name} payload: " + "; ".join(
            f"{'/'.join(map(str, e.absolute_path))}: {e.message[:160]}" for e in errors[:6]
        )
