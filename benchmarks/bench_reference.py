"""What the reference implementation pays per process before it does any work: every sync, drift
and import run is a fresh process that parses the error catalogs, the state machines and the
Kubernetes contracts. The figure is that parse with the parser the reference uses
(``hh_reference.specs.YAML_LOADER``: libyaml's when PyYAML has it); the reference point is the same
files through PyYAML's pure-Python ``SafeLoader``, which the reference used before."""

from __future__ import annotations

import time
from pathlib import Path

import yaml

from benchmarks.sidebyside import Ratio, side_by_side

ROOT = Path(__file__).resolve().parents[1]


def _files() -> list[str]:
    paths = [*sorted((ROOT / "specs" / "errors").glob("*.yaml")), *sorted((ROOT / "state_machines").glob("*.yaml")),
             *sorted((ROOT / "contracts" / "kubernetes").glob("*.yaml"))]  # fmt: skip
    return [p.read_text(encoding="utf-8") for p in paths]


def _parse(texts: list[str], loader: type[yaml.SafeLoader]) -> float:
    started = time.perf_counter()
    for text in texts:
        yaml.load(text, Loader=loader)
    return time.perf_counter() - started


def spec_parse(repetitions: int) -> Ratio:
    from hh_reference.specs import YAML_LOADER  # noqa: PLC0415

    texts = _files()
    name = f"reference spec parse ({len(texts)} files)"
    figure, reference = (lambda: _parse(texts, YAML_LOADER)), (lambda: _parse(texts, yaml.SafeLoader))
    return side_by_side(name, figure, "the same with yaml.SafeLoader", reference, repetitions)
