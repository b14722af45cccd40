"""Charts as SVG, drawn on the server (no CDN, no JavaScript), each with a text title.

The dashboard always shows the same numbers in a table next to the chart, for
screen readers and for anyone who prefers numbers.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
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
    labelled = thinned(len(series))  # labels that fit on a phone without overlapping
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
        if index in labelled:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{height - bottom + 14}" font-size="10" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


# --- shares over time: line charts and sparklines ---------------------------------------------

#: Phones show the chart about 20 rem wide: at most this many labels on the time axis fit there
#: without overlapping (a label is a short date such as "12 okt." or "okt. 2026").
MAX_AXIS_LABELS = 6


@dataclass(frozen=True)
class LinePoint:
    """One bucket of a line: its axis label, its share (None: hidden or no data), cut short or not."""

    label: str
    value: float | None
    partial: bool = False


def thinned(count: int, most: int = MAX_AXIS_LABELS) -> set[int]:
    """Which of ``count`` axis labels to write: evenly spaced, always the last, at most ``most``."""
    if count <= most:
        return set(range(count))
    step = -(-(count - 1) // (most - 1))  # ceiling: never more than ``most`` labels
    chosen = set(range(count - 1, -1, -step))
    return chosen


def share_lines(
    current: list[LinePoint],
    *,
    title: str,
    description: str,
    percent: Callable[[float], str],
    last_year: list[float | None] | None = None,
    baseline: float | None = None,
    baseline_label: str = "",
    chart_id: str = "chart",
    height: int = 220,
) -> str:
    """A line chart of shares (0–100 %) over time, as SVG with a title and a description.

    ``current`` is drawn solid with a dot per bucket; a bucket the period or today cuts short
    gets an open dot and a dashed segment into it, so it never reads as a collapse. A hidden
    (small-number) or empty bucket leaves a gap: no value is drawn for it. ``last_year``
    (aligned with ``current``) is drawn dashed in grey and ``baseline`` as a dotted level
    line; the legend under the chart (in the template) says which is which in words.
    """
    # Drawn about as wide as a phone shows it, so its 13-unit text reads as ~12 px there.
    width, left, right, top, bottom = 400, 42, 10, 12, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    count = len(current)
    step = plot_w / max(count - 1, 1)

    def x(index: int) -> float:
        return left + (index * step if count > 1 else plot_w / 2)

    def y(value: float) -> float:
        return top + plot_h * (1 - max(0.0, min(1.0, value)))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="share-chart" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc">'
        f'<title id="{chart_id}-title">{escape(title)}</title><desc id="{chart_id}-desc">{escape(description)}</desc>'
    ]
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        parts.append(
            f'<line x1="{left}" y1="{y(tick):.1f}" x2="{width - right}" y2="{y(tick):.1f}" '
            f'stroke="{"#0b0c0c" if tick == 0 else "#d0d4d8"}" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" font-size="13" text-anchor="end">'
            f"{escape(percent(tick))}</text>"
        )
    longest = max((len(point.label) for point in current), default=1)
    fits = int(plot_w // (longest * 13 * 0.62 + 12))  # a character is about 0.6 of the font size wide
    for index in sorted(thinned(count, max(2, min(MAX_AXIS_LABELS, fits)))):
        anchor = "end" if index == count - 1 and count > 1 else ("start" if index == 0 and count > 1 else "middle")
        parts.append(
            f'<text class="chart__x" x="{x(index):.1f}" y="{height - 8}" font-size="13" text-anchor="{anchor}">'
            f"{escape(current[index].label)}</text>"
        )
    if baseline is not None:
        parts.append(
            f'<line class="chart__baseline" x1="{left}" y1="{y(baseline):.1f}" x2="{width - right}" '
            f'y2="{y(baseline):.1f}" stroke="#0b0c0c" stroke-width="2" stroke-dasharray="2 4"/>'
            f'<text x="{width - right}" y="{y(baseline) - 5:.1f}" font-size="13" text-anchor="end">'
            f"{escape(baseline_label)}</text>"
        )
    if last_year:
        parts += _segments(
            [(x(i), None if v is None else y(v), False) for i, v in enumerate(last_year)],
            'stroke="#6f777b" stroke-width="2" stroke-dasharray="7 5" class="chart__last-year"',
        )
    points = [(x(i), None if p.value is None else y(p.value), p.partial) for i, p in enumerate(current)]
    parts += _segments(points, 'stroke="#0b4f8a" stroke-width="3" class="chart__current"')
    for px, py, cut_short in points:
        if py is None:
            continue
        fill = "#ffffff" if cut_short else "#0b4f8a"
        parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="4" fill="{fill}" stroke="#0b4f8a" stroke-width="2"/>')
    parts.append("</svg>")
    return "".join(parts)


def _segments(points: list[tuple[float, float | None, bool]], style: str) -> list[str]:
    """Lines between neighbouring drawn points; none across a gap; dashed into a partial bucket."""
    lines = []
    for (x1, y1, _p1), (x2, y2, partial2) in itertools.pairwise(points):
        if y1 is None or y2 is None:
            continue
        dash = ' stroke-dasharray="4 4"' if partial2 and "dasharray" not in style else ""
        lines.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" {style}{dash}/>')
    return lines


def sparkline(values: list[float | None], *, title: str, chart_id: str) -> str:
    """A small line of shares (0–100 %) without axes, for a row of a table; gaps where hidden."""
    width, height, pad = 120, 32, 3
    count = len(values)
    step = (width - 2 * pad) / max(count - 1, 1)
    points = [
        (pad + i * step, None if v is None else pad + (height - 2 * pad) * (1 - max(0.0, min(1.0, v))))
        for i, v in enumerate(values)
    ]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sparkline" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-labelledby="{chart_id}">'
        f'<title id="{chart_id}">{escape(title)}</title>'
        f'<rect x="0.5" y="0.5" width="{width - 1}" height="{height - 1}" fill="none" stroke="#d0d4d8"/>'
    ]
    parts += _segments([(px, py, False) for px, py in points], 'stroke="#0b4f8a" stroke-width="2"')
    drawn = [(px, py) for px, py in points if py is not None]
    if len(drawn) == 1 or (drawn and points[-1][1] is not None):
        px, py = drawn[-1]
        parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="2.5" fill="#0b4f8a"/>')
    parts.append("</svg>")
    return "".join(parts)
