"""Draw a state machine as inline SVG: states on an ellipse, edges as curves.

The report page must work offline, so the drawing is generated here instead of by a
JavaScript graph library. Taken edges are solid green, untaken dashed grey, failing red.
Every piece of spec text goes through ``html.escape``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape
from typing import Any

FONT_PX = 13
CHAR_PX = 7.6  # average advance of the sans-serif font at FONT_PX, for sizing boxes
NODE_H = 34.0
STYLE = {
    "taken": ("#1a7f37", "", 2.0),
    "untaken": ("#8c959f", "6 5", 1.4),
    "failed": ("#cf222e", "", 2.6),
}


@dataclass(frozen=True)
class _Node:
    name: str
    x: float
    y: float
    w: float

    def clip(self, tx: float, ty: float, pad: float = 2.0) -> tuple[float, float]:
        """Where the ray from the centre towards (tx, ty) leaves the box."""
        dx, dy = tx - self.x, ty - self.y
        if dx == 0 and dy == 0:
            return self.x, self.y
        hw, hh = self.w / 2 + pad, NODE_H / 2 + pad
        t = min(hw / abs(dx) if dx else math.inf, hh / abs(dy) if dy else math.inf)
        return self.x + dx * t, self.y + dy * t


def edge_class(verdict: str) -> str:
    """The drawing class of an edge with this report verdict."""
    return {"pass": "taken", "fail": "failed"}.get(verdict, "untaken")


def draw_machine(machine: dict[str, Any], verdicts: dict[str, tuple[str, int]], prefix: str) -> str:
    """SVG for one machine of report.json; ``verdicts`` maps edge id to (verdict, times exercised).

    ``prefix`` keeps marker ids unique when several drawings share one page.
    """
    states: list[str] = machine["states"]
    widths = {s: max(84.0, CHAR_PX * len(s) + 28) for s in states}
    n = max(len(states), 1)
    widest = max(widths.values(), default=84.0)
    # Adjacent boxes on the ellipse must not touch: the chord between them bounds the radius.
    ry = max(120.0, (widest + 70) / (2 * math.sin(math.pi / n))) if n > 1 else 0.0
    rx = ry * 1.45
    margin_x, margin_y = widest / 2 + 110, NODE_H / 2 + 80
    width, height = 2 * (rx + margin_x), 2 * (ry + margin_y)
    cx, cy = width / 2, height / 2
    nodes = {}
    for i, name in enumerate(states):
        angle = -math.pi / 2 + 2 * math.pi * i / n
        nodes[name] = _Node(name, cx + rx * math.cos(angle), cy + ry * math.sin(angle), widths[name])
    reached = {machine["initial"]}
    parts: list[str] = [_defs(prefix)]
    labels: list[str] = []
    for edge in machine["edges"]:
        verdict, count = verdicts.get(edge["id"], ("not_exercised", 0))
        cls = edge_class(verdict)
        if cls != "untaken":
            reached.add(edge["dest"])
        src, dst = nodes.get(edge["source"]), nodes.get(edge["dest"])
        if src is None or dst is None:
            continue
        path, (lx, ly) = _self_loop(src, cx, cy) if src is dst else _curve(src, dst)
        title = f"{edge['id']}\ntriggers: {', '.join(edge['triggers'])}\n{verdict}, exercised {count}x"
        color, dash, stroke_w = STYLE[cls]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<path class="edge {cls}" data-edge="{escape(edge["id"])}" d="{path}" fill="none" '
            f'stroke="{color}" stroke-width="{stroke_w}"{dash_attr} marker-end="url(#{prefix}-{cls})">'
            f"<title>{escape(title)}</title></path>"
        )
        text = ", ".join(edge["triggers"]) + (f" \u00d7{count}" if count else "")
        labels.append(
            f'<text class="label {cls}" x="{lx:.1f}" y="{ly:.1f}" fill="{color}" text-anchor="middle" '
            f'dominant-baseline="middle" font-size="{FONT_PX - 1}" paint-order="stroke" stroke="#fff" '
            f'stroke-width="4" stroke-linejoin="round">{escape(text)}</text>'
        )
    for node in nodes.values():
        parts.append(_node(node, node.name in reached, node.name in machine["final"]))
    parts.extend(labels)  # labels last, so no edge or box hides them
    start = nodes.get(machine["initial"])
    if start is not None:
        parts.append(_initial_marker(start, prefix))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="machine" role="img" '
        f'aria-label="state machine {escape(machine["id"])}" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="system-ui, sans-serif">' + "".join(parts) + "</svg>"
    )


def _defs(prefix: str) -> str:
    # userSpaceOnUse keeps arrow heads the same size whatever the stroke width of the edge.
    colors = {cls: color for cls, (color, _, _) in STYLE.items()} | {"initial": "#1f2328"}
    markers = "".join(
        f'<marker id="{prefix}-{cls}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="11" markerHeight="11" '
        f'markerUnits="userSpaceOnUse" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{color}"/>'
        "</marker>"
        for cls, color in colors.items()
    )
    return f"<defs>{markers}</defs>"


def _curve(src: _Node, dst: _Node) -> tuple[str, tuple[float, float]]:
    dx, dy = dst.x - src.x, dst.y - src.y
    dist = math.hypot(dx, dy)
    # Bend to the left of the direction of travel: a->b and b->a then take different sides.
    nx, ny = -dy / dist, dx / dist
    bend = 0.16 * dist
    mx, my = (src.x + dst.x) / 2 + nx * bend, (src.y + dst.y) / 2 + ny * bend
    x0, y0 = src.clip(mx, my)
    x2, y2 = dst.clip(mx, my, pad=4.0)
    label = (0.25 * x0 + 0.5 * mx + 0.25 * x2, 0.25 * y0 + 0.5 * my + 0.25 * y2)
    return f"M{x0:.1f},{y0:.1f} Q{mx:.1f},{my:.1f} {x2:.1f},{y2:.1f}", label


def _self_loop(node: _Node, cx: float, cy: float) -> tuple[str, tuple[float, float]]:
    # The loop points away from the centre of the drawing, where there are no other edges.
    norm = math.hypot(node.x - cx, node.y - cy)
    ux, uy = ((node.x - cx) / norm, (node.y - cy) / norm) if norm else (0.0, -1.0)
    reach = max(node.w / 2, NODE_H / 2) + 55

    def rotated(deg: float, length: float) -> tuple[float, float]:
        a = math.radians(deg)
        rx, ry = ux * math.cos(a) - uy * math.sin(a), ux * math.sin(a) + uy * math.cos(a)
        return node.x + rx * length, node.y + ry * length

    x0, y0 = node.clip(*rotated(-22, 100))
    x3, y3 = node.clip(*rotated(22, 100), pad=4.0)
    c1, c2 = rotated(-38, reach), rotated(38, reach)
    lx, ly = rotated(0, reach + 8)
    path = f"M{x0:.1f},{y0:.1f} C{c1[0]:.1f},{c1[1]:.1f} {c2[0]:.1f},{c2[1]:.1f} {x3:.1f},{y3:.1f}"
    return path, (lx, ly)


def _node(node: _Node, reached: bool, final: bool) -> str:
    x, y = node.x - node.w / 2, node.y - NODE_H / 2
    fill, stroke = ("#dafbe1", "#1a7f37") if reached else ("#f6f8fa", "#8c959f")
    box = (
        f'<g class="state{" reached" if reached else ""}" data-state="{escape(node.name)}">'
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{node.w:.1f}" height="{NODE_H:.0f}" rx="9" fill="{fill}" '
        f'stroke="{stroke}" stroke-width="1.5"/>'
    )
    if final:
        box += (
            f'<rect x="{x + 3:.1f}" y="{y + 3:.1f}" width="{node.w - 6:.1f}" height="{NODE_H - 6:.0f}" rx="7" '
            f'fill="none" stroke="{stroke}"/>'
        )
    box += (
        f'<text x="{node.x:.1f}" y="{node.y:.1f}" text-anchor="middle" dominant-baseline="central" '
        f'font-size="{FONT_PX}" fill="#1f2328">{escape(node.name)}</text></g>'
    )
    return box


def _initial_marker(node: _Node, prefix: str) -> str:
    # A filled dot to the left of the initial state, pointing into it (UML notation).
    x1 = node.x - node.w / 2 - 4
    return (
        f'<circle cx="{x1 - 34:.1f}" cy="{node.y:.1f}" r="6" fill="#1f2328"/>'
        f'<path d="M{x1 - 28:.1f},{node.y:.1f} L{x1:.1f},{node.y:.1f}" stroke="#1f2328" stroke-width="1.5" '
        f'marker-end="url(#{prefix}-initial)"/>'
    )
