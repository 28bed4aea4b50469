"""The rows of the fast-gate table that are durations, not ratios: what this CI run took against
the budget the issue set for it (the offline tier, the offline and embedded profiles, the whole
run). They are read from ``reports/timings`` (``NAME.s`` files with seconds, written by
``scripts/ci-tier.sh`` and ``scripts/wheel-check.sh`` when ``HARNESS_TIMINGS_DIR`` names it, as
``make test`` does; ``started``, the epoch second the run started, from ``make test``), so they say
what this machine did in this run: unlike the side-by-side ratios, they do not compare across
machines."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Budget:
    """One duration of this run against its budget."""

    name: str
    seconds: float
    budget_s: float
    where: str

    def line(self) -> str:
        ratio = self.seconds / self.budget_s
        verdict = "within" if ratio <= 1 else "over"
        return (f"{self.name:<44} x{ratio:6.2f} of {'its budget ' + _human(self.budget_s):<36} "
                f"({_human(self.seconds)}, {verdict} budget; {self.where})")  # fmt: skip


def _human(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 600 else f"{seconds / 60:.1f} min"


def _read(timings: Path, name: str, suffix: str = ".s") -> float | None:
    try:
        return float((timings / f"{name}{suffix}").read_text("utf-8").strip())
    except (OSError, ValueError):
        return None


# (row, timing files summed, budget in seconds, where the time comes from)
ROWS: tuple[tuple[str, tuple[str, ...], float, str], ...] = (
    ("harness run --profile offline", ("offline-profile",), 60, "the wheel check's installed run"),
    ('offline tier (pytest -m "not live")', ("ci-offline",), 120, "scripts/ci-tier.sh offline"),
    ("harness run --profile embedded", ("offline-profile", "embedded-live"), 600,
     "the wheel check: offline items, then live items"),
)  # fmt: skip
CI_BUDGET_S = 25 * 60


def run(timings: Path) -> tuple[list[Budget], list[str]]:
    """Each row whose timings this run wrote, and a note for each it did not."""
    rows: list[Budget] = []
    missing: list[str] = []
    for name, files, budget, where in ROWS:
        parts = [_read(timings, f) for f in files]
        if any(p is None for p in parts):
            missing.append(name)
        else:
            rows.append(Budget(name, sum(p for p in parts if p is not None), budget, where))
    started, benchmarks = _read(timings, "started", suffix=""), _read(timings, "benchmarks", suffix=".started")
    if started is None:
        missing.append(".ci/run")
    else:  # up to the benchmarks' start (make test's last part), or now
        until = time.time() if benchmarks is None else benchmarks
        rows.append(Budget(".ci/run up to the benchmarks", until - started, CI_BUDGET_S,
                           "since .ci/run started"))  # fmt: skip
    return rows, missing
