"""The GitHub twin driven by a real GitHub client (PyGithub), the real ``git`` CLI and a webhook receiver."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from github import Auth, Github, GithubException

from harness.targets.base import Endpoint, wait_for
from harness.targets.github import GitHubLive, GitHubTwin

SECRET = "webhook-secret-for-tests"


class Receiver:
    """A loopback HTTP server standing in for the integration's /webhooks/github endpoint."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.received.append({"headers": dict(self.headers), "body": body})
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/webhooks/github"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self, name: str) -> list[dict[str, Any]]:
        return [r for r in self.received if r["headers"].get("X-GitHub-Event") == name]


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    rec = Receiver()
    yield rec
    rec.server.shutdown()


@pytest.fixture(scope="module")
def twin(receiver: Receiver) -> Iterator[GitHubTwin]:
    os.environ["HARNESS_WEBHOOK_SECRET"] = SECRET
    target = GitHubTwin(owner="hedgehog", webhook_url=receiver.url)
    target.start()
    del os.environ["HARNESS_WEBHOOK_SECRET"]
    yield target
    target.stop()


@pytest.fixture
def endpoint(twin: GitHubTwin, receiver: Receiver) -> Endpoint:
    twin.reset()
    receiver.received.clear()
    return twin.start()


@pytest.fixture
def gh(endpoint: Endpoint) -> Github:
    assert endpoint.secret
    # PyGithub throttles itself for github.com's secondary limits; the twin has its own, off by default.
    return Github(base_url=endpoint.url, auth=Auth.Token(endpoint.secret), retry=None,
                  seconds_between_requests=None, seconds_between_writes=None)  # fmt: skip


@pytest.fixture
def api(endpoint: Endpoint) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=endpoint.url, headers={"Authorization": f"token {endpoint.secret}"}) as client:
        yield client


def git(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}  # fmt: skip
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=30, check=False)


def clone_url(endpoint: Endpoint, repo: str, token: str | None = None) -> str:
    creds = f"x-access-token:{token or endpoint.secret}@"
    return endpoint.url.replace("http://", f"http://{creds}") + f"/hedgehog/{repo}.git"


def test_pygithub_round_trips_repository_and_contents(gh: Github) -> None:
    repo = gh.get_user().create_repo("gitops", auto_init=True)
    created = repo.create_file("fabric/switch-01.yaml", "add switch", "kind: Switch\n")
    assert gh.get_repo("hedgehog/gitops").get_contents("fabric/switch-01.yaml").decoded_content == b"kind: Switch\n"
    with pytest.raises(GithubException) as stale:
        repo.update_file("fabric/switch-01.yaml", "stale", "x", sha="0" * 40)
    assert stale.value.status == 409
    assert "does not match" in stale.value.data["message"]
    updated = repo.update_file("fabric/switch-01.yaml", "bump", "kind: Switch\nspec: {}\n", created["content"].sha)
    assert repo.get_branch("main").commit.sha == updated["commit"].sha


def test_a_git_push_is_visible_through_the_api_and_fires_a_push_event(
    endpoint: Endpoint, api: httpx.Client, receiver: Receiver, tmp_path: Path
) -> None:
    api.post("/user/repos", json={"name": "pushed", "auto_init": True}).raise_for_status()
    assert git("clone", clone_url(endpoint, "pushed"), "w", cwd=tmp_path).returncode == 0
    work = tmp_path / "w"
    (work / "vpc.yaml").write_text("kind: VPC\n")
    git("add", "vpc.yaml", cwd=work)
    git("commit", "-qm", "add vpc", cwd=work)
    pushed = git("push", "origin", "main", cwd=work)
    assert pushed.returncode == 0, pushed.stderr
    head = git("rev-parse", "HEAD", cwd=work).stdout.strip()
    assert api.get("/repos/hedgehog/pushed/git/ref/heads/main").json()["object"]["sha"] == head
    content = api.get("/repos/hedgehog/pushed/contents/vpc.yaml").json()
    assert base64.b64decode(content["content"]) == b"kind: VPC\n"
    wait_for(lambda: any(json.loads(r["body"])["after"] == head for r in receiver.events("push")), 10,
             "the push event for the git push")  # fmt: skip


def test_a_fault_on_receive_pack_fails_the_git_push(endpoint: Endpoint, api: httpx.Client, tmp_path: Path) -> None:
    api.post("/user/repos", json={"name": "gitfault", "auto_init": True}).raise_for_status()
    assert git("clone", clone_url(endpoint, "gitfault"), "w", cwd=tmp_path).returncode == 0
    (tmp_path / "w/a").write_text("a")
    git("add", "a", cwd=tmp_path / "w")
    git("commit", "-qm", "a", cwd=tmp_path / "w")
    fault = {"operation": "github.smart_http.receive_pack", "status": 503, "headers": {"Content-Type": "text/plain"}}
    api.post("/_twin/faults", json=fault).raise_for_status()
    failed = git("push", "origin", "main", cwd=tmp_path / "w")
    assert failed.returncode != 0 and "503" in failed.stderr
    assert git("push", "origin", "main", cwd=tmp_path / "w").returncode == 0


def test_an_api_commit_appears_in_a_fresh_clone(endpoint: Endpoint, api: httpx.Client, tmp_path: Path) -> None:
    api.post("/user/repos", json={"name": "apiwrite", "auto_init": True}).raise_for_status()
    base = "/repos/hedgehog/apiwrite/git"
    main = api.get(f"{base}/ref/heads/main").json()["object"]["sha"]
    tree = api.post(f"{base}/trees", json={"base_tree": api.get(f"{base}/commits/{main}").json()["tree"]["sha"],
                    "tree": [{"path": "wiring/conn.yaml", "mode": "100644", "type": "blob",
                              "content": "kind: Connection\n"}]}).json()  # fmt: skip
    commit = api.post(f"{base}/commits", json={"message": "api", "tree": tree["sha"], "parents": [main]}).json()
    assert api.patch(f"{base}/refs/heads/main", json={"sha": commit["sha"]}).status_code == 200
    assert git("clone", clone_url(endpoint, "apiwrite"), "c", cwd=tmp_path).returncode == 0
    assert (tmp_path / "c/wiring/conn.yaml").read_text() == "kind: Connection\n"
    assert git("rev-parse", "HEAD", cwd=tmp_path / "c").stdout.strip() == commit["sha"]


def test_git_without_the_token_is_refused(endpoint: Endpoint, api: httpx.Client, tmp_path: Path) -> None:
    api.post("/user/repos", json={"name": "private", "auto_init": True}).raise_for_status()
    refused = git("clone", clone_url(endpoint, "private", token="wrong"), "x", cwd=tmp_path)
    assert refused.returncode != 0
    assert "Authentication failed" in refused.stderr or "401" in refused.stderr


def test_a_non_fast_forward_ref_update_is_refused(gh: Github) -> None:
    repo = gh.get_user().create_repo("ff", auto_init=True)
    first = repo.get_branch("main").commit.sha
    repo.create_file("a.txt", "second", "a")
    ref = repo.get_git_ref("heads/main")
    with pytest.raises(GithubException) as refused:
        ref.edit(first, force=False)
    assert refused.value.status == 422
    assert refused.value.data["message"] == "Update is not a fast forward"
    ref.edit(first, force=True)
    assert repo.get_branch("main").commit.sha == first


def test_pull_requests_merge_and_report_conflicts(gh: Github) -> None:
    repo = gh.get_user().create_repo("prs", auto_init=True)
    main = repo.get_branch("main").commit.sha
    for branch in ("left", "right"):
        repo.create_git_ref(f"refs/heads/{branch}", main)
        repo.create_file("same.yaml", branch, f"side: {branch}\n", branch=branch)
    left = repo.create_pull(title="left", body="", head="left", base="main")
    right = repo.create_pull(title="right", body="", head="right", base="main")
    assert repo.get_pull(left.number).mergeable is True
    assert left.merge(merge_method="merge").merged
    assert repo.get_pull(left.number).merged
    assert repo.get_pull(right.number).mergeable is False
    with pytest.raises(GithubException) as refused:
        right.merge()
    assert (refused.value.status, refused.value.data["message"]) == (405, "Pull Request is not mergeable")
    with pytest.raises(GithubException) as duplicate:
        repo.create_pull(title="again", body="", head="right", base="main")
    assert duplicate.value.status == 422
    assert duplicate.value.data["errors"][0]["resource"] == "PullRequest"


def test_deferred_mergeability_is_null_on_the_first_get_after_a_move(gh: Github, api: httpx.Client) -> None:
    """As GitHub: the GET that finds the heads moved starts the computation and answers null."""
    repo = gh.get_user().create_repo("deferred", auto_init=True)
    repo.create_git_ref("refs/heads/topic", repo.get_branch("main").commit.sha)
    repo.create_file("t.yaml", "topic", "t: 1\n", branch="topic")
    pr = repo.create_pull(title="t", body="", head="topic", base="main")
    assert api.put("/_twin/mergeability", json={"deferred": "yes"}).status_code == 400
    assert api.put("/_twin/mergeability", json={"deferred": True}).json() == {"deferred": True}
    path = f"/repos/{repo.full_name}/pulls/{pr.number}"
    seen = [(b["mergeable"], b["mergeable_state"]) for b in (api.get(path).json() for _ in range(2))]
    assert seen == [(None, "unknown"), (True, "clean")]
    listed = api.get(f"/repos/{repo.full_name}/pulls").json()
    assert "mergeable" not in listed[0]
    repo.create_file("u.yaml", "main moved", "u: 1\n", branch="main")  # the base moves: computed afresh
    assert [api.get(path).json()["mergeable"] for _ in range(2)] == [None, True]
    api.put("/_twin/mergeability", json={"deferred": False}).raise_for_status()
    repo.create_file("v.yaml", "topic moved", "v: 1\n", branch="topic")
    assert api.get(path).json()["mergeable"] is True


def test_merging_with_a_stale_head_sha_is_a_conflict(gh: Github) -> None:
    repo = gh.get_user().create_repo("stale", auto_init=True)
    repo.create_git_ref("refs/heads/topic", repo.get_branch("main").commit.sha)
    repo.create_file("t.yaml", "topic", "t: 1\n", branch="topic")
    pr = repo.create_pull(title="t", body="", head="topic", base="main")
    old_head = pr.head.sha
    repo.create_file("u.yaml", "moved", "u: 1\n", branch="topic")
    with pytest.raises(GithubException) as moved:
        pr.merge(sha=old_head)
    assert moved.value.status == 409
    assert moved.value.data["message"].startswith("Head branch was modified")


def test_webhooks_are_signed_with_the_secret(gh: Github, endpoint: Endpoint, receiver: Receiver) -> None:
    repo = gh.get_user().create_repo("hooks", auto_init=True)
    repo.create_file("a.yaml", "add a", "a: 1\n")
    wait_for(lambda: len(receiver.events("push")) >= 2, 10, "two push deliveries")
    delivery = receiver.events("push")[-1]
    expected = "sha256=" + hmac.new(SECRET.encode(), delivery["body"], hashlib.sha256).hexdigest()
    assert hmac.compare_digest(delivery["headers"]["X-Hub-Signature-256"], expected)
    assert delivery["headers"]["User-Agent"].startswith("GitHub-Hookshot/")
    uuid.UUID(delivery["headers"]["X-GitHub-Delivery"])
    payload = json.loads(delivery["body"])
    assert payload["ref"] == "refs/heads/main"
    assert payload["head_commit"]["added"] == ["a.yaml"]
    assert payload["repository"]["full_name"] == "hedgehog/hooks"


def test_pull_request_events_and_delivery_log(gh: Github, endpoint: Endpoint, receiver: Receiver) -> None:
    repo = gh.get_user().create_repo("prhooks", auto_init=True)
    repo.create_git_ref("refs/heads/f", repo.get_branch("main").commit.sha)
    repo.create_file("f.yaml", "f", "f: 1\n", branch="f")
    repo.create_pull(title="f", body="", head="f", base="main").merge()
    wait_for(lambda: len(receiver.events("pull_request")) >= 2, 10, "opened and closed deliveries")
    actions = [json.loads(r["body"])["action"] for r in receiver.events("pull_request")]
    assert actions == ["opened", "closed"]
    admin = httpx.Client(base_url=endpoint.url, headers={"Authorization": f"Bearer {endpoint.secret}"})
    log = admin.get("/_twin/deliveries").json()
    assert {d["status"] for d in log} == {"delivered"}
    assert all(d["status_code"] == 204 for d in log)
    again = admin.post(f"/_twin/deliveries/{log[0]['id']}/redeliver")
    assert again.status_code == 202
    wait_for(lambda: sum(r["headers"]["X-GitHub-Delivery"] == log[0]["guid"] for r in receiver.received) == 2,
             10, "the redelivery")  # fmt: skip


def test_every_response_carries_rate_limit_headers(api: httpx.Client) -> None:
    answers = [api.get("/rate_limit"), api.get("/repos/hedgehog/none"), api.get("/user", headers={"Authorization": ""})]
    for response in answers:
        assert {"x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-used", "x-ratelimit-reset",
                "x-ratelimit-resource"} <= set(response.headers)  # fmt: skip
    first, second = int(answers[0].headers["x-ratelimit-used"]), int(answers[1].headers["x-ratelimit-used"])
    assert second == first + 1
    assert answers[2].status_code == 401
    assert answers[2].json()["message"] == "Requires authentication"


def test_faults_answer_reset_and_expire(api: httpx.Client) -> None:
    api.post("/user/repos", json={"name": "faulty", "auto_init": True}).raise_for_status()
    fault = {"operation": "github.git.update_ref", "status": 422, "body": {"message": "Update is not a fast forward"},
             "headers": {"x-injected": "1"}, "times": 1}  # fmt: skip
    assert api.post("/_twin/faults", json=fault).status_code == 201
    sha = api.get("/repos/hedgehog/faulty/git/ref/heads/main").json()["object"]["sha"]
    injected = api.patch("/repos/hedgehog/faulty/git/refs/heads/main", json={"sha": sha})
    assert (injected.status_code, injected.headers["x-injected"]) == (422, "1")
    assert api.patch("/repos/hedgehog/faulty/git/refs/heads/main", json={"sha": sha}).status_code == 200
    api.post("/_twin/faults", json={"operation": "github.repos.get", "action": "reset"}).raise_for_status()
    with pytest.raises(httpx.TransportError):
        api.get("/repos/hedgehog/faulty")
    assert api.get("/repos/hedgehog/faulty").status_code == 200
    api.post("/_twin/faults", json={"operation": "github.repos.get", "action": "delay", "delay_s": 0.3})
    assert api.get("/repos/hedgehog/faulty").elapsed.total_seconds() >= 0.3
    bad = api.post("/_twin/faults", json={"operation": "github.repos.get", "action": "explode"})
    assert bad.status_code == 400
    assert "fault.action" in bad.json()["message"]


def test_github_live_reset_deletes_only_prefixed_repositories(endpoint: Endpoint, api: httpx.Client) -> None:
    for name in ("hh-test-one", "hh-test-two", "keep-me"):
        api.post("/user/repos", json={"name": name}).raise_for_status()
    live = GitHubLive(url=endpoint.url, token=endpoint.secret, prefix="hh-test-")
    assert live.start().extra["owner"] == "hedgehog"
    assert live.healthy()
    live.reset()
    live.stop()
    assert [r["name"] for r in api.get("/user/repos").json()] == ["keep-me"]


def test_serve_github_prints_a_ready_line_and_refuses_a_taken_port(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = subprocess.run([sys.executable, "-m", "harness.cli", "serve", "github", "--port", str(port)],
                              capture_output=True, text=True, timeout=30, check=False)  # fmt: skip
    assert busy.returncode == 2
    assert "already in use" in busy.stderr and "Traceback" not in busy.stderr
    command = [sys.executable, "-m", "harness.cli", "serve", "github", "--data-dir", str(tmp_path)]
    env = {**os.environ, "HARNESS_GITHUB_TOKEN": "tok"}
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        ready = json.loads(proc.stdout.readline())
        assert ready["token"] == "tok"
        assert _two_requests_on_one_connection(ready["url"], "tok") == [(200, None, True), (200, None, True)]
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0


def test_a_data_dir_keeps_repositories_across_restarts(tmp_path: Path) -> None:
    first = GitHubTwin(data_dir=tmp_path, token="t1")
    url = first.start().url
    httpx.post(f"{url}/user/repos", json={"name": "kept", "auto_init": True},
               headers={"Authorization": "Bearer t1"}).raise_for_status()  # fmt: skip
    first.stop()
    second = GitHubTwin(data_dir=tmp_path, token="t1")
    url = second.start().url
    try:
        readme = httpx.get(f"{url}/repos/hedgehog/kept/contents/README.md", headers={"Authorization": "Bearer t1"})
        assert base64.b64decode(readme.json()["content"]) == b"# kept\n"
    finally:
        second.stop()


def _two_requests_on_one_connection(url: str, token: str) -> list[tuple[int, str | None, bool]]:
    """(status, Connection header, same socket as before) for two GET /user on one HTTP/1.1 connection."""
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    seen: list[tuple[int, str | None, bool]] = []
    first_socket = None
    try:
        for _ in range(2):
            conn.request("GET", "/user", headers={"Authorization": f"Bearer {token}"})
            response = conn.getresponse()
            response.read()
            first_socket = first_socket or conn.sock
            seen.append((response.status, response.getheader("Connection"), conn.sock is first_socket))
    finally:
        conn.close()
    return seen


def test_the_twin_keeps_http11_connections_alive(endpoint: Endpoint) -> None:
    assert endpoint.secret
    assert _two_requests_on_one_connection(endpoint.url, endpoint.secret) == [(200, None, True), (200, None, True)]


def test_a_client_asking_to_close_gets_its_connection_closed(endpoint: Endpoint) -> None:
    host, port = endpoint.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(f"GET /user HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {endpoint.secret}\r\n"
                     "Connection: close\r\n\r\n".encode())  # fmt: skip
        received = b""
        while chunk := sock.recv(65536):  # the server closing the connection ends this loop
            received += chunk
    assert received.startswith(b"HTTP/1.1 200")


def _file(api: httpx.Client, repo: str, path: str, text: str) -> None:
    content = base64.b64encode(text.encode()).decode()
    api.put(
        f"/repos/hedgehog/{repo}/contents/{path}", json={"message": f"add {path}", "content": content}
    ).raise_for_status()


@pytest.mark.parametrize("accept", ["application/vnd.github.raw", "application/vnd.github.v3.raw"])
def test_the_raw_media_type_answers_the_file_bytes(api: httpx.Client, accept: str) -> None:
    api.post("/user/repos", json={"name": "raw", "auto_init": True}).raise_for_status()
    _file(api, "raw", "fabric/switch.yaml", "kind: Switch\n")
    raw = api.get("/repos/hedgehog/raw/contents/fabric/switch.yaml", headers={"Accept": accept})
    assert (raw.status_code, raw.content) == (200, b"kind: Switch\n")
    assert raw.headers["content-type"] == f"{accept}; charset=utf-8"
    listing = api.get("/repos/hedgehog/raw/contents/fabric", headers={"Accept": accept})
    assert [item["name"] for item in listing.json()] == ["switch.yaml"]  # raw applies to files only


def test_the_object_media_type_answers_a_directory_as_an_object_with_entries(api: httpx.Client) -> None:
    api.post("/user/repos", json={"name": "obj", "auto_init": True}).raise_for_status()
    _file(api, "obj", "fabric/switch.yaml", "kind: Switch\n")
    found = api.get("/repos/hedgehog/obj/contents/fabric", headers={"Accept": "application/vnd.github.object"})
    body = found.json()
    assert (body["type"], body["path"], [e["path"] for e in body["entries"]]) == (
        "dir", "fabric", ["fabric/switch.yaml"])  # fmt: skip
    assert isinstance(api.get("/repos/hedgehog/obj/contents/fabric").json(), list)


def test_git_refs_lists_every_ref_and_matching_refs_filters_by_prefix(api: httpx.Client) -> None:
    api.post("/user/repos", json={"name": "refs", "auto_init": True}).raise_for_status()
    git = "/repos/hedgehog/refs/git"
    main = api.get(f"{git}/ref/heads/main").json()["object"]["sha"]
    for ref in ("refs/heads/feature-a", "refs/heads/feature-b", "refs/tags/v1"):
        api.post(f"{git}/refs", json={"ref": ref, "sha": main}).raise_for_status()
    for path in (f"{git}/refs", f"{git}/refs/"):
        listed = api.get(path)
        assert listed.status_code == 200
        assert [r["ref"] for r in listed.json()] == ["refs/heads/feature-a", "refs/heads/feature-b",
                                                     "refs/heads/main", "refs/tags/v1"]  # fmt: skip
    matching = api.get(f"{git}/matching-refs/heads/feature").json()
    assert [r["ref"] for r in matching] == ["refs/heads/feature-a", "refs/heads/feature-b"]
    assert api.get(f"{git}/matching-refs/heads/nothing").json() == []


def test_a_conditional_get_answers_304_without_spending_the_rate_limit(api: httpx.Client) -> None:
    api.post("/user/repos", json={"name": "etag", "auto_init": True}).raise_for_status()
    readme = "/repos/hedgehog/etag/contents/README.md"
    first = api.get(readme)
    etag = first.headers["etag"]
    again = api.get(readme, headers={"If-None-Match": etag})
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)
    assert again.headers["x-ratelimit-remaining"] == first.headers["x-ratelimit-remaining"]
    api.put(readme, json={"message": "edit", "content": base64.b64encode(b"edited").decode(),
                          "sha": first.json()["sha"]}).raise_for_status()  # fmt: skip
    changed = api.get(readme, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert int(changed.headers["x-ratelimit-remaining"]) < int(first.headers["x-ratelimit-remaining"])


def test_list_endpoints_page_with_first_prev_next_last_links(api: httpx.Client) -> None:
    for n in range(5):
        api.post("/user/repos", json={"name": f"page-{n}"}).raise_for_status()

    def rels(page: int) -> dict[str, str]:
        response = api.get("/user/repos", params={"per_page": 2, "page": page, "type": "owner"})
        return {rel: link["url"] for rel, link in response.links.items()}

    assert set(rels(1)) == {"next", "last"}
    middle = rels(2)
    assert set(middle) == {"prev", "next", "last", "first"}
    assert middle["last"].endswith("/user/repos?type=owner&per_page=2&page=3")
    assert middle["prev"].endswith("page=1") and middle["next"].endswith("page=3")
    assert set(rels(3)) == {"prev", "first"}


@pytest.mark.parametrize("status", [403, 429])
def test_an_armed_secondary_limit_refuses_with_retry_after(api: httpx.Client, status: int) -> None:
    armed = {"secondary_requests": 1, "secondary_status": status, "retry_after": 9}
    api.post("/_twin/rate_limit", json=armed).raise_for_status()
    refused = api.get("/user")
    assert (refused.status_code, refused.headers["retry-after"]) == (status, "9")
    assert "secondary rate limit" in refused.json()["message"]
    assert api.get("/user").status_code == 200
    bad = api.post("/_twin/rate_limit", json={"secondary_status": 500})
    assert bad.status_code == 400 and "secondary_status" in bad.json()["message"]


def test_created_resources_carry_location_and_empty_answers_no_content_type(api: httpx.Client) -> None:
    created = api.post("/user/repos", json={"name": "loc", "auto_init": True})
    assert created.headers["location"] == created.json()["url"]
    main = api.get("/repos/hedgehog/loc/git/ref/heads/main").json()["object"]["sha"]
    ref = api.post("/repos/hedgehog/loc/git/refs", json={"ref": "refs/heads/x", "sha": main})
    assert ref.headers["location"] == ref.json()["url"]
    deleted = api.delete("/repos/hedgehog/loc/git/refs/heads/x")
    assert deleted.status_code == 204 and "content-type" not in deleted.headers


def test_a_delivery_that_cannot_be_sent_is_failed_and_the_ones_after_it_are_still_sent() -> None:
    """A hook URL httpx cannot even parse fails its delivery (an error that is not an HTTP error);
    the worker goes on with the next one."""
    from harness.targets.github.webhooks import Webhooks  # noqa: PLC0415

    hooks = Webhooks("http://a\x00b/", None, timeout_s=2)  # a NUL in the host: httpx.InvalidURL
    try:
        hooks.emit("push", {"ref": "refs/heads/main"})
        hooks.configure("http://127.0.0.1:9/", None)  # nothing listens on the discard port: refused
        hooks.emit("push", {"ref": "refs/heads/main"})
        wait_for(lambda: all(d["status"] != "queued" for d in hooks.deliveries()), 10, "both deliveries to end")
        first, second = hooks.deliveries()
        assert first["status"] == "failed" and "InvalidURL" in first["error"], first
        assert second["status"] == "failed" and second["error"], second
    finally:
        hooks.close()
