"""The reference's renderer as a :class:`harness.adapter.Renderer`, through its public Python API.

``hh_reference.snapshot`` holds the typed NetBox side the renderer reads, ``render_fabric`` maps
it to Hedgehog objects, ``manifests.to_files`` writes the GitOps files, and the importer checks
manifests offline (``load_manifests``) and plans their inverse (``_Plan.check``; the importer's
only other step, ``write_fabric``, needs a NetBox, so the round trip stops at the plan here).
The generated property tests see only the Renderer protocol.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from harness.adapter import ImportIssue, Rejection, RenderRejected

RenderFunction = Callable[[Any], list[dict[str, Any]]]


class ReferenceRenderBinding:
    """Renders raw fabric records with ``hh_reference``; ``render`` can be replaced by a wrapper
    (the seeded-defect tests pass a deliberately broken one)."""

    def __init__(
        self, render: RenderFunction | None = None, prefix: str = "fabrics", spec_root: Path | None = None
    ) -> None:
        from hh_reference import snapshot  # noqa: PLC0415
        from hh_reference.errors import IntegrationError  # noqa: PLC0415
        from hh_reference.render import render_fabric  # noqa: PLC0415

        self._snapshot: Any = snapshot
        self._error: type[Exception] = IntegrationError
        self._render: RenderFunction = render or render_fabric
        self.prefix = prefix
        self.spec_root = spec_root  # the project's specs (the importer validates against its contracts)

    def snapshot(self, site: Mapping[str, Any], records: Mapping[str, list[dict[str, Any]]]) -> Any:
        """The reference's FabricSnapshot for raw records (keys starting with ``_`` are test aids)."""
        s = self._snapshot

        def clean(record: Mapping[str, Any]) -> dict[str, Any]:
            return {k: v for k, v in record.items() if not k.startswith("_")}

        def cable(raw: Mapping[str, Any]) -> Any:
            values = clean(raw)
            for end in ("a", "b"):
                values[end] = tuple(s.Termination(**t) for t in values[end])
            values["vpc_subnets"] = tuple(values.get("vpc_subnets") or ())
            return s.Cable(**values)

        def tagged(cls: Any) -> Callable[[Mapping[str, Any]], Any]:
            return lambda raw: cls(**{**clean(raw), "tags": frozenset(raw.get("tags", ()))})

        def group(raw: Mapping[str, Any]) -> Any:
            ranges = tuple(tuple(r) for r in raw["vid_ranges"])
            return s.VlanGroup(**{**clean(raw), "vid_ranges": ranges, "tags": frozenset(raw.get("tags", ()))})

        builders: dict[str, Callable[[Mapping[str, Any]], Any]] = {
            "devices": lambda raw: s.Device(**clean(raw)),
            "device_types": lambda raw: s.DeviceType(**clean(raw)),
            "virtual_chassis": lambda raw: s.VirtualChassis(**clean(raw)),
            "interfaces": lambda raw: s.Interface(**clean(raw)),
            "cables": cable,
            "vlan_groups": group,
            "vrfs": tagged(s.Vrf),
            "prefixes": lambda raw: s.Prefix(**clean(raw)),
            "ip_addresses": lambda raw: s.IpAddress(**clean(raw)),
        }
        parts = {model: tuple(build(r) for r in records.get(model, [])) for model, build in builders.items()}
        return s.FabricSnapshot(site=tagged(s.Site)(site), **parts)

    def render(self, site: Mapping[str, Any], records: Mapping[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
        """The rendered objects; raises :class:`RenderRejected` when the system refuses the input."""
        snap = self.snapshot(site, records)
        try:
            return self._render(snap)
        except self._error as exc:
            raise RenderRejected(Rejection(str(getattr(exc, "code", "")), str(exc))) from exc

    def files(self, fabric: str, objects: list[dict[str, Any]]) -> dict[str, bytes]:
        """The GitOps files (path -> bytes) the system writes for ``objects``."""
        from hh_reference.manifests import to_files  # noqa: PLC0415

        return dict(to_files(self.prefix, fabric, objects))

    def reimport(self, files: Mapping[str, bytes]) -> tuple[list[dict[str, Any]], list[ImportIssue]]:
        """Read ``files`` back with the importer's offline checks and inverse plan: the objects it
        loaded and every problem it reports (none for a faithful render)."""
        from hh_reference.importer import _Plan, load_manifests  # noqa: PLC0415

        with tempfile.TemporaryDirectory(prefix="hh-roundtrip-") as tmp:
            root = Path(tmp)
            for path, data in files.items():
                target = root / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
            loaded, problems = load_manifests(root, self.spec_root)
        plan = _Plan(loaded)
        if not problems:
            plan.check()
        issues = [ImportIssue(p.file, p.code, p.message) for p in [*problems, *plan.problems]]
        return [obj for _, obj in loaded], issues
