"""``harness serve kube|github``: run a local stand-in as a foreground process."""

from __future__ import annotations

import argparse
import importlib
from typing import Any


def _run(module: str) -> Any:
    def handler(args: argparse.Namespace) -> int:
        serve = importlib.import_module(module).serve_main
        code: int = serve(args)
        return code

    return handler


def register(sub: Any) -> None:
    serve = sub.add_parser("serve", help="run a local stand-in (Kubernetes API, GitHub twin) until interrupted")
    kinds = serve.add_subparsers(dest="target", required=True, parser_class=type(serve))

    kube = kinds.add_parser("kube", help="Kubernetes API stand-in with server-side CRD validation")
    kube.add_argument(
        "--crds",
        action="append",
        default=[],
        metavar="DIR",
        help="register every CustomResourceDefinition found in DIR (repeatable)",
    )
    kube.add_argument("--host", default="127.0.0.1")
    kube.add_argument("--port", type=int, default=0, help="0 picks a free port")
    kube.add_argument("--kubeconfig", metavar="PATH", help="write a kubeconfig for this server to PATH")
    kube.add_argument(
        "--ready-delay",
        type=float,
        default=0.2,
        metavar="SECONDS",
        help="how long the fabric controller takes to mark an object Ready",
    )
    kube.set_defaults(func=_run("harness.targets.kube.server"))

    gh = kinds.add_parser("github", help="GitHub REST + git smart-HTTP twin")
    gh.add_argument("--host", default="127.0.0.1")
    gh.add_argument("--port", type=int, default=0, help="0 picks a free port")
    gh.add_argument("--data-dir", metavar="DIR", help="where repositories live (default: a temporary directory)")
    gh.add_argument("--owner", default="hedgehog", help="the authenticated user's login")
    gh.add_argument("--webhook-url", metavar="URL", help="deliver push and pull_request events to URL")
    gh.set_defaults(func=_run("harness.targets.github.server"))
