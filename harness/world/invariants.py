"""Named checks of the invariants the state machines declare, evaluated on the real systems.

A state of a machine declares invariants (``state_machines/<m>.yaml``: ``states[].invariants``,
described under ``invariants``). Each has a check here, keyed by machine and name, that reads
NetBox, the GitOps repository and the cluster through their public APIs (and, for what only the
implementation can show, its observation: the alerts it lists), never the implementation's own
records. :func:`evaluate` takes what the implementation reports (``harness_observe``), and for every
entity evaluates the invariants of the state it is said to be in.

A check answers True (holds), False (broken, with what was seen) or None (cannot be evaluated in
this world: the input it needs is not there). "The render of the current NetBox intent" is the
implementation's own pure renderer (the adapter's, which the property suites hold to the mapping
contracts) applied to the intent the harness reads from NetBox with its own client
(:mod:`harness.world.intent`); it is compared only while NetBox holds the intent the implementation's last run read.

While the implementation reports fabric_sync ``syncing`` (a run in flight, or one a crash killed),
the resource machines' invariants are not evaluated: the run moves Git and the cluster under the
states it has not stepped yet (a crash right after update_ref leaves objects in_sync whose file just
changed); the resumed run must make them hold, and they are evaluated after it.

"Managed" objects in the cluster: the world's cluster serves one fabric, so an object is the
fabric's when one of its labels has the fabric's name as its value (the specs name a managed-by
label without fixing its key).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import httpx
import yaml
from jsonschema import Draft202012Validator

from harness.adapter import NotProvided, Renderer, RenderRejected
from harness.generate.faults import RESOURCE_FIELDS
from harness.spec.models import SpecSet, StateMachine
from harness.targets.base import TargetError, wait_for
from harness.world.intent import read_intent
from harness.world.live import World

HH_CODE = re.compile(r"\bHH-[A-Z0-9]+-\d{3}\b")
Result = tuple[bool | None, str]


@dataclass
class Systems:
    """What the real systems hold for the world's fabric, each read once per evaluation."""

    world: World
    observation: Mapping[str, Any]
    codes: frozenset[str]
    required_checks: tuple[str, ...] = ()
    # NetBox holds the intent the implementation's last run read (right after a sync, or a sync
    # killed at a step, with nothing changed since): the render invariants compare the branch with
    # the render of the current intent, which after a change the implementation has not looked at
    # yet cannot hold and is not its failure
    intent_seen: bool = False

    @property
    def fabric(self) -> str:
        return self.world.fabric.site_slug

    @cached_property
    def site(self) -> dict[str, Any]:
        return next(iter(self.world.netbox_api.list_all("dcim.sites", slug=self.fabric)), {})

    @property
    def cf(self) -> Mapping[str, Any]:
        return self.site.get("custom_fields") or {}

    def cf_value(self, name: str) -> Any:
        value = self.cf.get(name)
        return value.get("value") if isinstance(value, dict) else value

    @cached_property
    def journal(self) -> list[dict[str, Any]]:
        """The site's journal entries, oldest first."""
        entries = self.world.netbox_api.list_all(
            "extras.journal_entries", assigned_object_type="dcim.site", assigned_object_id=self.world.fabric.site_id
        )
        return sorted(entries, key=lambda e: (str(e.get("created")), int(e.get("id", 0))))

    @classmethod
    def of(cls, world: World, specs: SpecSet, observation: Mapping[str, Any], *,
           intent_seen: bool = False) -> Systems:  # fmt: skip
        """The systems as the world's settings (required checks) and the specs' catalogs (codes) say."""
        codes = frozenset(e.code for c in specs.catalogs for e in c.errors)
        required = tuple(filter(None, world.endpoints.settings.get("required_checks", "").split(",")))
        return cls(world, observation, codes, required, intent_seen)

    @cached_property
    def files(self) -> dict[str, bytes]:
        return self.world.repo_files(prefix=f"fabrics/{self.fabric}")

    @cached_property
    def intent(self) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
        """The site and the source records NetBox holds for the fabric, read with the harness's client
        (:func:`harness.world.intent.read_intent`; LookupError when there is no such site)."""
        return read_intent(self.world.netbox_api, self.fabric)

    @cached_property
    def desired(self) -> dict[str, dict[str, Any]]:
        """``Kind/name`` -> the committed object, for every file under fabrics/<fabric>/."""
        found = {}
        for data in self.files.values():
            try:
                obj = yaml.safe_load(data)
            except yaml.YAMLError:
                continue  # not a manifest (a fixture's broken file): no desired object
            meta = obj.get("metadata") if isinstance(obj, dict) else None
            if isinstance(meta, dict) and isinstance(obj.get("kind"), str) and isinstance(meta.get("name"), str):
                found[f"{obj['kind']}/{meta['name']}"] = obj
        return found

    @cached_property
    def cluster(self) -> dict[str, dict[str, Any]]:
        return self.world.cluster_objects()

    @cached_property
    def managed(self) -> dict[str, dict[str, Any]]:
        return {k: o for k, o in self.cluster.items()
                if self.fabric in ((o.get("metadata") or {}).get("labels") or {}).values()}  # fmt: skip

    def netbox(self, model: str) -> list[dict[str, Any]]:
        """Every record of ``model`` (``dcim.devices``), read once per evaluation; devices and cables
        of the fabric's site only (the other source models carry no site)."""
        if model not in self._netbox:
            scoped = {"site_id": self.world.fabric.site_id} if model in ("dcim.devices", "dcim.cables") else {}
            self._netbox[model] = self.world.netbox_api.list_all(model, **scoped)
        return self._netbox[model]

    @cached_property
    def _netbox(self) -> dict[str, list[dict[str, Any]]]:
        return {}

    @cached_property
    def rendered_objects(self) -> tuple[list[dict[str, Any]] | None, str]:
        """The objects the implementation's own pure renderer makes of the current NetBox intent (read
        by the harness's client), or None and why there are none."""
        renderer = adapter_renderer(self.world)
        if renderer is None:
            return None, "the adapter provides no renderer"
        try:
            site, records = self.intent
        except LookupError as exc:
            return None, f"no intent to render: {exc}"
        try:
            return renderer.render(site, records), ""
        except RenderRejected as exc:
            return None, f"the renderer refuses the current intent: {exc}"

    @cached_property
    def rendered(self) -> tuple[dict[str, bytes] | None, str]:
        """The files of :attr:`rendered_objects`, as the renderer lays them out on the branch."""
        objects, why = self.rendered_objects
        renderer = adapter_renderer(self.world)
        if objects is None or renderer is None:
            return None, why
        return renderer.files(self.fabric, objects), ""

    @cached_property
    def kinds(self) -> dict[str, str]:
        """plural -> Kind, from the Kubernetes contracts."""
        return {r.plural: r.kind for r in self.world.specs.resources().values()}

    @cached_property
    def pulls(self) -> list[dict[str, Any]]:
        with self.world.gh() as gh:
            return list(self.world.github_get(gh, "pulls", state="all", per_page="100"))

    @cached_property
    def _pulls_by_number(self) -> dict[str, dict[str, Any] | None]:
        return {}

    def pull(self, number: str) -> dict[str, Any] | None:
        """One pull request, read once per evaluation (a state declares several invariants of it).
        An open one whose mergeability GitHub is still computing (mergeable null) is asked again
        until it is known (``MERGEABILITY_TIMEOUT_S``)."""
        if number not in self._pulls_by_number:
            owner = self.world.github.extra["owner"]
            found: list[dict[str, Any] | None] = []

            def known() -> bool:
                answer = gh.get(f"/repos/{owner}/{self.world.endpoints.github_repo}/pulls/{number}")
                if answer.status_code not in (200, 404):  # 404: no such pull request
                    raise TargetError(f"GitHub at {answer.request.url}: answered {answer.status_code}, "
                                      "no pull request")  # fmt: skip
                found[:] = [dict(answer.json()) if answer.status_code == 200 else None]
                pr = found[0]
                return pr is None or pr.get("state") != "open" or pr.get("mergeable") is not None

            with self.world.gh() as gh:
                wait_for(known, MERGEABILITY_TIMEOUT_S, f"GitHub to compute the mergeability of #{number}", 0.2)
            self._pulls_by_number[number] = found[0]
        return self._pulls_by_number[number]

    def statuses(self, sha: str) -> dict[str, str]:
        """Context -> state of the newest status of each context on ``sha`` (github.statuses.list
        answers newest first)."""
        owner = self.world.github.extra["owner"]
        with self.world.gh() as gh:
            answer = gh.get(
                f"/repos/{owner}/{self.world.endpoints.github_repo}/commits/{sha}/statuses", params={"per_page": 100}
            )
        if answer.status_code not in (200, 404):  # 404: GitHub knows no such commit, so no statuses
            raise TargetError(f"GitHub at {answer.request.url}: answered {answer.status_code}, not the statuses")
        newest: dict[str, str] = {}
        for status in answer.json() if answer.status_code == 200 else []:
            newest.setdefault(str(status["context"]), str(status["state"]))
        return newest

    @cached_property
    def commits(self) -> list[dict[str, Any]]:
        return self.world.commits()


def _key(entity: str, systems: Systems) -> str:
    """A resource entity (``<plural>/<name>``) as ``Kind/name``."""
    plural, _, name = entity.partition("/")
    return f"{systems.kinds.get(plural, plural)}/{name}"


def _spec_equal(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> bool:
    return a is not None and b is not None and a.get("spec") == b.get("spec")


# -- connection_status ------------------------------------------------------------------------------


def _endpoint_configured(s: Systems, entity: str) -> Result:
    e = s.world.endpoints
    ok = bool(e.github_url and e.github_token) if entity == "git" else bool(e.kubeconfig)
    return ok, f"endpoint {entity} configured: {ok}"


def _credentials_accepted(s: Systems, entity: str) -> Result:
    if entity == "git":
        owner = s.world.github.extra["owner"]
        with s.world.gh() as gh:
            status = gh.get(f"/repos/{owner}/{s.world.endpoints.github_repo}").status_code
        return 200 <= status < 300, f"github.repos.get answered {status}"
    try:
        s.world.custom_objects().list_namespaced_custom_object("wiring.githedgehog.com", "v1beta1", "default",
                                                               "switches")  # fmt: skip
    except Exception as exc:  # noqa: BLE001 - any refusal means the credentials are not accepted
        return False, f"k8s.switches.list failed: {type(exc).__name__}"
    return True, "k8s.switches.list answered 2xx"


def _failure_code_recorded(s: Systems, entity: str) -> Result:
    code = ((s.observation.get("fabric") or {}).get("connections") or {}).get(entity, {}).get("code")
    return code in s.codes, f"recorded code {code!r}"


# -- fabric_status ------------------------------------------------------------------------------------


def _sync_state(s: Systems) -> Any:
    return s.cf_value("hh_sync_status")


def _never_synced(s: Systems, entity: str) -> Result:
    value = _sync_state(s)
    return value in (None, "never_synced"), f"hh_sync_status {value!r}"


def _no_sync_running(s: Systems, entity: str) -> Result:
    value = _sync_state(s)
    return value != "syncing", f"hh_sync_status {value!r}"


def _no_managed_cluster_objects(s: Systems, entity: str) -> Result:
    return not s.managed, f"{len(s.managed)} labelled object(s) in the cluster"


def _managed_tree_empty(s: Systems, entity: str) -> Result:
    return not s.files, f"{len(s.files)} file(s) under fabrics/{s.fabric}/"


# -- fabric_sync ------------------------------------------------------------------------------------


def _no_sync_commit_recorded(s: Systems, entity: str) -> Result:
    value = s.cf_value("hh_last_sync_commit")
    return not value, f"hh_last_sync_commit {value!r}"


def _sync_journal_open(s: Systems, entity: str) -> Result:
    texts = [str(e.get("comments", "")) for e in s.journal]
    started = [i for i, t in enumerate(texts) if "sync-started" in t or "-> syncing" in t]
    finished = [i for i, t in enumerate(texts) if "sync-finished" in t or re.search(r"syncing -> (in_sync|error)", t)]
    ok = bool(started) and (not finished or started[-1] > finished[-1])
    return ok, f"{len(started)} start and {len(finished)} finish journal entries"


def _open_pull_request_recorded(s: Systems, entity: str) -> Result:
    number = s.cf_value("hh_pull_request")
    if not number:
        return False, "hh_pull_request is empty"
    pr = s.pull(str(number))
    return pr is not None and pr.get("state") == "open", f"pull request #{number}: {pr and pr.get('state')}"


def _cluster_matches_last_commit(s: Systems, entity: str) -> Result:
    missing = [k for k, o in s.desired.items() if not _spec_equal(o, s.cluster.get(k))]
    extra = [k for k, o in s.managed.items() if k not in s.desired and not _terminating(o)]
    return not missing and not extra, f"differing or missing {missing[:3]}, labelled outside the tree {extra[:3]}"


def _terminating(obj: Mapping[str, Any]) -> bool:
    """Deleted, held by finalizers: its delete was accepted (resource_drift deletion_pending)."""
    return bool((obj.get("metadata") or {}).get("deletionTimestamp"))


def _last_sync_commit_recorded(s: Systems, entity: str) -> Result:
    recorded = s.cf_value("hh_last_sync_commit")
    prefix = f"fabrics/{s.fabric}/"
    newest = None
    for commit, parent in zip(s.commits, [*s.commits[1:], None], strict=True):  # newest first
        if parent is None or _tree(s, commit["tree"]["sha"], prefix) != _tree(s, parent["tree"]["sha"], prefix):
            newest = commit["sha"]
            break
    return bool(recorded) and recorded == newest, f"hh_last_sync_commit {recorded!r}, newest change {newest!r}"


def _tree(s: Systems, sha: str, prefix: str) -> dict[str, str]:
    return {e["path"]: e["sha"] for e in s.world.tree(sha) if e["type"] == "blob" and e["path"].startswith(prefix)}


def _render_or_cluster_differs(s: Systems, entity: str) -> Result:
    differs = [k for k, o in s.desired.items() if not _spec_equal(o, s.cluster.get(k))]
    differs += [k for k in s.managed if k not in s.desired]
    if differs:
        return True, f"the cluster differs from the branch: {differs[:3]}"
    rendered, why = s.rendered  # the current intent, whatever the implementation has seen of it
    if rendered is None:
        return None, f"the cluster equals the branch; {why}"
    differ = sorted(p for p in set(rendered) | set(s.files) if rendered.get(p) != s.files.get(p))
    if differ:
        return True, f"the cluster equals the branch; the render differs from it in {differ[:3]}"
    # only a sync leaves out_of_sync: a difference reverted since it was seen is no longer visible
    return None, "nothing differs now (a difference reverted since out_of_sync was entered cannot be seen)"


def _sync_error_code_recorded(s: Systems, entity: str) -> Result:
    code = s.cf_value("hh_sync_error")
    found = HH_CODE.search(str(code or ""))
    journaled = found is not None and any(
        e.get("kind", {}).get("value") == "danger" and found.group(0) in str(e.get("comments")) for e in s.journal
    )
    return found is not None and found.group(0) in s.codes and journaled, (
        f"hh_sync_error {code!r}, journaled as danger: {journaled}"
    )


_CONTRACTS: dict[tuple[int, str], Draft202012Validator] = {}


def _contract(specs: SpecSet, kind: str) -> Draft202012Validator | None:
    """The compiled schema of the Kubernetes contract resource for ``kind``, once per spec set."""
    key = (id(specs), kind)
    if key not in _CONTRACTS:
        resource = next((r for r in specs.resources().values() if r.kind == kind), None)
        if resource is None:
            return None
        _CONTRACTS[key] = Draft202012Validator(resource.schema)
    return _CONTRACTS[key]


def _render_passes_contract(s: Systems, entity: str) -> Result:
    """The render of the object's NetBox source (the adapter's pure renderer on the intent NetBox now
    holds, read by the harness) validates against the contract for its kind. A source the render no
    longer has is evaluated only while NetBox holds the intent the last run read."""
    objects, why = s.rendered_objects
    if objects is None:
        return None, why
    plural, _, name = entity.partition("/")
    kind = s.kinds.get(plural)
    found = next((o for o in objects if o.get("kind") == kind and (o.get("metadata") or {}).get("name") == name), None)
    if found is None:
        if not s.intent_seen:
            return None, f"the render of the current intent has no {kind} {name} (NetBox may have changed since)"
        return False, f"the render of the intent NetBox holds has no {kind} {name}"
    validator = _contract(s.world.specs, str(kind))
    if validator is None:
        return False, f"no Kubernetes contract resource for kind {kind!r}"
    errors = [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in validator.iter_errors(found)]
    return not errors, "; ".join(errors[:3]) or f"{kind} {name} as rendered now validates against its contract"


_RENDERERS: dict[int, Renderer | None] = {}


def adapter_renderer(world: World) -> Renderer | None:
    """The adapter's pure renderer, loaded once per adapter; None when it provides none."""
    if id(world.adapter) not in _RENDERERS:
        try:
            _RENDERERS[id(world.adapter)] = world.adapter.renderer(world.spec_root or Path.cwd())
        except NotProvided:
            _RENDERERS[id(world.adapter)] = None
    return _RENDERERS[id(world.adapter)]


def _render_files(s: Systems) -> tuple[dict[str, bytes] | None, str]:
    if not s.intent_seen:
        return None, "evaluated only while NetBox holds the intent the last run read (after a sync)"
    return s.rendered


def _last_commit_matches_render(s: Systems, entity: str) -> Result:
    rendered, why = _render_files(s)
    if rendered is None:
        return None, why
    differ = sorted(p for p in set(rendered) | set(s.files) if rendered.get(p) != s.files.get(p))
    return not differ, f"{len(rendered)} rendered file(s), {len(s.files)} on the branch; differing {differ[:3]}"


def _git_file_matches_render(s: Systems, entity: str) -> Result:
    rendered, why = _render_files(s)
    if rendered is None:
        return None, why
    plural, _, name = entity.partition("/")
    path = f"fabrics/{s.fabric}/{plural}/{name}.yaml"
    ok = path in s.files and rendered.get(path) == s.files[path]
    return ok, f"{path}: on the branch {path in s.files}, rendered {path in rendered}, byte-equal {ok}"


# -- pull_request -----------------------------------------------------------------------------------


MERGEABILITY_TIMEOUT_S = 30  # GitHub's background job; the twin answers on the second GET


def _branch_open_pulls(s: Systems) -> list[dict[str, Any]]:
    return [p for p in s.pulls if p["state"] == "open" and p["head"]["ref"] == f"hh-sync/{s.fabric}"]


def _no_open_pr_for_branch(s: Systems, entity: str) -> Result:
    found = _branch_open_pulls(s)
    return not found, f"{len(found)} open pull request(s) from hh-sync/{s.fabric}"


def _pr(field_check: Callable[[dict[str, Any], Systems], bool], what: str) -> Callable[[Systems, str], Result]:
    def check(s: Systems, entity: str) -> Result:
        pr = s.pull(entity)
        if pr is None:
            return False, f"pull request #{entity} does not exist"
        return field_check(pr, s), f"#{entity}: {what} (state {pr.get('state')}, merged {pr.get('merged')}, " \
                                   f"mergeable {pr.get('mergeable')})"  # fmt: skip

    return check


def _required(s: Systems, pr: dict[str, Any]) -> list[str]:
    statuses = s.statuses(pr["head"]["sha"])
    contexts = s.required_checks or tuple(statuses)
    return [statuses.get(c, "pending") for c in contexts]


def _merge_commit_on_base(s: Systems, entity: str) -> Result:
    pr = s.pull(entity)
    sha = pr.get("merge_commit_sha") if pr else None
    on_base = sha is not None and any(c["sha"] == sha for c in s.commits)
    return on_base, f"merge commit {sha!r} on the target branch: {on_base}"


# -- reconciliation_alert ---------------------------------------------------------------------------


def _alert(s: Systems, entity: str) -> Mapping[str, Any] | None:
    return next((a for a in s.observation.get("alerts", []) if str(a.get("id")) == entity.rsplit("/", 1)[-1]), None)


def _journal_mentions(s: Systems, needles: list[str], kinds: tuple[str, ...] | None = None) -> bool:
    for entry in s.journal:
        kind = (entry.get("kind") or {}).get("value") if isinstance(entry.get("kind"), dict) else entry.get("kind")
        text = str(entry.get("comments"))
        # a needle ending in a number is that number: "alert 1" must not match the entries of alert 12
        if (kinds is None or kind in kinds) and all(re.search(re.escape(n) + (r"(?!\d)" if n[-1:].isdigit() else ""),
                                                              text) for n in needles):  # fmt: skip
            return True
    return False


def _alert_journaled(s: Systems, entity: str) -> Result:
    alert = _alert(s, entity)
    if alert is None:
        return None, f"alert {entity} is not in the observation"
    needles = [str(alert.get("code") or ""), f"alert {alert.get('id')}"]
    ok = _journal_mentions(s, needles, ("warning", "danger"))
    return ok, f"a warning/danger journal entry with {needles}: {ok}"


def _alert_listed(s: Systems, entity: str) -> Result:
    alert = _alert(s, entity)
    return alert is not None, f"alert {entity} listed: {alert is not None}"


def _resolution_journaled(s: Systems, entity: str) -> Result:
    ok = _journal_mentions(s, [f"alert {entity.rsplit('/', 1)[-1]}", "resolved"], ("success",))
    return ok, f"a success journal entry resolving alert {entity}: {ok}"


def _suppression_journaled(s: Systems, entity: str) -> Result:
    ok = _journal_mentions(s, [f"alert {entity.rsplit('/', 1)[-1]}", "suppress"])
    return ok, f"a journal entry suppressing alert {entity}: {ok}"


# -- resource_drift / resource_lifecycle ------------------------------------------------------------


def _in_desired(s: Systems, entity: str) -> Result:
    key = _key(entity, s)
    return key in s.desired, f"{key} on the branch: {key in s.desired}"


def _negated(check: Callable[[Systems, str], Result]) -> Callable[[Systems, str], Result]:
    def negated(s: Systems, entity: str) -> Result:
        holds, detail = check(s, entity)
        return (None if holds is None else not holds), detail

    return negated


def _in_cluster(s: Systems, entity: str) -> Result:
    key = _key(entity, s)
    return key in s.cluster, f"{key} in the cluster: {key in s.cluster}"


def _only_in_desired(s: Systems, entity: str) -> Result:
    key = _key(entity, s)
    return key in s.desired and key not in s.cluster, f"{key}: branch {key in s.desired}, cluster {key in s.cluster}"


def _only_in_cluster(s: Systems, entity: str) -> Result:
    key = _key(entity, s)
    return key in s.managed and key not in s.desired, f"{key}: labelled in the cluster {key in s.managed}, " \
                                                      f"branch {key in s.desired}"  # fmt: skip


def _spec_matches(s: Systems, entity: str) -> Result:
    key = _key(entity, s)
    ok = _spec_equal(s.desired.get(key), s.cluster.get(key))
    return ok, f"{key}: cluster spec equals the committed spec: {ok}"


def dns_label(text: str) -> str:
    """``name.normalise: dns_label`` as contracts/mappings/README.md defines it (without the length
    rejection): lower case, every run outside [a-z0-9-] one ``-``, no leading or trailing ``-``."""
    return re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")


def _at(record: Any, path: str) -> list[Any]:
    """The values at a mapping field path (``role.slug``, ``tags[*].slug``) of a NetBox record."""
    values = [record]
    for part in path.split("."):
        key = part.removesuffix("[*]")
        values = [v.get(key) for v in values if isinstance(v, dict)]
        if key != part:
            values = [item for v in values if isinstance(v, list) for item in v]
    return [v.get("value") if isinstance(v, dict) and "value" in v and len(v) <= 2 else v for v in values]


def _selected(record: Mapping[str, Any], rule: Mapping[str, Any]) -> bool:
    values = [v for v in _at(record, str(rule["field"])) if v not in (None, "", [])]
    if rule.get("present"):
        return bool(values)
    return "equals" in rule and rule["equals"] in values


def _source_present(s: Systems, entity: str) -> Result:
    """Whether NetBox holds an object the resource's mapping contract renders to this name: the
    source model's list, the mapping's ``select``, its ``name`` rule. Not for a name that comes from a
    relation (``rel:``), which the contract defines in prose."""
    plural, _, name = entity.partition("/")
    kind = s.kinds.get(plural)
    mapping = next((m for m in s.world.specs.mappings if m.kind == kind), None)
    if mapping is None or mapping.name_from.startswith("rel:") or not mapping.source_operations:
        return None, f"the mapping of {kind} names its objects through a relation the contract defines in prose"
    model = mapping.source_operations[0].removeprefix("netbox.").removesuffix(".list")
    normalise = dns_label if mapping.name_normalise == "dns_label" else str
    found = [r.get("id") for r in s.netbox(model) if all(_selected(r, rule) for rule in mapping.select)
             and any(normalise(str(v)) == name for v in _at(r, mapping.name_from) if v is not None)]  # fmt: skip
    return bool(found), f"{model} selected by {mapping.id} and named {name!r}: ids {found[:3]}"


def _ready(s: Systems, entity: str) -> Result:
    key = _key(entity, s)
    conditions = ((s.cluster.get(key) or {}).get("status") or {}).get("conditions") or []
    ok = any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
    return ok, f"{key}: Ready=True {ok}"


CHECKS: dict[str, dict[str, Callable[[Systems, str], Result]]] = {
    "connection_status": {
        "endpoint_configured_now": _endpoint_configured,
        "credentials_accepted": _credentials_accepted,
        "failure_code_recorded": _failure_code_recorded,
    },
    "fabric_status": {
        "never_synced": _never_synced,
        "no_sync_running": _no_sync_running,
        "no_managed_cluster_objects": _no_managed_cluster_objects,
        "managed_tree_empty": _managed_tree_empty,
    },
    "fabric_sync": {
        "no_sync_commit_recorded": _no_sync_commit_recorded,
        "sync_journal_open": _sync_journal_open,
        "open_pull_request_recorded": _open_pull_request_recorded,
        "last_commit_matches_render": _last_commit_matches_render,
        "cluster_matches_last_commit": _cluster_matches_last_commit,
        "last_sync_commit_recorded": _last_sync_commit_recorded,
        "render_or_cluster_differs": _render_or_cluster_differs,
        "sync_error_code_recorded": _sync_error_code_recorded,
    },
    "pull_request": {
        "no_open_pr_for_branch": _no_open_pr_for_branch,
        "pr_open": _pr(lambda pr, s: pr["state"] == "open" and not pr.get("merged"), "open, not merged"),
        "github_mergeable_true": _pr(lambda pr, s: pr.get("mergeable") is True, "mergeable true"),
        "github_mergeable_false": _pr(lambda pr, s: pr.get("mergeable") is False, "mergeable false"),
        "head_status_failed": _pr(
            lambda pr, s: any(x in ("failure", "error") for x in _required(s, pr)), "a required status failed"
        ),
        "head_statuses_success": _pr(
            lambda pr, s: all(x == "success" for x in _required(s, pr)), "every required status succeeded"
        ),
        "pr_merged": _pr(lambda pr, s: bool(pr.get("merged")) and bool(pr.get("merge_commit_sha")), "merged"),
        "merge_commit_on_base": _merge_commit_on_base,
        "pr_closed_unmerged": _pr(lambda pr, s: pr["state"] == "closed" and not pr.get("merged"), "closed unmerged"),
    },
    "reconciliation_alert": {
        "alert_journaled": _alert_journaled,
        "alert_listed": _alert_listed,
        "resolution_journaled": _resolution_journaled,
        "suppression_journaled": _suppression_journaled,
    },
    "resource_drift": {
        "only_in_desired": _only_in_desired,
        "in_desired": _in_desired,
        "in_cluster": _in_cluster,
        "spec_matches_desired": _spec_matches,
        "spec_differs_from_desired": _negated(_spec_matches),
        "only_in_cluster": _only_in_cluster,
        "not_in_desired": _negated(_in_desired),
    },
    "resource_lifecycle": {
        "render_passes_contract": _render_passes_contract,
        "absent_from_git_branch": _negated(_in_desired),
        "git_file_matches_render": _git_file_matches_render,
        "committed_file_on_branch": _in_desired,
        "cluster_spec_matches_commit": _spec_matches,
        "ready_condition_true": _ready,
        "cluster_spec_differs_from_commit": _negated(_spec_matches),
        "netbox_source_absent": _negated(_source_present),
        "absent_from_cluster": _negated(_in_cluster),
    },
}


# The NetBox writes that put an invariant's evidence in place. While a fault makes NetBox refuse one
# of them, the invariant cannot hold whatever the implementation does (HH-AUTH-002: "only the status
# report is missing"), so it is not evaluated then; other runs evaluate it.
RECORDED_BY: dict[str, frozenset[str]] = {
    name: frozenset(ops)
    for ops, names in (
        (("netbox.dcim.sites.update",), ("never_synced", "no_sync_running", "open_pull_request_recorded",
                                         "last_sync_commit_recorded")),
        (("netbox.extras.journal_entries.create",), ("sync_journal_open", "alert_journaled",
                                                     "resolution_journaled", "suppression_journaled")),
        (("netbox.dcim.sites.update", "netbox.extras.journal_entries.create"), ("sync_error_code_recorded",)),
    )
    for name in names
}  # fmt: skip


@dataclass(frozen=True)
class Verdict:
    machine: str
    invariant: str
    state: str
    entity: str
    holds: bool | None
    detail: str


def entities(observation: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(machine, entity, state) for everything the implementation reports."""
    fabric = observation.get("fabric") or {}
    name = str(fabric.get("name", ""))
    found = [(m, name, str((fabric.get(m) or {}).get("state"))) for m in ("fabric_sync", "fabric_status")
             if (fabric.get(m) or {}).get("state")]  # fmt: skip
    found += [("connection_status", e, str(v.get("state"))) for e, v in (fabric.get("connections") or {}).items()]
    found += [("pull_request", n, str(v.get("state"))) for n, v in (fabric.get("pull_requests") or {}).items()]
    for r in observation.get("resources", []):
        entity = f"{r['plural']}/{r['name']}"
        found += [(m, entity, str(r[k]["state"])) for m, k in RESOURCE_FIELDS.items()
                  if (r.get(k) or {}).get("state")]  # fmt: skip
    found += [("reconciliation_alert", f"{name}/{a.get('id')}", str(a.get("state")))
              for a in observation.get("alerts", []) if a.get("id") is not None]  # fmt: skip
    return found


def evaluate(systems: Systems, specs: SpecSet, *, refused: frozenset[str] = frozenset(),
             unseen: frozenset[str] = frozenset()) -> list[Verdict]:  # fmt: skip
    """Every invariant of every entity ``systems.observation`` reports in its current state, evaluated
    on the systems.
    ``refused``: operations a fault makes NetBox refuse; what they would record is not evaluated.
    ``unseen``: resource entities (``<plural>/<name>``) the world changed in the cluster since the
    implementation last compared it with the branch; their resource invariants, and fabric_sync's,
    are not evaluated (a step that does not look, such as an alert change or a run that failed
    before comparing, cannot be expected to know)."""
    machines: dict[str, StateMachine] = {m.id: m for m in specs.machines}
    observation = systems.observation
    verdicts = []
    in_flight = str(((observation.get("fabric") or {}).get("fabric_sync") or {}).get("state")) == "syncing"
    for machine_id, entity, state in entities(observation):
        machine = machines.get(machine_id)
        if machine is None or (in_flight and machine_id in RESOURCE_FIELDS):
            continue  # a sync in flight (one a crash killed) moves Git and the cluster under them
        if (machine_id in RESOURCE_FIELDS and entity in unseen) or (machine_id == "fabric_sync" and unseen):
            continue  # changed in the cluster since the implementation last looked: not its to know yet
        declared = next((s.invariants for s in machine.states if s.name == state), ())
        for name in declared:
            check = CHECKS.get(machine_id, {}).get(name)
            if check is None:
                verdicts.append(Verdict(machine_id, name, state, entity, False, "no named check for this invariant"))
                continue
            blocked = sorted(RECORDED_BY.get(name, frozenset()) & refused)
            if blocked:
                detail = f"not evaluated: the fault refuses {blocked[0]}, which records it"
                verdicts.append(Verdict(machine_id, name, state, entity, None, detail))
                continue
            try:
                holds, detail = check(systems, entity)
            except (TargetError, httpx.HTTPError) as exc:  # not shown to hold: the run is no evidence
                holds, detail = False, f"the harness could not read the evidence from the systems: {exc}"
            verdicts.append(Verdict(machine_id, name, state, entity, holds, detail))
    return verdicts


def check_invariants(world: World, specs: SpecSet, recorder: Any, files: Mapping[str, str],
                     observation: Mapping[str, Any] | None = None, *,
                     refused: frozenset[str] = frozenset(), intent_seen: bool = False,
                     unseen: frozenset[str] = frozenset(), systems: Systems | None = None) -> list[str]:  # fmt: skip
    """Evaluate what the current states declare, record each verdict (``invariant`` elements), and
    return the broken ones as problems. Unevaluable invariants are not recorded. ``systems``: what
    the caller already read of the systems for this observation (the world suite's mapping checks
    share it); its observation and ``intent_seen`` are then the ones it was made with."""
    from harness.report.elements import invariant_id  # noqa: PLC0415

    if systems is None:
        seen = observation if observation is not None else world.observe()
        systems = Systems.of(world, specs, seen, intent_seen=intent_seen)
    problems = []
    verdicts = evaluate(systems, specs, refused=refused, unseen=unseen)
    for v in verdicts:
        if v.holds is None:
            continue
        element = invariant_id(files.get(v.machine, f"state_machines/{v.machine}.yaml"), v.invariant)
        recorder.record(element, "invariant", "pass" if v.holds else "fail", f"{v.entity} in {v.state}: {v.detail}")
        if not v.holds:
            problems.append(f"invariant {v.machine}.{v.invariant} of {v.entity} in {v.state} is broken: {v.detail}")
    return problems
