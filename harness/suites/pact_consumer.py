"""Consumer pacts from the implementation's own client: ``<corpus>/sync::pact-consumer``.

The interactions come from the recorded sync (``<corpus>/sync/netbox.yaml``, written by ``harness
record``): one per distinct request (method, path, query; a write per body shape), answered with the
recorded answer. The Pact mock server serves them as NetBox, behind a contract proxy, and the
implementation runs its sync through the adapter against it (GitHub and Kubernetes are the twin
and the stand-in, as in the replay item). So every request in the pact file was sent by the
implementation's own NetBox client, not by the harness. The item fails when

- a request breaks the NetBox contracts (the proxy's findings name the operation and the field):
  a consumer that sends what its contract forbids fails here;
- the Pact mock has no interaction for a request, or an interaction was never asked for (the
  implementation's traffic changed since the recording: ``harness record`` again);
- the sync does not finish.

Request bodies are matched by type (``like``): the values the integration writes back (times,
commit shas, run ids) differ from run to run, their shape may not. The pact file is written to
the report directory's ``pacts/`` (or the item's temporary directory) for provider verification.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from harness.adapter import Adapter
from harness.proxy.server import ContractProxy
from harness.replay.cassette import Cassette, load_cassette
from harness.report.elements import operation_id, spec_file
from harness.report.events import Recorder
from harness.spec.models import SpecSet
from harness.world.process import run_action

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")  # no usage telemetry from a test harness

from pact import Pact, match  # after the telemetry opt-out

PROVIDER = "netbox"


def _shape(value: Any) -> Any:
    """The JSON shape of ``value``: keys and types, not values (what ``like`` matches)."""
    if isinstance(value, dict):
        return tuple(sorted((k, _shape(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("list", tuple(sorted({repr(_shape(v)) for v in value})))
    return type(value).__name__


def _json(body: bytes) -> Any:
    return json.loads(body) if body else None


def pact_from_recording(consumer: str, netbox: Cassette) -> tuple[Pact, list[str]]:
    """A Pact V4 between ``consumer`` and NetBox: an interaction per distinct recorded request."""
    pact = Pact(consumer, PROVIDER).with_specification("V4")
    seen: set[Any] = set()
    descriptions = []
    for exchange in netbox.exchanges:
        if exchange.status is None:
            continue
        body = _json(exchange.request_body)
        query = sorted(parse_qsl(exchange.query, keep_blank_values=True))
        key = (exchange.method, exchange.path, tuple(query), _shape(body))
        if key in seen:
            continue  # a re-read, or a write of the same shape: the first answer serves both
        seen.add(key)
        description = f"{exchange.operation_id or 'unknown'}: {exchange.method} {exchange.path}" + (
            f"?{exchange.query}" if exchange.query else "") + f" #{len(seen)}"  # fmt: skip
        descriptions.append(description)
        interaction = pact.upon_receiving(description).with_request(exchange.method, exchange.path)
        for name, value in query:
            interaction.with_query_parameter(name, value)
        if body is not None:
            interaction.with_body(match.like(body), content_type="application/json")
        interaction.will_respond_with(exchange.status)
        answer = _json(exchange.response_body)
        if answer is not None:
            interaction.with_body(match.like(answer), content_type="application/json")
    return pact, descriptions


def pact_consumer_sync(
    scenario: Path, adapter: Adapter, specs: SpecSet, *, crds_dir: Path, root: Path, workdir: Path,
    pact_dir: Path, recorder: Recorder,
) -> Path:  # fmt: skip
    """Run the implementation's sync against the Pact mock of the recorded NetBox; return the pact file."""
    from harness.suites.replay import _fabric_and_mode, offline_world  # noqa: PLC0415 - the same rules

    netbox = load_cassette(scenario / "netbox.yaml", specs, "netbox")
    fabric, mode = _fabric_and_mode(netbox)
    consumer = str(adapter.info.get("name") or adapter.name)
    pact, _ = pact_from_recording(consumer, netbox)
    problems: list[str] = []
    with pact.serve(addr="127.0.0.1", raises=False, verbose=False) as server:
        proxy = ContractProxy(str(server.url).rstrip("/"), specs, "netbox").start()
        try:
            with offline_world(proxy.url, crds_dir=crds_dir, workdir=workdir, root=root, mode=mode) as (endpoints, *_):
                result = run_action(adapter.command("sync", endpoints, fabric=fabric))
            findings = [f for ex in proxy.exchanges for f in ex.findings]
            mismatches = list(server.mismatches)
        finally:
            proxy.stop()
    for finding in findings:
        problems.append(f"the implementation's NetBox client broke the contract: {finding}")
    for mismatch in mismatches:
        problems.append(f"Pact mock: {mismatch} (the implementation's NetBox traffic differs from the recorded "
                        f"sync: `harness record` again if that is intended)")  # fmt: skip
    if result.returncode != 0:
        problems.append(f"the sync against the Pact mock exited {result.returncode}: {result.stderr[-600:]}")
    verdict = "fail" if problems else "pass"
    asked = {ex.operation_id for ex in proxy.exchanges if ex.operation_id}
    for op_id in sorted(asked):
        op = specs.operations().get(op_id)
        if op is not None:
            recorder.record(operation_id(spec_file(op.loc, root), op.id), "operation", verdict,
                            "pact consumer: the implementation's client")  # fmt: skip
    assert not problems, "\n".join(problems)
    pact_dir.mkdir(parents=True, exist_ok=True)
    pact.write_file(pact_dir, overwrite=True)
    return pact_dir / f"{consumer}-{PROVIDER}.json"
