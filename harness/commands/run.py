"""``harness run``: the main job. Validate the specs, start or reuse the targets the profile needs,
run every generated suite under pytest with a progress display, and write the report.

Profiles:
- ``offline``: everything that needs no NetBox: spec validation, property tests, replay of the
  recorded cassettes and of the saved failure corpus, and the stateful and fault suites that need
  only the Kubernetes stand-in and the GitHub twin;
- ``embedded`` (default): offline plus the live tier against a real NetBox the harness manages
  (``harness up netbox``), the GitHub twin and the Kubernetes stand-in;
- ``live``: the live tier against given targets (``--netbox-url``/``--netbox-token`` or
  HARNESS_NETBOX_URL/HARNESS_NETBOX_TOKEN; GitHub and Kubernetes likewise through the environment).

Exit status: 0 everything conformant, 1 non-conformance found, 2 harness or target error.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from harness.spec.project import find_root, shared_crds_dir

EXIT_OK, EXIT_NONCONFORMANT, EXIT_ERROR = 0, 1, 2
GENERATED_KINDS = "property or stateful or contract or replay or fault"


def register(sub: Any) -> None:
    p = sub.add_parser("run", help="the main job: validate specs, run every generated suite, write the report")
    p.add_argument("--profile", choices=("offline", "embedded", "live"), default="embedded")
    p.add_argument("--report", type=Path, default=Path("reports"), metavar="DIR", help="where report.* go")
    p.add_argument("--seed", type=int, default=0, help="Hypothesis seed (default 0: reproducible)")
    p.add_argument("--max-examples", type=int, default=50, metavar="N")
    p.add_argument("--netbox-url", help="an existing NetBox (profile live)")
    p.add_argument("--workers", default="auto", help="pytest-xdist workers for the offline tier (0: none)")
    p.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    p.set_defaults(func=run)


def _pytest(root: Path, markers: str, args: argparse.Namespace, env: dict[str, str], *, parallel: bool,
            events: Path) -> int:  # fmt: skip
    command = [
        sys.executable, "-m", "pytest", str(root / "tests"), "-m", markers,
        f"--harness-seed={args.seed}", f"--harness-max-examples={args.max_examples}",
        f"--harness-events={events}", "-p", "no:cacheprovider", "-q", "--no-header", "-rfE",
    ]  # fmt: skip
    if parallel and args.workers not in ("0", "1"):
        command += ["-n", args.workers]
    command += args.pytest_args
    print(f"harness run: pytest -m {markers!r}", file=sys.stderr, flush=True)
    return subprocess.run(command, cwd=root, env=env, check=False).returncode


def run(args: argparse.Namespace) -> int:
    root = find_root()
    started = time.monotonic()
    env = dict(os.environ)
    crds = shared_crds_dir(root)
    if crds is None:
        print("harness run: the Hedgehog CRDs were not found beside the project (../shared/hedgehog-crds); "
              "set HARNESS_CRDS_DIR", file=sys.stderr)  # fmt: skip
        return EXIT_ERROR
    env["HARNESS_CRDS_DIR"] = str(crds)
    if args.netbox_url:
        env["HARNESS_NETBOX_URL"] = args.netbox_url
    if args.profile == "live" and not env.get("HARNESS_NETBOX_URL"):
        print("harness run: --profile live needs --netbox-url (or HARNESS_NETBOX_URL and HARNESS_NETBOX_TOKEN)",
              file=sys.stderr)  # fmt: skip
        return EXIT_ERROR
    report = args.report.resolve()
    events = report / "events"
    events.mkdir(parents=True, exist_ok=True)
    for old in events.glob("*.ndjson"):
        old.unlink()

    validate = subprocess.run(
        [sys.executable, "-m", "harness.cli", "validate", "--crds", str(crds)], cwd=root, env=env, check=False
    )
    if validate.returncode not in (0, 1):
        return EXIT_ERROR
    codes = [validate.returncode]
    offline = f"({GENERATED_KINDS}) and not live"
    live = f"({GENERATED_KINDS}) and live"
    if args.profile in ("offline", "embedded"):
        codes.append(_pytest(root, offline, args, env, parallel=True, events=events))
    if args.profile in ("embedded", "live"):
        codes.append(_pytest(root, live, args, env, parallel=False, events=events))
    build = subprocess.run(
        [sys.executable, "-m", "harness.report", "--events", str(events), "--out", str(report),
         "--seed", str(args.seed), "--duration", f"{time.monotonic() - started:.1f}",
         "--profile", args.profile],
        cwd=root, env=env, check=False,
    )  # fmt: skip
    if build.returncode != 0:
        return EXIT_ERROR
    print(f"harness run: report written to {report}/report.html", file=sys.stderr)
    if any(code not in (0, 1, 5) for code in codes):
        return EXIT_ERROR
    return EXIT_NONCONFORMANT if any(code == 1 for code in codes) else EXIT_OK
