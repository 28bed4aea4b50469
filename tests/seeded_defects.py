"""Seeded defects, each a source patch to a copy of the reference integration: the HNP defect
classes (../shared/domain/HNP-FACTS.md) and behaviour defects across render, sync, retry, drift,
Git, cluster, import, webhook and status write-back. tests/test_seeded_defects.py runs the
generated suite that must catch each one against the patched copy (it must fail, in the named
item) and against an unpatched copy (it must pass). The patches change the implementation's
code, never the specs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from harness.pytest_plugin import WORKER_PORT_STRIDE
from harness.targets.netbox.factory import ENV_PORT
from harness.targets.netbox.managed import DEFAULT_PORT

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Defect:
    name: str
    area: str  # render, sync, retry, drift, git, cluster, import, webhook, status, state
    what: str  # the bug, and what it breaks
    file: str  # inside hh_reference/
    old: str
    new: str
    suite: tuple[str, ...]  # pytest arguments selecting the generated tests that must catch it
    caught_by: str  # the generated item that fails on the patched copy
    live: bool = False  # the suite needs the managed NetBox (it runs in the live tier)


# The first six (the HNP defect classes) run in every `make test`; the behaviour defects run with
# `tox -e defects` (about 20 minutes of suites on two cores: more than the CI budget has left).
IN_CI = frozenset({"forbidden-transition-allowed", "wrong-plural", "wrong-api-version", "enum-drifted-from-contract",
                   "unchecked-webhook-signature", "swallowed-github-conflict"})  # fmt: skip


def materialise(defect: Defect | None, where: Path) -> Path:
    """A copy of the reference at ``where`` (the repository layout: specs beside it), with
    ``defect`` applied; returns the directory to put on PYTHONPATH."""
    package = where / "reference" / "hh_reference"
    shutil.copytree(ROOT / "reference" / "hh_reference", package, ignore=shutil.ignore_patterns("__pycache__"))
    for spec_dir in ("specs", "state_machines", "contracts"):
        (where / spec_dir).symlink_to(ROOT / spec_dir)
    if defect is not None:
        target = package / defect.file
        text = target.read_text(encoding="utf-8")
        if text.count(defect.old) != 1:
            raise AssertionError(f"{defect.name}: the code to patch is not found once in {defect.file}")
        target.write_text(text.replace(defect.old, defect.new), encoding="utf-8")
    return where / "reference"


def run_suite(pythonpath: Path, suite: tuple[str, ...], timeout_s: float = 600) -> subprocess.CompletedProcess[str]:
    """Run generated tests against the reference copy on ``pythonpath`` (it shadows the installed one)."""
    env = {**os.environ, "PYTHONPATH": str(pythonpath), "PYTHONDONTWRITEBYTECODE": "1"}
    # live suites run side by side under xdist: each worker's own managed NetBox (gwN: base + N * 100),
    # as `harness run --workers N` gives its workers, not one NetBox reset by two suites at once
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    env[ENV_PORT] = str(int(os.environ.get(ENV_PORT, DEFAULT_PORT)) + WORKER_PORT_STRIDE * worker)
    env.pop("HARNESS_EVENTS_DIR", None)  # runs against a deliberately broken copy must not enter the report
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            *suite,
            "-q",
            "-x",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            "--harness-no-shrink",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )


# The generated suites the defects are caught by (pytest arguments, run from the repository root).
REPLAY = ("tests/cassettes/sync",)  # a full sync of the implementation against the recorded NetBox
# the same sync against a Pact mock of the recorded NetBox, behind a contract proxy: the consumer pact
PACT_CONSUMER = ("tests/cassettes/sync", "-k", "pact-consumer")
SEED = ("--harness-seed", "20261130")  # the property suites draw the same examples on every run
RENDERED = ("contracts/mappings", "-k", "rendered-objects", *SEED)
DETERMINISTIC = ("contracts/mappings", "-k", "deterministic", *SEED)
ROUND_TRIP = ("contracts/mappings", "-k", "round-trip", *SEED)
WEBHOOK = ("specs/errors/webhook.yaml",)
LIFECYCLE = ("state_machines/resource_lifecycle.yaml",)
# live (the managed NetBox): fault recipes and crash convergence; several defects share one selection
GIT_CONFLICT = ("specs/errors/github.yaml", "-m", "live", "-k", "HH-GIT-006")  # a retryable refusal
CRASH_AFTER_APPLY = ("specs/patterns/gitops_sync.yaml::crash-after:apply", "-m", "live")
SPEC_DRIFT = ("specs/errors/internal.yaml", "-m", "live", "-k", "HH-SYNC-002")
# the world suite (its tour, then drawn examples): model-based steps on the real systems
WORLD = ("state_machines", "-m", "live", "-k", "world and not pull_request", *SEED)


DEFECTS = [
    Defect(
        name="forbidden-transition-allowed",
        area="state",
        what="The code allows transitions the state-machine spec forbids (committed -> synced, pending -> drifted, "
        "orphaned -> pending).",
        file="machines.py",
        old="        candidates = self.destinations(machine_id, state, trigger)\n",
        new="        if (state, dest) in {('committed', 'synced'), ('pending', 'drifted'), ('orphaned', 'pending')}:\n"
        "            return dest\n"
        "        candidates = self.destinations(machine_id, state, trigger)\n",
        suite=LIFECYCLE,
        caught_by="state_machines/resource_lifecycle.yaml::machine",
    ),
    Defect(
        name="wrong-plural",
        area="render",
        what='Pluralisation by kind.lower() + "s" (Switch -> "switchs").',
        file="naming.py",
        old='KindInfo("Switch", WIRING, "switches"),',
        new='KindInfo("Switch", WIRING, "switchs"),',
        suite=RENDERED,
        caught_by="contracts/mappings::rendered-objects",
    ),
    Defect(
        name="wrong-api-version",
        area="render",
        what="Three apiVersion families for the same kinds (v1alpha2 written to Git).",
        file="naming.py",
        old='        return f"{self.group}/{SERVED_VERSION}"',
        new='        return f"{self.group}/v1alpha2"',
        suite=RENDERED,
        caught_by="contracts/mappings::rendered-objects",
    ),
    Defect(
        name="enum-drifted-from-contract",
        area="render",
        what="Contract enums, database choices and state-machine docs disagree in membership and case.",
        file="render.py",
        old='spec["redundancy"] = {"group": group, "type": kind}',
        new='spec["redundancy"] = {"group": group, "type": kind.upper()}',
        suite=RENDERED,
        caught_by="contracts/mappings::rendered-objects",
    ),
    Defect(
        name="unchecked-webhook-signature",
        area="webhook",
        what="The push-webhook handler checks X-Hub-Signature-256 but was never routed (signatures unchecked).",
        file="webhooks.py",
        old="        if not hmac.compare_digest(expected.encode(), signature.encode()):",
        new="        if False and not hmac.compare_digest(expected.encode(), signature.encode()):",
        suite=WEBHOOK,
        caught_by="specs/errors/webhook.yaml::HH-HOOK-003",
    ),
    Defect(
        name="swallowed-github-conflict",
        area="git",
        what="GitHub's refusal of a conflicting write (a ref update that is not a fast-forward) is swallowed: "
        "the sync reports success although its commit never reached the branch.",
        file="gitops.py",
        old="    def _update_ref(self, branch: str, sha: str, *, force: bool = False) -> None:\n",
        new="    def _update_ref(self, branch: str, sha: str, *, force: bool = False) -> None:\n"
        "        try:\n"
        "            self._update_ref_unchecked(branch, sha, force=force)\n"
        "        except IntegrationError:\n"
        "            return  # swallowed: the sync goes on as if the branch had moved\n"
        "\n"
        "    def _update_ref_unchecked(self, branch: str, sha: str, *, force: bool = False) -> None:\n",
        suite=GIT_CONFLICT,
        caught_by="specs/errors/github.yaml::HH-GIT-006",
        live=True,
    ),
    # -- render: a full sync replayed against the recorded NetBox compares the committed files
    Defect(
        name="dhcp-range-swapped",
        area="render",
        what="The DHCP range of a VPC subnet is rendered with start and end swapped (start .99, end .10).",
        file="render.py",
        old='(("start", prefix.dhcp_start), ("end", prefix.dhcp_end))',
        new='(("start", prefix.dhcp_end), ("end", prefix.dhcp_start))',
        suite=REPLAY,
        caught_by="tests/cassettes/sync::replay",
    ),
    Defect(
        name="mclag-peer-session-swapped",
        area="render",
        what="An mclagDomain Connection lists its peer links as session links and the session links as peer links.",
        file="render.py",
        old='(peer if cable.mclag_link == "peer" else session).append(',
        new='(session if cable.mclag_link == "peer" else peer).append(',
        suite=REPLAY,
        caught_by="tests/cassettes/sync::replay",
    ),
    Defect(
        name="fabric-link-ips-crossed",
        area="render",
        what="A fabric Connection gives the spine port the leaf's IP address and the leaf port the spine's.",
        file="render.py",
        old='[{"spine": {"port": sp, "ip": si}, "leaf": {"port": lp, "ip": li}}',
        new='[{"spine": {"port": sp, "ip": li}, "leaf": {"port": lp, "ip": si}}',
        suite=REPLAY,
        caught_by="tests/cassettes/sync::replay",
    ),
    Defect(
        name="native-vlan-on-every-attachment",
        area="render",
        what="Every VPCAttachment of a connection with a native VLAN subnet is marked nativeVLAN, not just that one.",
        file="render.py",
        old="            if prefix_id in natives:\n",
        new="            if natives:\n",
        suite=REPLAY,
        caught_by="tests/cassettes/sync::replay",
    ),
    Defect(
        name="vlan-range-end-exclusive",
        area="render",
        what="A VLANNamespace range is written with an exclusive end (vid_ranges [1000, 1999] -> to: 1998).",
        file="render.py",
        old='out[name] = [{"from": low, "to": high} for low, high in sorted(group.vid_ranges)]',
        new='out[name] = [{"from": low, "to": high - 1} for low, high in sorted(group.vid_ranges)]',
        suite=REPLAY,
        caught_by="tests/cassettes/sync::replay",
    ),
    Defect(
        name="attachment-name-single-dash",
        area="render",
        what="VPCAttachment names join VPC and subnet with '-' instead of '--' (server-01--vpc-1-default).",
        file="render.py",
        old="composed = f\"{name}--{ref.replace('/', '--')}\"",
        new="composed = f\"{name}--{ref.replace('/', '-')}\"",
        suite=REPLAY,
        caught_by="tests/cassettes/sync::replay",
    ),
    Defect(
        name="asn-rendered-as-string",
        area="render",
        what="A switch's ASN is rendered as a string (asn: '65100'), which the contract and the CRD refuse.",
        file="render.py",
        old='spec["asn"] = int(device.asn)',
        new='spec["asn"] = str(device.asn)',
        suite=REPLAY,
        caught_by="tests/cassettes/sync::replay",
    ),
    # -- render: the property suites over the pure renderer
    Defect(
        name="ipv4-namespace-subnets-in-input-order",
        area="render",
        what="An IPv4Namespace lists its subnets in the order NetBox returned the prefixes, not sorted: the "
        "render depends on the API's order.",
        file="render.py",
        old='named[value]: sorted(_network(p.prefix, f"ipam.prefix {p.id} prefix") for p in prefixes)',
        new='named[value]: [_network(p.prefix, f"ipam.prefix {p.id} prefix") for p in prefixes]',
        suite=DETERMINISTIC,
        caught_by="contracts/mappings::deterministic",
    ),
    Defect(
        name="long-name-truncated",
        area="render",
        what="A normalised name longer than 63 characters is truncated instead of refused (HH-VAL-001): two long "
        "names can collide silently.",
        file="naming.py",
        old='    label = _INVALID.sub("-", name.strip().lower()).strip("-")\n',
        new='    label = _INVALID.sub("-", name.strip().lower()).strip("-")[:63].rstrip("-")\n',
        suite=("contracts/mappings/vpc_attachment.yaml::rejects:name_too_long", *SEED),
        caught_by="contracts/mappings/vpc_attachment.yaml::rejects:name_too_long",
    ),
    Defect(
        name="gateway-may-be-network-address",
        area="render",
        what="A VPC subnet's gateway (or DHCP bound) may be the subnet's network or broadcast address.",
        file="render.py",
        old=" or (net.prefixlen < 31 and address in (net.network_address, net.broadcast_address)):\n",
        new=":\n",
        suite=("contracts/mappings/vpc.yaml::rejects:gateway_outside_subnet", *SEED),
        caught_by="contracts/mappings/vpc.yaml::rejects:gateway_outside_subnet",
    ),
    # -- import
    Defect(
        name="importer-reads-yml-only",
        area="import",
        what="The importer collects *.yml files only: the .yaml manifests the integration itself writes are not "
        "read back, and the import finds nothing.",
        file="importer.py",
        old='if p.suffix in (".yaml", ".yml") and p.is_file()',
        new='if p.suffix == ".yml" and p.is_file()',
        suite=ROUND_TRIP,
        caught_by="contracts/mappings::round-trip",
    ),
    # -- webhook
    Defect(
        name="webhook-replay-not-deduplicated",
        area="webhook",
        what="Delivery ids are stored with INSERT OR REPLACE: a replayed delivery looks new and queues a second sync.",
        file="store.py",
        old='"INSERT OR IGNORE INTO webhook_deliveries',
        new='"INSERT OR REPLACE INTO webhook_deliveries',
        suite=WEBHOOK,
        caught_by="specs/errors/webhook.yaml::HH-HOOK-004",
    ),
    Defect(
        name="webhook-unsupported-event-handled",
        area="webhook",
        what="Every event the app is subscribed to (issues too) is treated as handled: an unsupported event is "
        "answered 200 'ignored' without HH-HOOK-005.",
        file="webhooks.py",
        old='HANDLED_EVENTS = frozenset({"push", "pull_request", "ping"})',
        new='HANDLED_EVENTS = frozenset({"push", "pull_request", "ping", "issues"})',
        suite=WEBHOOK,
        caught_by="specs/errors/webhook.yaml::HH-HOOK-005",
    ),
    # -- status write-back (the replayed sync compares the NetBox writes with the recording)
    Defect(
        name="connection-status-fields-swapped",
        area="status",
        what="A passed connection test is written to the other endpoint's field (git -> hh_cluster_connection_status).",
        file="sync.py",
        old='{field_name: "connected"}',
        new='{"hh_cluster_connection_status" if endpoint == "git" else "hh_git_connection_status": "connected"}',
        suite=REPLAY,
        caught_by="tests/cassettes/sync::replay",
    ),
    Defect(
        name="sync-status-upper-case",
        area="status",
        what="The sync status is written to NetBox in upper case (IN_SYNC), outside the choice set the NetBox "
        "contract allows for hh_sync_status: the consumer's own client sends a request its contract forbids.",
        file="netbox.py",
        old='return self.update("dcim.sites", site_id, {"custom_fields": dict(custom_fields)})',
        new='return self.update("dcim.sites", site_id, {"custom_fields": {k: v.upper() if k == "hh_sync_status" and '
        "isinstance(v, str) else v for k, v in custom_fields.items()}})",
        suite=PACT_CONSUMER,
        caught_by="tests/cassettes/sync::pact-consumer",
    ),
    Defect(
        name="in-sync-without-commit",
        area="status",
        what="in_sync is written back to NetBox without hh_last_sync_commit: NetBox cannot tell which commit it is.",
        file="sync.py",
        old='{"hh_sync_status": "in_sync", "hh_last_sync_commit": head, "hh_sync_error": None}',
        new='{"hh_sync_status": "in_sync", "hh_sync_error": None}',
        suite=REPLAY,
        caught_by="tests/cassettes/sync::replay",
    ),
    Defect(
        name="syncing-status-not-written",
        area="status",
        what="A sync never writes hh_sync_status=syncing to NetBox: a running (or crashed) sync shows its old status.",
        file="sync.py",
        old='        self._write_status(fabric, site_id, {"hh_sync_status": "syncing"})\n',
        new="",
        suite=REPLAY,
        caught_by="tests/cassettes/sync::replay",
    ),
    Defect(
        name="journal-transition-reversed",
        area="status",
        what="The NetBox journal entry of a transition records it backwards (in_sync -> syncing).",
        file="observe.py",
        old='return f"{what}: {before} -> {after}',
        new='return f"{what}: {after} -> {before}',
        suite=REPLAY,
        caught_by="tests/cassettes/sync::replay",
    ),
    # -- Git
    Defect(
        name="manifest-keys-unsorted",
        area="git",
        what="Manifests are dumped with insertion-ordered keys: the committed bytes depend on how the render built "
        "each object, and every reordering is a spurious commit.",
        file="manifests.py",
        old="sort_keys=True,",
        new="sort_keys=False,",
        suite=REPLAY,
        caught_by="tests/cassettes/sync::replay",
    ),
    Defect(
        name="blob-encoding-mislabelled",
        area="git",
        what="Blobs are sent base64-encoded but labelled utf-8: the branch holds the base64 text, not the manifests.",
        file="gitops.py",
        old='json={"content": base64.b64encode(desired[path]).decode(), "encoding": "base64"},',
        new='json={"content": base64.b64encode(desired[path]).decode(), "encoding": "utf-8"},',
        suite=REPLAY,
        caught_by="tests/cassettes/sync::replay",
    ),
    # -- cluster
    Defect(
        name="prune-keys-mismatch",
        area="cluster",
        what="Prune is given the wanted objects' names instead of Kind/name keys, so it deletes every object the "
        "sync has just applied.",
        file="sync.py",
        old="fabric, {object_key(o) for o in objects}, before_delete=",
        new='fabric, {o["metadata"]["name"] for o in objects}, before_delete=',
        suite=REPLAY,
        caught_by="tests/cassettes/sync::replay",
    ),
    # -- state layer
    Defect(
        name="state-upsert-keeps-first",
        area="state",
        what="The state upsert is ON CONFLICT DO NOTHING: an entity's first state is kept, later transitions are "
        "logged but never persisted.",
        file="store.py",
        old='"ON CONFLICT (machine, entity) DO UPDATE SET state = excluded.state, code = excluded.code, "\n'
        '            "updated_at = excluded.updated_at",\n',
        new='"ON CONFLICT (machine, entity) DO NOTHING",\n',
        suite=LIFECYCLE,
        caught_by="state_machines/resource_lifecycle.yaml::machine",
    ),
    # -- live: retry, crash resumption, Git idempotence, drift
    Defect(
        name="retry-once-too-often",
        area="retry",
        what="The retry loop stops after attempt max_attempts + 1: a refused call is tried once more than the "
        "catalog's max_attempts.",
        file="retry.py",
        old="    if policy is None or attempt >= policy.max_attempts:\n",
        new="    if policy is None or attempt > policy.max_attempts:\n",
        suite=GIT_CONFLICT,
        caught_by="specs/errors/github.yaml::HH-GIT-006",
        live=True,
    ),
    Defect(
        name="resume-without-alert",
        area="sync",
        what="A sync resumed after a crash takes resume_after_crash but raises no HH-SYNC-001 alert: the crash goes "
        "unnoticed.",
        file="sync.py",
        old='self.store.raise_alert(fabric, "HH-SYNC-001", "warning", condition_error("sync_interrupted").message)\n'
        "            self._fire(",
        new="self._fire(",
        suite=CRASH_AFTER_APPLY,
        caught_by="specs/patterns/gitops_sync.yaml::crash-after:apply",
        live=True,
    ),
    Defect(
        name="blob-sha-without-header",
        area="git",
        what="The blob sha used to diff the render against the branch is SHA-1 of the bare content (no 'blob <len>' "
        "header): every file looks changed, so every sync (and every resumed one) commits the render again.",
        file="gitops.py",
        old='    return hashlib.sha1(b"blob %d\\0" % len(content) + content, usedforsecurity=False).hexdigest()\n',
        new="    return hashlib.sha1(content, usedforsecurity=False).hexdigest()\n",
        suite=CRASH_AFTER_APPLY,
        caught_by="specs/patterns/gitops_sync.yaml::crash-after:apply",
        live=True,
    ),
    Defect(
        name="drift-ignores-spec",
        area="drift",
        what="Drift compares a cluster object with its file by presence only: a spec edited in the cluster is never "
        "reported (HH-SYNC-002).",
        file="drift.py",
        old='        equal = want is not None and have is not None and want.get("spec") == have.get("spec")\n',
        new="        equal = want is not None and have is not None\n",
        suite=SPEC_DRIFT,
        caught_by="specs/errors/internal.yaml::HH-SYNC-002",
        live=True,
    ),
    Defect(
        name="drift-revert-unnoticed",
        area="drift",
        what="A drifted object put back by hand stays drifted: a drift check that finds it equal to its file again "
        "never takes drift_reverted (resource_lifecycle drifted -> synced).",
        file="observe.py",
        old='        elif lifecycle == "drifted" and obs.spec_equal:\n',
        new='        elif lifecycle == "drifted" and obs.spec_equal and False:\n',
        suite=WORLD,
        caught_by="state_machines::world",
        live=True,
    ),
    Defect(
        name="withdrawn-drift-left",
        area="sync",
        what="A managed object deleted from the cluster by hand and then from NetBox is left in_sync/desired_only "
        "after the sync that removes its file (the world suite's finding of 2026-11-30, put back).",
        file="sync.py",
        old='            if drift not in ("in_sync", "spec_drift", "desired_only"):\n',
        new='            if drift not in ("in_sync", "spec_drift"):\n',
        suite=WORLD,
        caught_by="state_machines::world",
        live=True,
    ),
    Defect(
        name="commit-every-object",
        area="git",
        what="Every sync reports a commit of every rendered object, its file changed on the branch or not (the "
        "reference's own behaviour until 2026-12-01): a drift repair goes synced -> committed -> pending "
        "instead of reapply.",
        file="sync.py",
        old='            if state == "draft" or (state in _COMMITTABLE and recorded.get(path) != blobs[path]):\n',
        new='            if state == "draft" or state in _COMMITTABLE:\n',
        suite=WORLD,
        caught_by="state_machines::world",
        live=True,
    ),
]
