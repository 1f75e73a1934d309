"""The service desk's charts as server-rendered SVG geometry (the templates draw it, no script, as the billing
and club reports do): SLA attainment per group against the target, and per month the tickets reported (bars)
with the attainment (a line). The figures come from reports.py."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from backend.billing.report_charts import svg_number

from .reports import TARGET_PCT, MonthPoint, Row


def attainment_chart(rows: list[Row], target: int = TARGET_PCT) -> dict[str, Any] | None:
    """Horizontal bars, one per row with a measured attainment, and the target as a dashed line (a 360-wide
    view box, about 1:1 on a phone)."""
    measured = [r for r in rows if r.figures.attainment is not None]
    if not measured:
        return None
    left, right, bar, gap, top = 100, 50, 20, 8, 22
    width = 360
    plot = width - left - right
    bars = []
    for i, r in enumerate(measured):
        value = r.figures.attainment
        assert value is not None
        y = top + i * (bar + gap)
        bar_width = float(value) / 100 * plot
        bars.append(
            {
                "label": r.label if len(r.label) <= 8 else r.label[:7] + "…",
                "full_label": r.label,
                "value": f"{value}%",
                "count": r.figures.within + r.figures.late,
                "y": y,
                "text_y": svg_number(y + bar * 0.72),
                "width": svg_number(bar_width),
                "value_x": svg_number(left + bar_width + 4),
                "meets": r.figures.meets_target,
            }
        )
    height = top + len(measured) * (bar + gap) + 6
    return {
        "width": width,
        "height": height,
        "left": left,
        "label_x": left - 6,
        "bar": bar,
        "bars": bars,
        "target_x": svg_number(left + target / 100 * plot),
        "target": target,
        "top": top - 6,
        "bottom": height - 2,
    }


def trend_chart(points: list[MonthPoint], target: int = TARGET_PCT) -> dict[str, Any] | None:
    """Per month: the tickets reported as a bar (left scale) and the attainment as a line (0–100 %), with the
    target dashed."""
    if not any(p.figures.reported for p in points):
        return None
    width, height = 360, 190
    left, right, top, bottom = 8, 34, 12, 22
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max(p.figures.reported for p in points) or 1
    slot = plot_w / len(points)
    bar_w = max(4.0, slot * 0.5)
    months, line = [], []
    for i, p in enumerate(points):
        f = p.figures
        h = plot_h * f.reported / peak
        cx = left + i * slot + slot / 2
        rate = f.attainment
        rate_y = top + plot_h - plot_h * float(min(rate, Decimal(100))) / 100 if rate is not None else None
        months.append(
            {
                "label": f"{p.month:%m}",
                "full": f"{p.month:%Y-%m}",
                "x": svg_number(cx - bar_w / 2),
                "y": svg_number(top + plot_h - h),
                "h": svg_number(h),
                "cx": svg_number(cx),
                "reported": f.reported,
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
