"""The ``bad_input`` fixtures the error catalogs name, made against the real systems.

Each fixture mutates NetBox, the GitOps repository or the cluster through its public API, says
which action of the implementation meets the bad input (sync, drift or import), and returns an undo
that puts NetBox back (Git history is never rewritten; the next sync restores files and
cluster objects). A fixture that cannot be made raises :class:`FixtureError` naming why.
"""

from __future__ import annotations

import base64
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from kubernetes import client, config

from harness.targets.kube.controller import Outcome

Undo = Callable[[], None]


class FixtureError(RuntimeError):
    """A fixture could not be set up; the message names the fixture and the failing call."""


@dataclass
class FaultContext:
    """Where the fixtures act: the endpoints the implementation uses, without its proxies."""

    fabric: str
    netbox_url: str
    netbox_token: str = field(repr=False)
    github_url: str
    github_token: str = field(repr=False)
    owner: str
    repo: str
    kubeconfig: str
    drive_to_error: Callable[[], None]
    # a fresh cluster whose controller applies that outcome after ready_delay seconds; None restores
    use_cluster: Callable[[Outcome | None, float], None]
    run_sync: Callable[[], None]  # one sync of the fabric, no fault armed
    slow_controller: Callable[[float], None]  # the fabric controller reports Ready that many seconds after a write


@dataclass
class BadInput:
    """A fixture once applied: the action to run (with its options) and how to undo it."""

    action: Action
    undo: Undo


def _call(http: httpx.Client, method: str, path: str, what: str, **kwargs: Any) -> Any:
    response = http.request(method, path, **kwargs)
    if response.status_code >= 300:
        raise FixtureError(f"{what}: {method} {path} answered {response.status_code}: {response.text[:300]}")
    return response.json() if response.content else None


class _NetBox:
    def __init__(self, ctx: FaultContext) -> None:
        headers = {"Authorization": f"Token {ctx.netbox_token}", "Accept": "application/json"}
        self.http = httpx.Client(base_url=ctx.netbox_url, headers=headers, timeout=30)
        self.fabric = ctx.fabric

    def one(self, path: str, **params: Any) -> dict[str, Any]:
        found = _call(self.http, "GET", path, "find", params=params)["results"]
        if len(found) != 1:
            raise FixtureError(f"expected one {path} with {params}, found {len(found)}")
        return dict(found[0])

    def patch(self, path: str, obj_id: int, body: dict[str, Any]) -> Any:
        return _call(self.http, "PATCH", f"{path}{obj_id}/", "update", json=body)

    def patch_undo(self, path: str, obj_id: int, body: dict[str, Any], before: dict[str, Any]) -> Undo:
        self.patch(path, obj_id, body)
        return lambda: self.patch(path, obj_id, before)

    def device(self, name: str) -> dict[str, Any]:
        return self.one("/api/dcim/devices/", site=self.fabric, name=name)

    def prefix(self, prefix: str) -> dict[str, Any]:
        return self.one("/api/ipam/prefixes/", prefix=prefix)


Action = tuple[str, dict[str, str]]  # an adapter action and its options
SYNC: Action = ("sync", {})
DRIFT: Action = ("drift", {})


def _devices(name: str, new: Any) -> Callable[[FaultContext], BadInput]:
    def make(ctx: FaultContext) -> BadInput:
        nb = _NetBox(ctx)
        dev = nb.device(name)
        return BadInput(SYNC, nb.patch_undo("/api/dcim/devices/", dev["id"], {"name": new}, {"name": name}))

    return make


def _device_cf(name: str, values: dict[str, Any]) -> Callable[[FaultContext], BadInput]:
    def make(ctx: FaultContext) -> BadInput:
        nb = _NetBox(ctx)
        dev = nb.device(name)
        before = {k: (v["value"] if isinstance(v, dict) else v) for k, v in dev["custom_fields"].items() if k in values}
        return BadInput(SYNC, nb.patch_undo("/api/dcim/devices/", dev["id"], {"custom_fields": values},
                                            {"custom_fields": before}))  # fmt: skip

    return make


def _prefix_cf(prefix: str, body: dict[str, Any]) -> Callable[[FaultContext], BadInput]:
    def make(ctx: FaultContext) -> BadInput:
        nb = _NetBox(ctx)
        pfx = nb.prefix(prefix)
        before: dict[str, Any] = {"prefix": pfx["prefix"]}
        if "custom_fields" in body:
            before["custom_fields"] = {k: pfx["custom_fields"].get(k) for k in body["custom_fields"]}
        return BadInput(SYNC, nb.patch_undo("/api/ipam/prefixes/", pfx["id"], body, before))

    return make


def custom_fields_not_defined(ctx: FaultContext) -> BadInput:
    """Delete one hh_* custom field (one that holds no data in direct mode) and recreate it after."""
    nb = _NetBox(ctx)
    cf = nb.one("/api/extras/custom-fields/", name="hh_pull_request")
    keep = ("name", "label", "type", "object_types", "required", "description", "weight", "filter_logic",
            "ui_visible", "ui_editable", "validation_minimum", "validation_maximum", "group_name")  # fmt: skip
    # NetBox answers choice attributes as {value, label} but takes the bare value on write.
    body = {k: cf[k]["value"] if isinstance(cf[k], dict) and "value" in cf[k] else cf[k] for k in keep if k in cf}
    _call(nb.http, "DELETE", f"/api/extras/custom-fields/{cf['id']}/", "delete custom field")
    return BadInput(SYNC, lambda: _call(nb.http, "POST", "/api/extras/custom-fields/", "recreate", json=body))


def interface_name_not_a_port(ctx: FaultContext) -> BadInput:
    """leaf-03's cabled interface E1/3 is renamed to something no port reference can hold."""
    nb = _NetBox(ctx)
    iface = nb.one("/api/dcim/interfaces/", device=nb.device("leaf-03")["name"], site=ctx.fabric, name="E1/3")
    return BadInput(SYNC, nb.patch_undo("/api/dcim/interfaces/", iface["id"], {"name": "E1 3 (spare)"},
                                        {"name": "E1/3"}))  # fmt: skip


def vlan_namespace_ranges_over_contract_limit(ctx: FaultContext) -> BadInput:
    """The VLAN namespace's 1000-1999 is split into 20 adjacent ranges: the same VLANs, but 21 ranges
    where the contract (like the CRD) allows 20, so the VLANNamespace render fails its contract."""
    nb = _NetBox(ctx)
    site = nb.one("/api/dcim/sites/", slug=ctx.fabric)
    group = nb.one("/api/ipam/vlan-groups/", site_id=site["id"], tag="hh-vlan-namespace")
    before = group["vid_ranges"]
    split = [[low, low + 49] for low in range(1000, 2000, 50)] + [[3000, 3099]]
    return BadInput(SYNC, nb.patch_undo("/api/ipam/vlan-groups/", group["id"], {"vid_ranges": split},
                                        {"vid_ranges": before}))  # fmt: skip


def vpc_subnet_vlan_outside_namespace(ctx: FaultContext) -> BadInput:
    """vpc-2's subnet uses a VLAN (2500, no group) outside the namespace's ranges 1000-1999, 3000-3099."""
    nb = _NetBox(ctx)
    pfx = nb.prefix("10.20.1.0/24")
    vlan = _call(nb.http, "POST", "/api/ipam/vlans/", "create vlan", json={"vid": 2500, "name": "stray-2500"})
    old = pfx["vlan"]["id"] if pfx.get("vlan") else None
    nb.patch("/api/ipam/prefixes/", pfx["id"], {"vlan": vlan["id"]})

    def undo() -> None:
        nb.patch("/api/ipam/prefixes/", pfx["id"], {"vlan": old})
        _call(nb.http, "DELETE", f"/api/ipam/vlans/{vlan['id']}/", "delete vlan")

    return BadInput(SYNC, undo)


def mclag_cable_single_switch(ctx: FaultContext) -> BadInput:
    """server-02's two cables, both on leaf-02, are declared an mclag connection."""
    nb = _NetBox(ctx)
    cables = _call(nb.http, "GET", "/api/dcim/cables/", "list cables", params={"site": ctx.fabric, "limit": 500})
    mine = [
        c for c in cables["results"] if str(c["custom_fields"].get("hh_connection")).startswith("server-02--bundled")
    ]
    if not mine:
        names = sorted({str(c["custom_fields"].get("hh_connection")) for c in cables["results"]})
        raise FixtureError(f"mclag_cable_single_switch: server-02's bundled cables not found among {names}")
    undos = [nb.patch_undo("/api/dcim/cables/", c["id"], {"custom_fields": {"hh_connection_kind": "mclag"}},
                           {"custom_fields": {"hh_connection_kind": "bundled"}}) for c in mine]  # fmt: skip

    def undo() -> None:
        for one in undos:
            one()

    return BadInput(SYNC, undo)


def switch_role_unknown(ctx: FaultContext) -> BadInput:
    """Add 'leaf' to the role choice set (as an operator might) and give leaf-04 that role."""
    nb = _NetBox(ctx)
    cf = nb.one("/api/extras/custom-fields/", name="hh_switch_role")
    sets = "/api/extras/custom-field-choice-sets/"
    choice_set = _call(nb.http, "GET", f"{sets}{cf['choice_set']['id']}/", "choice set")
    before = choice_set["extra_choices"]
    nb.patch(sets, choice_set["id"], {"extra_choices": [*before, ["leaf", "leaf"]]})
    undo_device = _device_cf("leaf-04", {"hh_switch_role": "leaf"})(ctx).undo

    def undo() -> None:
        undo_device()
        nb.patch(sets, choice_set["id"], {"extra_choices": before})

    return BadInput(SYNC, undo)


def sync_status_forced_in_sync_after_error(ctx: FaultContext) -> BadInput:
    """The fabric fails a sync, then someone sets hh_sync_status to in_sync by hand."""
    ctx.drive_to_error()
    nb = _NetBox(ctx)
    site = nb.one("/api/dcim/sites/", slug=ctx.fabric)
    forced = {"custom_fields": {"hh_sync_status": "in_sync"}}
    return BadInput(
        SYNC, nb.patch_undo("/api/dcim/sites/", site["id"], forced, {"custom_fields": {"hh_sync_status": "error"}})
    )


# -- Git ----------------------------------------------------------------------------------------


class _Git:
    def __init__(self, ctx: FaultContext) -> None:
        headers = {"Authorization": f"Bearer {ctx.github_token}", "Accept": "application/vnd.github+json"}
        self.http = httpx.Client(base_url=f"{ctx.github_url}/repos/{ctx.owner}/{ctx.repo}", headers=headers, timeout=30)

    def commit(self, files: dict[str, str], message: str, branch: str = "main") -> str:
        head = _call(self.http, "GET", f"/git/ref/heads/{branch}", "head")["object"]["sha"]
        base = _call(self.http, "GET", f"/git/commits/{head}", "commit")["tree"]["sha"]
        entries = [{"path": p, "mode": "100644", "type": "blob", "content": c} for p, c in files.items()]
        tree = _call(self.http, "POST", "/git/trees", "tree", json={"base_tree": base, "tree": entries})["sha"]
        sha = _call(self.http, "POST", "/git/commits", "commit", json={"message": message, "tree": tree,
                                                                        "parents": [head]})["sha"]  # fmt: skip
        _call(self.http, "PATCH", f"/git/refs/heads/{branch}", "ref", json={"sha": sha, "force": False})
        return str(sha)

    def read(self, path: str) -> str:
        blob = _call(self.http, "GET", f"/contents/{path}", "read file")
        return base64.b64decode(blob["content"]).decode()


def _raw(document: str) -> Callable[[FaultContext], BadInput]:
    def make(ctx: FaultContext) -> BadInput:
        _Git(ctx).commit({"raw/manifest.yaml": document}, "Drop a manifest in raw/")
        return BadInput(("import", {"repo": f"{ctx.owner}/{ctx.repo}", "path": "raw"}), lambda: None)

    return make


_V1ALPHA2 = (
    "apiVersion: wiring.githedgehog.com/v1alpha2\nkind: Switch\nmetadata: {name: leaf-09}\nspec: {role: server-leaf}\n"
)
_UNKNOWN = "apiVersion: wiring.githedgehog.com/v1beta1\nkind: Router\nmetadata:\n  name: r-1\nspec: {}\n"


def managed_file_edited_in_git(ctx: FaultContext) -> BadInput:
    """Someone commits an edit to a managed file under fabrics/<fabric>/."""
    git = _Git(ctx)
    head = _call(git.http, "GET", "/git/ref/heads/main", "head")["object"]["sha"]
    tree = _call(git.http, "GET", f"/git/trees/{head}", "tree", params={"recursive": "1"})["tree"]
    prefix = f"fabrics/{ctx.fabric}/"
    files = sorted(str(e["path"]) for e in tree if e["type"] == "blob" and str(e["path"]).startswith(prefix))
    if not files:
        raise FixtureError(f"managed_file_edited_in_git: no managed file under fabrics/{ctx.fabric}/")
    path = next((f for f in files if "leaf-01" in f), files[0])
    text = git.read(path)
    git.commit({path: text.replace("server-leaf", "border-leaf", 1) + "# edited by hand\n"}, "Hand edit")
    return BadInput(DRIFT, lambda: None)


REQUIRED_CHECK = "ci/validate"  # the status context the pull-request world requires before a merge


def open_sync_pull(ctx: FaultContext) -> dict[str, Any]:
    """The fabric's open hh-sync/ pull request; when there is none, a NetBox change and a sync open one."""
    git = _Git(ctx)

    def find() -> list[dict[str, Any]]:
        pulls = _call(git.http, "GET", "/pulls", "list pulls", params={"state": "open"})
        return [p for p in pulls if str(p["head"]["ref"]) == f"hh-sync/{ctx.fabric}"]

    found = find()
    if not found:
        change_intent(ctx)
        ctx.run_sync()
        found = find()
    if not found:
        raise FixtureError(f"no open hh-sync/{ctx.fabric} pull request, even after a NetBox change and a sync")
    return found[0]


def report_check(ctx: FaultContext, state: str) -> None:
    """The required check reports ``state`` on the head of the open sync pull request."""
    pr = open_sync_pull(ctx)
    body = {"state": state, "context": REQUIRED_CHECK, "description": f"manifests validation: {state}"}
    _call(_Git(ctx).http, "POST", f"/statuses/{pr['head']['sha']}", "status", json=body)


def required_check_fails(ctx: FaultContext) -> BadInput:
    """A required status check reports failure on the head of the sync pull request."""
    report_check(ctx, "failure")
    return BadInput(SYNC, lambda: None)


def close_sync_pull(ctx: FaultContext) -> int:
    """Someone closes the open sync pull request without merging it; returns its number."""
    pr = open_sync_pull(ctx)
    _call(_Git(ctx).http, "PATCH", f"/pulls/{pr['number']}", "close pull", json={"state": "closed"})
    return int(pr["number"])


# -- cluster ------------------------------------------------------------------------------------


def _custom(ctx: FaultContext) -> client.CustomObjectsApi:
    api_client = config.new_client_from_config(config_file=ctx.kubeconfig)  # type: ignore[no-untyped-call]
    return client.CustomObjectsApi(api_client)


_SWITCHES = ("wiring.githedgehog.com", "v1beta1", "default", "switches")


def switch_spec_edited_out_of_band(ctx: FaultContext) -> BadInput:
    _custom(ctx).patch_namespaced_custom_object(*_SWITCHES, "leaf-01", {"spec": {"description": "edited by hand"}})
    return BadInput(DRIFT, lambda: None)


def switch_deleted_out_of_band(ctx: FaultContext) -> BadInput:
    _custom(ctx).delete_namespaced_custom_object(*_SWITCHES, "leaf-02")
    return BadInput(DRIFT, lambda: None)


def labelled_switch_not_in_netbox(ctx: FaultContext) -> BadInput:
    api = _custom(ctx)
    live = dict(api.get_namespaced_custom_object(*_SWITCHES, "leaf-03"))  # type: ignore[call-overload]
    labels = live["metadata"].get("labels", {})
    body = {"apiVersion": "wiring.githedgehog.com/v1beta1", "kind": "Switch",
            "metadata": {"name": "leaf-99", "labels": labels}, "spec": live["spec"]}  # fmt: skip
    api.create_namespaced_custom_object(*_SWITCHES[:3], "switches", body)
    return BadInput(DRIFT, lambda: None)


def controller_withholds_ready(ctx: FaultContext) -> BadInput:
    """The sync meets a fresh cluster whose fabric controller never reports Ready."""
    ctx.use_cluster(Outcome.NEVER, 0.0)
    return BadInput(SYNC, lambda: ctx.use_cluster(None, 0.0))


# -- preconditions: make the sync call the operation a proxy recipe is armed at ------------------


def change_intent(ctx: FaultContext) -> None:
    """Flip server-01's connection MTU in NetBox, so the render, Git and the Connection change."""
    nb = _NetBox(ctx)
    cables = _call(nb.http, "GET", "/api/dcim/cables/", "list cables", params={"site": ctx.fabric, "limit": 500})
    mine = [c for c in cables["results"] if str(c["custom_fields"].get("hh_connection", "")).startswith("server-01--")]
    if not mine:
        raise FixtureError("change_intent: server-01's cable not found")
    mtu = 9100 if mine[0]["custom_fields"].get("hh_mtu") == 9000 else 9000
    nb.patch("/api/dcim/cables/", mine[0]["id"], {"custom_fields": {"hh_mtu": mtu}})


def _edit_switch(ctx: FaultContext) -> None:
    _custom(ctx).patch_namespaced_custom_object(*_SWITCHES, "leaf-01", {"spec": {"description": "edited by hand"}})


def _slow_switch(ctx: FaultContext) -> None:
    """leaf-01 edited out of band, and a fabric controller that takes 10 s to report Ready: the sync
    replaces leaf-01 and watches the switches until it is Ready again (long enough for the
    catalog's five attempts, 7.5 s of backoff at most, to all meet the switch still waiting)."""
    _edit_switch(ctx)
    ctx.slow_controller(10.0)


def _delete_vpc(ctx: FaultContext) -> None:
    _custom(ctx).delete_namespaced_custom_object("vpc.githedgehog.com", "v1beta1", "default", "vpcs", "vpc-1")


def _extra_connection(ctx: FaultContext) -> set[str]:
    """A managed Connection the branch does not have, for the sync's prune to delete; its key."""
    api = _custom(ctx)
    coords = ("wiring.githedgehog.com", "v1beta1", "default", "connections")
    listed = dict(api.list_namespaced_custom_object(*coords))  # type: ignore[call-overload]
    live = next(i for i in listed["items"] if "unbundled" in i["metadata"]["name"])
    meta = {"name": "leaf-01--unbundled--server-99", "labels": live["metadata"].get("labels", {})}
    api.create_namespaced_custom_object(*coords, {"apiVersion": live["apiVersion"], "kind": "Connection",
                                                  "metadata": meta, "spec": live["spec"]})  # fmt: skip
    return {f"Connection/{meta['name']}"}


_INGESTED = itertools.count(1)


def _raw_server_to_ingest(ctx: FaultContext) -> None:
    """A valid Server manifest dropped in raw/ (a new name each time), for `import --consume`."""
    name = f"ingest-{next(_INGESTED):02d}"
    manifest = f"apiVersion: wiring.githedgehog.com/v1beta1\nkind: Server\nmetadata:\n  name: {name}\nspec: {{}}\n"
    _Git(ctx).commit({f"raw/{name}.yaml": manifest}, f"Drop {name} in raw/ for ingestion")


def _approved_sync_pull(ctx: FaultContext) -> None:
    report_check(ctx, "success")


# What must hold before a recipe's operation is called at all; one that makes cluster objects for the
# run to delete returns their keys (a run that recovers deletes them, as it should).
PRECONDITIONS: dict[str, Callable[[FaultContext], set[str] | None]] = {
    "github.pulls.create": change_intent,
    "github.pulls.merge": _approved_sync_pull,
    "github.git.create_blob": change_intent,
    "github.git.create_tree": change_intent,
    "github.git.create_commit": change_intent,
    "github.git.get_commit": change_intent,
    "github.git.update_ref": change_intent,
    "github.contents.delete": _raw_server_to_ingest,
    "k8s.connections.update": change_intent,
    "k8s.switches.update": _edit_switch,
    "k8s.switches.watch": _slow_switch,
    "k8s.vpcs.create": _delete_vpc,
    "k8s.connections.delete": _extra_connection,
}


# The action that makes the implementation call a recipe's operation, where it is not `sync`.
COMMANDS: dict[str, Callable[[FaultContext], Action]] = {
    "github.contents.delete": lambda ctx: (
        "import",
        {"repo": f"{ctx.owner}/{ctx.repo}", "path": "raw", "consume": "true"},
    ),
}


FIXTURES: dict[str, Callable[[FaultContext], BadInput]] = {
    "custom_fields_not_defined": custom_fields_not_defined,
    "device_name_not_normalisable": _devices("server-06", "!!!"),
    "interface_name_not_a_port": interface_name_not_a_port,
    "vlan_namespace_ranges_over_contract_limit": vlan_namespace_ranges_over_contract_limit,
    "vpc_subnet_vlan_outside_namespace": vpc_subnet_vlan_outside_namespace,
    "vpc_gateway_outside_subnet": _prefix_cf("10.10.2.0/24", {"custom_fields": {"hh_gateway": "10.99.0.1"}}),
    "switch_role_unknown": switch_role_unknown,
    "mclag_cable_single_switch": mclag_cable_single_switch,
    "switch_without_hh_switch_role": _device_cf("leaf-04", {"hh_switch_role": None}),
    "devices_names_collide": _devices("server-08", "Server_01"),
    "vpc_subnet_outside_namespace": _prefix_cf(
        "10.20.1.0/24",
        {
            "prefix": "10.30.1.0/24",
            "custom_fields": {"hh_gateway": "10.30.1.1", "hh_dhcp_start": "10.30.1.10", "hh_dhcp_end": "10.30.1.99"},
        },
    ),
    "sync_status_forced_in_sync_after_error": sync_status_forced_in_sync_after_error,
    "required_check_fails": required_check_fails,
    "raw_manifest_v1alpha2": _raw(_V1ALPHA2),
    "raw_manifest_unknown_kind": _raw(_UNKNOWN),
    "managed_file_edited_in_git": managed_file_edited_in_git,
    "controller_withholds_ready": controller_withholds_ready,
    "switch_spec_edited_out_of_band": switch_spec_edited_out_of_band,
    "switch_deleted_out_of_band": switch_deleted_out_of_band,
    "labelled_switch_not_in_netbox": labelled_switch_not_in_netbox,
}


def apply_fixture(name: str, ctx: FaultContext) -> BadInput:
    """Apply the named fixture; an unknown name is a FixtureError listing the known ones."""
    if name not in FIXTURES:
        raise FixtureError(f"no bad_input fixture named {name!r}; known: {', '.join(sorted(FIXTURES))}")
    return FIXTURES[name](ctx)
