"""Contract suites against the live providers, collected from the contract files:

- ``contracts/netbox/<file>.yaml::schemathesis:<operation>``: Schemathesis against the real NetBox,
  on exactly the GET operations our NetBox contracts name. NetBox's own OpenAPI document
  (``/api/schema/``) is cut down to the method+path pairs of ``contracts/netbox`` and to the query
  filters our contract declares (NetBox's hundreds of other filters are not what an integration
  relies on); requests are generated from it and sent with the token; the checks are: no server
  error, the declared content type, and a 2xx answer to a request our contract covers satisfies
  our contract (:class:`harness.proxy.check.ContractChecker`). NetBox's answers are not held to
  NetBox's own document (4.7.3 declares choice fields such as Device.face as non-null objects and
  answers null). POSTs would leave objects behind; the Pact items cover them with provider states.
  A shrunk failure is saved as a regression scenario (``--harness-regressions``).
- ``contracts/<boundary>::pact``: consumer pacts (Pact V4) built from the contracts' operations
  for the requests listed in :data:`NETBOX_CASES` / :func:`github_cases`, verified against the real
  NetBox and the GitHub twin with provider states set through the providers' own APIs. State
  handlers never raise (the verifier retries a raising handler for minutes): they record what
  went wrong, and the item reports it next to the verifier's output.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from harness.generate.pact import PactCase, build_pact, exercise, verify
from harness.proxy.check import ContractChecker
from harness.proxy.exchange import Exchange
from harness.proxy.match import OperationMatcher
from harness.replay.corpus import save_regression
from harness.report.elements import operation_id, spec_file
from harness.report.events import Recorder
from harness.spec.models import Operation, SpecSet
from harness.targets.base import Endpoint
from harness.targets.github.target import GitHubTwin
from harness.targets.netbox.live import auth_header

EXAMPLES = 15  # per operation: list operations carry hundreds of filters, each example is a real request


def netbox_get_operations(specs: SpecSet) -> list[Operation]:
    return [op for op in specs.operations().values()
            if op.http is not None and op.id.startswith("netbox.") and op.http.method == "GET"]  # fmt: skip


# -- Schemathesis ----------------------------------------------------------------------------------


def restricted_schema(specs: SpecSet, netbox: Endpoint) -> Any:
    """NetBox's OpenAPI document with only the paths, methods and query filters of contracts/netbox."""
    import schemathesis  # noqa: PLC0415 - only for the live contract items

    ops = [op for op in specs.operations().values() if op.http is not None and op.id.startswith("netbox.")]
    headers = {**auth_header(netbox.secret or ""), "Accept": "application/json"}
    with httpx.Client(base_url=netbox.url, headers=headers, timeout=120) as http:
        response = http.get("/api/schema/", params={"format": "json"})
    response.raise_for_status()
    document = response.json()
    wanted: dict[str, set[str]] = {}
    for op in ops:
        assert op.http is not None
        wanted.setdefault(op.http.path, set()).add(op.http.method.lower())
    missing = sorted(p for p in wanted if p not in document["paths"])
    if missing:
        raise AssertionError(f"contracts/netbox names paths NetBox {netbox.url} does not serve: {missing}")
    by_route = {(op.http.path, op.http.method.lower()): op for op in ops if op.http is not None}
    document["paths"] = {
        path: {method: _restricted(operation, by_route[(path, method)])
               for method, operation in item.items() if method in wanted[path]}
        for path, item in document["paths"].items() if path in wanted
    }  # fmt: skip
    schema = schemathesis.openapi.from_dict(document)
    schema.config.update(base_url=netbox.url, headers=headers)
    return schema


def _restricted(operation: dict[str, Any], op: Operation) -> dict[str, Any]:
    ours = set(op.request.get("query", {}).get("properties", {}))
    params = [p for p in operation.get("parameters", [])
              if p["in"] == "path" or (p["in"] == "query" and p["name"] in ours)]  # fmt: skip
    return {**operation, "parameters": params}


def schemathesis_operation(
    op: Operation, schema: Any, netbox: Endpoint, *, specs: SpecSet, root: Path, recorder: Recorder,
    regressions: Path, seed: int | None,
) -> None:  # fmt: skip
    from hypothesis import HealthCheck, given, settings  # noqa: PLC0415
    from schemathesis.checks import not_a_server_error  # noqa: PLC0415
    from schemathesis.specs.openapi.checks import content_type_conformance  # noqa: PLC0415

    from harness.generate.property import search_phases  # noqa: PLC0415

    assert op.http is not None
    element = operation_id(spec_file(op.loc, root), op.id)
    api_operation = schema[op.http.path][op.http.method]
    matcher, checker = OperationMatcher(specs, "netbox"), ContractChecker(specs, "netbox")
    contract_findings: list[str] = []
    covered: list[int] = []  # statuses of the answers to requests our contract covers
    failing: list[tuple[Any, str]] = []

    @settings(
        max_examples=EXAMPLES,
        phases=search_phases(),
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )
    @given(case=api_operation.as_strategy())
    def run(case: Any) -> None:  # fmt: skip
        response = case.call(timeout=60)
        try:
            case.validate_response(response, checks=[not_a_server_error, content_type_conformance])
        except Exception as exc:
            failing.append((response, str(exc)))  # Hypothesis replays the shrunk example last
            raise
        if 200 <= response.status_code < 300:
            contract_findings.extend(_contract_findings(matcher, checker, netbox.url, response, covered))

    try:
        run()
    except Exception as exc:
        saved = _save_failure(op, element, failing[-1], root=regressions, netbox=netbox, seed=seed) if failing else None
        where = f"; saved as {saved}" if saved else ""
        recorder.record(element, "operation", "fail", f"schemathesis: {str(exc)[:300]}{where}")
        if saved:
            raise AssertionError(f"{exc}\n\nThe shrunk failure is saved as {saved} (replayable offline)") from exc
        raise
    assert covered, f"no generated request for {op.id} was one our contract covers; nothing was checked"
    recorder.record(element, "operation", "fail" if contract_findings else "pass",
                    "; ".join(sorted(set(contract_findings)))[:500])  # fmt: skip
    assert not contract_findings, (
        f"NetBox answers that break our contract for {op.id}: {sorted(set(contract_findings))}"
    )


def _save_failure(
    op: Operation, element: str, failure: tuple[Any, str], *, root: Path, netbox: Endpoint, seed: int | None
) -> Path:
    """The shrunk failing request and NetBox's answer as a regression scenario under ``root``."""
    response, message = failure
    exchange = _exchange(netbox.url, response)
    query = {k: list(v) for k, v in parse_qs(exchange.query, keep_blank_values=True).items()}
    check = "server_error" if response.status_code >= 500 else "contract"
    name = f"{op.id.replace('.', '-').replace('_', '-')}-{check.replace('_', '-')}"
    return save_regression(
        root, name[:63], spec_element=element, found_by=f"{element}::schemathesis (Schemathesis)",
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
    """Findings about NetBox's answer under our contract, for requests our contract covers (NetBox's
    schema allows requests ours does not, such as a negative limit: their answers are not ours to hold)."""
    exchange = _exchange(base, response)
    match = matcher.match(exchange.method, exchange.path, parse_qs(exchange.query), exchange.request_headers)
    findings = checker.check(exchange, match)
    if any(f.part.startswith("request.") for f in findings):
        return []
    covered.append(response.status_code)
    return [str(f) for f in findings]


# -- Pact ------------------------------------------------------------------------------------------

GITHUB_REPO = "fabric-pact"
EXISTS, ABSENT, REPO_EXISTS = "an object with the slug exists", "no object with the slug exists", "a repository exists"

NETBOX_CASES = [
    PactCase("netbox.status.get", "/api/status/"),
    PactCase("netbox.dcim.sites.list", "/api/dcim/sites/", EXISTS, {"endpoint": "dcim/sites", "slug": "pact-site"},
             {"slug": "pact-site"}, non_empty=True),
    PactCase("netbox.dcim.sites.create", "/api/dcim/sites/", ABSENT, {"endpoint": "dcim/sites", "slug": "pact-created"},
             body={"name": "Pact Created", "slug": "pact-created", "status": "active"}, status=201),
    PactCase("netbox.dcim.manufacturers.list", "/api/dcim/manufacturers/", EXISTS,
             {"endpoint": "dcim/manufacturers", "slug": "pact-vendor"}, {"slug": "pact-vendor"}, non_empty=True),
    PactCase("netbox.extras.tags.list", "/api/extras/tags/", EXISTS,
             {"endpoint": "extras/tags", "slug": "hh-pact-listed"}, {"slug": "hh-pact-listed"}, non_empty=True),
    PactCase("netbox.extras.tags.create", "/api/extras/tags/", ABSENT, {"endpoint": "extras/tags", "slug": "hh-pact"},
             body={"name": "hh-pact", "slug": "hh-pact", "color": "00ff00"}, status=201),
]  # fmt: skip


def github_cases(owner: str) -> list[PactCase]:
    params, base = {"owner": owner, "repo": GITHUB_REPO}, f"/repos/{owner}/{GITHUB_REPO}"
    return [
        PactCase("github.rate_limit.get", "/rate_limit"),
        PactCase("github.repos.get", base, REPO_EXISTS, params),
        PactCase("github.git.get_ref", f"{base}/git/ref/heads/main", REPO_EXISTS, params),
        PactCase("github.git.create_blob", f"{base}/git/blobs", REPO_EXISTS, params,
                 body={"content": "hello pact\n", "encoding": "utf-8"}, status=201),
    ]  # fmt: skip


Handler = Callable[[httpx.Client, dict[str, Any]], None]


class StateHandler:
    """Sets provider states through the provider's own API; collects errors instead of raising."""

    def __init__(self, http: httpx.Client, setup: dict[str, Handler], teardown: dict[str, Handler]) -> None:
        self.http, self.setup, self.teardown = http, setup, teardown
        self.errors: list[str] = []
        self.calls: list[tuple[str, str]] = []

    def __call__(self, state: str, action: str, parameters: dict[str, Any] | None) -> None:
        self.calls.append((state, action))
        handler = (self.setup if action == "setup" else self.teardown).get(state)
        if handler is None:
            if state:
                self.errors.append(f"no handler for provider state {state!r} ({action})")
            return
        try:
            handler(self.http, parameters or {})
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            self.errors.append(f"{action} of {state!r} with {parameters}: {type(exc).__name__}: {exc}")


def _nb_delete_slug(http: httpx.Client, p: dict[str, Any]) -> None:
    listed = http.get(f"/api/{p['endpoint']}/", params={"slug": p["slug"]})
    listed.raise_for_status()
    for obj in listed.json()["results"]:
        http.delete(f"/api/{p['endpoint']}/{obj['id']}/").raise_for_status()


def _nb_create_slug(http: httpx.Client, p: dict[str, Any]) -> None:
    _nb_delete_slug(http, p)
    http.post(f"/api/{p['endpoint']}/", json={"name": p["slug"], "slug": p["slug"]}).raise_for_status()


def _gh_create_repo(http: httpx.Client, p: dict[str, Any]) -> None:
    if http.get(f"/repos/{p['owner']}/{p['repo']}").status_code == 404:
        http.post("/user/repos", json={"name": p["repo"], "auto_init": True}).raise_for_status()


def _gh_delete_repo(http: httpx.Client, p: dict[str, Any]) -> None:
    answer = http.delete(f"/repos/{p['owner']}/{p['repo']}")
    if answer.status_code not in (204, 404):
        answer.raise_for_status()


def _verify_and_record(
    specs: SpecSet, root: Path, recorder: Recorder, cases: list[PactCase], *, pact_dir: Path, provider: str,
    url: str, handler: StateHandler, headers: dict[str, str],
) -> None:  # fmt: skip
    def record(verdict: str, detail: str) -> None:
        for case in cases:
            op = specs.operations()[case.operation]
            recorder.record(operation_id(spec_file(op.loc, root), op.id), "operation", verdict, f"pact: {detail}"[:300])

    url = url.replace("127.0.0.1", "localhost")  # the verifier's host check wants localhost
    try:
        verifier = verify(pact_dir, provider, url, handler, headers=headers)
    except RuntimeError as exc:
        record("fail", str(exc))
        raise AssertionError(f"pact verification against {provider} failed: {exc}\n"
                             f"state handler errors: {handler.errors}") from exc  # fmt: skip
    record("pass", f"verified against {provider}")
    assert not handler.errors, handler.errors
    assert verifier.results.get("result") is True, verifier.results
    assert {s for s, _ in handler.calls} >= {c.state for c in cases if c.state}, "a provider state was never set up"


def netbox_pact(specs: SpecSet, root: Path, netbox: Endpoint, recorder: Recorder, tmp: Path) -> None:
    pact_dir = tmp / "pacts"
    exercise(build_pact(specs, "netbox", NETBOX_CASES), specs, NETBOX_CASES, pact_dir)
    auth = auth_header(netbox.secret or "")
    with httpx.Client(base_url=netbox.url, headers={**auth, "Accept": "application/json"}, timeout=10) as http:
        handler = StateHandler(
            http,
            setup={EXISTS: _nb_create_slug, ABSENT: _nb_delete_slug},
            teardown={EXISTS: _nb_delete_slug, ABSENT: _nb_delete_slug},
        )  # leave NetBox as it was
        _verify_and_record(
            specs,
            root,
            recorder,
            NETBOX_CASES,
            pact_dir=pact_dir,
            provider="netbox",
            url=netbox.url,
            handler=handler,
            headers=auth,
        )


def github_pact(specs: SpecSet, root: Path, recorder: Recorder, tmp: Path) -> None:
    twin = GitHubTwin()
    endpoint = twin.start()
    try:
        cases = github_cases(endpoint.extra["owner"])
        pact_dir = tmp / "pacts"
        exercise(build_pact(specs, "github", cases), specs, cases, pact_dir)
        auth = {"Authorization": f"Bearer {endpoint.secret}"}
        with httpx.Client(base_url=endpoint.url, headers=auth, timeout=10) as http:
            handler = StateHandler(http, setup={REPO_EXISTS: _gh_create_repo}, teardown={REPO_EXISTS: _gh_delete_repo})
            _verify_and_record(
                specs,
                root,
                recorder,
                cases,
                pact_dir=pact_dir,
                provider="github",
                url=endpoint.url,
                handler=handler,
                headers=auth,
            )
    finally:
        twin.stop()
