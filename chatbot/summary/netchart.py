"""A PNG of where an X network went: one stacked bar per network and side (the accounts
followed, the followers), split by tier. Labels arrive translated; numbers are formatted
here with the separator the caller gives (the user's locale).

Drawn with Pillow like the posts-per-year chart (`chatbot.summary.chart`, whose font and
clipping it shares): no matplotlib on this path. Labels are clipped and the number of bars
is fixed (sides × networks), so a chart costs the same small time for any input. The
numbers drawn are also written, as text, in the PNG's ``Description`` (an alternative text
for screen readers, and what tests read back).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw
from PIL.PngImagePlugin import PngInfo

from chatbot.matching.reach import Reach, Side
from chatbot.summary.chart import _clip, _font, _number, _text

WIDTH = 800
ROW, GAP, HEAD = 30, 10, 26  # bar row height, space between bars, side heading height
TOP, LEFT, RIGHT = 70, 110, 90  # title and legend above; network names left; numbers right
TIER_COLOURS = ((26, 127, 55), (17, 133, 254), (168, 199, 250))  # verified, likely, possible
GRID = (225, 225, 225)
TEXT_CHARS = 90
NAME_CHARS = 14


@dataclass(frozen=True)
class NetChartLabels:
    title: str
    sides: Sequence[str]  # one heading per side drawn, in the order of `Reach.totals`
    networks: Sequence[str]  # the names of `NETWORKS`, in order
    tiers: Sequence[str]  # the names of `TIERS`, in order
    thousands_separator: str = ","
    line: str = "{network}: {total} ({tiers})"  # one bar in the text description


def height_for(sides: int, networks: int) -> int:
    return TOP + sides * (HEAD + networks * (ROW + GAP)) + 20


def describe(reach: Reach, labels: NetChartLabels) -> str:
    """The chart as text: one line per side, then one per network with its tiers."""
    sep = labels.thousands_separator[:4]
    lines = [_clip(labels.title, TEXT_CHARS)]
    for side, heading in zip(reach.totals, labels.sides, strict=False):
        lines.append(_clip(heading, TEXT_CHARS))
        for (_, counts), name in zip(reach.bars(side), labels.networks, strict=True):
            parts = ", ".join(
                f"{_clip(tier, NAME_CHARS)} {_number(n, sep)}"
                for tier, n in zip(labels.tiers, counts, strict=True)
            )
            total = _number(sum(counts), sep)
            text = labels.line.format_map(
                {"network": _clip(name, NAME_CHARS), "total": total, "tiers": parts}
            )
            lines.append("  " + _clip(text, TEXT_CHARS))
    return "\n".join(lines)


def reach_png(reach: Reach, labels: NetChartLabels) -> bytes:
    """Render `reach` as a PNG of `WIDTH` pixels wide (the height grows with the sides)."""
    sides: list[Side] = list(reach.totals)
    networks = len(labels.networks)
    height = height_for(len(sides), networks)
    image = Image.new("RGB", (WIDTH, height), "white")
    draw = ImageDraw.Draw(image)
    small, title = _font(12), _font(15)
    sep = labels.thousands_separator[:4]
    _text(draw, (WIDTH / 2, 12), _clip(labels.title, TEXT_CHARS), title, "mt")
    x = LEFT
    for colour, tier in zip(TIER_COLOURS, labels.tiers, strict=True):  # the legend
        draw.rectangle([(x, 40), (x + 12, 52)], fill=colour)
        name = _clip(tier, NAME_CHARS)
        _text(draw, (x + 18, 46), name, small, "lm")
        x += 30 + int(small.getlength(name))
    scale = max([sum(counts) for side in sides for _, counts in reach.bars(side)] + [1])
    span = WIDTH - LEFT - RIGHT
    y = TOP
    for side, heading in zip(sides, labels.sides, strict=False):
        _text(draw, (12, y + HEAD / 2), _clip(heading, TEXT_CHARS), small, "lm")
        y += HEAD
        for (_, counts), name in zip(reach.bars(side), labels.networks, strict=True):
            _text(draw, (LEFT - 8, y + ROW / 2), _clip(name, NAME_CHARS), small, "rm")
            draw.line([(LEFT, y), (LEFT, y + ROW)], fill=GRID)
            start = float(LEFT)
            for colour, count in zip(TIER_COLOURS, counts, strict=True):
                if count:
                    end = start + span * count / scale
                    draw.rectangle([(start, y + 4), (max(start + 1, end), y + ROW - 4)],
                                   fill=colour)  # fmt: skip
                    start = end
            _text(draw, (start + 6, y + ROW / 2), _number(sum(counts), sep), small, "lm")
            y += ROW + GAP
    info = PngInfo()
    info.add_itxt("Description", describe(reach, labels))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False, pnginfo=info)
    return buffer.getvalue()
