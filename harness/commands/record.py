"""``harness record``: run the recording scenarios against live targets and write VCR cassettes.

The world is the harness's live world (:mod:`harness.world.live`: the test fabric built in NetBox,
the GitHub twin, the Kubernetes stand-in with the real CRDs, a contract proxy per boundary) around
the implementation named by its adapter; it needs a NetBox the harness may reset (the managed one,
on ``--netbox-port``; an existing NetBox given by ``--netbox-url`` is refused at its reset).
Cassettes are redacted as they are written. ``--compare DIR`` prints the drift between the new
recording and the corpus in DIR, per operation, and exits 1 when anything drifted.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from harness.adapter import Adapter, AdapterError, load_adapter
from harness.config import ConfigError, load_config
from harness.replay.cassette import CassetteError
from harness.replay.scenarios import SCENARIOS, ScenarioError, compare_corpora, record_scenarios
from harness.spec.loader import load_specs
from harness.spec.project import default_spec_paths, find_root, schema_dir, shared_crds_dir
from harness.targets.base import TargetError
from harness.targets.netbox import netbox_from_env
from harness.world.live import make_world

EXIT_OK, EXIT_DRIFT, EXIT_ERROR = 0, 1, 2


def _record(args: argparse.Namespace) -> int:
    if args.compare is not None and not args.compare.is_dir():
        print(f"harness record: --compare {args.compare}: no such cassette directory", file=sys.stderr)
        return EXIT_ERROR
    root = find_root()
    crds = shared_crds_dir(root)
    if crds is None:
        print("harness record: the Hedgehog CRDs were not found; set [tool.harness] crds or HARNESS_CRDS_DIR",
              file=sys.stderr)  # fmt: skip
        return EXIT_ERROR
    try:
        adapter = load_adapter(args.adapter or load_config(root).adapter, root)
    except (AdapterError, ConfigError) as exc:
        print(f"harness record: {exc}", file=sys.stderr)
        return EXIT_ERROR
    with ExitStack() as stack:
        return _record_in(args, root, crds, adapter, stack)
    return EXIT_ERROR  # not reached: ExitStack swallows no exception, but its type does not say so


def _record_in(args: argparse.Namespace, root: Path, crds: Path, adapter: Adapter, stack: ExitStack) -> int:
    target = netbox_from_env(url=args.netbox_url, token=args.netbox_token, port=args.netbox_port)
    work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="hh-record-")))
    out: Path = args.out or work / "cassettes"
    try:
        if not target.healthy():  # a NetBox this command started is stopped again
            stack.callback(target.stop)
        endpoint = target.start()
        specs = load_specs(default_spec_paths(root), schema_dir(root), root).specs
        worlds = make_world(adapter, specs, target, endpoint, crds_dir=crds, workdir=work, spec_root=root,
                            proxied=True)  # fmt: skip
        world = next(worlds)
        stack.callback(worlds.close)  # stops the proxies, the twin and the stand-in
        secrets = [s for s in (endpoint.secret, world.github.secret, world.kube.secret) if s]
        recordings = record_scenarios(world, world.fabric.site_slug, out, secrets, args.scenario or ())
        reports = compare_corpora(args.compare, out, specs) if args.compare else {}
    except (TargetError, ScenarioError, CassetteError, AdapterError) as exc:
        print(f"harness record: {exc}", file=sys.stderr)
        return EXIT_ERROR
    for rec in recordings:
        counts = ", ".join(f"{b} {n}" for b, n in rec.exchanges.items())
        print(f"{rec.scenario}: {counts} exchanges -> {rec.cassettes['netbox'].parent}", file=sys.stderr)
        for finding in rec.findings:
            print(f"  contract: {finding}", file=sys.stderr)
    if not args.compare:
        return EXIT_OK
    drifted = {f"{s}/{b}": r for (s, b), r in reports.items() if r.drifted}
    if args.json:
        print(json.dumps({k: r.to_dict() for k, r in drifted.items()}, indent=2))
    else:
        for key, report in drifted.items():
            print(f"== {key}\n{report}")
        print(f"{len(drifted)} of {len(reports)} cassette(s) drifted from {args.compare}")
    return EXIT_DRIFT if drifted else EXIT_OK


def register(sub: Any) -> None:
    """Add the ``record`` subcommand."""
    parser = sub.add_parser("record", help="record the replay scenarios against live targets as VCR cassettes")
    parser.add_argument("--out", type=Path, default=None, help="where to write <scenario>/<boundary>.yaml")
    parser.add_argument(
        "--scenario", action="append", choices=[s.name for s in SCENARIOS], help="record only these (repeatable)"
    )
    parser.add_argument("--compare", type=Path, default=None, metavar="DIR", help="report drift against this corpus")
    parser.add_argument("--json", action="store_true", help="print the drift report as JSON")
    parser.add_argument("--adapter", default=None, metavar="NAME", help="the implementation's adapter")
    parser.add_argument("--netbox-url", default=None, help="an existing NetBox (it must allow a reset)")
    parser.add_argument("--netbox-token", default=None, help="its API token (default $HARNESS_NETBOX_TOKEN)")
    parser.add_argument("--netbox-port", type=int, default=None, help="port of the managed NetBox")
    parser.set_defaults(func=_record)
