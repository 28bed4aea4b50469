"""The saved failure corpus: a failure found live, shrunk by Hypothesis, kept as a replayable scenario.

One directory per failure::

    tests/regressions/<name>/scenario.yaml
    tests/regressions/<name>/cassettes/<boundary>.yaml     redacted VCR.py cassettes

``scenario.yaml`` (kind ``Regression``) holds the falsifying example as data (the request that
failed: method, path, query, body), the Hypothesis seed, the spec element it exercised, who
found it, and the failure: a ``check`` (``server_error``: the provider answered 5xx;
``contract``: the exchange broke its contract, with the findings as they were) and its message.

:func:`save_regression` writes one (generators call it with the failing exchanges);
:func:`replay_regression` reads one back offline and re-runs its check on the recorded
exchange that answered the example, against today's contracts. A replay that no longer sees
the failure means the checks or the contracts changed under it: re-run the live test with the
saved seed and update or delete the regression.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import yaml

from harness.proxy.exchange import Exchange
from harness.replay.cassette import Cassette, load_cassette, write_cassette
from harness.spec.models import SpecSet

KIND = "Regression"
CHECKS = ("server_error", "contract")
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_REQUIRED = ("name", "spec_element", "found_by", "seed", "falsifying_example", "failure", "cassettes")


class RegressionError(ValueError):
    """A regression directory that cannot be read; the message names the file and the field."""


@dataclass(frozen=True)
class Regression:
    """One saved failure, as read from its ``scenario.yaml``."""

    path: Path
    name: str
    spec_element: str
    found_by: str
    seed: str
    example: dict[str, Any]
    check: str
    message: str
    findings: tuple[str, ...]
    cassettes: dict[str, Path]


@dataclass
class Replay:
    """What replaying a regression offline saw."""

    regression: Regression
    exchange: Exchange | None
    reproduced: bool
    findings: list[str] = field(default_factory=list)
    detail: str = ""


def save_regression(
    root: Path,
    name: str,
    *,
    spec_element: str,
    found_by: str,
    seed: int | str,
    example: Mapping[str, Any],
    check: str,
    message: str,
    exchanges: Mapping[str, Iterable[Exchange]],
    secrets: Sequence[str] = (),
) -> Path:
    """Write the failure as ``root/<name>/`` (scenario.yaml and a redacted cassette per boundary)."""
    if not _NAME.match(name):
        raise RegressionError(f"regression name {name!r}: use lower-case letters, digits and '-' (max 63)")
    if check not in CHECKS:
        raise RegressionError(f"regression {name}: check {check!r} is not one of {', '.join(CHECKS)}")
    for key in ("method", "path"):
        if key not in example:
            raise RegressionError(f"regression {name}: the falsifying example needs '{key}'")
    directory = root / name
    cassettes = {}
    findings: list[str] = []
    for boundary, items in exchanges.items():
        listed = list(items)
        findings += [str(f) for ex in listed for f in ex.findings]
        write_cassette(directory / "cassettes" / f"{boundary}.yaml", listed, secrets=secrets)
        cassettes[boundary] = f"cassettes/{boundary}.yaml"
    failure: dict[str, Any] = {"check": check, "message": message}
    if check == "contract":
        failure["findings"] = findings
    data = {
        "kind": KIND,
        "name": name,
        "spec_element": spec_element,
        "found_by": found_by,
        "seed": str(seed),
        "falsifying_example": dict(example),
        "failure": failure,
        "cassettes": cassettes,
    }
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120)
    (directory / "scenario.yaml").write_text(text, encoding="utf-8")
    return directory


def load_regression(directory: Path) -> Regression:
    """Read ``directory/scenario.yaml``; every missing or malformed field is a :class:`RegressionError`."""
    path = directory / "scenario.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RegressionError(f"{path}: cannot read the regression: {exc}") from exc
    if not isinstance(data, dict) or data.get("kind") != KIND:
        raise RegressionError(f"{path}: expected a mapping with 'kind: {KIND}'")
    missing = [k for k in _REQUIRED if k not in data]
    if missing:
        raise RegressionError(f"{path}: missing field(s) {', '.join(missing)}")
    example, failure, cassettes = data["falsifying_example"], data["failure"], data["cassettes"]
    if not isinstance(example, dict) or not {"method", "path"} <= example.keys():
        raise RegressionError(f"{path}: /falsifying_example needs 'method' and 'path'")
    if not isinstance(failure, dict) or failure.get("check") not in CHECKS:
        raise RegressionError(f"{path}: /failure/check must be one of {', '.join(CHECKS)}")
    if not isinstance(cassettes, dict) or not cassettes:
        raise RegressionError(f"{path}: /cassettes must map a boundary to a cassette file")
    files = {str(b): directory / str(p) for b, p in cassettes.items()}
    for boundary, file in files.items():
        if not file.is_file():
            raise RegressionError(f"{path}: /cassettes/{boundary}: no file {file}")
    return Regression(
        path=directory,
        name=str(data["name"]),
        spec_element=str(data["spec_element"]),
        found_by=str(data["found_by"]),
        seed=str(data["seed"]),
        example=example,
        check=str(failure["check"]),
        message=str(failure.get("message", "")),
        findings=tuple(str(f) for f in failure.get("findings", [])),
        cassettes=files,
    )


def load_corpus(root: Path) -> list[Regression]:
    """Every regression under ``root`` (one per directory holding a scenario.yaml), by name."""
    return [load_regression(p.parent) for p in sorted(root.glob("*/scenario.yaml"))]


def replay_regression(regression: Regression, specs: SpecSet) -> Replay:
    """Re-run the saved check offline on the recorded exchange that answered the example."""
    loaded: list[Cassette] = [load_cassette(path, specs, b) for b, path in regression.cassettes.items()]
    exchange = next((ex for c in loaded for ex in c.exchanges if _answers(ex, regression.example)), None)
    if exchange is None:
        return Replay(regression, None, False, detail="no recorded exchange answers the falsifying example")
    findings = [str(f) for f in exchange.findings]
    if regression.check == "server_error":
        reproduced = exchange.status is not None and exchange.status >= 500
        detail = f"recorded status {exchange.status}"
    else:
        reproduced = sorted(findings) == sorted(regression.findings)
        detail = "contract findings now: " + ("; ".join(findings) or "none")
    return Replay(regression, exchange, reproduced, findings, detail)


def _answers(exchange: Exchange, example: Mapping[str, Any]) -> bool:
    if exchange.method != str(example["method"]).upper() or exchange.path != example["path"]:
        return False
    wanted = example.get("query") or {}
    return {k: sorted(v) for k, v in parse_qs(exchange.query, keep_blank_values=True).items()} == {
        k: sorted(v if isinstance(v, list) else [v]) for k, v in wanted.items()
    }
