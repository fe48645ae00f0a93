"""verifier/console/charts.py: the SVG the /stats page draws, read back as XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from verifier.console.charts import BOTTOM, HEIGHT, Series, bar_chart, y_scale

NS = {"svg": "http://www.w3.org/2000/svg"}
DAYS = ["2026-03-01", "2026-03-02", "2026-03-03"]
BASELINE = HEIGHT - BOTTOM


def parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)


def groups(svg: ET.Element) -> list[ET.Element]:
    return svg.findall(".//svg:g[@class='day']", NS)


def rects(group: ET.Element) -> dict[str, tuple[float, float, str]]:
    return {
        r.get("data-series", ""): (
            float(r.get("y", "")),
            float(r.get("height", "")),
            r.get("data-value", ""),
        )
        for r in group.findall("svg:rect", NS)
    }


@pytest.mark.parametrize(
    ("highest", "whole", "scale"),
    [
        (0, True, (1.0, 1)),
        (3, True, (1.0, 3)),  # counts: never a step of 0.75
        (41, True, (20.0, 3)),  # 0–60: round labels, a third of the plot spare at most
        (100, True, (25.0, 4)),
        (101, True, (50.0, 3)),
        (0.37, False, (0.1, 4)),
        (157.3, False, (50.0, 4)),
    ],
)
def test_y_scale_is_round_and_reaches_the_highest(
    highest: float, whole: bool, scale: tuple[float, int]
) -> None:
    step, steps = y_scale(highest, whole=whole)
    assert (step, steps) == pytest.approx(scale)
    assert step * steps >= highest and step * (steps - 1) < max(highest, 1e-9)


def test_stacked_bars_one_group_per_day_heights_in_proportion() -> None:
    series = [
        Series("pass", "通过 PASS", [30, 10, 0]),
        Series("check", "人工核验 CHECK", [6, 0, 0]),
        Series("deny", "拒绝 DENY", [4, 2, 0]),
    ]
    svg = parse(bar_chart(title="Checks", days=DAYS, series=series, fmt="{:g}".format, whole=True))
    assert [g.get("data-day") for g in groups(svg)] == DAYS
    first, second, quiet = (rects(g) for g in groups(svg))
    assert list(first) == ["pass", "check", "deny"] and list(second) == ["pass", "deny"]
    assert quiet == {}  # zero checks: an empty group, no zero-height bars
    (pass_y, pass_h, _), (check_y, check_h, _), (deny_y, deny_h, _) = first.values()
    assert pass_y + pass_h == pytest.approx(BASELINE, abs=0.01)  # first series at the bottom
    assert check_y + check_h == pytest.approx(pass_y, abs=0.01)
    assert deny_y + deny_h == pytest.approx(check_y, abs=0.01)
    assert pass_h / 30 == pytest.approx(deny_h / 4, rel=0.01)
    assert pass_h + check_h + deny_h == pytest.approx(second["pass"][1] * 4, rel=0.01)
    labels = [t.text for t in svg.findall(".//svg:g[@class='grid']/svg:text", NS)]
    assert labels == ["0", "10", "20", "30", "40"]
    titles = [g.find("svg:title", NS).text for g in groups(svg)]  # type: ignore[union-attr]
    assert titles[1] == "2026-03-02: 通过 PASS 10; 人工核验 CHECK 0; 拒绝 DENY 2"


def test_a_share_chart_runs_to_its_given_top_and_skips_missing_days() -> None:
    values: list[float | None] = [0.5, None, 0.125]
    svg = parse(
        bar_chart(
            title="Offline",
            days=DAYS,
            series=[Series("offline", "Offline", values)],
            fmt=lambda v: f"{v * 100:.0f}%",
            y_max=1.0,
        )
    )
    labels = [t.text for t in svg.findall(".//svg:g[@class='grid']/svg:text", NS)]
    assert labels == ["0%", "25%", "50%", "75%", "100%"]
    half, missing, eighth = (rects(g) for g in groups(svg))
    assert missing == {} and half["offline"][2] == "0.5" and eighth["offline"][2] == "0.125"
    assert half["offline"][1] == pytest.approx(4 * eighth["offline"][1], rel=0.01)
    assert svg.findall(".//svg:g[@class='legend']", NS) == []  # one series: no legend
    assert groups(svg)[1].find("svg:title", NS).text == "2026-03-02: Offline —"  # type: ignore[union-attr]


def test_text_is_escaped_and_long_ranges_get_fewer_labels() -> None:
    days = [f"2026-01-{d:02d}" for d in range(1, 32)] + [f"2026-02-{d:02d}" for d in range(1, 29)]
    series = [Series("a<b", "<script>x</script>", [1.0] * len(days))]
    markup = bar_chart(title='"quoted" & <b>', days=days, series=series, fmt=str)
    assert "<script>" not in markup and "<b>" not in markup
    svg = parse(markup)  # well-formed XML
    assert svg.get("aria-label") == '"quoted" & <b>'
    assert len(groups(svg)) == len(days)
    x_labels = [t.text for t in svg.findall(".//svg:g[@class='x']/svg:text", NS)]
    assert 0 < len(x_labels) <= 8 and x_labels[0] == "01-01"


def test_every_series_needs_a_value_per_day() -> None:
    with pytest.raises(ValueError, match="one value per day"):
        bar_chart(title="t", days=DAYS, series=[Series("a", "A", [1.0])], fmt=str)
