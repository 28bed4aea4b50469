"""report.html: the page a person reads after a run.

Self-contained (inline CSS and SVG, no scripts, nothing fetched) because CI artefacts
and the harness machines are offline. Every value from specs or events is escaped.
"""

from __future__ import annotations

from html import escape
from typing import Any

from harness.report.elements import KINDS
from harness.report.svg import STYLE, draw_machine, edge_class

_CSS = """
body{font-family:system-ui,sans-serif;margin:24px auto;max-width:1180px;color:#1f2328;padding:0 16px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:32px 0 10px;border-bottom:1px solid #d0d7de;
padding-bottom:4px}h3{font-size:16px;margin:22px 0 4px}
.meta{color:#59636e;font-size:14px}.badge{display:inline-block;padding:3px 10px;border-radius:12px;
font-weight:600;color:#fff;font-size:14px;vertical-align:middle;margin-left:8px}
.ok{background:#1a7f37}.bad{background:#cf222e}
table{border-collapse:collapse;font-size:14px;margin:6px 0}td,th{padding:4px 10px;text-align:left;
border-bottom:1px solid #eaeef2}th{background:#f6f8fa}td.num{text-align:right;font-variant-numeric:tabular-nums}
.bar{width:220px;height:12px;background:#eaeef2;border-radius:6px;overflow:hidden}
.bar span{display:block;height:100%;background:#1a7f37}
code,pre{font-family:ui-monospace,monospace;font-size:13px}pre{background:#f6f8fa;padding:10px;
border-radius:6px;overflow-x:auto;white-space:pre-wrap}
.failure{border-left:4px solid #cf222e;padding:2px 12px;margin:10px 0}
.v-pass{color:#1a7f37}.v-fail{color:#cf222e;font-weight:600}.v-not_exercised{color:#59636e}
svg.machine{max-width:100%;height:auto;border:1px solid #eaeef2;border-radius:8px;background:#fff}
.legend span{margin-right:18px;font-size:13px}.legend i{display:inline-block;width:28px;
vertical-align:middle;margin-right:6px;border-top-width:2px}
details{margin:6px 0}summary{cursor:pointer}
"""


def render_html(report: dict[str, Any]) -> str:
    """The report page for ``report`` (a report.json document)."""
    elements: list[dict[str, Any]] = report["elements"]
    by_id = {e["id"]: e for e in elements}
    body = [
        _header(report),
        _coverage(report["totals"]),
        _failures([e for e in elements if e["verdict"] == "fail"]),
        _warnings(report.get("warnings", [])),
        _machines(report.get("machines", []), by_id),
        _not_exercised(elements),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>hh-harness report</title><style>{_CSS}</style></head><body>" + "".join(body) + "</body></html>\n"
    )


def _header(report: dict[str, Any]) -> str:
    ok = report.get("ok", False)
    badge = '<span class="badge ok">conformant</span>' if ok else '<span class="badge bad">non-conformant</span>'
    seed = report.get("seed")
    targets = report.get("targets") or {}
    versions = ", ".join(f"{escape(k)} {escape(str(v))}" for k, v in targets.items()) or "none recorded"
    seed_text = escape(str(seed)) if seed is not None else "not fixed (Hypothesis chose per test)"
    return (
        f"<h1>hh-harness conformance report {badge}</h1>"
        f'<p class="meta">generated {escape(str(report.get("generated_at", "")))} &middot; '
        f"seed {seed_text} &middot; duration {float(report.get('duration_s', 0)):.1f} s &middot; "
        f"targets: {versions}</p>"
    )


def _coverage(totals: dict[str, dict[str, Any]]) -> str:
    rows = []
    for kind in [k for k in KINDS if k in totals] + sorted(set(totals) - set(KINDS)):
        t = totals[kind]
        cov = t.get("coverage")
        pct = f"{cov:.1f} %" if cov is not None else "n/a"
        width = cov or 0
        failed = f'<span class="v-fail">{t["failed"]}</span>' if t["failed"] else "0"
        rows.append(
            f"<tr><td>{escape(kind)}s</td><td class='num'>{t['exercised']} / {t['total']}</td>"
            f'<td><div class="bar"><span style="width:{width:.1f}%"></span></div></td>'
            f"<td class='num'>{pct}</td><td class='num'>{t['passed']}</td><td class='num'>{failed}</td></tr>"
        )
    return (
        "<h2>Coverage per kind</h2><table><tr><th>kind</th><th>exercised</th><th></th><th>coverage</th>"
        "<th>passed</th><th>failed</th></tr>" + "".join(rows) + "</table>"
    )


def _failures(failed: list[dict[str, Any]]) -> str:
    if not failed:
        return "<h2>Failures</h2><p>No spec element failed.</p>"
    out = [f"<h2>Failures ({len(failed)})</h2>"]
    for element in failed:
        out.append(
            f'<div class="failure"><h3><code>{escape(element["id"])}</code></h3>'
            f'<p class="meta">{escape(element["kind"])} &middot; failed {element["failed"]} of '
            f"{element['exercised']} time(s)</p>"
        )
        for failure in element["failures"]:
            out.append(f"<p>{escape(failure.get('detail') or 'failed')}</p>")
            if failure.get("reproduction"):
                out.append(f"<p class='meta'>shrunk reproduction:</p><pre>{escape(failure['reproduction'])}</pre>")
        out.append("</div>")
    return "".join(out)


def _warnings(warnings: list[str]) -> str:
    if not warnings:
        return ""
    items = "".join(f"<li>{escape(w)}</li>" for w in warnings)
    return f"<h2>Warnings ({len(warnings)})</h2><ul>{items}</ul>"


def _machines(machines: list[dict[str, Any]], by_id: dict[str, dict[str, Any]]) -> str:
    if not machines:
        return ""
    legend = "".join(
        f'<span><i style="border-top:2px {"dashed" if dash else "solid"} {color}"></i>{label}</span>'
        for label, (color, dash, _) in zip(("taken", "not taken", "failed"), STYLE.values(), strict=True)
    )
    out = [f'<h2>State machines</h2><p class="legend">{legend}</p>']
    for index, machine in enumerate(machines):
        verdicts = {
            e["id"]: (by_id[e["id"]]["verdict"], by_id[e["id"]]["exercised"]) if e["id"] in by_id else ("", 0)
            for e in machine["edges"]
        }
        taken = sum(1 for v, _ in verdicts.values() if v in ("pass", "fail"))
        out.append(
            f'<section class="machine" id="machine-{escape(machine["id"])}"><h3>{escape(machine["id"])} '
            f'<span class="meta">{escape(machine["file"])} &middot; {taken} of {len(verdicts)} transitions '
            f"taken</span></h3>{draw_machine(machine, verdicts, f'm{index}')}"
            + _edge_table(machine["edges"], verdicts)
            + "</section>"
        )
    return "".join(out)


def _edge_table(edges: list[dict[str, Any]], verdicts: dict[str, tuple[str, int]]) -> str:
    rows = []
    for edge in edges:
        verdict, count = verdicts[edge["id"]]
        shown = {"taken": "taken", "failed": "failed", "untaken": "not taken"}[edge_class(verdict)]
        rows.append(
            f"<tr><td><code>{escape(edge['source'])} &rarr; {escape(edge['dest'])}</code></td>"
            f"<td>{escape(', '.join(edge['triggers']))}</td><td class='num'>{count}</td>"
            f"<td class='v-{escape(verdict or 'not_exercised')}'>{shown}</td></tr>"
        )
    return (
        "<details><summary>transitions</summary><table><tr><th>edge</th><th>triggers</th><th>exercised</th>"
        "<th>verdict</th></tr>" + "".join(rows) + "</table></details>"
    )


def _not_exercised(elements: list[dict[str, Any]]) -> str:
    out = ["<h2>Not exercised</h2>"]
    for kind in KINDS:
        missing = [e for e in elements if e["kind"] == kind and e["verdict"] == "not_exercised"]
        if not missing:
            continue
        items = "".join(f"<li><code>{escape(e['id'])}</code></li>" for e in missing)
        out.append(f"<details><summary>{len(missing)} {escape(kind)}(s)</summary><ul>{items}</ul></details>")
    if len(out) == 1:
        out.append("<p>Every spec element was exercised.</p>")
    return "".join(out)
