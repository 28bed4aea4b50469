"""``python -m harness.report``: build report.json, junit.xml and report.html from recorded events."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from harness.report.build import build_report, project_universe, write_reports
from harness.report.events import load_events
from harness.spec.project import find_root


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.report", description=__doc__)
    parser.add_argument("--events", type=Path, required=True, help="directory of events-*.ndjson files")
    parser.add_argument("--out", type=Path, required=True, help="where report.json, junit.xml, report.html go")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--duration", type=float, default=0.0)
    parser.add_argument("--profile", default="")
    args = parser.parse_args(argv)
    if not args.events.is_dir():
        print(f"harness report: {args.events} is not a directory of events", file=sys.stderr)
        return 2
    universe, warnings = project_universe(find_root())
    targets = {"profile": args.profile} if args.profile else {}
    report = build_report(universe, load_events(args.events), seed=args.seed, duration_s=args.duration,
                          targets=targets, warnings=warnings)  # fmt: skip
    for path in write_reports(report, args.out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
