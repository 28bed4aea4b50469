"""``reference``: the reference integration's command line.

Exit status: 0 done, 1 the integration failed with a catalog code (printed), 2 usage or
configuration error. Configuration comes from ``--config FILE`` and REFERENCE_* variables.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hh_reference.config import Config, ConfigError, load_config
from hh_reference.errors import IntegrationError
from hh_reference.gitops import GitOps, RepoRef, git_blob_sha
from hh_reference.importer import ImportReport, import_manifests
from hh_reference.service import Services, build, netbox_client, open_store
from hh_reference.setup import ensure_setup

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
log = logging.getLogger("hh_reference")


def _print(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, sort_keys=True, default=str)
    sys.stdout.write("\n")


def cmd_init(config: Config, args: argparse.Namespace) -> int:
    catalog, store = open_store(config)
    store.close()
    changes = ensure_setup(netbox_client(config, catalog), config.spec_root)
    _print({"created": changes})
    return EXIT_OK


def cmd_sync(config: Config, args: argparse.Namespace) -> int:
    services = build(config)
    try:
        outcome = services.syncer.sync(args.fabric, reason="cli")
    finally:
        services.close()
    _print(outcome.__dict__)
    return EXIT_OK


def cmd_drift(config: Config, args: argparse.Namespace) -> int:
    services = build(config)
    try:
        report = services.drift.check(args.fabric)
    finally:
        services.close()
    _print(report.to_json())
    return EXIT_OK


def cmd_alert(config: Config, args: argparse.Namespace) -> int:
    """An operator's change of one alert of the fabric, journaled on its site like the status API's."""
    services = build(config)
    try:
        try:
            alert = services.store.alert(args.id)
        except KeyError:
            log.error("fabric %s has no alert %s", args.fabric, args.id)
            return EXIT_USAGE
        if alert.fabric != args.fabric:
            log.error("alert %s belongs to fabric %s, not %s", args.id, alert.fabric, args.fabric)
            return EXIT_USAGE
        changed = services.store.update_alert(args.id, args.change, operator=args.operator, reason=args.reason)
    finally:
        services.close()
    _print(changed.__dict__)
    return EXIT_OK


def cmd_status(config: Config, args: argparse.Namespace) -> int:
    _, store = open_store(config)
    try:
        fabrics = [args.fabric] if args.fabric else store.fabrics()
        out = {}
        for fabric in fabrics:
            drift = store.get_value(fabric, "drift_report")
            out[fabric] = {
                "fabric_sync": store.state("fabric_sync", fabric),
                "last_sync_commit": store.get_value(fabric, "last_sync_commit"),
                "resources": store.entities(fabric, "resource_lifecycle"),
                "alerts": [a.__dict__ for a in store.alerts(fabric=fabric, state="active")],
                "drift": json.loads(drift) if drift else None,
            }
    finally:
        store.close()
    _print(out)
    return EXIT_OK


def cmd_import(config: Config, args: argparse.Namespace) -> int:
    services = build(config)
    try:
        report, consumed, kept = _import(services, args)
        _alert_import_problems(services, args.fabric, report)
    except IntegrationError as error:
        entry = services.catalog.entry(error.code) if services.catalog.has(error.code) else None
        if entry is not None and entry.alert_severity:
            services.store.raise_alert(args.fabric, error.code, entry.alert_severity, error.message)
        raise
    finally:
        services.close()
    out: dict[str, Any] = {"ok": report.ok, "imported": report.imported}
    out["problems"] = [p.__dict__ for p in report.problems]
    if args.consume:
        out |= {"consumed": consumed, "kept": kept}
    _print(out)
    return EXIT_OK if report.ok else EXIT_FAILED


def _alert_import_problems(services: Services, fabric: str, report: ImportReport) -> None:
    """One alert per catalog code among the problems (the catalog's severity), naming the files."""
    by_code: dict[str, list[str]] = {}
    for problem in report.problems:
        by_code.setdefault(problem.code, []).append(problem.message)
    for code, messages in sorted(by_code.items()):
        entry = services.catalog.entry(code)
        if entry.alert_severity:
            more = f" (and {len(messages) - 1} more)" if len(messages) > 1 else ""
            services.store.raise_alert(fabric, code, entry.alert_severity, messages[0] + more)


def _import(services: Services, args: argparse.Namespace) -> tuple[ImportReport, list[str], list[str]]:
    """Fetch the manifests under ``--path`` of ``--repo`` at ``--ref`` and import them. With
    ``--consume`` (an ingestion directory such as raw/), each imported file is then removed from
    the branch, unless it changed since it was read (it is kept, to be imported again)."""
    owner, _, repo = args.repo.partition("/")
    if not owner or not repo:
        raise ConfigError(f"--repo must be OWNER/REPO, not {args.repo!r}")
    source = GitOps(services.gitops.api, RepoRef(owner, repo, args.ref or services.config.github_branch))
    files = source.read_files(source.head(), args.path.strip("/"))
    with tempfile.TemporaryDirectory(prefix="reference-import-") as tmp:
        for path, data in files.items():
            target = Path(tmp) / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        report = import_manifests(services.netbox, args.fabric, Path(tmp), services.config.spec_root)
    consumed: list[str] = []
    kept: list[str] = []
    if args.consume and report.ok:
        for path, data in sorted(files.items()):
            message = f"Imported {path} into NetBox fabric {args.fabric}"
            (consumed if source.remove_file(path, git_blob_sha(data), message) else kept).append(path)
    return report, consumed, kept


def cmd_serve(config: Config, args: argparse.Namespace) -> int:
    services = build(config)
    stop = threading.Event()
    # the web stack (starlette, uvicorn) only for the service: every sync process paid its import
    from hh_reference.api import BackgroundServer, JournalSyncTrigger, create_app  # noqa: PLC0415

    app = create_app(config, services.store, JournalSyncTrigger(services.store))
    server = BackgroundServer(app, config.listen_host, config.listen_port)
    server.start()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    log.info("serving on %s:%d", config.listen_host, config.listen_port)
    try:
        while not stop.is_set():
            for sync_id, fabric in services.store.open_syncs():
                try:
                    services.syncer.sync(fabric, reason="queued", sync_id=sync_id)
                except IntegrationError as error:
                    log.error("queued sync %s of %s failed: %s", sync_id, fabric, error.message)
            stop.wait(args.poll_interval)
    finally:
        server.stop()
        services.close()
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="reference", description="Reference Hedgehog NetBox integration")
    parser.add_argument("--config", type=Path, help="configuration file (TOML or YAML)")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("init", help="create the custom fields, tags, choice sets and roles in NetBox").set_defaults(
        func=cmd_init
    )
    p = sub.add_parser("sync", help="sync one fabric NetBox -> GitHub -> cluster")
    p.add_argument("--fabric", required=True)
    p.set_defaults(func=cmd_sync)
    p = sub.add_parser("drift", help="compare NetBox, Git and the cluster and record the drift")
    p.add_argument("--fabric", required=True)
    p.set_defaults(func=cmd_drift)
    # resolve is the integration's (guard condition_cleared), not an operator's
    p = sub.add_parser("alert", help="acknowledge or suppress one alert of a fabric")
    p.add_argument("--fabric", required=True)
    p.add_argument("--id", required=True, type=int, help="the alert's id (status lists them)")
    p.add_argument("--change", required=True, choices=("acknowledge", "suppress"))
    p.add_argument("--operator", help="who acts (acknowledge and suppress need one)")
    p.add_argument("--reason", help="why (suppress needs one)")
    p.set_defaults(func=cmd_alert)
    p = sub.add_parser("status", help="print the recorded states, alerts and last drift report")
    p.add_argument("--fabric")
    p.set_defaults(func=cmd_status)
    p = sub.add_parser("import", help="onboard a fabric from a GitOps repository of Hedgehog resources")
    p.add_argument("--fabric", required=True)
    p.add_argument("--repo", required=True, help="OWNER/REPO")
    p.add_argument("--path", required=True, help="directory in the repository holding the manifests")
    p.add_argument("--ref", default=None, help="branch (default: the configured branch)")
    p.add_argument(
        "--consume",
        action="store_true",
        help="remove each imported file from the branch afterwards (an ingestion directory such as raw/)",
    )
    p.set_defaults(func=cmd_import)
    p = sub.add_parser("serve", help="serve webhooks and the status API, and run queued syncs")
    p.add_argument("--poll-interval", type=float, default=1.0)
    p.set_defaults(func=cmd_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        config = load_config(args.config)
        code: int = args.func(config, args)
    except ConfigError as exc:
        print(f"reference: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except IntegrationError as error:
        print(f"reference: {error.message}", file=sys.stderr)
        return EXIT_FAILED
    except LookupError as exc:  # an unknown fabric or object named on the command line
        print(f"reference: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return code


if __name__ == "__main__":
    sys.exit(main())
