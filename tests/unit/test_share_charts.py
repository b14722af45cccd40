"""The dashboard's SVG charts of shares: what is drawn, what is left out, and labels that fit."""

from __future__ import annotations

from bs4 import BeautifulSoup

from portal.evaluation.charts import MAX_AXIS_LABELS, LinePoint, share_lines, sparkline, thinned


def draw(points, **options):
    svg = share_lines(points, title="Aandeel", description="Uitleg", percent=lambda v: f"{round(v * 100)}%", **options)
    return BeautifulSoup(svg, "html.parser").svg


def test_axis_labels_are_thinned_to_fit_and_keep_the_last():
    for count in range(1, 160):
        chosen = thinned(count)
        assert len(chosen) <= MAX_AXIS_LABELS and count - 1 in chosen
        assert chosen == set(range(count)) if count <= MAX_AXIS_LABELS else len(chosen) >= 3


def test_a_hidden_bucket_is_a_gap_and_a_partial_one_an_open_dot():
    svg = draw(
        [
            LinePoint("1 mrt", 0.5),
            LinePoint("8 mrt", None),  # fewer than ten triages: not drawn
            LinePoint("15 mrt", 0.4),
            LinePoint("22 mrt", 0.6, partial=True),
        ]
    )
    dots = svg.select("circle")
    assert [dot["fill"] for dot in dots] == ["#0b4f8a", "#0b4f8a", "#ffffff"]
    lines = svg.select("line.chart__current")
    assert len(lines) == 1 and lines[0].get("stroke-dasharray") == "4 4"  # only 15 → 22 mrt, dashed
    assert svg["role"] == "img" and svg.title.get_text() == "Aandeel" and svg.desc.get_text() == "Uitleg"


def test_shares_are_drawn_on_a_fixed_zero_to_hundred_scale():
    svg = draw([LinePoint("a", 0.0), LinePoint("b", 1.0)])
    low, high = svg.select("circle")
    assert float(low["cy"]) > float(high["cy"])
    ticks = [t.get_text() for t in svg.select("text") if "chart__x" not in (t.get("class") or [])]
    assert ticks == ["0%", "25%", "50%", "75%", "100%"]


def test_last_year_and_the_baseline_are_drawn_apart_from_this_period():
    svg = draw(
        [LinePoint("jan", 0.5), LinePoint("feb", 0.55)],
        last_year=[0.3, None],
        baseline=0.2,
        baseline_label="nulmeting",
    )
    assert svg.select("line.chart__last-year") == []  # one point a year earlier: nothing to join
    assert svg.select_one("line.chart__baseline") is not None and "nulmeting" in svg.get_text()


def test_labels_are_escaped_and_long_labels_get_fewer_places():
    svg = draw([LinePoint(f"<b>{i}</b> mrt. 2026", 0.5) for i in range(12)])
    axis = svg.select("text.chart__x")
    assert "<b>" not in str(svg).replace("&lt;b&gt;", "") and 2 <= len(axis) <= 4


def test_a_sparkline_has_a_title_and_leaves_gaps():
    spark = BeautifulSoup(sparkline([0.2, None, 0.4, 0.5], title="Hoesten", chart_id="s1"), "html.parser").svg
    assert spark.title.get_text() == "Hoesten" and len(spark.select("line")) == 1
