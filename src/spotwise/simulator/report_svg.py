"""Turn a matplotlib figure into an ``<svg>`` element that can sit inline in an HTML page."""

from __future__ import annotations

import html
import io
import re
from typing import Any

import matplotlib
from matplotlib.figure import Figure
from matplotlib.typing import RcKeyType

# Text stays text (smaller, selectable, readable by screen readers) and falls back to the
# browser's sans-serif; a fixed salt keeps the report byte-identical for the same run.
_RC: dict[RcKeyType, Any] = {"svg.fonttype": "none", "svg.hashsalt": "spotwise-report"}

# matplotlib names its elements "figure_1", "axes_1", ... in every figure, so two figures on
# one page would share ids; every id and every local reference to one gets a prefix.
_ID_REF = re.compile(r'(\bid="|\bhref="#|\burl\(#)([^")]+)')


def figure_svg(figure: Figure, prefix: str, alt: str) -> str:
    """The figure as an inline ``<svg>`` with a ``<title>`` for its alt text.

    Args:
        figure: the figure to render (a plain :class:`Figure`, no pyplot state).
        prefix: a page-unique prefix for the ids inside this SVG.
        alt: what the figure shows, in words, for those who cannot see it.

    Returns:
        The ``<svg>`` element alone: no XML prolog, no DOCTYPE, no metadata block.
    """
    buffer = io.StringIO()
    with matplotlib.rc_context(_RC):
        # Metadata set to None is left out: no creator URL, no date, no RDF namespaces.
        figure.savefig(
            buffer,
            format="svg",
            metadata={"Creator": None, "Date": None, "Format": None, "Type": None},
        )
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    text = _ID_REF.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", text)
    # The <title> child is the SVG's accessible name; aria-label says the same to screen
    # readers that ignore it, and role="img" stops them reading out every tick label.
    head, rest = text.split(">", 1)
    label = html.escape(alt)
    return f'{head} role="img" aria-label="{label}"><title>{label}</title>{rest}'
