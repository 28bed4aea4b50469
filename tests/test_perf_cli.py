"""The CLI imports only the chosen command's module, and its static command table says exactly
what the modules register (the help lines ``harness --help`` shows come from the table)."""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli import COMMANDS, build_parser, main

ROOT = Path(__file__).resolve().parents[1]


def _registered(module: str) -> list[tuple[str, str]]:
    sub = argparse.ArgumentParser().add_subparsers()
    importlib.import_module(module).register(sub)
    return [(action.dest, str(action.help)) for action in sub._choices_actions]


def test_the_command_table_says_what_each_module_registers() -> None:
    registered = [pair for module in dict.fromkeys(m for m, _ in COMMANDS.values()) for pair in _registered(module)]
    assert registered == [(name, help_line) for name, (_, help_line) in COMMANDS.items()]


def test_help_lists_every_command_as_with_every_module_loaded() -> None:
    assert build_parser("").format_help() == build_parser().format_help()


def test_validate_imports_no_other_command_module() -> None:
    code = (
        "import sys; from harness.cli import main; main(['validate', 'tests/data/broken/yaml_syntax']); "
        "print('loaded:', *sorted(m for m in sys.modules if m.startswith('harness.commands.')))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False)
    assert proc.stdout.splitlines()[-1] == "loaded: harness.commands.validate", proc.stderr


def test_an_unknown_command_is_a_usage_error_naming_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["nosuch"])
    assert exited.value.code == 2
    assert "{" + ",".join(COMMANDS) + "}" in capsys.readouterr().err


def test_serve_github_does_not_load_the_http_client() -> None:
    """The twin serves with werkzeug; httpx (and the rich/click it loads) is the targets' client
    side, loaded by a twin only at its first webhook delivery."""
    code = "import sys, harness.targets.github.server; print('httpx' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.strip() == "False"


def test_the_budget_rows_are_this_runs_durations_against_their_budgets(tmp_path: Path) -> None:
    from benchmarks.bench_budgets import run  # noqa: PLC0415

    (tmp_path / "ci-offline.s").write_text("150\n")
    (tmp_path / "offline-profile.s").write_text("30\n")
    rows, missing = run(tmp_path)
    assert [(r.name, r.seconds, r.budget_s) for r in rows] == [
        ("harness run --profile offline", 30, 60),
        ('offline tier (pytest -m "not live")', 150, 120),
    ]
    assert "x  1.25 of its budget 120 s" in rows[1].line() and "over budget" in rows[1].line()
    assert missing == ["harness run --profile embedded", ".ci/run"]
