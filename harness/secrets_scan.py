"""Fail when a token-shaped value that is not a documented test value is in a file: the files git
tracks, cassettes, reports. ``make test`` runs it over the repository and ``reports/``.

    python -m harness.secrets_scan [--allow FILE] [PATH ...]   (default: the tracked files of .)

Shapes: GitHub tokens (``ghp_/gho_/ghs_/ghu_/ghr_``, ``github_pat_``), NetBox v2 tokens
(``nbt_<key>.<secret>``), JWTs (Kubernetes service-account tokens), PEM private keys, and
credentials after ``Authorization: Bearer|Token``. A documented test value is listed, exactly,
one per line, in the allow file (``.secrets-allowed``; ``#`` starts a comment). A finding is
printed as ``file:line: shape (first characters...)``, never in full. Exit 1 on a finding, 2 on a
usage or I/O error, 0 otherwise.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

SHAPES = {
    "GitHub token": re.compile(r"\b(?:ghp|gho|ghs|ghu|ghr)_[A-Za-z0-9]{20,}"),
    "GitHub fine-grained token": re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,}"),
    "NetBox v2 token": re.compile(r"\bnbt_[A-Za-z0-9]{6,}\.[A-Za-z0-9]{16,}"),
    "JWT": re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    "PEM private key": re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----[^-]{0,40}"),
    "Authorization credential": re.compile(r"\b(?:Bearer|Token) (?!<REDACTED>)([A-Za-z0-9._~+/=-]{24,})"),
}
SKIP_DIRS = frozenset(
    {".git", "node_modules", ".venv", ".tox", "site-packages", "__pycache__", ".mypy_cache", ".ruff_cache"}
)
MAX_BYTES = 8 << 20


def allowed_values(path: Path) -> set[str]:
    if not path.is_file():
        return set()
    values = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        value = line.split("#", 1)[0].strip()
        if value:
            values.add(value)
    return values


def _files(paths: Iterable[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_file():
            yield path
        elif path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and not SKIP_DIRS.intersection(child.parts):
                    yield child


def tracked_files(root: Path) -> list[Path]:
    done = subprocess.run(["git", "-C", str(root), "ls-files", "-z"], capture_output=True, check=True)
    return [root / name for name in done.stdout.decode().split("\0") if name]


def scan(files: Iterable[Path], allowed: set[str]) -> list[str]:
    findings = []
    for path in files:
        try:
            data = path.read_bytes()[:MAX_BYTES]
        except OSError:
            continue
        if b"\0" in data[:4096]:
            continue  # binary
        for number, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), start=1):
            for shape, pattern in SHAPES.items():
                for match in pattern.finditer(line):
                    value = match.group(match.lastindex or 0)
                    if value in allowed or any(value in a or a in value for a in allowed if len(a) >= 12):
                        continue
                    findings.append(f"{path}:{number}: {shape} ({value[:6]}...)")
    return findings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.secrets_scan", description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, help="files or directories (default: git's tracked files)")
    parser.add_argument("--allow", type=Path, default=Path(".secrets-allowed"), help="documented test values")
    args = parser.parse_args(argv)
    try:
        files = list(_files(args.paths)) if args.paths else tracked_files(Path("."))
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"secrets scan: cannot list the files: {exc}", file=sys.stderr)
        return 2
    findings = scan(files, allowed_values(args.allow))
    for finding in findings:
        print(f"secrets scan: {finding}", file=sys.stderr)
    if findings:
        print(f"secrets scan: {len(findings)} token-shaped value(s) that are not documented test values "
              f"(list a test value in {args.allow} to allow it)", file=sys.stderr)  # fmt: skip
        return 1
    print(f"secrets scan: {len(files)} files, no undocumented token-shaped value", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
