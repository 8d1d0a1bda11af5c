"""A PNG bar chart of posts per year. Labels arrive translated; the engine writes no text.

Drawing text costs CPU in proportion to its length (a 300,000-character title took ~27 s),
so labels are clipped here, whatever the caller passes, and the number of bars is
bounded: a chart costs the same small time for any input (threat model §4.5).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

TITLE_CHARS = 120
AXIS_CHARS = 60
MAX_YEARS = 40  # X exists since 2006: more bars than this are not real years


@dataclass(frozen=True)
class ChartLabels:
    title: str
    y_axis: str
    thousands_separator: str = ","


def posts_per_year_png(tweets_per_year: dict[int, int], labels: ChartLabels) -> bytes:
    """Render posts per year (missing years shown as zero) as an 800×400 PNG."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    years = sorted(tweets_per_year)[-MAX_YEARS:]
    span = list(range(max(years[0], years[-1] - MAX_YEARS + 1), years[-1] + 1)) if years else []
    counts = [tweets_per_year.get(year, 0) for year in span]
    figure = Figure(figsize=(8, 4), dpi=100)
    axes = figure.add_subplot()
    bars = axes.bar([str(year) for year in span], counts, color="#1185fe", width=0.6)
    if len(span) <= 20:
        axes.bar_label(
            bars,
            labels=[f"{n:,}".replace(",", labels.thousands_separator[:4]) for n in counts],
            padding=2,
        )
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_title(_clip(labels.title, TITLE_CHARS))
    axes.set_ylabel(_clip(labels.y_axis, AXIS_CHARS))
    axes.spines[["top", "right"]].set_visible(False)
    if len(span) > 12:
        axes.tick_params(axis="x", labelrotation=45)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
