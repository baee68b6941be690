"""`fn tune --report FILE.html`: one self-contained page (no script, no external file) with a chart of duration
and cost against memory as inline SVG, and the table. Pure: the outcome's dict in, HTML text out."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fnship.tune import MeasuredDoc, OutcomeDoc

WIDTH, HEIGHT, PAD = 720, 360, 60
COLOURS = {"duration": "#1f77b4", "cost": "#d62728"}


def _points(values: list[float], *, count: int) -> list[tuple[float, float]]:
    top = max(values) or 1.0
    step = (WIDTH - 2 * PAD) / max(1, count - 1)
    return [(PAD + i * step, HEIGHT - PAD - (v / top) * (HEIGHT - 2 * PAD)) for i, v in enumerate(values)]


def chart(results: list[MeasuredDoc]) -> str:
    """An SVG line chart: x = configurations (memory, architecture), left axis duration, right axis cost."""
    ok = [r for r in results if r["errors"] < r["invocations"]]
    axis = f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" stroke="#888"/>'
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" role="img" '
             'aria-label="duration and cost against memory">', axis]  # fmt: skip
    if not ok:
        return "".join([*parts, "</svg>"])
    series = {"duration": [float(r["average_ms"]) for r in ok]}
    costs = [float(cost) for r in ok if (cost := r["cost_per_million"]) is not None]
    if len(costs) == len(ok):
        series["cost"] = costs
    for name, values in series.items():
        points = _points(values, count=len(values))
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline fill="none" stroke="{COLOURS[name]}" stroke-width="2" points="{path}"/>')
        for (x, y), value in zip(points, values, strict=True):
            label = f"{value:.1f} ms" if name == "duration" else f"${value:.4f}/M"
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{COLOURS[name]}"><title>{label}</title>'
                         "</circle>")  # fmt: skip
    for (x, _y), r in zip(_points([1.0] * len(ok), count=len(ok)), ok, strict=True):
        text = f"{r['memory_size']} MB" + ("" if r["architecture"] == "x86_64" else " arm64")
        parts.append(f'<text x="{x:.1f}" y="{HEIGHT - PAD + 20}" font-size="12" text-anchor="middle">'
                     f"{html.escape(text)}</text>")  # fmt: skip
    parts.append(f'<text x="{PAD}" y="20" font-size="13" fill="{COLOURS["duration"]}">average billed duration (ms)'
                 "</text>")  # fmt: skip
    if "cost" in series:
        parts.append(f'<text x="{WIDTH - PAD}" y="20" font-size="13" text-anchor="end" fill="{COLOURS["cost"]}">'
                     "cost per million invocations (USD)</text>")  # fmt: skip
    parts.append("</svg>")
    return "".join(parts)


def render(outcome: OutcomeDoc, *, service: str, stage: str, region: str) -> str:
    best = outcome["best"]
    rows = []
    for r in outcome["results"]:
        mark = " ★" if (r["memory_size"], r["architecture"]) == (best["memory_size"], best["architecture"]) else ""
        cost = "n/a" if r["cost_per_million"] is None else f"${r['cost_per_million']:.4f}"
        rows.append(
            "<tr>"
            + "".join(
                f"<td>{html.escape(str(cell))}</td>"
                for cell in (
                    f"{r['memory_size']} MB{mark}",
                    r["architecture"],
                    f"{r['average_ms']:.1f}",
                    f"{r['p90_ms']:.1f}",
                    f"{r['cold_start_share']:.0%}",
                    cost,
                    f"{r['errors']}/{r['invocations']}",
                )  # fmt: skip
            )
            + "</tr>"
        )
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in outcome["notes"])
    title = f"fn tune {outcome['function']} ({service}, {stage}, {region})"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:right}}</style></head>
<body><h1>{html.escape(title)}</h1>
<p>Strategy <b>{html.escape(outcome["strategy"])}</b>: best is <b>{best["memory_size"]} MB
({html.escape(best["architecture"])})</b>. Write <code>memorySize: {best["memory_size"]}</code> under
<code>functions.{html.escape(outcome["function"])}</code>. {outcome["invocations"]} invocation(s) per configuration;
outliers (the fastest and slowest 20 %) are left out of the averages.</p>
{chart(outcome["results"])}
<table><thead><tr><th>memory</th><th>architecture</th><th>average ms</th><th>p90 ms</th><th>cold starts</th>
<th>cost per million</th><th>errors</th></tr></thead><tbody>{"".join(rows)}</tbody></table>
<ul>{notes}</ul>
<p>Tuning is meaningful on AWS only: an emulator's durations say nothing about Lambda's.</p>
</body></html>
"""
