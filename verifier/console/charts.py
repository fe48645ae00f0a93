"""Bar charts as inline SVG, drawn on the server: no script library to ship, audit or load.

``bar_chart`` is pure: days and values in, SVG markup out. Each day is one ``<g class="day">``
holding one ``<rect>`` per series with a value above 0 (stacked bottom to top, in the order
given) and a ``<title>`` the browser shows on hover and screen readers read. Colours come from
CSS classes (``bar <series key>``), so the page's stylesheet owns them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 480.0, 250.0
LEFT, RIGHT, TOP, BOTTOM = 52.0, 10.0, 30.0, 26.0
TICKS = 4
"""At most this many grid steps above 0 (exactly this many when the chart's top is given)."""
MAX_X_LABELS = 8
BAR_SHARE = 0.7
"""Of each day's slot, the bar takes this much; the rest is the gap between days."""
MAX_BAR = 40.0
SVG_NS = "http://www.w3.org/2000/svg"


@dataclass(frozen=True)
class Series:
    """One quantity over the days; ``None`` where it has no value (no bar, said in the title)."""

    key: str
    label: str
    values: Sequence[float | None]


def y_scale(highest: float, *, whole: bool = False) -> tuple[float, int]:
    """(step, steps): the smallest 1, 2, 2.5 or 5 × 10ⁿ step reaching ``highest`` in at most
    ``TICKS`` steps, and how many it takes — round grid labels, little empty space on top. The
    step is at least 1 for ``whole`` counts."""
    if highest <= 0:
        return 1.0, 1
    raw = highest / TICKS
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw * (1 - 1e-12))
    step = max(step, 1.0) if whole else step
    return step, max(1, math.ceil(highest / step - 1e-9))


def _text_width(text: str) -> float:
    """Roughly how wide ``text`` is at the chart's 12 px font (CJK glyphs are square)."""
    return sum(12.0 if ord(c) >= 0x2E80 else 7.0 for c in text)


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def bar_chart(
    *,
    title: str,
    days: Sequence[str],
    series: Sequence[Series],
    fmt: Callable[[float], str],
    y_max: float | None = None,
    whole: bool = False,
) -> Markup:
    """A (stacked, when more than one series) bar chart of ``series`` over ``days``.

    The y axis runs from 0 to ``y_max`` (e.g. 1.0 for a share), else to a round number above
    the highest stack; ``fmt`` writes values for the axis and the titles."""
    if any(len(s.values) != len(days) for s in series):
        raise ValueError("every series needs one value per day")
    stacks = [sum(s.values[i] or 0.0 for s in series) for i in range(len(days))]
    step, steps = (
        (y_max / TICKS, TICKS) if y_max else y_scale(max(stacks, default=0.0), whole=whole)
    )
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(days), 1)
    bar_w = min(slot * BAR_SHARE, MAX_BAR)
    parts = [
        f'<svg xmlns="{SVG_NS}" class="chart" viewBox="0 0 {_num(WIDTH)} {_num(HEIGHT)}" '
        f'role="img" aria-label="{escape(title)}" preserveAspectRatio="xMidYMid meet">',
        f"<title>{escape(title)}</title>",
        *_axis(step, steps, plot_w, plot_h, fmt),
        *_legend(series),
        '<g class="bars">',
    ]
    for i, day in enumerate(days):
        parts.append(_day_group(i, day, series, slot, bar_w, plot_h / (step * steps), fmt))
    parts.append("</g>")
    parts.extend(_x_labels(days, slot, plot_h))
    parts.append("</svg>")
    return Markup("".join(parts))


def _axis(
    step: float, steps: int, plot_w: float, plot_h: float, fmt: Callable[[float], str]
) -> list[str]:
    lines = ['<g class="grid">']
    for k in range(steps + 1):
        y = TOP + plot_h - plot_h * k / steps
        lines.append(
            f'<line x1="{_num(LEFT)}" x2="{_num(LEFT + plot_w)}" y1="{_num(y)}" y2="{_num(y)}"/>'
            f'<text class="y" x="{_num(LEFT - 6)}" y="{_num(y + 4)}" text-anchor="end">'
            f"{escape(fmt(step * k))}</text>"
        )
    lines.append("</g>")
    return lines


def _legend(series: Sequence[Series]) -> list[str]:
    if len(series) < 2:
        return []
    items, x = ['<g class="legend">'], LEFT
    for s in series:
        items.append(
            f'<rect class="bar {escape(s.key)}" x="{_num(x)}" y="8" width="12" height="12"/>'
            f'<text x="{_num(x + 16)}" y="18">{escape(s.label)}</text>'
        )
        x += 28 + _text_width(s.label)
    items.append("</g>")
    return items


def _day_group(
    i: int,
    day: str,
    series: Sequence[Series],
    slot: float,
    bar_w: float,
    scale: float,
    fmt: Callable[[float], str],
) -> str:
    x = LEFT + i * slot + (slot - bar_w) / 2
    base = HEIGHT - BOTTOM
    said = "; ".join(
        f"{s.label} {'—' if s.values[i] is None else fmt(s.values[i] or 0.0)}" for s in series
    )
    rects = []
    for s in series:
        value = s.values[i]
        if not value:
            continue
        height = value * scale
        base -= height
        rects.append(
            f'<rect class="bar {escape(s.key)}" data-series="{escape(s.key)}" '
            f'data-value="{value!r}" x="{_num(x)}" y="{_num(base)}" '
            f'width="{_num(bar_w)}" height="{_num(height)}"/>'
        )
    return (
        f'<g class="day" data-day="{escape(day)}"><title>{escape(day)}: {escape(said)}</title>'
        + "".join(rects)
        + "</g>"
    )


def _x_labels(days: Sequence[str], slot: float, plot_h: float) -> list[str]:
    every = max(1, math.ceil(len(days) / MAX_X_LABELS))
    labels = ['<g class="x">']
    for i, day in enumerate(days):
        if i % every == 0:
            x = LEFT + i * slot + slot / 2
            labels.append(
                f'<text x="{_num(x)}" y="{_num(TOP + plot_h + 16)}" text-anchor="middle">'
                f"{escape(day[5:])}</text>"
            )
    labels.append("</g>")
    return labels
