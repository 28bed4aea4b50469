"""Measure a figure against its reference point in the same run, interleaved A B A B.

Every figure is reported as a ratio to a reference measured right next to it, so the number
means the same on a loaded 2-core machine as on an idle workstation; absolute times are shown
for orientation only.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass

# A timed callable returns the seconds it measured itself, so set-up and tear-down stay outside.
Timed = Callable[[], float]


@dataclass(frozen=True)
class Ratio:
    """``figure / reference`` per repetition, with the absolute medians behind it."""

    name: str
    reference: str
    ratios: tuple[float, ...]
    figure_s: float
    reference_s: float

    @property
    def median(self) -> float:
        return statistics.median(self.ratios)

    def line(self) -> str:
        spread = f"{min(self.ratios):.2f}-{max(self.ratios):.2f}"
        return (
            f"{self.name:<44} x{self.median:6.2f} of {self.reference:<36} (min-max {spread}, n={len(self.ratios)}; "
            f"{_ms(self.figure_s)} vs {_ms(self.reference_s)})"
        )


def _ms(seconds: float) -> str:
    if seconds < 0.01:
        return f"{seconds * 1e6:.0f} us"
    return f"{seconds * 1000:.1f} ms" if seconds < 10 else f"{seconds:.1f} s"


def side_by_side(name: str, figure: Timed, reference_name: str, reference: Timed, repetitions: int) -> Ratio:
    """Run reference and figure alternately ``repetitions`` times (reference first) and pair them up."""
    figures: list[float] = []
    references: list[float] = []
    for _ in range(repetitions):
        references.append(reference())
        figures.append(figure())
    ratios = tuple(f / r for f, r in zip(figures, references, strict=True))
    return Ratio(name, reference_name, ratios, statistics.median(figures), statistics.median(references))
