"""A PNG bar chart of posts per year. Labels arrive translated; the engine writes no text.

Drawn with Pillow (already used for profile pictures): every upload gets this chart,
and matplotlib took ~0.5 s to import and ~0.13 s of CPU per chart, with ~60 MB in the
parser process that drew it (issue 13, bench/README.md "Exodus day"). The text is set
in DejaVu Sans (shipped with matplotlib, found without importing it) or Pillow's own
font.

Drawing text costs CPU in proportion to its length (a 300,000-character title took ~27 s
with matplotlib), so labels are clipped here, whatever the caller passes, and the number
of bars is bounded: a chart costs the same small time for any input (threat model §4.5).
"""

from __future__ import annotations

import importlib.util
import io
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 800, 400
BAR = (17, 133, 254)  # #1185fe
PARTIAL = (140, 194, 254)  # the last year, not over when the archive was made
MAX_SLOT = 90  # a few years get narrow bars in the middle, not one bar across the chart
INK = (34, 34, 34)
GRID = (225, 225, 225)
LEFT, RIGHT, TOP, BOTTOM = 78, 20, 44, 56  # plot margins
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

TITLE_CHARS = 120
AXIS_CHARS = 60
MAX_YEARS = 40  # X exists since 2006: more bars than this are not real years


@dataclass(frozen=True)
class ChartLabels:
    title: str
    y_axis: str
    thousands_separator: str = ","
    # set when the last year was not over: its bar is lighter, its year starred, and this
    # note ("* 2026: until March 6") is written under the chart
    partial_note: str = ""


@cache
def _font(size: int) -> Font:
    spec = importlib.util.find_spec("matplotlib")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"
        if path.is_file():
            return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size)


def _ticks(top: int) -> list[int]:
    """About five round integer steps from 0 to at least `top`."""
    if top <= 0:
        return [0, 1]
    raw = top / 5
    power = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return list(range(0, math.ceil(top / step) * step + 1, step))


def _number(n: int, separator: str) -> str:
    return f"{n:,}".replace(",", separator)


def _text(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, font: Font,
          anchor: str) -> None:  # fmt: skip
    draw.text(xy, text, fill=INK, font=font, anchor=anchor)


def _rotated(image: Image.Image, text: str, font: Font, center: tuple[int, int],
             angle: int) -> None:  # fmt: skip
    """`text` turned by `angle` degrees, centred on `center`."""
    box = font.getbbox(text)
    label = Image.new("RGBA", (int(box[2]) + 4, int(box[3]) + 4), (255, 255, 255, 0))
    ImageDraw.Draw(label).text((2, 2), text, fill=INK, font=font)
    label = label.rotate(angle, expand=True, resample=Image.Resampling.BICUBIC)
    image.paste(label, (center[0] - label.width // 2, center[1] - label.height // 2), label)


def posts_per_year_png(tweets_per_year: dict[int, int], labels: ChartLabels) -> bytes:
    """Render posts per year (missing years shown as zero) as an 800×400 PNG."""
    years = sorted(tweets_per_year)[-MAX_YEARS:]
    span = list(range(max(years[0], years[-1] - MAX_YEARS + 1), years[-1] + 1)) if years else []
    counts = [tweets_per_year.get(year, 0) for year in span]
    separator = labels.thousands_separator[:4]
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    small, title = _font(12), _font(15)
    _text(draw, (WIDTH / 2, 14), _clip(labels.title, TITLE_CHARS), title, "mt")
    _rotated(image, _clip(labels.y_axis, AXIS_CHARS), small,
             (16, TOP + (HEIGHT - TOP - BOTTOM) // 2), 90)  # fmt: skip
    ticks = _ticks(max(counts, default=0))
    plot_h, base = HEIGHT - TOP - BOTTOM, HEIGHT - BOTTOM

    def y_of(value: float) -> float:
        return base - plot_h * value / ticks[-1]

    for tick in ticks:
        draw.line([(LEFT, y_of(tick)), (WIDTH - RIGHT, y_of(tick))], fill=GRID)
        _text(draw, (LEFT - 6, y_of(tick)), _number(tick, separator), small, "rm")
    draw.line([(LEFT, TOP), (LEFT, base)], fill=INK)
    draw.line([(LEFT, base), (WIDTH - RIGHT, base)], fill=INK)
    width = WIDTH - LEFT - RIGHT
    slot = min(MAX_SLOT, width / max(1, len(span)))
    start = LEFT + (width - slot * len(span)) / 2
    partial = bool(labels.partial_note)
    for index, (year, count) in enumerate(zip(span, counts, strict=True)):
        middle = start + slot * (index + 0.5)
        half = slot * 0.3
        last = partial and index == len(span) - 1
        if count:
            fill = PARTIAL if last else BAR
            draw.rectangle([(middle - half, y_of(count)), (middle + half, base)], fill=fill)
        if len(span) <= 20:
            _text(draw, (middle, y_of(count) - 3), _number(count, separator), small, "mb")
        name = f"{year}*" if last else str(year)
        if len(span) > 12:
            _rotated(image, name, small, (int(middle), base + 20), 45)
        else:
            _text(draw, (middle, base + 6), name, small, "mt")
    if partial:
        _text(draw, (WIDTH - RIGHT, HEIGHT - 6), _clip(labels.partial_note, AXIS_CHARS),
              small, "rb")  # fmt: skip
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
