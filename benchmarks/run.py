"""``python -m benchmarks [--quick] [--only NAME...]``: every benchmark, each figure as a ratio to its
reference point measured side by side in the same run. It reports; it never fails on a figure."""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

QUICK = ("proxy", "validate", "serve", "render", "broken", "specs", "budgets")
BENCHMARKS = (*QUICK[:-1], "netbox", "budgets")  # --quick leaves out netbox: it starts two managed NetBox instances


class _Line(Protocol):
    def line(self) -> str: ...


def _budgets(timings: Path | None) -> list[_Line]:
    from benchmarks.bench_budgets import ROWS, run  # noqa: PLC0415

    if timings is None:  # not in make test: a reports/timings left by an earlier run is not this one's
        print("# not timed in this run (make test sets HARNESS_TIMINGS_DIR): "
              f"{', '.join(r[0] for r in ROWS)}, .ci/run", flush=True)  # fmt: skip
        return []
    rows, missing = run(timings)
    if missing:
        print(f"# not timed in this run (make test writes {timings}): {', '.join(missing)}", flush=True)
    return list(rows)


def _suite(quick: bool, requests: int | None, timings: Path | None) -> dict[str, Callable[[], Sequence[_Line]]]:
    from benchmarks import bench_cli, bench_netbox, bench_proxy, bench_reference, bench_render  # noqa: PLC0415  (each pulls in its subject)

    reps = 3 if quick else 7
    return {
        "proxy": lambda: bench_proxy.run(requests or (300 if quick else 2000), 3 if quick else 5),
        "validate": lambda: [bench_cli.validate(reps)],
        "serve": lambda: bench_cli.serve_github(reps),
        "render": lambda: bench_render.run((100, 1000), 3 if quick else 5),
        "broken": lambda: bench_cli.broken(1 if quick else 3),
        "specs": lambda: [bench_reference.spec_parse(reps)],
        "netbox": lambda: bench_netbox.run(120, reps),
        "budgets": lambda: _budgets(timings),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer requests and repetitions (under a minute)")
    parser.add_argument("--only", nargs="+", choices=BENCHMARKS, help="run only these benchmarks")
    parser.add_argument("--requests", type=int, help="GETs per proxy measurement (default 2000, 300 with --quick)")
    parser.add_argument("--timings", type=Path, default=os.environ.get("HARNESS_TIMINGS_DIR"), metavar="DIR",
                        help="where make test wrote this run's durations, the budgets rows (default: "
                             "$HARNESS_TIMINGS_DIR, which make test sets; unset, the rows are not timed)")  # fmt: skip
    args = parser.parse_args(argv)
    print(f"# {platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs, "
          f"{platform.machine()} {platform.system()}; ratio = figure / reference, median of A B A B runs")  # fmt: skip
    suite = _suite(args.quick, args.requests, args.timings)
    started = time.perf_counter()
    for name in args.only or (QUICK if args.quick else BENCHMARKS):
        for ratio in suite[name]():
            print(ratio.line(), flush=True)
    print(f"# {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return 0
