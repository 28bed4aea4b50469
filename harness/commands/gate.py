"""``harness gate report.json``: fail CI when coverage is below thresholds or anything failed.

Exit status: 0 thresholds hold and no element failed, 1 below a threshold or a failure,
2 the report cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_FAILED, EXIT_ERROR = 0, 1, 2
THRESHOLDS = (("transition", "min_transition_coverage"), ("error", "min_error_coverage"),
              ("operation", "min_operation_coverage"))  # fmt: skip


def register(sub: Any) -> None:
    p = sub.add_parser("gate", help="fail when a report's coverage is below thresholds or anything failed")
    p.add_argument("report", type=Path)
    # default: [tool.harness.gate] of the project's configuration, else 0
    p.add_argument("--min-transition-coverage", type=float, default=None, metavar="P")
    p.add_argument("--min-error-coverage", type=float, default=None, metavar="P")
    p.add_argument("--min-operation-coverage", type=float, default=None, metavar="P")
    p.add_argument("--fail-on-warnings", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        report = json.loads(args.report.read_text(encoding="utf-8"))
        totals: dict[str, Any] = report["totals"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"harness gate: {args.report}: not a readable harness report ({exc})", file=sys.stderr)
        return EXIT_ERROR
    from harness.config import ConfigError, load_config  # noqa: PLC0415
    from harness.spec.project import find_root  # noqa: PLC0415

    try:
        configured = load_config(find_root()).gate
    except ConfigError as exc:
        print(f"harness gate: {exc}", file=sys.stderr)
        return EXIT_ERROR
    problems: list[str] = []
    for kind, option in THRESHOLDS:
        given = getattr(args, option)
        wanted = given if given is not None else configured.get(option.replace("_", "-"), 0.0)
        if not 0 <= wanted <= 100:
            print(f"harness gate: --{option.replace('_', '-')} must be 0..100, got {wanted}", file=sys.stderr)
            return EXIT_ERROR
        have = (totals.get(kind) or {}).get("coverage")
        have = 0.0 if have is None else float(have)
        if have < wanted:
            total = totals.get(kind, {})
            problems.append(f"{kind} coverage {have:.1f}% < {wanted:.1f}% "
                            f"({total.get('exercised', 0)} of {total.get('total', 0)} exercised)")  # fmt: skip
    failed = [e["id"] for e in report.get("elements", []) if e.get("verdict") == "fail"]
    if failed:
        problems.append(
            f"{len(failed)} element(s) failed: {', '.join(failed[:10])}{' ...' if len(failed) > 10 else ''}"
        )
    if args.fail_on_warnings and report.get("warnings"):
        problems.append(f"{len(report['warnings'])} warning(s) and --fail-on-warnings")
    for problem in problems:
        print(f"harness gate: {problem}")
    if problems:
        return EXIT_FAILED
    summary = ", ".join(f"{k} {v['coverage']}%" for k, v in totals.items() if v.get("coverage") is not None)
    print(f"harness gate: ok ({summary})")
    return EXIT_OK
