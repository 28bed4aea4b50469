"""The secret scan `make test` runs: a planted token fails it, naming the file and the shape but
never printing the token; a documented test value is allowed; the repository itself is clean."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from harness.secrets_scan import main

ROOT = Path(__file__).resolve().parents[1]


# made per run inside the test: never in a test id (ids are reported, and must agree across xdist workers)
TOKENS = {
    "GitHub token": lambda: "ghp_" + secrets.token_hex(18),
    "GitHub fine-grained token": lambda: "github_pat_" + secrets.token_hex(20),
    "NetBox v2 token": lambda: f"nbt_{secrets.token_hex(6)}.{secrets.token_hex(20)}",
    "Authorization credential": lambda: "Bearer " + secrets.token_urlsafe(30),
}


@pytest.mark.parametrize("shape", list(TOKENS))
def test_a_planted_token_fails_the_scan_without_being_printed(
    shape: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    token = TOKENS[shape]()
    cassette = tmp_path / "reports" / "cassette.yaml"
    cassette.parent.mkdir()
    cassette.write_text(f"interactions:\n- request:\n    headers: {{x: '{token}'}}\n", encoding="utf-8")
    assert main([str(tmp_path / "reports"), "--allow", str(tmp_path / "none")]) == 1
    err = capsys.readouterr().err
    assert f"{cassette}:3: {shape}" in err
    assert token.rsplit(maxsplit=1)[-1] not in err


def test_a_documented_test_value_is_allowed(tmp_path: Path) -> None:
    token = "ghp_" + secrets.token_hex(18)
    (tmp_path / "f.txt").write_text(f"token = {token}\n", encoding="utf-8")
    (tmp_path / "allowed").write_text(f"{token}   # a fake for this test\n", encoding="utf-8")
    assert main([str(tmp_path / "f.txt"), "--allow", str(tmp_path / "allowed")]) == 0


def test_the_repository_holds_no_undocumented_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    assert main([]) == 0
