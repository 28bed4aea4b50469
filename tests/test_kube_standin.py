"""The Kubernetes stand-in behaves like kube-apiserver, as seen through the official client.

Nothing here reaches into the stand-in: every check goes through the ``kubernetes``
client against the Endpoint's kubeconfig, so the same tests can run against kind.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException
from kubernetes.dynamic import DynamicClient

from harness.targets.base import Endpoint, wait_for
from harness.targets.kube.local import LocalKube

WIRING, VPC, V = "wiring.githedgehog.com", "vpc.githedgehog.com", "v1beta1"
NS = "default"


@pytest.fixture(scope="module")
def started() -> Iterator[tuple[LocalKube, Endpoint]]:
    kube = LocalKube(ready_delay=0.1)
    endpoint = kube.start()
    yield kube, endpoint
    kube.stop()


@pytest.fixture
def target(started: tuple[LocalKube, Endpoint]) -> LocalKube:
    kube, _ = started
    kube.reset()
    return kube


@pytest.fixture
def api(started: tuple[LocalKube, Endpoint], target: LocalKube) -> Iterator[client.ApiClient]:
    api_client = config.new_client_from_config(config_file=started[1].extra["kubeconfig"])
    yield api_client
    api_client.close()


@pytest.fixture
def custom(api: client.ApiClient) -> client.CustomObjectsApi:
    return client.CustomObjectsApi(api)


def switch(name: str, role: str = "server-leaf", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": f"{WIRING}/{V}",
        "kind": "Switch",
        "metadata": {"name": name, "labels": {"rack": "a"}},
        "spec": {"role": role, **spec},
    }


def create_switch(custom: client.CustomObjectsApi, body: dict[str, Any], **kw: Any) -> dict[str, Any]:
    obj: dict[str, Any] = custom.create_namespaced_custom_object(WIRING, V, NS, "switches", body, **kw)
    return obj


def error(exc: ApiException) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(exc.body)
    return body


def test_create_answers_201_with_server_metadata(custom: client.CustomObjectsApi) -> None:
    obj, status, _ = custom.create_namespaced_custom_object_with_http_info(WIRING, V, NS, "switches", switch("leaf-01"))
    assert status == 201
    meta = obj["metadata"]
    assert meta["uid"] and meta["creationTimestamp"].endswith("Z")
    assert meta["generation"] == 1 and int(meta["resourceVersion"]) > 0


def test_create_of_existing_name_is_409_already_exists(custom: client.CustomObjectsApi) -> None:
    create_switch(custom, switch("leaf-01"))
    with pytest.raises(ApiException) as info:
        create_switch(custom, switch("leaf-01"))
    assert info.value.status == 409
    assert error(info.value)["reason"] == "AlreadyExists"


def test_list_carries_kind_api_version_and_resource_version(custom: client.CustomObjectsApi) -> None:
    create_switch(custom, switch("leaf-01"))
    listing = custom.list_namespaced_custom_object(WIRING, V, NS, "switches")
    assert listing["kind"] == "SwitchList" and listing["apiVersion"] == f"{WIRING}/{V}"
    assert listing["metadata"]["resourceVersion"].isdigit()
    assert [item["kind"] for item in listing["items"]] == ["Switch"]


def test_stale_resource_version_is_409_conflict_with_status_shape(custom: client.CustomObjectsApi) -> None:
    created = create_switch(custom, switch("leaf-01"))
    stale = created["metadata"]["resourceVersion"]
    custom.patch_namespaced_custom_object(WIRING, V, NS, "switches", "leaf-01", {"spec": {"asn": 65101}})
    created["spec"]["asn"] = 65199
    with pytest.raises(ApiException) as info:
        custom.replace_namespaced_custom_object(WIRING, V, NS, "switches", "leaf-01", created)
    assert info.value.status == 409
    body = error(info.value)
    assert {k: body[k] for k in ("kind", "apiVersion", "status", "reason", "code")} == {
        "kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Conflict", "code": 409,
    }  # fmt: skip
    assert body["details"] == {"name": "leaf-01", "group": WIRING, "kind": "switches"}
    assert "the object has been modified" in body["message"]
    assert (
        stale
        != custom.get_namespaced_custom_object(WIRING, V, NS, "switches", "leaf-01")["metadata"]["resourceVersion"]
    )


def test_label_and_field_selectors_filter_lists(custom: client.CustomObjectsApi) -> None:
    create_switch(custom, switch("leaf-01"))
    spine = switch("spine-01", role="spine")
    spine["metadata"]["labels"] = {"rack": "b", "tier": "spine"}
    create_switch(custom, spine)

    def names(**kw: str) -> list[str]:
        items = custom.list_namespaced_custom_object(WIRING, V, NS, "switches", **kw)["items"]
        return [item["metadata"]["name"] for item in items]

    assert names(label_selector="rack=a") == ["leaf-01"]
    assert names(label_selector="rack in (a,b),!tier") == ["leaf-01"]
    assert names(label_selector="tier") == ["spine-01"]
    assert names(field_selector="metadata.name=spine-01") == ["spine-01"]
    assert names(field_selector="metadata.name!=spine-01,metadata.namespace=default") == ["leaf-01"]
    with pytest.raises(ApiException) as info:
        names(field_selector="spec.role=spine")
    assert info.value.status == 400


def test_replace_changes_spec_and_bumps_generation_and_resource_version(custom: client.CustomObjectsApi) -> None:
    created = create_switch(custom, switch("leaf-01", asn=65101))
    created["spec"]["asn"] = 65102
    replaced = custom.replace_namespaced_custom_object(WIRING, V, NS, "switches", "leaf-01", created)
    assert replaced["spec"]["asn"] == 65102
    assert replaced["metadata"]["generation"] == 2
    assert int(replaced["metadata"]["resourceVersion"]) > int(created["metadata"]["resourceVersion"])
    assert replaced["metadata"]["uid"] == created["metadata"]["uid"]


def test_status_subresource_is_separate_from_spec(custom: client.CustomObjectsApi) -> None:
    create_switch(custom, switch("leaf-01", asn=65101))
    after_status = custom.patch_namespaced_custom_object_status(
        WIRING, V, NS, "switches", "leaf-01", {"spec": {"asn": 1}, "status": {}}
    )
    assert after_status["spec"]["asn"] == 65101, "a status write must not touch spec"
    assert after_status["metadata"]["generation"] == 1, "a status write must not bump generation"
    after_spec = custom.patch_namespaced_custom_object(
        WIRING, V, NS, "switches", "leaf-01", {"spec": {"asn": 65102}, "status": {"x": 1}}
    )
    assert after_spec["metadata"]["generation"] == 2
    assert after_spec.get("status", {}).get("x") is None, "a main-resource write must not touch status"


def test_json_patch_and_merge_patch_are_applied(custom: client.CustomObjectsApi) -> None:
    create_switch(custom, switch("leaf-01", description="one"))
    merged = custom.patch_namespaced_custom_object(
        WIRING, V, NS, "switches", "leaf-01", {"spec": {"description": None, "asn": 65111}}
    )
    assert "description" not in merged["spec"] and merged["spec"]["asn"] == 65111
    patched = custom.patch_namespaced_custom_object(
        WIRING,
        V,
        NS,
        "switches",
        "leaf-01",
        [{"op": "replace", "path": "/spec/role", "value": "spine"}],
        _content_type="application/json-patch+json",
    )
    assert patched["spec"]["role"] == "spine"


def test_invalid_object_is_422_with_causes(custom: client.CustomObjectsApi) -> None:
    with pytest.raises(ApiException) as info:
        create_switch(custom, switch("leaf-01", role="access-leaf", asn="x"))
    assert info.value.status == 422
    body = error(info.value)
    assert body["reason"] == "Invalid" and body["code"] == 422
    assert body["details"]["kind"] == "Switch" and body["details"]["name"] == "leaf-01"
    causes = {c["field"]: c["reason"] for c in body["details"]["causes"]}
    assert causes == {"spec.role": "FieldValueNotSupported", "spec.asn": "FieldValueTypeInvalid"}
    assert body["message"].startswith('Switch.wiring.githedgehog.com "leaf-01" is invalid: [')


def test_missing_required_field_is_field_value_required(custom: client.CustomObjectsApi) -> None:
    body = switch("leaf-01")
    del body["spec"]["role"]
    with pytest.raises(ApiException) as info:
        create_switch(custom, body)
    assert error(info.value)["details"]["causes"] == [
        {"reason": "FieldValueRequired", "message": "Required value", "field": "spec.role"}
    ]


def test_unknown_fields_are_pruned_with_a_warning_by_default(custom: client.CustomObjectsApi) -> None:
    obj, status, headers = custom.create_namespaced_custom_object_with_http_info(
        WIRING, V, NS, "switches", switch("leaf-01", rackUnit=12)
    )
    assert status == 201 and "rackUnit" not in obj["spec"]
    assert 'unknown field \\"spec.rackUnit\\"' in headers["Warning"]


def test_unknown_fields_are_rejected_under_strict(custom: client.CustomObjectsApi) -> None:
    with pytest.raises(ApiException) as info:
        create_switch(custom, switch("leaf-01", rackUnit=12), field_validation="Strict")
    assert info.value.status == 400
    body = error(info.value)
    assert body["reason"] == "BadRequest"
    assert body["message"] == 'strict decoding error: unknown field "spec.rackUnit"'


def test_unknown_kind_and_unserved_version_are_404(custom: client.CustomObjectsApi) -> None:
    for group, version, plural in ((WIRING, V, "routers"), (WIRING, "v1alpha2", "switches"), ("nope.example", V, "x")):
        with pytest.raises(ApiException) as info:
            custom.create_namespaced_custom_object(group, version, NS, plural, switch("leaf-01"))
        assert info.value.status == 404
        body = error(info.value)
        assert body["reason"] == "NotFound"
        assert body["message"] == "the server could not find the requested resource"


def test_get_of_missing_object_is_404_not_found(custom: client.CustomObjectsApi) -> None:
    with pytest.raises(ApiException) as info:
        custom.get_namespaced_custom_object(WIRING, V, NS, "switches", "ghost")
    assert error(info.value)["message"] == 'switches.wiring.githedgehog.com "ghost" not found'


def test_watch_streams_changes_and_honours_timeout(custom: client.CustomObjectsApi) -> None:
    created = create_switch(custom, switch("leaf-01"))
    custom.patch_namespaced_custom_object(WIRING, V, NS, "switches", "leaf-01", {"spec": {"asn": 65101}})
    custom.delete_namespaced_custom_object(WIRING, V, NS, "switches", "leaf-01")
    events = list(
        watch.Watch().stream(
            custom.list_namespaced_custom_object, WIRING, V, NS, "switches",
            resource_version=created["metadata"]["resourceVersion"], timeout_seconds=1,
        )
    )  # fmt: skip
    kinds = [e["type"] for e in events if e["object"]["metadata"]["name"] == "leaf-01"]
    assert kinds[0] == "MODIFIED" and kinds[-1] == "DELETED"
    assert "ADDED" not in kinds, "a watch from a resourceVersion replays only newer events"


def test_ready_condition_arrives_and_follows_generation(custom: client.CustomObjectsApi) -> None:
    create_switch(custom, switch("leaf-01"))

    def ready_for(generation: int) -> bool:
        obj = custom.get_namespaced_custom_object(WIRING, V, NS, "switches", "leaf-01")
        conditions = obj.get("status", {}).get("conditions", [])
        return any(
            c["type"] == "Ready" and c["status"] == "True" and c["observedGeneration"] == generation for c in conditions
        )

    wait_for(lambda: ready_for(1), 5, "Ready for generation 1")
    custom.patch_namespaced_custom_object(WIRING, V, NS, "switches", "leaf-01", {"spec": {"asn": 65101}})
    wait_for(lambda: ready_for(2), 5, "Ready for generation 2")


def test_ready_can_be_made_to_fail_or_never_come(custom: client.CustomObjectsApi) -> None:
    failing, silent = switch("leaf-01"), switch("leaf-02")
    failing["metadata"]["annotations"] = {"harness.githedgehog.com/ready-outcome": "False"}
    silent["metadata"]["annotations"] = {"harness.githedgehog.com/ready-outcome": "Never"}
    create_switch(custom, silent)
    create_switch(custom, failing)

    def conditions(name: str) -> list[dict[str, Any]]:
        obj = custom.get_namespaced_custom_object(WIRING, V, NS, "switches", name)
        found: list[dict[str, Any]] = obj.get("status", {}).get("conditions", [])
        return found

    wait_for(lambda: bool(conditions("leaf-01")), 5, "a condition on leaf-01")
    assert conditions("leaf-01")[0]["status"] == "False"
    assert conditions("leaf-01")[0]["reason"] == "ApplyFailed"
    assert conditions("leaf-02") == [], "created before leaf-01, so it would have been handled already"


def test_namespaces_gate_namespaced_objects(api: client.ApiClient, custom: client.CustomObjectsApi) -> None:
    core = client.CoreV1Api(api)
    with pytest.raises(ApiException) as info:
        custom.create_namespaced_custom_object(WIRING, V, "fabric-b", "switches", switch("leaf-01"))
    assert info.value.status == 404 and error(info.value)["message"] == 'namespaces "fabric-b" not found'
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="fabric-b")))
    assert "fabric-b" in [ns.metadata.name for ns in core.list_namespace().items]
    custom.create_namespaced_custom_object(WIRING, V, "fabric-b", "switches", switch("leaf-01"))
    assert custom.list_namespaced_custom_object(WIRING, V, NS, "switches")["items"] == []
    core.delete_namespace("fabric-b")
    assert custom.list_cluster_custom_object(WIRING, V, "switches")["items"] == []


def test_crd_created_over_the_api_is_served_and_validates(api: client.ApiClient) -> None:
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.test"},
        "spec": {
            "group": "example.test",
            "scope": "Cluster",
            "names": {"kind": "Widget", "plural": "widgets", "singular": "widget", "listKind": "WidgetList"},
            "versions": [{
                "name": "v1", "served": True, "storage": True,
                "schema": {"openAPIV3Schema": {"type": "object", "properties": {"spec": {
                    "type": "object",
                    "properties": {
                        "port": {"x-kubernetes-int-or-string": True},
                        "label": {"type": "string", "maxLength": 3, "nullable": True},
                        "mac": {"type": "string", "format": "mac"},
                        "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                        "replicas": {"type": "integer", "minimum": 1, "maximum": 3},
                    },
                }}}},
            }],
        },
    }  # fmt: skip
    ext = client.ApiextensionsV1Api(api)
    custom = client.CustomObjectsApi(api)
    ext.create_custom_resource_definition(crd)
    try:
        good = {
            "port": "http",
            "label": None,
            "mac": "0c:29:ef:00:00:01",
            "extra": {"any": {"thing": 1}},
            "replicas": 3,
        }
        widget = {"apiVersion": "example.test/v1", "kind": "Widget", "metadata": {"name": "w1"}, "spec": good}
        created = custom.create_cluster_custom_object("example.test", "v1", "widgets", widget)
        assert created["spec"]["extra"] == {"any": {"thing": 1}}
        widget["metadata"]["name"] = "w2"
        widget["spec"] = {"port": 1.5, "label": "long", "mac": "zz", "replicas": 0}
        with pytest.raises(ApiException) as info:
            custom.create_cluster_custom_object("example.test", "v1", "widgets", widget)
        causes = {c["field"]: c["reason"] for c in error(info.value)["details"]["causes"]}
        assert causes == {
            "spec.port": "FieldValueTypeInvalid", "spec.label": "FieldValueTooLong",
            "spec.mac": "FieldValueInvalid", "spec.replicas": "FieldValueInvalid",
        }  # fmt: skip
    finally:
        ext.delete_custom_resource_definition("widgets.example.test")
    with pytest.raises(ApiException) as gone:
        custom.list_cluster_custom_object("example.test", "v1", "widgets")
    assert gone.value.status == 404


def test_version_and_discovery_answer(api: client.ApiClient) -> None:
    assert client.VersionApi(api).get_code().major == "1"
    groups = {g.name for g in client.ApisApi(api).get_api_versions().groups}
    assert {WIRING, VPC, "apiextensions.k8s.io"} <= groups
    resources = client.CustomObjectsApi(api).get_api_resources(WIRING, V).resources
    assert {"switches", "switches/status", "connections"} <= {r.name for r in resources}


def test_reset_deletes_objects_but_keeps_crds(target: LocalKube, custom: client.CustomObjectsApi) -> None:
    create_switch(custom, switch("leaf-01"))
    target.reset()
    assert custom.list_namespaced_custom_object(WIRING, V, NS, "switches")["items"] == []
    create_switch(custom, switch("leaf-01"))


def test_lists_page_with_limit_and_continue_in_key_order(custom: client.CustomObjectsApi) -> None:
    for name in ("sw-c", "sw-a", "sw-e", "sw-b", "sw-d"):
        create_switch(custom, switch(name))
    first = custom.list_namespaced_custom_object(WIRING, V, NS, "switches", limit=2)
    assert [o["metadata"]["name"] for o in first["items"]] == ["sw-a", "sw-b"]
    assert first["metadata"]["remainingItemCount"] == 3 and first["metadata"]["continue"]
    second = custom.list_namespaced_custom_object(WIRING, V, NS, "switches", limit=2,
                                                  _continue=first["metadata"]["continue"])  # fmt: skip
    assert [o["metadata"]["name"] for o in second["items"]] == ["sw-c", "sw-d"]
    assert second["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
    last = custom.list_namespaced_custom_object(WIRING, V, NS, "switches", limit=2,
                                                _continue=second["metadata"]["continue"])  # fmt: skip
    assert [o["metadata"]["name"] for o in last["items"]] == ["sw-e"]
    assert not last["metadata"].get("continue")


def test_a_continue_token_from_before_a_compaction_is_410_expired(
    custom: client.CustomObjectsApi, target: LocalKube
) -> None:
    for name in ("sw-a", "sw-b", "sw-c"):
        create_switch(custom, switch(name))
    token = custom.list_namespaced_custom_object(WIRING, V, NS, "switches", limit=1)["metadata"]["continue"]
    create_switch(custom, switch("sw-d"))
    target.compact()
    with pytest.raises(ApiException) as raised:
        custom.list_namespaced_custom_object(WIRING, V, NS, "switches", limit=1, _continue=token)
    assert raised.value.status == 410 and error(raised.value)["reason"] == "Expired"
    with pytest.raises(ApiException) as garbled:
        custom.list_namespaced_custom_object(WIRING, V, NS, "switches", limit=1, _continue="not-a-token")
    assert garbled.value.status == 400


APPLY_YAML = "application/apply-patch+yaml"


def apply(
    custom: client.CustomObjectsApi, body: dict[str, Any], manager: str | None, **kw: Any
) -> tuple[dict[str, Any] | None, int]:
    """Server-side apply through the client's own patch call, with the apply content type."""
    obj, status, _ = custom.patch_namespaced_custom_object_with_http_info(
        WIRING, V, NS, "switches", body["metadata"]["name"], body,
        field_manager=manager, _content_type=APPLY_YAML, **kw,
    )  # fmt: skip
    return obj, status


def get_switch(custom: client.CustomObjectsApi, name: str) -> dict[str, Any]:
    obj: dict[str, Any] = custom.get_namespaced_custom_object(WIRING, V, NS, "switches", name)
    return obj


def owners(obj: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """managedFields by (manager, operation) -> fieldsV1."""
    return {(e["manager"], e["operation"]): e["fieldsV1"] for e in obj["metadata"]["managedFields"]}


def test_apply_creates_a_missing_object_with_201_and_the_applier_owning_its_fields(
    custom: client.CustomObjectsApi,
) -> None:
    _, status = apply(custom, switch("leaf-01", asn=65101), "alice")
    assert status == 201
    obj = get_switch(custom, "leaf-01")
    assert obj["spec"] == {"role": "server-leaf", "asn": 65101} and obj["metadata"]["generation"] == 1
    assert owners(obj) == {
        ("alice", "Apply"): {"f:metadata": {"f:labels": {"f:rack": {}}}, "f:spec": {"f:role": {}, "f:asn": {}}}
    }


def test_apply_without_field_manager_is_422_naming_field_manager(custom: client.CustomObjectsApi) -> None:
    with pytest.raises(ApiException) as info:
        apply(custom, switch("leaf-01"), None)
    assert info.value.status == 422
    body = error(info.value)
    assert (
        body["reason"] == "Invalid" and "fieldManager: Required value: is required for apply patch" in body["message"]
    )
    assert body["details"]["causes"][0]["field"] == "fieldManager"


def test_apply_changing_a_field_another_manager_owns_is_409_naming_field_and_manager(
    custom: client.CustomObjectsApi,
) -> None:
    apply(custom, switch("leaf-01", asn=65101), "alice")
    with pytest.raises(ApiException) as info:
        apply(custom, switch("leaf-01", asn=65102, description="bob's"), "bob")
    assert info.value.status == 409
    body = error(info.value)
    assert body["reason"] == "Conflict"
    assert body["message"] == 'Apply failed with 1 conflict: conflict with "alice": .spec.asn'
    assert body["details"]["causes"] == [
        {"reason": "FieldManagerConflict", "message": 'conflict with "alice"', "field": ".spec.asn"}
    ]
    assert "description" not in get_switch(custom, "leaf-01")["spec"]  # nothing of a refused apply is stored


def test_forced_apply_takes_the_value_and_the_ownership(custom: client.CustomObjectsApi) -> None:
    apply(custom, switch("leaf-01", asn=65101), "alice")
    apply(custom, switch("leaf-01", asn=65102), "bob", force=True)
    obj = get_switch(custom, "leaf-01")
    assert obj["spec"]["asn"] == 65102 and obj["metadata"]["generation"] == 2
    fields = owners(obj)
    assert "f:asn" not in fields[("alice", "Apply")]["f:spec"]
    assert fields[("bob", "Apply")]["f:spec"] == {"f:role": {}, "f:asn": {}}


def test_appliers_of_the_same_value_share_it_and_one_dropping_it_keeps_it(custom: client.CustomObjectsApi) -> None:
    apply(custom, switch("leaf-01", asn=65101), "alice")
    _, status = apply(custom, switch("leaf-01", asn=65101), "bob")
    assert status == 200
    apply(custom, switch("leaf-01"), "alice")  # alice stops applying asn; bob still owns it
    assert get_switch(custom, "leaf-01")["spec"]["asn"] == 65101
    apply(custom, switch("leaf-01"), "bob")  # now nobody owns asn: apply removes it
    assert "asn" not in get_switch(custom, "leaf-01")["spec"]


def test_finalizers_are_a_set_each_applier_owns_its_own(custom: client.CustomObjectsApi) -> None:
    def with_finalizer(name: str) -> dict[str, Any]:
        body = switch("leaf-01")
        body["metadata"]["finalizers"] = [name]
        return body

    apply(custom, with_finalizer("example.com/alice"), "alice")
    apply(custom, with_finalizer("example.com/bob"), "bob")  # another item of the set: no conflict
    obj = get_switch(custom, "leaf-01")
    assert obj["metadata"]["finalizers"] == ["example.com/alice", "example.com/bob"]
    assert owners(obj)[("bob", "Apply")]["f:metadata"]["f:finalizers"] == {'v:"example.com/bob"': {}}
    apply(custom, switch("leaf-01"), "bob")  # bob drops his finalizer; alice's stays
    assert get_switch(custom, "leaf-01")["metadata"]["finalizers"] == ["example.com/alice"]


def test_an_unchanged_apply_keeps_the_resource_version(custom: client.CustomObjectsApi) -> None:
    apply(custom, switch("leaf-01", asn=65101), "alice")
    before = get_switch(custom, "leaf-01")["metadata"]["resourceVersion"]
    apply(custom, switch("leaf-01", asn=65101), "alice")
    assert get_switch(custom, "leaf-01")["metadata"]["resourceVersion"] == before


def test_updates_record_their_manager_and_apply_conflicts_with_it(custom: client.CustomObjectsApi) -> None:
    create_switch(custom, switch("leaf-01"), field_manager="fabricator")
    custom.patch_namespaced_custom_object(
        WIRING, V, NS, "switches", "leaf-01", {"spec": {"asn": 65101}}, field_manager="fabricator"
    )
    fields = owners(get_switch(custom, "leaf-01"))
    assert fields[("fabricator", "Update")]["f:spec"] == {"f:role": {}, "f:asn": {}}
    with pytest.raises(ApiException) as info:
        apply(custom, switch("leaf-01", asn=65102), "alice")
    cause = error(info.value)["details"]["causes"][0]
    assert cause["message"] == f'conflict with "fabricator" using {WIRING}/{V}' and cause["field"] == ".spec.asn"


def test_an_apply_configuration_carrying_managed_fields_is_400(custom: client.CustomObjectsApi) -> None:
    body = switch("leaf-01")
    body["metadata"]["managedFields"] = [{"manager": "mallory", "operation": "Apply"}]
    with pytest.raises(ApiException) as info:
        apply(custom, body, "alice")
    assert info.value.status == 400 and error(info.value)["message"] == "metadata.managedFields must be nil"


def test_force_on_a_merge_patch_is_422(custom: client.CustomObjectsApi) -> None:
    create_switch(custom, switch("leaf-01"))
    with pytest.raises(ApiException) as info:
        custom.patch_namespaced_custom_object(WIRING, V, NS, "switches", "leaf-01", {"spec": {"asn": 1}}, force=True)
    assert info.value.status == 422
    assert "force: Forbidden: may not be specified for non-apply patch" in error(info.value)["message"]


def test_apply_through_the_dynamic_client_with_yaml_body(api: client.ApiClient) -> None:
    dynamic = DynamicClient(api)
    switches = dynamic.resources.get(api_version=f"{WIRING}/{V}", kind="Switch")
    dynamic.server_side_apply(switches, body=switch("leaf-01", asn=65101), namespace=NS, field_manager="dyn")
    with pytest.raises(ApiException) as info:
        dynamic.server_side_apply(switches, body=switch("leaf-01", asn=7), namespace=NS, field_manager="other")
    assert info.value.status == 409
    forced = dynamic.server_side_apply(
        switches, body=switch("leaf-01", asn=7), namespace=NS, field_manager="other", force_conflicts=True
    )
    assert forced.spec.asn == 7
