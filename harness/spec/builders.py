"""Build typed models from meta-schema-valid spec data."""

from __future__ import annotations

from typing import Any

from harness.spec.models import (
    Contract,
    ErrorCatalog,
    ErrorEntry,
    Forbidden,
    HttpBinding,
    KubeBinding,
    Loc,
    MachineTransitionRef,
    Mapping,
    MappingField,
    MappingVariant,
    Operation,
    Pattern,
    PatternStep,
    Resource,
    Rule,
    SpecSet,
    State,
    StateMachine,
    Transition,
)
from harness.spec.yamlsafe import Document


def add(specs: SpecSet, kind: str, doc: Document, data: dict[str, Any]) -> None:
    """Add the model of one spec document to ``specs``."""
    loc = Loc(doc, "")
    match kind:
        case "Contract":
            specs.contracts.append(_contract(data, loc))
        case "Mapping":
            specs.mappings.append(_mapping(data, loc))
        case "StateMachine":
            specs.machines.append(_machine(data, loc))
        case "ErrorCatalog":
            specs.catalogs.append(_catalog(data, loc))
        case "Pattern":
            specs.patterns.append(_pattern(data, loc))
        case _:
            raise ValueError(f"unknown spec kind {kind!r}")


def _contract(data: dict[str, Any], loc: Loc) -> Contract:
    ops = []
    for i, op in enumerate(data["operations"]):
        http = op.get("http")
        kube = op.get("kubernetes")
        ops.append(
            Operation(
                id=op["id"],
                summary=op["summary"],
                contract_id=data["id"],
                http=HttpBinding(http["method"], http["path"], http.get("upstream_operation_id")) if http else None,
                kubernetes=KubeBinding(kube["verb"], kube["resource"]) if kube else None,
                request=op.get("request", {}),
                responses=op.get("responses", {}),
                errors=tuple(op.get("errors", ())),
                loc=loc.child("operations", i),
            )
        )
    resources = []
    for i, res in enumerate(data.get("resources", ())):
        rloc = loc.child("resources", i)
        rules = tuple(
            Rule(r["id"], r["rule"], tuple(r.get("paths", ())), r.get("error"), rloc.child("rules", j))
            for j, r in enumerate(res.get("rules", ()))
        )
        resources.append(
            Resource(
                kind=res["kind"],
                group=res["group"],
                version=res["version"],
                plural=res["plural"],
                scope=res["scope"],
                schema=res["schema"],
                rules=rules,
                loc=rloc,
            )
        )
    return Contract(
        id=data["id"],
        boundary=data["boundary"],
        provider=data["provider"],
        operations=tuple(ops),
        resources=tuple(resources),
        loc=loc,
    )


def _field(f: dict[str, Any], loc: Loc) -> MappingField:
    return MappingField(
        to=f["to"],
        source=f.get("from"),
        transform=f["transform"],
        value=f.get("value"),
        map=f.get("map", {}),
        required=f.get("required", False),
        loc=loc,
    )


def _mapping(data: dict[str, Any], loc: Loc) -> Mapping:
    fields = tuple(_field(f, loc.child("fields", i)) for i, f in enumerate(data.get("fields", ())))
    variants = tuple(
        MappingVariant(
            id=v["id"],
            when=tuple(v["when"]),
            fields=tuple(_field(f, loc.child("variants", i, "fields", j)) for j, f in enumerate(v["fields"])),
            loc=loc.child("variants", i),
        )
        for i, v in enumerate(data.get("variants", ()))
    )
    return Mapping(
        id=data["id"],
        api_version=data["target"]["apiVersion"],
        kind=data["target"]["kind"],
        source_model=data["source"]["model"],
        source_operations=tuple(data["source"]["operations"]),
        select=tuple(data["source"].get("select", ())),
        name_from=data["name"]["from"],
        name_normalise=data["name"]["normalise"],
        fields=fields,
        variants=variants,
        invariants=tuple(data["invariants"]),
        rejects=tuple((r["id"], r["code"]) for r in data.get("rejects", ())),
        loc=loc,
    )


def _machine(data: dict[str, Any], loc: Loc) -> StateMachine:
    states = tuple(
        State(
            name=s["name"],
            final=s.get("final", False),
            invariants=tuple(s.get("invariants", ())),
            settle_timeout_s=s.get("settle_timeout_s"),
            loc=loc.child("states", i),
        )
        for i, s in enumerate(data["states"])
    )
    non_final = tuple(s.name for s in states if not s.final)
    transitions = []
    for i, t in enumerate(data["transitions"]):
        src = t["source"]
        sources = non_final if src == "*" else (src,) if isinstance(src, str) else tuple(src)
        transitions.append(
            Transition(
                trigger=t["trigger"],
                sources=sources,
                dest=t["dest"],
                guards=tuple(t.get("guards", ())),
                unless=tuple(t.get("unless", ())),
                errors=tuple(t.get("errors", ())),
                loc=loc.child("transitions", i),
            )
        )
    forbidden = tuple(
        Forbidden(f["source"], f["dest"], f["reason"], loc.child("forbidden", i))
        for i, f in enumerate(data.get("forbidden", ()))
    )
    return StateMachine(
        id=data["id"],
        title=data["title"],
        entity=data["subject"]["entity"],
        attribute=data["subject"]["attribute"],
        initial=data["initial"],
        states=states,
        transitions=tuple(transitions),
        forbidden=forbidden,
        guards=data.get("guards", {}),
        invariants=data.get("invariants", {}),
        loc=loc,
    )


def _catalog(data: dict[str, Any], loc: Loc) -> ErrorCatalog:
    entries = []
    for i, e in enumerate(data["errors"]):
        eloc = loc.child("errors", i)
        outcome = e["outcome"]
        entries.append(
            ErrorEntry(
                code=e["code"],
                title=e["title"],
                category=e["category"],
                boundary=e["boundary"],
                severity=e["severity"],
                retryable=e["retryable"],
                trigger=e["trigger"],
                retry=outcome.get("retry"),
                transitions=tuple(
                    MachineTransitionRef(t["machine"], t["trigger"], t["to"], eloc.child("outcome", "transitions", j))
                    for j, t in enumerate(outcome.get("transitions", ()))
                ),
                alert=outcome.get("alert"),
                message=outcome["message"],
                preserves=tuple(outcome["preserves"]),
                inject=e["inject"],
                catalog_id=data["id"],
                loc=eloc,
            )
        )
    return ErrorCatalog(id=data["id"], boundary=data["boundary"], errors=tuple(entries), loc=loc)


def _pattern(data: dict[str, Any], loc: Loc) -> Pattern:
    steps = tuple(
        PatternStep(
            name=s["name"],
            operations=tuple(s["operations"]),
            retries=tuple(s.get("retries", ())),
            fails_with=tuple(s.get("fails_with", ())),
            crash_point=s.get("crash_point", True),
            loc=loc.child("steps", i),
        )
        for i, s in enumerate(data["steps"])
    )
    return Pattern(id=data["id"], machine=data["machine"], steps=steps, loc=loc, action=data.get("action"))
