"""``harness kube validate``: check manifests against CRD schemas offline, as the API server would."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from harness.kube.admission import FieldValidation, ObjectReport, check_manifest_object
from harness.kube.crds import CrdError, CrdRegistry
from harness.kube.manifests import ManifestError, load_documents

EXIT_OK, EXIT_INVALID, EXIT_ERROR = 0, 1, 2


def register(sub: Any) -> None:
    """Add ``kube validate`` to the CLI."""
    kube = sub.add_parser("kube", help="Kubernetes manifests and CRDs")
    actions = kube.add_subparsers(dest="kube_command", required=True, parser_class=type(kube))
    validate = actions.add_parser(
        "validate", help="validate manifests against CRD schemas (exit 1 if any object is invalid)"
    )
    validate.add_argument("manifests", nargs="+", metavar="MANIFEST", help="YAML files (multi-document allowed)")
    validate.add_argument(
        "--crds", action="append", required=True, metavar="DIR", help="directory or file of CRDs (repeatable)"
    )
    validate.add_argument("--format", choices=("text", "json"), default="text")
    validate.add_argument(
        "--field-validation",
        choices=[m.value for m in FieldValidation],
        default=FieldValidation.STRICT.value,
        help="unknown fields: Strict rejects them (kubectl's default), Warn/Ignore prune them",
    )
    validate.set_defaults(func=run_validate)


def _text_line(report: ObjectReport) -> str:
    ident = f"{report.kind or '?'}/{report.name or '?'} ({report.api_version or '?'})"
    if report.ok:
        return f"{report.file}: {ident}: ok"
    return f"{report.file}: {ident}: invalid: " + "; ".join(report.errors)


def run_validate(args: argparse.Namespace) -> int:
    """Validate every object of every manifest; print one verdict per object."""
    registry = CrdRegistry()
    try:
        for crd_path in args.crds:
            path = Path(crd_path)
            if not path.exists():
                raise CrdError(f"{path}: no such file or directory (--crds takes a directory of CRD YAML files)")
            registry.load_paths([path])
        documents = [doc for manifest in args.manifests for doc in load_documents(Path(manifest))]
    except (CrdError, ManifestError) as exc:
        print(f"harness kube validate: {exc}", file=sys.stderr)
        return EXIT_ERROR
    mode = FieldValidation(args.field_validation)
    reports = [
        check_manifest_object(registry, doc.body, f"{doc.file}:{doc.line}", mode)
        for doc in documents
        if doc.body is not None
    ]
    if args.format == "json":
        print(json.dumps([r.as_dict() for r in reports], indent=2))
    else:
        for report in reports:
            print(_text_line(report))
    return EXIT_OK if all(r.ok for r in reports) else EXIT_INVALID
