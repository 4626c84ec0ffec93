"""The Trends chart: one channel's subscribed and unsubscribed totals by day, as an SVG document
drawn on the server by pygal (docs/decisions/066).

No script and nothing from the internet: pygal links its tooltip script from a CDN unless told
otherwise (``js=[]``), and even then writes an inline ``<script>`` with its configuration and
comments naming its web site, so both are taken out of the tree before it is serialised. The
SVG is served as its own resource under a CSP that allows nothing but its inline styles, and
shown with ``<img>``, where a browser runs no script anyway. The colours differ in more than
hue: subscribed is a solid green line, unsubscribed a dashed red one, and the legend names both.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from enum import StrEnum
from itertools import count
from typing import Any
from xml.etree import ElementTree

import pygal
from pygal.style import Style

from consentry.core.trends import TrendDay

# Importing pygal appends an import hook for its map plugins to ``sys.meta_path`` that has only
# the old ``find_module``: on Python 3.11 every import that fails anywhere in the process then
# raises an ImportWarning (an error under ``-W error``, as in the tests). No map is drawn here.
sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "PluginImportFixer"]

#: The chart's own answer headers: only its inline styles may apply (decision 052's others too).
CSP = "default-src 'none'; style-src 'unsafe-inline'"
SUBSCRIBED = "#15803d"
UNSUBSCRIBED = "#b91c1c"
TICKS = 5  #: at most this many steps up the y axis, each a whole number


class Size(StrEnum):
    """The chart's two drawings: for a card on a wide screen, and for a phone (``<picture>``),
    each drawn at the size it is shown so its words stay readable. Add, never rename."""

    WIDE = "wide"
    NARROW = "narrow"


#: A size → (width, height, dates under the x axis).
SIZES = {Size.WIDE: (560, 300, 4), Size.NARROW: (340, 280, 3)}

STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1a1a1a",
    foreground_strong="#1a1a1a",
    foreground_subtle="#6b7280",
    colors=(SUBSCRIBED, UNSUBSCRIBED),
    font_family='system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
    label_font_size=16,
    major_label_font_size=16,
    legend_font_size=17,
    value_font_size=16,
    tooltip_font_size=16,
    stroke_width=3,
    stroke_width_hover=3,
    stroke_opacity=1,
    stroke_opacity_hover=1,
    guide_stroke_color="#d1d5db",
    major_guide_stroke_color="#d1d5db",
    guide_stroke_dasharray="2,3",
    major_guide_stroke_dasharray="2,3",
)


def chart_svg(series: Sequence[TrendDay], *, size: Size = Size.WIDE) -> str:
    """The SVG document of a channel's series (oldest day first)."""
    width, height, dates = SIZES[size]
    top = max([1, *(d.subscribed for d in series), *(d.unsubscribed for d in series)])
    labels = y_labels(top)
    chart = pygal.Line(
        js=[],  # no tooltip script from the CDN
        disable_xml_declaration=True,
        explicit_size=True,  # width and height on the root: the image has its own size
        style=STYLE,
        width=width,
        height=height,
        show_dots=len(series) <= 31,
        dots_size=2.5,
        legend_at_bottom=True,
        legend_at_bottom_columns=2,
        show_minor_x_labels=False,
        x_labels_major_count=dates,
        truncate_label=-1,
        truncate_legend=-1,
        range=(0, labels[-1]),
        y_labels=labels,
        value_formatter=lambda v: f"{v:,.0f}",
        margin=12,
        margin_right=48,  # room for the last date under the axis
    )
    chart.x_labels = [d.day.isoformat() for d in series]
    chart.add("Subscribed", [d.subscribed for d in series])
    chart.add("Unsubscribed", [d.unsubscribed for d in series], stroke_style={"dasharray": "9,5"})
    return _without_scripts(chart.render_tree())


def y_labels(top: int) -> list[int]:
    """Whole numbers from 0 to at least ``top``, in steps of 1, 2 or 5 x 10ⁿ, at most ``TICKS``."""
    for power in count():
        for base in (1, 2, 5):
            step = base * 10**power
            steps = -(-top // step)  # rounded up
            if steps <= TICKS:
                return list(range(0, step * steps + 1, step))
    raise AssertionError("unreachable")  # pragma: no cover


def _without_scripts(root: Any) -> str:
    """The tree as text, without its ``<script>`` elements and comments."""
    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag is ElementTree.Comment or _local(child.tag) == "script":
                parent.remove(child)
    return ElementTree.tostring(root, encoding="unicode")


def _local(tag: Any) -> str:
    """A tag without its namespace."""
    return str(tag).rsplit("}", 1)[-1]
