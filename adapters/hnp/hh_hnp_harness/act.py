"""``python -m hh_hnp_harness.act ACTION --fabric NAME``: one HNP action, as the harness runs commands.

Reads HNP_NETBOX_URL, HNP_NETBOX_TOKEN, HNP_LOGIN_USER, HNP_LOGIN_PASSWORD and, for ``setup``,
HNP_KUBE_SERVER. Exit 0 when HNP reports success; otherwise 1 with HNP's message on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from hh_hnp_harness.client import HNPClient
from hh_hnp_harness.configure import ensure_fabric

ACTIONS = {"sync": "sync", "test-connection": "test-connection"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hh_hnp_harness.act")
    parser.add_argument("action", choices=["setup", *ACTIONS])
    parser.add_argument("--fabric", required=True)
    args = parser.parse_args(argv)
    env = os.environ
    client = HNPClient(env["HNP_NETBOX_URL"], env["HNP_NETBOX_TOKEN"], env["HNP_LOGIN_USER"], env["HNP_LOGIN_PASSWORD"])
    try:
        if args.action == "setup":
            ensure_fabric(client, args.fabric, env["HNP_KUBE_SERVER"])
            return 0
        found = client.named("fabrics", args.fabric)
        if not found:
            print(f"no HNP fabric named {args.fabric!r}", file=sys.stderr)
            return 1
        reply = client.action(found[0]["id"], ACTIONS[args.action])
    finally:
        client.close()
    if reply.body is None:
        print(f"HNP answered {reply.status} {reply.content_type}, not JSON", file=sys.stderr)
        return 1
    print(json.dumps(reply.body))
    if not reply.body.get("success"):
        print(str(reply.body.get("error", "")), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
