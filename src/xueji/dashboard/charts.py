"""Bar charts drawn on the server as inline SVG: no script, nothing fetched, readable
without colour (each bar carries its number) and by screen readers (a title and a
description listing every value)."""

from __future__ import annotations

from markupsafe import Markup, escape

WIDTH, LABEL_WIDTH, BAR_HEIGHT, GAP = 560, 190, 20, 8


def bar_chart(title: str, items: list[tuple[str, int]]) -> Markup:
    """Horizontal bars, one per (label, value), scaled to the largest value."""
    if not items:
        return Markup("")
    top = max((value for _, value in items), default=0) or 1
    room = WIDTH - LABEL_WIDTH - 60
    height = len(items) * (BAR_HEIGHT + GAP) + GAP
    description = "；".join(f"{label} {value}" for label, value in items)
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" '
        f'height="{height}" xmlns="http://www.w3.org/2000/svg" aria-labelledby="t d">'
        f'<title id="t">{escape(title)}</title><desc id="d">{escape(description)}</desc>'
    ]
    for row, (label, value) in enumerate(items):
        y = GAP + row * (BAR_HEIGHT + GAP)
        length = round(room * value / top)
        middle = y + BAR_HEIGHT * 0.7
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{middle:.1f}" text-anchor="end" '
            f'font-size="13">{escape(label)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length}" height="{BAR_HEIGHT}" '
            f'fill="#2f6fb0"></rect>'
            f'<text x="{LABEL_WIDTH + length + 6}" y="{middle:.1f}" font-size="13">{value}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
