"""Known findings in HNP (expected_findings.yaml) and the comparison a check ends with.

A check collects the findings it observes; ``verify`` fails the check only when what it observed
differs from what is recorded for it: a new non-conformance (HNP regressed, or the harness learned
to see more) or a recorded one that no longer shows (HNP fixed it: update the file). Known
findings keep the tier green and stay visible in the file and the README.

The record is pinned to the HNP archive it was observed on (``archive_sha256``). Against another
archive (an upgrade: a change of the archive path only) the differences are not failures: each is
a warning (``FindingsChanged``) in the report, and the session writes what every check observed
(``hnp-findings.yaml`` in the report directory), the record to pin for the new archive.
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

FILE = Path(__file__).resolve().parents[1] / "expected_findings.yaml"


class FindingsChanged(UserWarning):
    """What a check observed differs from a record made on another HNP archive."""


def archive_digest(path: Path) -> str:
    """sha256 of an HNP archive (what ``archive_sha256`` pins)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@cache
def pinned_archive(path: Path = FILE) -> str:
    """The sha256 of the HNP archive the record was made on; a record without one is an error."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    pin = raw.get("archive_sha256")
    if not isinstance(pin, str) or len(pin) != 64:
        raise ValueError(f"{path}: archive_sha256 must be the sha256 (64 hex digits) of the HNP archive the "
                         f"findings were recorded on, got {pin!r}")  # fmt: skip
    return pin


@dataclass(frozen=True)
class Finding:
    """One recorded non-conformance of HNP."""

    id: str
    title: str
    spec: str  # the spec element or catalog code it breaks
    checks: tuple[str, ...]  # the test ids that observe it
    reproduction: str
    where: str


@cache
def expected(path: Path = FILE) -> dict[str, Finding]:
    """The recorded findings by id; a malformed entry is an error naming the file and the entry."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out: dict[str, Finding] = {}
    for index, entry in enumerate(raw.get("findings", [])):
        missing = {"id", "title", "spec", "checks", "reproduction", "where"} - set(entry)
        if missing:
            raise ValueError(f"{path}: findings[{index}] lacks {sorted(missing)}")
        if entry["id"] in out:
            raise ValueError(f"{path}: findings[{index}]: duplicate id {entry['id']}")
        out[entry["id"]] = Finding(
            str(entry["id"]), str(entry["title"]), str(entry["spec"]), tuple(entry["checks"]),
            str(entry["reproduction"]).strip(), str(entry["where"]),
        )  # fmt: skip
    return out


def expected_for(check: str) -> set[str]:
    """The ids recorded as observed by ``check``."""
    return {f.id for f in expected().values() if check in f.checks}


@dataclass
class Observed:
    """What one check saw: finding id -> evidence (status codes, fields, messages; never secrets).
    ``pinned``: the HNP under test is the archive the record was made on (differences fail)."""

    check: str
    found: dict[str, str] = field(default_factory=dict)
    pinned: bool = True
    saw: str = ""  # what the check met instead, named when a recorded finding no longer shows

    def add(self, finding_id: str, evidence: str) -> None:
        self.found[finding_id] = evidence

    def problems(self) -> list[str]:
        """Differences from the record, each a sentence a maintainer can act on."""
        known = expected()
        wanted = expected_for(self.check)
        out = []
        for fid in sorted(set(self.found) - wanted):
            title = known[fid].title if fid in known else "not in expected_findings.yaml"
            out.append(f"new finding {fid} ({title}): {self.found[fid]}")
        for fid in sorted(wanted - set(self.found)):
            instead = f" (the check saw: {self.saw})" if self.saw else ""
            out.append(
                f"recorded finding {fid} ({known[fid].title}) no longer shows{instead}; HNP changed: update {FILE.name}"
            )
        return out

    def verify(self) -> None:
        """End the check: raise AssertionError listing every difference from the record (against
        another archive than the pinned one, warn with them instead)."""
        problems = self.problems()
        if problems and self.pinned:
            raise AssertionError("\n".join(problems))
        for problem in problems:
            warnings.warn(f"{self.check}: {problem} (HNP is not the archive {FILE.name} pins)", FindingsChanged,
                          stacklevel=2)  # fmt: skip
