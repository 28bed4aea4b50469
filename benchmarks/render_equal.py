"""``python -m benchmarks.render_equal REV``: the renderer now and at git revision REV agree exactly.

A speed-up of the renderer must not change one byte of its output nor the code and message of one
refusal. Both versions render the same fabrics: the benchmark fabrics of several sizes, Hypothesis
fabrics drawn from the mapping contracts, and every invalid variant of every mapping reject.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hh_reference.errors import IntegrationError
from hh_reference.render import render_fabric
from hh_reference_harness.render import ReferenceRenderBinding
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.fabric import build
from harness.generate.property_fabric import Fabric, fabrics
from harness.generate.property_invalid import VARIANTS, invalid_fabrics

ROOT = Path(__file__).resolve().parents[1]
RENDER = "reference/hh_reference/render.py"
Render = Callable[[Any], list[dict[str, Any]]]


def _render_at(rev: str) -> Render:
    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:{RENDER}"], capture_output=True, check=True).stdout
    path = Path(tempfile.mkdtemp()) / "render_at_rev.py"
    path.write_bytes(source)
    spec = importlib.util.spec_from_file_location("render_at_rev", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    old: Render = module.render_fabric
    return old


def _outcome(render: Render, snap: Any) -> str:
    try:
        return json.dumps(render(snap))
    except IntegrationError as exc:
        return f"refused {exc.code}: {exc}"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    old = _render_at(argv[0])
    binding = ReferenceRenderBinding()
    checked = {"sized": 0, "drawn": 0, "invalid": 0}
    differ: list[str] = []

    def compare(kind: str, snap: Any, label: str) -> None:
        checked[kind] += 1
        if _outcome(old, snap) != _outcome(render_fabric, snap):
            differ.append(label)

    for switches in (3, 10, 37, 100, 300):
        compare("sized", build(switches), f"{switches} switches")

    def draw(kind: str, strategy: st.SearchStrategy[Fabric]) -> None:
        @settings(max_examples=300, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(strategy)
        def drawn(fab: Fabric) -> None:
            compare(kind, binding.snapshot(fab.site, fab.records), repr(fab.records)[:200])

        drawn()

    draw("drawn", st.one_of(fabrics(), fabrics(full=True)))
    draw("invalid", st.one_of(*(invalid_fabrics(m, r) for m, r in sorted(VARIANTS))))
    print(f"compared {checked}; {len(differ)} differ")
    for label in differ[:5]:
        print("  differs:", label)
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
