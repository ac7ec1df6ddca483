"""Charts drawn on the server as SVG: no chart library, no script, readable without colour
(bars are labelled with their values and the legend says which is before and after)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe


@dataclass(frozen=True)
class Pair:
    """One group of the chart: a label with its before and after values (None: unknown)."""

    label: str
    before: float | None
    after: float | None


def _fmt(value: float, unit: str) -> str:
    if unit == "%":
        return f"{value:.1f}%"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.1f}" if value != int(value) else f"{int(value)}"


def before_after_bars(pairs: Sequence[Pair], *, title: str, unit: str = "",
                      before_label: str = "before", after_label: str = "after",
                      width: int = 560, bar_height: int = 12) -> SafeString:
    """A horizontal grouped bar chart, one group per pair, before (grey) above after (blue).

    Values are drawn from zero, so a bar's length compares honestly with its neighbour's.
    """
    values = [v for p in pairs for v in (p.before, p.after) if v is not None and math.isfinite(v)]
    top = max([abs(v) for v in values] + [1e-9])
    label_w, value_w, pad = 120, 70, 6
    plot_w = width - label_w - value_w
    group_h = 2 * bar_height + 10
    legend_h = 22
    height = legend_h + len(pairs) * group_h + pad
    rows = []
    for i, pair in enumerate(pairs):
        y = legend_h + i * group_h
        rows.append(format_html('<text x="{}" y="{}" text-anchor="end">{}</text>',
                                label_w - 8, y + bar_height + 4, pair.label))
        for j, (value, css, name) in enumerate(((pair.before, "before", before_label),
                                                (pair.after, "after", after_label))):
            by = y + j * bar_height
            if value is None or not math.isfinite(value):
                rows.append(format_html('<text x="{}" y="{}" class="muted">{} unknown</text>',
                                        label_w + 2, by + bar_height - 2, name))
                continue
            length = max(plot_w * abs(value) / top, 1.0)
            rows.append(format_html(
                '<rect class="{}" x="{}" y="{}" width="{}" height="{}">'
                '<title>{} {}: {}</title></rect>'
                '<text x="{}" y="{}">{}</text>',
                css, label_w, by, f"{length:.1f}", bar_height - 2, pair.label, name,
                _fmt(value, unit), f"{label_w + length + 4:.1f}", by + bar_height - 3,
                _fmt(value, unit)))
    legend = format_html(
        '<rect class="before" x="{}" y="4" width="12" height="10"></rect>'
        '<text x="{}" y="13">{}</text>'
        '<rect class="after" x="{}" y="4" width="12" height="10"></rect>'
        '<text x="{}" y="13">{}</text>',
        label_w, label_w + 16, before_label, label_w + 90, label_w + 106, after_label)
    body = mark_safe("".join(rows))  # every piece built by format_html above
    return format_html(
        '<figure class="chart"><svg viewBox="0 0 {} {}" role="img" aria-label="{}">'
        '<title>{}</title>{}<line class="axis" x1="{}" y1="{}" x2="{}" y2="{}"></line>{}</svg>'
        '</figure>',
        width, height, title, title, legend, label_w, legend_h - 2, label_w, height - pad, body)


def sparkline(values: Sequence[float], *, width: int = 120, height: int = 28,
              label: str = "") -> SafeString:
    """A small line of a KPI over time (oldest first)."""
    finite = [v for v in values if math.isfinite(v)]
    if len(finite) < 2:
        return format_html('<span class="muted">{}</span>', "not enough data")
    low, high = min(finite), max(finite)
    span = (high - low) or 1.0
    step = width / (len(finite) - 1)
    points = format_html_join(" ", "{},{}", (
        (f"{i * step:.1f}", f"{height - 2 - (v - low) / span * (height - 4):.1f}")
        for i, v in enumerate(finite)))
    return format_html(
        '<svg class="sparkline" width="{}" height="{}" viewBox="0 0 {} {}" role="img" '
        'aria-label="{}"><polyline fill="none" stroke="currentColor" stroke-width="1.5" '
        'points="{}"></polyline></svg>', width, height, width, height, label, points)


@dataclass(frozen=True)
class Series:
    """One panel of `trade_off_panels`: a KPI's value at each x (None: unknown)."""

    title: str
    values: Sequence[float | None]
    unit: str = ""


def trade_off_panels(xs: Sequence[int], series: Sequence[Series], *, title: str,
                     marked: int | None = None, x_label: str = "K",
                     panel_width: int = 230, panel_height: int = 150) -> SafeString:
    """Small multiples: one line chart per series over the same x values (a K sweep's regions),
    side by side, each on its own scale (the KPIs have different units), every point labelled
    with its value and the `marked` x drawn as a band, so the trade-off reads without colour."""
    if not xs:
        return format_html('<p class="muted">{}</p>', "no values to draw")
    left, right, top, bottom = 12, 12, 34, 26
    plot_w, plot_h = panel_width - left - right, panel_height - top - bottom
    step = plot_w / max(len(xs) - 1, 1)
    panels = []
    for index, one in enumerate(series):
        dx = index * panel_width
        finite = [v for v in one.values if v is not None and math.isfinite(v)]
        low, high = (min(finite), max(finite)) if finite else (0.0, 1.0)
        span = (high - low) or 1.0

        def y_of(value: float, low: float = low, span: float = span) -> float:
            return top + plot_h - (value - low) / span * plot_h

        parts = [format_html('<text class="panel-title" x="{}" y="14">{}</text>',
                             dx + left, one.title)]
        if marked is not None and marked in xs:
            mx = dx + left + xs.index(marked) * step
            parts.append(format_html(
                '<rect class="marked" x="{}" y="{}" width="12" height="{}"></rect>',
                f"{mx - 6:.1f}", top - 12, plot_h + 14))
        parts.append(format_html('<line class="axis" x1="{}" y1="{}" x2="{}" y2="{}"></line>',
                                 dx + left, top + plot_h + 4, dx + left + plot_w,
                                 top + plot_h + 4))
        points = [(dx + left + i * step, y_of(v)) for i, v in enumerate(one.values)
                  if v is not None and math.isfinite(v)]
        if len(points) > 1:
            parts.append(format_html(
                '<polyline class="line" points="{}"></polyline>',
                " ".join(f"{x:.1f},{y:.1f}" for x, y in points)))
        for i, (x, value) in enumerate(zip(xs, one.values, strict=False)):
            px = dx + left + i * step
            parts.append(format_html('<text class="tick" x="{}" y="{}" text-anchor="middle">'
                                     '{}</text>', f"{px:.1f}", top + plot_h + 18, x))
            if value is None or not math.isfinite(value):
                continue
            py = y_of(value)
            parts.append(format_html(
                '<circle cx="{}" cy="{}" r="3"><title>{} = {}: {}</title></circle>'
                '<text class="value" x="{}" y="{}" text-anchor="middle">{}</text>',
                f"{px:.1f}", f"{py:.1f}", x_label, x, _fmt(value, one.unit), f"{px:.1f}",
                f"{py - 6:.1f}", _short(value, one.unit)))
        panels.append(format_html('<g class="panel">{}</g>', mark_safe("".join(parts))))
    width = panel_width * len(series)
    return format_html(
        '<figure class="chart trade-off"><svg viewBox="0 0 {} {}" role="img" aria-label="{}">'
        '<title>{}</title>{}</svg></figure>',
        width, panel_height, title, title, mark_safe("".join(panels)))


def _short(value: float, unit: str) -> str:
    """A point's label, short enough not to collide with its neighbours'."""
    if unit == "%":
        return f"{value:.0f}%" if abs(value) >= 10 else f"{value:.1f}%"
    if abs(value) >= 10_000:
        return f"{value / 1000:.0f}k"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.0f}" if abs(value) >= 10 else f"{value:.1f}"
