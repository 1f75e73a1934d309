"""The collection report's charts as server-rendered SVG geometry (the templates draw it, no script): the
collection rate per group against the company's target, and the 12-month trend. The figures come from
reports.py."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .reports import CollectionReport, TrendPoint


def svg_number(value: float) -> str:
    """An SVG coordinate: one decimal, always a dot (never localised by the template)."""
    return f"{value:.1f}"


def rate_chart(report: CollectionReport) -> dict[str, Any] | None:
    """Horizontal bars, one per group: its collection rate, with the target as a vertical line. Sized in
    SVG units for a 360-wide view box, which a phone shows at about 1:1."""
    rows = [r for r in report.rows if r.figures.rate is not None]
    if not rows:
        return None
    left, right, bar, gap, top = 100, 50, 20, 8, 22
    width = 360
    plot = width - left - right
    scale_max = max(Decimal(100), *(r.figures.rate or Decimal(0) for r in rows))
    bars = []
    for i, r in enumerate(rows):
        rate = r.figures.rate or Decimal(0)
        y = top + i * (bar + gap)
        label = r.label if len(r.label) <= 8 else r.label[:7] + "…"
        bar_width = float(rate / scale_max) * plot
        bars.append(
            {
                "label": label,
                "full_label": r.label,
                "value": f"{rate}%",
                "y": y,
                "text_y": svg_number(y + bar * 0.72),
                "width": svg_number(bar_width),
                "value_x": svg_number(left + bar_width + 4),
                "meets": r.meets_target,
            }
        )
    height = top + len(rows) * (bar + gap) + 6
    target_x = svg_number(left + float(Decimal(report.target_pct) / scale_max) * plot)
    return {
        "width": width,
        "height": height,
        "left": left,
        "label_x": left - 6,
        "bar": bar,
        "bars": bars,
        "target_x": target_x,
        "target": report.target_pct,
        "top": top - 6,
        "bottom": height - 2,
    }


def trend_chart(points: list[TrendPoint], target: int) -> dict[str, Any] | None:
    """Per month: a receivable bar and a collected bar (left scale, yuan), and the rate as a line (right
    scale, 0–100 %), with the target as a dashed line."""
    if not any(p.receivable or p.collected for p in points):
        return None
    width, height = 360, 200
    left, right, top, bottom = 8, 34, 12, 22
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max(max(p.receivable, p.collected) for p in points) or 1
    slot = plot_w / len(points)
    bar_w = max(2.0, slot * 0.36)
    months = []
    line = []
    for i, p in enumerate(points):
        x0 = left + i * slot + (slot - 2 * bar_w) / 2
        h_r = plot_h * p.receivable / peak
        h_c = plot_h * p.collected / peak
        rate = p.rate
        cx = left + i * slot + slot / 2
        rate_y = top + plot_h - plot_h * float(min(rate, Decimal(100))) / 100 if rate is not None else None
        months.append(
            {
                "label": f"{p.month:%m}",
                "full": f"{p.month:%Y-%m}",
                "x_r": svg_number(x0),
                "x_c": svg_number(x0 + bar_w),
                "y_r": svg_number(top + plot_h - h_r),
                "h_r": svg_number(h_r),
                "y_c": svg_number(top + plot_h - h_c),
                "h_c": svg_number(h_c),
                "cx": svg_number(cx),
                "receivable": p.receivable,
                "collected": p.collected,
                "rate": f"{rate}%" if rate is not None else "—",
                "rate_y": svg_number(rate_y) if rate_y is not None else "",
            }
        )
        if rate_y is not None:
            line.append(f"{cx:.1f},{rate_y:.1f}")
    return {
        "width": width,
        "height": height,
        "bar_w": svg_number(bar_w),
        "months": months,
        "line": " ".join(line),
        "target_y": svg_number(top + plot_h - plot_h * target / 100),
        "target": target,
        "axis_y": top + plot_h,
        "mid_y": svg_number(top + plot_h / 2),
        "left": left,
        "right_x": width - right + 3,
        "plot_right": width - right,
        "top": top,
        "label_y": top + plot_h + 14,
        "peak": peak,
    }
