"""The adapter seam: loading by entry-point name, module path or module:attribute, with errors that
say what would be valid; hooks checked against the specifications; observations checked against
their shape."""

from __future__ import annotations

import types
from pathlib import Path
from typing import Any

import pytest

from harness.adapter import AdapterError, Endpoints, NotProvided, available_adapters, hookimpl, load_adapter


def _plugin(**hooks: Any) -> types.SimpleNamespace:
    return types.SimpleNamespace(**{name: hookimpl(fn) for name, fn in hooks.items()})


def test_the_reference_is_found_by_its_entry_point_name() -> None:
    assert "reference" in available_adapters()
    adapter = load_adapter("reference")
    assert adapter.info["name"] == "hh-reference"
    assert adapter.provides("harness_renderer") and adapter.provides("harness_command")


def test_an_unknown_name_lists_the_installed_adapters() -> None:
    with pytest.raises(AdapterError, match=r"no adapter named 'nosuch'.*installed: .*reference"):
        load_adapter("nosuch")


def test_a_module_path_is_importable_from_the_project_root() -> None:
    root = Path(__file__).resolve().parents[1]
    assert load_adapter("tests.deficient.adapter", root).info["name"] == "deficient"
    with pytest.raises(AdapterError, match="no module of that name can be imported"):
        load_adapter("tests.deficient.nosuch", root)


def test_an_unknown_hook_is_refused_naming_the_hooks() -> None:
    module = types.ModuleType("typo_adapter")
    module.harness_observ = hookimpl(lambda endpoints, fabric: {})  # type: ignore[attr-defined]
    from harness.adapter import Adapter  # noqa: PLC0415

    with pytest.raises(AdapterError, match=r"unknown hook.*harness_observ"):
        Adapter("typo", module)


def test_a_hook_with_wrong_arguments_is_refused() -> None:
    from harness.adapter import Adapter  # noqa: PLC0415

    def harness_observe(endpoints: Endpoints, fabric: str, extra: int) -> dict[str, Any]:
        return {}

    with pytest.raises(AdapterError, match="does not fit the hook specifications"):
        Adapter("wrong", _plugin(harness_observe=harness_observe))


def test_a_missing_hook_is_not_provided_naming_it() -> None:
    from harness.adapter import Adapter  # noqa: PLC0415

    adapter = Adapter("bare", _plugin())
    with pytest.raises(NotProvided, match="does not implement harness_renderer"):
        adapter.renderer(Path())


def test_a_malformed_observation_is_an_error_naming_the_field() -> None:
    from harness.adapter import Adapter  # noqa: PLC0415

    def harness_observe(endpoints: Endpoints, fabric: str) -> dict[str, Any]:
        return {"fabric": {"fabric_sync": {"state": 3}}, "alerts": []}

    adapter = Adapter("odd", _plugin(harness_observe=harness_observe))
    with pytest.raises(AdapterError, match=r"at /fabric/fabric_sync/state: 3 is not of type"):
        adapter.observe(Endpoints(), "f")


def test_reported_transitions_must_fit_their_shape_and_follow_the_cursor() -> None:
    from harness.adapter import Adapter  # noqa: PLC0415

    answers: list[list[dict[str, Any]]] = []

    def harness_transitions(endpoints: Endpoints, fabric: str, after: int) -> list[dict[str, Any]]:
        return answers.pop()

    adapter = Adapter("odd", _plugin(harness_transitions=harness_transitions))
    good = {"id": 8, "machine": "fabric_sync", "entity": "f", "from": "in_sync", "to": "syncing", "trigger": "t"}
    answers.append([good])
    assert adapter.transitions(Endpoints(), "f", 7) == [good]
    answers.append([good])
    with pytest.raises(AdapterError, match="has id 8, not after 8"):
        adapter.transitions(Endpoints(), "f", 8)
    answers.append([{**good, "to": None}])
    with pytest.raises(AdapterError, match=r"item 0 does not fit .*transition at /to: None is not of type"):
        adapter.transitions(Endpoints(), "f", 0)
