"""Numbers and table cells in the reader's language, fast: the dashboard writes thousands.

Babel formats one percentage in about a tenth of a millisecond and a Jinja macro call costs
about as much again; a year by week writes several thousand cells, which made rendering the
larger part of the page's time. A share shown as a whole percentage has only 101 possible
texts per language, so they are made once (by Babel, so "50%" and "1.234" are exactly what
``|percentformat`` and ``|decimalformat`` would write) and looked up after that; the cells are
made here, once per page, instead of by a macro per cell.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cache, lru_cache
from typing import TYPE_CHECKING

from babel.numbers import format_decimal, format_percent, get_group_symbol
from markupsafe import Markup, escape

from . import stats
from .headlines import Figure, Status

if TYPE_CHECKING:
    from .glance import Share


@cache
def _percents(locale: str) -> tuple[str, ...]:
    return tuple(format_percent(k / 100, locale=locale) for k in range(101))


def percent_in(locale: str, value: float) -> str:
    """0.5 → "50%": Babel's rounding (half to even, on the decimal text of the value)."""
    scaled = value * 100
    nearest = round(scaled)
    # Float rounding is Babel's unless the value lies within a hair of a half (0.125 → 12.5):
    # only there can the binary value and its decimal text round apart, so only there is
    # the slow exact way (a Decimal per cell) taken.
    if abs(abs(scaled - int(scaled)) - 0.5) > 1e-9 and 0 <= nearest <= 100:
        return _percents(locale)[nearest]
    hundredths = int((Decimal(str(value)) * 100).quantize(Decimal(1), ROUND_HALF_EVEN))
    if 0 <= hundredths <= 100:
        return _percents(locale)[hundredths]
    return format_percent(value, locale=locale)


@cache
def _group_symbol(locale: str) -> str:
    return get_group_symbol(locale)


def number_in(locale: str, value: float) -> str:
    """1234 → "1.234" (Dutch) or "1,234"; 7.5 → "7,5"."""
    if isinstance(value, int):
        return f"{value:,}".replace(",", _group_symbol(locale))
    return _decimal(locale, value)


@lru_cache(maxsize=4096)
def _decimal(locale: str, value: float) -> str:
    """Babel's text for a fraction (a median: a few hundred distinct values, each formatted once)."""
    return format_decimal(value, locale=locale)


@dataclass(frozen=True)
class Cells:
    """The dashboard's cell texts for one page: its locale and its words for hidden and empty cells."""

    locale: str
    hidden: Markup  # a number under the small-number threshold, e.g. <span title="…">&lt;10</span>
    no_data: str

    def percent(self, value: float) -> str:
        return percent_in(self.locale, value)

    def number(self, value: float) -> str:
        return number_in(self.locale, value)

    def pct(self, value: float | None) -> Markup:
        """A share, or the hidden mark when it may not be shown."""
        return self.hidden if value is None else Markup(self.percent(value))

    def num(self, value: float | None) -> Markup:
        """A count, or the hidden mark when it may not be shown."""
        return self.hidden if value is None else Markup(self.number(value))

    def share(self, figure: Figure) -> Markup:
        """A chart's or headline's figure: its share, the hidden mark, or "no data" in words."""
        if figure.status is Status.NO_DATA:
            return Markup(escape(self.no_data))
        return self.pct(figure.value)

    def share_tds(self, figures: Iterable[Figure]) -> Markup:
        """A table row's cells of shares, made in one go (a wide table has thousands)."""
        # Each cell is already safe HTML (digits and %, the hidden mark, the escaped "no data").
        return Markup("".join(f"<td>{self.share(figure)}</td>" for figure in figures))

    def share_rows(self, shares: Iterable[Share], partial: str) -> Markup:
        """The rows of a line chart's table: the bucket (marked ``partial`` when cut short), its
        share, the share a year earlier and the finished triages it rests on."""
        rows = []
        for share in shares:
            label = f"{escape(share.label)} {escape(partial)}" if share.partial else escape(share.label)
            whole = escape(self.no_data) if share.now.whole == 0 else self.num(stats.shown(share.now.whole))
            rows.append(
                f'<tr><th scope="row">{label}</th><td>{self.share(share.now)}</td>'
                f"<td>{self.share(share.year_before)}</td><td>{whole}</td></tr>"
            )
        return Markup("".join(rows))

    def pct_tds(self, shares: Mapping[str, float | None], keys: Iterable[str]) -> Markup:
        """``<td>`` cells of ``shares[key]`` for each key, in one go (a route mix per row)."""
        return Markup("".join(f"<td>{self.pct(shares[key])}</td>" for key in keys))

    def count_tds(self, counts: Mapping[str, int], keys: Iterable[str]) -> Markup:
        """``<td>`` cells of the counts in a table of counts (``shown_cell``: an empty cell is 0)."""
        return Markup("".join(f"<td>{self.num(stats.shown_cell(counts.get(key, 0)))}</td>" for key in keys))

    def recontact_rows(
        self, rows: Iterable[Mapping], titles: Mapping[str, str], route_names: Mapping[str, str]
    ) -> Markup:
        """The rows of "second contact per complaint and route" (``report.signals``' ``recontact``):
        one per complaint and route, some two hundred at a million runs, made in one go instead of
        four template calls per row. Names are escaped as the template would."""
        return Markup(
            "".join(
                f"<tr><td>{escape(titles.get(row['tree'], row['tree']))}</td>"
                f"<td>{escape(route_names.get(row['route'], row['route']))}</td>"
                f"<td>{self.num(row['n'])}</td><td>{self.pct(row['rate'])}</td></tr>"
                for row in rows
            )
        )

    def median(self, value: float | None) -> str:
        """A median, or a dash when there is none (too few triages)."""
        return "—" if value is None else self.number(value)


def cells(locale: str, hidden_title: str, threshold: int, no_data: str) -> Cells:
    hidden = Markup('<span title="{}">&lt;{}</span>').format(hidden_title, threshold)
    return Cells(locale, hidden, no_data)


Formatter = Callable[[float], str]
