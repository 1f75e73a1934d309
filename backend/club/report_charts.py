"""The club report's charts as server-rendered SVG geometry (the templates draw it, no script): the
utilisation heat map (weekday × hour, darker is fuller) and the income per month (net fees as bars, the
no-show rate as a line). The figures come from reports.py."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from backend.billing.report_charts import svg_number

from .reports import ClubReport, Heat, MonthFigures

# Light to dark blue in five steps of utilisation (0–19 %, 20–39 %, … 80–100 %); grey where nothing is offered.
HEAT_COLOURS = ["#e3eefa", "#b6d3f2", "#7fb0e6", "#3d86d6", "#0b5cad"]
NOTHING_OFFERED = "#f1f3f5"


def heat_colour(percent: int | None) -> str:
    if percent is None:
        return NOTHING_OFFERED
    return HEAT_COLOURS[min(4, max(0, percent) // 20)]


def weekday_labels() -> list[str]:
    return [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]


def heat_chart(heat: Heat) -> dict[str, Any] | None:
    """A 7-row grid, one column per hour any facility opens; each cell its utilisation in per cent."""
    if not heat.hours:
        return None
    left, top, cell_w, cell_h, gap = 34, 16, 18, 18, 2
    width = left + len(heat.hours) * (cell_w + gap) + 4
    height = top + 7 * (cell_h + gap) + 4
    labels = weekday_labels()
    rows = []
    for wd, cells in enumerate(heat.rows):
        y = top + wd * (cell_h + gap)
        row = []
        for i, cell in enumerate(cells):
            pct = cell.percent
            row.append(
                {
                    "x": left + i * (cell_w + gap),
                    "fill": heat_colour(pct),
                    "percent": "—" if pct is None else f"{pct}%",
                    "hour": heat.hours[i],
                    "dark": pct is not None and pct >= 60,
                    "text_x": svg_number(left + i * (cell_w + gap) + cell_w / 2),
                }
            )
        rows.append({"label": labels[wd], "y": y, "text_y": svg_number(y + cell_h * 0.7), "cells": row})
    hours = [
        {"hour": h, "x": svg_number(left + i * (cell_w + gap) + cell_w / 2)}
        for i, h in enumerate(heat.hours)
        if i % 2 == 0
    ]
    return {
        "width": width,
        "height": height,
        "cell_w": cell_w,
        "cell_h": cell_h,
        "rows": rows,
        "hours": hours,
        "label_x": left - 4,
        "hour_y": top - 4,
        "legend": [
            {"fill": c, "label": f"{i * 20}–{i * 20 + 19 if i < 4 else 100}%"} for i, c in enumerate(HEAT_COLOURS)
        ],
    }


def income_chart(months: list[MonthFigures]) -> dict[str, Any] | None:
    """Per month: the net fee income as a bar (left scale, yuan) and the no-show rate as a line (0–100 %)."""
    if not any(m.income or m.bookings for m in months):
        return None
    width, height = 360, 180
    left, right, top, bottom = 8, 34, 12, 22
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max(max(m.income for m in months), 1)
    slot = plot_w / len(months)
    bar_w = max(4.0, slot * 0.5)
    bars, line = [], []
    for i, m in enumerate(months):
        h = plot_h * max(m.income, 0) / peak
        cx = left + i * slot + slot / 2
        pct = m.no_show_percent
        rate_y = top + plot_h - plot_h * min(pct, 100) / 100 if pct is not None else None
        bars.append(
            {
                "label": f"{m.month:%m}",
                "full": f"{m.month:%Y-%m}",
                "x": svg_number(cx - bar_w / 2),
                "y": svg_number(top + plot_h - h),
                "h": svg_number(h),
                "cx": svg_number(cx),
                "income": m.income,
                "no_show": "—" if pct is None else f"{pct}%",
                "rate_y": svg_number(rate_y) if rate_y is not None else "",
            }
        )
        if rate_y is not None:
            line.append(f"{cx:.1f},{rate_y:.1f}")
    return {
        "width": width,
        "height": height,
        "bar_w": svg_number(bar_w),
        "bars": bars,
        "line": " ".join(line),
        "axis_y": top + plot_h,
        "left": left,
        "plot_right": width - right,
        "right_x": width - right + 3,
        "top": top,
        "mid_y": svg_number(top + plot_h / 2),
        "label_y": top + plot_h + 14,
    }


def charts(report: ClubReport) -> dict[str, Any]:
    return {"heat": heat_chart(report.heat), "income": income_chart(report.months)}
