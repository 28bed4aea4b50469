"""``harness validate``: load every spec, check it against its meta-schema, then across files."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from harness.spec.crosscheck import cross_check
from harness.spec.diagnostics import Diagnostic, Severity, SpecError
from harness.spec.loader import load_specs
from harness.spec.project import default_spec_paths, find_root, schema_dir

EXIT_OK, EXIT_INVALID, EXIT_ERROR = 0, 1, 2


def register(sub: Any) -> None:
    p = sub.add_parser("validate", help="validate specs against their meta-schemas and each other")
    p.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="spec files or directories (default: the project's spec directories)",
    )
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--crds", type=Path, metavar="DIR", help="check Kubernetes contracts against the CRDs in DIR")
    p.add_argument("--allow-remote-refs", action="store_true", help="follow http(s) $refs (refused by default)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    root = find_root(args.paths[0] if args.paths else None)
    paths = list(args.paths) or default_spec_paths(root)
    if not paths:
        print(f"harness validate: no spec paths given and none found under {root}", file=sys.stderr)
        return EXIT_ERROR
    try:
        result = load_specs(paths, schema_dir(root), root, allow_remote_refs=args.allow_remote_refs)
    except FileNotFoundError as exc:
        print(f"harness validate: {exc}: no such file or directory", file=sys.stderr)
        return EXIT_ERROR
    if result.files == 0:
        print(f"harness validate: no spec files (*.yaml) under {', '.join(map(str, paths))}", file=sys.stderr)
        return EXIT_ERROR
    diagnostics = list(result.diagnostics)
    diagnostics += cross_check(result.specs)
    if args.crds:
        from harness.spec.crds import check_against_crds, load_crd_versions  # noqa: PLC0415  (only with --crds)

        if not args.crds.is_dir():
            print(f"harness validate: --crds {args.crds}: not a directory", file=sys.stderr)
            return EXIT_ERROR
        try:
            diagnostics += check_against_crds(result.specs, load_crd_versions(args.crds))
        except SpecError as exc:
            print(f"harness validate: {exc}", file=sys.stderr)
            return EXIT_ERROR
    diagnostics.sort()
    errors = [d for d in diagnostics if d.severity is Severity.ERROR]
    warnings = [d for d in diagnostics if d.severity is Severity.WARNING]
    specs = result.specs
    summary = {
        "files": result.files,
        "contracts": len(specs.contracts),
        "operations": sum(len(c.operations) for c in specs.contracts),
        "mappings": len(specs.mappings),
        "state_machines": len(specs.machines),
        "transitions": sum(len(t.sources) for m in specs.machines for t in m.transitions),
        "error_codes": sum(len(c.errors) for c in specs.catalogs),
        "patterns": len(specs.patterns),
    }
    if args.format == "json":
        _print_json(errors, warnings, summary)
    else:
        _print_text(errors, warnings, summary)
    return EXIT_INVALID if errors else EXIT_OK


def _print_json(errors: list[Diagnostic], warnings: list[Diagnostic], summary: dict[str, int]) -> None:
    out = {
        "ok": not errors,
        "errors": [d.to_json() for d in errors],
        "warnings": [d.to_json() for d in warnings],
        "summary": summary,
    }
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")


def _print_text(errors: list[Diagnostic], warnings: list[Diagnostic], summary: dict[str, int]) -> None:
    for d in sorted(errors + warnings):
        print(d.to_text())
    counts = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in summary.items())
    verdict = "invalid" if errors else "valid"
    print(f"{verdict}: {len(errors)} error(s), {len(warnings)} warning(s); {counts}", file=sys.stderr)
