"""The progress display of ``harness run``: per suite (marker), how many items passed, failed,
were not applicable; a live table on a terminal (rich), one plain line per finished item in CI."""

from __future__ import annotations

from collections import Counter
from typing import Any, TextIO

import pytest

SUITES = ("stateful", "property", "contract", "replay", "fault")


class Progress:
    """A pytest plugin object: counts reports as they arrive (from xdist workers too)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.counts: dict[str, Counter[str]] = {}
        self._setup_s: dict[str, float] = {}
        self._live: Any = None
        if stream.isatty() and not _in_ci():
            try:
                from rich.console import Console  # noqa: PLC0415
                from rich.live import Live  # noqa: PLC0415
            except ImportError:
                return
            self._live = Live(self._table(), console=Console(file=stream), refresh_per_second=4, transient=False)
            self._live.start()

    @staticmethod
    def _suite(report: pytest.TestReport) -> str:
        keywords = report.keywords
        suite = next((s for s in SUITES if s in keywords), "other")
        return f"{suite} (live)" if "live" in keywords else suite

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "setup":
            self._setup_s[report.nodeid] = report.duration
        if report.when != "call" and not (report.failed or report.skipped):
            return
        # what the item cost: its fixtures' setup (a live world, a target) and its body
        took = self._setup_s.pop(report.nodeid, 0.0) + (report.duration if report.when == "call" else 0.0)
        verdict = "not applicable" if report.skipped else report.outcome
        suite = self._suite(report)
        self.counts.setdefault(suite, Counter())[verdict] += 1
        if self._live is not None:
            self._live.update(self._table())
        else:
            print(f"harness: [{suite}] {report.nodeid} {verdict} ({took:.1f} s)", file=self.stream, flush=True)

    def _table(self) -> Any:
        from rich.table import Table  # noqa: PLC0415

        table = Table(title="harness run", expand=False)
        for column in ("suite", "passed", "failed", "not applicable"):
            table.add_column(column, justify="left" if column == "suite" else "right")
        for suite, counts in sorted(self.counts.items()):
            table.add_row(suite, *(str(counts[v]) for v in ("passed", "failed", "not applicable")))
        return table

    def summary(self) -> str:
        total: Counter[str] = Counter()
        for counts in self.counts.values():
            total.update(counts)
        return ", ".join(f"{total[v]} {v}" for v in ("passed", "failed", "not applicable"))

    def close(self) -> None:
        if self._live is not None:
            self._live.stop()


def _in_ci() -> bool:
    import os  # noqa: PLC0415

    return bool(os.environ.get("CI"))
