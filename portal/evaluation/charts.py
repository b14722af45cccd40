"""Charts as SVG, drawn on the server (no CDN, no JavaScript), each with a text title.

The dashboard always shows the same numbers in a table next to the chart, for
screen readers and for anyone who prefers numbers.
"""

from __future__ import annotations

from html import escape

from ..triage.model import Route

ROUTE_COLOURS: dict[str, str] = {
    Route.EMERGENCY: "#b00020",
    Route.URGENT: "#c43d00",
    Route.APPOINTMENT: "#0b4f8a",
    Route.ECONSULT: "#5a3e99",
    Route.SELF_CARE: "#1f6b35",
    Route.SOCIAL_DOMAIN: "#2e7d8a",
}


def stacked_bars(series: list[tuple[str, dict[str, int]]], routes: tuple[str, ...], title: str) -> str:
    width, height, left, bottom = 720, 260, 48, 40
    if not series:
        return ""
    peak = max(sum(counts.values()) for _label, counts in series) or 1
    bar = (width - left - 10) / len(series)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="chart-title"><title id="chart-title">{escape(title)}</title>',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" stroke="#0b0c0c"/>',
        f'<text x="{left - 6}" y="14" font-size="11" text-anchor="end">{peak}</text>',
        f'<text x="{left - 6}" y="{height - bottom}" font-size="11" text-anchor="end">0</text>',
    ]
    scale = (height - bottom - 10) / peak
    every = max(1, len(series) // 12)
    for index, (label, counts) in enumerate(series):
        x = left + index * bar
        y: float = height - bottom
        for route in routes:
            h = counts.get(route, 0) * scale
            if h <= 0:
                continue
            y -= h
            parts.append(
                f'<rect x="{x + 1:.1f}" y="{y:.1f}" width="{max(bar - 2, 1):.1f}" height="{h:.1f}" '
                f'fill="{ROUTE_COLOURS[route]}"/>'
            )
        if index % every == 0:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{height - bottom + 14}" font-size="10" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)
