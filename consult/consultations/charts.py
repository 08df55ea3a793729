"""Server-drawn SVG bar charts: no JavaScript, no style attributes (the CSP allows neither).

Each chart is shown next to a table with the same figures, which is its text alternative.
The drawing is 320 units wide, about its size on a phone, so its 18-unit text stays
readable there; each label sits on its own line above its bar, so long labels (and
English ones) never collide. Bar lengths are integer arithmetic on counts.
"""

from __future__ import annotations

from markupsafe import Markup, escape

WIDTH = 320
FONT = 18
LABEL = 24  # height of the label line
BAR = 22
GAP = 12
VALUE_ROOM = 56
COLOURS = ("#0b5d3b", "#0a4f86", "#8a4b00", "#6b2a7a", "#9c1f3f", "#2f5d0b")


def bar_chart(items: list[tuple[str, int]], *, title: str) -> Markup:
    """A horizontal bar chart of (label, count); labels and title are escaped."""
    row = LABEL + BAR + GAP
    height = max(1, len(items)) * row
    longest = max((count for _, count in items), default=0) or 1
    span = WIDTH - VALUE_ROOM
    parts = [
        f'<svg class="c-chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (label, count) in enumerate(items):
        y = i * row
        length = span * count // longest
        colour = COLOURS[i % len(COLOURS)]
        parts.append(
            f'<text x="0" y="{y + LABEL - 6}" font-size="{FONT}" fill="#1a1a1a">{escape(label)}</text>'
            f'<rect x="0" y="{y + LABEL}" width="{max(length, 1)}" height="{BAR}" fill="{colour}"/>'
            f'<text x="{length + 6}" y="{y + LABEL + BAR - 4}" font-size="{FONT}" '
            f'fill="#1a1a1a">{count}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
