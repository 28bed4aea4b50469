"""Consumer pacts from the implementation's own client: ``<corpus>/sync::pact-consumer``.

The interactions come from the recorded sync (``<corpus>/sync/{netbox,github}.yaml``, written by
``harness record``): one per distinct request (method, path, query and body), answered with the
recorded answer. A Pact mock server per provider serves them as NetBox and as GitHub, each behind a
contract proxy, and the implementation runs its sync through the adapter against them (the cluster
is the Kubernetes stand-in, as in the replay item). So every request in the pact files was sent by
the implementation's own NetBox and GitHub clients, not by the harness. The item fails when

- a request breaks the contracts (the proxy's findings name the operation and the field): a
  consumer that sends what its contract forbids fails here;
- a Pact mock has no interaction for a request, or an interaction was never asked for (the
  implementation's traffic changed since the recording: ``harness record`` again);
- the sync does not finish.

A request body is matched exactly (a git blob is its content) unless it carries values that differ
from run to run (times, commit shas, run ids: then by type, ``like``); answers are matched by type.
The pact files go to the report directory's ``pacts/`` (or the item's temporary directory).
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from harness.adapter import Adapter
from harness.proxy.server import ContractProxy
from harness.replay.cassette import Cassette, load_cassette
from harness.replay.recording import fabric_and_mode, recorded_owner, volatile
from harness.report.elements import operation_id, spec_file
from harness.report.events import Recorder
from harness.spec.models import SpecSet
from harness.world.process import run_action

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")  # no usage telemetry from a test harness

from pact import Pact, match  # after the telemetry opt-out


def _shape(value: Any) -> Any:
    """The JSON shape of ``value``: keys and types, not values (what ``like`` matches)."""
    if isinstance(value, dict):
        return tuple(sorted((k, _shape(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("list", tuple(sorted({repr(_shape(v)) for v in value})))
    return type(value).__name__


def _json(body: bytes) -> Any:
    return json.loads(body) if body else None


def pact_from_recording(consumer: str, cassette: Cassette, provider: str) -> Pact:
    """A Pact V4 between ``consumer`` and ``provider``: an interaction per distinct recorded request.

    A request body is matched exactly (a git blob is its content) unless it carries run-dependent
    values, then by type; a re-read (the same request again) is answered with the first answer."""
    pact = Pact(consumer, provider).with_specification("V4")
    seen: set[Any] = set()
    for exchange in cassette.exchanges:
        if exchange.status is None:
            continue
        body = _json(exchange.request_body)
        loose = body is not None and volatile(exchange.request_body)
        query = sorted(parse_qsl(exchange.query, keep_blank_values=True))
        key = (
            exchange.method,
            exchange.path,
            tuple(query),
            _shape(body) if loose else json.dumps(body, sort_keys=True),
        )
        if key in seen:
            continue
        seen.add(key)
        description = f"{exchange.operation_id or 'unknown'}: {exchange.method} {exchange.path}" + (
            f"?{exchange.query}" if exchange.query else "") + f" #{len(seen)}"  # fmt: skip
        interaction = pact.upon_receiving(description).with_request(exchange.method, exchange.path)
        for name, value in query:
            interaction.with_query_parameter(name, value)
        if body is not None:
            interaction.with_body(match.like(body) if loose else body, content_type="application/json")
        interaction.will_respond_with(exchange.status)
        answer = _json(exchange.response_body)
        if answer is not None:
            interaction.with_body(match.like(answer), content_type="application/json")
    return pact


def pact_consumer_sync(
    scenario: Path, adapter: Adapter, specs: SpecSet, *, crds_dir: Path, root: Path, workdir: Path,
    pact_dir: Path, recorder: Recorder,
) -> list[Path]:  # fmt: skip
    """Run the implementation's sync against Pact mocks of the recorded NetBox and GitHub; return the pact files."""
    from harness.suites.replay import offline_world  # noqa: PLC0415 - the same rules

    netbox = load_cassette(scenario / "netbox.yaml", specs, "netbox")
    github = load_cassette(scenario / "github.yaml", specs, "github")
    fabric, mode = fabric_and_mode(netbox)
    consumer = str(adapter.info.get("name") or adapter.name)
    pacts = {"netbox": pact_from_recording(consumer, netbox, "netbox"),
             "github": pact_from_recording(consumer, github, "github")}  # fmt: skip
    problems: list[str] = []
    proxies: dict[str, ContractProxy] = {}
    with contextlib.ExitStack() as stack:
        servers = {b: stack.enter_context(p.serve(addr="127.0.0.1", raises=False, verbose=False))
                   for b, p in pacts.items()}  # fmt: skip
        for boundary, server in servers.items():
            proxies[boundary] = ContractProxy(str(server.url).rstrip("/"), specs, boundary).start()
            stack.callback(proxies[boundary].stop)
        # GitHub is the Pact mock of the recording, owner and repository as recorded
        world = offline_world(proxies["netbox"].url, crds_dir=crds_dir, workdir=workdir, root=root, mode=mode,
                              github=(proxies["github"].url, recorded_owner(github)))  # fmt: skip
        with world as (endpoints, *_):
            result = run_action(adapter.command("sync", endpoints, fabric=fabric))
        mismatches = {b: list(s.mismatches) for b, s in servers.items()}
    for boundary, proxy in proxies.items():
        for finding in (f for ex in proxy.exchanges for f in ex.findings):
            problems.append(f"the implementation's {boundary} client broke the contract: {finding}")
    for boundary, found in mismatches.items():
        for mismatch in found:
            problems.append(f"Pact mock of {boundary}: {mismatch} (the implementation's traffic differs from the "
                            f"recorded sync: `harness record` again if that is intended)")  # fmt: skip
    if result.returncode != 0:
        problems.append(f"the sync against the Pact mocks exited {result.returncode}: {result.stderr[-600:]}")
    verdict = "fail" if problems else "pass"
    asked = {ex.operation_id for proxy in proxies.values() for ex in proxy.exchanges if ex.operation_id}
    for op_id in sorted(asked):
        op = specs.operations().get(op_id)
        if op is not None:
            recorder.record(operation_id(spec_file(op.loc, root), op.id), "operation", verdict,
                            "pact consumer: the implementation's client")  # fmt: skip
    assert not problems, "\n".join(problems)
    pact_dir.mkdir(parents=True, exist_ok=True)
    for pact in pacts.values():
        pact.write_file(pact_dir, overwrite=True)
    return [pact_dir / f"{consumer}-{provider}.json" for provider in pacts]
