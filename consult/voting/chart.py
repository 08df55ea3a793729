"""The results bar chart, drawn on the server as SVG: no JavaScript, no style attributes.

Why not a wide chart with labels on the left: on a 320 px phone it would shrink to half
size. Here the drawing is 300 units wide (shown at about 1:1 on a phone) and each idea
takes two lines: its title, then its bar with the score. The table next to the chart,
with the same figures, is its text alternative. Bar lengths are integer arithmetic.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH = 300
LINE = 26  # the title line
BAR = 22
GAP = 12
VALUE_ROOM = 64
MAX_TITLE = 15  # characters of a title on the chart; the table has the whole title
SELECTED = "#0b5d3b"
OTHER = "#5f6a62"


def _short(title: str) -> str:
    return title if len(title) <= MAX_TITLE else title[:MAX_TITLE - 1] + "…"


def bar_chart(rows: Sequence[tuple[str, int, bool]], *, title: str, description: str,
              selected_mark: str = "✓ ") -> Markup:
    """Horizontal bars of (title, score, selected); selected ideas are dark and marked ✓."""
    step = LINE + BAR + GAP
    height = max(1, len(rows)) * step
    top = max((score for _, score, _ in rows), default=0) or 1
    span = WIDTH - VALUE_ROOM
    parts = [
        f'<svg class="vote-chart" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'role="img" aria-labelledby="vote-chart-t vote-chart-d" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="vote-chart-t">{escape(title)}</title><desc id="vote-chart-d">{escape(description)}</desc>',
    ]
    for n, (label, score, chosen) in enumerate(rows):
        y = n * step
        length = max(span * score // top, 2)
        mark = selected_mark if chosen else ""
        weight = ' font-weight="700"' if chosen else ""
        parts.append(
            f'<text x="0" y="{y + LINE - 7}" font-size="18" fill="#1a1a1a"{weight}>'
            f'{escape(mark + _short(label))}</text>'
            f'<rect x="0" y="{y + LINE}" width="{length}" height="{BAR}" rx="3" '
            f'fill="{SELECTED if chosen else OTHER}"/>'
            f'<text x="{length + 6}" y="{y + LINE + BAR - 4}" font-size="18" fill="#1a1a1a">{score}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
