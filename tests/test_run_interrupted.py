"""`harness run` ended by SIGTERM (a CI timeout, `kill`) stops like Ctrl-C: exit 2, and the partial
report of what ran so far is written."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_sigterm_writes_the_partial_report_and_exits_2(tmp_path: Path) -> None:
    env = {**os.environ, "CI": "true", "HARNESS_EVENTS_DIR": ""}  # CI: one plain line per finished item
    run = subprocess.Popen(
        # the webhook fault items: a few seconds each, several of them, so the signal lands mid-run
        [sys.executable, "-m", "harness.cli", "run", "--profile", "offline", "--report", str(tmp_path),
         "--", "-k", "HH-HOOK"],
        cwd=ROOT, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert run.stderr is not None
        for line in run.stderr:  # the condition: an item that records spec elements has finished
            if line.startswith("harness: [fault] specs/errors/webhook.yaml::"):
                break
        run.send_signal(signal.SIGTERM)
        _, rest = run.communicate(timeout=120)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 2, rest[-2000:]
    report = json.loads((tmp_path / "report.json").read_text())
    assert sum(e["exercised"] for e in report["elements"]) > 0  # what ran before the signal is in it
    assert (tmp_path / "junit.xml").is_file()
