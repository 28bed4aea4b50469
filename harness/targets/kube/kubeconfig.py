"""Write a kubeconfig that points kubectl and the kubernetes client at a server URL."""

from __future__ import annotations

from pathlib import Path

import yaml

CONTEXT = "hh-harness"


def kubeconfig_text(url: str, namespace: str = "default") -> str:
    """A kubeconfig with one cluster/user/context named :data:`CONTEXT`; the stand-in needs no credentials."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": CONTEXT, "cluster": {"server": url}}],
        "users": [{"name": CONTEXT, "user": {}}],
        "contexts": [{"name": CONTEXT, "context": {"cluster": CONTEXT, "user": CONTEXT, "namespace": namespace}}],
        "current-context": CONTEXT,
        "preferences": {},
    }
    return yaml.safe_dump(config, sort_keys=False)


def write_kubeconfig(path: Path, url: str, namespace: str = "default") -> Path:
    """Write the kubeconfig to ``path`` (owner-readable only, as kubeconfigs usually are)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(kubeconfig_text(url, namespace), encoding="utf-8")
    path.chmod(0o600)
    return path
