"""``harness run``: the main job. Validate the specs, then run every generated suite in one pytest
session (in this process; ``--workers`` adds xdist workers), with a progress display, and write
the report.

What is collected: the project's spec directories (the generated suites: stateful, property,
fault, ...) and the extra test paths of ``[tool.harness] tests`` (a project's own tests of its
implementation, e.g. live end-to-end checks). Profiles select by marker:
- ``offline``: everything not marked ``live`` (no NetBox needed);
- ``embedded`` (default): everything, against the targets the harness manages (a real NetBox,
  the GitHub twin, the Kubernetes stand-in);
- ``live``: everything, against given targets: a NetBox (``--netbox-url``/``--netbox-token`` or
  HARNESS_NETBOX_URL/HARNESS_NETBOX_TOKEN), and optionally a GitHub (``--github-url``/
  ``--github-token`` or HARNESS_GITHUB_URL/HARNESS_GITHUB_TOKEN) and a cluster (``--kubeconfig`` or
  HARNESS_KUBECONFIG) instead of the twin and the stand-in. Each is probed before any test, within
  ``--probe-timeout`` seconds (10 by default): a target that is not what it claims, or does not
  answer in time, is one message and exit 2.
Items marked ``live`` run in groups, a group's items in order on one worker: with the managed
NetBox each world kind is a group and each worker manages its own NetBox (base port + 100 x the
worker's number), so ``--workers 2`` runs two kinds of world side by side; with a given NetBox
every live item is in one group, on one worker (the worlds reset that NetBox).

Exit status: 0 everything conformant, 1 non-conformance found, 2 harness or target error.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_NONCONFORMANT, EXIT_ERROR = 0, 1, 2
PROFILES = ("offline", "embedded", "live")


def register(sub: Any) -> None:
    p = sub.add_parser("run", help="the main job: validate specs, run every generated suite, write the report")
    p.add_argument("--profile", choices=PROFILES, default="embedded")
    p.add_argument("--report", type=Path, default=Path("reports"), metavar="DIR", help="where report.* go")
    p.add_argument("--seed", type=int, default=None, help="Hypothesis seed (default: Hypothesis's own)")
    p.add_argument("--max-examples", type=int, default=None, metavar="N", help="Hypothesis examples per property")
    p.add_argument("--adapter", default=None, metavar="NAME", help="the implementation's adapter (entry-point name "
                   "or module:attribute; default: [tool.harness] adapter, or the one installed)")  # fmt: skip
    p.add_argument("--netbox-url", help="an existing NetBox (profile live)")
    p.add_argument("--netbox-token", help="its API token (or HARNESS_NETBOX_TOKEN)")
    p.add_argument("--github-url", help="a GitHub API (profile live; default: the twin)")
    p.add_argument("--github-token", help="its token (or HARNESS_GITHUB_TOKEN)")
    p.add_argument("--kubeconfig", help="a cluster's kubeconfig (profile live; default: the stand-in)")
    p.add_argument(
        "--no-shrink",
        action="store_true",
        help="report each failing example as found, without shrinking it (faster; larger examples)",
    )
    p.add_argument(
        "--probe-timeout",
        type=_positive_seconds,
        default=10.0,
        metavar="SECONDS",
        help="profile live: how long each given target may take to answer its probe in all (default 10)",
    )
    p.add_argument("--workers", default="0", help="pytest-xdist workers (a number or auto; default 0: none)")
    p.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    p.set_defaults(func=run)


def _validate(root: Path, crds: Path) -> int:
    from harness.commands.validate import run as validate  # noqa: PLC0415

    args = argparse.Namespace(paths=[], format="text", crds=crds, allow_remote_refs=False)
    return int(validate(args))


def pytest_args(args: argparse.Namespace, root: Path, paths: list[Path]) -> list[str]:
    report = args.report.resolve()
    command = [*(str(p) for p in paths), f"--rootdir={root}", "-p", "no:cacheprovider", "-q", "--no-header", "-rfE",
               f"--harness-report={report}", f"--harness-events={report / 'events'}"]  # fmt: skip
    if args.profile == "offline":
        command += ["-m", "not live"]
    if args.seed is not None:
        command.append(f"--harness-seed={args.seed}")
    if args.max_examples is not None:
        command.append(f"--harness-max-examples={args.max_examples}")
    if args.no_shrink:
        command.append("--harness-no-shrink")
    if args.adapter:
        command.append(f"--harness-adapter={args.adapter}")
    if args.workers not in ("0", "1"):
        # groups dealt in collection order (harness.suites.SCHEDULE), not by their number of items
        command += ["-n", args.workers, "--dist", "loadgroup", "--no-loadscope-reorder"]
    return [*command, *args.pytest_args]


def _empty_report(root: Path, out: Path, started: float) -> None:
    """The report of a run that could not start its suites: every element not exercised."""
    from harness.report.build import build_report, project_universe, write_reports  # noqa: PLC0415
    from harness.report.events import EventLog  # noqa: PLC0415

    universe, warnings = project_universe(root)
    write_reports(build_report(universe, EventLog(), seed=None, duration_s=time.monotonic() - started,
                               warnings=warnings), out)  # fmt: skip
    print(f"harness run: partial report written to {out}/report.html", file=sys.stderr)


def _positive_seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not seconds > 0 or seconds == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds above 0 (e.g. 10 or 2.5)")
    return seconds


def _probe_live_targets(deadline_s: float) -> list[str]:
    """Start and stop each live target the environment names (NetBox always; GitHub and the
    cluster when given), each probe within ``deadline_s`` in all: one ``target NAME: what it
    did`` message per target that fails."""
    from harness.targets.base import Target, TargetError  # noqa: PLC0415
    from harness.targets.github.target import URL_ENV, GitHubLive  # noqa: PLC0415
    from harness.targets.kube.cluster import KUBECONFIG_ENV, ClusterKube  # noqa: PLC0415
    from harness.targets.netbox.live import ENV_TOKEN, ENV_URL, LiveNetBox  # noqa: PLC0415

    makers: dict[str, Callable[[], Target]] = {
        "netbox": lambda: LiveNetBox(os.environ[ENV_URL], os.environ.get(ENV_TOKEN, ""), deadline_s)
    }
    if os.environ.get(URL_ENV):
        makers["github"] = lambda: GitHubLive(os.environ[URL_ENV], probe_deadline_s=deadline_s)
    if os.environ.get(KUBECONFIG_ENV):
        makers["kubernetes"] = lambda: ClusterKube(
            kubeconfig=Path(os.environ[KUBECONFIG_ENV]), probe_deadline_s=deadline_s
        )
    failures = []
    for name, make in makers.items():
        try:
            target = make()
            try:
                target.start()
            finally:
                target.stop()
        except TargetError as exc:
            failures.append(f"target {name}: {exc}")
    return failures


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def run(args: argparse.Namespace) -> int:
    import pytest  # noqa: PLC0415 - the suites' runner, only for this command

    from harness.config import ConfigError, load_config  # noqa: PLC0415
    from harness.spec.project import default_spec_paths, find_root, shared_crds_dir  # noqa: PLC0415

    started = time.monotonic()
    root = find_root()
    try:
        config = load_config(root)
    except ConfigError as exc:
        print(f"harness run: {exc}", file=sys.stderr)
        return EXIT_ERROR
    crds = shared_crds_dir(root)
    if crds is None:
        print("harness run: the Hedgehog CRDs were not found: set [tool.harness] crds or HARNESS_CRDS_DIR",
              file=sys.stderr)  # fmt: skip
        return EXIT_ERROR
    os.environ["HARNESS_CRDS_DIR"] = str(crds)
    if args.netbox_url:
        os.environ["HARNESS_NETBOX_URL"] = args.netbox_url
    if args.netbox_token:
        os.environ["HARNESS_NETBOX_TOKEN"] = args.netbox_token
    for given, env in ((args.github_url, "HARNESS_GITHUB_URL"), (args.github_token, "HARNESS_GITHUB_TOKEN"),
                       (args.kubeconfig, "HARNESS_KUBECONFIG")):  # fmt: skip
        if given:
            os.environ[env] = given
    if args.profile == "live" and not os.environ.get("HARNESS_NETBOX_URL"):
        print("harness run: --profile live needs --netbox-url (or HARNESS_NETBOX_URL and HARNESS_NETBOX_TOKEN)",
              file=sys.stderr)  # fmt: skip
        return EXIT_ERROR
    from harness.adapter import AdapterError, load_adapter  # noqa: PLC0415

    try:  # a missing or broken adapter is one clear message, not an error in every test
        adapter = load_adapter(args.adapter or config.adapter, root)
    except AdapterError as exc:
        print(f"harness run: {exc}", file=sys.stderr)
        return EXIT_ERROR
    print(f"harness run: implementation {adapter.info}", file=sys.stderr)
    if args.profile == "live":  # a target that is not what it claims is one message, before any test
        failures = _probe_live_targets(args.probe_timeout)
        for failure in failures:
            print(f"harness run: {failure}", file=sys.stderr)
        if failures:
            _empty_report(root, args.report.resolve(), started)
            return EXIT_ERROR
    validated = _validate(root, crds)
    if validated == EXIT_ERROR:
        return EXIT_ERROR
    paths = [*default_spec_paths(root), *(p for p in config.tests if p.exists())]
    if config.cassettes is not None and config.cassettes.is_dir():
        paths.append(config.cassettes)  # the recorded corpus, replayed into the implementation
    events = args.report.resolve() / "events"
    events.mkdir(parents=True, exist_ok=True)
    for old in events.glob("*.ndjson"):
        old.unlink()
    from harness.commands.progress import Progress  # noqa: PLC0415

    progress = Progress(sys.stderr)
    # SIGTERM (a CI timeout, `kill`) ends the run the way Ctrl-C does: pytest stops, fixtures stop
    # what they started (the managed NetBox among them) and the partial report is written
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        code = pytest.main(pytest_args(args, root, paths), plugins=[progress])
    finally:
        signal.signal(signal.SIGTERM, previous)
        progress.close()
    print(f"harness run: {progress.summary()} in {time.monotonic() - started:.0f}s; "
          f"report written to {args.report.resolve()}/report.html", file=sys.stderr)  # fmt: skip
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        return EXIT_ERROR
    return EXIT_NONCONFORMANT if code == pytest.ExitCode.TESTS_FAILED or validated else EXIT_OK
