"""Configure HNP for a run: a NetBox user that can log in (HNP's actions need a session), and a
fabric whose Kubernetes server is the harness's contract proxy in front of the stand-in."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

import httpx

from hh_hnp_harness.client import HNPClient

LOGIN_USER = "hh-harness-hnp"


def ensure_login_user(netbox_url: str, token: str, username: str = LOGIN_USER) -> str:
    # Resetting the password ends that user's other sessions: concurrent runs each use a user of their own.
    """Create (or reset) a plain, non-superuser NetBox user through NetBox's REST API; return its
    new password. The password lives only in the caller's memory."""
    # NetBox's validators want a numeral, an upper- and a lower-case letter: token_urlsafe may draw none
    password = f"{secrets.token_urlsafe(24)}Aa{secrets.randbelow(10)}"
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    with httpx.Client(base_url=netbox_url.rstrip("/"), headers=headers, timeout=30) as rest:
        found = rest.get("/api/users/users/", params={"username": username}).json()["results"]
        if found:
            response = rest.patch(f"/api/users/users/{found[0]['id']}/", json={"password": password})
        else:
            response = rest.post("/api/users/users/", json={"username": username, "password": password})
        if response.status_code not in (200, 201):
            raise RuntimeError(
                f"NetBox refused the login user {username!r}: {response.status_code} {response.text[:200]}"
            )
    return password


def delete_login_user(netbox_url: str, token: str, username: str) -> None:
    """Remove the login user a run created (through NetBox's REST API)."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    with httpx.Client(base_url=netbox_url.rstrip("/"), headers=headers, timeout=30) as rest:
        for row in rest.get("/api/users/users/", params={"username": username}).json()["results"]:
            rest.delete(f"/api/users/users/{row['id']}/")


def fabric_body(name: str, kube_server: str, namespace: str = "default", **extra: Any) -> dict[str, Any]:
    """What the harness stores in a fabric: the proxy as its server, a throwaway bearer token."""
    return {
        "name": name,
        "kubernetes_server": kube_server,
        "kubernetes_token": secrets.token_urlsafe(16),
        "kubernetes_namespace": namespace,
        **extra,
    }


def ensure_fabric(client: HNPClient, name: str, kube_server: str, namespace: str = "default") -> dict[str, Any]:
    """The fabric ``name``, created through REST, or re-pointed at ``kube_server`` when it exists."""
    found = client.named("fabrics", name)
    if found:
        response = client.patch("fabrics", found[0]["id"], {"kubernetes_server": kube_server})
    else:
        response = client.create("fabrics", fabric_body(name, kube_server, namespace))
    if response.status_code not in (200, 201):
        raise RuntimeError(f"HNP refused fabric {name!r}: {response.status_code} {response.text[:300]}")
    data: dict[str, Any] = response.json()
    return data


def client_from_settings(netbox_url: str, token: str, settings: Mapping[str, str]) -> HNPClient:
    """A client logged in as the configured user (``login_user`` / ``login_password`` settings)."""
    return HNPClient(netbox_url, token, settings.get("login_user", LOGIN_USER), settings.get("login_password", ""))
