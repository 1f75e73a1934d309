"""Horizontal bar charts as inline SVG (no script, no CDN): one bar per row, an optional second, paler bar
beneath it (the month before, say), each value written at its end."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Bar:
    label: str
    value: float
    second: float | None
    y: int
    width: float
    second_width: float
    text_y: int
    value_x: float
    shown: str


@dataclass
class Chart:
    width: int
    height: int
    left: int
    bar: int
    bars: list[Bar] = field(default_factory=list)
    legend: tuple[str, str] = ("", "")

    @property
    def label_x(self) -> int:
        return self.left - 6


def hbars(
    rows: list[tuple[str, float, float | None]],
    *,
    maximum: float | None = None,
    width: int = 560,
    left: int = 140,
    bar: int = 14,
    unit: str = "",
    legend: tuple[str, str] = ("", ""),
) -> Chart:
    """`rows`: (label, value, second value or None). `maximum`: the full bar (default: the largest value)."""
    top = max([maximum or 0, *(v for _l, v, _s in rows), *(s or 0 for _l, _v, s in rows), 1])
    span = width - left - 48
    step = bar * 2 + 10 if any(s is not None for _l, _v, s in rows) else bar + 10
    chart = Chart(width=width, height=max(step * len(rows) + 8, 30), left=left, bar=bar, legend=legend)
    for index, (label, value, second) in enumerate(rows):
        y = 4 + index * step
        w = span * value / top
        chart.bars.append(
            Bar(
                label=label[:14],
                value=value,
                second=second,
                y=y,
                width=round(w, 1),
                second_width=round(span * (second or 0) / top, 1),
                text_y=y + bar - 3,
                value_x=round(left + w + 4, 1),
                shown=f"{value:g}{unit}",
            )
        )
    return chart
