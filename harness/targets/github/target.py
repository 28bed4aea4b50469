"""GitHub behind the Target interface: the in-process twin, or github.com / GHE by token."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import httpx

from harness.targets.base import Endpoint, TargetError
from harness.targets.github.server import TOKEN_ENV, TwinServer
from harness.targets.probe import probe_json

URL_ENV = "HARNESS_GITHUB_URL"
API_VERSION_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}


class GitHubTwin:
    """The local twin on a free loopback port; ``reset()`` wipes every repository, fault and delivery."""

    name = "github"

    def __init__(self, owner: str = "hedgehog", data_dir: Path | None = None, webhook_url: str | None = None,
                 token: str | None = None) -> None:  # fmt: skip
        self.owner = owner
        self._data_dir = data_dir
        self._webhook_url = webhook_url
        self._token = token or os.environ.get(TOKEN_ENV) or "ghp_" + secrets.token_hex(18)
        self._server: TwinServer | None = None

    @property
    def server(self) -> TwinServer:
        """The running server (for tests that drive the admin API in-process)."""
        if self._server is None:
            raise TargetError("the GitHub twin is not started; call start() first")
        return self._server

    def start(self) -> Endpoint:
        """Start serving; the endpoint carries the token as its secret and the git base URL in extra."""
        if self._server is None:
            self._server = TwinServer(data_dir=self._data_dir, owner=self.owner, token=self._token,
                                      webhook_url=self._webhook_url).start()  # fmt: skip
        url = self._server.url
        return Endpoint(url, secret=self._token, extra={"git_url": url, "owner": self.owner,
                                                        "admin_url": f"{url}/_twin"})  # fmt: skip

    def stop(self) -> None:
        """Stop serving and remove temporary data."""
        if self._server is not None:
            self._server.stop()
            self._server = None

    def reset(self) -> None:
        """Back to no repositories, no faults, full rate limits and an empty delivery log."""
        self.server.twin.reset()

    def healthy(self) -> bool:
        """True when the twin answers its health route."""
        if self._server is None:
            return False
        try:
            return httpx.get(f"{self._server.url}/_twin/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False


class GitHubLive:
    """github.com or GitHub Enterprise by token; ``reset()`` deletes the repositories named with ``prefix``."""

    name = "github"

    def __init__(self, url: str | None = None, token: str | None = None, prefix: str = "hh-test-",
                 org: str | None = None, probe_deadline_s: float = 10.0) -> None:  # fmt: skip
        self.url = (url or os.environ.get(URL_ENV) or "https://api.github.com").rstrip("/")
        if not self.url.startswith(("http://", "https://")):
            raise TargetError(f"--github-url {self.url!r} must start with http:// or https://")
        self.probe_deadline_s = probe_deadline_s
        token = token or os.environ.get(TOKEN_ENV)
        if not token:
            raise TargetError(f"GitHub live target needs a token: pass --github-token or set {TOKEN_ENV}")
        self._token = token
        self.prefix = prefix
        self.org = org
        self._client = httpx.Client(base_url=self.url, timeout=30, headers={
            **API_VERSION_HEADERS, "Authorization": f"Bearer {token}"})  # fmt: skip

    def start(self) -> Endpoint:
        """Check the token (GET /user, bounded by ``probe_deadline_s``) and return the endpoint; the
        owner is the org or the token's user. TargetError says what a server that is not GitHub's
        API did instead."""
        where = f"GitHub at {self.url}"
        headers = {**API_VERSION_HEADERS, "Authorization": f"Bearer {self._token}"}
        user = probe_json(where, f"{self.url}/user", headers, self.probe_deadline_s)
        if not isinstance(user, dict) or not isinstance(user.get("login"), str):
            raise TargetError(f"{where}: /user answered JSON without a login: not GitHub's API")
        return Endpoint(self.url, secret=self._token,
                        extra={"owner": self.org or user["login"], "prefix": self.prefix})  # fmt: skip

    def stop(self) -> None:
        """Close the HTTP client (nothing runs locally)."""
        self._client.close()

    def reset(self) -> None:
        """Delete every repository whose name starts with the test prefix (and nothing else)."""
        path = f"/orgs/{self.org}/repos" if self.org else "/user/repos?affiliation=owner"
        doomed: list[str] = []
        url: str | None = path
        while url:
            response = self._get(url)
            doomed += [r["full_name"] for r in response.json() if str(r["name"]).startswith(self.prefix)]
            url = response.links.get("next", {}).get("url")
        for full_name in doomed:
            deleted = self._client.delete(f"/repos/{full_name}")
            if deleted.status_code not in {204, 404}:
                raise TargetError(f"could not delete test repository {full_name}: HTTP {deleted.status_code} "
                                  f"{deleted.text[:200]} (the token needs the delete_repo scope)")  # fmt: skip

    def healthy(self) -> bool:
        """True when GET /rate_limit answers 200 with this token."""
        try:
            return self._client.get("/rate_limit").status_code == 200
        except httpx.HTTPError:
            return False

    def _get(self, path: str) -> httpx.Response:
        try:
            response = self._client.get(path)
        except httpx.HTTPError as exc:
            raise TargetError(f"cannot reach GitHub at {self.url}: {exc}; check --github-url") from exc
        if response.status_code == 401:
            raise TargetError(f"GitHub at {self.url} rejected the token (401); check --github-token/{TOKEN_ENV}")
        if response.status_code != 200:
            raise TargetError(f"GET {path} on {self.url} answered HTTP {response.status_code}: {response.text[:200]}")
        return response


def github_from_env(url: str | None = None, token: str | None = None) -> GitHubTwin | GitHubLive:
    """GitHubLive when a URL is given (argument or HARNESS_GITHUB_URL), otherwise a fresh twin."""
    url = url or os.environ.get(URL_ENV)
    if url:
        return GitHubLive(url, token)
    return GitHubTwin()
