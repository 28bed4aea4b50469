"""Property checks of a renderer against the mapping and Kubernetes contracts.

Everything a check needs comes from the specs: per kind the contract resource (served
apiVersion, plural, schema) and the mapping (fields, invariants, rejects); the real CRDs come
from a registry. The checks are plain functions returning failure messages per mapping
invariant, so the generated tests (``tests/test_property_*.py``) stay thin and any binding with
``render``/``files``/``reimport`` can be checked. The file layout check (``<plural>/<name>.yaml``)
is reported under ``served_api_version``: both say the object is the served resource.
"""

from __future__ import annotations

import os
import random
import re
from collections import Counter
from collections.abc import Callable
from collections.abc import Mapping as MappingType
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.strategies import SearchStrategy

from harness.adapter import Renderer
from harness.kube.admission import FieldValidation, check_manifest_object
from harness.kube.crds import CrdRegistry
from harness.report.elements import error_id, field_id, invariant_id, spec_file
from harness.report.events import Recorder
from harness.spec.models import Mapping, MappingField, Resource, SpecSet

Obj = dict[str, Any]
Records = MappingType[str, list[dict[str, Any]]]
FABRIC = "fabric-one"
DEFAULT_MAX_EXAMPLES = 50
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


RenderBinding = Renderer  # what the property tests need from an implementation (the adapter's renderer)


@dataclass(frozen=True)
class KindSpec:
    """One Hedgehog kind: its contract resource, its mapping and their spec files."""

    resource: Resource
    mapping: Mapping
    mapping_file: str
    validator: jsonschema.Draft202012Validator


@dataclass
class Context:
    """The specs and the real CRDs, indexed for the checks."""

    kinds: dict[str, KindSpec]
    registry: CrdRegistry
    error_files: dict[str, str]

    @classmethod
    def build(cls, specs: SpecSet, registry: CrdRegistry, root: Path) -> Context:
        """Index ``specs``; a mapping whose kind has no contract resource is a spec error."""
        resources = {(r.api_version, r.kind): r for c in specs.contracts for r in c.resources}
        kinds: dict[str, KindSpec] = {}
        for mapping in specs.mappings:
            resource = resources.get((mapping.api_version, mapping.kind))
            if resource is None:
                raise ValueError(
                    f"{spec_file(mapping.loc, root)}: target {mapping.api_version} {mapping.kind} has no "
                    "resource in contracts/kubernetes/*.yaml"
                )
            validator = jsonschema.Draft202012Validator(resource.schema)
            kinds[mapping.kind] = KindSpec(resource, mapping, spec_file(mapping.loc, root), validator)
        errors = {e.code: spec_file(c.loc, root) for c in specs.catalogs for e in c.errors}
        return cls(kinds, registry, errors)


def _present(value: Any, path: list[str]) -> bool:
    """Whether the mapping path (``a.b[*].c``) resolves to a value in ``value``."""
    if not path:
        return value is not None
    head, rest = path[0], path[1:]
    each = head.endswith("[*]")
    key = head.removesuffix("[*]")
    if not isinstance(value, dict) or key not in value:
        return False
    inner = value[key]
    if not each:
        return _present(inner, rest)
    items = list(inner.values()) if isinstance(inner, dict) else inner if isinstance(inner, list) else []
    return any(_present(item, rest) for item in items)


def exercised_fields(ctx: Context, objects: list[Obj]) -> set[str]:
    """Field ids of every mapping field (and variant field) the objects carry."""
    out: set[str] = set()
    for obj in objects:
        kind = ctx.kinds.get(str(obj.get("kind")))
        if kind is None:
            continue
        candidates: list[tuple[MappingField, str | None]] = [(f, None) for f in kind.mapping.fields]
        candidates += [(f, v.id) for v in kind.mapping.variants for f in v.fields]
        for f, variant in candidates:
            if _present(obj, f.to.split(".")):
                out.add(field_id(kind.mapping_file, f.to, variant))
    return out


Failures = dict[str, list[tuple[str | None, str]]]  # invariant -> (kind or None for all kinds, message)


def check_objects(
    ctx: Context,
    objects: list[Obj],
    files: MappingType[str, bytes],
    expected: set[tuple[str, str]],
    prefix: str,
    *,
    fabric: str = FABRIC,
) -> Failures:
    """Failures per invariant name for one render (the files of ``fabric``): contract, CRD,
    apiVersion/plural, names, ports."""
    failures: Failures = {}

    def fail(invariant: str, message: str, kind: str | None = None) -> None:
        failures.setdefault(invariant, []).append((kind, f"{kind} {message}" if kind else message))

    names = {(str(o.get("kind")), str(o.get("metadata", {}).get("name"))) for o in objects}
    if names != expected:
        fail("dns_label_name", f"rendered (kind, name) differ from the intent: missing {sorted(expected - names)}, "
                               f"unexpected {sorted(names - expected)}")  # fmt: skip
    devices = {n for k, n in names if k in ("Switch", "Server")}
    for obj in objects:
        kind, name = str(obj.get("kind")), str(obj.get("metadata", {}).get("name"))
        spec = ctx.kinds.get(kind)
        if spec is None:
            fail("valid_against_contract", f"{name}: no mapping renders this kind")
            continue
        for error in spec.validator.iter_errors(obj):
            where = "/".join(map(str, error.absolute_path)) or "(root)"
            fail("valid_against_contract", f"{name}: {where}: {error.message}", kind)
        report = check_manifest_object(ctx.registry, obj, f"{kind} {name}", FieldValidation.STRICT)
        if not report.ok:
            fail("accepted_by_crd", f"{name}: {'; '.join(report.errors)}", kind)
        if obj.get("apiVersion") != spec.resource.api_version:
            served = spec.resource.api_version
            fail("served_api_version", f"{name}: apiVersion {obj.get('apiVersion')!r}, served is {served!r}", kind)
        path = f"{prefix}/{fabric}/{spec.resource.plural}/{name}.yaml"
        if path not in files:
            fail("served_api_version", f"{name}: not written to {path} (plural {spec.resource.plural!r})", kind)
        if len(name) > 63 or not _DNS_LABEL.match(name):
            fail("dns_label_name", f"metadata.name {name!r} is not a DNS label", kind)
        if kind == "Connection":
            body: Any = next(iter(obj["spec"].values()), {})
            for port in _ports(body):
                if port.split("/", 1)[0] not in devices:
                    fail("port_refs_resolve", f"{name}: port {port!r} names no rendered Switch/Server", kind)
    if len(files) != len(objects):
        fail("served_api_version", f"{len(objects)} objects written to {len(files)} files")
    return failures


def failure_text(failures: Failures) -> str:
    """Every failure, one per line, grouped by invariant."""
    return "\n".join(f"{name}: {message}" for name, items in sorted(failures.items()) for _, message in items)


def _ports(body: Any) -> list[str]:
    if not isinstance(body, dict):
        return []
    links = [body["link"]] if "link" in body else [*body.get("links", []), *body.get("peerLinks", []),
                                                     *body.get("sessionLinks", [])]  # fmt: skip
    return [str(end["port"]) for link in links for end in link.values() if isinstance(end, dict) and "port" in end]


def shuffled(records: Records, rng: random.Random) -> dict[str, list[dict[str, Any]]]:
    """The same records with every list in another order (the NetBox API promises no order)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for model, items in records.items():
        copied = list(items)
        rng.shuffle(copied)
        out[model] = copied
    return out


def differing(first: dict[str, bytes], second: dict[str, bytes]) -> list[str]:
    """Paths whose bytes differ (or that only one side has), in path order."""
    return sorted(p for p in first.keys() | second.keys() if first.get(p) != second.get(p))


def round_trip_failures(binding: RenderBinding, objects: list[Obj], files: MappingType[str, bytes]) -> list[str]:
    """The inverse side reads the files back as the same objects and plans them without problems."""
    loaded, issues = binding.reimport(files)
    failures = [f"{getattr(i, 'file', '?')}: {getattr(i, 'code', '?')} {getattr(i, 'message', i)}" for i in issues]
    key = lambda o: (o["kind"], o["metadata"]["name"])  # noqa: E731 - a sort key, named for reading
    if sorted(loaded, key=key) != sorted(objects, key=key):
        failures.append("the files do not read back as the rendered objects")
    return failures


@dataclass
class Tally:
    """Exercised elements of one generated test, recorded once at its end (not per example)."""

    passed: Counter[tuple[str, str]] = field(default_factory=Counter)
    failed: dict[tuple[str, str], str] = field(default_factory=dict)

    def ok(self, element: str, kind: str) -> None:
        self.passed[element, kind] += 1

    def fail(self, element: str, kind: str, detail: str) -> None:
        self.failed[element, kind] = detail

    def invariants(self, ctx: Context, objects: list[Obj], names: list[str], failures: Failures) -> None:
        """Count ``names`` for every mapping whose kind is among ``objects`` (and is declared there)."""
        for kind in sorted({str(o.get("kind")) for o in objects}):
            spec = ctx.kinds.get(kind)
            if spec is None:
                continue
            for name in names:
                if name not in spec.mapping.invariants:
                    continue
                element = invariant_id(spec.mapping_file, name)
                mine = [m for k, m in failures.get(name, []) if k in (kind, None)]
                if mine:
                    self.fail(element, "invariant", "; ".join(mine)[:2000])
                else:
                    self.ok(element, "invariant")

    def error(self, ctx: Context, code: str, ok: bool, detail: str) -> None:
        element = error_id(ctx.error_files.get(code, "specs/errors"), code)
        if ok:
            self.ok(element, "error")
        else:
            self.fail(element, "error", detail)

    def flush(self, recorder: Recorder, reproduction: str | None = None) -> None:
        """Record each element once: fail when any example failed it, else pass with the count."""
        for (element, kind), count in sorted(self.passed.items()):
            if (element, kind) not in self.failed:
                recorder.record(element, kind, "pass", f"{count} generated examples")
        for (element, kind), detail in sorted(self.failed.items()):
            recorder.record(element, kind, "fail", detail, reproduction)


NO_SHRINK_ENV = "HARNESS_NO_SHRINK"  # set by --harness-no-shrink (xdist workers and subprocesses inherit it)


def search_phases(shrink: bool = True) -> tuple[Phase, ...]:
    """Hypothesis's phases for a generated test: all of them, or without shrinking and explaining
    when ``shrink`` is false or the run asked for ``--harness-no-shrink`` (the first failing
    example is reported as found: a gate that needs the verdict, not the smallest example)."""
    shrink = shrink and os.environ.get(NO_SHRINK_ENV) != "1"
    return tuple(p for p in Phase if shrink or p not in (Phase.shrink, Phase.explain))


def hypothesis_settings(max_examples: int | None, *, shrink: bool = True) -> settings:
    """Settings of every generated property test: no deadline (rendering time is not a
    property), no example database (runs are reproduced by seed), the harness's example count.
    ``shrink=False`` reports the first failing example as found (for large schemas, where
    shrinking takes minutes and the failure message already names the field)."""
    return settings(
        max_examples=max_examples or DEFAULT_MAX_EXAMPLES,
        phases=search_phases(shrink),
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def run_property[T](
    strategy: SearchStrategy[T],
    body: Callable[[T], None],
    max_examples: int | None,
    seed_value: int | None,
    *,
    shrink: bool = True,
) -> None:
    """Run ``body`` on values of ``strategy`` as one Hypothesis test (shrinking on failure)."""

    @hypothesis_settings(max_examples, shrink=shrink)
    @given(strategy)
    def prop(value: T) -> None:
        body(value)

    if seed_value is not None:
        prop = seed(seed_value)(prop)
    prop()


def harness_options(config: Any) -> tuple[int | None, int | None]:
    """``--harness-max-examples`` and ``--harness-seed`` of a pytest config (None when the
    harness plugin is not loaded or the option was not given)."""
    values = []
    for name in ("--harness-max-examples", "--harness-seed"):
        value = config.getoption(name, default=None)
        values.append(int(value) if value is not None else None)
    return values[0], values[1]
