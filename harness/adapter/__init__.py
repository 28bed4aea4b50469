"""The adapter seam: the only way the harness reaches an implementation under test.

An adapter is a module or object implementing some of the hooks in
:mod:`harness.adapter.hookspecs` (marked with :data:`hookimpl`). It is found by name in the
entry-point group ``hh_harness.adapters`` (the ``adapter`` setting of ``[tool.harness]``, or
``--harness-adapter``), or given directly as ``package.module:attribute``. With exactly one
adapter installed, no name is needed.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Mapping
from functools import cache
from importlib.metadata import entry_points
from importlib.resources import files
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy

from harness.adapter import hookspecs
from harness.adapter.types import (
    Command,
    Endpoints,
    FireResult,
    ImportIssue,
    MachineBinding,
    Rejection,
    Renderer,
    RenderRejected,
    Service,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "Adapter",
    "AdapterError",
    "Command",
    "Endpoints",
    "FireResult",
    "ImportIssue",
    "MachineBinding",
    "NotProvided",
    "Rejection",
    "RenderRejected",
    "Renderer",
    "Service",
    "available_adapters",
    "hookimpl",
    "load_adapter",
]

ENTRY_POINT_GROUP = "hh_harness.adapters"
hookimpl = pluggy.HookimplMarker(hookspecs.PROJECT)
HOOKS = tuple(name for name in dir(hookspecs) if name.startswith("harness_"))


class AdapterError(RuntimeError):
    """The adapter could not be found, loaded or does not fit the hook specifications."""


class NotProvided(AdapterError):
    """The adapter does not implement a hook a suite needs; the suite reports "not applicable"."""

    def __init__(self, adapter: str, hook: str, why: str) -> None:
        self.adapter, self.hook = adapter, hook
        super().__init__(f"adapter {adapter!r} does not implement {hook} ({why})")


def available_adapters() -> dict[str, str]:
    """Installed adapters: entry-point name -> ``module:attribute``."""
    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def _resolve(reference: str | None) -> tuple[str, Any]:
    if reference and ":" in reference:
        module_name, _, attribute = reference.partition(":")
        try:
            module: ModuleType = importlib.import_module(module_name)
            return reference, getattr(module, attribute) if attribute else module
        except (ImportError, AttributeError) as exc:
            raise AdapterError(f"adapter {reference!r} cannot be loaded: {exc}") from exc
    installed = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
    if reference and reference not in installed:  # a module path
        try:
            return reference, importlib.import_module(reference)
        except ImportError as exc:
            names = ", ".join(sorted(installed)) or "none"
            raise AdapterError(
                f"no adapter named {reference!r} in entry-point group {ENTRY_POINT_GROUP!r} (installed: {names}), "
                f"and no module of that name can be imported ({exc}); or give it as package.module:attribute"
            ) from exc
    if reference is None:
        if len(installed) != 1:
            names = ", ".join(sorted(installed)) or "none is installed"
            raise AdapterError(
                "name the adapter of the implementation under test ([tool.harness] adapter = NAME, "
                f"or --harness-adapter NAME); entry-point group {ENTRY_POINT_GROUP!r}: {names}"
            )
        reference = next(iter(installed))
    try:
        return reference, installed[reference].load()
    except Exception as exc:
        raise AdapterError(f"adapter {reference!r} ({installed[reference].value}) failed to load: {exc}") from exc


class Adapter:
    """The harness's view of one adapter: typed calls, and which hooks it provides."""

    def __init__(self, name: str, plugin: Any) -> None:
        self.name = name
        self._pm = pluggy.PluginManager(hookspecs.PROJECT)
        self._pm.add_hookspecs(hookspecs)
        try:
            self._pm.register(plugin, name=name)
            self._pm.check_pending()
        except (pluggy.PluginValidationError, ValueError) as exc:
            raise AdapterError(f"adapter {name!r} does not fit the hook specifications: {exc}") from exc
        unknown = sorted(attr for attr in dir(plugin) if attr.startswith("harness_") and attr not in HOOKS)
        if unknown:
            raise AdapterError(f"adapter {name!r} defines unknown hooks {unknown}; the hooks are {list(HOOKS)}")

    def provides(self, hook: str) -> bool:
        return bool(getattr(self._pm.hook, hook).get_hookimpls())

    def _call(self, hook: str, why: str, **kwargs: Any) -> Any:
        if not self.provides(hook):
            raise NotProvided(self.name, hook, why)
        result = getattr(self._pm.hook, hook)(**kwargs)
        if result is None:
            raise NotProvided(self.name, hook, f"{why}; it answered None")
        return result

    @property
    def info(self) -> dict[str, str]:
        if not self.provides("harness_adapter_info"):
            return {"name": self.name}
        return {"name": self.name, **dict(self._pm.hook.harness_adapter_info() or {})}

    def command(self, action: str, endpoints: Endpoints, **options: str) -> Command:
        result: Command = self._call("harness_command", f"the {action!r} action", action=action,
                                     endpoints=endpoints, options=options)  # fmt: skip
        return result

    def service(self, endpoints: Endpoints, port: int) -> Service:
        result: Service = self._call("harness_service", "the webhook and status service", endpoints=endpoints,
                                     port=port)  # fmt: skip
        return result

    def observe(self, endpoints: Endpoints, fabric: str) -> Mapping[str, Any]:
        """The observation, checked against ``observation.schema.json``: a malformed one is an
        AdapterError naming the field, not a wrong verdict further on."""
        result: Mapping[str, Any] = self._call("harness_observe", "observing states and alerts",
                                               endpoints=endpoints, fabric=fabric)  # fmt: skip
        error = next(iter(_observation_validator().iter_errors(result)), None)
        if error is not None:
            where = "/" + "/".join(str(p) for p in error.absolute_path)
            raise AdapterError(f"adapter {self.name!r}: harness_observe answered an observation that does not fit "
                               f"harness/adapter/observation.schema.json at {where}: {error.message}")  # fmt: skip
        return result

    def transitions(self, endpoints: Endpoints, fabric: str, after: int) -> list[Mapping[str, Any]]:
        """The state changes after id ``after``, each checked against the shape and the ids
        against their order (increasing, after ``after``): a misfit is an AdapterError."""
        result = self._call("harness_transitions", "reporting the state changes it made",
                            endpoints=endpoints, fabric=fabric, after=after)  # fmt: skip
        validator = _observation_validator()
        last = after
        found = list(result)
        for index, item in enumerate(found):
            error = next(iter(validator.evolve(schema=TRANSITION_SCHEMA).iter_errors(item)), None)
            if error is not None:
                where = "/".join(str(p) for p in error.absolute_path)
                raise AdapterError(f"adapter {self.name!r}: harness_transitions item {index} does not fit "
                                   f"observation.schema.json#/$defs/transition at /{where}: "
                                   f"{error.message}")  # fmt: skip
            if item["id"] <= last:
                raise AdapterError(f"adapter {self.name!r}: harness_transitions item {index} has id {item['id']}, "
                                   f"not after {last}: ids must increase from the cursor asked for")  # fmt: skip
            last = item["id"]
        return found

    def machine_binding(self, endpoints: Endpoints) -> MachineBinding:
        result: MachineBinding = self._call("harness_machine_binding", "firing triggers at its state layer",
                                            endpoints=endpoints)  # fmt: skip
        return result

    def renderer(self, spec_root: Path) -> Renderer:
        result: Renderer = self._call("harness_renderer", "a pure render function", spec_root=spec_root)
        return result


TRANSITION_SCHEMA = {"$ref": "#/$defs/transition"}


@cache
def _observation_validator() -> Any:
    """The compiled validator of the observation shape (built once per process)."""
    import json  # noqa: PLC0415

    from jsonschema import Draft202012Validator  # noqa: PLC0415

    schema = json.loads((files("harness.adapter") / "observation.schema.json").read_text(encoding="utf-8"))
    return Draft202012Validator(schema)


def load_adapter(reference: str | None = None, root: Path | None = None) -> Adapter:
    """The adapter named ``reference``: an entry-point name, ``module:attribute`` or a module path;
    modules are importable from the project ``root`` as well (an adapter kept in the project)."""
    if root is not None and str(root) not in sys.path:
        sys.path.insert(0, str(root))
    name, plugin = _resolve(reference)
    return Adapter(name, plugin)
