"""The posts-per-year chart: a PNG drawn with Pillow, translated labels, any span of years."""

from __future__ import annotations

import io
import time

from PIL import Image

from chatbot.summary.chart import (
    BAR,
    MAX_SLOT,
    MAX_YEARS,
    PARTIAL,
    ChartLabels,
    posts_per_year_png,
)

FR = ChartLabels("Publications par année @alice", "publications", "\u202f")


def _image(data: bytes) -> Image.Image:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(data))
    image.load()
    return image.convert("RGB")


def _bars(image: Image.Image) -> int:
    """Columns of bar colour along a line just above the x axis."""
    y = image.height - 60
    return sum(image.getpixel((x, y)) == BAR for x in range(image.width))


def test_a_few_years_with_a_gap() -> None:
    image = _image(posts_per_year_png({2009: 400, 2012: 1234, 2013: 500}, FR))
    assert image.size == (800, 400)
    assert _runs(image) == 3 and _bars(image) > 120  # three bars (2010 and 2011 at zero)


def test_one_year_is_one_narrow_bar_and_a_partial_year_is_marked() -> None:
    """Issue 14: a single-year archive got one bar across the whole chart; the last year,
    not over when the archive was made, was drawn as if complete."""
    single = _image(posts_per_year_png({2024: 1916}, FR))
    assert _runs(single) == 1 and _bars(single) <= MAX_SLOT
    partial = ChartLabels("Posts per year", "posts", partial_note="* 2026: until March 6")
    image = _image(posts_per_year_png({2025: 1750, 2026: 1916}, partial))
    assert _runs(image) == 1  # 2025 in full colour; 2026 lighter
    y = image.height - 60
    assert sum(image.getpixel((x, y)) == PARTIAL for x in range(image.width)) > 20


def test_twenty_years_and_no_posts_at_all() -> None:
    many = {year: year % 7 * 100 for year in range(2006, 2027)}
    assert _bars(_image(posts_per_year_png(many, ChartLabels("Posts per year", "posts")))) > 100
    assert _image(posts_per_year_png({}, FR)).size == (800, 400)
    assert _bars(_image(posts_per_year_png({2020: 0}, FR))) == 0


def _runs(image: Image.Image) -> int:
    """Bars crossed by a line just above the x axis (runs of bar colour)."""
    y = image.height - 60
    on = [image.getpixel((x, y)) == BAR for x in range(image.width)]
    return sum(1 for x in range(image.width) if on[x] and (x == 0 or not on[x - 1]))


def test_hostile_labels_and_years_cost_a_bounded_chart() -> None:
    """Threat model §4.5 (the bounds side, kept by the Pillow chart): labels are clipped
    and at most `MAX_YEARS` bars drawn, the latest, whatever the archive claims."""
    huge = ChartLabels("T" * 300_000, "Y" * 300_000, "," * 10_000)
    started = time.monotonic()
    image = _image(posts_per_year_png(dict.fromkeys(range(1800, 2100), 100), huge))
    assert time.monotonic() - started < 5
    assert image.size == (800, 400) and _runs(image) == MAX_YEARS
    sparse = _image(posts_per_year_png({1: 5, 10**9: 5}, huge))  # two "years" far apart
    assert _runs(sparse) == 1  # the latest one only, not a billion slots
