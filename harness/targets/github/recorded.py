"""Replay real GitHub traffic recorded by ``@octokit/fixtures`` against the twin and diff the answers.

A scenario's ``raw-fixture.json`` is its complete recording against api.github.com, setup included: the
requests the recorder marked ``x-octokit-fixture-ignore`` create the temporary repository and its commits.
Replaying every exchange in order through the twin's own API rebuilds the state the recording assumed;
scenarios about a repository the recording did not create (octokit-fixture-org/hello-world) get it from
``SEEDS`` first. Commit shas differ between GitHub and the twin (authors, dates), so each recorded sha is
mapped to the twin's from the responses and substituted into later requests.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from harness.targets.github import routes
from harness.targets.github.recorded_diff import Diff, compare_headers, compare_shape, is_json

SCENARIOS = Path("node_modules/@octokit/fixtures/scenarios/api.github.com")
# The login the fixtures were recorded with; the twin must run as it so octokit-fixture-org is an organisation.
LOGIN = "octokit-fixture-user-a"
_SHA = re.compile(r"\b[0-9a-f]{40}\b")
_FORWARDED = ("accept", "content-type")


def _hello_world() -> tuple[tuple[str, str, dict[str, Any]], ...]:
    readme = base64.b64encode(b"# hello-world").decode()
    return (
        ("POST", "/orgs/octokit-fixture-org/repos", {"name": "hello-world"}),
        ("PUT", "/repos/octokit-fixture-org/hello-world/contents/README.md",
         {"message": "initial commit", "content": readme}),
    )  # fmt: skip


# State a scenario's recording assumes but does not create: (method, path, JSON body) sent before it.
SEEDS: dict[str, tuple[tuple[str, str, dict[str, Any]], ...]] = {
    "get-content": _hello_world(),  # README.md is "# hello-world" (13 bytes), as the recorded raw answer shows
    "get-repository": _hello_world(),
}


@dataclass(frozen=True)
class Exchange:
    """One recorded request and GitHub's answer to it."""

    scenario: str
    index: int
    method: str
    path: str
    request_headers: dict[str, str]
    body: Any
    status: int
    headers: dict[str, str]
    response: Any

    @property
    def name(self) -> str:
        """``scenario#index``, how reports refer to the exchange."""
        return f"{self.scenario}#{self.index}"

    @property
    def setup(self) -> bool:
        """True for the requests the recorder kept out of its normalized fixture (they prepare the state)."""
        return self.request_headers.get("x-octokit-fixture-ignore") == "true"


def load(directory: Path) -> dict[str, list[Exchange]]:
    """Every scenario under ``directory`` (one folder each, with raw-fixture.json), by name."""
    if not directory.is_dir():
        raise FileNotFoundError(f"{directory}: no @octokit/fixtures scenarios here; run `npm ci` in the project root")
    scenarios: dict[str, list[Exchange]] = {}
    for path in sorted(directory.glob("*/raw-fixture.json")):
        name = path.parent.name
        scenarios[name] = [_exchange(name, i, raw) for i, raw in enumerate(json.loads(path.read_text()))]
    return scenarios


def _exchange(scenario: str, index: int, raw: dict[str, Any]) -> Exchange:
    values = raw.get("rawHeaders", [])
    headers: dict[str, str] = {}
    for name, value in zip(values[::2], values[1::2], strict=True):
        headers.setdefault(str(name).lower(), str(value))
    request = {str(k).lower(): str(v) for k, v in raw.get("reqheaders", {}).items()}
    return Exchange(scenario, index, str(raw["method"]).upper(), str(raw["path"]), request, raw.get("body"),
                    int(raw["status"]), headers, raw.get("response"))  # fmt: skip


@dataclass
class Outcome:
    """What replaying one exchange showed; ``skipped`` says why it was not compared."""

    exchange: Exchange
    operation: str | None
    status: int | None = None
    diff: Diff = field(default_factory=Diff)
    skipped: str | None = None

    @property
    def compared(self) -> bool:
        """True when the twin answered this exchange and the answer was compared."""
        return self.skipped is None

    @property
    def differs(self) -> bool:
        """True when the comparison found a difference."""
        return bool(self.diff.differences)


class Replay:
    """Replays scenarios against a twin reachable through ``client`` (base URL and the twin's token set)."""

    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    def scenario(self, name: str, exchanges: Iterable[Exchange]) -> list[Outcome]:
        """Reset the twin, seed it, replay the scenario in order; exchanges after a write the twin does not
        serve are not compared (the state they were recorded in cannot be rebuilt)."""
        self._client.post("/_twin/reset").raise_for_status()
        for method, path, body in SEEDS.get(name, ()):
            self._client.request(method, path, json=body).raise_for_status()
        shas: dict[str, str] = {}
        diverged: str | None = None
        outcomes: list[Outcome] = []
        for exchange in exchanges:
            path = urlsplit(exchange.path).path
            found = routes.match(exchange.method, path)
            operation = found[0].operation if found else None
            if diverged is not None:
                outcomes.append(Outcome(exchange, operation, skipped=diverged))
            elif found is None:
                outcomes.append(Outcome(exchange, None, skipped=f"the twin does not serve {exchange.method} {path}"))
                if exchange.method != "GET":
                    diverged = f"after {exchange.name} ({exchange.method} {path}), which the twin does not serve"
            else:
                outcomes.append(self._compare(exchange, operation, shas))
        return outcomes

    def _compare(self, exchange: Exchange, operation: str | None, shas: dict[str, str]) -> Outcome:
        headers = {k: v for k, v in exchange.request_headers.items() if k in _FORWARDED}
        body = exchange.body if isinstance(exchange.body, dict | list) else None
        content = None if body is None else _substitute(json.dumps(body), shas).encode()
        response = self._client.request(exchange.method, _substitute(exchange.path, shas), headers=headers,
                                        content=content)  # fmt: skip
        outcome = Outcome(exchange, operation, response.status_code)
        diff = outcome.diff
        if response.status_code != exchange.status:
            diff.differences.append(f"status: recorded {exchange.status}, twin {response.status_code}")
        recorded_location = exchange.headers.get("location")
        location = _substitute(urlsplit(recorded_location).path, shas) if recorded_location else None
        diff.differences += compare_headers(exchange.headers, response.headers, location)
        if is_json(exchange.headers.get("content-type")):
            try:
                actual = response.json()
            except ValueError:
                diff.differences.append("body: recorded JSON, the twin's body is not JSON")
                return outcome
            _learn(exchange.response, actual, shas)
            compare_shape(exchange.response, actual, diff)
        elif response.content != _text(exchange.response):
            diff.differences.append(f"body: recorded {_text(exchange.response)[:60]!r}, twin {response.content[:60]!r}")
        return outcome


def _text(response: Any) -> bytes:
    """A recorded non-JSON body as bytes ('' for none)."""
    return response.encode() if isinstance(response, str) else b""


def _learn(recorded: Any, actual: Any, shas: dict[str, str]) -> None:
    """Map each recorded sha to the twin's sha in the same place of the same-shaped answer."""
    if isinstance(recorded, dict) and isinstance(actual, dict):
        for key in recorded.keys() & actual.keys():
            _learn(recorded[key], actual[key], shas)
    elif isinstance(recorded, list) and isinstance(actual, list):
        for left, right in zip(recorded, actual, strict=False):
            _learn(left, right, shas)
    elif isinstance(recorded, str) and isinstance(actual, str) and _SHA.fullmatch(recorded) and _SHA.fullmatch(actual):
        shas.setdefault(recorded, actual)


def _substitute(text: str, shas: dict[str, str]) -> str:
    return _SHA.sub(lambda m: shas.get(m.group(0), m.group(0)), text)


def summary(outcomes: Iterable[Outcome]) -> list[str]:
    """One line per exchange: compared (same / what differs) or why not."""
    lines = []
    for o in outcomes:
        e = o.exchange
        head = f"{e.name} {e.method} {urlsplit(e.path).path} [{o.operation or '-'}]"
        if not o.compared:
            lines.append(f"{head}: not compared, {o.skipped}")
        elif o.differs:
            lines.append(f"{head}: DIFFERS: " + "; ".join(o.diff.differences))
        else:
            lines.append(f"{head}: same" + (f" (notes: {'; '.join(o.diff.notes)})" if o.diff.notes else ""))
    return lines
